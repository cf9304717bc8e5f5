package dicom_test

import (
	"net/http"
	"strings"
	"testing"

	"yigong/dicom"
	"yigong/server/servertest"
)

// TestWorklist: an imaging ServiceRequest posted to the FHIR API is a
// Modality Worklist item for findscu -W, with the ideographic name group.
func TestWorklist(t *testing.T) {
	hub := servertest.Start(t)
	post := func(path, body string) {
		t.Helper()
		resp, err := http.Post(hub.URL("/fhir/"+path), "application/fhir+json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Fatalf("POST %s: %d", path, resp.StatusCode)
		}
	}
	put := func(path, body string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPut, hub.URL("/fhir/"+path), strings.NewReader(body))
		req.Header.Set("Content-Type", "application/fhir+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Fatalf("PUT %s: %d", path, resp.StatusCode)
		}
	}
	put("Patient/mwl1", `{"resourceType":"Patient","id":"mwl1","identifier":[{"system":"urn:x","value":"MWL1"}],
 "name":[{"family":"Wang","given":["XiaoDong"],"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation","valueCode":"ABC"}]},
 {"family":"王","given":["小东"],"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation","valueCode":"IDE"}]}],
 "gender":"male","birthDate":"1980-02-03"}`)
	post("ServiceRequest", `{"resourceType":"ServiceRequest","status":"active","intent":"order",
 "identifier":[{"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"ACSN"}]},"system":"urn:acc","value":"A100"}],
 "category":[{"coding":[{"system":"http://dicom.nema.org/resources/ontology/DCM","code":"CT"}]}],
 "code":{"text":"胸部CT平扫"},"subject":{"reference":"Patient/mwl1"},"occurrenceDateTime":"2026-11-22T09:30:00+08:00"}`)
	post("ServiceRequest", `{"resourceType":"ServiceRequest","status":"active","intent":"order",
 "identifier":[{"system":"urn:acc","value":"A101"}],
 "category":[{"coding":[{"system":"http://dicom.nema.org/resources/ontology/DCM","code":"MR"}]}],
 "subject":{"reference":"Patient/mwl1"}}`)

	got := findscu(t, hub.DICOMAddr(), "-W", "SpecificCharacterSet=ISO_IR 192", "AccessionNumber", "PatientName=王*", "PatientID",
		"StudyInstanceUID", "RequestedProcedureDescription",
		"ScheduledProcedureStepSequence[0].Modality=CT", "ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate")
	if len(got) != 1 {
		t.Fatalf("worklist: %d items, want 1", len(got))
	}
	it := got[0]
	pn, _ := it.PersonName(dicom.TagPatientName)
	if it.Text(dicom.TagAccessionNumber) != "A100" || it.Text(dicom.TagPatientID) != "MWL1" || pn.Ideographic.Given != "小东" ||
		it.Text(0x00321060) != "胸部CT平扫" || it.Text(dicom.TagStudyInstanceUID) == "" {
		t.Errorf("worklist item:\n%v", it)
	}
	sps := it.Items(0x00400100)
	if len(sps) != 1 || sps[0].Text(0x00400002) != "20261122" {
		t.Errorf("scheduled step: %v", sps)
	}
}
