package analysis

import "math"

// biquad is a second-order IIR section in direct form I.
type biquad struct{ b0, b1, b2, a1, a2 float64 }

// butterLowpass and butterHighpass are second-order Butterworth sections
// designed by the bilinear transform with frequency pre-warping.
func butterLowpass(fc, fs float64) biquad {
	k := math.Tan(math.Pi * fc / fs)
	q := math.Sqrt2
	n := 1 / (1 + q*k + k*k)
	return biquad{b0: k * k * n, b1: 2 * k * k * n, b2: k * k * n, a1: 2 * (k*k - 1) * n, a2: (1 - q*k + k*k) * n}
}

func butterHighpass(fc, fs float64) biquad {
	k := math.Tan(math.Pi * fc / fs)
	q := math.Sqrt2
	n := 1 / (1 + q*k + k*k)
	return biquad{b0: n, b1: -2 * n, b2: n, a1: 2 * (k*k - 1) * n, a2: (1 - q*k + k*k) * n}
}

// apply filters x in place, forwards.
func (f biquad) apply(x []float64) {
	var x1, x2, y1, y2 float64
	if len(x) > 0 {
		// Start from the steady state of the first sample to avoid a step.
		x1, x2 = x[0], x[0]
		dc := (f.b0 + f.b1 + f.b2) / (1 + f.a1 + f.a2)
		y1, y2 = x[0]*dc, x[0]*dc
	}
	for i, v := range x {
		y := f.b0*v + f.b1*x1 + f.b2*x2 - f.a1*y1 - f.a2*y2
		x2, x1 = x1, v
		y2, y1 = y1, y
		x[i] = y
	}
}

// filtfilt applies f forwards then backwards: zero phase, squared magnitude.
func (f biquad) filtfilt(x []float64) {
	f.apply(x)
	reverse(x)
	f.apply(x)
	reverse(x)
}

func reverse(x []float64) {
	for i, j := 0, len(x)-1; i < j; i, j = i+1, j-1 {
		x[i], x[j] = x[j], x[i]
	}
}

// Bandpass returns x filtered by a zero-phase Butterworth band-pass between
// lo and hi hertz (each edge a second-order section run forwards and
// backwards). lo <= 0 skips the high-pass, hi <= 0 or hi >= fs/2 the
// low-pass.
func Bandpass(x []float64, fs, lo, hi float64) []float64 {
	y := append([]float64(nil), x...)
	if lo > 0 && lo < fs/2 {
		butterHighpass(lo, fs).filtfilt(y)
	}
	if hi > 0 && hi < fs/2 {
		butterLowpass(hi, fs).filtfilt(y)
	}
	return y
}
