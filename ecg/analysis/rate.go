package analysis

import "math"

// RRIntervals returns the intervals between successive beats in
// milliseconds.
func RRIntervals(beats []int, fs float64) []float64 {
	if len(beats) < 2 || fs <= 0 {
		return nil
	}
	rr := make([]float64, len(beats)-1)
	for i := 1; i < len(beats); i++ {
		rr[i-1] = float64(beats[i]-beats[i-1]) * 1000 / fs
	}
	return rr
}

// HeartRate returns the mean heart rate in beats per minute: 60000 over the
// mean RR interval. It returns 0 with fewer than two beats.
func HeartRate(beats []int, fs float64) float64 {
	rr := RRIntervals(beats, fs)
	if len(rr) == 0 {
		return 0
	}
	var s float64
	for _, v := range rr {
		s += v
	}
	return 60000 / (s / float64(len(rr)))
}

// Match is a beat-by-beat comparison of detections against reference
// annotations (ANSI/AAMI EC57 §4.2: sensitivity TP/(TP+FN), positive
// predictivity TP/(TP+FP)).
type Match struct {
	TP, FN, FP int
}

// Sensitivity is TP/(TP+FN); NaN with no reference beats.
func (m Match) Sensitivity() float64 { return ratio(m.TP, m.TP+m.FN) }

// PositivePredictivity is TP/(TP+FP); NaN with no detections.
func (m Match) PositivePredictivity() float64 { return ratio(m.TP, m.TP+m.FP) }

func ratio(a, b int) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

// Compare matches detections to reference beats (both sorted sample
// indexes): each reference beat matches the nearest unmatched detection
// within window samples.
func Compare(ref, test []int, window int) Match {
	var m Match
	used := make([]bool, len(test))
	j := 0
	for _, r := range ref {
		for j < len(test) && test[j] < r-window {
			j++
		}
		best := -1
		for k := j; k < len(test) && test[k] <= r+window; k++ {
			if used[k] {
				continue
			}
			if best < 0 || abs(test[k]-r) < abs(test[best]-r) {
				best = k
			}
		}
		if best < 0 {
			m.FN++
			continue
		}
		used[best] = true
		m.TP++
	}
	for _, u := range used {
		if !u {
			m.FP++
		}
	}
	return m
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
