package fhirv2_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"yigong/adapters/fhirv2"
	"yigong/adapters/v2fhir"
	"yigong/fhir/r4"
	"yigong/hl7v2"
	"yigong/profiles/cn"
)

const mrnSystem = "http://county.example/fhir/sid/mrn"

var at = time.Date(2024, 3, 5, 10, 20, 30, 0, hl7v2.DefaultZone)

func newEncoder(t testing.TB) *fhirv2.Encoder {
	t.Helper()
	e, err := fhirv2.New(fhirv2.Config{Application: "YIGONG", Facility: "HUB",
		Authorities:           map[string]string{"HIS1": mrnSystem},
		ResidentIDAuthorities: []string{"SFZ"},
		CodeSystems:           map[string]string{"LOCAL-LIS": "http://county.example/fhir/cs/lis"}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func mapperConfig() v2fhir.Config {
	return v2fhir.Config{Authorities: map[string]string{"HIS1": mrnSystem}, ResidentIDAuthorities: []string{"SFZ"},
		CodeSystems: map[string]string{"LOCAL-LIS": "http://county.example/fhir/cs/lis"}, DefaultInstitution: "county"}
}

func residentID(t testing.TB) string {
	d17 := "11010519491231002"
	c, err := cn.CheckDigit(d17)
	if err != nil {
		t.Fatal(err)
	}
	return d17 + string(c)
}

func patient(t testing.TB) *r4.Patient {
	return &r4.Patient{ID: "p1",
		Identifier: []r4.Identifier{
			{System: mrnSystem, Value: "MRN001"},
			{System: v2fhir.ResidentIDSystem, Value: residentID(t)},
			{System: "urn:oid:1.2.156.112604.9", Value: "K-77"},
			{System: "urn:yigong:v2:key:Patient", Value: "internal"},
		},
		Name:      []r4.HumanName{{Family: "王", Given: []string{"珅"}, Text: "王珅", Use: "official"}, {Family: "Wang", Given: []string{"Shen"}}},
		Gender:    "male",
		BirthDate: "1949-12-31",
		Address:   []r4.Address{{Use: "home", Line: []string{"城关镇解放路 8 号"}, City: "某县", State: "某省", District: "城关镇", PostalCode: "100000"}},
		Telecom:   []r4.ContactPoint{{System: "phone", Use: "mobile", Value: "13800138000"}, {System: "phone", Use: "work", Value: "010-1234"}},
	}
}

func report() (*r4.DiagnosticReport, []*r4.Observation) {
	dr := &r4.DiagnosticReport{ID: "dr1", Status: "final",
		Identifier:        []r4.Identifier{{System: mrnSystem, Value: "LAB-2024-1", Type: &r4.CodeableConcept{Coding: []r4.Coding{{System: "http://terminology.hl7.org/CodeSystem/v2-0203", Code: "FILL"}}}}},
		Code:              &r4.CodeableConcept{Coding: []r4.Coding{{System: "http://loinc.org", Code: "24323-8", Display: "肝功能"}}},
		EffectiveDateTime: "2024-03-05T08:00:00+08:00", Issued: "2024-03-05T09:30:00+08:00"}
	obs := []*r4.Observation{
		{Status: "final", Code: &r4.CodeableConcept{Coding: []r4.Coding{{System: "http://loinc.org", Code: "1742-6", Display: "丙氨酸氨基转移酶"}}},
			ValueQuantity:  &r4.Quantity{Value: "56.0", Unit: "U/L", System: "http://unitsofmeasure.org", Code: "U/L"},
			ReferenceRange: []r4.ObservationReferenceRange{{Text: "9-50"}},
			Interpretation: []r4.CodeableConcept{{Coding: []r4.Coding{{System: "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", Code: "H"}}}}},
		{Status: "final", Code: &r4.CodeableConcept{Coding: []r4.Coding{{System: "http://county.example/fhir/cs/lis", Code: "HBSAG", Display: "乙肝表面抗原"}}},
			ValueCodeableConcept: &r4.CodeableConcept{Coding: []r4.Coding{{System: "http://snomed.info/sct", Code: "260385009", Display: "Negative"}}}},
		{Status: "corrected", Code: &r4.CodeableConcept{Coding: []r4.Coding{{System: "http://loinc.org", Code: "8251-1", Display: "备注"}}},
			ValueString: "标本轻度溶血|请复查"},
		{Status: "final", Code: &r4.CodeableConcept{Coding: []r4.Coding{{System: "http://loinc.org", Code: "2093-3"}}},
			ValueQuantity: &r4.Quantity{Value: "0.5", Comparator: "<", Unit: "mmol/L", System: "http://unitsofmeasure.org", Code: "mmol/L"}},
		{Status: "final", Code: &r4.CodeableConcept{Coding: []r4.Coding{{System: "http://loinc.org", Code: "33747-0"}}},
			ValueDateTime: "2024-03-01"},
	}
	return dr, obs
}

func order() *r4.ServiceRequest {
	return &r4.ServiceRequest{ID: "sr1", Status: "active", Intent: "order", Priority: "stat",
		Identifier: []r4.Identifier{{System: mrnSystem, Value: "ORD-9"}},
		Code:       &r4.CodeableConcept{Coding: []r4.Coding{{System: "http://loinc.org", Code: "24323-8", Display: "肝功能"}}},
		AuthoredOn: "2024-03-05T07:45:00+08:00",
		Requester:  &r4.Reference{Type: "Practitioner", Display: "李医生", Identifier: &r4.Identifier{System: mrnSystem, Value: "D042"}},
		Note:       []r4.Annotation{{Text: "空腹采血"}}}
}

// encode returns a function that encodes a built message and parses it
// back: encode(t)(e.PatientUpdate(...)).
func encode(t *testing.T) func(m *hl7v2.Message, err error) (*hl7v2.Message, []byte) {
	return func(m *hl7v2.Message, err error) (*hl7v2.Message, []byte) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		raw, err := m.Encode()
		if err != nil {
			t.Fatal(err)
		}
		back, err := hl7v2.Parse(raw)
		if err != nil {
			t.Fatalf("parse %q: %v", raw, err)
		}
		return back, raw
	}
}

// TestFields checks the fields of each message against the IG tables read
// from FHIR to v2.
func TestFields(t *testing.T) {
	e := newEncoder(t)
	h := fhirv2.Header{ReceivingApplication: "LIS", ReceivingFacility: "TOWN1", ControlID: "N1", Time: at}
	dr, obs := report()
	adt, _ := encode(t)(e.PatientUpdate(h, patient(t)))
	oru, _ := encode(t)(e.ReportFinal(h, dr, obs, patient(t)))
	oml, _ := encode(t)(e.OrderPlaced(h, order(), patient(t)))
	rid := residentID(t)
	tests := []struct {
		msg   *hl7v2.Message
		seg   string
		n     int // occurrence, 1-based
		field int
		want  string // raw
	}{
		{adt, "MSH", 1, 3, "YIGONG"}, {adt, "MSH", 1, 4, "HUB"}, {adt, "MSH", 1, 5, "LIS"}, {adt, "MSH", 1, 6, "TOWN1"},
		{adt, "MSH", 1, 7, "20240305102030+0800"}, {adt, "MSH", 1, 9, "ADT^A08^ADT_A01"}, {adt, "MSH", 1, 10, "N1"},
		{adt, "MSH", 1, 11, "P"}, {adt, "MSH", 1, 12, "2.5.1"}, {adt, "MSH", 1, 18, "UNICODE UTF-8"},
		{adt, "EVN", 1, 2, "20240305102030+0800"},
		{adt, "PID", 1, 3, "MRN001^^^HIS1^MR~" + rid + "^^^SFZ^NNCHN~K-77^^^&1.2.156.112604.9&ISO^MR"},
		{adt, "PID", 1, 5, "王^珅^^^^^L~Wang^Shen"}, {adt, "PID", 1, 7, "19491231"}, {adt, "PID", 1, 8, "M"},
		{adt, "PID", 1, 11, "城关镇解放路 8 号^^某县^某省^100000^^H^^城关镇"},
		{adt, "PID", 1, 13, "13800138000^PRS^CP"}, {adt, "PID", 1, 14, "010-1234^WPN^PH"},
		{adt, "PV1", 1, 2, "N"},
		{oru, "MSH", 1, 9, "ORU^R01^ORU_R01"},
		{oru, "ORC", 1, 1, "RE"}, {oru, "ORC", 1, 3, "LAB-2024-1^HIS1"},
		{oru, "OBR", 1, 3, "LAB-2024-1^HIS1"}, {oru, "OBR", 1, 4, "24323-8^肝功能^LN"},
		{oru, "OBR", 1, 7, "20240305080000+0800"}, {oru, "OBR", 1, 22, "20240305093000+0800"}, {oru, "OBR", 1, 25, "F"},
		{oru, "OBX", 1, 1, "1"}, {oru, "OBX", 1, 2, "NM"}, {oru, "OBX", 1, 3, "1742-6^丙氨酸氨基转移酶^LN"},
		{oru, "OBX", 1, 5, "56.0"}, {oru, "OBX", 1, 6, "U/L^^UCUM"}, {oru, "OBX", 1, 7, "9-50"}, {oru, "OBX", 1, 8, "H"},
		{oru, "OBX", 1, 11, "F"},
		{oru, "OBX", 2, 2, "CWE"}, {oru, "OBX", 2, 3, "HBSAG^乙肝表面抗原^LOCAL-LIS"}, {oru, "OBX", 2, 5, "260385009^Negative^SCT"},
		{oru, "OBX", 3, 2, "ST"}, {oru, "OBX", 3, 5, `标本轻度溶血\F\请复查`}, {oru, "OBX", 3, 11, "C"},
		{oru, "OBX", 4, 2, "SN"}, {oru, "OBX", 4, 5, "<^0.5"}, {oru, "OBX", 4, 6, "mmol/L^^UCUM"},
		{oru, "OBX", 5, 2, "DT"}, {oru, "OBX", 5, 5, "20240301"},
		{oml, "MSH", 1, 9, "OML^O21^OML_O21"},
		{oml, "ORC", 1, 1, "NW"}, {oml, "ORC", 1, 2, "ORD-9^HIS1"}, {oml, "ORC", 1, 9, "20240305074500+0800"},
		{oml, "ORC", 1, 12, "D042^李医生^^^^^^^HIS1"},
		{oml, "TQ1", 1, 9, "S"}, {oml, "OBR", 1, 2, "ORD-9^HIS1"}, {oml, "OBR", 1, 4, "24323-8^肝功能^LN"},
		{oml, "NTE", 1, 3, "空腹采血"},
	}
	for _, tc := range tests {
		segs := tc.msg.All(tc.seg)
		if len(segs) < tc.n {
			t.Errorf("%s: %s #%d missing", tc.msg.Header().Field(9).Raw(), tc.seg, tc.n)
			continue
		}
		if got := segs[tc.n-1].Field(tc.field).Raw(); got != tc.want {
			t.Errorf("%s: %s(%d)-%d = %q, want %q", tc.msg.Header().Field(9).Raw(), tc.seg, tc.n, tc.field, got, tc.want)
		}
	}
}

func TestErrors(t *testing.T) {
	e := newEncoder(t)
	h := fhirv2.Header{ControlID: "X", Time: at}
	dr, obs := report()
	tests := []struct {
		name string
		err  func() error
	}{
		{"patient without identifier", func() error {
			_, err := e.PatientUpdate(h, &r4.Patient{Name: []r4.HumanName{{Family: "王"}}})
			return err
		}},
		{"patient with internal key only", func() error {
			_, err := e.PatientUpdate(h, &r4.Patient{Identifier: []r4.Identifier{{System: "urn:yigong:v2:msg:X", Value: "1"}}})
			return err
		}},
		{"no control id", func() error { _, err := e.PatientUpdate(fhirv2.Header{}, patient(t)); return err }},
		{"report without code", func() error {
			d := *dr
			d.Code = nil
			_, err := e.ReportFinal(h, &d, obs, patient(t))
			return err
		}},
		{"order without patient", func() error { _, err := e.OrderPlaced(h, order(), nil); return err }},
		{"config without application", func() error { _, err := fhirv2.New(fhirv2.Config{}); return err }},
	}
	for _, tc := range tests {
		if tc.err() == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

// bundle maps raw back with v2fhir and returns its resources by type.
func bundle(t *testing.T, raw []byte) map[string][]json.RawMessage {
	t.Helper()
	m, err := v2fhir.New(mapperConfig())
	if err != nil {
		t.Fatal(err)
	}
	msg, err := hl7v2.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Map(context.Background(), msg)
	if err != nil {
		t.Fatalf("v2fhir: %v\n%s", err, strings.ReplaceAll(string(raw), "\r", "\n"))
	}
	out := map[string][]json.RawMessage{}
	for _, en := range res.Bundle.Entry {
		b, err := json.Marshal(en.Resource)
		if err != nil {
			t.Fatal(err)
		}
		var head struct {
			ResourceType string `json:"resourceType"`
		}
		json.Unmarshal(b, &head)
		out[head.ResourceType] = append(out[head.ResourceType], b)
	}
	return out
}

func decode[T any](t *testing.T, raw json.RawMessage) *T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return &v
}

// TestRoundTrip sends FHIR through fhirv2 to v2 and back through v2fhir:
// names, identifiers, codes, values and units come back the same.
func TestRoundTrip(t *testing.T) {
	e := newEncoder(t)
	h := fhirv2.Header{ReceivingApplication: "LIS", ReceivingFacility: "TOWN1", ControlID: "RT1", Time: at}
	p := patient(t)
	dr, obs := report()
	sr := order()
	_, adt := encode(t)(e.PatientUpdate(h, p))
	_, oru := encode(t)(e.ReportFinal(h, dr, obs, p))
	_, oml := encode(t)(e.OrderPlaced(h, sr, p))

	checkPatient := func(name string, raw json.RawMessage) {
		got := decode[r4.Patient](t, raw)
		want := map[string]string{}
		for _, id := range p.Identifier {
			if !strings.HasPrefix(id.System, "urn:yigong:v2:key:") {
				want[id.System] = id.Value
			}
		}
		have := map[string]string{}
		for _, id := range got.Identifier {
			have[id.System] = id.Value
		}
		for s, v := range want {
			if have[s] != v {
				t.Errorf("%s: identifier %s = %q, want %q (all: %v)", name, s, have[s], v, have)
			}
		}
		if len(got.Name) != 2 || got.Name[0].Family != "王" || strings.Join(got.Name[0].Given, "") != "珅" || got.Name[0].Text != "王珅" ||
			got.Name[0].Use != "official" || got.Name[1].Family != "Wang" || got.Name[1].Given[0] != "Shen" {
			t.Errorf("%s: names %+v", name, got.Name)
		}
		if got.Gender != p.Gender || got.BirthDate != p.BirthDate {
			t.Errorf("%s: gender %q birth %q", name, got.Gender, got.BirthDate)
		}
		if name == "ADT" {
			if len(got.Address) != 1 || got.Address[0].City != "某县" || got.Address[0].District != "城关镇" || got.Address[0].Line[0] != p.Address[0].Line[0] {
				t.Errorf("%s: address %+v", name, got.Address)
			}
			if len(got.Telecom) != 2 || got.Telecom[0].Value != "13800138000" || got.Telecom[0].Use != "mobile" || got.Telecom[1].Use != "work" {
				t.Errorf("%s: telecom %+v", name, got.Telecom)
			}
		}
	}
	for _, tc := range []struct {
		name string
		raw  []byte
	}{{"ADT", adt}, {"ORU", oru}, {"OML", oml}} {
		res := bundle(t, tc.raw)
		if len(res["Patient"]) != 1 {
			t.Fatalf("%s: %d Patients", tc.name, len(res["Patient"]))
		}
		checkPatient(tc.name, res["Patient"][0])
		switch tc.name {
		case "ORU":
			if len(res["DiagnosticReport"]) != 1 {
				t.Fatalf("ORU: %d reports", len(res["DiagnosticReport"]))
			}
			gdr := decode[r4.DiagnosticReport](t, res["DiagnosticReport"][0])
			if gdr.Status != "final" || !reflect.DeepEqual(gdr.Code.Coding[0], dr.Code.Coding[0]) || gdr.EffectiveDateTime != dr.EffectiveDateTime ||
				gdr.Issued != dr.Issued {
				t.Errorf("ORU: report %+v", gdr)
			}
			if !hasIdentifier(gdr.Identifier, mrnSystem, "LAB-2024-1") {
				t.Errorf("ORU: report identifiers %+v", gdr.Identifier)
			}
			gobs := res["Observation"]
			if len(gobs) != len(obs) {
				t.Fatalf("ORU: %d observations, want %d", len(gobs), len(obs))
			}
			for i, raw := range gobs {
				o, w := decode[r4.Observation](t, raw), obs[i]
				if !reflect.DeepEqual(o.Code.Coding[0], w.Code.Coding[0]) {
					t.Errorf("obs %d: code %+v, want %+v", i, o.Code.Coding[0], w.Code.Coding[0])
				}
				if o.Status != w.Status {
					t.Errorf("obs %d: status %q, want %q", i, o.Status, w.Status)
				}
				if w.ValueQuantity != nil && (o.ValueQuantity == nil || !reflect.DeepEqual(*o.ValueQuantity, *w.ValueQuantity)) {
					t.Errorf("obs %d: quantity %+v, want %+v", i, o.ValueQuantity, w.ValueQuantity)
				}
				if w.ValueCodeableConcept != nil && (o.ValueCodeableConcept == nil || !reflect.DeepEqual(o.ValueCodeableConcept.Coding[0], w.ValueCodeableConcept.Coding[0])) {
					t.Errorf("obs %d: concept %+v", i, o.ValueCodeableConcept)
				}
				if o.ValueString != w.ValueString || o.ValueDateTime != w.ValueDateTime {
					t.Errorf("obs %d: string %q datetime %q", i, o.ValueString, o.ValueDateTime)
				}
				if len(w.ReferenceRange) > 0 && (len(o.ReferenceRange) == 0 || o.ReferenceRange[0].Text != w.ReferenceRange[0].Text) {
					t.Errorf("obs %d: range %+v", i, o.ReferenceRange)
				}
				if len(w.Interpretation) > 0 && (len(o.Interpretation) == 0 || o.Interpretation[0].Coding[0].Code != w.Interpretation[0].Coding[0].Code) {
					t.Errorf("obs %d: interpretation %+v", i, o.Interpretation)
				}
			}
		case "OML":
			if len(res["ServiceRequest"]) != 1 {
				t.Fatalf("OML: %d requests", len(res["ServiceRequest"]))
			}
			g := decode[r4.ServiceRequest](t, res["ServiceRequest"][0])
			if !reflect.DeepEqual(g.Code.Coding[0], sr.Code.Coding[0]) || g.Status != "active" || g.Priority != "stat" || g.AuthoredOn != sr.AuthoredOn ||
				!hasIdentifier(g.Identifier, mrnSystem, "ORD-9") || g.Requester == nil || g.Requester.Display != "李医生" ||
				len(g.Note) != 1 || g.Note[0].Text != "空腹采血" {
				t.Errorf("OML: request %+v", g)
			}
		}
	}
}

func hasIdentifier(ids []r4.Identifier, system, value string) bool {
	for _, id := range ids {
		if id.System == system && id.Value == value {
			return true
		}
	}
	return false
}

// TestUTF8 checks that a message's bytes are UTF-8 whatever the names.
func TestUTF8(t *testing.T) {
	e := newEncoder(t)
	p := patient(t)
	p.Name = []r4.HumanName{{Family: "欧阳", Given: []string{"璡乗"}}}
	_, raw := encode(t)(e.PatientUpdate(fhirv2.Header{ControlID: "U1", Time: at}, p))
	if !strings.Contains(string(raw), "|欧阳^璡乗|") {
		t.Fatalf("name not intact in %q", raw)
	}
}

// TestSendingHeader: MSH-3/MSH-4 come from the Config unless the Header
// names another sender, field by field; delimiters in them are escaped.
func TestSendingHeader(t *testing.T) {
	e := newEncoder(t)
	tests := []struct {
		name     string
		app, fac string // Header.SendingApplication, SendingFacility
		want3    string
		want4    string
	}{
		{"config", "", "", "YIGONG", "HUB"},
		{"both", "CDR", "COUNTY", "CDR", "COUNTY"},
		{"application only", "CDR", "", "CDR", "HUB"},
		{"facility only", "", "COUNTY", "YIGONG", "COUNTY"},
		{"blank is unset", "  ", "", "YIGONG", "HUB"},
		{"escaped", "A|B", "C^D", `A\F\B`, `C\S\D`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := fhirv2.Header{ReceivingApplication: "LIS", ReceivingFacility: "TOWN1", ControlID: "S1", Time: at,
				SendingApplication: tc.app, SendingFacility: tc.fac}
			m, err := e.PatientUpdate(h, patient(t))
			if err != nil {
				t.Fatal(err)
			}
			raw, err := m.Encode()
			if err != nil {
				t.Fatal(err)
			}
			msh := strings.SplitN(strings.SplitN(string(raw), "\r", 2)[0], "|", 6)
			if msh[2] != tc.want3 || msh[3] != tc.want4 {
				t.Errorf("MSH-3, MSH-4 = %q, %q; want %q, %q", msh[2], msh[3], tc.want3, tc.want4)
			}
			if msh[4] != "LIS" {
				t.Errorf("MSH-5 = %q, want LIS", msh[4])
			}
		})
	}
}
