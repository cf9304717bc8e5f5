// Package ishne reads ISHNE Holter ECG files (the standard output format
// for Holter ECG of the International Society for Holter and Noninvasive
// Electrocardiology: F. Badilini, "The ISHNE Holter Standard Output File
// Format", Annals of Noninvasive Electrocardiology 3(3), 1998) into the ecg
// model.
//
// [Decode] takes the whole file; [Read] reads it from an io.Reader, capped
// at [MaxSize]. Corrupt input gives an error ("ishne: ..."), never a
// panic. A decoded record takes 4 bytes of memory per byte of samples in
// the file (int16 → float64).
//
// # Specification coverage
//
//   - Magic number "ISHNE1.0" (bytes 0–7) and the checksum (bytes 8–9):
//     CRC-CCITT (polynomial 0x1021, initial value 0xFFFF, no final XOR)
//     over the fixed header and the variable-length block, bytes 10 to
//     522+varLen; a mismatch wraps [ErrCRC].
//   - The fixed 512-byte header (bytes 10–521), little-endian: variable
//     block size, samples per lead, block offsets, file version, first and
//     last name, ID, sex (1 male, 2 female), birth, recording and file
//     dates (day, month, year), start time (hour, minute, second), number
//     of leads (1–12), lead specifications (table 2: 5 = I … 16 = V6, bipolar
//     and Frank leads), lead quality (table 3), amplitude resolution per
//     lead in nanovolts, pacemaker code, recorder type, sampling rate.
//   - The variable-length block is skipped (it is free text by definition).
//   - ECG data: int16 little-endian samples interleaved by lead, from the
//     ECG block offset; samples become µV as value × resolution / 1000. A
//     file with fewer samples than declared gives the complete frames
//     present.
//   - Lead quality other than "unknown" or "good" is kept as an annotation
//     on the lead's channel (Code "ishne-lead-quality-n").
//   - Record date and start time have no time zone in ISHNE; they are read
//     in UTC+08:00, the project default.
//   - Annotation files (magic "ANN  1.0") are recognised and refused with
//     an error wrapping errors.ErrUnsupported.
//
// No real ISHNE file was available: the tests use files built byte by byte
// from the published description.
package ishne
