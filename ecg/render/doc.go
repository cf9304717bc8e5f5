// Package render draws an [ecg.Record] as a printable tracing: SVG, PNG or
// a one-page PDF, written with the Go standard library only.
//
// # Usage
//
//	rep := analysis.Measure(rec)
//	opts := render.Options{
//		Layout:       render.Layout3x4,
//		Measurements: rep.Measurements,
//		Findings:     append(analysis.Critical(rec, rep), quality.Check(rec, rep)...),
//		Mask:         true,
//	}
//	err := render.PNG(w, rec, opts)
//
// The three backends draw the same page, laid out once in millimetres
// (A4 landscape, 297 × 210 mm): a header with the patient, the acquisition
// time and device, the measurements and the findings; the grid; the
// calibration pulses, lead labels and traces; a footer with speed and gain.
//
// # The tracing
//
// The grid and scales are those of a paper electrocardiograph (the
// speeds and sensitivities IEC 60601-2-25:2011 requires, and the AHA
// recommendations for the standardization of the ECG, Kligfield et al.,
// Circulation 115, 2007):
//
//   - 1 mm minor and 5 mm major lines, pink and red;
//   - paper speed 25 mm/s (or 50 mm/s), gain 10 mm/mV (or 5 or 20 mm/mV);
//   - a 1 mV calibration pulse, 0.2 s wide, at the start of every row;
//   - layouts 3×4 (I, II, III | aVR, aVL, aVF | V1–V3 | V4–V6, each column
//     a quarter of the time span) and 6×2 (limb leads then precordial
//     leads, each half), both with a rhythm strip of lead II over the
//     whole span, and 12×1 (every lead over the whole span).
//
// The span is 10 s at 25 mm/s and 5 s at 50 mm/s (what fits on the page),
// from the start of the record. A record without the standard leads (a
// Holter or MIT-BIH record) is drawn one row per lead, in file order, up to
// 12 rows.
//
// # Identity masking
//
// With [Options.Mask] the header shows masked identity: [MaskName] keeps
// the family name's first character (王小东 → 王**), [MaskResidentID] the
// first 6 and last 4 digits of a GB 11643 resident ID
// (110101199003078515 → 110101********8515), [MaskPhone] the first 3 and
// last 4 digits of a mobile number (13812345678 → 138****5678). The helpers
// are exported for other outputs that show identity.
//
// # Text and fonts
//
// SVG text is UTF-8, so Chinese names and institutions appear as found. The
// PDF writes Latin text in the standard Type 1 font Helvetica (PDF 1.4
// §5.5.1, the base-14 fonts every reader has) with WinAnsiEncoding, and
// any line with other characters (Chinese) in [Options.Font]: a TrueType
// font embedded as a subset (a Type0 font over a CIDFontType2 with
// Identity-H encoding, only the glyphs used kept, and a ToUnicode map so
// that the text can be searched and extracted). The PNG draws Latin text
// with a built-in 5×7 bitmap font and such lines with the same font's
// outlines, rasterised here (quadratic contours, non-zero winding,
// anti-aliased). [FindFont] loads the font from [FontPaths], where the
// Debian package fonts-wqy-microhei installs it
// (/usr/share/fonts/truetype/wqy/wqy-microhei.ttc); fonts with CFF
// outlines (Noto CJK) are refused. Without a font, characters outside
// WinAnsi are replaced by "?" and the page carries a note that the SVG has
// the full text; callers with a transliteration (the pinyin group of a
// DICOM person name) pass it in [Header.NameLatin], used then instead.
//
// # Concurrency
//
// The functions are pure: they read the record and write to w.
package render
