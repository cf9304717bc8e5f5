// Package wfdb reads PhysioNet WFDB records into the ecg model: the header
// (.hea), signal files in formats 212, 16, 61, 80 and 8, and annotation files
// in MIT format (.atr and other annotators).
//
// A WFDB record is several files, so the entry point is [ReadRecord] over an
// [io/fs.FS]; [ParseHeader], [DecodeSignals] and [ReadAnnotations] work on
// bytes. Every reader caps its input ([MaxHeaderSize], [MaxSignalSize],
// [MaxAnnotationSize]) and returns an error, never panics, on corrupt input.
//
// # Specification
//
// Covered from the WFDB Programmer's Guide and the header(5), signal(5) and
// annot(5) manual pages:
//   - header(5): the record line (name, number of signals, sampling and
//     counter frequency, number of samples, base time and date), signal
//     lines (file, format, samples per frame, skew, byte offset, ADC gain,
//     baseline, units, resolution, zero, initial value, checksum, block size,
//     description) and "#" info lines. Multi-segment records are not
//     supported.
//   - signal(5): formats 8 (first differences), 16 (16-bit LE), 61 (16-bit
//     BE), 80 (8-bit offset binary) and 212 (12-bit pairs in 3 bytes).
//     Samples per frame greater than one and skew are not supported.
//   - annot(5): MIT format: 16-bit words of a 6-bit code and a 10-bit time
//     increment, with SKIP, NUM, SUB, CHN and AUX pseudo-annotations.
//     Beat codes are those of ecgcodes.h; [IsBeat] follows the WFDB isqrs
//     table, which is also the set counted by ANSI/AAMI EC57.
package wfdb
