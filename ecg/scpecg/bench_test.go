package scpecg_test

import (
	"os"
	"testing"

	"yigong/conformance/corpus"
	"yigong/ecg/scpecg"
)

// BenchmarkDecode decodes the 10 s, 12-lead, 500 Hz corpus record.
func BenchmarkDecode(b *testing.B) {
	data, err := os.ReadFile(corpus.Path(b, "ecg", "ecgtoolkit", "Example.scp"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := scpecg.Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}
