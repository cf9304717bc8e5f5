package ecg

import (
	"math"
	"time"
)

// Record is one electrocardiogram: the rhythm leads, an optional median
// (representative) beat, who it belongs to, what recorded it, what is
// annotated in it and what the device measured.
type Record struct {
	// Format is the format the record was decoded from.
	Format Format

	// SampleRate is the rhythm sample rate in hertz.
	SampleRate float64
	// Start is the acquisition start time; zero when the file has none.
	// Times without a zone are returned in UTC+08:00 (the project default).
	Start time.Time
	// Leads are the rhythm leads, all sampled at SampleRate.
	Leads []Lead

	// MedianSampleRate is the sample rate of Median, in hertz.
	MedianSampleRate float64
	// Median holds the representative (median or average) beat per lead when
	// the file carries one (SCP-ECG section 5, DICOM derived waveforms,
	// aECG derived series).
	Median []Lead

	Patient Patient
	Device  Device

	// Beats are beat annotations (QRS positions with a type).
	Beats []Beat
	// Intervals are annotated spans: waves (P, QRS, T) and rhythms.
	Intervals []Interval
	// Annotations are other point annotations (rhythm changes, notes,
	// signal quality).
	Annotations []Annotation

	// Measurements are the measurements found in the file (device or
	// overreader); ecg/analysis adds its own with Source "analysis".
	Measurements []Measurement
	// Statements are diagnostic interpretation statements as found.
	Statements []string
}

// Lead is one channel of samples.
type Lead struct {
	// Name is the conventional lead name: I, II, III, aVR, aVL, aVF,
	// V1–V6, V7–V9, V3R–V9R, X, Y, Z, ... (see [LeadFromCode]); a name the
	// file used that has no standard equivalent is kept as found.
	Name string
	// Samples are microvolts.
	Samples []float64
}

// Duration is the rhythm length: the longest lead divided by the sample rate.
func (r *Record) Duration() time.Duration {
	if r.SampleRate <= 0 {
		return 0
	}
	n := 0
	for _, l := range r.Leads {
		n = max(n, len(l.Samples))
	}
	return time.Duration(math.Round(float64(n) / r.SampleRate * float64(time.Second)))
}

// Lead returns the rhythm lead with the given name, or nil.
func (r *Record) Lead(name string) *Lead {
	for i := range r.Leads {
		if r.Leads[i].Name == name {
			return &r.Leads[i]
		}
	}
	return nil
}

// Measurement returns the first measurement with the given name.
func (r *Record) Measurement(name MeasurementName) (Measurement, bool) {
	for _, m := range r.Measurements {
		if m.Name == name {
			return m, true
		}
	}
	return Measurement{}, false
}

// Sex is administrative sex as recorded by the cart.
type Sex int

// Sex values.
const (
	SexUnknown Sex = iota
	SexMale
	SexFemale
	SexUnspecified
)

func (s Sex) String() string {
	switch s {
	case SexMale:
		return "male"
	case SexFemale:
		return "female"
	case SexUnspecified:
		return "unspecified"
	}
	return "unknown"
}

// Patient is the demographics as found in the file; absent fields are zero.
type Patient struct {
	ID         string
	FamilyName string
	GivenName  string
	// Name is the whole name as found when the format does not split it.
	Name      string
	Sex       Sex
	BirthDate time.Time
	// Age is the age as stated by the file (not computed), with its unit.
	Age Quantity
	// HeightCM and WeightKG are zero when absent.
	HeightCM float64
	WeightKG float64
}

// Device identifies the acquiring device.
type Device struct {
	Manufacturer string
	Model        string
	Serial       string
	Software     string
	Institution  string
}

// Quantity is a value with a unit (UCUM where the format says so).
type Quantity struct {
	Value float64
	Unit  string
}

// Beat is one annotated beat.
type Beat struct {
	// Sample is the index of the fiducial point at the record's SampleRate.
	Sample int
	// Time is the fiducial point's offset from the start.
	Time time.Duration
	// Type is the beat class as an MIT/AAMI code: N, L, R, e, j, A, a, J,
	// S, V, E, F, P (paced), f, Q, and "" when the file gives none.
	Type string
	// Code is the beat type as found in the file (MIT code, SCP-ECG beat
	// type number, MDC code).
	Code string
	// Channel is the annotated channel, -1 for all.
	Channel int
}

// Interval is an annotated span.
type Interval struct {
	// Kind is what the span is: "P", "QRS", "T", or a rhythm code.
	Kind string
	// Code is the code as found (e.g. MDC_ECG_WAVC_PWAVE).
	Code  string
	Start time.Duration
	// End equals Start when the file gave only one boundary; HasStart and
	// HasEnd tell which.
	End      time.Duration
	HasStart bool
	HasEnd   bool
	// Lead is the lead the span belongs to, "" for all leads.
	Lead string
}

// Annotation is any other annotation at a point in time.
type Annotation struct {
	Sample int
	Time   time.Duration
	// Code is the annotation code as found (MIT mnemonic, MDC code).
	Code string
	// Text is free text (MIT aux string, rhythm name).
	Text    string
	Channel int
}

// MeasurementName names a global measurement.
type MeasurementName string

// Global measurements. Durations are in ms, rates in /min, axes in degrees.
const (
	HeartRate       MeasurementName = "HR"
	VentricularRate MeasurementName = "VentricularRate"
	AtrialRate      MeasurementName = "AtrialRate"
	RRInterval      MeasurementName = "RR"
	PPInterval      MeasurementName = "PP"
	PDuration       MeasurementName = "P"
	PRInterval      MeasurementName = "PR"
	QRSDuration     MeasurementName = "QRS"
	QTInterval      MeasurementName = "QT"
	QTc             MeasurementName = "QTc"
	PAxis           MeasurementName = "PAxis"
	QRSAxis         MeasurementName = "QRSAxis"
	TAxis           MeasurementName = "TAxis"
	POnset          MeasurementName = "POnset"
	POffset         MeasurementName = "POffset"
	QRSOnset        MeasurementName = "QRSOnset"
	QRSOffset       MeasurementName = "QRSOffset"
	TOffset         MeasurementName = "TOffset"
)

// QTc formulas, recorded by name in [Measurement.Method].
const (
	Bazett      = "Bazett"
	Fridericia  = "Fridericia"
	Hodges      = "Hodges"
	Framingham  = "Framingham"
	UnknownQTcF = "unknown"
)

// Measurement is one global measurement.
type Measurement struct {
	Name  MeasurementName
	Value float64
	// Unit is a UCUM unit: "ms", "/min", "deg".
	Unit string
	// Method is how it was obtained; for QTc the formula (Bazett,
	// Fridericia, Hodges, Framingham) when known.
	Method string
	// Code is the code the file used, when it coded the measurement.
	Code string
	// Source is "device" for values found in a file, "analysis" for values
	// computed by ecg/analysis.
	Source string
}
