package fhirjson_test

import (
	"errors"
	"strings"
	"testing"

	"yigong/fhir"
	"yigong/fhir/fhirjson"
)

func TestUnmarshalErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		opts     fhirjson.UnmarshalOptions
		json     string
		loc      string // Expression of the first issue
		code     string // Code of the first issue
		contains string // in the first issue's Diagnostic
	}{
		{"syntax", fhirjson.UnmarshalOptions{}, `{"resourceType":"Patient",}`, "", "structure", "offset 26"},
		{"trailing data", fhirjson.UnmarshalOptions{}, `{"resourceType":"Patient"} x`, "", "structure", "after the top-level value"},
		{"not an object", fhirjson.UnmarshalOptions{}, `[]`, "", "structure", "JSON object"},
		{"missing resourceType", fhirjson.UnmarshalOptions{}, `{"id":"a"}`, "", "required", "missing resourceType"},
		{"missing resourceType expected", fhirjson.UnmarshalOptions{ResourceType: "Patient"}, `{"id":"a"}`, "Patient", "required", "missing resourceType"},
		{"resourceType not string", fhirjson.UnmarshalOptions{}, `{"resourceType":1}`, "resourceType", "structure", "must be a string"},
		{"unknown resource type", fhirjson.UnmarshalOptions{}, `{"resourceType":"Patent"}`, "resourceType", "invalid", `unknown resource type "Patent"`},
		{"abstract resource type", fhirjson.UnmarshalOptions{}, `{"resourceType":"DomainResource"}`, "resourceType", "invalid", "unknown resource type"},
		{"unexpected resource type", fhirjson.UnmarshalOptions{ResourceType: "Patient"}, `{"resourceType":"Observation","status":"final","code":{"text":"x"}}`, "resourceType", "invalid", `"Observation" where "Patient" is expected`},
		{"unknown element", fhirjson.UnmarshalOptions{}, `{"resourceType":"Patient","nmae":[{"family":"Wang"}]}`, "Patient.nmae", "structure", `unknown element "nmae"`},
		{"unknown nested element", fhirjson.UnmarshalOptions{}, `{"resourceType":"Patient","name":[{"family":"Wang"},{"famly":"Li"}]}`, "Patient.name[1].famly", "structure", `unknown element "famly"`},
		{"duplicate key", fhirjson.UnmarshalOptions{}, `{"resourceType":"Patient","gender":"male","gender":"female"}`, "", "structure", `duplicate member name "gender"`},
		{"array for max 1", fhirjson.UnmarshalOptions{}, `{"resourceType":"Patient","gender":["male"]}`, "Patient.gender", "structure", "must not be a JSON array"},
		{"bare value for repeating", fhirjson.UnmarshalOptions{}, `{"resourceType":"Patient","name":{"family":"Wang"}}`, "Patient.name", "structure", "must be a JSON array"},
		{"bare string in repeating primitive", fhirjson.UnmarshalOptions{}, `{"resourceType":"Patient","name":[{"given":"Xiaodong"}]}`, "Patient.name[0].given", "structure", "must be a JSON array"},
		{"empty string", fhirjson.UnmarshalOptions{}, `{"resourceType":"Patient","gender":""}`, "Patient.gender", "value", "empty string"},
		{"empty array", fhirjson.UnmarshalOptions{}, `{"resourceType":"Patient","name":[]}`, "Patient.name", "structure", "empty array"},
		{"empty object", fhirjson.UnmarshalOptions{}, `{"resourceType":"Patient","name":[{}]}`, "Patient.name[0]", "structure", "empty object"},
		{"null value", fhirjson.UnmarshalOptions{}, `{"resourceType":"Patient","gender":null}`, "Patient.gender", "structure", "null is not allowed"},
		{"null in array without extension", fhirjson.UnmarshalOptions{}, `{"resourceType":"Patient","name":[{"given":["a",null]}]}`, "Patient.name[0].given[1]", "structure", "null is not allowed"},
		{"both null", fhirjson.UnmarshalOptions{}, `{"resourceType":"Patient","name":[{"given":["a",null],"_given":[{"id":"x"},null]}]}`, "Patient.name[0].given[1]", "structure", "both given and _given are null"},
		{"misaligned extension array", fhirjson.UnmarshalOptions{}, `{"resourceType":"Patient","name":[{"given":["a","b"],"_given":[null]}]}`, "Patient.name[0].given", "structure", "2 values but _given has 1"},
		{"extension of complex", fhirjson.UnmarshalOptions{}, `{"resourceType":"Patient","_name":[{"id":"x"}]}`, "Patient._name", "structure", "not a primitive element"},
		{"value inside primitive extension", fhirjson.UnmarshalOptions{}, `{"resourceType":"Patient","_birthDate":{"value":"2000"}}`, "Patient.birthDate.value", "structure", `unknown element "value"`},
		{"boolean as string", fhirjson.UnmarshalOptions{}, `{"resourceType":"Patient","active":"true"}`, "Patient.active", "structure", "must be a JSON boolean"},
		{"integer as string", fhirjson.UnmarshalOptions{}, `{"resourceType":"Patient","multipleBirthInteger":"2"}`, "Patient.multipleBirth", "structure", "must be a JSON number"},
		{"integer with fraction", fhirjson.UnmarshalOptions{}, `{"resourceType":"Patient","multipleBirthInteger":2.0}`, "Patient.multipleBirth", "value", `"2.0" is not a valid integer`},
		{"integer out of range", fhirjson.UnmarshalOptions{}, `{"resourceType":"Patient","multipleBirthInteger":2147483648}`, "Patient.multipleBirth", "value", "out of the 32-bit range"},
		{"positiveInt zero", fhirjson.UnmarshalOptions{}, `{"resourceType":"Observation","status":"final","code":{"text":"x"},"component":[{"code":{"text":"y"},"valueSampledData":{"origin":{"value":1},"period":1,"dimensions":0}}]}`, "Observation.component[0].value.dimensions", "value", "not a valid positiveInt"},
		{"unsignedInt negative", fhirjson.UnmarshalOptions{}, `{"resourceType":"Attachment"}`, "resourceType", "invalid", "unknown resource type"},
		{"decimal as string", fhirjson.UnmarshalOptions{}, `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":"1.5"}}`, "Observation.value.value", "structure", "must be a JSON number"},
		{"string as number", fhirjson.UnmarshalOptions{}, `{"resourceType":"Patient","name":[{"family":1}]}`, "Patient.name[0].family", "structure", "must be a JSON string"},
		{"bad date", fhirjson.UnmarshalOptions{}, `{"resourceType":"Patient","birthDate":"2000-13-01"}`, "Patient.birthDate", "value", "not a valid date"},
		{"impossible date", fhirjson.UnmarshalOptions{}, `{"resourceType":"Patient","birthDate":"2001-02-29"}`, "Patient.birthDate", "value", "not a calendar date"},
		{"dateTime without zone", fhirjson.UnmarshalOptions{}, `{"resourceType":"Patient","deceasedDateTime":"2020-01-01T10:00:00"}`, "Patient.deceased", "value", "not a valid dateTime"},
		{"bad instant", fhirjson.UnmarshalOptions{}, `{"resourceType":"Patient","meta":{"lastUpdated":"2020-01-01"}}`, "Patient.meta.lastUpdated", "value", "not a valid instant"},
		{"bad time", fhirjson.UnmarshalOptions{}, `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueTime":"25:00:00"}`, "Observation.value", "value", "not a valid time"},
		{"bad id", fhirjson.UnmarshalOptions{}, `{"resourceType":"Patient","id":"a_b"}`, "Patient.id", "value", `"a_b" is not a valid id`},
		{"bad code", fhirjson.UnmarshalOptions{}, `{"resourceType":"Patient","gender":" male"}`, "Patient.gender", "value", "not a valid code"},
		{"bad uri", fhirjson.UnmarshalOptions{}, `{"resourceType":"Patient","identifier":[{"system":"urn:a b"}]}`, "Patient.identifier[0].system", "value", "not a valid uri"},
		{"bad oid", fhirjson.UnmarshalOptions{}, `{"resourceType":"Patient","extension":[{"url":"http://example.org/x","valueOid":"urn:oid:2.16.156.10011.01"}]}`, "Patient.extension[0].value", "value", "not a valid oid"},
		{"bad base64", fhirjson.UnmarshalOptions{}, `{"resourceType":"Binary","contentType":"text/plain","data":"abc"}`, "Binary.data", "value", "not a valid base64Binary"},
		{"bad uuid", fhirjson.UnmarshalOptions{}, `{"resourceType":"Patient","extension":[{"url":"http://example.org/x","valueUuid":"urn:uuid:X"}]}`, "Patient.extension[0].value", "value", "not a valid uuid"},
		{"two choices", fhirjson.UnmarshalOptions{}, `{"resourceType":"Patient","deceasedBoolean":true,"deceasedDateTime":"2020"}`, "Patient.deceasedDateTime", "structure", "more than one type"},
		{"unknown choice type", fhirjson.UnmarshalOptions{}, `{"resourceType":"Patient","deceasedString":"yes"}`, "Patient.deceasedString", "structure", `unknown element "deceasedString"`},
		{"contained unknown type", fhirjson.UnmarshalOptions{}, `{"resourceType":"Patient","contained":[{"resourceType":"Foo"}]}`, "Patient.contained[0].resourceType", "invalid", `unknown resource type "Foo"`},
		{"contained missing resourceType", fhirjson.UnmarshalOptions{}, `{"resourceType":"Patient","contained":[{"id":"a"}]}`, "Patient.contained[0]", "required", "missing resourceType"},
		{"contained error location", fhirjson.UnmarshalOptions{}, `{"resourceType":"Patient","contained":[{"resourceType":"Organization","nam":"x"}]}`, "Patient.contained[0].nam", "structure", "unknown element"},
		{"bundle entry", fhirjson.UnmarshalOptions{}, `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","gender":1}}]}`, "Bundle.entry[0].resource.gender", "structure", "must be a JSON string"},
		{"typed resource element", fhirjson.UnmarshalOptions{}, `{"resourceType":"Bundle","type":"batch-response","entry":[{"response":{"status":"200","outcome":{"resourceType":"Patient"}}}]}`, "Bundle.entry[0].response.outcome.resourceType", "invalid", `"Patient" where "OperationOutcome" is expected`},
		{"invalid utf8", fhirjson.UnmarshalOptions{}, "{\"resourceType\":\"Patient\",\"id\":\"\xff\"}", "", "structure", "invalid UTF-8"},
		{"lone surrogate", fhirjson.UnmarshalOptions{}, `{"resourceType":"Patient","name":[{"text":"\ud800"}]}`, "", "structure", "surrogate"},
		{"control char", fhirjson.UnmarshalOptions{}, "{\"resourceType\":\"Patient\",\"name\":[{\"text\":\"a\x01\"}]}", "", "structure", "control character"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n, err := tc.opts.Unmarshal([]byte(tc.json))
			if err == nil {
				t.Fatalf("no error; decoded %s", n.Type)
			}
			var fe *fhir.Error
			if !errors.As(err, &fe) || fe.Kind != fhir.KindInvalid {
				t.Fatalf("error %T %v is not a *fhir.Error of kind invalid", err, err)
			}
			if len(fe.Issues) == 0 {
				t.Fatalf("no issues: %v", err)
			}
			is := fe.Issues[0]
			if is.Expression != tc.loc {
				t.Errorf("location %q, want %q (%v)", is.Expression, tc.loc, err)
			}
			if tc.code != "" && is.Code != tc.code {
				t.Errorf("code %q, want %q (%v)", is.Code, tc.code, err)
			}
			if !strings.Contains(is.Diagnostic, tc.contains) {
				t.Errorf("diagnostic %q does not contain %q", is.Diagnostic, tc.contains)
			}
			if !strings.HasPrefix(err.Error(), "fhir: fhirjson: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

// All issues are collected, not only the first.
func TestUnmarshalCollectsIssues(t *testing.T) {
	t.Parallel()
	_, err := fhirjson.Unmarshal([]byte(`{"resourceType":"Patient","gender":"","birthDate":"x","name":[{"famly":"a"}],"foo":1}`))
	got := []string{}
	for _, is := range fhir.IssuesOf(err) {
		got = append(got, is.Expression)
	}
	want := "Patient.foo Patient.name[0].famly Patient.gender Patient.birthDate"
	if strings.Join(got, " ") != want {
		t.Errorf("issue locations %q, want %q", strings.Join(got, " "), want)
	}
}

func TestValidValues(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, json string }{
		{"decimal exponent", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1e2}}`},
		{"decimal trailing zero", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1.10}}`},
		{"primitive extension only", `{"resourceType":"Patient","_birthDate":{"extension":[{"url":"http://example.org/x","valueString":"unknown"}]}}`},
		{"aligned arrays", `{"resourceType":"Patient","name":[{"given":["a",null,"c"],"_given":[null,{"id":"g2"},{"id":"g3"}]}]}`},
		{"leap day", `{"resourceType":"Patient","birthDate":"2000-02-29"}`},
		{"chinese", `{"resourceType":"Patient","name":[{"text":"王小东","family":"王","given":["小东"]}]}`},
		{"bom", "\xEF\xBB\xBF" + `{"resourceType":"Patient"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n, err := fhirjson.Unmarshal([]byte(tc.json))
			if err != nil {
				t.Fatal(err)
			}
			out, err := fhirjson.Marshal(n)
			if err != nil {
				t.Fatal(err)
			}
			want := strings.TrimPrefix(tc.json, "\xEF\xBB\xBF")
			if string(out) != want {
				t.Errorf("round trip:\n got %s\nwant %s", out, want)
			}
		})
	}
}

func TestLenient(t *testing.T) {
	t.Parallel()
	in := `{"resourceType":"Patient","foo":{"a":[1,2]},"gender":"male"}`
	n, warnings, err := fhirjson.UnmarshalOptions{Lenient: true}.UnmarshalWarnings([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || warnings[0].Expression != "Patient.foo" {
		t.Errorf("warnings %v", warnings)
	}
	if c := n.Child("foo"); c == nil || c.Def != nil || c.Value != `{"a":[1,2]}` {
		t.Errorf("unknown element not kept: %+v", c)
	}
	out, _ := fhirjson.Marshal(n)
	if string(out) != `{"resourceType":"Patient","gender":"male","foo":{"a":[1,2]}}` {
		t.Errorf("marshal: %s", out)
	}
}
