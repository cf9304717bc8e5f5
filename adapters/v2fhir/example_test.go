package v2fhir_test

import (
	"context"
	"errors"
	"fmt"

	"yigong/adapters/v2fhir"
	"yigong/hl7v2"
)

func ExampleMapper_Map() {
	m, err := v2fhir.New(v2fhir.Config{
		Authorities:           map[string]string{"HIS1": "http://hospital.example/fhir/mrn"},
		ResidentIDAuthorities: []string{"SFZ"},
		Senders:               map[string]v2fhir.Sender{"COUNTY": {Institution: "county-hospital"}},
	})
	if err != nil {
		fmt.Println(err) // a bad mapping stops start-up
		return
	}
	msg, _ := hl7v2.Parse([]byte("MSH|^~\\&|HIS|COUNTY|HUB|YIGONG|20240301083000||ADT^A01^ADT_A01|ADT0001|P|2.5.1\r" +
		"PID|1||MRN001^^^HIS1^MR~11010519491231002X^^^SFZ||王^小东||19491231|M\r" +
		"PV1|1|I|W03^305^2||||||||||||||||ZY2024001^^^HIS1^VN\r"))
	res, err := m.Map(context.Background(), msg)
	var e *v2fhir.Error
	if errors.As(err, &e) {
		// ACK with e.AckCode() and an ERR from e.ErrorDetail().
		fmt.Println(e.AckCode(), e.ErrorDetail().Message)
		return
	}
	for _, entry := range res.Bundle.Entry {
		line := entry.Request.Method + " " + entry.Request.Url
		if entry.Request.IfNoneExist != "" {
			line += " (ifNoneExist " + entry.Request.IfNoneExist + ")"
		}
		fmt.Println(line)
	}
	fmt.Println(len(res.Warnings), "warnings")
	// Output:
	// PUT Patient?identifier=http%3A%2F%2Fhospital.example%2Ffhir%2Fmrn|MRN001
	// POST Location (ifNoneExist identifier=urn%3Ayigong%3Av2%3Aloc%3Acounty-hospital|%5EW03%5E305%5E2)
	// PUT Encounter?identifier=http%3A%2F%2Fhospital.example%2Ffhir%2Fmrn|ZY2024001
	// 0 warnings
}
