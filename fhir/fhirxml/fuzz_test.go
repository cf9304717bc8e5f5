package fhirxml_test

import (
	"bytes"
	"testing"

	"yigong/fhir/fhirxml"
)

// FuzzUnmarshal feeds arbitrary bytes to the decoder: it must never panic,
// and whatever it accepts must encode and decode again to the same XML.
func FuzzUnmarshal(f *testing.F) {
	for _, s := range []string{
		`<Patient xmlns="http://hl7.org/fhir"><id value="p"/><name id="n"><family value="王"/><given value="珅"/></name><birthDate value="1990-03-07"/></Patient>`,
		`<Patient xmlns="http://hl7.org/fhir"><text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml"><p>hi &amp; bye</p></div></text></Patient>`,
		`<Bundle xmlns="http://hl7.org/fhir"><type value="collection"/><entry><resource><Observation><status value="final"/><code><text value="x"/></code><valueQuantity><value value="1.10"/></valueQuantity></Observation></resource></entry></Bundle>`,
		`<Patient xmlns="http://hl7.org/fhir"><contained><Organization><id value="o"/></Organization></contained><extension url="http://x"><valueString value="a&#x9;b"/></extension></Patient>`,
		`<Patient xmlns="http://hl7.org/fhir"><active value="true"><extension url="u"><valueBoolean value="false"/></extension></active></Patient>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := fhirxml.Unmarshal(data)
		if err != nil {
			return
		}
		out, err := fhirxml.Marshal(n)
		if err != nil {
			t.Fatalf("accepted input does not marshal: %v", err)
		}
		n2, err := fhirxml.Unmarshal(out)
		if err != nil {
			t.Fatalf("own output rejected: %v\n%s", err, out)
		}
		out2, err := fhirxml.Marshal(n2)
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("not stable:\n%s\n%s", out, out2)
		}
	})
}
