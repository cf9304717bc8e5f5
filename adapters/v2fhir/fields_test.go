package v2fhir_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"yigong/adapters/v2fhir"
	"yigong/fhir/r4"
	"yigong/hl7v2"
)

const (
	// 11010519491231002X is the worked example of GB 11643-1999 (valid
	// check character X); ...0021 is the same number with a wrong one.
	goodResidentID = "11010519491231002X"
	badResidentID  = "110105194912310021"
)

var adtA01 = strings.Join([]string{
	`MSH|^~\&|HIS|COUNTY|HUB|YIGONG|20240301083000||ADT^A01^ADT_A01|ADT0001|P|2.5.1||||||UNICODE UTF-8`,
	`EVN|A01|20240301083000`,
	segment("PID", map[int]string{1: "1", 3: "MRN001^^^HIS1^MR~" + goodResidentID + "^^^SFZ^NNCHN", 5: "王^小东^^^^^L", 7: "19491231", 8: "M",
		11: "人民路1号^^城关镇^浙江省^311800^CHN^H^^330824", 13: "13800000000^PRN^CP", 19: badResidentID}),
	`NK1|1|李^梅|SPO^Spouse^HL70063|||13900000000^PRN^CP`,
	segment("PV1", map[int]string{1: "1", 2: "I", 3: "W03^305^2^COUNTY", 7: "1234^张^伟", 10: "MED", 19: "ZY2024001^^^HIS1^VN",
		44: "20240301080000", 45: "20240305100000"}),
	`AL1|1|DA|70618^Penicillin^RXNORM|SV|hives`,
	`DG1|1||J18.9^肺炎^I10||20240301|A`,
}, "\r") + "\r"

var oruR01 = strings.Join([]string{
	`MSH|^~\&|LIS|COUNTY|HUB|YIGONG|20240302101500||ORU^R01^ORU_R01|LIS0042|P|2.5.1`,
	`PID|1||MRN001^^^HIS1^MR||王^小东||19491231|M`,
	segment("PV1", map[int]string{1: "1", 2: "O", 19: "MZ778^^^HIS1^VN"}),
	`ORC|RE|PL123^HIS1|FL456^LIS1`,
	`OBR|1|PL123^HIS1|FL456^LIS1|58410-2^CBC panel^LN|||20240302090000|||||||||||||||20240302101000|||F`,
	`OBX|1|NM|718-7^Hemoglobin^LN||13.2|g/dL^^UCUM|11.5-15.5|N|||F|||20240302093000`,
	`OBX|2|NM|6690-2^WBC^LN||25.1|10\S\9/L|3.5-9.5|HH|||F`,
	`OBX|3|SN|5902-2^PT^LN||<^0.5|s|<1.0|L|||F`,
	`OBX|4|SN|2345-7^Glucose range^LN||^3.5^-^6.1|mmol/L||N|||F`,
	`OBX|5|SN|5803-2^Ratio^LN||^1^:^128|||A|||F`,
	`OBX|6|CE|600-7^Culture^LN||27268008^Salmonella^SCT||||||F`,
	`OBX|7|ST|8251-1^Comment^LN||溶血标本||||||F`,
	`OBX|8|DT|29769-7^VIS date^LN||20240301||||||F`,
	`OBX|9|ED|11502-2^Report^LN||^AP^PDF^Base64^JVBERi0xLjQ=||||||F`,
	`OBX|10|NA|8601-7^ECG lead II^LN||0.1^0.2^-0.3|mV||LL|||F`,
}, "\r") + "\r"

func mapString(t *testing.T, cfg v2fhir.Config, msg string, opt hl7v2.DecodeOptions) *v2fhir.Result {
	t.Helper()
	m, err := v2fhir.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := opt.Parse([]byte(msg))
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Map(context.Background(), parsed)
	if err != nil {
		t.Fatal(err)
	}
	checkStrict(t, res.Bundle)
	return res
}

func resources[T r4.Resource](b *r4.Bundle) []T {
	var out []T
	for _, e := range b.Entry {
		if r, ok := e.Resource.Resource.(T); ok {
			out = append(out, r)
		}
	}
	return out
}

func hasWarning(r *v2fhir.Result, sub string) bool {
	for _, w := range r.Warnings {
		if strings.Contains(w.Diagnostic, sub) {
			return true
		}
	}
	return false
}

func TestADTFields(t *testing.T) {
	t.Parallel()
	res := mapString(t, testConfig(), adtA01, hl7v2.DecodeOptions{})
	p := resources[*r4.Patient](res.Bundle)
	if len(p) != 1 {
		t.Fatalf("%d patients", len(p))
	}
	pat := p[0]
	// PID-5 → name: Han family and given, text without a space.
	if n := pat.Name[0]; n.Family != "王" || len(n.Given) != 1 || n.Given[0] != "小东" || n.Text != "王小东" || n.Use != "official" {
		t.Errorf("name = %+v", n)
	}
	// PID-7 → birthDate; PID-8 → gender.
	if pat.BirthDate != "1949-12-31" || pat.Gender != "male" {
		t.Errorf("birthDate %q gender %q", pat.BirthDate, pat.Gender)
	}
	// PID-3 → identifier, system from the authority map; resident IDs.
	want := map[string]string{
		"http://hospital.example/fhir/mrn": "MRN001",
	}
	var resident []string
	for _, id := range pat.Identifier {
		if id.System == v2fhir.ResidentIDSystem {
			resident = append(resident, id.Value)
			continue
		}
		if want[id.System] == id.Value {
			delete(want, id.System)
		}
	}
	if len(want) != 0 {
		t.Errorf("missing identifiers %v in %+v", want, pat.Identifier)
	}
	if strings.Join(resident, ",") != goodResidentID+","+badResidentID {
		t.Errorf("resident IDs %v", resident)
	}
	if !hasWarning(res, "check digit") {
		t.Errorf("no check digit warning for PID-19 %s: %v", badResidentID, res.Warnings)
	}
	// Conditional update on the mapped MRN.
	if e := res.Bundle.Entry[0]; e.Request.Method != "PUT" || e.Request.Url != "Patient?identifier=http%3A%2F%2Fhospital.example%2Ffhir%2Fmrn|MRN001" {
		t.Errorf("patient request %+v", e.Request)
	}
	// PV1-2 → class; PV1-3 → location; PV1-44/45 → period; PV1-19 key.
	encs := resources[*r4.Encounter](res.Bundle)
	if len(encs) != 1 {
		t.Fatalf("%d encounters", len(encs))
	}
	e := encs[0]
	if e.Class == nil || e.Class.Code != "IMP" || e.Class.System != "http://terminology.hl7.org/CodeSystem/v3-ActCode" {
		t.Errorf("class %+v", e.Class)
	}
	if e.Period == nil || e.Period.Start != "2024-03-01T08:00:00+08:00" || e.Period.End != "2024-03-05T10:00:00+08:00" {
		t.Errorf("period %+v", e.Period)
	}
	if e.Status != "finished" {
		t.Errorf("status %q (PV1-45 valued)", e.Status)
	}
	if len(e.Location) == 0 || e.Location[0].Status != "active" || e.Location[0].Location.Display != "W03 305 2" {
		t.Errorf("location %+v", e.Location)
	}
	locs := resources[*r4.Location](res.Bundle)
	if len(locs) != 1 || locs[0].Identifier[0].Value != "COUNTY^W03^305^2" || locs[0].PhysicalType.Coding[0].Code != "bd" {
		t.Errorf("locations %+v", locs)
	}
	if e.Identifier[0].Value != "ZY2024001" || e.Identifier[0].System != "http://hospital.example/fhir/mrn" {
		t.Errorf("encounter identifier %+v", e.Identifier)
	}
	if e.Subject == nil || e.Subject.Reference != res.Bundle.Entry[0].FullUrl {
		t.Errorf("encounter subject %+v", e.Subject)
	}
	// NK1, AL1, DG1.
	if rp := resources[*r4.RelatedPerson](res.Bundle); len(rp) != 1 || rp[0].Name[0].Text != "李梅" {
		t.Errorf("related persons %+v", rp)
	}
	if al := resources[*r4.AllergyIntolerance](res.Bundle); len(al) != 1 || al[0].Criticality != "high" || al[0].Category[0] != "medication" {
		t.Errorf("allergies %+v", al)
	}
	if c := resources[*r4.Condition](res.Bundle); len(c) != 1 || c[0].Code.Coding[0].System != "http://hl7.org/fhir/sid/icd-10" || c[0].Code.Coding[0].Display != "肺炎" {
		t.Errorf("conditions %+v", c)
	}
	// Institution tag from the sender map.
	if pat.Meta == nil || pat.Meta.Tag[0].Code != "county-hospital" {
		t.Errorf("meta %+v", pat.Meta)
	}
}

func TestORUFields(t *testing.T) {
	t.Parallel()
	res := mapString(t, testConfig(), oruR01, hl7v2.DecodeOptions{})
	drs := resources[*r4.DiagnosticReport](res.Bundle)
	if len(drs) != 1 {
		t.Fatalf("%d reports", len(drs))
	}
	dr := drs[0]
	// OBR-4 → code; OBR-7 → effectiveDateTime; OBR-25 → status.
	if dr.Code.Coding[0].Code != "58410-2" || dr.Code.Coding[0].System != "http://loinc.org" {
		t.Errorf("report code %+v", dr.Code)
	}
	if dr.EffectiveDateTime != "2024-03-02T09:00:00+08:00" || dr.Status != "final" || dr.Issued != "2024-03-02T10:10:00+08:00" {
		t.Errorf("report effective %q status %q issued %q", dr.EffectiveDateTime, dr.Status, dr.Issued)
	}
	if len(dr.Result) != 10 {
		t.Errorf("%d results", len(dr.Result))
	}
	obs := resources[*r4.Observation](res.Bundle)
	if len(obs) != 10 {
		t.Fatalf("%d observations", len(obs))
	}
	critical := func(o *r4.Observation) bool {
		if o.Meta == nil {
			return false
		}
		for _, tg := range o.Meta.Tag {
			if tg.System == v2fhir.TagSystem && tg.Code == v2fhir.TagCritical {
				return true
			}
		}
		return false
	}
	interp := func(o *r4.Observation) string {
		if len(o.Interpretation) == 0 {
			return ""
		}
		return o.Interpretation[0].Coding[0].Code
	}
	tests := []struct {
		name  string
		check func(o *r4.Observation) bool
	}{
		{"NM UCUM, range, N", func(o *r4.Observation) bool {
			q, rr := o.ValueQuantity, o.ReferenceRange
			return o.Code.Coding[0].Code == "718-7" && q != nil && q.Value == "13.2" && q.System == "http://unitsofmeasure.org" &&
				q.Code == "g/dL" && len(rr) == 1 && rr[0].Low.Value == "11.5" && rr[0].High.Value == "15.5" && rr[0].High.Code == "g/dL" &&
				interp(o) == "N" && !critical(o) && o.EffectiveDateTime == "2024-03-02T09:30:00+08:00" && o.Status == "final"
		}},
		{"NM alias unit, HH critical", func(o *r4.Observation) bool {
			return o.ValueQuantity.Value == "25.1" && o.ValueQuantity.Code == "10*9/L" && o.ValueQuantity.Unit == "10^9/L" &&
				interp(o) == "HH" && critical(o) && o.EffectiveDateTime == "2024-03-02T09:00:00+08:00"
		}},
		{"SN comparator", func(o *r4.Observation) bool {
			return o.ValueQuantity.Comparator == "<" && o.ValueQuantity.Value == "0.5" && o.ValueQuantity.Code == "s" &&
				o.ReferenceRange[0].High.Value == "1.0" && o.ReferenceRange[0].Low == nil
		}},
		{"SN range", func(o *r4.Observation) bool {
			return o.ValueRange != nil && o.ValueRange.Low.Value == "3.5" && o.ValueRange.High.Value == "6.1" && o.ValueRange.Low.Code == "mmol/L"
		}},
		{"SN ratio", func(o *r4.Observation) bool {
			return o.ValueRatio != nil && o.ValueRatio.Numerator.Value == "1" && o.ValueRatio.Denominator.Value == "128" && interp(o) == "A"
		}},
		{"CE", func(o *r4.Observation) bool {
			return o.ValueCodeableConcept.Coding[0].Code == "27268008" && o.ValueCodeableConcept.Coding[0].System == "http://snomed.info/sct"
		}},
		{"ST", func(o *r4.Observation) bool { return o.ValueString == "溶血标本" }},
		{"DT", func(o *r4.Observation) bool { return o.ValueDateTime == "2024-03-01" }},
		{"ED", func(o *r4.Observation) bool {
			return len(o.Extension) == 1 && o.Extension[0].ValueAttachment.ContentType == "application/pdf" &&
				o.Extension[0].ValueAttachment.Data == "JVBERi0xLjQ="
		}},
		{"NA, LL critical", func(o *r4.Observation) bool {
			sd := o.ValueSampledData
			return sd != nil && sd.Data == "0.1 0.2 -0.3" && *sd.Dimensions == 3 && interp(o) == "LL" && critical(o)
		}},
	}
	for i, tc := range tests {
		if !tc.check(obs[i]) {
			t.Errorf("OBX %d %s: %s", i+1, tc.name, jsonString(obs[i]))
		}
	}
	// References: observations point at the patient, encounter and order.
	pat := res.Bundle.Entry[0]
	for _, o := range obs {
		if o.Subject.Reference != pat.FullUrl || o.Encounter == nil || len(o.BasedOn) != 1 {
			t.Fatalf("references %+v %+v %+v", o.Subject, o.Encounter, o.BasedOn)
		}
	}
	// A result message only ensures the patient exists.
	if pat.Request.Method != "POST" || pat.Request.IfNoneExist == "" {
		t.Errorf("patient request %+v", pat.Request)
	}
}

func TestGBKName(t *testing.T) {
	t.Parallel()
	// 王 is CD F5 in GBK; 珅 is AB 7C, whose trail byte is '|'.
	msg := []byte("MSH|^~\\&|HIS|COUNTY|HUB|YIGONG|20240301083000||ADT^A04^ADT_A01|GBK01|P|2.5.1\r" +
		"PID|1||MRN9^^^HIS1^MR||\xcd\xf5^\xab\x7c||19800101|F\r")
	m, err := v2fhir.New(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := hl7v2.DecodeOptions{DefaultCharset: "GBK"}.Parse(msg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Map(context.Background(), parsed)
	if err != nil {
		t.Fatal(err)
	}
	checkStrict(t, res.Bundle)
	p := resources[*r4.Patient](res.Bundle)[0]
	if n := p.Name[0]; n.Family != "王" || len(n.Given) != 1 || n.Given[0] != "珅" || n.Text != "王珅" {
		t.Errorf("name = %+v", n)
	}
	if p.Gender != "female" {
		t.Errorf("gender %q", p.Gender)
	}
}

func TestResidentIDCheckDigit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		id   string
		warn bool
	}{
		{goodResidentID, false},
		{strings.ToLower(goodResidentID), false},
		{badResidentID, true},
		{"110105491231002", false}, // 15-digit first generation: no check digit
	} {
		msg := "MSH|^~\\&|HIS|COUNTY|HUB|YIGONG|20240301083000||ADT^A28^ADT_A05|R" + tc.id + "|P|2.5.1\r" +
			"PID|1||" + tc.id + "^^^身份证^NNCHN||王^小东\r"
		res := mapString(t, testConfig(), msg, hl7v2.DecodeOptions{})
		p := resources[*r4.Patient](res.Bundle)[0]
		if p.Identifier[0].System != v2fhir.ResidentIDSystem || p.Identifier[0].Value != strings.ToUpper(tc.id) {
			t.Errorf("%s: identifier %+v", tc.id, p.Identifier[0])
		}
		if got := hasWarning(res, "check digit"); got != tc.warn {
			t.Errorf("%s: check digit warning %v, want %v", tc.id, got, tc.warn)
		}
	}
}

func TestMergeA40(t *testing.T) {
	t.Parallel()
	msg := "MSH|^~\\&|HIS|COUNTY|HUB|YIGONG|20240301083000||ADT^A40^ADT_A39|M1|P|2.5.1\r" +
		"EVN|A40|20240301083000\r" +
		"PID|1||MRN001^^^HIS1^MR||王^小东\r" +
		"MRG|MRN777^^^HIS1^MR\r"
	res := mapString(t, testConfig(), msg, hl7v2.DecodeOptions{})
	if len(res.Bundle.Entry) != 2 {
		t.Fatalf("%d entries", len(res.Bundle.Entry))
	}
	surv, prior := res.Bundle.Entry[0], res.Bundle.Entry[1]
	p := surv.Resource.Resource.(*r4.Patient)
	if len(p.Link) != 1 || p.Link[0].Type != "replaces" || p.Link[0].Other.Reference != prior.FullUrl {
		t.Errorf("survivor link %+v", p.Link)
	}
	moved := p.Identifier[len(p.Identifier)-1]
	if moved.Value != "MRN777" || moved.Use != "old" {
		t.Errorf("moved identifier %+v", moved)
	}
	if prior.Request.Method != "PATCH" || !strings.HasPrefix(prior.Request.Url, "Patient?identifier=http%3A%2F%2Fhospital.example%2Ffhir%2Fmrn|MRN777") {
		t.Errorf("prior request %+v", prior.Request)
	}
	body := jsonString(prior.Resource.Resource)
	for _, want := range []string{`"replaced-by"`, surv.FullUrl, `Patient.identifier.where(system = 'http://hospital.example/fhir/mrn' and value = 'MRN777')`} {
		if !strings.Contains(body, want) {
			t.Errorf("patch lacks %s: %s", want, body)
		}
	}
}

// TestMergeUnknownPrior: a merge whose prior patient the hub never saw
// creates that prior, inactive and replaced by the survivor, instead of
// patching nothing; a known prior is patched; a failing lookup fails the
// mapping (to be retried), never guesses.
func TestMergeUnknownPrior(t *testing.T) {
	t.Parallel()
	m, err := v2fhir.New(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	msg, err := hl7v2.Parse([]byte("MSH|^~\\&|HIS|COUNTY|HUB|YIGONG|20240301083000||ADT^A40^ADT_A39|M2|P|2.5.1\r" +
		"EVN|A40|20240301083000\r" +
		"PID|1||MRN001^^^HIS1^MR||王^小东\r" +
		"MRG|MRN777^^^HIS1^MR||||||王^晓东\r"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		exists     bool
		lookupErr  error
		wantMethod string
	}{
		{"known prior", true, nil, "PATCH"},
		{"unknown prior", false, nil, "POST"},
		{"lookup fails", false, errors.New("store down"), ""},
	} {
		var asked []string
		res, err := m.MapWith(context.Background(), msg, v2fhir.MapOptions{
			PatientExists: func(_ context.Context, system, value string) (bool, error) {
				asked = append(asked, system+"|"+value)
				return tc.exists, tc.lookupErr
			}})
		if len(asked) != 1 || asked[0] != "http://hospital.example/fhir/mrn|MRN777" {
			t.Errorf("%s: looked up %v", tc.name, asked)
		}
		if tc.lookupErr != nil {
			if !errors.Is(err, tc.lookupErr) {
				t.Errorf("%s: error %v, want the lookup's", tc.name, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		checkStrict(t, res.Bundle)
		if !res.LookedUp {
			t.Errorf("%s: Result.LookedUp false", tc.name)
		}
		surv, prior := res.Bundle.Entry[0], res.Bundle.Entry[1]
		if prior.Request.Method != tc.wantMethod {
			t.Fatalf("%s: prior entry %s %s, want %s", tc.name, prior.Request.Method, prior.Request.Url, tc.wantMethod)
		}
		if tc.exists {
			continue
		}
		p := prior.Resource.Resource.(*r4.Patient)
		if p.Active == nil || *p.Active || len(p.Link) != 1 || p.Link[0].Type != "replaced-by" || p.Link[0].Other.Reference != surv.FullUrl {
			t.Errorf("stub prior: active %v, links %+v", p.Active, p.Link)
		}
		if len(p.Identifier) != 1 || p.Identifier[0].Value != "MRN777" || p.Identifier[0].Use != "old" {
			t.Errorf("stub prior identifiers %+v", p.Identifier)
		}
		if len(p.Name) != 1 || p.Name[0].Family != "王" || len(p.Name[0].Given) != 1 || p.Name[0].Given[0] != "晓东" {
			t.Errorf("stub prior name (MRG-7) %+v", p.Name)
		}
		if want := "identifier=http%3A%2F%2Fhospital.example%2Ffhir%2Fmrn|MRN777&active=false"; prior.Request.IfNoneExist != want {
			t.Errorf("stub ifNoneExist %q, want %q", prior.Request.IfNoneExist, want)
		}
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	m, err := v2fhir.New(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, msg string
		notMapped bool
		seg       string
		field     int
		code      string
	}{
		{"unmapped type", "MSH|^~\\&|A|B|C|D|20240101||ADT^A17^ADT_A17|1|P|2.5.1\r", true, "MSH", 9, "200"},
		{"no control id", "MSH|^~\\&|A|B|C|D|20240101||ADT^A01^ADT_A01||P|2.5.1\rPID|1||1^^^HIS1\r", false, "MSH", 10, "101"},
		{"no PID-3", "MSH|^~\\&|A|B|C|D|20240101||ADT^A01^ADT_A01|2|P|2.5.1\rPID|1||||王^小东\r", false, "PID", 3, "101"},
		{"no OBR-4", "MSH|^~\\&|A|B|C|D|20240101||ORU^R01^ORU_R01|3|P|2.5.1\rPID|1||1^^^HIS1\rOBR|1|||\r", false, "OBR", 4, "101"},
		{"no MRG", "MSH|^~\\&|A|B|C|D|20240101||ADT^A40^ADT_A39|4|P|2.5.1\rPID|1||1^^^HIS1\r", false, "PID", 0, "100"},
	} {
		parsed, err := hl7v2.Parse([]byte(tc.msg))
		if err != nil {
			t.Fatal(err)
		}
		_, err = m.Map(context.Background(), parsed)
		var e *v2fhir.Error
		if !errors.As(err, &e) {
			t.Fatalf("%s: %v is not a *v2fhir.Error", tc.name, err)
		}
		if errors.Is(err, v2fhir.ErrNotMapped) != tc.notMapped || e.Segment != tc.seg || e.Field != tc.field || e.Code != tc.code {
			t.Errorf("%s: %#v", tc.name, e)
		}
		if !strings.HasPrefix(err.Error(), "v2fhir: ") {
			t.Errorf("%s: message %q", tc.name, err)
		}
		d := v2fhir.ErrorDetail(err)
		if d.Segment != tc.seg || d.Field != tc.field || d.Code != tc.code {
			t.Errorf("%s: detail %+v", tc.name, d)
		}
		ack, err := hl7v2.NewACK(parsed, hl7v2.AckOptions{Code: e.AckCode(), Errors: []hl7v2.ErrorDetail{d}})
		if err != nil || len(ack.All("ERR")) != 1 {
			t.Errorf("%s: ack %v", tc.name, err)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  v2fhir.Config
		ok   bool
	}{
		{"empty", v2fhir.Config{}, true},
		{"test config", testConfig(), true},
		{"relative system", v2fhir.Config{Authorities: map[string]string{"HIS1": "mrn"}}, false},
		{"bad oid", v2fhir.Config{Authorities: map[string]string{"HIS1": "urn:oid:1.2.03"}}, false},
		{"space", v2fhir.Config{Authorities: map[string]string{"HIS1": "http://x/a b"}}, false},
		{"resident conflict", v2fhir.Config{Authorities: map[string]string{"SFZ": "http://x/mrn"}, ResidentIDAuthorities: []string{"SFZ"}}, false},
		{"bad institution", v2fhir.Config{Senders: map[string]v2fhir.Sender{"A": {Institution: " x"}}}, false},
		{"bad policy", v2fhir.Config{Unmapped: "drop"}, false},
	} {
		err := tc.cfg.Validate()
		if (err == nil) != tc.ok {
			t.Errorf("%s: Validate() = %v", tc.name, err)
		}
		if _, err2 := v2fhir.New(tc.cfg); (err2 == nil) != tc.ok {
			t.Errorf("%s: New() = %v", tc.name, err2)
		}
	}
}

func TestUnmappedPolicy(t *testing.T) {
	t.Parallel()
	parsed, _ := hl7v2.Parse([]byte("MSH|^~\\&|A|B|C|D|20240101||ADT^A17^ADT_A17|1|P|2.5.1\r"))
	for policy, want := range map[v2fhir.UnmappedPolicy]string{"": "AA", v2fhir.UnmappedAccept: "AA", v2fhir.UnmappedReject: "AR"} {
		m, err := v2fhir.New(v2fhir.Config{Unmapped: policy})
		if err != nil {
			t.Fatal(err)
		}
		_, err = m.Map(context.Background(), parsed)
		var e *v2fhir.Error
		if !errors.As(err, &e) || e.AckCode() != want {
			t.Errorf("policy %q: %v", policy, err)
		}
	}
}

func TestIdempotentAcrossMessages(t *testing.T) {
	t.Parallel()
	// An A08 with another control ID targets the same Patient and
	// Encounter (same conditional URLs), with different fullUrls.
	a08 := strings.Replace(strings.Replace(adtA01, "ADT^A01^ADT_A01|ADT0001", "ADT^A08^ADT_A01|ADT0002", 1), "EVN|A01", "EVN|A08", 1)
	r1 := mapString(t, testConfig(), adtA01, hl7v2.DecodeOptions{})
	r2 := mapString(t, testConfig(), a08, hl7v2.DecodeOptions{})
	if len(r1.Bundle.Entry) != len(r2.Bundle.Entry) {
		t.Fatalf("%d vs %d entries", len(r1.Bundle.Entry), len(r2.Bundle.Entry))
	}
	for i := range r1.Bundle.Entry {
		e1, e2 := r1.Bundle.Entry[i], r2.Bundle.Entry[i]
		if e1.Request.Url != e2.Request.Url || e1.Request.IfNoneExist != e2.Request.IfNoneExist {
			t.Errorf("entry %d: %+v vs %+v", i, e1.Request, e2.Request)
		}
		if e1.FullUrl == e2.FullUrl {
			t.Errorf("entry %d: same fullUrl across messages", i)
		}
	}
}

func jsonString(r r4.Resource) string {
	b, _ := jsonMarshal(r)
	return string(b)
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// segment builds an ER7 segment from numbered fields (raw text).
func segment(name string, fields map[int]string) string {
	n := 0
	for k := range fields {
		n = max(n, k)
	}
	parts := make([]string, n+1)
	parts[0] = name
	for k, v := range fields {
		parts[k] = v
	}
	return strings.Join(parts, "|")
}
