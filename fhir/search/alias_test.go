package search

import (
	"context"
	"slices"
	"testing"

	"yigong/fhir/fhirjson"
	"yigong/fhir/fhirpath"
	"yigong/fhir/store"
)

func TestParamAliases(t *testing.T) {
	ix, err := NewIndexer(Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		typ, code string
		want      store.ParamAlias
		ok        bool
	}{
		{"Observation", "patient", store.ParamAlias{Params: []string{"subject"}, RefType: "Patient"}, true},
		{"Encounter", "patient", store.ParamAlias{Params: []string{"subject"}, RefType: "Patient"}, true},
		{"Encounter", "practitioner", store.ParamAlias{Params: []string{"participant"}, RefType: "Practitioner"}, true},
		{"Observation", "combo-code", store.ParamAlias{Params: []string{"code", "component-code"}}, true},
		{"Observation", "combo-value-quantity", store.ParamAlias{Params: []string{"component-value-quantity", "value-quantity"}}, true},
		{"Coverage", "patient", store.ParamAlias{Params: []string{"beneficiary"}}, true}, // the same expression
		{"Patient", "phonetic", store.ParamAlias{}, false},                               // pinyin of the name: values of its own
		// Parameters with their own values.
		{"Observation", "subject", store.ParamAlias{}, false},
		{"Observation", "code", store.ParamAlias{}, false},
		{"Claim", "patient", store.ParamAlias{}, false},        // Claim.patient: an element of its own
		{"Immunization", "patient", store.ParamAlias{}, false}, // likewise
		{"Observation", "combo-code-value-quantity", store.ParamAlias{Params: []string{"code-value-quantity", "component-code-value-quantity"}}, true},
		{"Observation", "code-value-quantity", store.ParamAlias{}, false},
		{"Patient", "name", store.ParamAlias{}, false},
	}
	for _, tt := range tests {
		got, ok := ix.ParamAlias(tt.typ, tt.code)
		if ok != tt.ok || got.RefType != tt.want.RefType || !slices.Equal(got.Params, tt.want.Params) {
			t.Errorf("%s.%s: got %+v %v, want %+v %v", tt.typ, tt.code, got, ok, tt.want, tt.ok)
		}
	}
}

// TestAliasValuesAreTheTargets checks that an alias's values are exactly those of
// the parameters it names: evaluated on its own expression, the rows of
// Observation's patient and combo-code equal the named parameters' rows
// (restricted to the reference type).
func TestAliasValuesAreTheTargets(t *testing.T) {
	ix, err := NewIndexer(Options{})
	if err != nil {
		t.Fatal(err)
	}
	n, err := fhirjson.UnmarshalOptions{}.Unmarshal([]byte(`{"resourceType":"Observation","id":"o1","status":"final",
		"code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},
		"subject":{"reference":"Patient/p1"},
		"component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":120,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}},
		             {"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},"valueQuantity":{"value":80,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	entries, err := ix.IndexNode(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	rows := func(params []string, refType string) []string {
		var out []string
		for _, e := range entries {
			if slices.Contains(params, e.Param) && (refType == "" || e.RefType == refType) {
				out = append(out, e.System+"|"+e.Code+"|"+e.RefType+"/"+e.RefID)
			}
		}
		slices.Sort(out)
		return out
	}
	for _, code := range []string{"patient", "combo-code", "combo-value-quantity"} {
		if got := rows([]string{code}, ""); len(got) != 0 {
			t.Errorf("%s has rows of its own: %v", code, got)
		}
		al, ok := ix.ParamAlias("Observation", code)
		if !ok {
			t.Fatalf("%s: no alias", code)
		}
		// The alias's own expression, evaluated directly.
		var own []string
		for _, p := range ix.Params("Observation") {
			if p.Def.Code != code {
				continue
			}
			res, err := p.expr.Evaluate(context.Background(), n, fhirpath.Env{Resolver: typeOnlyResolver{}})
			if err != nil {
				t.Fatal(err)
			}
			var es []store.IndexEntry
			for _, it := range res {
				es = ix.appendEntries(es, p, it)
			}
			for _, e := range es {
				own = append(own, e.System+"|"+e.Code+"|"+e.RefType+"/"+e.RefID)
			}
		}
		slices.Sort(own)
		if got := rows(al.Params, al.RefType); !slices.Equal(got, own) || len(own) == 0 {
			t.Errorf("%s: rows of %v = %v, its own expression gives %v", code, al.Params, got, own)
		}
	}
}
