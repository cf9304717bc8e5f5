package fhirpath_test

import (
	"context"
	"encoding/xml"
	"os"
	"path/filepath"
	"testing"
	"time"

	"yigong/conformance/corpus"
	"yigong/fhir"
	"yigong/fhir/fhirpath"
)

// fuzzSeeds are expressions added besides the official suite's.
var fuzzSeeds = []string{
	"Patient.name.where(use = 'official').given.first()",
	"(1 | 2 | 3).aggregate($this + $total, 0)",
	"@2014-01-01T10:00:00.000+08:00 + 3 days",
	"'a\\u0062c'.matches('[a-c]+') and %`vs-x` = %'vs-x'",
	"Observation.value.as(Quantity) > 4 'mg' implies -(1.5).round(1) != 2",
	"contained.where(id = 'x').resolve() is FHIR.Patient",
	"name.select(given.join(' ')).sort(-$this)",
}

// FuzzParse checks that Parse never panics, that String renders a parsed
// expression to text that parses to the same rendering, and that
// evaluating it on a small resource neither panics nor runs away.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	if dir, ok := corpus.Locate(); ok {
		data, err := os.ReadFile(filepath.Join(dir, "fhir", "fhirpath", "tests-fhir-r4.xml"))
		if err == nil {
			var sf suiteFile
			if xml.Unmarshal(data, &sf) == nil {
				for _, g := range sf.Groups {
					for _, tc := range g.Tests {
						f.Add(tc.Expression.Text)
					}
				}
			}
		}
	}
	input := samplePatient()
	f.Fuzz(func(t *testing.T, src string) {
		e, err := fhirpath.Parse(src)
		if err != nil {
			return
		}
		s1 := e.String()
		e2, err := fhirpath.Parse(s1)
		if err != nil {
			t.Fatalf("String() of %q = %q does not parse: %v", src, s1, err)
		}
		if s2 := e2.String(); s2 != s1 {
			t.Fatalf("String() not stable for %q:\n%q\n%q", src, s1, s2)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		_, _ = e.Evaluate(ctx, input, fhirpath.Env{})
	})
}

// samplePatient builds a small Patient tree by hand.
func samplePatient() *fhir.Node {
	prim := func(name, typ, v string) *fhir.Node { return &fhir.Node{Name: name, Type: typ, Value: v} }
	return &fhir.Node{Type: "Patient", Children: []*fhir.Node{
		prim("id", "id", "p1"),
		prim("active", "boolean", "true"),
		{Name: "name", Type: "HumanName", Children: []*fhir.Node{
			prim("use", "code", "official"),
			prim("family", "string", "王"),
			prim("given", "string", "小东"),
			prim("given", "string", "Xiaodong"),
		}},
		{Name: "name", Type: "HumanName", Children: []*fhir.Node{
			prim("use", "code", "usual"),
			prim("given", "string", "Dong"),
		}},
		prim("gender", "code", "male"),
		{Name: "birthDate", Type: "date", Value: "1974-12-25", Children: []*fhir.Node{
			{Name: "extension", Type: "Extension", Children: []*fhir.Node{
				prim("url", "uri", "http://hl7.org/fhir/StructureDefinition/patient-birthTime"),
				prim("value", "dateTime", "1974-12-25T14:35:45+08:00"),
			}},
		}},
	}}
}
