package v2fhir

import (
	"strings"

	"yigong/fhir/r4"
	"yigong/hl7v2"
)

// priority0485 is "HL7 Concept Map_ ExtendedPriorityCodes" (OBR-5, TQ1-9).
var priority0485 = map[string]string{"S": "stat", "A": "asap", "R": "routine"}

// mapOrder maps ORM^O01, OML^O21 and OML^O33: Patient and Encounter
// (referred to: conditional create), then per ORC/OBR a ServiceRequest
// (conditional update on the placer order number: the orderer is the
// source of truth) and per SPM a Specimen.
func mapOrder(b *builder) error {
	if err := b.patient(ensure); err != nil {
		return err
	}
	if err := b.encounterFromPV1(ensure); err != nil {
		return err
	}
	return b.orders(false)
}

// mapResults maps ORU^R01 and OUL^R22: Patient and Encounter (referred
// to), per OBR a ServiceRequest (conditional create) and a DiagnosticReport
// (conditional update on the filler order number: the lab is the source of
// truth, so a corrected report replaces the preliminary one), per OBX an
// Observation, per SPM a Specimen.
func mapResults(b *builder) error {
	if err := b.patient(ensure); err != nil {
		return err
	}
	if err := b.encounterFromPV1(ensure); err != nil {
		return err
	}
	return b.orders(true)
}

// orders walks ORC, OBR, OBX, NTE and SPM in message order. Specimens come
// before their orders in OUL^R22 and OML^O33 and after them otherwise.
func (b *builder) orders(results bool) error {
	specimenFirst := b.code == "OUL" || b.trigger == "O33"
	var orc segLoc
	var oc *orderCtx
	var sr *r4.ServiceRequest
	var dr *r4.DiagnosticReport
	var pending *r4.Reference
	attach := func(ref *r4.Reference) {
		if sr != nil {
			sr.Specimen = append(sr.Specimen, *ref)
		}
		if dr != nil {
			dr.Specimen = append(dr.Specimen, *ref)
		}
		if oc != nil && oc.specimen == nil {
			oc.specimen = ref
		}
	}
	for _, l := range b.segs {
		switch l.name {
		case "ORC":
			orc, oc, sr, dr = l, nil, nil, nil
		case "OBR":
			var err error
			oc, sr, dr, err = b.order(orc, l, results)
			if err != nil {
				return err
			}
			if pending != nil && specimenFirst {
				attach(pending)
			}
			for _, n := range b.segsAfter(l, "NTE") {
				if a := b.annotation(n); a != nil {
					sr.Note = append(sr.Note, *a)
				}
			}
		case "OBX":
			ref := b.observation(l, oc, b.segsAfter(l, "NTE"))
			if ref != nil && dr != nil {
				dr.Result = append(dr.Result, *ref)
			} else if ref != nil && sr != nil {
				sr.SupportingInfo = append(sr.SupportingInfo, *ref)
			}
		case "SPM":
			ref := b.specimen(l, oc)
			if ref == nil {
				continue
			}
			if specimenFirst {
				pending = ref
				oc, sr, dr = nil, nil, nil
			} else {
				attach(ref)
			}
		}
	}
	return nil
}

// order maps one ORC/OBR pair → ServiceRequest ("HL7 Segment - FHIR R4_
// ORC[ServiceRequest]", "OBR[ServiceRequest]") and, for results, →
// DiagnosticReport ("OBR[DiagnosticReport]", "ORC[DiagnosticReport]").
func (b *builder) order(orcLoc, obrLoc segLoc, results bool) (*orderCtx, *r4.ServiceRequest, *r4.DiagnosticReport, error) {
	obr := hl7v2.OBR{Segment: obrLoc.seg}
	orc := hl7v2.ORC{Segment: orcLoc.seg}
	code := b.codeable(obr.UniversalServiceIdentifier()) // OBR-4 → code
	if code == nil {
		return nil, nil, nil, errAt(obrLoc, 4, 0, "101", "OBR-4 universal service identifier missing")
	}
	// ORC-2/OBR-2 → identifier PLAC; ORC-3/OBR-3 → identifier FILL.
	placerEI, fillerEI := orc.PlacerOrderNumber(), orc.FillerOrderNumber()
	placerWhere, fillerWhere := orcLoc.field(2), orcLoc.field(3)
	if e := obr.PlacerOrderNumber(); e.EntityIdentifier != "" {
		placerEI, placerWhere = e, obrLoc.field(2)
	}
	if e := obr.FillerOrderNumber(); e.EntityIdentifier != "" {
		fillerEI, fillerWhere = e, obrLoc.field(3)
	}
	placer := b.identifierFromEI(placerEI, "PLAC", placerWhere)
	filler := b.identifierFromEI(fillerEI, "FILL", fillerWhere)
	var ids []r4.Identifier
	for _, id := range []*r4.Identifier{placer, filler} {
		if id != nil {
			ids = append(ids, *id)
		}
	}
	pos := obrLoc.String()
	sr := &r4.ServiceRequest{Meta: b.meta(), Identifier: ids, Intent: "order", Code: code, Subject: b.patientRef, Encounter: b.encounter}
	// Status: ORC-5 (OrderStatus), else ORC-1 (OrderControlCode).
	sr.Status = requestStatus0038[strings.ToUpper(strings.TrimSpace(orc.OrderStatus().String()))]
	if sr.Status == "" {
		sr.Status = requestStatus0119[strings.ToUpper(strings.TrimSpace(orc.OrderControl().String()))]
	}
	if sr.Status == "" {
		if results {
			sr.Status = "completed"
		} else {
			sr.Status = "unknown"
		}
	}
	if strings.EqualFold(strings.TrimSpace(obr.SpecimenActionCode().String()), "G") { // OBR-11
		sr.Intent = "reflex-order"
	}
	sr.Priority = priority0485[strings.ToUpper(strings.TrimSpace(obr.Priority().String()))]
	if tq, ok := b.first("TQ1"); ok && sr.Priority == "" {
		sr.Priority = priority0485[strings.ToUpper(strings.TrimSpace(tq.seg.Field(9).Component(1).String()))]
	}
	sr.OccurrenceDateTime = b.dateTime(obr.RequestedDateTime().Component(1).String(), obrLoc.field(6))
	sr.AuthoredOn = b.dateTime(orc.DateTimeOfTransaction().Component(1).String(), orcLoc.field(9))
	for _, x := range orc.OrderingProvider() { // ORC-12, else OBR-16 → requester
		if sr.Requester = b.practitioner(x, orcLoc.field(12)); sr.Requester != nil {
			break
		}
	}
	if sr.Requester == nil {
		for _, x := range obr.OrderingProvider() {
			if sr.Requester = b.practitioner(x, obrLoc.field(16)); sr.Requester != nil {
				break
			}
		}
	}
	for _, c := range obr.ReasonForStudy() { // OBR-31 → reasonCode
		if cc := b.codeable(c); cc != nil {
			sr.ReasonCode = append(sr.ReasonCode, *cc)
		}
	}
	srKey, srMode := r4.Identifier{}, ensure
	switch {
	case placer != nil:
		srKey = r4.Identifier{System: placer.System, Value: placer.Value}
	case filler != nil:
		srKey = r4.Identifier{System: filler.System, Value: filler.Value}
	default:
		srKey = b.messageKey(pos + "/ServiceRequest")
		sr.Identifier = append(sr.Identifier, srKey)
	}
	if !results {
		srMode = upsert
	}
	srRef := b.add(sr, pos+"/ServiceRequest", srKey, srMode)
	oc := &orderCtx{request: srRef, seen: map[string]int{}}
	oc.effective = b.dateTime(obr.ObservationDateTime().Component(1).String(), obrLoc.field(7))
	if !results {
		return oc, sr, nil, nil
	}
	dr := &r4.DiagnosticReport{Meta: b.meta(), Identifier: ids, BasedOn: []r4.Reference{*srRef}, Code: code,
		Subject: b.patientRef, Encounter: b.encounter}
	dr.Status = reportStatus0123[strings.ToUpper(strings.TrimSpace(obr.ResultStatus().String()))]
	if dr.Status == "" {
		dr.Status = "unknown"
	}
	if sect := strings.TrimSpace(obr.DiagnosticServSectID().String()); sect != "" && codeLexeme.MatchString(sect) { // OBR-24
		dr.Category = []r4.CodeableConcept{{Coding: []r4.Coding{{System: "http://terminology.hl7.org/CodeSystem/v2-0074", Code: sect}}}}
	}
	// OBR-7 → effectiveDateTime, or effectivePeriod with OBR-8.
	if end := b.dateTime(obr.ObservationEndDateTime().Component(1).String(), obrLoc.field(8)); end != "" {
		dr.EffectivePeriod = &r4.Period{Start: oc.effective, End: end}
	} else {
		dr.EffectiveDateTime = oc.effective
	}
	dr.Issued = b.instant(obr.ResultsRptStatusChngDateTime().Component(1).String(), obrLoc.field(22))
	var drKey r4.Identifier
	switch {
	case filler != nil:
		drKey = r4.Identifier{System: filler.System, Value: filler.Value}
	case placer != nil:
		drKey = r4.Identifier{System: placer.System, Value: placer.Value}
	default:
		drKey = b.messageKey(pos + "/DiagnosticReport")
		dr.Identifier = append(dr.Identifier, drKey)
	}
	b.add(dr, pos+"/DiagnosticReport", drKey, upsert)
	oc.report = &drKey
	return oc, sr, dr, nil
}

// specimen maps SPM → Specimen ("HL7 Segment - FHIR R4_ SPM[Specimen]"),
// keyed by the filler (else placer) specimen ID from SPM-2.
func (b *builder) specimen(l segLoc, oc *orderCtx) *r4.Reference {
	spm := hl7v2.SPM{Segment: l.seg}
	s := &r4.Specimen{Meta: b.meta(), Subject: b.patientRef}
	// SPM-2 (EIP): placer^filler, each an EI in sub-components.
	id2 := spm.SpecimenID().Repetition(1)
	sub := func(c hl7v2.Value) hl7v2.EI {
		return hl7v2.EI{EntityIdentifier: c.Sub(1).String(), NamespaceID: c.Sub(2).String(), UniversalID: c.Sub(3).String(), UniversalIDType: c.Sub(4).String()}
	}
	placer := b.identifierFromEI(sub(id2.Component(1)), "PLAC", l.field(2))
	filler := b.identifierFromEI(sub(id2.Component(2)), "FILL", l.field(2))
	for _, id := range []*r4.Identifier{placer, filler} {
		if id != nil {
			s.Identifier = append(s.Identifier, *id)
		}
	}
	s.Type = b.codeable(spm.SpecimenType()) // SPM-4
	if s.Type == nil && len(s.Identifier) == 0 {
		return nil
	}
	coll := &r4.SpecimenCollection{Method: b.codeable(spm.SpecimenCollectionMethod()), BodySite: b.codeable(spm.SpecimenSourceSite())}
	// SPM-17 → collection.collected[x] (DR: start^end).
	dr := spm.SpecimenCollectionDateTime().Repetition(1)
	start := b.dateTime(dr.Component(1).Sub(1).String(), l.field(17))
	if end := b.dateTime(dr.Component(2).Sub(1).String(), l.field(17)); end != "" {
		coll.CollectedPeriod = &r4.Period{Start: start, End: end}
	} else {
		coll.CollectedDateTime = start
	}
	if q := spm.SpecimenCollectionAmount(); q.Quantity != "" { // SPM-12
		if n, ok := decimal(q.Quantity); ok {
			qq := b.unitQuantity(q.Units)
			qq.Value = n
			coll.Quantity = &qq
		}
	}
	if coll.Method != nil || coll.BodySite != nil || coll.CollectedDateTime != "" || coll.CollectedPeriod != nil || coll.Quantity != nil {
		s.Collection = coll
	}
	s.ReceivedTime = b.dateTime(spm.SpecimenReceivedDateTime().Component(1).String(), l.field(18)) // SPM-18
	for _, c := range spm.SpecimenCondition() {                                                    // SPM-24
		if cc := b.codeable(c); cc != nil {
			s.Condition = append(s.Condition, *cc)
		}
	}
	if d := strings.TrimSpace(spm.SpecimenDescription().String()); d != "" { // SPM-14 → note
		s.Note = []r4.Annotation{{Text: d}}
	}
	if oc != nil && oc.request != nil {
		s.Request = []r4.Reference{*oc.request}
	}
	var key r4.Identifier
	switch {
	case filler != nil:
		key = r4.Identifier{System: filler.System, Value: filler.Value}
	case placer != nil:
		key = r4.Identifier{System: placer.System, Value: placer.Value}
	default:
		key = b.messageKey(l.String())
		s.Identifier = append(s.Identifier, key)
	}
	return b.add(s, l.String(), key, ensure)
}
