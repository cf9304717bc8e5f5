package r4_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"yigong/conformance/fhirtest"
	"yigong/fhir"
	"yigong/fhir/fhirjson"
	"yigong/fhir/r4"
)

// TestExamplesRoundTrip reads every official R4 example into its typed
// struct and writes it back: the JSON trees must be equal, which proves each
// generated struct has every element, choice type and primitive extension
// the examples use.
func TestExamplesRoundTrip(t *testing.T) {
	n := 0
	for _, f := range fhirtest.ExampleFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var a r4.AnyResource
		if err := json.Unmarshal(data, &a); err != nil {
			t.Errorf("%s: unmarshal: %v", filepath.Base(f), err)
			continue
		}
		out, err := json.Marshal(a)
		if err != nil {
			t.Errorf("%s: marshal: %v", filepath.Base(f), err)
			continue
		}
		if want, got := fhirtest.JSONTree(t, data), fhirtest.JSONTree(t, out); !reflect.DeepEqual(want, got) {
			t.Errorf("%s: round trip through r4.%s differs", filepath.Base(f), a.Resource.ResourceType())
		}
		n++
	}
	if n < 5000 {
		t.Errorf("round-tripped %d files, want all of the package's 5,306", n)
	}
	t.Logf("%d official examples round-tripped through their typed structs", n)
}

func TestToNodeRejectsBadStruct(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		resource r4.Resource
		wantAt   string
	}{
		{"bad date", &r4.Patient{BirthDate: "1990-13-45"}, "Patient.birthDate"},
		{"bad code format", &r4.Patient{Gender: "male "}, "Patient.gender"},
		{"empty complex value", &r4.Observation{Status: "final", Code: &r4.CodeableConcept{}}, "Observation.code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := r4.ToNode(tt.resource)
			if err == nil {
				t.Fatal("ToNode accepted it")
			}
			found := false
			for _, is := range fhir.IssuesOf(err) {
				if strings.HasPrefix(is.Expression, tt.wantAt) {
					found = true
				}
			}
			if !found {
				t.Errorf("no issue at %s: %v", tt.wantAt, err)
			}
		})
	}
}

func TestFromNode(t *testing.T) {
	t.Parallel()
	n, err := fhirjson.Unmarshal([]byte(`{"resourceType":"Observation","status":"final",
		"code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},
		"valueQuantity":{"value":72.10,"unit":"/min"},"_status":{"extension":[{"url":"http://x","valueString":"y"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	var o r4.Observation
	if err := r4.FromNode(n, &o); err != nil {
		t.Fatal(err)
	}
	if o.ValueQuantity == nil || o.ValueQuantity.Value.String() != "72.10" {
		t.Errorf("valueQuantity = %+v; the decimal must keep its lexical form", o.ValueQuantity)
	}
	if o.StatusExt == nil || len(o.StatusExt.Extension) != 1 || o.StatusExt.Extension[0].ValueString != "y" {
		t.Errorf("_status = %+v", o.StatusExt)
	}
	if err := r4.FromNode(n, &r4.Patient{}); err == nil {
		t.Error("FromNode read an Observation into a Patient")
	}
}

func Example() {
	p := &r4.Patient{
		Identifier:           []r4.Identifier{{System: "urn:oid:2.16.156.10011.1.3", Value: "110101199003078515"}},
		Name:                 []r4.HumanName{{Family: "王", Given: []string{"小东"}}},
		Gender:               "male",
		BirthDate:            "1990-03-07",
		Contained:            []r4.AnyResource{{Resource: &r4.Organization{ID: "org1", Name: "城关镇卫生院"}}},
		ManagingOrganization: &r4.Reference{Reference: "#org1"},
	}
	n, err := r4.ToNode(p)
	if err != nil {
		fmt.Println(err)
		return
	}
	out, _ := fhirjson.Marshal(n)
	fmt.Println(string(out))
	// Output:
	// {"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"org1","name":"城关镇卫生院"}],"identifier":[{"system":"urn:oid:2.16.156.10011.1.3","value":"110101199003078515"}],"name":[{"family":"王","given":["小东"]}],"gender":"male","birthDate":"1990-03-07","managingOrganization":{"reference":"#org1"}}
}
