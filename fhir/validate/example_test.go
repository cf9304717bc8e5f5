package validate_test

import (
	"context"
	"fmt"
	"strings"

	"yigong/fhir/fhirjson"
	"yigong/fhir/validate"
)

func ExampleValidator_Validate() {
	n, _ := fhirjson.Unmarshal([]byte(`{"resourceType":"Patient","gender":"woman",
		"contact":[{"gender":"female"}]}`))
	for _, is := range validate.New().Validate(context.Background(), n) {
		fmt.Println(strings.TrimSpace(fmt.Sprintln(is.Severity, is.Code, is.Expression, is.Constraint)))
	}
	// Output:
	// error code-invalid Patient.gender
	// error invariant Patient.contact[0] pat-1
}

func ExampleValidator_ValidateProfile() {
	n, _ := fhirjson.Unmarshal([]byte(`{"resourceType":"Observation","status":"final",
		"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],
		"code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}]},
		"subject":{"reference":"Patient/1"},"effectiveDateTime":"2024-05-01",
		"valueString":"heavy"}`))
	issues, err := validate.New().ValidateProfile(context.Background(), n, "http://hl7.org/fhir/StructureDefinition/bodyweight")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, is := range issues {
		fmt.Println(is.Code, is.Expression)
	}
	// Output:
	// structure Observation.value
}

func ExampleOperationOutcome() {
	n, _ := fhirjson.Unmarshal([]byte(`{"resourceType":"Patient","gender":"woman"}`))
	oo, _ := validate.OperationOutcome(validate.New().Validate(context.Background(), n))
	out, _ := fhirjson.Marshal(oo)
	fmt.Println(string(out))
	// Output: {"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"code-invalid","diagnostics":"the value \"woman\" is not in the value set http://hl7.org/fhir/ValueSet/administrative-gender (required binding)","expression":["Patient.gender"]}]}
}

func ExampleNewWithOptions() {
	// Structural checks only, without FHIRPath invariants.
	v := validate.NewWithOptions(validate.Options{SkipConstraints: true})
	n, _ := fhirjson.Unmarshal([]byte(`{"resourceType":"Observation","code":{"text":"x"}}`))
	for _, is := range v.Validate(context.Background(), n) {
		fmt.Println(is.Code, is.Expression, is.Diagnostic)
	}
	// Output: required Observation.status minimum required = 1, but only found 0 (from http://hl7.org/fhir/StructureDefinition/Observation)
}
