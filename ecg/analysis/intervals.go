package analysis

import (
	"math"
	"slices"

	"yigong/ecg"
)

// Fiducials are global wave boundaries on a median beat, as sample indexes;
// -1 when not found.
type Fiducials struct {
	POnset, POffset, QRSOnset, QRSOffset, TOffset int
}

// Delineation parameters. Each is a published choice or lies within the
// range the cited papers report; see [Delineate].
const (
	lowpassHz = 40 // IEC 60601-2-25 diagnostic bandwidth is wider; 40 Hz keeps QRS slopes (AHA 2007 §II)

	qrsThreshold = 0.04 // fraction of the spatial-velocity QRS peak above the floor
	qrsGapMS     = 16   // shortest sub-threshold stretch that ends the QRS
	tSearchMS    = 600  // T end searched up to this many ms after the QRS onset
	pSearchMS    = 300  // P searched up to this many ms before the QRS onset
)

// Delineate finds the global P onset and offset, QRS onset and offset and
// T offset on a median beat given as simultaneous leads at fs hertz.
//
// Methods:
//
//   - The leads are low-passed at 40 Hz (zero-phase) and each is referred
//     to its own PR-segment level.
//   - QRS onset and offset: threshold on the spatial velocity (root sum of
//     squared first differences over all leads), as in the Glasgow and
//     Hannover programs (Macfarlane et al., "The Glasgow System", in
//     Comprehensive Electrocardiology, 2nd ed., 2011; Zywietz and Willems,
//     CSE working party, J Electrocardiol 1987). The spatial velocity
//     combines all leads, so the boundaries found are the earliest onset
//     and latest offset over the leads, the global definition of the CSE
//     project and IEC 60601-2-25 §201.12.4.4.
//   - T offset: the trapezium-area method of Zhang et al., "An algorithm
//     for robust and efficient location of T-wave ends in
//     electrocardiograms", IEEE Trans. Biomed. Eng. 53(12), 2006, per lead
//     on leads with a T wave of at least 100 µV; the global T offset is the
//     latest of them, after rejecting leads more than 40 ms later than the
//     next (CSE: the latest T end, outliers excluded).
//   - P onset and offset: the same trapezium method run backwards from the
//     P apex (onset) and forwards (offset) on each lead with a P wave of at
//     least 40 µV; global onset the earliest, offset the latest, with the
//     same outlier rule.
func Delineate(leads []ecg.Lead, fs float64) Fiducials {
	f := Fiducials{-1, -1, -1, -1, -1}
	n := 0
	for _, l := range leads {
		if n == 0 || len(l.Samples) < n {
			n = len(l.Samples)
		}
	}
	if fs <= 0 || n < msToSamples(300, fs) {
		return f
	}
	ms := func(v float64) int { return msToSamples(v, fs) }
	lp := make([][]float64, 0, len(leads))
	for _, l := range leads {
		if len(l.Samples) == 0 {
			continue
		}
		lp = append(lp, Bandpass(l.Samples[:n], fs, 0, lowpassHz))
	}
	if len(lp) == 0 {
		return f
	}
	sv := spatialVelocity(lp)
	// The QRS peak is searched away from the ends (100 ms), where filter
	// transients and converter padding (a trailing −32768 sample in some
	// DICOM median beats) sit.
	pk := ms(100)
	for i := ms(100); i < n-ms(100); i++ {
		if sv[i] > sv[pk] {
			pk = i
		}
	}
	floor := percentile(sv, 0.25)
	thr := floor + qrsThreshold*(sv[pk]-floor)
	on, off := qrsBounds(sv, pk, thr, 0, n-1, ms(qrsGapMS))
	f.QRSOnset, f.QRSOffset = on, off

	// Refer each lead to its PR-segment level (the 10 ms before the QRS
	// onset).
	for _, x := range lp {
		b := mean(x[max(0, on-ms(10)):max(1, on)])
		for i := range x {
			x[i] -= b
		}
	}

	// T offset.
	var tends []int
	for _, x := range lp {
		if e, ok := tEnd(x, on, off, fs); ok {
			tends = append(tends, e)
		}
	}
	if v, ok := medianInt(tends); ok {
		f.TOffset = v
	}
	// P onset and offset.
	var pons, poffs []int
	for _, x := range lp {
		if a, b, ok := pWave(x, on, fs); ok {
			pons = append(pons, a)
			poffs = append(poffs, b)
		}
	}
	if v, ok := medianInt(pons); ok {
		f.POnset = v
	}
	if v, ok := medianInt(poffs); ok {
		f.POffset = v
	}
	return f
}

// tEnd locates the T end of one lead (baseline-corrected) by Zhang's
// trapezium area: t_m is the point of steepest descent after the T apex,
// t_r = t_m + 150 ms, and the T end is the t_i in [t_m, t_r] maximising
// A(t_i) = ½·(s(t_m) − s(t_i))·(2·t_r − t_i − t_m), s signed by the T
// polarity.
func tEnd(x []float64, on, off int, fs float64) (int, bool) {
	ms := func(v float64) int { return msToSamples(v, fs) }
	n := len(x)
	a, b := off+ms(60), min(n-1, on+ms(tSearchMS))
	if a >= b {
		return 0, false
	}
	apex := a
	for i := a; i < b; i++ {
		if math.Abs(x[i]) > math.Abs(x[apex]) {
			apex = i
		}
	}
	if math.Abs(x[apex]) < 100 {
		return 0, false
	}
	sgn := 1.0
	if x[apex] < 0 {
		sgn = -1
	}
	// Steepest descent (towards the baseline) within 150 ms after the apex.
	tm, best := apex, 0.0
	for i := apex + 1; i < min(n-1, apex+ms(150)); i++ {
		if d := sgn * (x[i-1] - x[i+1]); d > best {
			tm, best = i, d
		}
	}
	tr := min(n-1, tm+ms(150))
	te, amax := -1, 0.0
	for ti := tm; ti <= tr; ti++ {
		ar := 0.5 * sgn * (x[tm] - x[ti]) * float64(2*tr-ti-tm)
		if ar > amax {
			te, amax = ti, ar
		}
	}
	return te, te >= 0
}

// pWave locates the P onset and offset of one lead (baseline-corrected) by
// the trapezium area, mirrored for the onset.
func pWave(x []float64, on int, fs float64) (int, int, bool) {
	ms := func(v float64) int { return msToSamples(v, fs) }
	a, b := max(1, on-ms(pSearchMS)), on-ms(20)
	if a >= b {
		return 0, 0, false
	}
	apex := a
	for i := a; i < b; i++ {
		if math.Abs(x[i]) > math.Abs(x[apex]) {
			apex = i
		}
	}
	if math.Abs(x[apex]) < 40 {
		return 0, 0, false
	}
	sgn := 1.0
	if x[apex] < 0 {
		sgn = -1
	}
	// Onset: steepest rise within 80 ms before the apex, then the trapezium
	// backwards to t_r = t_m − 80 ms.
	tm, best := apex, 0.0
	for i := apex - 1; i > max(0, apex-ms(80)); i-- {
		if d := sgn * (x[i+1] - x[i-1]); d > best {
			tm, best = i, d
		}
	}
	tr := max(0, tm-ms(80))
	ponset, amax := -1, 0.0
	for ti := tm; ti >= tr; ti-- {
		ar := 0.5 * sgn * (x[tm] - x[ti]) * float64(ti+tm-2*tr)
		if ar > amax {
			ponset, amax = ti, ar
		}
	}
	// Offset: steepest fall within 80 ms after the apex, trapezium forwards
	// up to the QRS onset.
	tm, best = apex, 0
	for i := apex + 1; i < min(on, apex+ms(80)); i++ {
		if d := sgn * (x[i-1] - x[i+1]); d > best {
			tm, best = i, d
		}
	}
	tr = min(on, tm+ms(80))
	poffset := -1
	amax = 0
	for ti := tm; ti <= tr; ti++ {
		ar := 0.5 * sgn * (x[tm] - x[ti]) * float64(2*tr-ti-tm)
		if ar > amax {
			poffset, amax = ti, ar
		}
	}
	return ponset, poffset, ponset >= 0 && poffset > ponset
}

// qrsBounds walks out from the spatial-velocity peak pk to where sv stays
// at or below thr for more than gap samples (so that the velocity minimum
// at the apex of a smooth wide R wave does not end the QRS), within
// [lo, hi].
func qrsBounds(sv []float64, pk int, thr float64, lo, hi, gap int) (on, off int) {
	on, below := pk, 0
	for i := pk; i > lo; i-- {
		if sv[i] > thr {
			on, below = i, 0
		} else if below++; below > gap {
			break
		}
	}
	off, below = pk, 0
	for i := pk; i < hi; i++ {
		if sv[i] > thr {
			off, below = i, 0
		} else if below++; below > gap {
			break
		}
	}
	return max(lo, on-1), min(hi, off+1)
}

// medianInt is the median of v (the mean of the middle two, rounded
// down, for an even count).
func medianInt(v []int) (int, bool) {
	if len(v) == 0 {
		return 0, false
	}
	s := slices.Clone(v)
	slices.Sort(s)
	k := len(s) / 2
	if len(s)%2 == 0 {
		return (s[k-1] + s[k]) / 2, true
	}
	return s[k], true
}

// spatialVelocity is √Σ(dx/dt)² over leads, per sample, with central
// differences.
func spatialVelocity(leads [][]float64) []float64 {
	n := len(leads[0])
	sv := make([]float64, n)
	for i := 1; i < n-1; i++ {
		var s float64
		for _, x := range leads {
			d := (x[i+1] - x[i-1]) / 2
			s += d * d
		}
		sv[i] = math.Sqrt(s)
	}
	if n > 2 {
		sv[0], sv[n-1] = sv[1], sv[n-2]
	}
	return sv
}

func percentile(x []float64, p float64) float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

func mean(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

func msToSamples(v, fs float64) int { return max(1, int(math.Round(v*fs/1000))) }

// MeasureMedian delineates a median beat ([Delineate]) and returns the
// fiducials with the P duration, PR, QRS and QT intervals in ms and the
// frontal P, QRS and T axes in degrees ([Axes]).
func MeasureMedian(leads []ecg.Lead, fs float64) (Fiducials, []ecg.Measurement) {
	f := Delineate(leads, fs)
	if f.QRSOnset < 0 {
		return f, nil
	}
	toMS := func(s int) float64 { return math.Round(float64(s) * 1000 / fs) }
	var out []ecg.Measurement
	add := func(name ecg.MeasurementName, v float64, unit, method string) {
		out = append(out, ecg.Measurement{Name: name, Value: v, Unit: unit, Source: "analysis", Method: method})
	}
	const dm = "median beat delineation"
	if f.POnset >= 0 && f.POffset > f.POnset {
		add(ecg.PDuration, toMS(f.POffset-f.POnset), "ms", dm)
	}
	if f.POnset >= 0 {
		add(ecg.PRInterval, toMS(f.QRSOnset-f.POnset), "ms", dm)
	}
	add(ecg.QRSDuration, toMS(f.QRSOffset-f.QRSOnset), "ms", dm)
	if f.TOffset >= 0 {
		add(ecg.QTInterval, toMS(f.TOffset-f.QRSOnset), "ms", dm)
	}
	out = append(out, Axes(leads, fs, f)...)
	return f, out
}
