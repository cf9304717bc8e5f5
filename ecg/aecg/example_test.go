package aecg_test

import (
	"fmt"
	"time"

	"yigong/ecg"
	"yigong/ecg/aecg"
)

// Marshal writes a record as an HL7 aECG document; Decode reads it back.
// Samples on the chosen resolution (here 2.5 µV) come back exactly, and
// QTc keeps its formula.
func ExampleMarshal() {
	rec := &ecg.Record{
		SampleRate: 500,
		Start:      time.Date(2026, 11, 21, 9, 30, 0, 0, time.FixedZone("CST", 8*3600)),
		Patient:    ecg.Patient{ID: "0042", FamilyName: "王", GivenName: "小东", Sex: ecg.SexMale},
		Leads: []ecg.Lead{
			{Name: "I", Samples: []float64{0, 2.5, 5, -7.5}},
			{Name: "aVR", Samples: []float64{100, 102.5, -1000, 0}},
		},
		Measurements: []ecg.Measurement{{Name: ecg.QTc, Value: 420, Unit: "ms", Method: ecg.Fridericia}},
	}
	doc, err := aecg.Marshal(rec, 2.5)
	if err != nil {
		fmt.Println(err)
		return
	}
	back, err := aecg.Decode(doc)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, l := range back.Leads {
		fmt.Println(l.Name, l.Samples)
	}
	fmt.Println(back.Patient.FamilyName+back.Patient.GivenName, back.Patient.Sex, back.Start.Format(time.RFC3339))
	if m, ok := back.Measurement(ecg.QTc); ok {
		fmt.Println("QTc", m.Value, m.Unit, m.Method)
	}
	// Output:
	// I [0 2.5 5 -7.5]
	// aVR [100 102.5 -1000 0]
	// 王小东 male 2026-11-21T09:30:00+08:00
	// QTc 420 ms Fridericia
}
