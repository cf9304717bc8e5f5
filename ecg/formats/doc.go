// Package formats assembles the built-in ECG readers for [ecg.Decode]:
// SCP-ECG, HL7 aECG, DICOM waveform, GE MUSE XML, Philips Sierra XML (1.03,
// 1.04, 1.04.01, XLI-compressed or not), ISHNE Holter and MFER. WFDB is
// not in the set: a WFDB record is several files, read with
// wfdb.ReadRecord.
package formats
