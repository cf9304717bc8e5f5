package fhirv2

import (
	"errors"
	"strconv"
	"strings"

	"yigong/fhir/r4"
	"yigong/hl7v2"
)

const interpretationSystem = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"

// ReportFinal builds ORU^R01 (structure ORU_R01) for a DiagnosticReport:
// MSH, PID (from p), ORC with order control RE (observations to follow),
// OBR ("OBR[DiagnosticReport]" reversed: OBR-2/3 placer and filler numbers,
// OBR-4 code, OBR-7/8 effective time or period, OBR-22 issued, OBR-24
// category, OBR-25 result status), then one OBX per Observation of obs in
// the order given ("OBX[Observation]" reversed). obs should be the
// report's results, in DiagnosticReport.result order.
func (e *Encoder) ReportFinal(h Header, dr *r4.DiagnosticReport, obs []*r4.Observation, p *r4.Patient) (*hl7v2.Message, error) {
	if dr == nil || p == nil {
		return nil, errors.New("fhirv2: ORU^R01: a DiagnosticReport and its Patient are required")
	}
	code := e.cwe(dr.Code)
	if code == "" {
		return nil, errors.New("fhirv2: OBR-4: the DiagnosticReport has no code")
	}
	m, err := e.newPatientMessage(h, "ORU", "R01", "ORU_R01", p)
	if err != nil {
		return nil, err
	}
	placer, filler := orderNumbers(dr.Identifier)
	fillerEI := e.ei(filler)
	if fillerEI == "" {
		// OBR-3 is required in a result: the report's own id, scoped
		// by the hub.
		fillerEI = join(e.d.Component, e.esc(dr.ID), e.esc(e.cfg.Application))
	}
	placerEI := e.ei(placer)
	m.Add("ORC", trimFields([]string{"RE", placerEI, fillerEI})...)
	obr := make([]string, 25)
	obr[0], obr[1], obr[2], obr[3] = "1", placerEI, fillerEI, code
	switch {
	case dr.EffectiveDateTime != "":
		obr[6] = e.dtm(dr.EffectiveDateTime)
	case dr.EffectivePeriod != nil:
		obr[6], obr[7] = e.dtm(dr.EffectivePeriod.Start), e.dtm(dr.EffectivePeriod.End)
	}
	obr[21] = e.dtm(dr.Issued)
	for _, c := range dr.Category {
		for _, cd := range c.Coding {
			if cd.System == "http://terminology.hl7.org/CodeSystem/v2-0074" && obr[23] == "" {
				obr[23] = e.esc(cd.Code)
			}
		}
	}
	obr[24] = resultStatus0123[dr.Status]
	if obr[24] == "" {
		obr[24] = "F"
	}
	m.Add("OBR", obr...)
	n := 0
	for _, o := range obs {
		if o == nil {
			continue
		}
		f, ok := e.obx(o, obr[24])
		if !ok {
			continue
		}
		n++
		f[0] = strconv.Itoa(n)
		m.Add("OBX", trimFields(f)...)
	}
	return m, nil
}

// orderNumbers picks the placer (type PLAC) and filler (type FILL)
// identifiers; an untyped identifier stands for the filler, then for the
// placer.
func orderNumbers(ids []r4.Identifier) (placer, filler *r4.Identifier) {
	var untyped []*r4.Identifier
	for i := range ids {
		switch identifierType(ids[i]) {
		case "PLAC":
			if placer == nil {
				placer = &ids[i]
			}
		case "FILL":
			if filler == nil {
				filler = &ids[i]
			}
		case "":
			untyped = append(untyped, &ids[i])
		}
	}
	for _, id := range untyped {
		switch {
		case filler == nil:
			filler = id
		case placer == nil:
			placer = id
		}
	}
	return placer, filler
}

// obx maps Observation → OBX fields 1..17; ok is false without a code
// (OBX-3 is required).
func (e *Encoder) obx(o *r4.Observation, reportStatus string) ([]string, bool) {
	code := e.cwe(o.Code)
	if code == "" {
		return nil, false
	}
	f := make([]string, 17)
	f[2] = code
	typ, val, unit := e.observationValue(o)
	f[1], f[4], f[5] = typ, val, unit
	if len(o.ReferenceRange) > 0 {
		f[6] = e.referenceRange(o.ReferenceRange[0])
	}
	var flags []string
	for _, cc := range o.Interpretation {
		for _, c := range cc.Coding {
			if c.Code != "" && (c.System == interpretationSystem || c.System == "http://terminology.hl7.org/CodeSystem/v2-0078" || c.System == "") {
				flags = append(flags, e.esc(c.Code))
				break
			}
		}
	}
	f[7] = strings.Join(flags, string(e.d.Repetition))
	f[10] = observationStatus0085[o.Status]
	if f[10] == "" {
		f[10] = reportStatus
	}
	switch {
	case o.EffectiveDateTime != "":
		f[13] = e.dtm(o.EffectiveDateTime)
	case o.EffectiveInstant != "":
		f[13] = e.dtm(o.EffectiveInstant)
	case o.EffectivePeriod != nil:
		f[13] = e.dtm(o.EffectivePeriod.Start)
	}
	return f, true
}

// observationValue maps value[x] → OBX-2, OBX-5 and OBX-6.
func (e *Encoder) observationValue(o *r4.Observation) (typ, val, unit string) {
	c := string(e.d.Component)
	switch {
	case o.ValueQuantity != nil:
		q := o.ValueQuantity
		if q.Value == "" {
			return "", "", ""
		}
		switch q.Comparator {
		case "<", ">", "<=", ">=":
			return "SN", e.esc(q.Comparator) + c + string(q.Value), e.unit(q)
		}
		return "NM", string(q.Value), e.unit(q)
	case o.ValueString != "":
		s := strings.ReplaceAll(o.ValueString, "\r\n", "\n")
		if !strings.Contains(s, "\n") && len([]rune(s)) <= 199 {
			return "ST", e.esc(s), ""
		}
		return "TX", e.text(s), ""
	case o.ValueCodeableConcept != nil:
		return "CWE", e.cwe(o.ValueCodeableConcept), ""
	case o.ValueRange != nil:
		r := o.ValueRange
		var lo, hi string
		var u *r4.Quantity
		if r.Low != nil {
			lo, u = string(r.Low.Value), r.Low
		}
		if r.High != nil {
			hi = string(r.High.Value)
			if u == nil {
				u = r.High
			}
		}
		if lo == "" && hi == "" {
			return "", "", ""
		}
		var un string
		if u != nil {
			un = e.unit(u)
		}
		return "SN", join(e.d.Component, "", lo, "-", hi), un
	case o.ValueRatio != nil && o.ValueRatio.Numerator != nil && o.ValueRatio.Denominator != nil:
		return "SN", join(e.d.Component, "", string(o.ValueRatio.Numerator.Value), ":", string(o.ValueRatio.Denominator.Value)), ""
	case o.ValueDateTime != "":
		_, p, ok := parseFHIRTime(o.ValueDateTime)
		if !ok {
			return "", "", ""
		}
		if p <= hl7v2.PrecisionDay {
			return "DT", e.dtm(o.ValueDateTime), ""
		}
		return "TS", e.dtm(o.ValueDateTime), ""
	case o.ValueInteger != nil:
		return "NM", strconv.FormatInt(*o.ValueInteger, 10), ""
	case o.ValueBoolean != nil:
		if *o.ValueBoolean {
			return "CWE", join(e.d.Component, "Y", "Yes", "HL70136"), ""
		}
		return "CWE", join(e.d.Component, "N", "No", "HL70136"), ""
	case o.ValueTime != "":
		return "TM", strings.ReplaceAll(o.ValueTime, ":", ""), ""
	case o.ValuePeriod != nil:
		return "DR", join(e.d.Component, e.dtm(o.ValuePeriod.Start), e.dtm(o.ValuePeriod.End)), ""
	}
	return "", "", ""
}

// unit maps a Quantity's unit → OBX-6 (CWE[Quantity] reversed): code^unit^
// coding system when it has a code (UCUM for UCUM); else the unit text in
// CWE.1, where receivers read a unit.
func (e *Encoder) unit(q *r4.Quantity) string {
	code, text := strings.TrimSpace(q.Code), strings.TrimSpace(q.Unit)
	if code == "" {
		return e.esc(text)
	}
	if text == code {
		text = ""
	}
	return join(e.d.Component, e.esc(code), e.esc(text), e.esc(e.codeSystemName(q.System)))
}

// referenceRange maps referenceRange → OBX-7: its text, else low-high,
// >low or <high.
func (e *Encoder) referenceRange(rr r4.ObservationReferenceRange) string {
	if t := strings.TrimSpace(rr.Text); t != "" {
		return e.esc(t)
	}
	var lo, hi string
	if rr.Low != nil {
		lo = string(rr.Low.Value)
	}
	if rr.High != nil {
		hi = string(rr.High.Value)
	}
	switch {
	case lo != "" && hi != "":
		return e.esc(lo + "-" + hi)
	case lo != "":
		return e.esc(">" + lo)
	case hi != "":
		return e.esc("<" + hi)
	}
	return ""
}
