package quality

import (
	"fmt"
	"math"
	"time"

	"yigong/ecg"
	"yigong/ecg/analysis"
)

// Limits are the thresholds of [Check]; [DefaultLimits] gives the values
// documented in the package comment.
type Limits struct {
	FlatPeakToPeak float64       // µV
	FlatMin        time.Duration // shortest flat stretch reported
	ClipRun        time.Duration // shortest run at the extreme counted
	ClipFraction   float64       // of the lead's samples
	MainsRatio     float64
	MuscleRatio    float64
	WanderRatio    float64
	Segment        time.Duration
	PrecordialGain float64 // correlation gain of a swap
	LimbGain       float64 // plausibility gain of undoing a limb swap
}

// DefaultLimits returns the limits used by [Check].
func DefaultLimits() Limits {
	return Limits{
		FlatPeakToPeak: 20,
		FlatMin:        time.Second,
		ClipRun:        20 * time.Millisecond,
		ClipFraction:   0.01,
		MainsRatio:     0.05,
		MuscleRatio:    0.05,
		WanderRatio:    1.0,
		Segment:        10 * time.Second,
		PrecordialGain: 0.25,
		LimbGain:       0.6,
	}
}

// Check runs every check with [DefaultLimits]; r is the record's
// measurement report (its median beat and fiducials feed the reversal
// criteria).
func Check(rec *ecg.Record, r analysis.Report) []ecg.Finding {
	return DefaultLimits().Check(rec, r)
}

// Check runs every check with the limits l.
func (l Limits) Check(rec *ecg.Record, r analysis.Report) []ecg.Finding {
	if rec == nil || rec.SampleRate <= 0 {
		return nil
	}
	var out []ecg.Finding
	plans := map[int]*spectrumPlan{}
	for _, lead := range rec.Leads {
		out = append(out, l.flat(lead, rec.SampleRate)...)
		out = append(out, l.clipping(lead, rec.SampleRate)...)
		out = append(out, l.spectral(lead, rec.SampleRate, plans)...)
	}
	out = append(out, l.reversals(r)...)
	return out
}

func at(i int, fs float64) time.Duration {
	return time.Duration(math.Round(float64(i) / fs * float64(time.Second)))
}

// flat reports stretches of at least FlatMin where every 200 ms window's
// peak-to-peak amplitude is under FlatPeakToPeak.
func (l Limits) flat(lead ecg.Lead, fs float64) []ecg.Finding {
	x := lead.Samples
	w := max(1, int(0.2*fs))
	minRun := int(l.FlatMin.Seconds() * fs)
	var out []ecg.Finding
	start, worst := -1, 0.0
	flush := func(end int) {
		if start >= 0 && end-start >= minRun {
			out = append(out, ecg.Finding{Code: ecg.FindingFlatLine, Lead: lead.Name, Start: at(start, fs), End: at(end, fs),
				Metric: "peak-to-peak µV", Value: worst, Limit: l.FlatPeakToPeak, Text: "flat line: lead off or no signal"})
		}
		start, worst = -1, 0
	}
	for i := 0; i+w <= len(x); i += w {
		lo, hi := x[i], x[i]
		for _, v := range x[i : i+w] {
			lo, hi = min(lo, v), max(hi, v)
		}
		if hi-lo < l.FlatPeakToPeak {
			if start < 0 {
				start = i
			}
			worst = max(worst, hi-lo)
			continue
		}
		flush(i)
	}
	flush(len(x) - len(x)%w)
	return out
}

// clipping reports a lead that sits at its own maximum or minimum for runs
// of at least ClipRun adding up to at least ClipFraction of its samples.
func (l Limits) clipping(lead ecg.Lead, fs float64) []ecg.Finding {
	x := lead.Samples
	if len(x) == 0 {
		return nil
	}
	lo, hi := x[0], x[0]
	for _, v := range x {
		lo, hi = min(lo, v), max(hi, v)
	}
	if hi-lo < l.FlatPeakToPeak {
		return nil // flat, reported as such
	}
	minRun := max(2, int(l.ClipRun.Seconds()*fs))
	var out []ecg.Finding
	for _, rail := range []float64{hi, lo} {
		total, first, last := 0, -1, -1
		for i := 0; i < len(x); {
			if x[i] != rail {
				i++
				continue
			}
			j := i
			for j < len(x) && x[j] == rail {
				j++
			}
			if j-i >= minRun {
				total += j - i
				if first < 0 {
					first = i
				}
				last = j
			}
			i = j
		}
		if f := float64(total) / float64(len(x)); total > 0 && f >= l.ClipFraction {
			out = append(out, ecg.Finding{Code: ecg.FindingSaturation, Lead: lead.Name, Start: at(first, fs), End: at(last, fs),
				Metric: "fraction of samples at the rail", Value: f, Limit: l.ClipFraction,
				Text: fmt.Sprintf("clipped at %.0f µV", rail)})
		}
	}
	return out
}

// spectral checks each segment of a lead for mains, muscle noise and
// baseline wander.
// spectral checks each segment's spectrum; plans caches a spectrum plan by
// segment length across the leads of one record.
func (l Limits) spectral(lead ecg.Lead, fs float64, plans map[int]*spectrumPlan) []ecg.Finding {
	x := lead.Samples
	seg := max(1, int(l.Segment.Seconds()*fs))
	var out []ecg.Finding
	for s := 0; s < len(x); s += seg {
		e := min(len(x), s+seg)
		if e-s < int(2*fs) {
			break // too short for 0.5 Hz resolution
		}
		p := plans[e-s]
		if p == nil {
			p = newPlan(e - s)
			plans[e-s] = p
		}
		m := metrics(p.power(x[s:e], fs))
		if m.Signal <= 0 {
			continue
		}
		add := func(code, text string, v, limit float64) {
			if v > limit {
				out = append(out, ecg.Finding{Code: code, Lead: lead.Name, Start: at(s, fs), End: at(e, fs),
					Metric: "power ratio to 0.5–40 Hz", Value: v, Limit: limit, Text: text})
			}
		}
		add(ecg.FindingMains, fmt.Sprintf("mains interference at %.0f Hz", m.MainsHz), m.Mains, l.MainsRatio)
		add(ecg.FindingMuscle, "high-frequency (muscle) noise above 40 Hz", m.Muscle, l.MuscleRatio)
		add(ecg.FindingWander, "baseline wander below 0.5 Hz", m.Wander, l.WanderRatio)
	}
	return out
}

// SpectralMetrics are the spectral quality ratios of one segment, each a
// power over the 0.5–40 Hz ECG band power (Signal).
type SpectralMetrics struct {
	Signal  float64
	Mains   float64 // ±0.5 Hz of 50 or 60 Hz, the larger
	MainsHz float64
	Muscle  float64 // above 40 Hz, mains bands excluded
	Wander  float64 // below 0.5 Hz
}

// Spectrum computes the spectral metrics of a segment.
func Spectrum(x []float64, fs float64) SpectralMetrics {
	if len(x) == 0 {
		return SpectralMetrics{}
	}
	return metrics(powerSpectrum(x, fs))
}

func metrics(p []float64, df float64) SpectralMetrics {
	fs := df * float64(2*(len(p)-1))
	var m SpectralMetrics
	m.Signal = bandPower(p, df, 0.5, 40)
	if m.Signal <= 0 {
		return m
	}
	nyq := fs / 2
	var mainsAll float64
	for _, f0 := range []float64{50, 60} {
		var b float64
		for h := f0; h < nyq; h += f0 {
			b += bandPower(p, df, h-0.5, h+0.5)
		}
		mainsAll += b
		if r := bandPower(p, df, f0-0.5, f0+0.5) / m.Signal; r > m.Mains && f0 < nyq {
			m.Mains, m.MainsHz = r, f0
		}
	}
	m.Muscle = max(0, bandPower(p, df, 40, nyq+df)-mainsAll) / m.Signal
	m.Wander = bandPower(p, df, 0, 0.5) / m.Signal
	return m
}
