package analysis_test

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"yigong/conformance/corpus"
	"yigong/ecg"
	"yigong/ecg/analysis"
	"yigong/ecg/formats"
)

// Tolerances of the acceptance test against the cart's own measurements.
// PR, QRS and QT follow the IEC 60601-2-25:2011 §201.12.4.4 limits on
// global intervals (±10 ms for PR and QRS, ±25 ms for QT, on the CSE
// biological data set: mean difference from the referee). The standard sets
// no limit on axes; ±15° is about the spread between programs reported by
// the CSE working party (Willems et al., N Engl J Med 325, 1991) and the
// resolution a reader uses (axis sectors of 30°).
var tolerance = map[ecg.MeasurementName]float64{
	ecg.PRInterval:  10,
	ecg.QRSDuration: 10,
	ecg.QTInterval:  25,
	ecg.PAxis:       15,
	ecg.QRSAxis:     15,
	ecg.TAxis:       15,
}

func decodeFile(tb testing.TB, path string) *ecg.Record {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	rec, err := formats.Decode(f)
	if err != nil {
		tb.Fatal(err)
	}
	return rec
}

// TestMeasureAgainstDevice is the acceptance test of the measurement
// program: the one corpus ECG, in its three formats, measured on the file's
// median beat and on a median beat built from the rhythm, against the
// cart's values (PR 148, QRS 120, QT 420, P axis 44, QRS axis −61,
// T axis 86).
func TestMeasureAgainstDevice(t *testing.T) {
	dir := corpus.Path(t, "ecg", "ecgtoolkit")
	for _, name := range []string{"Example.scp", "Example.xml", "Example.dcm"} {
		for _, built := range []bool{false, true} {
			label := name + "/file median"
			if built {
				label = name + "/built median"
			}
			t.Run(label, func(t *testing.T) {
				rec := decodeFile(t, filepath.Join(dir, name))
				device := append([]ecg.Measurement(nil), rec.Measurements...)
				if built {
					rec.Median = nil
				}
				r := analysis.Measure(rec)
				if r.MedianBuilt != built {
					t.Fatalf("MedianBuilt = %v", r.MedianBuilt)
				}
				got := map[ecg.MeasurementName]float64{}
				for _, m := range r.Measurements {
					if m.Name != ecg.QTc {
						got[m.Name] = m.Value
					}
				}
				for n, tol := range tolerance {
					var dev *ecg.Measurement
					for i := range device {
						if device[i].Name == n {
							dev = &device[i]
						}
					}
					if dev == nil {
						continue
					}
					v, ok := got[n]
					if !ok {
						t.Errorf("%s not measured", n)
						continue
					}
					d := v - dev.Value
					if n == ecg.PAxis || n == ecg.QRSAxis || n == ecg.TAxis {
						d = math.Remainder(d, 360)
					}
					t.Logf("%-8s analysis %5.0f  device %5.0f  diff %+4.0f (±%v)", n, v, dev.Value, d, tol)
					if math.Abs(d) > tol {
						t.Errorf("%s: analysis %v, device %v: beyond ±%v", n, v, dev.Value, tol)
					}
				}
				formulas := map[string]bool{}
				for _, m := range r.Measurements {
					if m.Name == ecg.QTc {
						formulas[m.Method] = true
						t.Logf("QTc %-10s %v ms (device QTc 443)", m.Method, m.Value)
					}
				}
				for _, f := range []string{ecg.Bazett, ecg.Fridericia, ecg.Hodges, ecg.Framingham} {
					if !formulas[f] {
						t.Errorf("no QTc by %s", f)
					}
				}
				if hr := got[ecg.HeartRate]; hr < 70 || hr > 74 {
					t.Errorf("HR %v, want 72 (mean RR of the 12 annotated beats is 838 ms)", hr)
				}
			})
		}
	}
}

// TestMeasureMITBIH100 measures the two-lead MIT-BIH record: no axes (no
// frontal pair), intervals in physiological ranges (there is no reference).
func TestMeasureMITBIH100(t *testing.T) {
	if testing.Short() {
		t.Skip("30-minute record")
	}
	rec := mitbih100(t)
	r := analysis.Measure(rec)
	for _, m := range r.Measurements {
		t.Logf("%s %v %s (%s)", m.Name, m.Value, m.Unit, m.Method)
	}
	want := map[ecg.MeasurementName][2]float64{
		ecg.HeartRate:   {70, 80},
		ecg.QRSDuration: {60, 120},
		ecg.QTInterval:  {300, 450},
	}
	for _, m := range r.Measurements {
		if w, ok := want[m.Name]; ok && (m.Value < w[0] || m.Value > w[1]) {
			t.Errorf("%s = %v outside %v", m.Name, m.Value, w)
		}
	}
}

func TestMeasureEmpty(t *testing.T) {
	tests := []struct {
		name string
		rec  *ecg.Record
	}{
		{"no leads", &ecg.Record{SampleRate: 500}},
		{"no rate", &ecg.Record{Leads: []ecg.Lead{{Name: "II", Samples: make([]float64, 100)}}}},
		{"flat", &ecg.Record{SampleRate: 500, Leads: []ecg.Lead{{Name: "II", Samples: make([]float64, 5000)}}}},
		{"short", &ecg.Record{SampleRate: 500, Leads: []ecg.Lead{{Name: "II", Samples: make([]float64, 10)}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := analysis.Measure(tt.rec)
			if len(r.Measurements) != 0 {
				t.Errorf("measurements from nothing: %+v", r.Measurements)
			}
		})
	}
}
