// Package formats assembles the built-in ECG readers for [ecg.Decode]:
// SCP-ECG, HL7 aECG, DICOM waveform, GE MUSE XML, ISHNE Holter and MFER.
// WFDB is not in the set: a WFDB record is several files, read with
// wfdb.ReadRecord. Philips Sierra XML is sniffed but has no reader yet.
package formats
