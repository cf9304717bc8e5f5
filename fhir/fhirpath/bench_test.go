package fhirpath_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"yigong/conformance/corpus"
	"yigong/fhir"
	"yigong/fhir/fhirjson"
	"yigong/fhir/fhirpath"
	"yigong/fhir/model"
)

// syntheaObservations decodes Observations from the Synthea bundles of the
// corpus (up to max).
func syntheaObservations(b *testing.B, max int) []*fhir.Node {
	b.Helper()
	dir := corpus.Path(b, "fhir", "synthea")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		b.Fatal(err)
	}
	sort.Strings(files)
	var obs []*fhir.Node
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		bundle, err := fhirjson.Unmarshal(data)
		if err != nil {
			b.Fatalf("%s: %v", f, err)
		}
		for _, e := range bundle.ChildrenNamed("entry") {
			if r := e.Child("resource"); r != nil && r.Type == "Observation" {
				obs = append(obs, r)
				if len(obs) == max {
					return obs
				}
			}
		}
	}
	if len(obs) == 0 {
		b.Skip("no Observations in the Synthea corpus")
	}
	return obs
}

// BenchmarkSearchParamsObservation evaluates every search parameter
// expression of Observation (model.SearchParams) over Synthea Observations;
// one op is one expression evaluated on one resource (evals/s = 1e9/ns/op).
func BenchmarkSearchParamsObservation(b *testing.B) {
	obs := syntheaObservations(b, 2000)
	var exprs []*fhirpath.Expression
	for _, p := range model.SearchParams("Observation") {
		if p.Expression == "" {
			continue
		}
		e, err := fhirpath.Parse(p.Expression)
		if err != nil {
			b.Fatalf("%s: %v", p.Code, err)
		}
		exprs = append(exprs, e)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for i := 0; b.Loop(); i++ {
		r := obs[(i/len(exprs))%len(obs)]
		e := exprs[i%len(exprs)]
		out, err := e.Evaluate(ctx, r, fhirpath.Env{})
		if err != nil {
			b.Fatalf("%s: %v", e.Source(), err)
		}
		n += len(out)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "evals/s")
	_ = n
}

// BenchmarkParse measures parsing one typical search expression.
func BenchmarkParse(b *testing.B) {
	src := "Observation.value.as(Quantity) | Observation.value.as(SampledData) | Observation.component.where(code.coding.exists(system = 'http://loinc.org'))"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fhirpath.Parse(src); err != nil {
			b.Fatal(err)
		}
	}
}
