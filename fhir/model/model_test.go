package model_test

import (
	"fmt"
	"strings"
	"testing"

	"yigong/fhir/model"
)

func TestSearchParamCount(t *testing.T) {
	t.Parallel()
	if n := len(model.AllSearchParams()); n != 1378 {
		t.Fatalf("AllSearchParams: %d parameters, want 1378", n)
	}
}

func TestLookups(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		fn   func() string
		want string
	}{
		{"patient kind", func() string { return fmt.Sprintln(model.LookupType("Patient").Kind == model.KindResource) }, "true"},
		{"resource count", func() string { return fmt.Sprintln(len(model.ResourceTypes())) }, "147"},
		{"is resource", func() string {
			return fmt.Sprintln(model.IsResourceType("Observation"), model.IsResourceType("DomainResource"), model.IsResourceType("HumanName"))
		}, "true false false"},
		{"element card", func() string {
			e := model.LookupType("Patient").Element("Patient.contact.name")
			return fmt.Sprintln(e.Min, e.Max, e.TypeCodes())
		}, "0 1 [HumanName]"},
		{"choice", func() string {
			e := model.LookupType("Observation").Element("Observation.value[x]")
			return fmt.Sprintln(e.Name, e.Choice, len(e.Types), e.JSONName("Quantity"))
		}, "value true 11 valueQuantity"},
		{"resource id type", func() string { return model.LookupType("Patient").Element("Patient.id").Types[0].Code }, "id"},
		{"element id type", func() string { return model.LookupType("HumanName").Element("HumanName.id").Types[0].Code }, "string"},
		{"contentReference children", func() string {
			cs := model.LookupType("Questionnaire").Children("Questionnaire.item.item")
			return fmt.Sprintln(len(cs) > 10, cs[0].Path)
		}, "true Questionnaire.item.id"},
		{"through contentReference", func() string {
			return model.LookupType("Questionnaire").Element("Questionnaire.item.item.linkId").Path
		}, "Questionnaire.item.linkId"},
		{"regex", func() string { return model.LookupType("id").Regex }, `[A-Za-z0-9\-\.]{1,64}`},
		{"json name", func() string {
			c, ok := model.LookupType("Observation").ChildByJSONName("Observation", "valueQuantity")
			return fmt.Sprintln(ok, c.Element.Path, c.Type)
		}, "true Observation.value[x] Quantity"},
		{"profile", func() string {
			p := model.LookupProfile("http://hl7.org/fhir/StructureDefinition/SimpleQuantity|4.0.1")
			return fmt.Sprintln(p.Constrains, p.Derivation, p.Element("Quantity.comparator").Max)
		}, "Quantity constraint 0"},
		{"vitals profile", func() string {
			return model.LookupProfile("http://hl7.org/fhir/StructureDefinition/bodyweight").Constrains
		}, "Observation"},
		{"constraint", func() string {
			return model.LookupType("Quantity").Root.Constraints[1].Key
		}, "qty-3"},
		{"binding", func() string {
			b := model.LookupType("Patient").Element("Patient.gender").Binding
			return b.Strength + " " + b.ValueSet
		}, "required http://hl7.org/fhir/ValueSet/administrative-gender|4.0.1"},
		{"search", func() string {
			p := model.LookupSearchParam("Patient", "birthdate")
			return p.Type + " " + p.Expression
		}, "date Patient.birthDate | Person.birthDate | RelatedPerson.birthDate"},
		{"search base", func() string { return model.LookupSearchParam("Patient", "_id").Code }, "_id"},
		{"search list", func() string { return fmt.Sprintln(len(model.SearchParams("Patient")) > 20) }, "true"},
		{"compartment", func() string { return fmt.Sprintln(model.PatientCompartment("Observation")) }, "[subject performer]"},
		{"value set", func() string {
			codes, complete := model.ValueSetCodes("http://hl7.org/fhir/ValueSet/administrative-gender")
			return fmt.Sprintln(len(codes), complete)
		}, "4 true"},
		{"value set contains", func() string {
			in, known := model.ValueSetContains("http://hl7.org/fhir/ValueSet/administrative-gender|4.0.1", "", "female")
			out, _ := model.ValueSetContains("http://hl7.org/fhir/ValueSet/administrative-gender", "", "woman")
			return fmt.Sprintln(in, known, out)
		}, "true true false"},
		{"value set incomplete", func() string {
			_, complete := model.ValueSetCodes("http://hl7.org/fhir/ValueSet/mimetypes")
			return fmt.Sprintln(complete)
		}, "false"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := strings.TrimSpace(tc.fn()); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// Every element's children must be reachable and every type code known.
func TestTypeCodesKnown(t *testing.T) {
	t.Parallel()
	for _, ty := range model.AllTypes() {
		for _, e := range ty.Elements {
			for _, tr := range e.Types {
				if model.LookupType(tr.Code) == nil && tr.Code[0] != 'h' { // fhirpath System.* types of primitive values
					t.Errorf("%s %s: unknown type %q", ty.URL, e.Path, tr.Code)
				}
			}
		}
	}
}

func ExampleLookupType() {
	t := model.LookupType("Patient")
	e := t.Element("Patient.gender")
	fmt.Println(t.Kind == model.KindResource, e.Min, e.Max, e.TypeCodes(), e.Binding.Strength)
	for _, c := range t.Children("Patient.contact")[:3] {
		fmt.Println(c.Path)
	}
	// Output:
	// true 0 1 [code] required
	// Patient.contact.id
	// Patient.contact.extension
	// Patient.contact.modifierExtension
}

func ExampleLookupSearchParam() {
	p := model.LookupSearchParam("Patient", "birthdate")
	fmt.Println(p.Type, p.Expression)
	// Output: date Patient.birthDate | Person.birthDate | RelatedPerson.birthDate
}

func ExamplePatientCompartment() {
	fmt.Println(model.PatientCompartment("Encounter"))
	// Output: [subject]
}

func ExampleValueSetContains() {
	in, known := model.ValueSetContains("http://hl7.org/fhir/ValueSet/administrative-gender", "http://hl7.org/fhir/administrative-gender", "male")
	fmt.Println(in, known)
	// Output: true true
}

func ExampleLookupProfile() {
	p := model.LookupProfile("http://hl7.org/fhir/StructureDefinition/bp")
	fmt.Println(p.Name, p.Constrains, p.Base)
	// Output: observation-bp Observation vitalsigns
}
