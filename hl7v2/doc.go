// Package hl7v2 parses and encodes HL7 version 2 messages in the ER7 (pipe
// and hat) encoding, versions 2.1 to 2.8, and knows enough of their meaning
// to read segments, data types, message structures and to build ACKs.
//
// The package knows nothing of FHIR; package adapters maps its types.
//
// # Syntax apart from meaning
//
// Like encoding/json/jsontext beside encoding/json, the syntax layer
// ([Parse], [Decoder], [Message], [Segment], [Field], [Value]) keeps every
// message exactly as received: raw field text with its escapes, the
// delimiters read from each message's MSH-1 and MSH-2 (including the v2.7
// truncation character), each segment's own terminator, and a leading UTF-8
// byte order mark. Encoding a parsed message therefore gives back the parsed
// bytes exactly; there is no normalisation, and the test over the shared
// corpus (LF-terminated files, some with a BOM, some without a final
// terminator) asserts byte equality. The only things not preserved are
// blank or whitespace-only lines before the first MSH of a stream, which a
// Decoder skips. Lines holding only blanks between segments are kept as part
// of the preceding segment's terminator.
//
// Meaning sits above: [Field.String] and [Value.String] unescape (\F\ \S\
// \T\ \R\ \E\ \P\ \Xhh\); formatting escapes (\H\ \N\ \.br\ ...) stay in
// the text and [FormatText] splits them out; the generated segment types
// ([PID], [OBX], ... 27 of them, from segments.tsv) name every field as in
// v2.5.1 and return typed data types ([CX], [XPN], [XAD], [XTN], [CWE],
// [HD], [EI], [XCN], [PL], [CQ], [SN], [XON]); [ParseDateTime] reads
// DTM/TS with its precision, in +08:00 when the value has no offset;
// [Structure] groups segments by message structure (ORU_R01
// ORDER_OBSERVATION, OBSERVATION, ...); [NewACK] builds acknowledgments.
//
// # Usage
//
//	dec := hl7v2.DecodeOptions{DefaultCharset: "GBK"}.NewDecoder(r)
//	for {
//		m, err := dec.Decode()
//		if err == io.EOF {
//			break
//		}
//		var se *hl7v2.SyntaxError
//		if errors.As(err, &se) { /* reject; se.Location() feeds ERR-2 */ }
//		pid := hl7v2.PID{Segment: m.Segment("PID")}
//		for _, id := range pid.PatientIdentifierList() { _ = id.IDNumber }
//	}
//
// # Character sets
//
// Text inside the package is UTF-8. Bytes are decoded to Unicode before any
// delimiter is split, because GBK and GB18030 trail bytes collide with the
// delimiters (珅 is AB 7C, '|'; 乗 is 81 5C, '\'; 區 is 85 5E, '^'). The
// charset comes from, in order: [DecodeOptions].Charset (a per-sender
// lookup keyed on MSH-3/MSH-4, which can override an MSH-18 that lies), then
// MSH-18 when it names a supported set (ASCII, 8859/1, 8859/15, UNICODE
// UTF-8, UNICODE — taken as UTF-8 —, GB 18030-2000, GB18030, GBK, GB2312,
// BIG-5), then DefaultCharset, then UTF-8. MSH-18 itself is found in the raw
// bytes of MSH: byte by byte when the MSH is valid UTF-8, else (or when the
// default is a GB set and the plain scan finds nothing) with a scan that
// skips the byte after every GB lead byte, so that a GBK facility name in
// MSH-3..MSH-17 cannot hide a false '|'. [Message.Encode] converts back to
// the message's charset, so an ACK built by [NewACK] reaches the sender in
// its own encoding. UTF-16 and UTF-32 are not supported.
//
// # Limits
//
// Input is untrusted: [DecodeOptions] caps a message's bytes
// (DefaultMaxMessageSize, 16 MiB) and segments (DefaultMaxSegments);
// a Decoder never buffers more than one message.
//
// # Concurrency
//
// Parsing is pure: any number of goroutines may call Parse or run their own
// Decoder. A Decoder is not safe for concurrent use. A Message is safe for
// concurrent reads; SetField and Add are not synchronised.
//
// # Specification coverage
//
// HL7 v2.5.1 chapter 2: §2.5 message construction (delimiters, segment
// terminator — CR, with LF and CRLF accepted), §2.7 escape sequences
// (delimiter, hexadecimal, formatting; \P\ from v2.7), §2.10 batch protocol
// (FHS, BHS, BTS, FTS, read by [Decoder]), §2.9 and §2.14 acknowledgments
// (original and enhanced mode, MSA, ERR with ERR-1 for v2.3/v2.4 receivers),
// §2.A data types listed above; HL7 table 0211 character sets. MLLP
// (appendix C) is in package mllp.
package hl7v2
