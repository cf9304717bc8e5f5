package fhirjson_test

import (
	"fmt"
	"io"
	"strings"

	"yigong/fhir"
	"yigong/fhir/fhirjson"
)

func ExampleUnmarshal() {
	n, err := fhirjson.Unmarshal([]byte(`{"resourceType":"Observation","status":"final",
		"code":{"text":"weight"},"valueQuantity":{"value":70.50,"unit":"kg"}}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	v := n.Child("value")
	fmt.Println(n.Type, v.Name, v.Type, v.ChildValue("value"))
	// Output: Observation value Quantity 70.50
}

func ExampleUnmarshal_error() {
	_, err := fhirjson.Unmarshal([]byte(`{"resourceType":"Patient","name":[{"given":["a",1]}]}`))
	for _, is := range fhir.IssuesOf(err) {
		fmt.Println(is.Expression, is.Diagnostic)
	}
	// Output: Patient.name[0].given[1] given must be a JSON string, found number 1
}

func ExampleUnmarshalOptions_Unmarshal() {
	_, err := fhirjson.UnmarshalOptions{ResourceType: "Patient"}.Unmarshal([]byte(`{"resourceType":"Organization"}`))
	fmt.Println(fhir.KindOf(err), fhir.IssuesOf(err)[0].Expression)
	// Output: invalid resourceType
}

func ExampleMarshal() {
	n, _ := fhirjson.Unmarshal([]byte(`{"birthDate":"1970","resourceType":"Patient","name":[{"given":["小东",null],"_given":[null,{"extension":[{"url":"http://example.org/x","valueCode":"masked"}]}],"family":"王"}]}`))
	out, _ := fhirjson.Marshal(n)
	fmt.Println(string(out))
	// Output: {"resourceType":"Patient","name":[{"family":"王","given":["小东",null],"_given":[null,{"extension":[{"url":"http://example.org/x","valueCode":"masked"}]}]}],"birthDate":"1970"}
}

func ExampleMarshalOptions_Marshal() {
	n, _ := fhirjson.Unmarshal([]byte(`{"resourceType":"Patient","active":true}`))
	out, _ := fhirjson.MarshalOptions{Indent: "  "}.Marshal(n)
	fmt.Println(string(out))
	// Output:
	// {
	//   "resourceType": "Patient",
	//   "active": true
	// }
}

func ExampleNewDecoder() {
	in := `{"resourceType":"Patient","id":"a"}
{"resourceType":"Patient","id":"b"}

{"resourceType":"Patient","id":"c d"}
`
	dec := fhirjson.NewDecoder(strings.NewReader(in))
	for {
		n, err := dec.Decode()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println("line", dec.Line(), fhir.IssuesOf(err)[0].Expression)
			continue
		}
		fmt.Println(n.Type, n.ID())
	}
	// Output:
	// Patient a
	// Patient b
	// line 4 Patient.id
}
