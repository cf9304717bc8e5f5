package terminology_test

import (
	"context"
	"testing"

	"yigong/fhir/terminology"
)

// BenchmarkLoad measures the lazy load: decompress and index the
// definitions.
func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if err := terminology.New().Load(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExpandLarge expands the largest bundled value set
// (c80-doc-typecodes, 6,401 listed LOINC codes) with paging, from the
// cached expansion.
func BenchmarkExpandLarge(b *testing.B) {
	ts := terminology.New()
	vs, ok := ts.ValueSet("http://hl7.org/fhir/ValueSet/c80-doc-typecodes")
	if !ok {
		b.Fatal("c80-doc-typecodes not bundled")
	}
	ctx := context.Background()
	exp, err := ts.Expand(ctx, vs, terminology.ExpandOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ts.Expand(ctx, vs, terminology.ExpandOptions{Count: 100}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(exp.Total), "codes")
}

// BenchmarkExpandLargeFilter is BenchmarkExpandLarge with a text filter.
func BenchmarkExpandLargeFilter(b *testing.B) {
	ts := terminology.New()
	vs, _ := ts.ValueSet("http://hl7.org/fhir/ValueSet/c80-doc-typecodes")
	ctx := context.Background()
	if _, err := ts.Expand(ctx, vs, terminology.ExpandOptions{}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ts.Expand(ctx, vs, terminology.ExpandOptions{Filter: "discharge"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExpandUncached computes the expansion from the compose rules each
// time (an inline value set with an is-a filter).
func BenchmarkExpandUncached(b *testing.B) {
	ts := terminology.New()
	vs, err := terminology.ParseValueSet([]byte(`{"resourceType":"ValueSet","compose":{"include":[
		{"system":"http://terminology.hl7.org/CodeSystem/v3-RoleCode","filter":[{"property":"concept","op":"is-a","value":"_PersonalRelationshipRoleType"}]}]}}`))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := ts.Load(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ts.Expand(ctx, vs, terminology.ExpandOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateCode validates one coding against an is-a value set.
func BenchmarkValidateCode(b *testing.B) {
	ts := terminology.New()
	vs, _ := ts.ValueSet("http://terminology.hl7.org/ValueSet/v3-ActEncounterCode")
	ctx := context.Background()
	codings := []terminology.Coding{{System: "http://terminology.hl7.org/CodeSystem/v3-ActCode", Code: "EMER", Display: "emergency"}}
	if _, err := ts.ValidateCode(ctx, vs, codings); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		v, err := ts.ValidateCode(ctx, vs, codings)
		if err != nil || !v.Result {
			b.Fatal(v, err)
		}
	}
}
