package v2fhir

import (
	"strconv"
	"strings"
	"time"

	"yigong/fhir/r4"
	"yigong/hl7v2"
)

// mapSchedule maps SIU^S12..S15 → Appointment ("HL7 Segment - FHIR R4_
// SCH[Appointment]", "AIS[Appointment]", "AIL[Appointment]"), keyed by the
// filler appointment ID (SCH-2, else SCH-1). Status: SCH-25 (table 0278,
// FillerStatusCodes[Appointment]) when sent, else per event (S12-S14
// booked, S15 cancelled); S15 is always cancelled.
func mapSchedule(b *builder) error {
	l, ok := b.first("SCH")
	if !ok {
		return &Error{Segment: "SCH", Sequence: 1, Code: "100", Msg: "SCH segment missing"}
	}
	if err := b.patient(ensure); err != nil {
		return err
	}
	if err := b.encounterFromPV1(ensure); err != nil {
		return err
	}
	sch := hl7v2.SCH{Segment: l.seg}
	a := &r4.Appointment{Meta: b.meta()}
	placer := b.identifierFromEI(sch.PlacerAppointmentID(), "PLAC", l.field(1))
	filler := b.identifierFromEI(sch.FillerAppointmentID(), "FILL", l.field(2))
	for _, id := range []*r4.Identifier{placer, filler} {
		if id != nil {
			a.Identifier = append(a.Identifier, *id)
		}
	}
	st := appointmentStatus0278[strings.ToUpper(strings.TrimSpace(sch.FillerStatusCode().Identifier))]
	if st == "" || b.trigger == "S15" {
		st = appointmentStatusEvent[b.trigger]
	}
	a.Status = st
	// SCH-7 reason (table 0276) or type (0277); SCH-8 type.
	if r := sch.AppointmentReason(); strings.EqualFold(r.CodingSystem, "HL70277") {
		a.AppointmentType = b.codeable(r)
	} else if cc := b.codeable(r); cc != nil {
		a.ReasonCode = []r4.CodeableConcept{*cc}
	}
	if a.AppointmentType == nil {
		a.AppointmentType = b.codeable(sch.AppointmentType())
	}
	// SCH-9/10 → minutesDuration.
	if n, err := strconv.ParseFloat(strings.TrimSpace(sch.AppointmentDuration().String()), 64); err == nil && n > 0 {
		if m := durationMinutes(n, sch.AppointmentDurationUnits()); m > 0 {
			a.MinutesDuration = r4.Int(m)
		}
	}
	// SCH-11 (TQ: quantity^interval^duration^start^end) → start/end.
	tq := sch.AppointmentTimingQuantity().Repetition(1)
	a.Start = b.instant(tq.Component(4).Sub(1).String(), l.field(11))
	a.End = b.instant(tq.Component(5).Sub(1).String(), l.field(11))
	// The patient, then AIS (service), AIL (location) participants.
	if b.patientRef != nil {
		a.Participant = append(a.Participant, r4.AppointmentParticipant{Actor: b.patientRef, Status: "accepted"})
	}
	for _, x := range sch.FillerContactPerson() { // SCH-16
		if ref := b.practitioner(x, l.field(16)); ref != nil {
			a.Participant = append(a.Participant, r4.AppointmentParticipant{Actor: ref, Status: "accepted"})
		}
	}
	for _, s := range b.segs {
		switch s.name {
		case "AIS":
			ais := hl7v2.AIS{Segment: s.seg}
			if cc := b.codeable(ais.UniversalServiceIdentifier()); cc != nil { // AIS-3
				a.ServiceType = append(a.ServiceType, *cc)
			}
			if a.Start == "" { // AIS-4 start, AIS-7/8 duration
				a.Start = b.instant(ais.StartDateTime().Component(1).String(), s.field(4))
				if a.Start != "" && a.End == "" {
					if n, err := strconv.ParseFloat(strings.TrimSpace(ais.Duration().String()), 64); err == nil && n > 0 {
						a.End = addMinutes(a.Start, durationMinutes(n, []hl7v2.CWE{ais.DurationUnits()}))
					}
				}
			}
		case "AIL":
			ail := hl7v2.AIL{Segment: s.seg}
			if ref := b.location(ail.LocationResourceID(), s.field(3)); ref != nil { // AIL-3
				p := r4.AppointmentParticipant{Actor: ref, Status: "accepted"}
				if st := appointmentParticipant(ail.FillerStatusCode()); st != "" {
					p.Status = st
				}
				a.Participant = append(a.Participant, p)
			}
		}
	}
	if len(a.Participant) == 0 {
		return errAt(l, 0, 0, "100", "appointment has no participant")
	}
	var key r4.Identifier
	switch {
	case filler != nil:
		key = r4.Identifier{System: filler.System, Value: filler.Value}
	case placer != nil:
		key = r4.Identifier{System: placer.System, Value: placer.Value}
	default:
		return errAt(l, 2, 0, "101", "SCH-1 and SCH-2 appointment IDs missing")
	}
	b.add(a, "SCH", key, upsert)
	return nil
}

func appointmentParticipant(c hl7v2.CWE) string {
	switch strings.ToUpper(strings.TrimSpace(c.Identifier)) {
	case "CANCELLED", "DELETED", "NOSHOW":
		return "declined"
	case "PENDING", "WAITLIST":
		return "tentative"
	}
	return ""
}

// durationMinutes converts n in the first of units (ISO+/ANSI+ or UCUM:
// s, min, h, d) to whole minutes; minutes when no unit is given.
func durationMinutes(n float64, units []hl7v2.CWE) int64 {
	u := ""
	if len(units) > 0 {
		u = strings.ToLower(strings.TrimSpace(units[0].Identifier))
	}
	switch u {
	case "s", "sec", "second", "seconds":
		n /= 60
	case "h", "hr", "hour", "hours":
		n *= 60
	case "d", "day", "days":
		n *= 1440
	}
	return int64(n + 0.5)
}

func addMinutes(instant string, m int64) string {
	t, err := time.Parse(time.RFC3339, instant)
	if err != nil || m <= 0 {
		return ""
	}
	return t.Add(time.Duration(m) * time.Minute).Format("2006-01-02T15:04:05-07:00")
}
