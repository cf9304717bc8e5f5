package v2fhir_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"yigong/adapters/v2fhir"
	"yigong/hl7v2"
)

// BenchmarkMapORU maps an ORU^R01 with one OBR and 10 OBX (parsing
// excluded); ns/op and msgs/s are per message.
func BenchmarkMapORU(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("MSH|^~\\&|LIS|COUNTY|HUB|YIGONG|20240302101500||ORU^R01^ORU_R01|LIS0042|P|2.5.1\r" +
		"PID|1||MRN001^^^HIS1^MR~11010519491231002X^^^SFZ^NNCHN||王^小东||19491231|M\r" +
		"PV1|1|O|||||||||||||||||MZ778^^^HIS1^VN\r" +
		"ORC|RE|PL123^HIS1|FL456^LIS1\r" +
		"OBR|1|PL123^HIS1|FL456^LIS1|58410-2^CBC panel^LN|||20240302090000|||||||||||||||20240302101000|||F\r")
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&sb, "OBX|%d|NM|%d-1^Analyte %d^LN||%d.%d|mmol/L^^UCUM|3.5-5.5|H|||F|||20240302093000\r", i, 1000+i, i, i, i)
	}
	data := []byte(sb.String())
	msg, err := hl7v2.Parse(data)
	if err != nil {
		b.Fatal(err)
	}
	m, err := v2fhir.New(testConfig())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := m.Map(ctx, msg); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
