package v2fhir

import (
	"encoding/base64"
	"strings"

	"yigong/fhir/r4"
	"yigong/hl7v2"
)

// mapDocument maps MDM^T02 (original document notification and content) →
// DocumentReference ("HL7 Segment - FHIR R4_ TXA[DocumentReference]",
// "OBX[DocumentReference]"), keyed by TXA-12 unique document number. The
// OBX content becomes content.attachment: TX/ST/FT lines joined as
// text/plain, an ED as its own type, inline base64 (the blob store takes
// large content over once the DICOM/blob work lands; the Attachment then
// carries a url instead of data).
func mapDocument(b *builder) error {
	l, ok := b.first("TXA")
	if !ok {
		return &Error{Segment: "TXA", Sequence: 1, Code: "100", Msg: "TXA segment missing"}
	}
	if err := b.patient(ensure); err != nil {
		return err
	}
	if err := b.encounterFromPV1(ensure); err != nil {
		return err
	}
	txa := hl7v2.TXA{Segment: l.seg}
	d := &r4.DocumentReference{Meta: b.meta(), Subject: b.patientRef, Status: "current"}
	if st := strings.ToUpper(strings.TrimSpace(txa.DocumentAvailabilityStatus().String())); st == "OB" || st == "UN" { // TXA-19
		d.Status = "superseded"
	}
	switch strings.ToUpper(strings.TrimSpace(txa.DocumentCompletionStatus().String())) { // TXA-17 → docStatus
	case "AU", "LA":
		d.DocStatus = "final"
	case "IP", "IN", "PA", "DI", "DO":
		d.DocStatus = "preliminary"
	case "CA":
		d.DocStatus = "entered-in-error"
	}
	d.Type = b.codeable(txa.DocumentType()) // TXA-2
	if d.Type == nil {
		if t := strings.TrimSpace(l.seg.Field(2).String()); t != "" {
			d.Type = &r4.CodeableConcept{Text: t}
		}
	}
	d.Date = b.instant(txa.OriginationDateTime().Component(1).String(), l.field(6)) // TXA-6 → date
	if d.Date == "" {
		d.Date = b.instant(txa.ActivityDateTime().Component(1).String(), l.field(4)) // else TXA-4
	}
	for _, x := range txa.OriginatorCodeName() { // TXA-9 → author
		if ref := b.practitioner(x, l.field(9)); ref != nil {
			d.Author = append(d.Author, *ref)
		}
	}
	for _, x := range txa.AssignedDocumentAuthenticator() { // TXA-10 → authenticator
		if d.Authenticator = b.practitioner(x, l.field(10)); d.Authenticator != nil {
			break
		}
	}
	if t := strings.TrimSpace(txa.DocumentTitle().String()); t != "" { // TXA-25
		d.Description = t
	}
	master := b.identifierFromEI(txa.UniqueDocumentNumber(), "", l.field(12)) // TXA-12
	if master != nil {
		master.Type = nil
		d.MasterIdentifier = master
	}
	if fn := strings.TrimSpace(txa.UniqueDocumentFileName().String()); fn != "" { // TXA-16
		d.Identifier = append(d.Identifier, r4.Identifier{System: b.senderSystem("document-file"), Value: fn})
	}
	if b.encounter != nil {
		d.Context = &r4.DocumentReferenceContext{Encounter: []r4.Reference{*b.encounter}}
	}
	// Content from the OBX segments.
	var text []string
	for _, o := range b.segs {
		if o.name != "OBX" {
			continue
		}
		obx := hl7v2.OBX{Segment: o.seg}
		switch typ := strings.ToUpper(strings.TrimSpace(obx.ValueType().String())); typ {
		case "TX", "ST", "FT":
			for _, r := range obx.ObservationValue().Repetitions() {
				s := b.text(r, typ == "FT")
				text = append(text, s)
			}
		case "ED":
			for _, r := range obx.ObservationValue().Repetitions() {
				if a := b.edAttachment(r, o.field(5)); a != nil {
					d.Content = append(d.Content, r4.DocumentReferenceContent{Attachment: a})
				}
			}
		default:
			b.notMapped(o.field(2), "DocumentReference.content", "OBX value type "+typ+" in a document")
		}
	}
	if len(text) > 0 {
		data := strings.Join(text, "\n")
		d.Content = append(d.Content, r4.DocumentReferenceContent{Attachment: &r4.Attachment{
			ContentType: "text/plain; charset=utf-8", Data: base64.StdEncoding.EncodeToString([]byte(data)), Size: r4.Int(int64(len(data)))}})
	}
	if len(d.Content) == 0 {
		// content is 1..*: a document announced without its body.
		d.Content = []r4.DocumentReferenceContent{{Attachment: &r4.Attachment{ContentType: mimeForPresentation(txa.DocumentContentPresentation().String()),
			Title: firstNonEmpty(d.Description, "document content not sent")}}}
		b.warn(l.String(), "DocumentReference.content", "no OBX content: the DocumentReference has no data")
	}
	var key r4.Identifier
	if master != nil {
		key = r4.Identifier{System: master.System, Value: master.Value}
	} else {
		b.warn(l.field(12), "DocumentReference.masterIdentifier", "unique document number missing: keyed to this message only")
		key = b.messageKey("TXA")
		d.Identifier = append(d.Identifier, key)
	}
	b.add(d, "TXA", key, upsert)
	return nil
}

// mimeForPresentation maps TXA-3 (HL7 table 0191) to a MIME type.
func mimeForPresentation(s string) string {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "TX", "FT", "TEXT":
		return "text/plain"
	case "AP":
		return "application/octet-stream"
	case "IM":
		return "image/jpeg"
	}
	return "application/octet-stream"
}

// mapImmunization maps VXU^V04 → Immunization per RXA ("HL7 Segment - FHIR
// R4_ RXA[Immunization]", "RXR[Immunization]", "ORC[Immunization]"),
// keyed by ORC-3 (filler), else ORC-2, else the patient, vaccine and date.
func mapImmunization(b *builder) error {
	if err := b.patient(upsert); err != nil {
		return err
	}
	if err := b.relatedPersons(); err != nil {
		return err
	}
	if err := b.encounterFromPV1(ensure); err != nil {
		return err
	}
	var orc segLoc
	n := 0
	for _, l := range b.segs {
		switch l.name {
		case "ORC":
			orc = l
		case "RXA":
			if err := b.immunization(orc, l); err != nil {
				return err
			}
			n++
		}
	}
	if n == 0 {
		return &Error{Segment: "RXA", Sequence: 1, Code: "100", Msg: "RXA segment missing"}
	}
	return nil
}

func (b *builder) immunization(orcLoc, l segLoc) error {
	f := func(n int) hl7v2.Field { return l.seg.Field(n) }
	vaccine := b.codeable(hl7v2.ParseCWE(f(5).Repetition(1))) // RXA-5
	if vaccine == nil {
		return errAt(l, 5, 0, "101", "RXA-5 administered code missing")
	}
	im := &r4.Immunization{Meta: b.meta(), VaccineCode: vaccine, Patient: b.patientRef, Encounter: b.encounter}
	// RXA-20 completion status (CompletionStatus), RXA-21 D → entered-in-error.
	im.Status = immunizationStatus0322[strings.ToUpper(strings.TrimSpace(f(20).String()))]
	if im.Status == "" {
		im.Status = "completed"
	}
	if strings.EqualFold(strings.TrimSpace(f(21).String()), "D") {
		im.Status = "entered-in-error"
	}
	im.OccurrenceDateTime = b.dateTime(f(3).Component(1).String(), l.field(3)) // RXA-3
	if im.OccurrenceDateTime == "" {
		return errAt(l, 3, 0, "101", "RXA-3 date/time start of administration missing")
	}
	if n, ok := decimal(f(6).String()); ok && f(6).String() != "999" { // RXA-6/7 doseQuantity
		q := b.unitQuantity(hl7v2.ParseCWE(f(7).Repetition(1)))
		q.Value = n
		im.DoseQuantity = &q
	}
	for _, r := range f(10).Repetitions() { // RXA-10 → performer AP
		if ref := b.practitioner(hl7v2.ParseXCN(r), l.field(10)); ref != nil {
			im.Performer = append(im.Performer, r4.ImmunizationPerformer{Actor: ref, Function: &r4.CodeableConcept{
				Coding: []r4.Coding{{System: "http://terminology.hl7.org/CodeSystem/v2-0443", Code: "AP", Display: "Administering Provider"}}}})
		}
	}
	im.LotNumber = strings.TrimSpace(f(15).Repetition(1).String())       // RXA-15
	im.ExpirationDate = b.date(f(16).Component(1).String(), l.field(16)) // RXA-16
	if mvx := hl7v2.ParseCWE(f(17).Repetition(1)); mvx.Identifier != "" || mvx.Text != "" {
		im.Manufacturer = &r4.Reference{Type: "Organization", Display: firstNonEmpty(mvx.Text, mvx.Identifier)}
		if mvx.Identifier != "" {
			im.Manufacturer.Identifier = &r4.Identifier{System: b.codeSystem(firstNonEmpty(mvx.CodingSystem, "MVX")), Value: mvx.Identifier}
		}
	}
	im.StatusReason = b.codeable(hl7v2.ParseCWE(f(18).Repetition(1))) // RXA-18
	for _, r := range f(19).Repetitions() {                           // RXA-19
		if cc := b.codeable(hl7v2.ParseCWE(r)); cc != nil {
			im.ReasonCode = append(im.ReasonCode, *cc)
		}
	}
	if strings.EqualFold(strings.TrimSpace(f(21).String()), "A") {
		im.Recorded = b.dateTime(f(22).Component(1).String(), l.field(22)) // RXA-22
	}
	if ref := b.location(hl7v2.ParsePL(f(27).Repetition(1)), l.field(27)); ref != nil { // RXA-27
		im.Location = ref
	}
	// RXA-9 administration notes: 00 new record → primarySource true.
	switch strings.TrimSpace(hl7v2.ParseCWE(f(9).Repetition(1)).Identifier) {
	case "00":
		im.PrimarySource = r4.Bool(true)
	case "":
	default:
		im.PrimarySource = r4.Bool(false)
	}
	for _, r := range b.segsAfter(l, "RXR") { // RXR-1 route, RXR-2 site
		rxr := hl7v2.RXR{Segment: r.seg}
		im.Route, im.Site = b.codeable(rxr.Route()), b.codeable(rxr.AdministrationSite())
		break
	}
	var key r4.Identifier
	orc := hl7v2.ORC{Segment: orcLoc.seg}
	filler := b.identifierFromEI(orc.FillerOrderNumber(), "FILL", orcLoc.field(3))
	placer := b.identifierFromEI(orc.PlacerOrderNumber(), "PLAC", orcLoc.field(2))
	for _, id := range []*r4.Identifier{placer, filler} {
		if id != nil {
			im.Identifier = append(im.Identifier, *id)
		}
	}
	switch {
	case filler != nil:
		key = r4.Identifier{System: filler.System, Value: filler.Value}
	case placer != nil:
		key = r4.Identifier{System: placer.System, Value: placer.Value}
	default:
		c := vaccine.Text
		if len(vaccine.Coding) > 0 {
			c = vaccine.Coding[0].System + "|" + vaccine.Coding[0].Code
		}
		key = b.derivedKey("Immunization", b.patientID, c, im.OccurrenceDateTime)
		im.Identifier = append(im.Identifier, key)
	}
	ref := b.add(im, l.String(), key, upsert)
	b.immunizationObservations(l, ref, key)
	return nil
}

// immunizationObservations maps the OBX segments of the RXA's order
// (VXU_V04.ORDER.OBSERVATION, up to the next ORC or RXA) to Observations
// part of the Immunization, each with the NTEs after it as notes ("HL7
// Message - FHIR R4_ VXU_V04" 12.6.1, OBX[Observation]: subject the
// Patient, partOf the Immunization). The IG leaves mapping particular
// ones (VIS document, funding eligibility) onto Immunization elements to a
// future guide, so every one travels as an Observation. Their keys derive
// from the Immunization's, so a re-sent or corrected VXU updates them.
func (b *builder) immunizationObservations(rxa segLoc, im *r4.Reference, key r4.Identifier) {
	oc := &orderCtx{report: &key, partOf: im, seen: map[string]int{}}
	start := -1
	for i, s := range b.segs {
		if s.seg == rxa.seg {
			start = i + 1
			break
		}
	}
	if start < 0 {
		return
	}
	for i := start; i < len(b.segs); i++ {
		l := b.segs[i]
		if l.name == "ORC" || l.name == "RXA" {
			return
		}
		if l.name == "OBX" {
			b.observation(l, oc, b.segsAfter(l, "NTE"))
		}
	}
}
