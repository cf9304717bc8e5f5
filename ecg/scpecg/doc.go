// Package scpecg reads SCP-ECG files (EN 1064:2005+A1, the Standard
// Communications Protocol for computer-assisted electrocardiography) into
// the ecg model.
//
// [Decode] takes the whole file (SCP-ECG locates sections by offset);
// [Read] reads it from an io.Reader, capped at [MaxSize]. Corrupt or
// unsupported input gives an error ("scpecg: section 6: ..."), never a
// panic.
//
// # Specification coverage
//
//   - Record: CRC-CCITT (poly 0x1021, initial 0xFFFF) of the whole record
//     and of every section header and body is checked; a mismatch wraps
//     [ErrCRC].
//   - Section 0: pointers to sections 0–11 and any others.
//   - Section 1: patient and acquisition tags: names (0, 1, 3), patient id
//     (2), age (4), birth date (5), height (6), weight (7), sex (8),
//     acquiring device (14: manufacturer code, model, serial number,
//     software, manufacturer name), institution (16), acquisition date and
//     time (25, 26), time zone (34). Text is decoded by the language
//     support code of tag 14: GB 2312 (0x27) as GB18030, the ISO 8859
//     parts, JIS (EUC-JP) and KS C 5601; ASCII, ISO 8859-1 and ISO 10646
//     text is UTF-8 when valid, else ISO 8859-1.
//   - Section 2: Huffman tables, the default table (19999) and custom
//     tables with table switching. Custom-table base codes are read with the
//     first transmitted bit in the least significant position; no real file
//     with custom tables was available to confirm this.
//   - Section 3: lead definitions (lead codes of EN 1064 table 1, which are
//     the MDC lead numbers), the reference-beat-subtraction flag.
//   - Section 4: reference beat length and fiducial, QRS locations (type,
//     start, fiducial, end) and protected areas.
//   - Section 5: reference (median) beats, section 6: rhythm; amplitude
//     value multiplier (nV), sample interval, first and second difference
//     encoding, reference beat subtraction (the reference beat is added back
//     over each type-0 QRS zone aligned on the fiducial point), bimodal
//     compression (full rate in protected areas, decimated and linearly
//     interpolated elsewhere). Reference-beat subtraction and bimodal
//     compression are tested only with records built byte by byte
//     (synthetic_test.go): no real file using them was available, so the
//     placement of the decimated samples (every f-th sample from the start
//     and again from the end of each protected area) is this reader's
//     reading of §5.7.3, not confirmed against a cart.
//   - Section 7: global measurements of reference beat type 0 (P, PR,
//     QRS, QT from the onsets and offsets; P, QRS and T axes), mean RR and
//     PP, ventricular and atrial rate, QTc with its formula (Bazett, Hodges).
//     29999, 29998 and 19999 mean "no value".
//   - Section 8: interpretive statements.
//   - Sections 9–11 (manufacturer-specific, lead measurements, universal
//     statement codes) are located and CRC-checked but not decoded.
//   - Rhythm data at a lower rate than the reference beat without bimodal
//     compression ("high compression" decimation) is not supported.
package scpecg
