package terminology_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"yigong/fhir"
	"yigong/fhir/fhirjson"
	"yigong/fhir/fhirpath"
	"yigong/fhir/terminology"
)

// shared is one Service for the tests, so the definitions load once.
var shared = terminology.New()

const (
	genderVS  = "http://hl7.org/fhir/ValueSet/administrative-gender"
	genderCS  = "http://hl7.org/fhir/administrative-gender"
	actCode   = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
	encounter = "http://terminology.hl7.org/ValueSet/v3-ActEncounterCode"
)

func codes(exp *terminology.Expansion) []string {
	var out []string
	for _, e := range exp.Contains {
		out = append(out, e.Code)
	}
	return out
}

func TestExpand(t *testing.T) {
	t.Parallel()
	ts := shared
	ctx := context.Background()
	tests := []struct {
		name      string
		url       string
		opts      terminology.ExpandOptions
		want      []string // exact codes, in order (nil: not checked)
		contains  []string
		lacks     []string
		total     int // -1: not checked
		errKind   fhir.Kind
		errIssue  string
		wantError bool
	}{
		{name: "administrative-gender", url: genderVS, want: []string{"male", "female", "other", "unknown"}, total: 4},
		{name: "text filter", url: genderVS, opts: terminology.ExpandOptions{Filter: "fem"}, want: []string{"female"}, total: 1},
		{name: "text filter is case-insensitive", url: genderVS, opts: terminology.ExpandOptions{Filter: "UNK"}, want: []string{"unknown"}, total: 1},
		{name: "paging", url: genderVS, opts: terminology.ExpandOptions{Offset: 1, Count: 2}, want: []string{"female", "other"}, total: 4},
		{name: "offset beyond", url: genderVS, opts: terminology.ExpandOptions{Offset: 10}, want: nil, total: 4},
		{name: "is-a filter", url: encounter, contains: []string{"AMB", "IMP", "ACUTE", "EMER"},
			lacks: []string{"_ActEncounterCode", "_ActAccountCode", "CASH"}, total: 11}, // the abstract root is excluded
		{name: "v2 table", url: "http://terminology.hl7.org/ValueSet/v2-0001", contains: []string{"F", "M"}, total: -1},
		{name: "SNOMED filter is not supported", url: "http://hl7.org/fhir/ValueSet/clinical-findings", wantError: true,
			errKind: fhir.KindNotSupported, errIssue: "not-supported"},
		{name: "all of UCUM is not supported", url: "http://hl7.org/fhir/ValueSet/ucum-units", wantError: true,
			errKind: fhir.KindNotSupported, errIssue: "not-supported"},
		{name: "listed UCUM codes expand", url: "http://hl7.org/fhir/ValueSet/ucum-bodyweight", contains: []string{"kg", "[lb_av]", "g"}, total: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			vs, ok := ts.ValueSet(tt.url)
			if !ok {
				t.Fatalf("value set %s not bundled", tt.url)
			}
			exp, err := ts.Expand(ctx, vs, tt.opts)
			if tt.wantError {
				if err == nil {
					t.Fatalf("expand = %v, want an error", codes(exp))
				}
				if fhir.KindOf(err) != tt.errKind || fhir.IssuesOf(err)[0].Code != tt.errIssue {
					t.Fatalf("error %v: kind %v issue %q", err, fhir.KindOf(err), fhir.IssuesOf(err)[0].Code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := codes(exp)
			if tt.want != nil && !slices.Equal(got, tt.want) || tt.want == nil && tt.contains == nil && len(got) != 0 {
				t.Errorf("codes = %v, want %v", got, tt.want)
			}
			for _, c := range tt.contains {
				if !slices.Contains(got, c) {
					t.Errorf("expansion lacks %s: %v", c, got)
				}
			}
			for _, c := range tt.lacks {
				if slices.Contains(got, c) {
					t.Errorf("expansion has %s", c)
				}
			}
			if tt.total >= 0 && exp.Total != tt.total {
				t.Errorf("total = %d, want %d", exp.Total, tt.total)
			}
		})
	}
}

func TestExpandDisplay(t *testing.T) {
	t.Parallel()
	ts := shared
	vs, _ := ts.ValueSet(encounter)
	exp, err := ts.Expand(context.Background(), vs, terminology.ExpandOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range exp.Contains {
		if e.Code == "AMB" && (e.Display != "ambulatory" || e.System != actCode) {
			t.Errorf("AMB = %+v", e)
		}
	}
}

func TestParseValueSetExpand(t *testing.T) {
	t.Parallel()
	ts := shared
	vs, err := terminology.ParseValueSet([]byte(`{"resourceType":"ValueSet","url":"urn:x","compose":{
		"include":[{"valueSet":["` + genderVS + `"]}],
		"exclude":[{"system":"` + genderCS + `","concept":[{"code":"unknown"}]}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	exp, err := ts.Expand(context.Background(), vs, terminology.ExpandOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := codes(exp); !slices.Equal(got, []string{"male", "female", "other"}) {
		t.Errorf("codes = %v", got)
	}
	if _, err := terminology.ParseValueSet([]byte(`{"resourceType":"Patient"}`)); fhir.KindOf(err) != fhir.KindInvalid {
		t.Errorf("Patient as value set: %v", err)
	}
}

func TestLookup(t *testing.T) {
	t.Parallel()
	ts := shared
	ctx := context.Background()
	c, err := ts.Lookup(ctx, genderCS, "", "female")
	if err != nil {
		t.Fatal(err)
	}
	if c.Display != "Female" || c.Name != "AdministrativeGender" || c.Version != "4.0.1" || c.Definition != "Female." {
		t.Errorf("lookup = %+v", c)
	}
	amb, err := ts.Lookup(ctx, actCode, "", "AMB")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(amb.Parents, "_ActEncounterCode") {
		t.Errorf("AMB parents = %v", amb.Parents)
	}
	parent, _ := ts.Lookup(ctx, actCode, "", "_ActEncounterCode")
	if !parent.Abstract || !slices.Contains(parent.Children, "AMB") {
		t.Errorf("_ActEncounterCode = abstract %v children %v", parent.Abstract, parent.Children)
	}
	for _, tc := range []struct {
		system, code string
		want         fhir.Kind
	}{
		{genderCS, "femal", fhir.KindNotFound},
		{"http://loinc.org", "29463-7", fhir.KindNotFound},
		{"http://snomed.info/sct", "248153007", fhir.KindNotSupported}, // declared in the bundle, content not-present
	} {
		if _, err := ts.Lookup(ctx, tc.system, "", tc.code); fhir.KindOf(err) != tc.want {
			t.Errorf("lookup %s#%s: %v, want %v", tc.system, tc.code, err, tc.want)
		}
	}
	if _, err := ts.Lookup(ctx, genderCS, "3.0.1", "female"); fhir.KindOf(err) != fhir.KindNotFound {
		t.Errorf("unknown version: %v", err)
	}
}

func TestValidateCode(t *testing.T) {
	t.Parallel()
	ts := shared
	ctx := context.Background()
	gender, _ := ts.ValueSet(genderVS)
	enc, _ := ts.ValueSet(encounter)
	tests := []struct {
		name    string
		vs      *terminology.ValueSet
		codings []terminology.Coding
		want    bool
		display string
		errKind fhir.Kind
		isErr   bool
	}{
		{"in", gender, []terminology.Coding{{System: genderCS, Code: "female"}}, true, "Female", 0, false},
		{"display ok", gender, []terminology.Coding{{System: genderCS, Code: "female", Display: "female"}}, true, "Female", 0, false},
		{"display wrong", gender, []terminology.Coding{{System: genderCS, Code: "female", Display: "Woman"}}, false, "", 0, false},
		{"not in", gender, []terminology.Coding{{System: genderCS, Code: "f"}}, false, "", 0, false},
		{"wrong system", gender, []terminology.Coding{{System: "http://snomed.info/sct", Code: "female"}}, false, "", 0, false},
		{"no system", gender, []terminology.Coding{{Code: "male"}}, true, "Male", 0, false},
		{"codeable concept, second coding", gender, []terminology.Coding{{System: "http://x", Code: "w"}, {System: genderCS, Code: "other"}}, true, "Other", 0, false},
		{"is-a member", enc, []terminology.Coding{{System: actCode, Code: "EMER"}}, true, "emergency", 0, false},
		{"is-a outsider", enc, []terminology.Coding{{System: actCode, Code: "CASH"}}, false, "", 0, false},
		{"no code", gender, nil, false, "", fhir.KindInvalid, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, err := ts.ValidateCode(ctx, tt.vs, tt.codings)
			if tt.isErr {
				if fhir.KindOf(err) != tt.errKind {
					t.Fatalf("err = %v, want kind %v", err, tt.errKind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if v.Result != tt.want || tt.want && v.Display != tt.display || !tt.want && v.Message == "" {
				t.Errorf("validate = %+v", v)
			}
		})
	}
}

func TestValidateCodeUndecidable(t *testing.T) {
	t.Parallel()
	ts := shared
	vs, ok := ts.ValueSet("http://hl7.org/fhir/ValueSet/clinical-findings")
	if !ok {
		t.Fatal("clinical-findings not bundled")
	}
	_, err := ts.ValidateCode(context.Background(), vs, []terminology.Coding{{System: "http://snomed.info/sct", Code: "22298006"}})
	if fhir.KindOf(err) != fhir.KindNotSupported {
		t.Errorf("SNOMED code in a SNOMED is-a set: %v, want not-supported", err)
	}
	v, err := ts.ValidateCode(context.Background(), vs, []terminology.Coding{{System: genderCS, Code: "male"}})
	if err != nil || v.Result {
		t.Errorf("a code of another system is decidably outside: %+v %v", v, err)
	}
}

func TestValidateCodeInSystem(t *testing.T) {
	t.Parallel()
	ts := shared
	ctx := context.Background()
	v, err := ts.ValidateCodeInSystem(ctx, genderCS, "", []terminology.Coding{{Code: "unknown"}})
	if err != nil || !v.Result || v.Display != "Unknown" {
		t.Errorf("unknown: %+v %v", v, err)
	}
	v, err = ts.ValidateCodeInSystem(ctx, genderCS, "", []terminology.Coding{{System: "http://other", Code: "male"}})
	if err != nil || v.Result {
		t.Errorf("other system: %+v %v", v, err)
	}
	v, err = ts.ValidateCodeInSystem(ctx, genderCS, "", []terminology.Coding{{Code: "nope"}})
	if err != nil || v.Result || v.Message == "" {
		t.Errorf("nope: %+v %v", v, err)
	}
	if _, err := ts.ValidateCodeInSystem(ctx, "http://loinc.org", "", []terminology.Coding{{Code: "1-8"}}); fhir.KindOf(err) != fhir.KindNotFound {
		t.Errorf("LOINC: %v", err)
	}
}

func TestSubsumes(t *testing.T) {
	t.Parallel()
	ts := shared
	ctx := context.Background()
	tests := []struct {
		a, b string
		want terminology.Subsumption
	}{
		{"_ActEncounterCode", "AMB", terminology.Subsumes},
		{"AMB", "_ActEncounterCode", terminology.SubsumedBy},
		{"AMB", "AMB", terminology.Equivalent},
		{"AMB", "EMER", terminology.NotSubsumed},
		{"_ActEncounterCode", "CASH", terminology.NotSubsumed},
	}
	for _, tt := range tests {
		t.Run(tt.a+" "+tt.b, func(t *testing.T) {
			t.Parallel()
			got, err := ts.Subsumes(ctx, actCode, "", tt.a, tt.b)
			if err != nil || got != tt.want {
				t.Errorf("subsumes = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if _, err := ts.Subsumes(ctx, actCode, "", "AMB", "NOPE"); fhir.KindOf(err) != fhir.KindNotFound {
		t.Errorf("unknown code B: %v", err)
	}
}

func TestMemberOf(t *testing.T) {
	t.Parallel()
	ts := shared
	ctx := context.Background()
	in, err := ts.MemberOf(ctx, genderVS, []fhirpath.Coding{{Code: "female"}})
	if err != nil || !in {
		t.Errorf("female: %v %v", in, err)
	}
	in, err = ts.MemberOf(ctx, genderVS, []fhirpath.Coding{{System: genderCS, Code: "x"}})
	if err != nil || in {
		t.Errorf("x: %v %v", in, err)
	}
	if _, err := ts.MemberOf(ctx, "http://example.org/nope", nil); !errors.Is(err, fhirpath.ErrUnknownValueSet) {
		t.Errorf("unknown value set: %v", err)
	}
	pat, err := fhirjson.Unmarshal([]byte(`{"resourceType":"Patient","gender":"female","maritalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-MaritalStatus","code":"M"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	for expr, want := range map[string]bool{
		"gender.memberOf('" + genderVS + "')":                                          true,
		"maritalStatus.memberOf('http://hl7.org/fhir/ValueSet/marital-status')":        true,
		"maritalStatus.coding.memberOf('http://hl7.org/fhir/ValueSet/marital-status')": true,
		"gender.memberOf('http://hl7.org/fhir/ValueSet/marital-status')":               false,
	} {
		got, err := fhirpath.MustParse(expr).Evaluate(ctx, pat, fhirpath.Env{Terminology: ts})
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		if b, ok := got.Bool(); !ok || b != want {
			t.Errorf("%s = %v, want %v", expr, got, want)
		}
	}
}

func TestStats(t *testing.T) {
	t.Parallel()
	cs, concepts, vs, err := terminology.New().Stats()
	if err != nil {
		t.Fatal(err)
	}
	if cs < 1000 || concepts < 20000 || vs < 1300 {
		t.Errorf("stats: %d code systems, %d concepts, %d value sets", cs, concepts, vs)
	}
}
