package analysis

import (
	"math"

	"yigong/ecg"
)

// QTc returns the QT interval (ms) corrected for the RR interval (ms) by
// the named formula: Bazett QT/√RR, Fridericia QT/∛RR, Hodges
// QT + 1.75·(HR − 60), Framingham QT + 154·(1 − RR), RR in seconds and HR
// in beats per minute. ok is false for an unknown formula or RR <= 0.
func QTc(formula string, qtMS, rrMS float64) (v float64, ok bool) {
	if rrMS <= 0 {
		return 0, false
	}
	rr := rrMS / 1000
	switch formula {
	case ecg.Bazett:
		return qtMS / math.Sqrt(rr), true
	case ecg.Fridericia:
		return qtMS / math.Cbrt(rr), true
	case ecg.Hodges:
		return qtMS + 1.75*(60/rr-60), true
	case ecg.Framingham:
		return qtMS + 154*(1-rr), true
	}
	return 0, false
}

// QTcAll returns QTc by all four formulas as measurements named QTc with
// the formula in Method and Source "analysis".
func QTcAll(qtMS, rrMS float64) []ecg.Measurement {
	var out []ecg.Measurement
	for _, f := range []string{ecg.Bazett, ecg.Fridericia, ecg.Hodges, ecg.Framingham} {
		if v, ok := QTc(f, qtMS, rrMS); ok {
			out = append(out, ecg.Measurement{Name: ecg.QTc, Value: v, Unit: "ms", Method: f, Source: "analysis"})
		}
	}
	return out
}
