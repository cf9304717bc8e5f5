package ecg

import "time"

// Finding is a signal-quality problem or a critical finding, with the
// evidence that raised it: where (lead, time range), what was measured
// (Metric, Value) and the limit it crossed.
type Finding struct {
	// Code names the finding; see the Finding* constants.
	Code string
	// Critical marks findings for the urgent diagnosis queue (as opposed to
	// signal-quality problems).
	Critical bool
	// Lead is the lead concerned, "" for the whole record; several leads
	// are joined with "," (e.g. "I,aVR" for a reversal).
	Lead string
	// Start and End bound the evidence in the rhythm; both zero when the
	// finding concerns the median beat.
	Start, End time.Duration
	// Metric names what Value measures, with its unit ("ratio", "µV",
	// "/min", "ms", "correlation").
	Metric string
	Value  float64
	// Limit is the threshold Value crossed.
	Limit float64
	// Text is a short English explanation.
	Text string
}

// Finding codes.
const (
	FindingFlatLine        = "flat-line"       // lead off or no signal
	FindingSaturation      = "saturation"      // clipped at the amplifier's range
	FindingMains           = "mains"           // 50/60 Hz interference
	FindingMuscle          = "muscle-noise"    // high-frequency (EMG) noise
	FindingWander          = "baseline-wander" // low-frequency baseline drift
	FindingReversalLARA    = "reversal-LA-RA"
	FindingReversalLALL    = "reversal-LA-LL"
	FindingReversalRALL    = "reversal-RA-LL"
	FindingPrecordialOrder = "precordial-order"

	FindingBradycardia = "bradycardia" // HR < 40 /min
	FindingTachycardia = "tachycardia" // HR > 150 /min
	FindingLongQTc     = "long-qtc"    // QTc > 500 ms
	FindingWCT         = "wide-complex-tachycardia"
)
