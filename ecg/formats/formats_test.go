package formats_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"yigong/conformance/corpus"
	"yigong/ecg"
	"yigong/ecg/formats"
)

// TestEcgtoolkitAgree decodes the one ECG that the corpus holds as DICOM,
// SCP-ECG and aECG and checks that all 12 leads × 5000 samples agree.
func TestEcgtoolkitAgree(t *testing.T) {
	dir := corpus.Path(t, "ecg", "ecgtoolkit")
	files := []struct {
		name   string
		format ecg.Format
	}{
		{"Example.scp", ecg.FormatSCPECG},
		{"Example.xml", ecg.FormatAECG},
		{"Example.dcm", ecg.FormatDICOM},
	}
	leads := []string{"I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"}
	want1000 := []float64{-12.5, -22.5, -7.5, 15, 55}
	recs := map[string]*ecg.Record{}
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, f.name))
			if err != nil {
				t.Fatal(err)
			}
			if got := ecg.Sniff(b); got != f.format {
				t.Errorf("Sniff = %v, want %v", got, f.format)
			}
			rec, err := formats.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			recs[f.name] = rec
			if rec.SampleRate != 500 || len(rec.Leads) != 12 {
				t.Fatalf("%v Hz, %d leads; want 500 Hz, 12 leads", rec.SampleRate, len(rec.Leads))
			}
			i := rec.Lead("I")
			if i == nil || len(i.Samples) != 5000 {
				t.Fatalf("lead I missing or not 5000 samples")
			}
			for k, w := range want1000 {
				if got := i.Samples[1000+k]; got != w {
					t.Errorf("lead I sample %d = %v µV, want %v", 1000+k, got, w)
				}
			}
			if rec.Patient.ID != "SBJ-123" || rec.Patient.Sex != ecg.SexMale || rec.Patient.BirthDate.Format("2006-01-02") != "1953-05-08" {
				t.Errorf("patient %+v", rec.Patient)
			}
			if got := rec.Start.Format("2006-01-02T15:04:05"); got != "2002-11-22T09:10:00" {
				t.Errorf("start %s", got)
			}
			for _, m := range []struct {
				name ecg.MeasurementName
				v    float64
			}{{ecg.PRInterval, 148}, {ecg.QRSDuration, 120}, {ecg.QTInterval, 420}, {ecg.QTc, 443}, {ecg.QRSAxis, -61}, {ecg.TAxis, 86}} {
				got, ok := rec.Measurement(m.name)
				if !ok || got.Value != m.v {
					t.Errorf("measurement %s = %+v (found %v), want %v", m.name, got, ok, m.v)
				}
			}
		})
	}
	ref := recs["Example.scp"]
	if ref == nil {
		t.Fatal("SCP-ECG did not decode")
	}
	for _, other := range []string{"Example.xml", "Example.dcm"} {
		t.Run("scp vs "+other, func(t *testing.T) {
			rec := recs[other]
			if rec == nil {
				t.Fatal("did not decode")
			}
			for _, name := range leads {
				a, b := ref.Lead(name), rec.Lead(name)
				if a == nil || b == nil {
					t.Fatalf("lead %s missing", name)
				}
				if len(a.Samples) != 5000 || len(b.Samples) != 5000 {
					t.Fatalf("lead %s: %d and %d samples", name, len(a.Samples), len(b.Samples))
				}
				diff := 0
				for k := range a.Samples {
					if a.Samples[k] != b.Samples[k] {
						if diff == 0 {
							t.Errorf("lead %s sample %d: %v vs %v", name, k, a.Samples[k], b.Samples[k])
						}
						diff++
					}
				}
				if diff > 0 {
					t.Errorf("lead %s: %d samples differ", name, diff)
				}
			}
		})
	}
}
