// Package ecg is the format-neutral electrocardiogram model of yigong: a
// [Record] holds the leads (samples in microvolts), the sample rate, the start
// time, patient demographics and device identity as found in the file, beat
// and interval annotations, and the measurements the device reported.
//
// The package knows nothing of FHIR; adapters/ecg translates a Record into
// FHIR resources. Readers of cart formats live in subpackages, each decoding
// one format into a Record:
//
//   - ecg/scpecg: SCP-ECG (EN 1064)
//   - ecg/aecg: HL7 annotated ECG (FDA XML)
//   - ecg/dicomwave: DICOM waveform IODs (12-lead, general, ambulatory ECG)
//   - ecg/wfdb: PhysioNet WFDB records and MIT annotation files
//   - ecg/muse: GE MUSE resting ECG XML
//   - ecg/ishne: ISHNE Holter
//   - ecg/mfer: MFER (ISO 22077-1)
//
// Package ecg/render draws a record as a printable tracing (SVG, PNG, PDF).
//
// Analysis (QRS detection, RR, heart rate, intervals, axes, critical
// findings) lives in ecg/analysis, signal-quality and electrode-reversal
// checks in ecg/quality; both report problems as [Finding] values with
// their evidence. ecg/aecg and ecg/dicomwave also write (Marshal).
//
// # Samples
//
// Samples are float64 microvolts. Every cart format stores integers times a
// scale (2.5 µV, 5 µV, 1/gain mV): a float64 holds each such product exactly
// or to within one ulp, so records decoded from different formats compare
// equal, analysis works on them directly, and no format's scale (nanovolts or
// fractions of them) has to be forced into an integer unit. The cost is 8
// bytes a sample: 480 KB for a 10 s 12-lead record at 500 Hz.
//
// # Detecting the format
//
// [Sniff] names the format of a file from its first bytes. [Decode] sniffs
// and hands the bytes to the reader a caller supplies for that format; this
// package cannot import the readers (they import it), so the set of readers
// is passed in, as yigong passes every registry down. Package ecg/formats
// assembles the built-in set.
//
// # Concurrency
//
// A Record is plain data; it is safe for concurrent reads once decoded.
package ecg
