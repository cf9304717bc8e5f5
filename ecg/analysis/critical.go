package analysis

import (
	"fmt"
	"math"
	"time"

	"yigong/ecg"
)

// Critical-finding limits (the alert values of the diagnosis queue).
const (
	CriticalHRLow   = 40  // /min
	CriticalHRHigh  = 150 // /min
	CriticalQTc     = 500 // ms, Fridericia
	WideQRS         = 120 // ms
	WCTRate         = 100 // /min
	WCTMinBeats     = 3
	criticalQTcForm = ecg.Fridericia
)

// Critical returns the findings of a record that go to the urgent
// diagnosis queue, each with its evidence:
//
//   - bradycardia (mean HR < 40 /min) and tachycardia (> 150 /min), over
//     the span of the detected beats;
//   - a long QTc (> 500 ms by Fridericia, the correction recommended over
//     Bazett's at high and low rates: Rautaharju et al., AHA/ACCF/HRS
//     recommendations part IV, Circulation 119, 2009; the 500 ms alert
//     value of Drew et al., AHA scientific statement on QT monitoring,
//     Circulation 121, 2010); the other formulas' values are in the text;
//   - runs of wide-complex tachycardia: at least 3 consecutive beats whose
//     QRS, measured beat by beat on the spatial velocity of all leads, is
//     at least 120 ms wide and whose RR interval before or after is under
//     600 ms (rate > 100 /min).
//
// r is the record's [Measure] report.
func Critical(rec *ecg.Record, r Report) []ecg.Finding {
	if rec == nil || rec.SampleRate <= 0 || len(r.Beats) < 2 {
		return nil
	}
	fs := rec.SampleRate
	at := func(i int) time.Duration { return time.Duration(math.Round(float64(i) / fs * float64(time.Second))) }
	lead := "II"
	if rec.Lead("II") == nil && len(rec.Leads) > 0 {
		lead = rec.Leads[0].Name
	}
	first, last := r.Beats[0], r.Beats[len(r.Beats)-1]
	var out []ecg.Finding
	if r.HR > 0 && r.HR < CriticalHRLow {
		out = append(out, ecg.Finding{Code: ecg.FindingBradycardia, Critical: true, Lead: lead, Start: at(first), End: at(last),
			Metric: "heart rate /min", Value: math.Round(r.HR), Limit: CriticalHRLow, Text: fmt.Sprintf("heart rate %.0f /min over %d beats", r.HR, len(r.Beats))})
	}
	if r.HR > CriticalHRHigh {
		out = append(out, ecg.Finding{Code: ecg.FindingTachycardia, Critical: true, Lead: lead, Start: at(first), End: at(last),
			Metric: "heart rate /min", Value: math.Round(r.HR), Limit: CriticalHRHigh, Text: fmt.Sprintf("heart rate %.0f /min over %d beats", r.HR, len(r.Beats))})
	}
	qtc := map[string]float64{}
	for _, m := range r.Measurements {
		if m.Name == ecg.QTc {
			qtc[m.Method] = m.Value
		}
	}
	if v, ok := qtc[criticalQTcForm]; ok && v > CriticalQTc {
		out = append(out, ecg.Finding{Code: ecg.FindingLongQTc, Critical: true, Lead: "median beat", Metric: "QTc " + criticalQTcForm + " ms", Value: v, Limit: CriticalQTc,
			Text: fmt.Sprintf("QTc %.0f ms (Fridericia); Bazett %.0f, Hodges %.0f, Framingham %.0f", v, qtc[ecg.Bazett], qtc[ecg.Hodges], qtc[ecg.Framingham])})
	}
	out = append(out, wideComplexRuns(rec, r.Beats, lead)...)
	return out
}

// wideComplexRuns finds runs of at least WCTMinBeats beats that are wide
// and fast.
func wideComplexRuns(rec *ecg.Record, beats []int, lead string) []ecg.Finding {
	fs := rec.SampleRate
	widths := BeatQRSWidths(rec.Leads, fs, beats)
	var out []ecg.Finding
	runStart := -1
	flush := func(end int) { // beats[runStart:end] form the run
		if runStart >= 0 && end-runStart >= WCTMinBeats {
			var wsum float64
			for _, w := range widths[runStart:end] {
				wsum += w
			}
			rate := 60 * fs * float64(end-1-runStart) / float64(beats[end-1]-beats[runStart])
			at := func(i int) time.Duration { return time.Duration(math.Round(float64(i) / fs * float64(time.Second))) }
			out = append(out, ecg.Finding{Code: ecg.FindingWCT, Critical: true, Lead: lead, Start: at(beats[runStart]), End: at(beats[end-1]),
				Metric: "mean QRS width ms", Value: math.Round(wsum / float64(end-runStart)), Limit: WideQRS,
				Text: fmt.Sprintf("run of %d wide complexes (QRS ≥ %d ms) at %.0f /min", end-runStart, WideQRS, rate)})
		}
		runStart = -1
	}
	fast := func(i, j int) bool {
		return i >= 0 && j < len(beats) && float64(beats[j]-beats[i])*1000/fs < 60000/WCTRate
	}
	for i := 1; i < len(beats); i++ {
		// A beat is fast when the RR interval before or after it is.
		if widths[i] >= WideQRS && (fast(i-1, i) || fast(i, i+1)) {
			if runStart < 0 {
				runStart = i
			}
			continue
		}
		flush(i)
	}
	flush(len(beats))
	return out
}

// BeatQRSWidths returns the QRS duration in ms of each beat, measured on
// the spatial velocity of all leads (40 Hz low-passed) with the threshold
// of [Delineate], the floor taken over the 250 ms before and 400 ms after
// the beat; 0 for beats too near the ends.
func BeatQRSWidths(leads []ecg.Lead, fs float64, beats []int) []float64 {
	out := make([]float64, len(beats))
	if len(leads) == 0 || fs <= 0 {
		return out
	}
	n := len(leads[0].Samples)
	for _, l := range leads {
		n = min(n, len(l.Samples))
	}
	lp := make([][]float64, len(leads))
	for i, l := range leads {
		lp[i] = Bandpass(l.Samples[:n], fs, 0, lowpassHz)
	}
	sv := spatialVelocity(lp)
	pre, post, near := msToSamples(250, fs), msToSamples(400, fs), msToSamples(60, fs)
	for k, b := range beats {
		if b-pre < 0 || b+post >= n {
			continue
		}
		pk := b - near
		for i := b - near; i <= b+near; i++ {
			if sv[i] > sv[pk] {
				pk = i
			}
		}
		floor := percentile(sv[b-pre:b+post], 0.25)
		thr := floor + qrsThreshold*(sv[pk]-floor)
		on, off := qrsBounds(sv, pk, thr, b-pre, b+post, msToSamples(qrsGapMS, fs))
		out[k] = float64(off-on) * 1000 / fs
	}
	return out
}
