package fhirpath

import (
	"context"
	"testing"

	"yigong/fhir/fhirjson"
)

// TestInvariantCompat pins both readings of the spec: the official FHIRPath
// suite's (default) and the one FHIR R4's own invariants need.
func TestInvariantCompat(t *testing.T) {
	t.Parallel()
	n, err := fhirjson.Unmarshal([]byte(`{"resourceType":"Patient","active":true,
		"contained":[{"resourceType":"Organization","id":"org1","name":"x"}],
		"name":[{"family":"王"},{"family":"李"}],"managingOrganization":{"reference":"#org1"}}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		expr           string
		strict, compat string // result as text, or "error"
	}{
		{"Patient.active.is(Boolean)", "false", "true"},
		{"Patient.active is Boolean", "false", "true"},
		{"Patient.active.is(System.Boolean)", "false", "false"},
		{"Patient.name.as(HumanName).family", "error", "王 李"},
		{"Patient.name.first().as(HumanName).family", "王", "王"},
		{"Patient.contained.name.reference", "error", ""},
		{"contained.where(('#'+id in %resource.descendants().reference).not()).empty()", "true", "true"},
	}
	for _, tt := range tests {
		for _, compat := range []bool{false, true} {
			want := tt.strict
			if compat {
				want = tt.compat
			}
			got, err := MustParse(tt.expr).Evaluate(context.Background(), n, Env{InvariantCompat: compat})
			text := "error"
			if err == nil {
				text = ""
				for i, it := range got {
					if i > 0 {
						text += " "
					}
					text += it.String()
				}
			}
			if text != want {
				t.Errorf("%s (compat %v) = %q (err %v), want %q", tt.expr, compat, text, err, want)
			}
		}
	}
}
