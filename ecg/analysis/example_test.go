package analysis_test

import (
	"fmt"
	"math"

	"yigong/ecg"
	"yigong/ecg/analysis"
)

// syntheticECG is 10 s of 12 leads at 500 Hz: one beat a second (60 /min),
// each a P wave, a QRS complex and a T wave built from Gaussians, scaled
// per lead.
func syntheticECG() *ecg.Record {
	const fs = 500
	g := func(t, mu, sigma, a float64) float64 { return a * math.Exp(-(t-mu)*(t-mu)/(2*sigma*sigma)) }
	beat := func(t float64) float64 { // t in s from the R peak, µV
		return g(t, -0.16, 0.02, 150) + g(t, -0.02, 0.008, -100) + g(t, 0, 0.01, 1200) +
			g(t, 0.025, 0.008, -250) + g(t, 0.3, 0.04, 300)
	}
	gain := map[string]float64{"I": 0.6, "II": 1, "III": 0.4, "aVR": -0.8, "aVL": 0.1, "aVF": 0.7,
		"V1": -0.5, "V2": 0.3, "V3": 0.7, "V4": 1.1, "V5": 1, "V6": 0.8}
	rec := &ecg.Record{SampleRate: fs}
	for _, name := range []string{"I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"} {
		s := make([]float64, 10*fs)
		for i := range s {
			t := float64(i) / fs
			r := math.Round(t-0.5) + 0.5 // R peaks at 0.5 s, 1.5 s, ...
			s[i] = gain[name] * beat(t-r)
		}
		rec.Leads = append(rec.Leads, ecg.Lead{Name: name, Samples: s})
	}
	return rec
}

// Measure finds the beats, builds the median beat and measures it; QTc
// comes by four formulas, each named in Method (at 60 /min, RR = 1 s and
// all four equal QT).
func ExampleMeasure() {
	rep := analysis.Measure(syntheticECG())
	fmt.Println("beats:", len(rep.Beats), "median built:", rep.MedianBuilt)
	for _, m := range rep.Measurements {
		switch m.Name {
		case ecg.HeartRate, ecg.PRInterval, ecg.QRSDuration, ecg.QTInterval, ecg.QTc:
			fmt.Printf("%s %v %s %s\n", m.Name, m.Value, m.Unit, m.Method)
		}
	}
	fmt.Println("critical findings:", len(analysis.Critical(syntheticECG(), rep)))
	// Output:
	// beats: 10 median built: true
	// HR 60 /min Pan-Tompkins, mean RR
	// PR 172 ms median beat delineation
	// QRS 88 ms median beat delineation
	// QT 442 ms median beat delineation
	// QTc 442 ms Bazett
	// QTc 442 ms Fridericia
	// QTc 442 ms Hodges
	// QTc 442 ms Framingham
	// critical findings: 0
}
