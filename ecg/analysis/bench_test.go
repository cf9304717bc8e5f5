package analysis_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"yigong/conformance/corpus"
	"yigong/ecg/analysis"
	"yigong/ecg/formats"
	"yigong/ecg/quality"
)

// BenchmarkDetectQRS detects QRS complexes over the 30-minute MIT-BIH
// record 100 (650,000 samples at 360 Hz).
func BenchmarkDetectQRS(b *testing.B) {
	rec := mitbih100(b)
	x := rec.Leads[0].Samples
	b.ReportAllocs()
	b.SetBytes(int64(8 * len(x)))
	for b.Loop() {
		if len(analysis.DetectQRS(x, rec.SampleRate)) == 0 {
			b.Fatal("no beats")
		}
	}
}

// BenchmarkDecodeAnalyse12Lead decodes the 10 s 12-lead 500 Hz SCP-ECG and
// runs measurement, quality checks and critical findings (goal ≤ 20 ms on
// one core: -cpu 1).
func BenchmarkDecodeAnalyse12Lead(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(corpus.Path(b, "ecg", "ecgtoolkit"), "Example.scp"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		rec, err := formats.Decode(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		r := analysis.Measure(rec)
		_ = quality.Check(rec, r)
		_ = analysis.Critical(rec, r)
	}
}

// BenchmarkAnalyseMITBIH100 runs measurement, quality checks and critical
// findings over the 30-minute two-lead record (goal ≤ 1 s).
func BenchmarkAnalyseMITBIH100(b *testing.B) {
	rec := mitbih100(b)
	b.ReportAllocs()
	for b.Loop() {
		r := analysis.Measure(rec)
		_ = quality.Check(rec, r)
		_ = analysis.Critical(rec, r)
	}
}
