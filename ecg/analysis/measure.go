package analysis

import (
	"math"
	"slices"

	"yigong/ecg"
)

// Report is what [Measure] finds in a record.
type Report struct {
	// Beats are the detected QRS positions (rhythm sample indexes).
	Beats []int
	// RR is the mean RR interval in ms and HR the heart rate in /min; zero
	// with fewer than two beats.
	RR, HR float64
	// Median is the median beat per lead, at MedianRate hertz: the file's
	// own when it has one, else built by [MedianBeat] (MedianBuilt true).
	Median      []ecg.Lead
	MedianRate  float64
	MedianBuilt bool
	// Fiducials are the global boundaries on Median.
	Fiducials Fiducials
	// Measurements are HR, RR, P, PR, QRS, QT, QTc by all four formulas and
	// the P, QRS and T axes, with Source "analysis".
	Measurements []ecg.Measurement
}

// Measure detects the beats of a record (on lead II, else the first lead),
// takes its median beat (the file's, or one built from the rhythm), and
// measures the global intervals, QTc by Bazett, Fridericia, Hodges and
// Framingham from the mean RR, and the frontal axes.
func Measure(rec *ecg.Record) Report {
	var r Report
	x := rhythmLead(rec)
	if x == nil || rec.SampleRate <= 0 {
		return r
	}
	r.Beats = DetectQRS(x, rec.SampleRate)
	if rr := RRIntervals(r.Beats, rec.SampleRate); len(rr) > 0 {
		r.RR = mean(rr)
		r.HR = 60000 / r.RR
	}
	r.Median, r.MedianRate = rec.Median, rec.MedianSampleRate
	if len(r.Median) == 0 || r.MedianRate <= 0 {
		r.Median, _ = MedianBeat(rec.Leads, rec.SampleRate, r.Beats)
		r.MedianRate, r.MedianBuilt = rec.SampleRate, true
	}
	if r.HR > 0 {
		r.Measurements = append(r.Measurements,
			ecg.Measurement{Name: ecg.HeartRate, Value: math.Round(r.HR), Unit: "/min", Source: "analysis", Method: "Pan-Tompkins, mean RR"},
			ecg.Measurement{Name: ecg.RRInterval, Value: math.Round(r.RR), Unit: "ms", Source: "analysis", Method: "Pan-Tompkins, mean RR"})
	}
	if len(r.Median) == 0 {
		return r
	}
	var ms []ecg.Measurement
	r.Fiducials, ms = MeasureMedian(r.Median, r.MedianRate)
	r.Measurements = append(r.Measurements, ms...)
	for _, m := range ms {
		if m.Name == ecg.QTInterval && r.RR > 0 {
			for _, q := range QTcAll(m.Value, r.RR) {
				q.Value = math.Round(q.Value)
				r.Measurements = append(r.Measurements, q)
			}
		}
	}
	return r
}

// rhythmLead returns lead II, else the first non-empty lead.
func rhythmLead(rec *ecg.Record) []float64 {
	if l := rec.Lead("II"); l != nil && len(l.Samples) > 0 {
		return l.Samples
	}
	for _, l := range rec.Leads {
		if len(l.Samples) > 0 {
			return l.Samples
		}
	}
	return nil
}

// maxMedianBeats caps how many beats go into a median (evenly spaced over
// the record), so a 24-hour Holter costs what a few minutes do.
const maxMedianBeats = 64

// MedianBeat builds a median beat per lead from the beats (QRS positions)
// of simultaneous leads at fs hertz and returns it with the fiducial (the
// QRS position) as a sample index into it.
//
// Each beat window spans from 0.5·RR (at most 500 ms, at least 250 ms)
// before the QRS to 0.75·RR (at most 700 ms, at least 350 ms) after it,
// RR being the median RR. Beats are aligned by maximising the
// cross-correlation, within ±20 ms, of their QRS (±60 ms, summed over
// leads) with the first beat-wise median; beats correlating below 0.9
// with it (ectopics, noise) are left out, and the median is taken sample
// by sample across the remaining beats, the usual way of forming a
// representative beat (Kligfield et al., AHA recommendations 2007, part I,
// "representative complex"; Macfarlane, Comprehensive Electrocardiology).
func MedianBeat(leads []ecg.Lead, fs float64, beats []int) ([]ecg.Lead, int) {
	if len(leads) == 0 || len(beats) == 0 || fs <= 0 {
		return nil, -1
	}
	n := len(leads[0].Samples)
	for _, l := range leads {
		n = min(n, len(l.Samples))
	}
	rr := RRIntervals(beats, fs)
	rrMS := 1000.0
	if len(rr) > 0 {
		s := slices.Clone(rr)
		slices.Sort(s)
		rrMS = s[len(s)/2]
	}
	pre := msToSamples(min(500, max(250, 0.5*rrMS)), fs)
	post := msToSamples(min(700, max(350, 0.75*rrMS)), fs)
	shift := msToSamples(20, fs)
	var use []int
	for _, b := range beats {
		if b-pre-shift >= 0 && b+post+shift < n {
			use = append(use, b)
		}
	}
	if len(use) == 0 {
		return nil, -1
	}
	if len(use) > maxMedianBeats {
		sel := make([]int, maxMedianBeats)
		for i := range sel {
			sel[i] = use[i*len(use)/maxMedianBeats]
		}
		use = sel
	}
	w := pre + post
	// QRS summary signal for alignment: the sum over leads of each lead
	// minus its value at the window start.
	q := msToSamples(60, fs)
	qrsSig := func(at int) []float64 {
		out := make([]float64, 2*q+1)
		for _, l := range leads {
			for k := range out {
				out[k] += math.Abs(l.Samples[at-q+k] - l.Samples[at-pre])
			}
		}
		return out
	}
	build := func(pos []int) [][]float64 {
		med := make([][]float64, len(leads))
		col := make([]float64, len(pos))
		for li, l := range leads {
			med[li] = make([]float64, w)
			for k := range w {
				for j, p := range pos {
					col[j] = l.Samples[p-pre+k]
				}
				slices.Sort(col)
				m := len(col) / 2
				if len(col)%2 == 0 {
					med[li][k] = (col[m-1] + col[m]) / 2
				} else {
					med[li][k] = col[m]
				}
			}
		}
		return med
	}
	first := build(use)
	tmpl := make([]float64, 2*q+1)
	for li := range leads {
		for k := range tmpl {
			tmpl[k] += math.Abs(first[li][pre-q+k] - first[li][0])
		}
	}
	var aligned []int
	for _, b := range use {
		best, bc := b, -2.0
		for s := -shift; s <= shift; s++ {
			if c := correlation(tmpl, qrsSig(b+s)); c > bc {
				best, bc = b+s, c
			}
		}
		if bc >= 0.9 {
			aligned = append(aligned, best)
		}
	}
	if len(aligned) == 0 {
		aligned = use
	}
	med := build(aligned)
	out := make([]ecg.Lead, len(leads))
	for i, l := range leads {
		out[i] = ecg.Lead{Name: l.Name, Samples: med[i]}
	}
	return out, pre
}

// correlation is Pearson's correlation coefficient of equal-length a, b.
func correlation(a, b []float64) float64 {
	ma, mb := mean(a), mean(b)
	var sab, saa, sbb float64
	for i := range a {
		da, db := a[i]-ma, b[i]-mb
		sab += da * db
		saa += da * da
		sbb += db * db
	}
	if saa == 0 || sbb == 0 {
		return 0
	}
	return sab / math.Sqrt(saa*sbb)
}
