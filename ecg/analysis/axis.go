package analysis

import (
	"math"

	"yigong/ecg"
)

// Axes returns the frontal-plane electrical axes of the P wave, the QRS
// complex and the T wave of a median beat, in degrees in (−180, 180],
// named PAxis, QRSAxis and TAxis.
//
// Each axis is computed from the net areas (the sum of samples above the
// reference level, which is the PR segment for QRS and T and the level at
// the P onset for P) of leads I and aVF over the wave, by Einthoven's
// equilateral-triangle model: lead I = E·cos θ and aVF = (√3/2)·E·sin θ,
// so θ = atan2(2·aVF/√3, I) (Einthoven 1913; the area method of the AHA
// recommendations, Kligfield et al., Circulation 115, 2007, part I). Leads
// I and aVF are derived from II and III when absent (I = II − III,
// aVF = (II + III)/2).
func Axes(leads []ecg.Lead, fs float64, f Fiducials) []ecg.Measurement {
	li, lf := frontalPair(leads)
	if li == nil || lf == nil || f.QRSOnset < 0 {
		return nil
	}
	n := min(len(li), len(lf))
	level := func(x []float64, at int) float64 {
		a := max(0, at-msToSamples(10, fs))
		return mean(x[a:max(a+1, min(n, at))])
	}
	axis := func(from, to, ref int) (float64, bool) {
		if from < 0 || to <= from || to > n {
			return 0, false
		}
		bi, bf := level(li, ref), level(lf, ref)
		var ai, af float64
		for k := from; k < to; k++ {
			ai += li[k] - bi
			af += lf[k] - bf
		}
		if ai == 0 && af == 0 {
			return 0, false
		}
		return math.Round(math.Atan2(2*af/math.Sqrt(3), ai) * 180 / math.Pi), true
	}
	var out []ecg.Measurement
	add := func(name ecg.MeasurementName, from, to, ref int) {
		if v, ok := axis(from, to, ref); ok {
			out = append(out, ecg.Measurement{Name: name, Value: v, Unit: "deg", Source: "analysis", Method: "net area, leads I and aVF"})
		}
	}
	add(ecg.PAxis, f.POnset, f.POffset, f.POnset)
	add(ecg.QRSAxis, f.QRSOnset, f.QRSOffset, f.QRSOnset)
	if f.TOffset > 0 {
		add(ecg.TAxis, f.QRSOffset, f.TOffset, f.QRSOnset)
	}
	return out
}

// frontalPair returns leads I and aVF, derived from II and III if needed.
func frontalPair(leads []ecg.Lead) (li, lf []float64) {
	get := func(name string) []float64 {
		for _, l := range leads {
			if l.Name == name {
				return l.Samples
			}
		}
		return nil
	}
	li, lf = get("I"), get("aVF")
	l2, l3 := get("II"), get("III")
	if li == nil && l2 != nil && l3 != nil {
		li = make([]float64, min(len(l2), len(l3)))
		for k := range li {
			li[k] = l2[k] - l3[k]
		}
	}
	if lf == nil && l2 != nil && l3 != nil {
		lf = make([]float64, min(len(l2), len(l3)))
		for k := range lf {
			lf[k] = (l2[k] + l3[k]) / 2
		}
	}
	return li, lf
}
