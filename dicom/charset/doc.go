// Package charset maps DICOM Specific Character Set (0008,0005) defined
// terms to codecs and decodes and encodes text values with them (PS3.5
// §6.1, PS3.3 C.12.1.1.2).
//
// # Usage
//
// Resolve the element's values (split on "\": the element itself is ASCII)
// with [Parse], then decode whole values with [Set.Decode] or
// [Set.DecodePN], and only then split them on "\" (values), "=" (PN groups)
// and "^" (PN components). In GB18030 and GBK the second byte of 116 Chinese
// characters is 0x5C: 璡 is AD 5C, so splitting bytes first turns 张^璡 into
// two values. The same holds for encoding: [Set.Encode] takes the joined
// text.
//
// Supported terms: ISO_IR 6 (default), ISO_IR 100, 101, 109, 110, 144, 127,
// 126, 138, 148, 203, 166 and 13; ISO_IR 192 (UTF-8); GB18030; GBK; and with
// code extensions (ISO 2022) IR 6, the ISO 8859 parts, IR 13 (JIS X 0201),
// IR 87 (JIS X 0208), IR 159 (JIS X 0212), IR 149 (KS X 1001) and IR 58
// (GB 2312, "ESC $ ) A"). With code extensions designations reset to the
// initial ones at each "\", control character and, in PN, "^" and "=".
//
// Decoding never fails: bytes invalid in the set become U+FFFD. Encoding
// text a set cannot represent returns an error wrapping [ErrNotEncodable].
//
// # Concurrency
//
// A [Set] is immutable and safe for concurrent use.
//
// # Spec sections
//
// PS3.5 §6.1.2.4 (code extension techniques), §6.1.2.5 (use of character
// sets), Annexes H (Japanese), I (Korean), J (UTF-8, GB18030, GBK) and K
// (Chinese GB 2312 with code extensions); PS3.3 Tables C.12-2 to C.12-5.
package charset
