package v2fhir

import (
	"strconv"
	"strings"

	"yigong/fhir/r4"
	"yigong/hl7v2"
)

const birthTimeURL = "http://hl7.org/fhir/StructureDefinition/patient-birthTime"

// patient maps PID → Patient ("HL7 Segment - FHIR R4_ PID[Patient]") and
// adds it with the given mode, remembering its reference and key for the
// resources that follow. The key is the first PID-3 identifier with a
// configured or well-formed system, else the first identifier at all (the
// resident ID from PID-19 included); a PID without any is an error (PID-3
// is required).
func (b *builder) patient(mode int) error {
	l, ok := b.first("PID")
	if !ok {
		return &Error{Segment: "PID", Sequence: 1, Code: "100", Msg: "PID segment missing"}
	}
	p, ids, err := b.patientResource(l)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return errAt(l, 3, 1, "101", "PID-3 patient identifier list has no identifier")
	}
	key := ids[0]
	for _, id := range ids {
		if id.System != "" {
			key = id
			break
		}
	}
	if key.System == "" {
		return errAt(l, 3, 4, "101", "PID-3 identifiers have no assigning authority: the patient cannot be matched")
	}
	b.patientID = &r4.Identifier{System: key.System, Value: key.Value}
	b.patientRef = b.add(p, "PID", key, mode)
	return nil
}

// patientResource builds the Patient of a PID and returns its identifiers
// in order of preference.
func (b *builder) patientResource(l segLoc) (*r4.Patient, []r4.Identifier, error) {
	pid := hl7v2.PID{Segment: l.seg}
	p := &r4.Patient{Meta: b.meta()}
	// PID-3 → identifier[2] (CX[Identifier]); PID-2 and PID-4 (kept
	// from v2.3) → identifier[1], identifier[3].
	var ids []r4.Identifier
	addID := func(id *r4.Identifier) {
		if id == nil {
			return
		}
		for _, have := range ids {
			if have.System == id.System && have.Value == id.Value {
				return
			}
		}
		ids = append(ids, *id)
	}
	for _, f := range []int{3, 2, 4} {
		for _, r := range l.seg.Field(f).Repetitions() {
			id, err := b.identifierFromCX(hl7v2.ParseCX(r), l, f)
			if err != nil {
				return nil, nil, err
			}
			if id != nil && id.System == "" {
				// A local patient ID without an assigning authority is
				// unique within its sender (institution).
				id.System = b.senderSystem("patient")
				b.warn(l.field(f), "Patient.identifier", "no assigning authority; identifier scoped to the sender as %s", id.System)
			}
			addID(id)
		}
	}
	// PID-19 (SSN) → identifier[4]: in China it carries the resident ID
	// (身份证号); otherwise it is kept with type SB and no system.
	if ssn := strings.TrimSpace(pid.SSNNumberPatient().String()); ssn != "" {
		id := &r4.Identifier{Value: ssn}
		if _, shape, _ := residentID(ssn); shape {
			b.residentIdentifier(id, l.field(19))
		} else {
			id.Type = &r4.CodeableConcept{Coding: []r4.Coding{{System: v20203, Code: "SB"}}}
		}
		addID(id)
	}
	p.Identifier = ids
	// PID-5 → name[1], PID-9 → name[2] (XPN[HumanName]).
	for _, x := range pid.PatientName() {
		if n := b.humanName(x); n != nil {
			p.Name = append(p.Name, *n)
		}
	}
	for _, x := range pid.PatientAlias() {
		if n := b.humanName(x); n != nil {
			p.Name = append(p.Name, *n)
		}
	}
	// PID-7 → birthDate, with the patient-birthTime extension when the
	// time is given.
	if dob := strings.TrimSpace(pid.DateTimeOfBirth().Component(1).String()); dob != "" {
		p.BirthDate = b.date(dob, l.field(7))
		if p.BirthDate != "" && len(dob) > 8 {
			if t := b.dateTime(dob, l.field(7)); t != "" {
				p.BirthDateExt = &r4.Element{Extension: []r4.Extension{{Url: birthTimeURL, ValueDateTime: t}}}
			}
		}
	}
	// PID-8 → gender (AdministrativeSex, table 0001).
	if sex := strings.ToUpper(strings.TrimSpace(pid.AdministrativeSex().Identifier)); sex != "" {
		if g, ok := gender0001[sex]; ok {
			p.Gender = g
		} else {
			b.warn(l.field(8), "Patient.gender", "administrative sex %q not in table 0001", sex)
		}
	}
	// PID-11 → address (XAD[Address]); PID-12 → address.district when
	// the address has none.
	for _, x := range pid.PatientAddress() {
		if a := b.address(x); a != nil {
			p.Address = append(p.Address, *a)
		}
	}
	if cc := strings.TrimSpace(pid.CountyCode().String()); cc != "" && len(p.Address) > 0 && p.Address[0].District == "" {
		p.Address[0].District = cc
	}
	// PID-13 → telecom (home), PID-14 → telecom (work), PID-40.
	for _, x := range pid.PhoneNumberHome() {
		if c := b.contactPoint(x, "home"); c != nil {
			p.Telecom = append(p.Telecom, *c)
		}
	}
	for _, x := range pid.PhoneNumberBusiness() {
		if c := b.contactPoint(x, "work"); c != nil {
			p.Telecom = append(p.Telecom, *c)
		}
	}
	for _, x := range pid.PatientTelecommunicationInformation() {
		if c := b.contactPoint(x, ""); c != nil {
			p.Telecom = append(p.Telecom, *c)
		}
	}
	// PID-15 → communication.language; PID-16 → maritalStatus.
	if cc := b.codeable(pid.PrimaryLanguage()); cc != nil {
		p.Communication = []r4.PatientCommunication{{Language: cc}}
	}
	if cc := b.codeable(pid.MaritalStatus()); cc != nil {
		p.MaritalStatus = cc
	}
	// PID-24/25 → multipleBirth; PID-29/30 → deceased.
	if n, err := strconv.ParseInt(strings.TrimSpace(pid.BirthOrder().String()), 10, 32); err == nil && n > 0 {
		p.MultipleBirthInteger = r4.Int(n)
	} else if v := strings.ToUpper(strings.TrimSpace(pid.MultipleBirthIndicator().String())); v == "Y" || v == "N" {
		p.MultipleBirthBoolean = r4.Bool(v == "Y")
	}
	if t := b.dateTime(pid.PatientDeathDateAndTime().Component(1).String(), l.field(29)); t != "" {
		p.DeceasedDateTime = t
	} else if v := strings.ToUpper(strings.TrimSpace(pid.PatientDeathIndicator().String())); v == "Y" || v == "N" {
		p.DeceasedBoolean = r4.Bool(v == "Y")
	}
	// Fields with no home in base R4 Patient that matter in China.
	if !l.seg.Field(10).IsEmpty() {
		b.notMapped(l.field(10), "Patient", "PID-10 race (local extension required)")
	}
	if !l.seg.Field(22).IsEmpty() {
		b.notMapped(l.field(22), "Patient", "PID-22 ethnic group (民族; local extension required)")
	}
	return p, ids, nil
}

// relatedPersons maps each NK1 → RelatedPerson ("HL7 Segment - FHIR R4_
// NK1[RelatedPerson]"), keyed by the patient and NK1-1.
func (b *builder) relatedPersons() error {
	for _, l := range b.segs {
		if l.name != "NK1" {
			continue
		}
		nk1 := hl7v2.NK1{Segment: l.seg}
		rp := &r4.RelatedPerson{Meta: b.meta(), Patient: b.patientRef}
		for _, x := range nk1.Name2() {
			if n := b.humanName(x); n != nil {
				rp.Name = append(rp.Name, *n)
			}
		}
		for _, x := range nk1.ContactPersonsName() {
			if n := b.humanName(x); n != nil {
				rp.Name = append(rp.Name, *n)
			}
		}
		if cc := b.codeable(nk1.Relationship()); cc != nil {
			rp.Relationship = append(rp.Relationship, *cc)
		}
		if cc := b.codeable(nk1.ContactRole()); cc != nil {
			rp.Relationship = append(rp.Relationship, *cc)
		}
		for _, x := range nk1.Address() {
			if a := b.address(x); a != nil {
				rp.Address = append(rp.Address, *a)
			}
		}
		for _, x := range nk1.PhoneNumber() {
			if c := b.contactPoint(x, ""); c != nil {
				rp.Telecom = append(rp.Telecom, *c)
			}
		}
		for _, x := range nk1.BusinessPhoneNumber() {
			if c := b.contactPoint(x, "work"); c != nil {
				rp.Telecom = append(rp.Telecom, *c)
			}
		}
		start, end := b.date(nk1.StartDate().String(), l.field(8)), b.date(nk1.EndDate().String(), l.field(9))
		if start != "" || end != "" {
			rp.Period = &r4.Period{Start: start, End: end}
		}
		if g, ok := gender0001[strings.ToUpper(strings.TrimSpace(nk1.AdministrativeSex().Identifier))]; ok {
			rp.Gender = g
		}
		rp.BirthDate = b.date(nk1.DateTimeOfBirth().Component(1).String(), l.field(16))
		for _, cx := range nk1.NextOfKinAssociatedPartysIdentifiers() {
			id, err := b.identifierFromCX(cx, l, 33)
			if err != nil {
				return err
			}
			if id != nil {
				rp.Identifier = append(rp.Identifier, *id)
			}
		}
		if len(rp.Name) == 0 && len(rp.Relationship) == 0 && len(rp.Telecom) == 0 {
			continue
		}
		setID := strings.TrimSpace(nk1.SetID().String())
		if setID == "" {
			setID = strconv.Itoa(l.seq)
		}
		key := b.derivedKey("RelatedPerson", b.patientID, "NK1", setID)
		rp.Identifier = append(rp.Identifier, key)
		b.add(rp, l.String(), key, upsert)
	}
	return nil
}

// mapADTPerson maps A28 (add person) and A31 (update person): the Patient
// and its related parties; PV1 there is a placeholder and not mapped.
func mapADTPerson(b *builder) error {
	if err := b.patient(upsert); err != nil {
		return err
	}
	if err := b.relatedPersons(); err != nil {
		return err
	}
	return b.patientClinical()
}

// mapADT maps the visit events: Patient, Encounter, RelatedPerson,
// Coverage, AllergyIntolerance, Condition, Observation (ADT OBX).
func mapADT(b *builder) error {
	if err := b.patient(upsert); err != nil {
		return err
	}
	if err := b.relatedPersons(); err != nil {
		return err
	}
	if err := b.encounterFromPV1(upsert); err != nil {
		return err
	}
	return b.patientClinical()
}

// patientClinical maps the patient-level segments an ADT may carry.
func (b *builder) patientClinical() error {
	if err := b.allergies(); err != nil {
		return err
	}
	if err := b.conditions(); err != nil {
		return err
	}
	if err := b.coverages(); err != nil {
		return err
	}
	for _, l := range b.segs {
		if l.name == "OBX" {
			b.observation(l, nil, b.segsAfter(l, "NTE"))
		}
	}
	return nil
}

// segsAfter returns the run of segments named name right after l.
func (b *builder) segsAfter(l segLoc, name string) []segLoc {
	var out []segLoc
	for i, s := range b.segs {
		if s.seg != l.seg {
			continue
		}
		for _, n := range b.segs[i+1:] {
			if n.name != name {
				break
			}
			out = append(out, n)
		}
		break
	}
	return out
}
