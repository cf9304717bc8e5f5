package v2fhir_test

import (
	"strings"
	"testing"

	"yigong/fhir/r4"
	"yigong/hl7v2"
)

// vxuOBX is a VXU^V04 whose order carries the observations that travel
// with an immunization (CDC IG style: funding eligibility, VIS document,
// VIS dates), one with a note, and a second order without any.
var vxuOBX = strings.Join([]string{
	`MSH|^~\&|EMR|CLINIC1|YIGONG|HUB|20240301083000||VXU^V04^VXU_V04|VX001|P|2.5.1`,
	`PID|1||MRN-9^^^HIS1^MR||李^小明||20200517|M`,
	`ORC|RE||IZ-1^EMR`,
	`RXA|0|1|20240301||08^HepB^CVX|0.5|mL^mL^UCUM||00^New record^NIP001`,
	`RXR|C28161^IM^NCIT`,
	`OBX|1|CE|64994-7^Vaccine funding program eligibility category^LN|1|V02^VFC eligible - Medicaid^HL70064||||||F|||20240301`,
	`OBX|2|CE|69764-9^Document type^LN|2|253088698300026411121116^Hepatitis B VIS^cdcgs1vis||||||F`,
	`OBX|3|DT|29769-7^Date vaccine information statement presented^LN|2|20240301||||||F`,
	`NTE|1||given to the mother`,
	`ORC|RE||IZ-2^EMR`,
	`RXA|0|1|20240301||03^MMR^CVX|0.5|mL^mL^UCUM`,
}, "\r") + "\r"

func TestVXUObservations(t *testing.T) {
	res := mapString(t, testConfig(), vxuOBX, hl7v2.DecodeOptions{})
	ims := resources[*r4.Immunization](res.Bundle)
	if len(ims) != 2 {
		t.Fatalf("%d Immunizations, want 2", len(ims))
	}
	var hepB string // fullUrl of the first Immunization
	for _, e := range res.Bundle.Entry {
		if im, ok := e.Resource.Resource.(*r4.Immunization); ok && im == ims[0] {
			hepB = e.FullUrl
		}
	}
	obs := resources[*r4.Observation](res.Bundle)
	if len(obs) != 3 {
		t.Fatalf("%d Observations, want the 3 OBX of the first order", len(obs))
	}
	tests := []struct {
		code, value string // OBX-3, the value as JSON
		note        string
	}{
		{"64994-7", `"valueCodeableConcept":{"coding":[{"system":"urn:yigong:v2:cs:HL70064","code":"V02"`, ""},
		{"69764-9", `"code":"253088698300026411121116"`, ""},
		{"29769-7", `"valueDateTime":"2024-03-01"`, "given to the mother"},
	}
	for i, tc := range tests {
		o := obs[i]
		js := jsonString(o)
		if o.Code == nil || len(o.Code.Coding) == 0 || o.Code.Coding[0].Code != tc.code {
			t.Errorf("Observation %d: code %s, want %s", i, js, tc.code)
		}
		if len(o.PartOf) != 1 || o.PartOf[0].Reference != hepB {
			t.Errorf("%s: partOf %v, want the HepB Immunization %s", tc.code, o.PartOf, hepB)
		}
		if o.Subject == nil || o.Subject.Reference == "" {
			t.Errorf("%s: no subject", tc.code)
		}
		if !strings.Contains(js, tc.value) {
			t.Errorf("%s: %s lacks %s", tc.code, js, tc.value)
		}
		if got := len(o.Note) > 0 && o.Note[0].Text == tc.note; tc.note != "" && !got {
			t.Errorf("%s: notes %v, want %q", tc.code, o.Note, tc.note)
		}
		if len(o.Identifier) != 1 || !strings.Contains(o.Identifier[0].Value, "IZ-1") {
			t.Errorf("%s: identifier %v, want one derived from the Immunization's (IZ-1)", tc.code, o.Identifier)
		}
	}
	// Re-mapping the same message keys the same Observations.
	again := resources[*r4.Observation](mapString(t, testConfig(), vxuOBX, hl7v2.DecodeOptions{}).Bundle)
	for i := range obs {
		if a, b := obs[i].Identifier[0], again[i].Identifier[0]; a.System != b.System || a.Value != b.Value {
			t.Errorf("Observation %d keyed %v, then %v", i, obs[i].Identifier[0], again[i].Identifier[0])
		}
	}
}
