package v2fhir

import (
	"strings"

	"yigong/fhir/r4"
	"yigong/hl7v2"
)

const (
	v3ActCode     = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
	v20004        = "http://terminology.hl7.org/CodeSystem/v2-0004"
	participation = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
)

// encounterFromPV1 maps PV1 (and PV2) → Encounter ("HL7 Segment - FHIR R4_
// PV1[Encounter]", "PV2[Encounter]"), keyed by PV1-19 visit number. A
// PV1 without a visit number gets a key scoped to this message (with a
// warning: later messages about the visit cannot find it). A message
// without PV1, or with an empty one, has no encounter.
func (b *builder) encounterFromPV1(mode int) error {
	l, ok := b.first("PV1")
	if !ok {
		return nil
	}
	pv1 := hl7v2.PV1{Segment: l.seg}
	class := strings.ToUpper(strings.TrimSpace(pv1.PatientClass().Identifier))
	visit := pv1.VisitNumber()
	if class == "" && visit.IDNumber == "" && pv1.AssignedPatientLocation().PointOfCare == "" {
		return nil
	}
	e := &r4.Encounter{Meta: b.meta(), Subject: b.patientRef}
	// PV1-19 → identifier[1] with type VN.
	var key r4.Identifier
	if visit.IDNumber != "" {
		id, err := b.identifierFromCX(visit, l, 19)
		if err != nil {
			return err
		}
		if id.System == "" {
			// A visit number is unique within its sender.
			id.System = b.senderSystem("visit")
		}
		id.Type = &r4.CodeableConcept{Coding: []r4.Coding{{System: v20203, Code: "VN"}}, Text: "visit number"}
		e.Identifier = append(e.Identifier, *id)
		key = r4.Identifier{System: id.System, Value: id.Value}
	} else {
		b.warn(l.field(19), "Encounter.identifier", "visit number missing: the encounter is keyed to this message only")
		key = b.messageKey("PV1")
		e.Identifier = append(e.Identifier, key)
	}
	for _, cx := range pv1.AlternateVisitID() { // PV1-50 → identifier[2]
		if id, err := b.identifierFromCX(cx, l, 50); err != nil {
			return err
		} else if id != nil {
			e.Identifier = append(e.Identifier, *id)
		}
	}
	// PV1-2 → class (PatientClass[EncounterClass], table 0004).
	if c, ok := encounterClass0004[class]; ok {
		sys := v3ActCode
		if c[0] == class {
			sys = v20004
		}
		e.Class = &r4.Coding{System: sys, Code: c[0], Display: c[1]}
	} else {
		if class != "" {
			b.warn(l.field(2), "Encounter.class", "patient class %q not in table 0004", class)
		}
		e.Class = &r4.Coding{System: "http://terminology.hl7.org/CodeSystem/v3-NullFlavor", Code: "UNK", Display: "unknown"}
	}
	// Status: the event (Event[EncounterStatus]), else the class
	// (PatientClass[EncounterStatus]); PV1-45 valued → finished.
	status := encounterStatusEvent[b.trigger]
	if status == "" {
		status = encounterStatusClass[class]
	}
	// PV1-44 → period.start, PV1-45 → period.end.
	start := b.dateTime(pv1.AdmitDateTime().Component(1).String(), l.field(44))
	end := b.dateTime(pv1.DischargeDateTime().Component(1).String(), l.field(45))
	if start != "" || end != "" {
		e.Period = &r4.Period{Start: start, End: end}
	}
	if end != "" && b.trigger != "A11" && b.trigger != "A13" {
		status = "finished"
	}
	if status == "" {
		status = "unknown"
	}
	e.Status = status
	// PV1-3 → location[1] (active, or planned for pre-admits); PV1-6 →
	// location[2] completed; PV1-11 → location[3] active (temporary);
	// PV1-42 → location[4] reserved.
	locs := []struct {
		field  int
		pl     hl7v2.PL
		status string
	}{
		{3, pv1.AssignedPatientLocation(), "active"},
		{6, pv1.PriorPatientLocation(), "completed"},
		{11, pv1.TemporaryLocation(), "active"},
		{42, pv1.PendingLocation(), "reserved"},
	}
	if class == "P" {
		locs[0].status = "planned"
	}
	for _, lc := range locs {
		if ref := b.location(lc.pl, l.field(lc.field)); ref != nil {
			e.Location = append(e.Location, r4.EncounterLocation{Location: ref, Status: lc.status})
		}
	}
	// PV1-4 → type; PV1-10 → serviceType.
	if cc := b.codeable(pv1.AdmissionType()); cc != nil {
		e.Type = append(e.Type, *cc)
	}
	if cc := b.codeable(pv1.HospitalService()); cc != nil {
		e.ServiceType = cc
	}
	// PV1-7/8/9/17 → participant ATND/REF/CON/ADM.
	for _, p := range []struct {
		field int
		xs    []hl7v2.XCN
		code  string
		text  string
	}{
		{7, pv1.AttendingDoctor(), "ATND", "attender"},
		{8, pv1.ReferringDoctor(), "REF", "referrer"},
		{9, pv1.ConsultingDoctor(), "CON", "consultant"},
		{17, pv1.AdmittingDoctor(), "ADM", "admitter"},
	} {
		for _, x := range p.xs {
			if ref := b.practitioner(x, l.field(p.field)); ref != nil {
				e.Participant = append(e.Participant, r4.EncounterParticipant{
					Type:       []r4.CodeableConcept{{Coding: []r4.Coding{{System: participation, Code: p.code, Display: p.text}}}},
					Individual: ref,
				})
			}
		}
	}
	// Hospitalization: PV1-5, 13, 14, 16, 36, 38.
	h := &r4.EncounterHospitalization{}
	if cx := pv1.PreadmitNumber(); cx.IDNumber != "" {
		if id, err := b.identifierFromCX(cx, l, 5); err == nil {
			h.PreAdmissionIdentifier = id
		}
	}
	h.ReAdmission = b.codeable(pv1.ReAdmissionIndicator())
	h.AdmitSource = b.codeable(pv1.AdmitSource())
	if cc := b.codeable(pv1.VIPIndicator()); cc != nil {
		h.SpecialCourtesy = []r4.CodeableConcept{*cc}
	}
	for _, c := range pv1.AmbulatoryStatus() {
		if cc := b.codeable(c); cc != nil {
			h.SpecialArrangement = append(h.SpecialArrangement, *cc)
		}
	}
	h.DischargeDisposition = b.codeable(pv1.DischargeDisposition())
	if cc := b.codeable(pv1.DietType()); cc != nil {
		h.DietPreference = []r4.CodeableConcept{*cc}
	}
	if h.PreAdmissionIdentifier != nil || h.ReAdmission != nil || h.AdmitSource != nil || h.SpecialCourtesy != nil ||
		h.SpecialArrangement != nil || h.DischargeDisposition != nil || h.DietPreference != nil {
		e.Hospitalization = h
	}
	// PV2-3 → reasonCode (PV2[Encounter]).
	if p2, ok := b.first("PV2"); ok {
		if cc := b.codeable(hl7v2.PV2{Segment: p2.seg}.AdmitReason()); cc != nil {
			e.ReasonCode = append(e.ReasonCode, *cc)
		}
	}
	b.encounter = b.add(e, "PV1", key, mode)
	return nil
}
