package fhirjson_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"yigong/conformance/corpus"
	"yigong/fhir/fhirjson"
)

// FuzzUnmarshal checks that decoding never panics and that a decoded tree
// round-trips: Unmarshal→Marshal→Unmarshal→Marshal gives the same bytes.
func FuzzUnmarshal(f *testing.F) {
	for _, s := range []string{
		`{"resourceType":"Patient","id":"p1","name":[{"family":"王","given":["小东",null],"_given":[null,{"id":"g"}]}],"birthDate":"1970-01-01"}`,
		`{"resourceType":"Observation","status":"final","code":{"text":"w"},"valueQuantity":{"value":1.10,"unit":"kg"}}`,
		`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","active":true}}]}`,
		`{"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"o"}],"managingOrganization":{"reference":"#o"}}`,
		`{"resourceType":"Questionnaire","status":"draft","item":[{"linkId":"1","type":"group","item":[{"linkId":"1.1","type":"string"}]}]}`,
	} {
		f.Add([]byte(s))
	}
	// A few official examples when the npm package is present.
	npm := corpus.NPMDir("hl7.fhir.r4.examples")
	for _, name := range []string{"Patient-example.json", "Observation-example-genetics-1.json", "Questionnaire-f201.json", "Bundle-bundle-example.json"} {
		if b, err := os.ReadFile(filepath.Join(npm, name)); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := fhirjson.Unmarshal(data)
		if err != nil {
			return
		}
		out1, err := fhirjson.Marshal(n)
		if err != nil {
			t.Fatalf("marshal of a decoded tree: %v", err)
		}
		n2, err := fhirjson.Unmarshal(out1)
		if err != nil {
			t.Fatalf("re-decode: %v\n%s", err, out1)
		}
		out2, err := fhirjson.Marshal(n2)
		if err != nil {
			t.Fatalf("re-marshal: %v", err)
		}
		if !bytes.Equal(out1, out2) {
			t.Fatalf("unstable round trip:\n%s\n%s", out1, out2)
		}
	})
}
