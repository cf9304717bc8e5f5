package fhirpath_test

import (
	"context"
	"fmt"

	"yigong/fhir/fhirjson"
	"yigong/fhir/fhirpath"
)

func Example() {
	patient, err := fhirjson.Unmarshal([]byte(`{
		"resourceType": "Patient",
		"name": [
			{"use": "official", "family": "王", "given": ["小东"]},
			{"use": "usual", "given": ["Dong"]}
		],
		"birthDate": "1974-12-25"
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	e := fhirpath.MustParse("Patient.name.where(use = 'official').select(family & given.first())")
	names, err := e.Evaluate(context.Background(), patient, fhirpath.Env{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(names.Strings())

	adult := fhirpath.MustParse("birthDate + 18 years <= @2026-01-01")
	ok, known, err := adult.EvaluateBool(context.Background(), patient, fhirpath.Env{})
	fmt.Println(ok, known, err)

	mixed, _ := fhirpath.MustParse("birthDate | 1.50 | 4 'mg'").Evaluate(context.Background(), patient, fhirpath.Env{})
	for _, it := range mixed {
		fmt.Println(it.Type(), it)
	}
	// Output:
	// [王小东]
	// true true <nil>
	// FHIR.date 1974-12-25
	// System.Decimal 1.50
	// System.Quantity 4 'mg'
}

func ExampleParse() {
	_, err := fhirpath.Parse("name.given.")
	fmt.Println(err)
	e, _ := fhirpath.Parse("(1 + 2) * 3 = 9 and name.exists()")
	fmt.Println(e)
	// Output:
	// fhirpath: 1:12: expected a name after '.', found end of expression
	// (1 + 2) * 3 = 9 and name.exists()
}
