package analysis_test

import (
	"math"
	"path/filepath"
	"testing"

	"yigong/conformance/corpus"
	"yigong/ecg"
	"yigong/ecg/analysis"
)

// stretch resamples every lead by linear interpolation so that the record
// plays k times slower at the same sample rate (k > 1 lowers the rate and
// lengthens every interval by k); the file's median beat is dropped.
func stretch(rec *ecg.Record, k float64) *ecg.Record {
	out := *rec
	out.Median, out.Measurements = nil, nil
	out.Leads = make([]ecg.Lead, len(rec.Leads))
	for i, l := range rec.Leads {
		n := int(float64(len(l.Samples)-1) * k)
		y := make([]float64, n)
		for j := range y {
			p := float64(j) / k
			a := int(p)
			f := p - float64(a)
			y[j] = l.Samples[a]*(1-f) + l.Samples[min(a+1, len(l.Samples)-1)]*f
		}
		out.Leads[i] = ecg.Lead{Name: l.Name, Samples: y}
	}
	return &out
}

// gauss adds a Gaussian wave of amplitude a (µV), centre c and width w
// (seconds) to x at fs.
func gauss(x []float64, fs, a, c, w float64) {
	for i := max(0, int((c-4*w)*fs)); i < min(len(x), int((c+4*w)*fs)); i++ {
		t := float64(i)/fs - c
		x[i] += a * math.Exp(-t*t/(2*w*w))
	}
}

// synthRhythm builds a 3-lead record at 500 Hz from beats given as (time,
// QRS duration): a P wave, a biphasic QRS of the given total duration and a
// T wave, projected on I, II and V5.
func synthRhythm(dur float64, beats [][2]float64) *ecg.Record {
	const fs = 500
	n := int(dur * fs)
	proj := map[string]float64{"I": 0.6, "II": 1, "V5": 0.8}
	rec := &ecg.Record{SampleRate: fs}
	for _, name := range []string{"I", "II", "V5"} {
		x := make([]float64, n)
		g := proj[name]
		for _, b := range beats {
			t, q := b[0], b[1]/1000
			gauss(x, fs, 100*g, t-0.16, 0.02)
			gauss(x, fs, 1200*g, t, q/6)
			gauss(x, fs, -400*g, t+q/3, q/8)
			gauss(x, fs, 250*g, t+0.25, 0.04)
		}
		rec.Leads = append(rec.Leads, ecg.Lead{Name: name, Samples: x})
	}
	return rec
}

func TestCritical(t *testing.T) {
	scp := func(t *testing.T) *ecg.Record {
		return decodeFile(t, filepath.Join(corpus.Path(t, "ecg", "ecgtoolkit"), "Example.scp"))
	}
	var wct [][2]float64
	tt := 0.5
	for range 5 { // normal at 60 /min
		wct = append(wct, [2]float64{tt, 90})
		tt += 1
	}
	for range 5 { // wide at 160 /min
		wct = append(wct, [2]float64{tt, 160})
		tt += 0.375
	}
	for tt < 14 {
		wct = append(wct, [2]float64{tt, 90})
		tt += 1
	}
	var twoWide [][2]float64
	tt = 0.5
	for i := range 14 {
		q := 90.0
		if i == 6 || i == 7 {
			q = 160
		}
		twoWide = append(twoWide, [2]float64{tt, q})
		tt += 0.45
	}
	tests := []struct {
		name string
		rec  func(t *testing.T) *ecg.Record
		want []string
	}{
		{"corpus as recorded", scp, nil},
		{"corpus slowed ×2 (HR 36)", func(t *testing.T) *ecg.Record { return stretch(scp(t), 2) }, []string{ecg.FindingBradycardia, ecg.FindingLongQTc}},
		{"corpus sped up ×2.2 (HR 158)", func(t *testing.T) *ecg.Record { return stretch(scp(t), 1/2.2) }, []string{ecg.FindingTachycardia}},
		{"corpus slowed ×1.3 (QT 540)", func(t *testing.T) *ecg.Record { return stretch(scp(t), 1.3) }, []string{ecg.FindingLongQTc}},
		{"synthetic run of 5 wide beats at 160/min", func(*testing.T) *ecg.Record { return synthRhythm(15, wct) }, []string{ecg.FindingWCT}},
		{"synthetic 2 wide beats at 133/min", func(*testing.T) *ecg.Record { return synthRhythm(7, twoWide) }, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := tc.rec(t)
			r := analysis.Measure(rec)
			got := analysis.Critical(rec, r)
			var codes []string
			for _, f := range got {
				codes = append(codes, f.Code)
				t.Logf("%s lead %s %v–%v: %s = %v (limit %v): %s", f.Code, f.Lead, f.Start, f.End, f.Metric, f.Value, f.Limit, f.Text)
				if !f.Critical || f.Metric == "" || f.Lead == "" {
					t.Errorf("finding without evidence: %+v", f)
				}
			}
			if len(codes) != len(tc.want) {
				t.Fatalf("findings %v, want %v", codes, tc.want)
			}
			for i := range codes {
				if codes[i] != tc.want[i] {
					t.Errorf("findings %v, want %v", codes, tc.want)
				}
			}
			if tc.name == "synthetic run of 5 wide beats at 160/min" {
				if s := got[0].Start.Seconds(); s < 5 || s > 5.6 {
					t.Errorf("run starts at %v, want about 5.5 s", got[0].Start)
				}
			}
		})
	}
}
