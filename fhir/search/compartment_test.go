package search

import (
	"net/url"
	"testing"

	"yigong/fhir"
	"yigong/fhir/store"
)

func TestCompartmentFilter(t *testing.T) {
	tests := []struct {
		name, compartment, typ string
		want                   []string // OnType/Param of the alternatives
		kind                   fhir.Kind
	}{
		{"observation", "Patient", "Observation", []string{"/subject", "/performer"}, 0},
		{"the owner's type", "Patient", "Patient", []string{"/_id", "/link"}, 0},
		{"encounter", "Patient", "Encounter", []string{"/subject"}, 0},
		{"not in the compartment", "Patient", "Organization", nil, fhir.KindInvalid},
		{"unknown compartment", "Device", "Observation", nil, fhir.KindNotSupported},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := CompartmentFilter(Builtin{}, tc.compartment, "1", tc.typ)
			if tc.kind != 0 {
				if fhir.KindOf(err) != tc.kind {
					t.Fatalf("err %v, want kind %v", err, tc.kind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, a := range f.AnyOf {
				got = append(got, a.OnType+"/"+a.Param)
				if a.Param != store.ParamID && (a.Values[0].RefType != "Patient" || a.Values[0].RefID != "1") {
					t.Errorf("%s: value %+v", a.Param, a.Values[0])
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestParseCompartmentAll(t *testing.T) {
	plan, err := ParseCompartment(Builtin{}, "Patient", "1", "*", url.Values{"_type": {"Observation,Organization,Encounter"}}, ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := plan.Query.Types; len(got) != 2 || got[0] != "Observation" || got[1] != "Encounter" {
		t.Errorf("types %v, want the compartment's among _type", got)
	}
	f := plan.Query.Filters[len(plan.Query.Filters)-1]
	n := 0
	for _, a := range f.AnyOf {
		if a.OnType == "" {
			t.Errorf("alternative %s without a type", a.Param)
		}
		if a.OnType == "Observation" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d Observation alternatives, want 2", n)
	}
	if len(CompartmentTypes("Patient")) < 60 {
		t.Errorf("Patient compartment types: %v", CompartmentTypes("Patient"))
	}
}
