package analysis_test

import (
	"os"
	"testing"

	"yigong/conformance/corpus"
	"yigong/ecg"
	"yigong/ecg/analysis"
	"yigong/ecg/wfdb"
)

func mitbih100(tb testing.TB) *ecg.Record {
	tb.Helper()
	dir := corpus.Path(tb, "ecg", "mitbih")
	rec, err := wfdb.ReadRecord(os.DirFS(dir), "100", "atr")
	if err != nil {
		tb.Fatal(err)
	}
	return rec
}

// TestMITBIH100 is the acceptance test of the QRS detector: sensitivity and
// positive predictivity of at least 99% with a 100 ms match window against
// the beat annotations of record 100 (beat labels per ANSI/AAMI EC57, the
// WFDB isqrs set: N L R a V F J A S E j / Q e n f r B ?).
func TestMITBIH100(t *testing.T) {
	rec := mitbih100(t)
	if rec.SampleRate != 360 || len(rec.Leads) != 2 || len(rec.Leads[0].Samples) != 650000 {
		t.Fatalf("record 100: %v Hz, %d leads", rec.SampleRate, len(rec.Leads))
	}
	det := analysis.DetectQRS(rec.Leads[0].Samples, rec.SampleRate)
	window := int(0.100 * rec.SampleRate)
	cases := []struct {
		name  string
		start int // first sample compared
	}{
		{"whole record", 0},
		{"EC57 from 5 min", int(300 * rec.SampleRate)},
	}
	counts := map[string]int{}
	for _, b := range rec.Beats {
		counts[b.Type]++
	}
	t.Logf("reference beats by label: %v", counts)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var ref, test []int
			for _, b := range rec.Beats {
				if b.Sample >= c.start {
					ref = append(ref, b.Sample)
				}
			}
			for _, d := range det {
				if d >= c.start {
					test = append(test, d)
				}
			}
			m := analysis.Compare(ref, test, window)
			se, ppv := m.Sensitivity(), m.PositivePredictivity()
			t.Logf("reference %d, detected %d: TP %d FN %d FP %d, Se %.4f%%, +P %.4f%%", len(ref), len(test), m.TP, m.FN, m.FP, 100*se, 100*ppv)
			if se < 0.99 || ppv < 0.99 {
				t.Errorf("Se %.4f, +P %.4f: want both >= 0.99", se, ppv)
			}
		})
	}
}
