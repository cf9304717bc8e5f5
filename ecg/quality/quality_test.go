package quality_test

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"yigong/conformance/corpus"
	"yigong/ecg"
	"yigong/ecg/analysis"
	"yigong/ecg/formats"
	"yigong/ecg/quality"
	"yigong/ecg/wfdb"
)

func load(tb testing.TB, name string) *ecg.Record {
	tb.Helper()
	f, err := os.Open(filepath.Join(corpus.Path(tb, "ecg", "ecgtoolkit"), name))
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

// remap rebuilds the named leads of both the rhythm and the median beat
// from the originals by fn (old leads by name → new lead by name).
func remap(rec *ecg.Record, fn func(get func(string) []float64) map[string][]float64) *ecg.Record {
	out := *rec
	apply := func(leads []ecg.Lead) []ecg.Lead {
		get := func(n string) []float64 {
			for _, l := range leads {
				if l.Name == n {
					return l.Samples
				}
			}
			return nil
		}
		repl := fn(get)
		res := make([]ecg.Lead, len(leads))
		for i, l := range leads {
			res[i] = ecg.Lead{Name: l.Name, Samples: l.Samples}
			if s, ok := repl[l.Name]; ok {
				res[i].Samples = s
			}
		}
		return res
	}
	out.Leads = apply(rec.Leads)
	if rec.Median != nil {
		out.Median = apply(rec.Median)
	}
	return &out
}

func neg(x []float64) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = -v
	}
	return y
}

// Limb electrode reversals, derived from Einthoven's and Goldberger's
// definitions (I = LA−RA, II = LL−RA, III = LL−LA, aVR = RA−(LA+LL)/2, ...).
var reversals = map[string]func(get func(string) []float64) map[string][]float64{
	ecg.FindingReversalLARA: func(g func(string) []float64) map[string][]float64 {
		return map[string][]float64{"I": neg(g("I")), "II": g("III"), "III": g("II"), "aVR": g("aVL"), "aVL": g("aVR"), "aVF": g("aVF")}
	},
	ecg.FindingReversalLALL: func(g func(string) []float64) map[string][]float64 {
		return map[string][]float64{"I": g("II"), "II": g("I"), "III": neg(g("III")), "aVR": g("aVR"), "aVL": g("aVF"), "aVF": g("aVL")}
	},
	ecg.FindingReversalRALL: func(g func(string) []float64) map[string][]float64 {
		return map[string][]float64{"I": neg(g("III")), "II": neg(g("II")), "III": neg(g("I")), "aVR": g("aVF"), "aVL": g("aVL"), "aVF": g("aVR")}
	},
}

func codes(fs []ecg.Finding) []string {
	var c []string
	for _, f := range fs {
		c = append(c, f.Code)
	}
	return c
}

func isReversal(code string) bool {
	return strings.HasPrefix(code, "reversal") || code == ecg.FindingPrecordialOrder
}

// TestOriginalsClean: the corpus ECG in its three formats, and MIT-BIH 100,
// raise no quality finding.
func TestOriginalsClean(t *testing.T) {
	for _, name := range []string{"Example.scp", "Example.xml", "Example.dcm"} {
		t.Run(name, func(t *testing.T) {
			rec := load(t, name)
			for _, built := range []bool{false, true} {
				if built {
					rec.Median = nil
				}
				if f := quality.Check(rec, analysis.Measure(rec)); len(f) > 0 {
					t.Errorf("built median %v: findings on a clean ECG: %+v", built, f)
				}
			}
		})
	}
	t.Run("MIT-BIH 100", func(t *testing.T) {
		rec, err := wfdb.ReadRecord(os.DirFS(corpus.Path(t, "ecg", "mitbih")), "100", "atr")
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range quality.Check(rec, analysis.Measure(rec)) {
			if isReversal(f.Code) {
				t.Errorf("reversal on MIT-BIH 100: %+v", f)
			} else {
				t.Logf("%s %s %v–%v %s %.3g", f.Code, f.Lead, f.Start, f.End, f.Metric, f.Value)
			}
		}
	})
}

func TestReversals(t *testing.T) {
	for _, name := range []string{"Example.scp", "Example.dcm"} {
		orig := load(t, name)
		for code, fn := range reversals {
			for _, built := range []bool{false, true} {
				t.Run(name+"/"+code+map[bool]string{false: "/file median", true: "/built median"}[built], func(t *testing.T) {
					rec := remap(orig, fn)
					if built {
						rec.Median = nil
					}
					got := quality.Check(rec, analysis.Measure(rec))
					var rev []string
					for _, f := range got {
						if isReversal(f.Code) {
							rev = append(rev, f.Code)
							t.Logf("%s: %s (%s = %.3g)", f.Code, f.Text, f.Metric, f.Value)
						}
					}
					if !slices.Equal(rev, []string{code}) {
						t.Errorf("reversal findings %v, want [%s]", rev, code)
					}
				})
			}
		}
		for i := 1; i < 6; i++ {
			a, b := "V"+string(rune('0'+i)), "V"+string(rune('0'+i+1))
			t.Run(name+"/"+a+"-"+b, func(t *testing.T) {
				rec := remap(orig, func(g func(string) []float64) map[string][]float64 {
					return map[string][]float64{a: g(b), b: g(a)}
				})
				got := quality.Check(rec, analysis.Measure(rec))
				var found bool
				for _, f := range got {
					if f.Code == ecg.FindingPrecordialOrder {
						t.Logf("%s %s %.3g", f.Code, f.Lead, f.Value)
						found = f.Lead == a+","+b
					}
				}
				if !found {
					t.Logf("%s/%s interchange not detected: %v", a, b, codes(got))
				}
			})
		}
	}
}

// synth is a 10 s, 500 Hz, 12-lead record copied from the corpus ECG, with
// fn applied to lead II.
func synth(t *testing.T, fn func(x []float64, fs float64)) *ecg.Record {
	rec := load(t, "Example.scp")
	out := *rec
	out.Leads = make([]ecg.Lead, len(rec.Leads))
	for i, l := range rec.Leads {
		out.Leads[i] = ecg.Lead{Name: l.Name, Samples: slices.Clone(l.Samples)}
		if l.Name == "II" {
			fn(out.Leads[i].Samples, rec.SampleRate)
		}
	}
	return &out
}

func TestSyntheticNoise(t *testing.T) {
	tests := []struct {
		name string
		fn   func(x []float64, fs float64)
		want string
	}{
		{"flat lead", func(x []float64, fs float64) {
			for i := int(2 * fs); i < int(6*fs); i++ {
				x[i] = 3
			}
		}, ecg.FindingFlatLine},
		{"clipping at ±400 µV", func(x []float64, fs float64) {
			for i := range x {
				x[i] = max(-400, min(400, x[i]*3))
			}
		}, ecg.FindingSaturation},
		{"50 Hz 100 µV", func(x []float64, fs float64) {
			for i := range x {
				x[i] += 100 * math.Sin(2*math.Pi*50*float64(i)/fs)
			}
		}, ecg.FindingMains},
		{"muscle noise 60 µV rms", func(x []float64, fs float64) {
			// Deterministic white noise (a linear congruential generator),
			// high-passed by a first difference: EMG-like.
			var s uint32 = 1
			prev := 0.0
			for i := range x {
				s = s*1664525 + 1013904223
				v := (float64(s>>8)/float64(1<<24) - 0.5) * 2 * 60 * math.Sqrt(3)
				x[i] += v - prev
				prev = v
			}
		}, ecg.FindingMuscle},
		{"wander 0.2 Hz 1 mV", func(x []float64, fs float64) {
			for i := range x {
				x[i] += 1000 * math.Sin(2*math.Pi*0.2*float64(i)/fs)
			}
		}, ecg.FindingWander},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := synth(t, tt.fn)
			got := quality.Check(rec, analysis.Measure(rec))
			var hit bool
			for _, f := range got {
				t.Logf("%s %s %v–%v %s = %.3g (limit %.3g)", f.Code, f.Lead, f.Start, f.End, f.Metric, f.Value, f.Limit)
				if f.Code == tt.want && f.Lead == "II" {
					hit = true
				}
				if f.Lead != "II" {
					t.Errorf("finding on an untouched lead: %+v", f)
				}
			}
			if !hit {
				t.Errorf("no %s finding on lead II: %v", tt.want, codes(got))
			}
		})
	}
}

func TestSpectrumPrint(t *testing.T) {
	rec := load(t, "Example.scp")
	for _, l := range rec.Leads {
		m := quality.Spectrum(l.Samples, rec.SampleRate)
		t.Logf("%-4s mains %.4f muscle %.4f wander %.4f", l.Name, m.Mains, m.Muscle, m.Wander)
	}
}
