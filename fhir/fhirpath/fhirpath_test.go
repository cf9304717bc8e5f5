package fhirpath_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"yigong/fhir"
	"yigong/fhir/fhirpath"
)

func prim(name, typ, v string) *fhir.Node { return &fhir.Node{Name: name, Type: typ, Value: v} }

func ref(name, target string) *fhir.Node {
	return &fhir.Node{Name: name, Type: "Reference", Children: []*fhir.Node{prim("reference", "string", target)}}
}

// sampleBundle holds a Patient (with a contained Organization) and an
// Observation referring to it.
func sampleBundle() (*fhir.Node, *fhir.Node, *fhir.Node) {
	org := &fhir.Node{Name: "contained", Type: "Organization", Children: []*fhir.Node{prim("id", "id", "org1"), prim("name", "string", "县医院")}}
	pat := &fhir.Node{Name: "resource", Type: "Patient", Children: []*fhir.Node{
		prim("id", "id", "p1"),
		org,
		prim("gender", "code", "female"),
		ref("managingOrganization", "#org1"),
	}}
	obs := &fhir.Node{Name: "resource", Type: "Observation", Children: []*fhir.Node{
		prim("id", "id", "o1"),
		prim("status", "code", "final"),
		{Name: "code", Type: "CodeableConcept", Children: []*fhir.Node{
			{Name: "coding", Type: "Coding", Children: []*fhir.Node{prim("system", "uri", "http://loinc.org"), prim("code", "code", "8480-6")}},
		}},
		ref("subject", "Patient/p1"),
		{Name: "value", Type: "Quantity", Children: []*fhir.Node{
			prim("value", "decimal", "120.0"), prim("unit", "string", "mmHg"),
			prim("system", "uri", "http://unitsofmeasure.org"), prim("code", "code", "mm[Hg]"),
		}},
	}}
	bundle := &fhir.Node{Type: "Bundle", Children: []*fhir.Node{
		prim("type", "code", "collection"),
		{Name: "entry", Type: "BackboneElement", Children: []*fhir.Node{prim("fullUrl", "uri", "http://example.org/fhir/Patient/p1"), pat}},
		{Name: "entry", Type: "BackboneElement", Children: []*fhir.Node{prim("fullUrl", "uri", "urn:uuid:0b4b4c0e-1c9a-4d8e-9e1a-000000000001"), obs}},
	}}
	return bundle, pat, obs
}

func eval(t *testing.T, src string, input *fhir.Node, env fhirpath.Env) (fhirpath.Collection, error) {
	t.Helper()
	e, err := fhirpath.Parse(src)
	if err != nil {
		return nil, err
	}
	return e.Evaluate(context.Background(), input, env)
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	patient := samplePatient()
	bundle, pat, obs := sampleBundle()
	tests := []struct {
		name  string
		input *fhir.Node
		env   fhirpath.Env
		expr  string
		want  string // items joined by "|"; "" is the empty collection
	}{
		{"path", patient, fhirpath.Env{}, "Patient.name.given", "小东|Xiaodong|Dong"},
		{"where", patient, fhirpath.Env{}, "name.where(use = 'usual').given", "Dong"},
		{"index", patient, fhirpath.Env{}, "name[1].use", "usual"},
		{"$index", patient, fhirpath.Env{}, "name.select($index)", "0|1"},
		{"string equivalence", patient, fhirpath.Env{}, "'  Hello   World ' ~ 'hello world'", "true"},
		{"decimal precision", nil, fhirpath.Env{}, "1.10 + 2", "3.10"},
		{"division", nil, fhirpath.Env{}, "10 / 4", "2.5"},
		{"integer div mod", nil, fhirpath.Env{}, "(7 div 2) | (7 mod 2) | (-7 div 2)", "3|1|-3"},
		{"concat empty", nil, fhirpath.Env{}, "'a' & {} & 'b'", "ab"},
		{"three-valued and", nil, fhirpath.Env{}, "({} and false) | ({} or true)", "false|true"},
		{"implies unknown", nil, fhirpath.Env{}, "{} implies true", "true"},
		{"date month end", nil, fhirpath.Env{}, "@2014-01-31 + 1 month", "2014-02-28"},
		{"leap year", nil, fhirpath.Env{}, "@2016-02-29 + 1 year", "2017-02-28"},
		{"datetime tz compare", nil, fhirpath.Env{}, "@2017-11-05T01:30:00-04:00 > @2017-11-05T01:15:00-05:00", "false"},
		{"date precision compare", nil, fhirpath.Env{}, "@2018-03 < @2018-03-01", ""},
		{"date vs datetime decided", nil, fhirpath.Env{}, "@2018-03 < @2018-04-01T10:00", "true"},
		{"time arithmetic", nil, fhirpath.Env{}, "@T23:30 + 1 hour", "00:30"},
		{"ucum mass", nil, fhirpath.Env{}, "1 'kg' = 1000 'g'", "true"},
		{"ucum volume", nil, fhirpath.Env{}, "250 'mL' < 0.3 'L'", "true"},
		{"ucum time", nil, fhirpath.Env{}, "90 'min' > 1 'h'", "true"},
		{"ucum pressure", nil, fhirpath.Env{}, "760 'mm[Hg]' > 100 'kPa'", "true"},
		{"ucum concentration", nil, fhirpath.Env{}, "1 'mmol/L' = 1000 'umol/L'", "true"},
		{"ucum length", nil, fhirpath.Env{}, "1 '[in_i]' = 2.54 'cm'", "true"},
		{"calendar vs ucum year", nil, fhirpath.Env{}, "1 year = 1 'a'", ""},
		{"calendar year months", nil, fhirpath.Env{}, "1 year = 12 months", "true"},
		{"calendar week days", nil, fhirpath.Env{}, "1 week = 7 'd'", "true"},
		{"incommensurable", nil, fhirpath.Env{}, "1 'kg' = 1 'm'", ""},
		{"quantity add", nil, fhirpath.Env{}, "1 'kg' + 500 'g'", "1.5 'kg'"},
		{"quantity from FHIR", obs, fhirpath.Env{}, "Observation.value > 15 'kPa'", "true"},
		{"toQuantity unit", nil, fhirpath.Env{}, "'1.5 \\'g\\''.toQuantity('mg')", "1500.0 'mg'"},
		{"extension()", patient, fhirpath.Env{}, "birthDate.extension(%`ext-patient-birthTime`).value", "1974-12-25T14:35:45+08:00"},
		{"hasValue getValue", patient, fhirpath.Env{}, "birthDate.hasValue() | birthDate.getValue().type().name", "true|Date"},
		{"is code string", patient, fhirpath.Env{}, "gender.is(string).combine(gender.is(FHIR.code)).combine(gender.is(System.String))", "true|true|false"},
		{"as exact primitive", patient, fhirpath.Env{}, "gender.as(string).exists()", "false"},
		{"ofType resource", bundle, fhirpath.Env{}, "entry.resource.ofType(DomainResource).id", "p1|o1"},
		{"resource type filter", bundle, fhirpath.Env{}, "entry.resource.ofType(Observation).status", "final"},
		{"multi-type path", obs, fhirpath.Env{}, "Condition.code | Observation.code.coding.code", "8480-6"},
		{"children descendants", obs, fhirpath.Env{}, "code.descendants().count() | code.children().count()", "3|1"},
		{"repeat", patient, fhirpath.Env{}, "repeat(name).given.count()", "3"},
		{"repeat no element check", patient, fhirpath.Env{}, "name.repeat(given).count()", "3"},
		{"aggregate", nil, fhirpath.Env{}, "(1|2|3|4).aggregate($total + $this, 0)", "10"},
		{"sort desc", nil, fhirpath.Env{}, "('b'|'c'|'a').sort(-$this)", "c|b|a"},
		{"resolve bundle by fullUrl type/id", bundle, fhirpath.Env{RootResource: bundle}, "entry.resource.ofType(Observation).subject.resolve().gender", "female"},
		{"resolve contained", pat, fhirpath.Env{RootResource: bundle}, "managingOrganization.resolve().name", "县医院"},
		{"resolve absolute fullUrl", bundle, fhirpath.Env{}, "'http://example.org/fhir/Patient/p1'.resolve().id", "p1"},
		{"resolve via resolver", obs, fhirpath.Env{Resolver: fhirpath.ResolverFunc(func(ctx context.Context, r string) (*fhir.Node, error) {
			if r == "Patient/p1" {
				return pat, nil
			}
			return nil, nil
		})}, "subject.resolve().id", "p1"},
		{"resolve unknown", obs, fhirpath.Env{}, "subject.resolve()", ""},
		{"%resource %rootResource", pat, fhirpath.Env{RootResource: bundle}, "%resource.id | %rootResource.type", "p1|collection"},
		{"%context", pat, fhirpath.Env{Context: obs}, "%context.status", "final"},
		{"user variable", nil, fhirpath.Env{Variables: map[string]fhirpath.Collection{"x": {fhirpath.ValueItem(fhirpath.Integer(41))}}}, "%x + 1", "42"},
		{"constants", nil, fhirpath.Env{}, "%ucum | %loinc | %'vs-observation-status'", "http://unitsofmeasure.org|http://loinc.org|http://hl7.org/fhir/ValueSet/observation-status"},
		{"conformsTo core", pat, fhirpath.Env{}, "conformsTo('http://hl7.org/fhir/StructureDefinition/Patient') | conformsTo('http://hl7.org/fhir/StructureDefinition/DomainResource')", "true"},
		{"memberOf without terminology", obs, fhirpath.Env{}, "code.memberOf('http://hl7.org/fhir/ValueSet/x')", ""},
		{"memberOf", obs, fhirpath.Env{Terminology: fakeTerminology{}}, "code.memberOf('http://example.org/vs/bp') | status.memberOf('http://example.org/vs/bp')", "true|false"},
		{"memberOf unknown value set", obs, fhirpath.Env{Terminology: fakeTerminology{}}, "code.memberOf('http://example.org/vs/other')", ""},
		{"now fixed", nil, fhirpath.Env{Now: func() time.Time { return time.Date(2025, 6, 1, 8, 0, 0, 0, time.FixedZone("", 8*3600)) }}, "now() | today() | timeOfDay()", "2025-06-01T08:00:00.000+08:00|2025-06-01|08:00:00.000"},
		{"encode", nil, fhirpath.Env{}, "'王'.encode('hex') | '王'.encode('base64').decode('base64')", "e78e8b|王"},
		{"string funcs runes", nil, fhirpath.Env{}, "'王小东'.length() | '王小东'.substring(1, 1) | '王小东'.indexOf('东')", "3|小|2"},
		{"replaceMatches groups", nil, fhirpath.Env{}, "'2014-01-02'.replaceMatches('(\\\\d+)-(\\\\d+)-(\\\\d+)', '$3/$2/$1')", "02/01/2014"},
		{"boundaries", nil, fhirpath.Env{}, "@2014-02.highBoundary() | 1.5.lowBoundary(3)", "2014-02-28|1.450"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := eval(t, tt.expr, tt.input, tt.env)
			if err != nil {
				t.Fatalf("%s: %v", tt.expr, err)
			}
			if s := strings.Join(got.Strings(), "|"); s != tt.want {
				t.Errorf("%s = %q, want %q", tt.expr, s, tt.want)
			}
		})
	}
}

type fakeTerminology struct{}

func (fakeTerminology) MemberOf(ctx context.Context, vs string, codings []fhirpath.Coding) (bool, error) {
	if vs != "http://example.org/vs/bp" {
		return false, fhirpath.ErrUnknownValueSet
	}
	for _, c := range codings {
		if c.System == "http://loinc.org" && c.Code == "8480-6" {
			return true, nil
		}
	}
	return false, nil
}

func TestEvaluateErrors(t *testing.T) {
	t.Parallel()
	patient := samplePatient()
	tests := []struct {
		name, expr, want string
		env              fhirpath.Env
	}{
		{"singleton", "name.given + 'x'", "expected a single item", fhirpath.Env{}},
		{"single()", "name.single()", "single(): expected at most one item", fhirpath.Env{}},
		{"type mismatch", "1 < 'a'", "cannot compare Integer with String", fhirpath.Env{}},
		{"unknown element", "name.given1", `HumanName has no element "given1"`, fhirpath.Env{}},
		{"wrong resource type strict", "Encounter.status", `Patient has no element "Encounter"`, fhirpath.Env{Strict: true}},
		{"unknown variable", "%nope", "unknown variable %nope", fhirpath.Env{}},
		{"as on many", "name.as(HumanName)", "expected a single item", fhirpath.Env{}},
		{"bad regex", "'a'.matches('(')", "bad regular expression", fhirpath.Env{}},
		{"conformsTo unknown", "conformsTo('http://example.org/StructureDefinition/x')", "no profile checker", fhirpath.Env{}},
		{"date plus UCUM month", "@2014-01-01 + 1 'mo'", "cannot add", fhirpath.Env{}},
		{"integer overflow", "2147483647 + 1", "integer overflow", fhirpath.Env{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := eval(t, tt.expr, patient, tt.env)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "fhirpath: ") {
				t.Fatalf("%s: error = %v, want %q", tt.expr, err, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr      string
		line, col int
		msg       string
	}{
		{"name.given.", 1, 12, "expected a name"},
		{"2 + 2 /", 1, 8, "unexpected end of expression"},
		{"'abc", 1, 1, "unterminated"},
		{"name.frobnicate()", 1, 6, "unknown function frobnicate()"},
		{"name.where()", 1, 6, "wrong number of arguments"},
		{"a.as(Foo)", 1, 3, "unknown type Foo"},
		{"1 +\n  * 2", 2, 3, "unexpected \"*\""},
		{"/* open", 1, 1, "unterminated comment"},
		{"@2014-13", 1, 1, "invalid date"},
		{"$foo", 1, 1, "unknown variable $foo"},
		{"(1 + 2", 1, 7, `expected ")"`},
		{"(Observation.value as Period).unit", 1, 31, `Period has no element "unit"`},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			t.Parallel()
			_, err := fhirpath.Parse(tt.expr)
			var se *fhirpath.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error = %v, want a SyntaxError", err)
			}
			if se.Line != tt.line || se.Column != tt.col || !strings.Contains(se.Msg, tt.msg) {
				t.Errorf("got %d:%d %q, want %d:%d %q", se.Line, se.Column, se.Msg, tt.line, tt.col, tt.msg)
			}
			if !strings.HasPrefix(err.Error(), "fhirpath: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestString(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"a.b.c", "a.b.c"},
		{"(1 + 2) * 3", "(1 + 2) * 3"},
		{"1 + 2 + 3", "1 + 2 + 3"},
		{"1 + (2 + 3)", "1 + (2 + 3)"},
		{"-(1).abs()", "-1.abs()"},
		{"a is FHIR.`Patient`", "a is FHIR.Patient"},
		{"text.div", "text.`div`"},
		{"'it''s'", ""},
		{"'a\\'b'", `'a\'b'`},
		{"4 'mg' + 3 days", "4 'mg' + 3 days"},
		{"%`vs-x`", "%`vs-x`"},
		{"x.where($this > 1 and $index < 2)", "x.where($this > 1 and $index < 2)"},
	}
	for _, tt := range tests {
		e, err := fhirpath.Parse(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("Parse(%q) succeeded, want error", tt.in)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if got := e.String(); got != tt.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestHTMLChecks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, div string
		want      string
	}{
		{"ok", `<div xmlns="http://www.w3.org/1999/xhtml"><p>王小东 <b>male</b></p><table><tr><td colspan="2">x</td></tr></table><a href="http://example.org">l</a><img src="#x" alt=""/></div>`, "true"},
		{"entity", `<div xmlns="http://www.w3.org/1999/xhtml">a&nbsp;b</div>`, "true"},
		{"script", `<div xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></div>`, "false"},
		{"event handler", `<div xmlns="http://www.w3.org/1999/xhtml"><p onclick="x()">a</p></div>`, "false"},
		{"javascript link", `<div xmlns="http://www.w3.org/1999/xhtml"><a href=" JavaScript:x()">a</a></div>`, "false"},
		{"no namespace", `<div><p>a</p></div>`, "false"},
		{"not div", `<p xmlns="http://www.w3.org/1999/xhtml">a</p>`, "false"},
		{"form", `<div xmlns="http://www.w3.org/1999/xhtml"><form/></div>`, "false"},
		{"malformed", `<div xmlns="http://www.w3.org/1999/xhtml"><p>a</div>`, "false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n := &fhir.Node{Type: "Patient", Children: []*fhir.Node{{Name: "text", Type: "Narrative", Children: []*fhir.Node{
				prim("status", "code", "generated"), prim("div", "xhtml", tt.div)}}}}
			got, err := eval(t, "text.`div`.htmlChecks()", n, fhirpath.Env{})
			if err != nil {
				t.Fatal(err)
			}
			if s := strings.Join(got.Strings(), "|"); s != tt.want {
				t.Errorf("got %s, want %s", s, tt.want)
			}
		})
	}
}

func TestTraceAndBool(t *testing.T) {
	t.Parallel()
	var traced []string
	env := fhirpath.Env{Trace: func(name string, c fhirpath.Collection) {
		traced = append(traced, name+"="+strings.Join(c.Strings(), ","))
	}}
	e := fhirpath.MustParse("name.given.trace('g').count() = 3")
	v, ok, err := e.EvaluateBool(context.Background(), samplePatient(), env)
	if err != nil || !ok || !v {
		t.Fatalf("EvaluateBool = %v, %v, %v", v, ok, err)
	}
	if len(traced) != 1 || traced[0] != "g=小东,Xiaodong,Dong" {
		t.Errorf("trace = %q", traced)
	}
	if _, ok := (fhirpath.Collection{}).Bool(); ok {
		t.Error("empty collection Bool() ok")
	}
	if v, ok := (fhirpath.Collection{fhirpath.ValueItem(fhirpath.String("x"))}).Bool(); !ok || !v {
		t.Error("single non-boolean should be true")
	}
}

func TestEvaluateCollectionSystemInput(t *testing.T) {
	t.Parallel()
	e := fhirpath.MustParse("$this * 2")
	d, _ := fhirpath.ParseDecimal("1.25")
	got, err := e.EvaluateCollection(context.Background(), fhirpath.Collection{fhirpath.ValueItem(d)}, fhirpath.Env{})
	if err != nil || len(got) != 1 || got[0].String() != "2.50" {
		t.Fatalf("got %v, %v", got.Strings(), err)
	}
}

func TestCancellation(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	e := fhirpath.MustParse("(1|2|3|4|5|6|7|8|9|10).select((1|2|3|4|5|6|7|8|9|10).select((1|2|3|4|5|6|7|8|9|10).select($this)))")
	_, err := e.Evaluate(ctx, nil, fhirpath.Env{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// TestConcurrentEvaluate shares one Expression between goroutines (run
// with -race).
func TestConcurrentEvaluate(t *testing.T) {
	t.Parallel()
	e := fhirpath.MustParse("name.where(use = 'official').given.first() & '/' & birthDate.toString()")
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := samplePatient()
			for j := 0; j < 100; j++ {
				got, err := e.Evaluate(context.Background(), p, fhirpath.Env{})
				if err != nil || len(got) != 1 || got[0].String() != "小东/1974-12-25" {
					t.Errorf("got %v, %v", got.Strings(), err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
