// Package mfer reads MFER files (Medical waveform Format Encoding Rules,
// ISO 22077-1:2015, and its ECG part ISO/TS 22077-2) into the ecg model.
//
// [Decode] takes the whole file; [Read] reads it from an io.Reader, capped
// at [MaxSize]. Corrupt or unsupported input gives an error ("mfer: ..."),
// never a panic.
//
// # Encoding (ISO 22077-1 §5)
//
// An MFER file is a sequence of tag–length–value items. The tag is one
// byte, except the channel attribute (tag 0x3F), whose tag byte is followed
// by the channel number in base-128 bytes (high bit set on all but the
// last). The length is one byte below 0x80; otherwise its low 7 bits give
// the number of big-endian length bytes that follow. The file ends at the
// end tag 0x80 or at the end of the data.
//
// # Coverage
//
//   - Preamble (0x40), byte order (0x01: 0 big-endian, the default;
//     1 little-endian), version (0x02), character code (0x03: UTF-8 or
//     ASCII/ISO 8859-1 assumed otherwise), zero padding (0x00).
//   - Frame: samples per block (0x04, default 1), channels (0x05, default
//     1), sequences (0x06, default: as many as the data holds), waveform
//     type (0x08), data type (0x0A: 0 int16, 1 uint16, 2 int32, 3 uint8,
//     4 16-bit status read as uint16, 5 int8, 6 uint32, 7 float32,
//     8 float64; the AHA difference codes 9 and 10 are refused with
//     errors.ErrUnsupported), sampling rate or interval (0x0B: unit 0 Hz,
//     1 s; signed exponent; mantissa in the file's byte order), resolution
//     (0x0C: unit 0 volt, signed exponent, mantissa), offset (0x0D, in
//     sample units, subtracted before scaling), null value (0x12; such
//     samples become 0 µV, and each run of them starts an annotation
//     "mfer-null", at most 10000). Non-finite float samples become 0 µV.
//   - Channel attributes (0x3F n): lead (0x09: a 1- or 2-byte lead code of
//     the MFER/MDC lead table, the same codes as SCP-ECG, or a name),
//     and per-channel samples per block, data type, resolution, offset and
//     null value. A channel sampled at a rate other than the frame's is
//     refused (the model has one rhythm rate).
//   - Waveform data (0x1E): blocks arranged sequence by sequence, in each
//     sequence channel by channel, each channel's block of samples; several
//     0x1E items are concatenated.
//   - Patient name (0x81), age (0x82: years, days, birth year, month,
//     day), patient ID (0x83), sex (0x84: 1 male, 2 female), measurement
//     time (0x85: year, month, day, hour, minute, second, ms, µs; read in
//     UTC+08:00), manufacturer (0x17: fields separated by "^"), comment
//     (0x16).
//   - Events (0x41), values (0x42), compression (0x0E), filters (0x11),
//     interpolation (0x0F) and other tags are skipped.
//
// No real MFER file was available: the tests use files built byte by
// byte from the published encoding rules, and tag numbers follow the
// MFER Part 1 tag table. Where the rules leave a reading open (the sign
// of the offset), the choice is stated above.
package mfer
