package dicomfhir

import (
	"encoding/json"
	"strings"
	"testing"

	"yigong/dicom"
	"yigong/fhir/fhirjson"
)

func TestBuild(t *testing.T) {
	t.Parallel()
	h := dicom.New()
	for _, kv := range []struct {
		t  dicom.Tag
		vr dicom.VR
		v  string
	}{
		{dicom.TagSpecificCharacterSet, dicom.CS, "ISO_IR 192"},
		{dicom.TagPatientName, dicom.PN, "Wang^XiaoDong=王^小东="},
		{dicom.TagPatientID, dicom.LO, "P1"},
		{tagIssuerOfPatientID, dicom.LO, "1.2.156.1"},
		{tagOtherPatientIDs, dicom.LO, "110101199003070000"},
		{dicom.TagPatientSex, dicom.CS, "M"},
		{dicom.TagPatientBirthDate, dicom.DA, "19900307"},
		{dicom.TagStudyInstanceUID, dicom.UI, "1.2.3"},
		{dicom.TagStudyDate, dicom.DA, "20240102"},
		{tagStudyTime, dicom.TM, "101530.5"},
		{dicom.TagAccessionNumber, dicom.SH, "ACC1"},
	} {
		if err := h.SetStrings(kv.t, kv.vr, kv.v); err != nil {
			t.Fatal(err)
		}
	}
	se := dicom.New()
	_ = se.SetStrings(dicom.TagSeriesInstanceUID, dicom.UI, "1.2.3.1")
	_ = se.SetStrings(dicom.TagModality, dicom.CS, "CT")
	_ = se.SetStrings(dicom.TagSeriesNumber, dicom.IS, "2")
	c := &Config{}
	tests := []struct {
		name   string
		exists bool
		want   []string
	}{
		{"logical accession reference", false, []string{
			`"url":"ImagingStudy?identifier=urn:dicom:uid|urn:oid:1.2.3"`,
			`"ifNoneExist":"identifier=urn:oid:1.2.156.1|P1,urn:yigong:dicom:patient-id:h1|110101199003070000"`,
			`"family":"王","given":["小东"]`, `"valueCode":"IDE"`, `"valueCode":"ABC"`, `"text":"王小东"`,
			`"started":"2024-01-02T10:15:30+08:00"`, `"numberOfInstances":2`, `"code":"urn:oid:1.2.840.10008.5.1.4.1.1.2"`,
			`"basedOn":[{"identifier":{"system":"urn:yigong:dicom:accession:h1"`, `"code":"ACSN"`,
		}},
		{"conditional accession reference", true, []string{`"reference":"ServiceRequest?identifier=urn:yigong:dicom:accession:h1|ACC1"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := c.Build(&Study{Institution: "h1", Header: h, ServiceRequestExists: tc.exists, Series: []Series{{Header: se,
				Instances: []Instance{{SOPClassUID: "1.2.840.10008.5.1.4.1.1.2", SOPInstanceUID: "1.2.3.1.1", Number: 1},
					{SOPClassUID: "1.2.840.10008.5.1.4.1.1.2", SOPInstanceUID: "1.2.3.1.2", Number: 2}}}}})
			if err != nil {
				t.Fatal(err)
			}
			b, err := fhirjson.Marshal(n)
			if err != nil {
				t.Fatal(err)
			}
			var compact any
			_ = json.Unmarshal(b, &compact)
			b, _ = json.Marshal(compact)
			s := strings.ReplaceAll(string(b), `\u0026`, "&")
			for _, w := range tc.want {
				if !strings.Contains(s, w) {
					t.Errorf("missing %s in\n%s", w, s)
				}
			}
		})
	}
}
