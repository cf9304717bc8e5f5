package v2fhir

import (
	"strconv"
	"strings"

	"yigong/fhir/r4"
	"yigong/hl7v2"
)

// mapPharmacy maps RDE^O11, RDE^O25 (pharmacy encoded order) and RDS^O13
// (dispense): per ORC group a MedicationRequest from RXE (else RXO) and
// RXR ("HL7 Segment - FHIR R4_ RXO[MedicationRequest]",
// "RXR[MedicationRequest]"; RXE fields by analogy), and for RDS per RXD a
// MedicationDispense authorised by it.
func mapPharmacy(b *builder) error {
	if err := b.patient(ensure); err != nil {
		return err
	}
	if err := b.encounterFromPV1(ensure); err != nil {
		return err
	}
	groups := b.groups("ORC")
	if len(groups) == 0 {
		return &Error{Segment: "ORC", Sequence: 1, Code: "100", Msg: "ORC segment missing"}
	}
	for _, g := range groups {
		mr, err := b.medicationRequest(g)
		if err != nil {
			return err
		}
		for _, l := range g {
			if l.name == "RXD" {
				b.medicationDispense(l, g, mr)
			}
		}
	}
	return nil
}

// groups splits the message into runs that start at each segment named
// start (up to the next one).
func (b *builder) groups(start string) [][]segLoc {
	var out [][]segLoc
	for _, l := range b.segs {
		if l.name == start {
			out = append(out, []segLoc{l})
		} else if len(out) > 0 {
			out[len(out)-1] = append(out[len(out)-1], l)
		}
	}
	return out
}

func find(g []segLoc, name string) (segLoc, bool) {
	for _, l := range g {
		if l.name == name {
			return l, true
		}
	}
	return segLoc{}, false
}

// dosage builds a Dosage from give amounts and units and the group's first
// RXR after the order segment (RXR-1 route, -2 site, -4 method).
func (b *builder) dosage(min, max string, units hl7v2.CWE, text string, rxr *segLoc) *r4.Dosage {
	d := &r4.Dosage{Text: strings.TrimSpace(text)}
	lo, ok1 := decimal(min)
	hi, ok2 := decimal(max)
	u := b.unitQuantity(units)
	switch {
	case ok1 && ok2:
		ql, qh := u, u
		ql.Value, qh.Value = lo, hi
		d.DoseAndRate = []r4.DosageDoseAndRate{{DoseRange: &r4.Range{Low: &ql, High: &qh}}}
	case ok1:
		q := u
		q.Value = lo
		d.DoseAndRate = []r4.DosageDoseAndRate{{DoseQuantity: &q}}
	}
	if rxr != nil {
		s := hl7v2.RXR{Segment: rxr.seg}
		d.Route, d.Site, d.Method = b.codeable(s.Route()), b.codeable(s.AdministrationSite()), b.codeable(s.AdministrationMethod())
	}
	if d.Text == "" && d.DoseAndRate == nil && d.Route == nil && d.Site == nil && d.Method == nil {
		return nil
	}
	return d
}

func (b *builder) medicationRequest(g []segLoc) (*r4.Reference, error) {
	orcLoc := g[0]
	orc := hl7v2.ORC{Segment: orcLoc.seg}
	mr := &r4.MedicationRequest{Meta: b.meta(), Intent: "order", Subject: b.patientRef, Encounter: b.encounter}
	placer := b.identifierFromEI(orc.PlacerOrderNumber(), "PLAC", orcLoc.field(2))
	filler := b.identifierFromEI(orc.FillerOrderNumber(), "FILL", orcLoc.field(3))
	for _, id := range []*r4.Identifier{placer, filler} {
		if id != nil {
			mr.Identifier = append(mr.Identifier, *id)
		}
	}
	mr.Status = requestStatus0038[strings.ToUpper(strings.TrimSpace(orc.OrderStatus().String()))]
	if mr.Status == "" {
		mr.Status = requestStatus0119[strings.ToUpper(strings.TrimSpace(orc.OrderControl().String()))]
	}
	if mr.Status == "" {
		mr.Status = "unknown"
	}
	mr.AuthoredOn = b.dateTime(orc.DateTimeOfTransaction().Component(1).String(), orcLoc.field(9))
	for _, x := range orc.OrderingProvider() {
		if mr.Requester = b.practitioner(x, orcLoc.field(12)); mr.Requester != nil {
			break
		}
	}
	var rxr *segLoc
	if l, ok := find(g, "RXR"); ok {
		rxr = &l
	}
	rxeLoc, hasRXE := find(g, "RXE")
	rxoLoc, hasRXO := find(g, "RXO")
	prescription := ""
	switch {
	case hasRXE:
		rxe := hl7v2.RXE{Segment: rxeLoc.seg}
		mr.MedicationCodeableConcept = b.codeable(rxe.GiveCode()) // RXE-2
		var text []string
		for _, c := range rxe.ProvidersAdministrationInstructions() { // RXE-7
			text = append(text, firstNonEmpty(c.Text, c.OriginalText, c.Identifier))
		}
		if d := b.dosage(rxe.GiveAmountMinimum().String(), rxe.GiveAmountMaximum().String(), rxe.GiveUnits(),
			strings.Join(text, "; "), rxr); d != nil {
			mr.DosageInstruction = []r4.Dosage{*d}
		}
		dr := &r4.MedicationRequestDispenseRequest{} // RXE-10/11 quantity, RXE-12 refills
		if n, ok := decimal(rxe.DispenseAmount().String()); ok {
			q := b.unitQuantity(rxe.DispenseUnits())
			q.Value = n
			dr.Quantity = &q
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(rxe.NumberOfRefills().String()), 10, 32); err == nil && n >= 0 {
			dr.NumberOfRepeatsAllowed = r4.Int(n)
		}
		if dr.Quantity != nil || dr.NumberOfRepeatsAllowed != nil {
			mr.DispenseRequest = dr
		}
		prescription = strings.TrimSpace(rxe.PrescriptionNumber().String()) // RXE-15
	case hasRXO:
		rxo := hl7v2.RXO{Segment: rxoLoc.seg}
		mr.MedicationCodeableConcept = b.codeable(rxo.RequestedGiveCode()) // RXO-1
		if d := b.dosage(rxo.RequestedGiveAmountMinimum().String(), rxo.RequestedGiveAmountMaximum().String(),
			rxo.RequestedGiveUnits(), "", rxr); d != nil {
			mr.DosageInstruction = []r4.Dosage{*d}
		}
	}
	if mr.MedicationCodeableConcept == nil && hasRXO && hasRXE {
		mr.MedicationCodeableConcept = b.codeable(hl7v2.RXO{Segment: rxoLoc.seg}.RequestedGiveCode())
	}
	if mr.MedicationCodeableConcept == nil {
		if hasRXE {
			return nil, errAt(rxeLoc, 2, 0, "101", "RXE-2 give code missing")
		}
		return nil, errAt(orcLoc, 0, 0, "100", "order without RXE or RXO")
	}
	var key r4.Identifier
	switch {
	case placer != nil:
		key = r4.Identifier{System: placer.System, Value: placer.Value}
	case filler != nil:
		key = r4.Identifier{System: filler.System, Value: filler.Value}
	case prescription != "":
		key = r4.Identifier{System: b.senderSystem("prescription"), Value: prescription}
		mr.Identifier = append(mr.Identifier, key)
	default:
		key = b.messageKey(orcLoc.String())
		mr.Identifier = append(mr.Identifier, key)
	}
	mode := upsert
	if b.code == "RDS" {
		mode = ensure // the dispense refers to the order; the order message owns it
	}
	ref := b.add(mr, orcLoc.String()+"/MedicationRequest", key, mode)
	return ref, nil
}

// medicationDispense maps RXD → MedicationDispense: RXD-2 medication,
// RXD-3 whenHandedOver, RXD-4/5 quantity, RXD-10 performer, RXR dosage.
func (b *builder) medicationDispense(l segLoc, g []segLoc, mr *r4.Reference) {
	rxd := hl7v2.RXD{Segment: l.seg}
	md := &r4.MedicationDispense{Meta: b.meta(), Status: "completed", Subject: b.patientRef, Context: b.encounter,
		MedicationCodeableConcept: b.codeable(rxd.DispenseGiveCode())}
	if md.MedicationCodeableConcept == nil {
		b.warn(l.field(2), "MedicationDispense.medication", "dispense give code missing; RXD not mapped")
		return
	}
	if mr != nil {
		md.AuthorizingPrescription = []r4.Reference{*mr}
	}
	md.WhenHandedOver = b.dateTime(rxd.DateTimeDispensed().Component(1).String(), l.field(3))
	if n, ok := decimal(rxd.ActualDispenseAmount().String()); ok {
		q := b.unitQuantity(rxd.ActualDispenseUnits())
		q.Value = n
		md.Quantity = &q
	}
	for _, x := range rxd.DispensingProvider() {
		if ref := b.practitioner(x, l.field(10)); ref != nil {
			md.Performer = append(md.Performer, r4.MedicationDispensePerformer{Actor: ref})
			break
		}
	}
	// The RXR after the RXD gives its route.
	var rxr *segLoc
	for _, n := range b.segsAfter(l, "RXR") {
		rxr = &n
		break
	}
	if d := b.dosage("", "", hl7v2.CWE{}, strings.TrimSpace(rxd.DispenseNotes().String()), rxr); d != nil {
		md.DosageInstruction = []r4.Dosage{*d}
	}
	counter := strings.TrimSpace(rxd.DispenseSubIDCounter().String())
	if counter == "" {
		counter = strconv.Itoa(l.seq)
	}
	orc := hl7v2.ORC{Segment: g[0].seg}
	parent := b.identifierFromEI(orc.FillerOrderNumber(), "", g[0].field(3))
	if parent == nil {
		parent = b.identifierFromEI(orc.PlacerOrderNumber(), "", g[0].field(2))
	}
	var key r4.Identifier
	if parent != nil {
		key = b.derivedKey("MedicationDispense", &r4.Identifier{System: parent.System, Value: parent.Value}, "RXD", counter)
	} else {
		key = b.messageKey(l.String())
	}
	md.Identifier = []r4.Identifier{key}
	b.add(md, l.String(), key, upsert)
}
