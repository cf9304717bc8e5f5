package quality_test

import (
	"fmt"
	"math"

	"yigong/ecg"
	"yigong/ecg/analysis"
	"yigong/ecg/quality"
)

// Check reports each problem with its evidence: here lead V2 is off (flat)
// and lead V5 carries 50 Hz mains interference.
func ExampleCheck() {
	const fs = 500
	rec := &ecg.Record{SampleRate: fs}
	for _, name := range []string{"I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"} {
		s := make([]float64, 10*fs)
		for i := range s {
			t := float64(i) / fs
			d := t - math.Round(t-0.5) - 0.5 // s from the nearest R peak
			s[i] = 1000*math.Exp(-d*d/(2*0.01*0.01)) + 20*math.Sin(2*math.Pi*1.1*t) + 5*math.Sin(2*math.Pi*7.3*t)
			switch name {
			case "V2":
				s[i] = 0
			case "V5":
				s[i] += 300 * math.Sin(2*math.Pi*50*t)
			}
		}
		rec.Leads = append(rec.Leads, ecg.Lead{Name: name, Samples: s})
	}
	for _, f := range quality.Check(rec, analysis.Measure(rec)) {
		fmt.Printf("%s %s: %s %.2f (limit %.2f)\n", f.Code, f.Lead, f.Metric, f.Value, f.Limit)
	}
	// Output:
	// flat-line V2: peak-to-peak µV 0.00 (limit 20.00)
	// mains V5: power ratio to 0.5–40 Hz 2.60 (limit 0.05)
}
