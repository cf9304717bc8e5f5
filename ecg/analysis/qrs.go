package analysis

import (
	"math"
	"slices"
)

// DetectQRS returns the sample indexes of the QRS complexes (at the R
// peak, the largest absolute deflection of the band-passed signal) in x,
// sampled at fs hertz.
//
// The detector follows Pan and Tompkins, "A real-time QRS detection
// algorithm", IEEE Trans. Biomed. Eng. 32(3), 1985, run offline: a 5–15 Hz
// band-pass (zero-phase Butterworth instead of the paper's integer filters,
// which are designed for 200 Hz), a five-point derivative, squaring, a
// 150 ms moving-window integration, then peaks at least 200 ms apart
// classified against the adaptive thresholds SPKI/NPKI (threshold =
// NPKI + (SPKI−NPKI)/4), a search-back at half threshold when no QRS is
// found for 166% of the mean of the last eight RR intervals, and T-wave
// rejection of peaks within 360 ms of the previous QRS whose maximal slope
// is under half of that QRS's.
func DetectQRS(x []float64, fs float64) []int {
	if len(x) < int(fs) || fs <= 0 {
		return nil
	}
	bp := Bandpass(x, fs, 5, 15)
	n := len(bp)
	// Five-point derivative (centred): (2x[n+2]+x[n+1]−x[n−1]−2x[n−2])/8.
	sq := make([]float64, n)
	for i := 2; i < n-2; i++ {
		d := (2*bp[i+2] + bp[i+1] - bp[i-1] - 2*bp[i-2]) / 8
		sq[i] = d * d
	}
	// Moving-window integration, 150 ms, centred.
	w := max(1, int(math.Round(0.150*fs)))
	mwi := make([]float64, n)
	var sum float64
	half := w / 2
	for i := 0; i < n+half; i++ {
		if i < n {
			sum += sq[i]
		}
		if i-w >= 0 {
			sum -= sq[i-w]
		}
		if j := i - half; j >= 0 && j < n {
			mwi[j] = sum / float64(w)
		}
	}

	refractory := int(math.Round(0.200 * fs))
	peaks := localPeaks(mwi, refractory)
	if len(peaks) == 0 {
		return nil
	}

	// Slope of the band-passed signal around a candidate, for T-wave checks.
	slopeWin := max(1, int(math.Round(0.075*fs)))
	maxSlope := func(c int) float64 {
		var m float64
		for i := max(1, c-slopeWin); i <= min(n-1, c+slopeWin); i++ {
			m = max(m, math.Abs(bp[i]-bp[i-1]))
		}
		return m
	}

	// Initialise the thresholds over the first two seconds.
	init := min(n, int(2*fs))
	spki := slices.Max(mwi[:init]) / 3
	var npki float64
	for _, v := range mwi[:init] {
		npki += v
	}
	npki = npki / float64(init) / 2

	var (
		qrs       []int // MWI peak indexes accepted as QRS
		lastSlope float64
		rr        []int
	)
	rrMean := func() float64 {
		if len(rr) == 0 {
			return fs // 1 s until there are intervals
		}
		k := rr[max(0, len(rr)-8):]
		s := 0
		for _, v := range k {
			s += v
		}
		return float64(s) / float64(len(k))
	}
	accept := func(p int, slope float64) {
		if len(qrs) > 0 {
			rr = append(rr, p-qrs[len(qrs)-1])
		}
		qrs = append(qrs, p)
		lastSlope = slope
	}
	next := 0 // index into peaks of the first peak not yet examined
	for next < len(peaks) {
		p := peaks[next]
		thr1 := npki + 0.25*(spki-npki)
		// Search back when the gap since the last QRS exceeds 166% of the
		// mean RR interval.
		if len(qrs) > 0 && float64(p-qrs[len(qrs)-1]) > 1.66*rrMean() {
			last := qrs[len(qrs)-1]
			best := -1
			for k := next - 1; k >= 0 && peaks[k] > last; k-- {
				if peaks[k]-last < refractory {
					break
				}
				if mwi[peaks[k]] > thr1/2 && (best < 0 || mwi[peaks[k]] > mwi[best]) {
					best = peaks[k]
				}
			}
			if best >= 0 {
				spki = 0.25*mwi[best] + 0.75*spki
				accept(best, maxSlope(best))
				// Re-examine p against the new last QRS.
				continue
			}
		}
		next++
		v := mwi[p]
		if v > thr1 {
			s := maxSlope(p)
			if len(qrs) > 0 && p-qrs[len(qrs)-1] < int(0.360*fs) && s < 0.5*lastSlope {
				npki = 0.125*v + 0.875*npki // a T wave
				continue
			}
			spki = 0.125*v + 0.875*spki
			accept(p, s)
			continue
		}
		npki = 0.125*v + 0.875*npki
	}

	// Place each beat at the largest absolute band-passed deflection within
	// ±100 ms of the integrator peak.
	win := int(math.Round(0.100 * fs))
	out := make([]int, 0, len(qrs))
	for _, p := range qrs {
		best, bv := p, -1.0
		for i := max(0, p-win); i <= min(n-1, p+win); i++ {
			if a := math.Abs(bp[i]); a > bv {
				best, bv = i, a
			}
		}
		if len(out) > 0 && best-out[len(out)-1] < refractory {
			continue
		}
		out = append(out, best)
	}
	return out
}

// localPeaks returns the indexes of local maxima of x, keeping only the
// highest of any peaks closer than dist samples.
func localPeaks(x []float64, dist int) []int {
	var peaks []int
	for i := 1; i < len(x)-1; i++ {
		if x[i] <= x[i-1] || x[i] < x[i+1] || x[i] == 0 {
			continue
		}
		if k := len(peaks); k > 0 && i-peaks[k-1] < dist {
			if x[i] > x[peaks[k-1]] {
				peaks[k-1] = i
			}
			continue
		}
		peaks = append(peaks, i)
	}
	return peaks
}
