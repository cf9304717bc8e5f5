package v2fhir

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"

	"yigong/fhir/r4"
	"yigong/hl7v2"
)

const (
	ucumSystem       = "http://unitsofmeasure.org"
	interpretSystem  = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
	valueR5Extension = "http://hl7.org/fhir/5.0/StructureDefinition/extension-Observation.value"
)

// orderCtx is what the observations of one order share.
type orderCtx struct {
	request   *r4.Reference  // ServiceRequest
	report    *r4.Identifier // DiagnosticReport key, seeds observation keys
	effective string         // OBR-7
	specimen  *r4.Reference
	seen      map[string]int // observation key parts → count, for repeats
	partOf    *r4.Reference  // the event the observations are part of (VXU: the Immunization)
}

// observation maps OBX → Observation ("HL7 Segment - FHIR R4_
// OBX[Observation]") with its NTEs as notes, and returns a reference to
// it (nil when the OBX has no code).
func (b *builder) observation(l segLoc, oc *orderCtx, notes []segLoc) *r4.Reference {
	obx := hl7v2.OBX{Segment: l.seg}
	code := b.codeable(obx.ObservationIdentifier()) // OBX-3 → code
	if code == nil {
		b.warn(l.field(3), "Observation.code", "observation identifier missing; OBX not mapped")
		return nil
	}
	o := &r4.Observation{Meta: b.meta(), Code: code, Subject: b.patientRef, Encounter: b.encounter}
	// OBX-11 → status (ObservationResultStatusCodesInterpretation).
	st := strings.ToUpper(strings.TrimSpace(obx.ObservationResultStatus().String()))
	o.Status = observationStatus0085[st]
	if o.Status == "" {
		o.Status = "unknown"
	}
	b.observationValue(o, obx, l)
	// OBX-7 → referenceRange (text, and low/high when numeric).
	if rr := strings.TrimSpace(obx.ReferencesRange().String()); rr != "" {
		o.ReferenceRange = []r4.ObservationReferenceRange{b.referenceRange(rr, b.unitQuantity(obx.Units()))}
	}
	// OBX-8 → interpretation (InterpretationCodes, table 0078); HH, LL and
	// AA also tag the resource critical.
	var critical bool
	for _, c := range obx.InterpretationCodes() {
		flag := strings.ToUpper(strings.TrimSpace(c.Identifier))
		if flag == "" {
			continue
		}
		if disp, ok := interpretation0078[flag]; ok {
			o.Interpretation = append(o.Interpretation, r4.CodeableConcept{Coding: []r4.Coding{{System: interpretSystem, Code: flag, Display: disp}}})
			critical = critical || critical0078[flag]
		} else if cc := b.codeable(c); cc != nil {
			b.warn(l.field(8), "Observation.interpretation", "abnormal flag %q not in table 0078; kept as sent", flag)
			o.Interpretation = append(o.Interpretation, *cc)
		}
	}
	if critical {
		o.Meta = b.meta(r4.Coding{System: TagSystem, Code: TagCritical, Display: "critical result (OBX-8 HH, LL or AA)"})
	}
	// OBX-14 → effectiveDateTime, else the order's OBR-7.
	o.EffectiveDateTime = b.dateTime(obx.DateTimeOfTheObservation().Component(1).String(), l.field(14))
	if o.EffectiveDateTime == "" && oc != nil {
		o.EffectiveDateTime = oc.effective
	}
	// OBX-16 → performer; OBX-17 → method; OBX-20 → bodySite.
	for _, x := range obx.ResponsibleObserver() {
		if ref := b.practitioner(x, l.field(16)); ref != nil {
			o.Performer = append(o.Performer, *ref)
		}
	}
	if ms := obx.ObservationMethod(); len(ms) > 0 {
		o.Method = b.codeable(ms[0])
	}
	if ss := obx.ObservationSite(); len(ss) > 0 {
		o.BodySite = b.codeable(ss[0])
	}
	if name := strings.TrimSpace(obx.PerformingOrganizationName().OrganizationName); name != "" { // OBX-23
		o.Performer = append(o.Performer, r4.Reference{Type: "Organization", Display: name})
	}
	for _, n := range notes {
		if a := b.annotation(n); a != nil {
			o.Note = append(o.Note, *a)
		}
	}
	if oc != nil {
		if oc.request != nil {
			o.BasedOn = []r4.Reference{*oc.request}
		}
		if oc.partOf != nil {
			o.PartOf = []r4.Reference{*oc.partOf}
		}
		o.Specimen = oc.specimen
	}
	// Key: OBX-21 when sent; else the report key, OBX-3 code, OBX-4
	// sub-ID and repeat count; else this message.
	var key r4.Identifier
	mode := upsert
	if id := b.identifierFromEI(obx.ObservationInstanceIdentifier(), "FILL", l.field(21)); id != nil {
		o.Identifier = []r4.Identifier{*id}
		key = r4.Identifier{System: id.System, Value: id.Value}
	} else if oc != nil && oc.report != nil {
		part := strings.TrimSpace(obx.ObservationIdentifier().Identifier) + "|" + strings.TrimSpace(obx.ObservationSubID().String())
		oc.seen[part]++
		key = b.derivedKey("Observation", oc.report, part, strconv.Itoa(oc.seen[part]))
		o.Identifier = []r4.Identifier{key}
	} else {
		key = b.messageKey(l.String())
		o.Identifier = []r4.Identifier{key}
		mode = ensure
	}
	return b.add(o, l.String(), key, mode)
}

var decimalRE = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

// decimal normalises an HL7 NM ("+5", "007.50", ".5", "5.") to a FHIR
// decimal, keeping its precision; ok false when it is not a number.
func decimal(s string) (json.Number, bool) {
	s = strings.TrimSpace(s)
	neg := false
	if strings.HasPrefix(s, "+") {
		s = s[1:]
	} else if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	}
	if strings.HasPrefix(s, ".") {
		s = "0" + s
	}
	s = strings.TrimSuffix(s, ".")
	for len(s) > 1 && s[0] == '0' && s[1] != '.' {
		s = s[1:]
	}
	if neg {
		s = "-" + s
	}
	if !decimalRE.MatchString(s) {
		return "", false
	}
	return json.Number(s), true
}

// unitQuantity maps OBX-6 → the unit of a Quantity (CWE[Quantity]): CWE.2
// (else CWE.1) as unit, CWE.1 and CWE.3 as code and system when both are
// valued; a unit without a coding system that is a common UCUM unit (or a
// known spelling of one, like 10^9/L) gets the UCUM system and code.
func (b *builder) unitQuantity(u hl7v2.CWE) r4.Quantity {
	code, text, sys := strings.TrimSpace(u.Identifier), strings.TrimSpace(u.Text), strings.TrimSpace(u.CodingSystem)
	q := r4.Quantity{Unit: firstNonEmpty(text, code)}
	if code == "" {
		return q
	}
	switch {
	case strings.EqualFold(sys, "UCUM"):
		if alias, ok := ucumAliases[code]; ok {
			code = alias
		}
		q.System, q.Code = ucumSystem, code
	case sys != "":
		q.System, q.Code = b.codeSystem(sys), code
	default:
		if alias, ok := ucumAliases[code]; ok {
			q.System, q.Code = ucumSystem, alias
		} else if ucumUnits[code] {
			q.System, q.Code = ucumSystem, code
		}
	}
	if !codeLexeme.MatchString(q.Code) {
		q.System, q.Code = "", ""
	}
	return q
}

// observationValue maps OBX-2/OBX-5/OBX-6 to value[x].
func (b *builder) observationValue(o *r4.Observation, obx hl7v2.OBX, l segLoc) {
	reps := obx.ObservationValue().Repetitions()
	if len(reps) == 0 {
		return
	}
	typ := strings.ToUpper(strings.TrimSpace(obx.ValueType().String()))
	where := l.field(5)
	if len(reps) > 1 && typ != "TX" && typ != "FT" && typ != "ST" && typ != "MA" {
		b.warn(where, "Observation.value", "%d repetitions; only the first is mapped", len(reps))
	}
	v := reps[0]
	unit := b.unitQuantity(obx.Units())
	switch typ {
	case "NM": // NM[Quantity]
		if n, ok := decimal(v.String()); ok {
			q := unit
			q.Value = n
			o.ValueQuantity = &q
			return
		}
		b.warn(where, "Observation.value", "NM value %q is not a number; mapped as valueString", v.String())
		o.ValueString = strings.TrimSpace(v.String())
	case "ST", "TX", "FT": // valueString; repetitions are lines
		var lines []string
		for _, r := range reps {
			s := b.text(r, typ == "FT")
			lines = append(lines, s)
		}
		o.ValueString = strings.TrimRight(strings.Join(lines, "\n"), " \n")
	case "CE", "CWE", "CNE", "CF", "IS", "ID": // CWE[CodeableConcept]
		o.ValueCodeableConcept = b.codeable(hl7v2.ParseCWE(v))
	case "SN":
		b.structuredNumeric(o, hl7v2.ParseSN(v), unit, where)
	case "DT", "DTM", "TS": // valueDateTime
		o.ValueDateTime = b.dateTime(v.Component(1).String(), where)
	case "TM":
		if t, ok := hl7Time(v.String()); ok {
			o.ValueTime = t
		} else {
			o.ValueString = strings.TrimSpace(v.String())
		}
	case "NR": // NR[Range]
		lo, ok1 := decimal(v.Component(1).String())
		hi, ok2 := decimal(v.Component(2).String())
		r := &r4.Range{}
		if ok1 {
			r.Low = &r4.Quantity{Value: lo}
		}
		if ok2 {
			r.High = &r4.Quantity{Value: hi}
		}
		if ok1 || ok2 {
			o.ValueRange = r
		}
	case "DR": // DR[Period]
		s, e := b.dateTime(v.Component(1).Sub(1).String(), where), b.dateTime(v.Component(2).Sub(1).String(), where)
		if s != "" || e != "" {
			o.ValuePeriod = &r4.Period{Start: s, End: e}
		}
	case "NA", "MA": // NA[SampledData]
		b.sampledData(o, reps, unit, where)
	case "ED":
		if a := b.edAttachment(v, where); a != nil {
			o.Extension = append(o.Extension, r4.Extension{Url: valueR5Extension, ValueAttachment: a})
		}
	case "RP":
		ptr := strings.TrimSpace(v.Component(1).String())
		a := &r4.Attachment{ContentType: mimeType(v.Component(3).String(), v.Component(4).String())}
		if checkSystemURI(ptr) == nil {
			a.Url = ptr
		} else {
			a.Title = ptr
		}
		o.Extension = append(o.Extension, r4.Extension{Url: valueR5Extension, ValueAttachment: a})
	default:
		if typ == "" {
			b.warn(l.field(2), "Observation.value", "value type missing; OBX-5 mapped as valueString")
		} else {
			b.warn(l.field(2), "Observation.value", "value type %q not mapped; OBX-5 mapped as valueString", typ)
		}
		o.ValueString = strings.TrimSpace(v.String())
	}
}

// structuredNumeric maps SN: comparator+number → valueQuantity with
// comparator (SN[Quantity]); num-num → valueRange (SN[Range]); num:num or
// num/num → valueRatio (SN[Ratio]); "<>" and anything else → valueString.
func (b *builder) structuredNumeric(o *r4.Observation, sn hl7v2.SN, unit r4.Quantity, where string) {
	cmp := strings.TrimSpace(sn.Comparator)
	n1, ok1 := decimal(sn.Num1)
	n2, ok2 := decimal(sn.Num2)
	sep := strings.TrimSpace(sn.Separator)
	text := strings.TrimSpace(strings.Join([]string{sn.Comparator, sn.Num1, sn.Separator, sn.Num2}, " "))
	switch {
	case ok1 && sep == "" && sn.Num2 == "" && cmp != "<>":
		q := unit
		q.Value = n1
		switch cmp {
		case "<", ">", "<=", ">=":
			q.Comparator = cmp
		case "", "=":
		default:
			b.warn(where, "Observation.value", "SN comparator %q not recognised; left out", cmp)
		}
		o.ValueQuantity = &q
	case ok1 && ok2 && sep == "-" && cmp == "":
		lo, hi := unit, unit
		lo.Value, hi.Value = n1, n2
		o.ValueRange = &r4.Range{Low: &lo, High: &hi}
	case ok1 && ok2 && (sep == ":" || sep == "/") && cmp == "":
		o.ValueRatio = &r4.Ratio{Numerator: &r4.Quantity{Value: n1}, Denominator: &r4.Quantity{Value: n2}}
	default:
		o.ValueString = strings.Join(strings.Fields(text+" "+unit.Unit), " ")
	}
}

// sampledData maps NA (one series) or MA (series per component) to
// valueSampledData (NA[SampledData]): data is the numbers in order,
// dimensions the number of series. OBX carries no sampling period, so
// period is 0 (unknown) and origin 0 in OBX-6 units.
func (b *builder) sampledData(o *r4.Observation, reps []hl7v2.Value, unit r4.Quantity, where string) {
	var data []string
	dims := 0
	for i, r := range reps {
		comps := r.Components()
		if i == 0 {
			dims = len(comps)
		}
		for _, c := range comps {
			s := strings.TrimSpace(c.String())
			if s == "" {
				data = append(data, "E")
				continue
			}
			n, ok := decimal(s)
			if !ok {
				b.warn(where, "Observation.valueSampledData", "sample %q is not a number; marked E", s)
				data = append(data, "E")
				continue
			}
			data = append(data, string(n))
		}
	}
	if reps[0].Raw() == "" || dims == 0 {
		return
	}
	origin := unit
	origin.Value = "0"
	o.ValueSampledData = &r4.SampledData{Origin: &origin, Period: "0", Dimensions: r4.Int(int64(dims)), Data: strings.Join(data, " ")}
}

// edAttachment maps ED → Attachment (ED[Attachment]): ED.2/3 contentType,
// ED.4 encoding (Base64, Hex, A), ED.5 data, carried inline as base64.
func (b *builder) edAttachment(v hl7v2.Value, where string) *r4.Attachment {
	enc := strings.ToUpper(strings.TrimSpace(v.Component(4).String()))
	raw := v.Component(5).String()
	if strings.TrimSpace(raw) == "" {
		b.warn(where, "Observation.value", "ED without data left out")
		return nil
	}
	var data []byte
	var err error
	switch enc {
	case "BASE64":
		data, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(raw), ""))
	case "HEX":
		data, err = hex.DecodeString(strings.Join(strings.Fields(raw), ""))
	default: // A: ASCII (here, any text)
		data = []byte(raw)
	}
	if err != nil {
		b.warn(where, "Observation.value", "ED data is not valid %s; left out", enc)
		return nil
	}
	return &r4.Attachment{ContentType: mimeType(v.Component(2).String(), v.Component(3).String()),
		Data: base64.StdEncoding.EncodeToString(data), Size: r4.Int(int64(len(data)))}
}

// mimeType maps ED.2 type of data (HL7 table 0191) and ED.3 subtype (table
// 0291) to a MIME type.
func mimeType(typ, sub string) string {
	typ, sub = strings.ToUpper(strings.TrimSpace(typ)), strings.ToLower(strings.TrimSpace(sub))
	major := map[string]string{"AP": "application", "APPLICATION": "application", "IM": "image", "IMAGE": "image",
		"AU": "audio", "AUDIO": "audio", "TEXT": "text", "TX": "text", "VIDEO": "video", "MULTIPART": "multipart"}[typ]
	switch sub {
	case "pdf":
		return "application/pdf"
	case "jpeg", "jpg":
		return "image/jpeg"
	case "png", "gif", "tiff":
		return "image/" + sub
	case "xml", "html", "rtf":
		if major == "" {
			major = "text"
		}
		return major + "/" + sub
	case "dicom":
		return "application/dicom"
	}
	if major != "" && sub != "" && !strings.ContainsAny(sub, " /") {
		return major + "/" + sub
	}
	if major == "text" {
		return "text/plain"
	}
	return "application/octet-stream"
}

// hl7Time maps a TM (HHMM[SS[.S]]) to a FHIR time.
func hl7Time(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "+-"); i >= 0 {
		s = s[:i]
	}
	if i := strings.IndexByte(s, '.'); i >= 0 {
		s = s[:i]
	}
	if len(s) < 4 || len(s) > 6 || len(s)%2 != 0 || !allDigits(s) {
		return "", false
	}
	for len(s) < 6 {
		s += "00"
	}
	if s[0:2] > "23" || s[2:4] > "59" || s[4:6] > "59" {
		return "", false
	}
	return s[0:2] + ":" + s[2:4] + ":" + s[4:6], true
}

var rangeRE = regexp.MustCompile(`^\s*([<>]=?)?\s*([-+]?[0-9]*\.?[0-9]+)\s*(?:(?:-|~|–|—|to)\s*([-+]?[0-9]*\.?[0-9]+))?\s*$`)

// referenceRange maps OBX-7 → referenceRange: the text always; low and
// high when the text is "a-b", "<b", "<=b", ">a" or ">=a", in OBX-6 units.
func (b *builder) referenceRange(text string, unit r4.Quantity) r4.ObservationReferenceRange {
	rr := r4.ObservationReferenceRange{Text: text}
	m := rangeRE.FindStringSubmatch(text)
	if m == nil {
		return rr
	}
	q := func(s string) *r4.Quantity {
		n, ok := decimal(s)
		if !ok {
			return nil
		}
		c := unit
		c.Value = n
		return &c
	}
	switch {
	case m[1] == "" && m[3] != "":
		rr.Low, rr.High = q(m[2]), q(m[3])
	case strings.HasPrefix(m[1], "<") && m[3] == "":
		rr.High = q(m[2])
	case strings.HasPrefix(m[1], ">") && m[3] == "":
		rr.Low = q(m[2])
	}
	return rr
}
