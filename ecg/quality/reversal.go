package quality

import (
	"fmt"
	"math"
	"strings"

	"yigong/ecg"
	"yigong/ecg/analysis"
)

// waveAreas holds net areas (µV·s) of a lead's P wave and QRS complex on the
// median beat, referred to the level just before each wave.
type waveAreas struct{ p, qrs float64 }

func areas(x []float64, fs float64, f analysis.Fiducials) (waveAreas, bool) {
	net := func(from, to int) float64 {
		if from < 0 || to <= from || to > len(x) {
			return 0
		}
		ref := x[max(0, from-1)]
		var s float64
		for _, v := range x[from:to] {
			s += v - ref
		}
		return s / fs
	}
	if f.QRSOnset < 0 || f.QRSOffset > len(x) {
		return waveAreas{}, false
	}
	return waveAreas{p: net(f.POnset, f.POffset), qrs: net(f.QRSOnset, f.QRSOffset)}, true
}

// reversals applies the limb and precordial reversal criteria to the
// median beat of r.
func (l Limits) reversals(r analysis.Report) []ecg.Finding {
	if len(r.Median) == 0 || r.MedianRate <= 0 {
		return nil
	}
	var out []ecg.Finding
	out = append(out, l.limbReversal(r)...)
	out = append(out, l.precordial(r)...)
	return out
}

// precordial flags an adjacent pair of precordial leads whose swap makes
// the sequence V1..V6 markedly smoother (mean neighbour correlation of the
// QRS up by more than PrecordialGain).
func (l Limits) precordial(r analysis.Report) []ecg.Finding {
	f := r.Fiducials
	names := []string{"V1", "V2", "V3", "V4", "V5", "V6"}
	v := make([][]float64, len(names))
	for i, n := range names {
		for _, ld := range r.Median {
			if ld.Name == n && f.QRSOnset >= 0 && f.QRSOffset <= len(ld.Samples) {
				v[i] = ld.Samples[f.QRSOnset:f.QRSOffset]
			}
		}
		if v[i] == nil {
			return nil
		}
	}
	smooth := func(order []int) float64 {
		var s float64
		for k := 1; k < len(order); k++ {
			s += corr(v[order[k-1]], v[order[k]])
		}
		return s / float64(len(order)-1)
	}
	base := smooth([]int{0, 1, 2, 3, 4, 5})
	bestGain, bestPair := 0.0, -1
	for i := range 5 {
		o := []int{0, 1, 2, 3, 4, 5}
		o[i], o[i+1] = o[i+1], o[i]
		if g := smooth(o) - base; g > bestGain {
			bestGain, bestPair = g, i
		}
	}
	if bestPair < 0 || bestGain <= l.PrecordialGain {
		return nil
	}
	a, b := names[bestPair], names[bestPair+1]
	return []ecg.Finding{{Code: ecg.FindingPrecordialOrder, Lead: a + "," + b, Metric: "gain in mean neighbour QRS correlation", Value: bestGain, Limit: l.PrecordialGain,
		Text: fmt.Sprintf("suspected %s/%s electrode interchange: swapping them makes the precordial sequence smoother", a, b)}}
}

// corr is Pearson's correlation; NaN when either input is constant.
func corr(a, b []float64) float64 {
	n := min(len(a), len(b))
	if n == 0 {
		return math.NaN()
	}
	var ma, mb float64
	for i := range n {
		ma += a[i]
		mb += b[i]
	}
	ma /= float64(n)
	mb /= float64(n)
	var sab, saa, sbb float64
	for i := range n {
		da, db := a[i]-ma, b[i]-mb
		sab += da * db
		saa += da * da
		sbb += db * db
	}
	if saa == 0 || sbb == 0 {
		return math.NaN()
	}
	return sab / math.Sqrt(saa*sbb)
}

// limbSwaps are the limb electrode interchanges checked; each is its own
// inverse. The lead values after a swap follow from I = LA−RA,
// II = LL−RA, III = LL−LA, aVR = RA−(LA+LL)/2, aVL = LA−(RA+LL)/2,
// aVF = LL−(RA+LA)/2.
var limbSwaps = []struct {
	code string
	// from[k] is the original lead and sign that lead k (I, II, III, aVR,
	// aVL, aVF) shows after the swap.
	from [6]struct {
		lead int
		sign float64
	}
}{
	{ecg.FindingReversalLARA, [6]struct {
		lead int
		sign float64
	}{{0, -1}, {2, 1}, {1, 1}, {4, 1}, {3, 1}, {5, 1}}},
	{ecg.FindingReversalLALL, [6]struct {
		lead int
		sign float64
	}{{1, 1}, {0, 1}, {2, -1}, {3, 1}, {5, 1}, {4, 1}}},
	{ecg.FindingReversalRALL, [6]struct {
		lead int
		sign float64
	}{{2, -1}, {1, -1}, {0, -1}, {5, 1}, {4, 1}, {3, 1}}},
}

var limbNames = [6]string{"I", "II", "III", "aVR", "aVL", "aVF"}

// plausibility scores a limb-lead configuration on the median beat: the
// correlation of lead I with V6 over QRS and T (both look at the heart from
// the left), plus how positive the P wave is in I and II and negative in
// aVR (sinus rhythm), normalised to [−1, 1].
func plausibility(limb [6][]float64, v6 []float64, f analysis.Fiducials, fs float64) (c, p float64) {
	end := f.TOffset
	if end < 0 {
		end = f.QRSOffset
	}
	end = min(end, len(v6), len(limb[0]))
	c = corr(limb[0][f.QRSOnset:end], v6[f.QRSOnset:end])
	if math.IsNaN(c) {
		c = 0
	}
	if f.POnset >= 0 && f.POffset > f.POnset {
		pa := func(x []float64) float64 { a, _ := areas(x, fs, f); return a.p }
		pi, pii, pvr := pa(limb[0]), pa(limb[1]), pa(limb[3])
		if d := math.Abs(pi) + math.Abs(pii) + math.Abs(pvr); d > 0 {
			p = (pi + pii - pvr) / d
		}
	}
	return c, p
}

// limbReversal flags the limb interchange whose undoing makes the record
// clearly more plausible: the score (see plausibility) rises by more than
// LimbGain, and lead I then correlates with V6 better than as recorded.
// When the P waves do not discriminate (the LA/LL swap keeps P positive in
// I and II), the correlation alone must go from under 0.3 to over 0.7.
func (l Limits) limbReversal(r analysis.Report) []ecg.Finding {
	f := r.Fiducials
	if f.QRSOnset < 0 {
		return nil
	}
	var limb [6][]float64
	var v6 []float64
	for _, ld := range r.Median {
		for k, n := range limbNames {
			if ld.Name == n {
				limb[k] = ld.Samples
			}
		}
		if ld.Name == "V6" {
			v6 = ld.Samples
		}
	}
	for _, x := range limb {
		if x == nil {
			return nil
		}
	}
	if v6 == nil {
		return nil
	}
	c0, p0 := plausibility(limb, v6, f, r.MedianRate)
	var best *ecg.Finding
	for _, sw := range limbSwaps {
		var u [6][]float64
		for k, fr := range sw.from {
			u[k] = limb[fr.lead]
			if fr.sign < 0 {
				u[k] = negate(limb[fr.lead])
			}
		}
		c, p := plausibility(u, v6, f, r.MedianRate)
		gain := (c + p) - (c0 + p0)
		if p-p0 < 0.5 && !(c0 < 0.3 && c > 0.7) {
			continue
		}
		if gain > l.LimbGain && c > c0 && (best == nil || gain > best.Value) {
			best = &ecg.Finding{Code: sw.code, Lead: "I,II,III,aVR,aVL,aVF", Metric: "plausibility gain when undone", Value: gain, Limit: l.LimbGain,
				Text: fmt.Sprintf("suspected %s electrode reversal: undoing it raises the I–V6 correlation from %.2f to %.2f and the sinus P score from %.2f to %.2f",
					strings.TrimPrefix(sw.code, "reversal-"), c0, c, p0, p)}
		}
	}
	if best == nil {
		return nil
	}
	return []ecg.Finding{*best}
}

func negate(x []float64) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = -v
	}
	return y
}
