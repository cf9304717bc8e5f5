package hl7v2_test

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"yigong/hl7v2"
)

func ExampleNewDecoder() {
	stream := "MSH|^~\\&|LIS|LAB|HIS|HOSP|20240101120000||ORU^R01^ORU_R01|1001|P|2.5.1\r" +
		"PID|1||A123^^^HOSP^MR||WANG^XIAODONG\r" +
		"OBR|1|||718-7^Hemoglobin^LN\r" +
		"OBX|1|NM|718-7^Hemoglobin^LN||13.2|g/dL^^UCUM|||||F\r" +
		"MSH|^~\\&|LIS|LAB|HIS|HOSP|20240101120500||ORU^R01^ORU_R01|1002|P|2.5.1\r" +
		"PID|1||B456^^^HOSP^MR||LI^MING\r"
	dec := hl7v2.NewDecoder(strings.NewReader(stream))
	for {
		m, err := dec.Decode()
		if err == io.EOF {
			break
		}
		var se *hl7v2.SyntaxError
		if errors.As(err, &se) {
			fmt.Println("reject:", se.Location())
			continue
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		pid := hl7v2.PID{Segment: m.Segment("PID")}
		ids := pid.PatientIdentifierList()
		name := pid.PatientName()[0]
		fmt.Println(m.ControlID(), ids[0].IDNumber, ids[0].AssigningAuthority.NamespaceID, name.Family, name.Given)
	}
	// Output:
	// 1001 A123 HOSP WANG XIAODONG
	// 1002 B456 HOSP LI MING
}

func ExampleStructure() {
	m, _ := hl7v2.Parse([]byte("MSH|^~\\&|LIS|LAB|HIS|HOSP|20240101120000||ORU^R01^ORU_R01|1|P|2.5.1\r" +
		"PID|1||A123\r" +
		"OBR|1|||CBC\rOBX|1|NM|WBC||6.1\rNTE|1||normal\rOBX|2|NM|RBC||4.5\r" +
		"OBR|2|||LFT\rOBX|1|NM|ALT||30\r"))
	root, _ := hl7v2.Structure(m)
	for _, order := range root.Find("ORDER_OBSERVATION") {
		obr := hl7v2.OBR{Segment: order.Segment("OBR")}
		fmt.Print(obr.UniversalServiceIdentifier().Identifier, ":")
		for _, obs := range order.Groups("OBSERVATION") {
			fmt.Print(" ", hl7v2.OBX{Segment: obs.Segment("OBX")}.ObservationIdentifier().Identifier, len(obs.Segments("NTE")))
		}
		fmt.Println()
	}
	// Output:
	// CBC: WBC1 RBC0
	// LFT: ALT0
}

func ExampleNewACK() {
	req, _ := hl7v2.Parse([]byte("MSH|^~\\&|HIS|HOSP|HUB|CENTER|20240101120000||ADT^A01^ADT_A01|MSG42|P|2.5.1\rPID|1||A1\r"))
	ack, _ := hl7v2.NewACK(req, hl7v2.AckOptions{
		Code:      hl7v2.AckError,
		ControlID: "ACK42",
		Time:      time.Date(2024, 1, 1, 12, 0, 1, 0, hl7v2.DefaultZone),
		Errors:    []hl7v2.ErrorDetail{{Segment: "PID", Sequence: 1, Field: 5, Code: "101", Message: "PID-5 patient name missing"}},
	})
	b, _ := ack.Encode()
	fmt.Println(strings.ReplaceAll(string(b), "\r", "\n"))
	// Output:
	// MSH|^~\&|HUB|CENTER|HIS|HOSP|20240101120001+0800||ACK^A01^ACK|ACK42|P|2.5.1
	// MSA|AE|MSG42
	// ERR|PID^1^5^101&Required field missing&HL70357|PID^1^5|101^Required field missing^HL70357|E||||PID-5 patient name missing
}
