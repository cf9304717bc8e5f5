package v2fhir

import (
	"strconv"
	"strings"

	"yigong/fhir/r4"
	"yigong/hl7v2"
)

// allergies maps AL1 → AllergyIntolerance ("HL7 Segment - FHIR R4_
// AL1[AllergyIntolerance]"), keyed by the patient and the allergen code.
func (b *builder) allergies() error {
	for _, l := range b.segs {
		if l.name != "AL1" {
			continue
		}
		al1 := hl7v2.AL1{Segment: l.seg}
		code := b.codeable(al1.AllergenCodeMnemonicDescription())
		if code == nil {
			return errAt(l, 3, 0, "101", "AL1-3 allergen code missing")
		}
		a := &r4.AllergyIntolerance{Meta: b.meta(), Patient: b.patientRef, Encounter: b.encounter, Code: code,
			ClinicalStatus: &r4.CodeableConcept{Coding: []r4.Coding{{
				System: "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", Code: "active"}}}}
		typ := strings.ToUpper(strings.TrimSpace(al1.AllergenTypeCode().Identifier))
		if c, ok := allergyCategory0127[typ]; ok { // AllergenType[AllergyIntoleranceCategory]
			a.Category = []string{c}
		}
		if strings.HasSuffix(typ, "A") {
			a.Type = "allergy"
		}
		sev := strings.ToUpper(strings.TrimSpace(al1.AllergySeverityCode().Identifier))
		a.Criticality = allergyCriticality0128[sev] // AllergySeverity[AllergyIntolerance.criticality]
		var manifest []r4.CodeableConcept
		for _, r := range al1.AllergyReactionCode().Repetitions() {
			if t := strings.TrimSpace(r.String()); t != "" {
				manifest = append(manifest, r4.CodeableConcept{Text: t})
			}
		}
		if len(manifest) > 0 {
			a.Reaction = []r4.AllergyIntoleranceReaction{{Manifestation: manifest,
				Severity: allergySeverity0128[sev]}} // AllergySeverity[...reaction.severity]
		}
		a.OnsetDateTime = b.dateTime(al1.IdentificationDate().String(), l.field(6))
		codeKey := code.Text
		if len(code.Coding) > 0 {
			codeKey = code.Coding[0].System + "|" + code.Coding[0].Code
		}
		key := b.derivedKey("AllergyIntolerance", b.patientID, codeKey)
		a.Identifier = []r4.Identifier{key}
		b.add(a, l.String(), key, upsert)
	}
	return nil
}

// conditions maps DG1 → Condition ("HL7 Segment - FHIR R4_
// DG1[Condition]"), keyed by DG1-20 when sent, else by the patient, visit
// and diagnosis code.
func (b *builder) conditions() error {
	for _, l := range b.segs {
		if l.name != "DG1" {
			continue
		}
		dg1 := hl7v2.DG1{Segment: l.seg}
		code := b.codeable(dg1.DiagnosisCode())
		if desc := strings.TrimSpace(dg1.DiagnosisDescription().String()); desc != "" { // DG1-4 → code.text
			if code == nil {
				code = &r4.CodeableConcept{}
			}
			code.Text = desc
		}
		if code == nil {
			return errAt(l, 3, 0, "101", "DG1-3 diagnosis code missing")
		}
		c := &r4.Condition{Meta: b.meta(), Subject: b.patientRef, Encounter: b.encounter, Code: code,
			Category: []r4.CodeableConcept{{Coding: []r4.Coding{{
				System: "http://terminology.hl7.org/CodeSystem/condition-category", Code: "encounter-diagnosis"}}}}}
		c.OnsetDateTime = b.dateTime(dg1.DiagnosisDateTime().Component(1).String(), l.field(5))
		c.RecordedDate = b.dateTime(dg1.AttestationDateTime().Component(1).String(), l.field(19))
		for _, x := range dg1.DiagnosingClinician() {
			if ref := b.practitioner(x, l.field(16)); ref != nil {
				c.Asserter = ref
				break
			}
		}
		if strings.EqualFold(strings.TrimSpace(dg1.DiagnosisActionCode().String()), "D") { // DG1-21
			c.VerificationStatus = &r4.CodeableConcept{Coding: []r4.Coding{{
				System: "http://terminology.hl7.org/CodeSystem/condition-ver-status", Code: "entered-in-error"}}}
		}
		var key r4.Identifier
		if id := b.identifierFromEI(dg1.DiagnosisIdentifier(), "", l.field(20)); id != nil {
			key = r4.Identifier{System: id.System, Value: id.Value}
			c.Identifier = []r4.Identifier{*id}
		} else {
			codeKey := code.Text
			if len(code.Coding) > 0 {
				codeKey = code.Coding[0].System + "|" + code.Coding[0].Code
			}
			visit := ""
			if l, ok := b.first("PV1"); ok {
				visit = hl7v2.PV1{Segment: l.seg}.VisitNumber().IDNumber
			}
			key = b.derivedKey("Condition", b.patientID, visit, codeKey)
			c.Identifier = []r4.Identifier{key}
		}
		b.add(c, l.String(), key, upsert)
	}
	return nil
}

// coverages maps IN1 → Coverage ("HL7 Segment - FHIR R4_ IN1[Coverage]"),
// keyed by the patient, plan (IN1-2) and policy number (IN1-36). The payor
// (IN1-3/4) is a logical Organization reference; IN2/IN3 are not mapped.
func (b *builder) coverages() error {
	for _, l := range b.segs {
		if l.name != "IN1" {
			continue
		}
		in1 := hl7v2.IN1{Segment: l.seg}
		c := &r4.Coverage{Meta: b.meta(), Status: "active", Beneficiary: b.patientRef}
		plan := in1.HealthPlanID()
		if plan.Identifier != "" {
			c.Identifier = append(c.Identifier, r4.Identifier{System: b.codeSystem(plan.CodingSystem), Value: plan.Identifier})
		}
		policy := strings.TrimSpace(in1.PolicyNumber().String())
		if policy != "" {
			c.SubscriberId = policy
		}
		for i, name := range in1.InsuranceCompanyName() {
			ref := &r4.Reference{Type: "Organization", Display: strings.TrimSpace(name.OrganizationName)}
			if ids := in1.InsuranceCompanyID(); i < len(ids) && ids[i].IDNumber != "" {
				if id, err := b.identifierFromCX(ids[i], l, 3); err == nil && id != nil {
					ref.Identifier = &r4.Identifier{System: id.System, Value: id.Value}
				}
			}
			if ref.Display != "" || ref.Identifier != nil {
				c.Payor = append(c.Payor, *ref)
			}
		}
		if len(c.Payor) == 0 {
			// Coverage.payor is 1..*: the plan stands in for it.
			c.Payor = []r4.Reference{{Type: "Organization", Display: firstNonEmpty(plan.Text, plan.Identifier, "unknown payor")}}
		}
		start, end := b.date(in1.PlanEffectiveDate().String(), l.field(12)), b.date(in1.PlanExpirationDate().String(), l.field(13))
		if start != "" || end != "" {
			c.Period = &r4.Period{Start: start, End: end}
		}
		c.Type = b.codeable(in1.PlanType())
		c.Relationship = b.codeable(in1.InsuredsRelationshipToPatient())
		if rel := strings.ToUpper(strings.TrimSpace(in1.InsuredsRelationshipToPatient().Identifier)); rel == "SEL" || rel == "SELF" {
			c.Subscriber = b.patientRef
		}
		setID := strings.TrimSpace(in1.SetID().String())
		if setID == "" {
			setID = strconv.Itoa(l.seq)
		}
		key := b.derivedKey("Coverage", b.patientID, "IN1", plan.Identifier, policy, setID)
		c.Identifier = append(c.Identifier, key)
		b.add(c, l.String(), key, upsert)
	}
	return nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}
