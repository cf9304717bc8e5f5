package search

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"yigong/conformance/corpus"
	"yigong/fhir/fhirjson"
	"yigong/fhir/fhirpath"
	"yigong/fhir/model"
	"yigong/fhir/store"
)

func TestNewIndexerCompilesEveryParameter(t *testing.T) {
	t.Parallel()
	ix, err := NewIndexer(Options{})
	if err != nil {
		t.Fatal(err)
	}
	compiled := map[*model.SearchParam]bool{}
	for _, ps := range ix.byType {
		for _, p := range ps {
			compiled[p.Def] = true
		}
	}
	want := 0
	for _, sp := range model.AllSearchParams() {
		if p, err := compile(&sp, lookupCoreURL); err == nil && p != nil {
			want++
		}
	}
	if len(compiled) != want || want < 1200 {
		t.Errorf("compiled %d parameters, want %d (of 1,378)", len(compiled), want)
	}
}

func TestDateRange(t *testing.T) {
	t.Parallel()
	cst := time.FixedZone("", 8*3600)
	tests := []struct {
		in     string
		lo, hi time.Time
		ok     bool
	}{
		{"1990", time.Date(1990, 1, 1, 0, 0, 0, 0, cst), time.Date(1991, 1, 1, 0, 0, 0, 0, cst), true},
		{"1990-02", time.Date(1990, 2, 1, 0, 0, 0, 0, cst), time.Date(1990, 3, 1, 0, 0, 0, 0, cst), true},
		{"1990-03-07", time.Date(1990, 3, 7, 0, 0, 0, 0, cst), time.Date(1990, 3, 8, 0, 0, 0, 0, cst), true},
		{"2024-05-01T08:30:00Z", time.Date(2024, 5, 1, 8, 30, 0, 0, time.UTC), time.Date(2024, 5, 1, 8, 30, 1, 0, time.UTC), true},
		{"2024-05-01T08:30:00.25+02:00", time.Date(2024, 5, 1, 6, 30, 0, 250e6, time.UTC), time.Date(2024, 5, 1, 6, 30, 0, 260e6, time.UTC), true},
		{"2024-05-01T08:30:00", time.Date(2024, 5, 1, 0, 30, 0, 0, time.UTC), time.Date(2024, 5, 1, 0, 30, 1, 0, time.UTC), true},
		{"2024-13", time.Time{}, time.Time{}, false},
		{"yesterday", time.Time{}, time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			lo, hi, ok := DateRange(tt.in)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if ok && (!lo.Equal(tt.lo) || !hi.Equal(tt.hi)) {
				t.Errorf("range = [%v, %v), want [%v, %v)", lo, hi, tt.lo, tt.hi)
			}
		})
	}
}

func TestNumberRange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		lo, hi float64
	}{
		{"100", 99.5, 100.5},
		{"1.10", 1.095, 1.105},
		{"1e2", 50, 150},
		{"-3.5", -3.55, -3.45},
	}
	for _, tt := range tests {
		lo, hi, ok := numberRange(tt.in)
		if !ok || !near(lo, tt.lo) || !near(hi, tt.hi) {
			t.Errorf("numberRange(%q) = [%v, %v) %v, want [%v, %v)", tt.in, lo, hi, ok, tt.lo, tt.hi)
		}
	}
}

func near(a, b float64) bool { d := a - b; return d < 1e-9 && d > -1e-9 }

func index(t *testing.T, ix *Indexer, json string) []store.IndexEntry {
	t.Helper()
	n, err := fhirjson.Unmarshal([]byte(json))
	if err != nil {
		t.Fatal(err)
	}
	entries, err := ix.IndexNode(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

func has(entries []store.IndexEntry, want store.IndexEntry) bool {
	for _, e := range entries {
		if e.Param == want.Param && e.Type == want.Type && e.Text == want.Text && e.System == want.System &&
			e.Code == want.Code && e.RefType == want.RefType && e.RefID == want.RefID &&
			e.Lo.Equal(want.Lo) && e.Hi.Equal(want.Hi) && near(e.NumLo, want.NumLo) && near(e.NumHi, want.NumHi) {
			return true
		}
	}
	return false
}

func TestIndexValues(t *testing.T) {
	t.Parallel()
	ix, err := NewIndexer(Options{BaseURL: "https://hub.example.cn/fhir"})
	if err != nil {
		t.Fatal(err)
	}
	cst := time.FixedZone("", 8*3600)
	patient := index(t, ix, `{"resourceType":"Patient","id":"p1",
		"identifier":[{"system":"urn:oid:2.16.156.10011.1.3","value":"110101199003078515","type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"NNCHN"}],"text":"居民身份证"}}],
		"name":[{"family":"王","given":["小东"]}],"telecom":[{"system":"phone","value":"13812345678"}],
		"gender":"male","birthDate":"1990-03-07","active":true,
		"address":[{"line":["城关镇 1 号"],"city":"某县"}],
		"generalPractitioner":[{"reference":"https://hub.example.cn/fhir/Practitioner/dr1"}],
		"managingOrganization":{"reference":"Organization/org1/_history/3"}}`)
	obs := index(t, ix, `{"resourceType":"Observation","status":"final",
		"code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}],"text":"心率"},
		"subject":{"reference":"Patient/p1"},"effectivePeriod":{"start":"2024-05-01T08:30:00+08:00"},
		"valueQuantity":{"value":72.0,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}`)
	tests := []struct {
		name    string
		entries []store.IndexEntry
		want    store.IndexEntry
	}{
		{"family", patient, store.IndexEntry{Param: "family", Type: store.ParamString, Text: "王"}},
		{"name joined as Chinese writes it", patient, store.IndexEntry{Param: "name", Type: store.ParamString, Text: "王小东"}},
		{"given", patient, store.IndexEntry{Param: "given", Type: store.ParamString, Text: "小东"}},
		{"address city", patient, store.IndexEntry{Param: "address", Type: store.ParamString, Text: "某县"}},
		{"identifier", patient, store.IndexEntry{Param: "identifier", Type: store.ParamToken, System: "urn:oid:2.16.156.10011.1.3", Code: "110101199003078515", Text: "居民身份证"}},
		{"telecom", patient, store.IndexEntry{Param: "phone", Type: store.ParamToken, System: "phone", Code: "13812345678"}},
		{"gender", patient, store.IndexEntry{Param: "gender", Type: store.ParamToken, Code: "male"}},
		{"active boolean", patient, store.IndexEntry{Param: "active", Type: store.ParamToken, Code: "true"}},
		{"birthdate", patient, store.IndexEntry{Param: "birthdate", Type: store.ParamDate,
			Lo: time.Date(1990, 3, 7, 0, 0, 0, 0, cst), Hi: time.Date(1990, 3, 8, 0, 0, 0, 0, cst)}},
		{"identifier of-type", patient, store.IndexEntry{Param: "identifier:of-type", Type: store.ParamToken, System: "http://terminology.hl7.org/CodeSystem/v2-0203", Code: "NNCHN|110101199003078515"}},
		{"absolute local reference", patient, store.IndexEntry{Param: "general-practitioner", Type: store.ParamReference, RefType: "Practitioner", RefID: "dr1"}},
		{"versioned reference", patient, store.IndexEntry{Param: "organization", Type: store.ParamReference, RefType: "Organization", RefID: "org1"}},
		{"code", obs, store.IndexEntry{Param: "code", Type: store.ParamToken, System: "http://loinc.org", Code: "8867-4", Text: "心率 Heart rate"}},
		{"subject", obs, store.IndexEntry{Param: "subject", Type: store.ParamReference, RefType: "Patient", RefID: "p1"}},
		{"open period", obs, store.IndexEntry{Param: "date", Type: store.ParamDate,
			Lo: time.Date(2024, 5, 1, 8, 30, 0, 0, cst), Hi: maxTime}},
		{"value-quantity", obs, store.IndexEntry{Param: "value-quantity", Type: store.ParamQuantity,
			NumLo: 72, NumHi: 72, System: "http://unitsofmeasure.org", Code: "/min", CanonCode: "s-1", CanonLo: 72 * minFactor, CanonHi: 72 * minFactor}},
	}
	_ = minFactor
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !has(tt.entries, tt.want) {
				var got []string
				for _, e := range tt.entries {
					if e.Param == tt.want.Param {
						got = append(got, strings.TrimSpace(strings.ReplaceAll(
							strings.Join([]string{e.Type.String(), e.Text, e.System, e.Code, e.RefType, e.RefID, e.Lo.String(), e.Hi.String()}, " "), "  ", " ")))
					}
				}
				t.Errorf("no entry %+v; entries of %s: %q", tt.want, tt.want.Param, got)
			}
		})
	}
	for _, e := range obs {
		if e.Param == "patient" && e.RefType != "Patient" {
			t.Errorf("patient entry with target %s", e.RefType)
		}
	}
}

// TestIndexExamples indexes every official R4 example: every search
// parameter expression must evaluate on every resource it applies to.
func TestIndexExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("indexes all examples")
	}
	dir := corpus.NPM(t, "hl7.fhir.r4.examples")
	ix, err := NewIndexer(Options{})
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	var resources, entries int
	for _, f := range files {
		if filepath.Base(f) == "package.json" {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		n, err := fhirjson.Unmarshal(data)
		if err != nil {
			continue // the codec's own test accounts for these
		}
		es, err := ix.IndexNode(context.Background(), n)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
			continue
		}
		resources++
		entries += len(es)
	}
	if resources < 5000 {
		t.Errorf("indexed %d resources, want the package's ~5,300", resources)
	}
	t.Logf("indexed %d resources into %d entries", resources, entries)
}

var minFactor, _, _ = fhirpath.CanonicalUnit("/min")
