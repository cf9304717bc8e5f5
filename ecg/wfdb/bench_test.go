package wfdb_test

import (
	"os"
	"testing"

	"yigong/conformance/corpus"
	"yigong/ecg/wfdb"
)

// BenchmarkReadRecord reads MIT-BIH record 100 (30 min, 2 signals, format
// 212) with its annotations.
func BenchmarkReadRecord(b *testing.B) {
	fsys := os.DirFS(corpus.Path(b, "ecg", "mitbih"))
	b.ReportAllocs()
	b.SetBytes(1950000)
	for b.Loop() {
		if _, err := wfdb.ReadRecord(fsys, "100", "atr"); err != nil {
			b.Fatal(err)
		}
	}
}
