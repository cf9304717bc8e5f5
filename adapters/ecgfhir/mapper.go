package ecgfhir

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"yigong/ecg"
	"yigong/fhir/r4"
)

// Mapper translates analysed ECG records into FHIR transaction Bundles. It
// is immutable after New and safe for concurrent use.
type Mapper struct {
	cfg Config
}

// New validates cfg and returns a Mapper.
func New(cfg Config) (*Mapper, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Mapper{cfg: cfg}, nil
}

// Input is one tracing to translate: the decoded record, what
// ecg/analysis and ecg/quality found in it, the original bytes and the
// rendered PDF.
type Input struct {
	Record *ecg.Record
	// Original is the file as received; its SHA-256 keys every resource.
	Original []byte
	// OriginalURL is where the blob store keeps Original (the
	// DocumentReference's attachment.url). "" puts Original inline in the
	// attachment (base64), for hosts without a blob store.
	OriginalURL string
	// Measurements are the computed measurements (analysis.Report's);
	// the record's own (device-reported) ones are mapped too.
	Measurements []ecg.Measurement
	// Findings are the critical findings (analysis.Critical) and the
	// quality findings (quality.Check).
	Findings []ecg.Finding
	// PDF is the rendered tracing (render.PDF), the report's
	// presentedForm; nil leaves it out.
	PDF []byte
	// Institution owns the data; it scopes the default patient ID system.
	Institution string
}

// Result is the translation of one tracing.
type Result struct {
	// Bundle is a transaction whose entries are all conditional creates
	// (POST with ifNoneExist on an identifier), with deterministic
	// urn:uuid fullUrls: the same file gives the same Bundle, and
	// executing it again writes nothing.
	Bundle *r4.Bundle
	// Key is the hex SHA-256 of the original: the DiagnosticReport's
	// identifier value (system SystemOriginal).
	Key string
	// ReportIndex is the index of the DiagnosticReport entry.
	ReportIndex int
	// Warnings are problems that did not stop the mapping.
	Warnings []string
}

// ErrNoRecord is returned for an Input without a record or samples.
var ErrNoRecord = errors.New("ecgfhir: no record or no samples")

// builder accumulates one Bundle.
type builder struct {
	m         *Mapper
	in        Input
	key       string
	entries   []r4.BundleEntry
	warnings  []string
	effective string
	patient   *r4.Reference
	device    *r4.Reference
}

// Build translates in into a transaction Bundle.
func (m *Mapper) Build(ctx context.Context, in Input) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("ecgfhir: %w", err)
	}
	rec := in.Record
	if rec == nil || len(rec.Leads) == 0 || rec.SampleRate <= 0 {
		return nil, ErrNoRecord
	}
	sum := sha256.Sum256(in.Original)
	b := &builder{m: m, in: in, key: hex.EncodeToString(sum[:])}
	if !rec.Start.IsZero() {
		b.effective = rec.Start.Format(time.RFC3339Nano)
	}
	b.patientEntry()
	b.deviceEntry()
	doc := b.originalEntry()
	wave := b.waveformEntry(doc)
	results := []r4.Reference{wave}
	results = append(results, b.measurementEntries()...)
	results = append(results, b.findingEntries()...)
	idx := b.reportEntry(results)
	return &Result{
		Bundle:      &r4.Bundle{Type: "transaction", Entry: b.entries},
		Key:         b.key,
		ReportIndex: idx,
		Warnings:    b.warnings,
	}, nil
}

// add appends a conditional create of r keyed on identifier id and
// returns a reference to its fullUrl.
func (b *builder) add(r r4.Resource, id r4.Identifier, part string) r4.Reference {
	if o, ok := r.(*r4.Observation); ok && len(o.Identifier) == 0 {
		o.Identifier = []r4.Identifier{id}
	}
	full := entryUUID(b.key, r.ResourceType()+"/"+part)
	b.entries = append(b.entries, r4.BundleEntry{
		FullUrl:  full,
		Resource: &r4.AnyResource{Resource: r},
		Request: &r4.BundleEntryRequest{Method: "POST", Url: r.ResourceType(),
			IfNoneExist: "identifier=" + tokenParam(id.System, id.Value)},
	})
	return r4.Reference{Reference: full, Type: r.ResourceType()}
}

// partID is the identifier of a resource derived from the original.
func (b *builder) partID(part string) r4.Identifier {
	if part == "" {
		return r4.Identifier{System: SystemOriginal, Value: b.key}
	}
	return r4.Identifier{System: SystemOriginal, Value: b.key + "/" + part}
}

func (b *builder) patientEntry() {
	p := b.in.Record.Patient
	pid := strings.TrimSpace(p.ID)
	if pid == "" {
		b.warnings = append(b.warnings, "no patient ID in the file: the report has no subject")
		return
	}
	id := r4.Identifier{Use: "usual", System: b.m.cfg.patientSystem(b.in.Institution), Value: pid}
	if !b.m.cfg.NoResidentID {
		if n, ok := residentID(pid); ok {
			id = r4.Identifier{Use: "official", System: ResidentIDSystem, Value: n,
				Type: &r4.CodeableConcept{Coding: []r4.Coding{{System: SystemV2_0203, Code: "NNCHN"}}}}
		}
	}
	pt := &r4.Patient{Identifier: []r4.Identifier{id}}
	if name := humanName(p); name != nil {
		pt.Name = []r4.HumanName{*name}
	}
	switch p.Sex {
	case ecg.SexMale:
		pt.Gender = "male"
	case ecg.SexFemale:
		pt.Gender = "female"
	case ecg.SexUnspecified:
		pt.Gender = "other"
	}
	if !p.BirthDate.IsZero() {
		pt.BirthDate = p.BirthDate.Format("2006-01-02")
	}
	ref := b.add(pt, id, "patient")
	b.patient = &ref
}

func humanName(p ecg.Patient) *r4.HumanName {
	family, given := strings.TrimSpace(p.FamilyName), strings.TrimSpace(p.GivenName)
	whole := strings.TrimSpace(p.Name)
	if family == "" && given == "" && whole == "" {
		return nil
	}
	n := &r4.HumanName{Family: family}
	if given != "" {
		n.Given = []string{given}
	}
	switch {
	case family == "" && given == "":
		n.Text = whole
	case isHan(family) && isHan(given):
		n.Text = family + given
	}
	return n
}

func isHan(s string) bool {
	if s == "" {
		return true
	}
	for _, r := range s {
		if r < 0x2E80 {
			return false
		}
	}
	return true
}

// junkSerials are what carts write when they have no serial number.
var junkSerials = []string{"", "0", "unknown", "none", "n/a", "na", "-", "null"}

func (b *builder) deviceEntry() {
	d := b.in.Record.Device
	manu, model := strings.TrimSpace(d.Manufacturer), strings.TrimSpace(d.Model)
	serial := strings.TrimSpace(d.Serial)
	if slices.Contains(junkSerials, strings.ToLower(serial)) {
		serial = ""
	}
	if strings.EqualFold(manu, "unknown") {
		manu = ""
	}
	var id r4.Identifier
	switch {
	case serial != "":
		id = r4.Identifier{System: SystemDevice, Value: model + "/" + serial}
	case model != "" || manu != "":
		id = r4.Identifier{System: SystemDeviceModel, Value: manu + "/" + model}
		b.warnings = append(b.warnings, "the cart gave no serial number: the Device stands for its model")
	default:
		return
	}
	dev := &r4.Device{Identifier: []r4.Identifier{id}, Manufacturer: manu, SerialNumber: serial, ModelNumber: model,
		Type: &r4.CodeableConcept{Text: "electrocardiograph"}}
	if model != "" {
		dev.DeviceName = []r4.DeviceDeviceName{{Name: model, Type: "model-name"}}
	}
	if sw := strings.TrimSpace(d.Software); sw != "" && !strings.EqualFold(sw, "unknown") {
		dev.Version = []r4.DeviceVersion{{Value: sw}}
	}
	ref := b.add(dev, id, "device")
	b.device = &ref
}

// originalEntry keeps the original file: a DocumentReference whose
// attachment points at the blob (or carries the bytes inline).
func (b *builder) originalEntry() r4.Reference {
	rec := b.in.Record
	h := sha1.Sum(b.in.Original)
	size := int64(len(b.in.Original))
	att := &r4.Attachment{
		ContentType: mimeTypes[rec.Format],
		Url:         b.in.OriginalURL,
		Size:        &size,
		Hash:        base64.StdEncoding.EncodeToString(h[:]),
		Title:       "original " + rec.Format.String() + " file",
	}
	if att.ContentType == "" {
		att.ContentType = "application/octet-stream"
	}
	if b.in.OriginalURL == "" {
		att.Data = base64.StdEncoding.EncodeToString(b.in.Original)
	}
	id := b.partID("")
	doc := &r4.DocumentReference{
		MasterIdentifier: &id,
		Identifier:       []r4.Identifier{id},
		Status:           "current",
		Type:             loincConcept(LOINCEKGStudy, "EKG study"),
		Subject:          b.patient,
		Description:      "ECG as received (" + rec.Format.String() + ")",
		Content:          []r4.DocumentReferenceContent{{Attachment: att}},
	}
	if b.effective != "" {
		doc.Context = &r4.DocumentReferenceContext{Period: &r4.Period{Start: b.effective}}
	}
	return b.add(doc, id, "original")
}

func loincConcept(code, display string) *r4.CodeableConcept {
	return &r4.CodeableConcept{Coding: []r4.Coding{{System: SystemLOINC, Code: code, Display: display}}, Text: display}
}

func procedureCategory() []r4.CodeableConcept {
	return []r4.CodeableConcept{{Coding: []r4.Coding{{System: SystemObservationCategory, Code: "procedure", Display: "Procedure"}}}}
}

func sourceMeta(source string, critical bool) *r4.Meta {
	m := &r4.Meta{Tag: []r4.Coding{{System: SystemSource, Code: source}}}
	if critical {
		m.Tag = append(m.Tag, r4.Coding{System: TagSystem, Code: TagCritical})
	}
	return m
}

// observation returns an Observation with the fields every one shares.
func (b *builder) observation(code *r4.CodeableConcept) *r4.Observation {
	return &r4.Observation{
		Status:            "preliminary",
		Category:          procedureCategory(),
		Code:              code,
		Subject:           b.patient,
		EffectiveDateTime: b.effective,
		Device:            b.device,
	}
}

// waveformEntry is the Observation holding every lead as a component with
// SampledData in the record's resolution.
func (b *builder) waveformEntry(doc r4.Reference) r4.Reference {
	rec := b.in.Record
	o := b.observation(&r4.CodeableConcept{Coding: []r4.Coding{{System: SystemMDC, Code: strconv.Itoa(mdcLeadBase), Display: "MDC_ECG_LEAD_CONFIG"}},
		Text: fmt.Sprintf("ECG waveform, %d leads at %s Hz", len(rec.Leads), decimalString(rec.SampleRate))})
	o.Meta = sourceMeta(TagDevice, false)
	o.DerivedFrom = []r4.Reference{doc}
	period := json.Number(decimalString(1000 / rec.SampleRate))
	for _, l := range orderedLeads(rec.Leads) {
		code, refid, ok := mdcLead(l.Name)
		c := r4.ObservationComponent{Code: &r4.CodeableConcept{Coding: []r4.Coding{{System: SystemMDC, Code: code, Display: refid}}, Text: l.Name}}
		if !ok {
			b.warnings = append(b.warnings, fmt.Sprintf("lead %q has no MDC lead code: coded as unspecified", l.Name))
		}
		sd := SampledData(l.Samples)
		sd.Period = period
		c.ValueSampledData = sd
		o.Component = append(o.Component, c)
	}
	return b.add(o, b.partID("waveform"), "waveform")
}

// orderedLeads puts the standard 12 leads first, in their usual order.
func orderedLeads(leads []ecg.Lead) []ecg.Lead {
	out := make([]ecg.Lead, 0, len(leads))
	used := make([]bool, len(leads))
	// The 12 standard leads first, then any other lead in file order, so
	// that one tracing read from different formats gives the same
	// Observation.
	for _, name := range ecg.StandardLeads() {
		for i, l := range leads {
			if n := ecg.NormalizeLeadName(l.Name); !used[i] && (n == name || n == "MLII" && name == "II") {
				out, used[i] = append(out, l), true
				break
			}
		}
	}
	for i, l := range leads {
		if !used[i] {
			out = append(out, l)
		}
	}
	return out
}

// measurementEntries maps the device-reported and the computed
// measurements, one Observation each.
func (b *builder) measurementEntries() []r4.Reference {
	crit := map[string]ecg.Finding{}
	for _, f := range b.in.Findings {
		if f.Critical {
			crit[f.Code] = f
		}
	}
	var refs []r4.Reference
	seen := map[string]bool{}
	for _, group := range [][]ecg.Measurement{b.in.Record.Measurements, b.in.Measurements} {
		for _, m := range group {
			mc, ok := measurementCodes[m.Name]
			if !ok {
				continue
			}
			source := TagAnalysis
			if m.Source != "analysis" {
				source = TagDevice
			}
			part := source + "/" + string(m.Name)
			if m.Name == ecg.QTc {
				method := m.Method
				if method == "" {
					method = ecg.UnknownQTcF
				}
				part += "/" + method
			}
			if seen[part] {
				continue
			}
			seen[part] = true
			refs = append(refs, b.measurement(m, mc, source, part, crit))
		}
	}
	return refs
}

func (b *builder) measurement(m ecg.Measurement, mc measurementCode, source, part string, crit map[string]ecg.Finding) r4.Reference {
	cc := &r4.CodeableConcept{Text: mc.display}
	if mc.loinc != "" {
		cc.Coding = append(cc.Coding, r4.Coding{System: SystemLOINC, Code: mc.loinc, Display: mc.display})
	}
	cc.Coding = append(cc.Coding, r4.Coding{System: SystemMeasurement, Code: string(m.Name)})
	o := b.observation(cc)
	unit := mc.ucum
	o.ValueQuantity = &r4.Quantity{Value: json.Number(decimalString(m.Value)), Unit: unit, System: SystemUCUM, Code: unit}
	switch {
	case m.Name == ecg.QTc:
		method := m.Method
		if method == "" {
			method = ecg.UnknownQTcF
		}
		o.Method = &r4.CodeableConcept{Coding: []r4.Coding{{System: SystemQTcFormula, Code: strings.ToLower(method), Display: method}},
			Text: qtcFormulas[method]}
	case m.Method != "":
		o.Method = &r4.CodeableConcept{Text: m.Method}
	}
	critical := false
	if source == TagAnalysis {
		var f ecg.Finding
		var flag string
		switch {
		case m.Name == ecg.HeartRate && crit[ecg.FindingBradycardia].Code != "":
			f, flag = crit[ecg.FindingBradycardia], "LL"
		case m.Name == ecg.HeartRate && crit[ecg.FindingTachycardia].Code != "":
			f, flag = crit[ecg.FindingTachycardia], "HH"
		case m.Name == ecg.QTc && m.Method == ecg.Fridericia && crit[ecg.FindingLongQTc].Code != "":
			f, flag = crit[ecg.FindingLongQTc], "HH"
		}
		if flag != "" {
			critical = true
			o.Interpretation = []r4.CodeableConcept{interpretation(flag)}
			o.Note = []r4.Annotation{{Text: evidence(f)}}
		}
	}
	o.Meta = sourceMeta(source, critical)
	return b.add(o, b.partID(part), part)
}

func interpretation(flag string) r4.CodeableConcept {
	display := map[string]string{"HH": "Critical high", "LL": "Critical low", "AA": "Critical abnormal", "A": "Abnormal"}[flag]
	return r4.CodeableConcept{Coding: []r4.Coding{{System: SystemInterpretation, Code: flag, Display: display}}}
}

// evidence is a finding's evidence in words.
func evidence(f ecg.Finding) string {
	var sb strings.Builder
	sb.WriteString(f.Text)
	if f.Metric != "" {
		fmt.Fprintf(&sb, "; %s %s (limit %s)", f.Metric, decimalString(f.Value), decimalString(f.Limit))
	}
	if f.Lead != "" {
		fmt.Fprintf(&sb, "; lead %s", f.Lead)
	}
	if f.End > f.Start {
		fmt.Fprintf(&sb, "; %s–%s s", decimalString(f.Start.Seconds()), decimalString(f.End.Seconds()))
	}
	return sb.String()
}

// findingEntries maps every finding to an Observation coded in
// SystemFinding, with its evidence.
func (b *builder) findingEntries() []r4.Reference {
	var refs []r4.Reference
	seen := map[string]int{}
	for _, f := range b.in.Findings {
		part := "finding/" + f.Code
		if f.Lead != "" {
			part += "/" + f.Lead
		}
		seen[part]++
		if n := seen[part]; n > 1 {
			part += "/" + strconv.Itoa(n)
		}
		o := b.observation(&r4.CodeableConcept{Coding: []r4.Coding{{System: SystemFinding, Code: f.Code}}, Text: findingTitle(f)})
		o.Meta = sourceMeta(TagAnalysis, f.Critical)
		if f.Critical {
			o.Interpretation = []r4.CodeableConcept{interpretation("AA")}
		} else {
			o.Category = append(o.Category, r4.CodeableConcept{Text: "signal quality"})
		}
		o.ValueQuantity = &r4.Quantity{Value: json.Number(decimalString(f.Value)), Unit: f.Metric}
		o.Component = append(o.Component, r4.ObservationComponent{
			Code:          &r4.CodeableConcept{Text: "limit"},
			ValueQuantity: &r4.Quantity{Value: json.Number(decimalString(f.Limit)), Unit: f.Metric},
		})
		if f.Lead != "" {
			o.Component = append(o.Component, r4.ObservationComponent{Code: &r4.CodeableConcept{Text: "lead"}, ValueString: f.Lead})
		}
		o.Note = []r4.Annotation{{Text: evidence(f)}}
		refs = append(refs, b.add(o, b.partID(part), part))
	}
	return refs
}

func findingTitle(f ecg.Finding) string {
	if f.Critical {
		return "critical ECG finding: " + f.Code
	}
	return "ECG signal quality: " + f.Code
}

func (b *builder) reportEntry(results []r4.Reference) int {
	rec := b.in.Record
	id := b.partID("")
	dr := &r4.DiagnosticReport{
		Identifier:        []r4.Identifier{id},
		Status:            "preliminary",
		Category:          []r4.CodeableConcept{{Coding: []r4.Coding{{System: SystemDiagnosticService, Code: "EC", Display: "Electrocardiac (e.g., EKG, EEC, Holter)"}}}},
		Code:              loincConcept(LOINCEKGStudy, "EKG study"),
		Subject:           b.patient,
		EffectiveDateTime: b.effective,
		Result:            results,
	}
	critical := false
	var conclusion []string
	for _, s := range rec.Statements {
		if s = strings.TrimSpace(s); s != "" {
			conclusion = append(conclusion, s)
		}
	}
	seen := map[string]bool{}
	for _, f := range b.in.Findings {
		critical = critical || f.Critical
		conclusion = append(conclusion, evidence(f))
		if !seen[f.Code] {
			seen[f.Code] = true
			dr.ConclusionCode = append(dr.ConclusionCode, r4.CodeableConcept{Coding: []r4.Coding{{System: SystemFinding, Code: f.Code}}, Text: findingTitle(f)})
		}
	}
	dr.Conclusion = strings.Join(conclusion, "\n")
	dr.Meta = sourceMeta(TagAnalysis, critical)
	if len(b.in.PDF) > 0 {
		size := int64(len(b.in.PDF))
		dr.PresentedForm = []r4.Attachment{{ContentType: "application/pdf", Data: base64.StdEncoding.EncodeToString(b.in.PDF),
			Size: &size, Title: "ECG tracing"}}
	}
	b.add(dr, id, "report")
	return len(b.entries) - 1
}

// decimalString formats v as a FHIR decimal: the shortest form that reads
// back as v.
func decimalString(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// tokenParam formats a token search value system|value for a conditional
// URL: FHIR search escapes (\ | , $) first, then URL query escaping.
func tokenParam(system, value string) string {
	esc := strings.NewReplacer(`\`, `\\`, `|`, `\|`, `,`, `\,`, `$`, `\$`)
	return url.QueryEscape(esc.Replace(system)) + "|" + url.QueryEscape(esc.Replace(value))
}
