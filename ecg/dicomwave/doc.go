// Package dicomwave reads DICOM waveform objects — 12-lead ECG, General
// ECG and Ambulatory ECG (PS3.3 A.34) — into the ecg model.
//
// It carries its own minimal Part 10 parser, which knows only what it
// needs: the preamble and file meta group, implicit and explicit VR little
// endian and deflated explicit VR little endian, defined and undefined
// lengths, nested sequences (with a short table of the SQ tags needed when
// the VR is implicit). It will be rebased onto the project's dicom/
// package once that exists; until then it must not be used for anything
// but waveforms. Big endian and encapsulated data are rejected with
// errors.ErrUnsupported.
//
// # Specification coverage (PS3.3 C.10.9 Waveform Module)
//
//   - Waveform Sequence (5400,0100): every multiplex group ([Groups]);
//     [Decode] takes the first ORIGINAL group as the rhythm and the first
//     DERIVED group as the median beat.
//   - Number of channels and samples, Sampling Frequency, Multiplex Group
//     Label and Time Offset, Waveform Bits Allocated 8/16/32 with Sample
//     Interpretation SB, UB, MB (µ-law), AB (A-law), SS, US, SL, UL.
//   - Channel Definition Sequence: Channel Source Sequence (MDC "2:n" and
//     SCPECG "5.6.3-9-n" lead codes, else the code meaning, else the Channel
//     Label), Channel Sensitivity with its units (uV, mV, nV, V give µV),
//     Sensitivity Correction Factor and Channel Baseline: value =
//     sample × sensitivity × correction + baseline.
//   - Waveform Annotation Sequence (0040,B020): coded numeric measurements
//     (SCPECG scheme and LOINC codes, else the code meaning), unformatted
//     text as statements, coded concepts at Referenced Sample Positions as
//     annotations (marked "median beat:" when they reference another group).
//   - Patient (name, id, birth date, sex, age, size, weight), equipment
//     (manufacturer, model, serial, software, institution) and acquisition
//     date-time. Strings are UTF-8 when valid, else ISO 8859-1; Specific
//     Character Set is not yet honoured (GB18030 names need dicom/charset).
package dicomwave
