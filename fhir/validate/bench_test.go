package validate_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"yigong/conformance/corpus"
	"yigong/fhir"
	"yigong/fhir/fhirjson"
	"yigong/fhir/validate"
)

// syntheaResources returns the entry resources of type rt in the Synthea
// bundles of the corpus.
func syntheaResources(b *testing.B, rt string) []*fhir.Node {
	b.Helper()
	dir := corpus.Path(b, "fhir", "synthea")
	ents, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	var out []*fhir.Node
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			b.Fatal(err)
		}
		bundle, err := fhirjson.Unmarshal(data)
		if err != nil {
			b.Fatal(err)
		}
		for _, entry := range bundle.ChildrenNamed("entry") {
			if r := entry.Child("resource"); r != nil && r.Type == rt {
				out = append(out, r)
			}
		}
	}
	if len(out) == 0 {
		b.Fatalf("no %s in the Synthea bundles", rt)
	}
	return out
}

func benchmarkValidate(b *testing.B, rt string) {
	resources := syntheaResources(b, rt)
	v := validate.New()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		for _, r := range resources {
			v.Validate(ctx, r)
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "resources/s")
}

func BenchmarkValidateObservation(b *testing.B) { benchmarkValidate(b, "Observation") }

func BenchmarkValidatePatient(b *testing.B) { benchmarkValidate(b, "Patient") }
