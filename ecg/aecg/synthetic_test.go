package aecg_test

import (
	"testing"
	"time"

	"yigong/ecg"
	"yigong/ecg/aecg"
)

const synthetic = `<?xml version="1.0" encoding="UTF-8"?>
<AnnotatedECG xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <componentOf><timepointEvent><componentOf><subjectAssignment><subject><trialSubject>
  <id extension="P1"/>
  <subjectDemographicPerson><name><family>王</family><given>小东</given></name>
   <administrativeGenderCode code="F"/><birthTime value="19800102"/></subjectDemographicPerson>
 </trialSubject></subject></subjectAssignment></componentOf></timepointEvent></componentOf>
 <component><series><code code="RHYTHM"/>
  <author><seriesAuthor><manufacturedSeriesDevice><id extension="SN9"/><manufacturerModelName>M1</manufacturerModelName></manufacturedSeriesDevice>
   <manufacturerOrganization><name>Acme</name></manufacturerOrganization></seriesAuthor></author>
  <component><sequenceSet>
   <component><sequence><code code="TIME_ABSOLUTE"/><value xsi:type="GLIST_TS"><head value="20240301080000.000+0800"/><increment value="4" unit="ms"/></value></sequence></component>
   <component><sequence><code code="MDC_ECG_LEAD_AVF"/><value xsi:type="SLIST_PQ"><origin value="1" unit="mV"/><scale value="5" unit="uV"/><digits>0 1 -2 3</digits></value></sequence></component>
  </sequenceSet></component>
  <subjectOf><annotationSet>
   <component><annotation><code code="MDC_ECG_TIME_PD_QTcF"/><value xsi:type="PQ" value="410" unit="ms"/></annotation></component>
   <component><annotation><code code="MDC_ECG_HEART_RATE"/><value xsi:type="PQ" value="61" unit="bpm"/></annotation></component>
  </annotationSet></subjectOf>
 </series></component>
</AnnotatedECG>`

func TestSynthetic(t *testing.T) {
	rec, err := aecg.Decode([]byte(synthetic))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"rate", rec.SampleRate, 250.0},
		{"lead", rec.Leads[0].Name, "aVF"},
		{"samples", rec.Leads[0].Samples, []float64{1000, 1005, 990, 1015}},
		{"family", rec.Patient.FamilyName, "王"},
		{"given", rec.Patient.GivenName, "小东"},
		{"sex", rec.Patient.Sex, ecg.SexFemale},
		{"start", rec.Start.UTC(), time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)},
		{"device", rec.Device, ecg.Device{Manufacturer: "Acme", Model: "M1", Serial: "SN9"}},
		{"qtc method", rec.Measurements[0].Method, ecg.Fridericia},
		{"hr unit", rec.Measurements[1].Unit, "/min"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !equal(tt.got, tt.want) {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}

func equal(a, b any) bool { return fmtv(a) == fmtv(b) }
