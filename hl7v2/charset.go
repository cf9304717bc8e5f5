package hl7v2

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// Canonical character set names (HL7 table 0211, plus the GBK that Chinese
// senders write although the table lacks it).
const (
	CharsetASCII   = "ASCII"
	CharsetLatin1  = "8859/1"
	CharsetUTF8    = "UNICODE UTF-8"
	CharsetGB18030 = "GB 18030-2000"
	CharsetGBK     = "GBK"
	CharsetBig5    = "BIG-5"
)

// charsetInfo is one entry of the read-only charset table.
type charsetInfo struct {
	name string            // canonical name written back in MSH-18
	enc  encoding.Encoding // nil: bytes are used as UTF-8 text as they are
	gb   bool              // a GB multi-byte set whose trail bytes hit delimiters
}

// charsetFor maps an MSH-18 value (or a configured default) to a codec. The
// lookup ignores case, spaces, '-' and '_' so that "GB18030", "gb 18030-2000",
// "UTF-8" and "UNICODE UTF-8" all resolve.
func charsetFor(name string) (charsetInfo, bool) {
	key := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '_':
			return -1
		}
		if r >= 'a' && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, name)
	switch key {
	case "", "ASCII", "USASCII":
		// ASCII is decoded as UTF-8: a superset, and lenient with senders
		// that declare ASCII and send UTF-8.
		return charsetInfo{name: CharsetASCII}, true
	case "UNICODEUTF8", "UTF8", "UNICODE":
		// "UNICODE" (UCS-2 in old versions of table 0211) is what Chinese
		// senders write for UTF-8; real UCS-2 would not parse as MSH anyway.
		return charsetInfo{name: CharsetUTF8}, true
	case "8859/1", "ISO88591", "LATIN1":
		return charsetInfo{name: CharsetLatin1, enc: charmap.ISO8859_1}, true
	case "8859/15", "ISO885915":
		return charsetInfo{name: "8859/15", enc: charmap.ISO8859_15}, true
	case "GB180302000", "GB18030", "GB180302005":
		return charsetInfo{name: CharsetGB18030, enc: simplifiedchinese.GB18030, gb: true}, true
	case "GBK", "CP936", "GB2312", "GB23121980", "ISOIR58":
		// GB 2312 is a subset of GBK; decoding with GBK is safe.
		return charsetInfo{name: CharsetGBK, enc: simplifiedchinese.GBK, gb: true}, true
	case "BIG5":
		return charsetInfo{name: CharsetBig5, enc: traditionalchinese.Big5, gb: true}, true
	}
	return charsetInfo{}, false
}

// CanonicalCharset returns the canonical name for a charset name as found in
// MSH-18 or configuration, and whether it is supported.
func CanonicalCharset(name string) (string, bool) {
	ci, ok := charsetFor(name)
	return ci.name, ok
}

// decodeText converts b from charset ci to a UTF-8 string.
func decodeText(ci charsetInfo, b []byte) (string, error) {
	if ci.enc == nil {
		return string(b), nil
	}
	out, err := ci.enc.NewDecoder().Bytes(b)
	if err != nil {
		return "", fmt.Errorf("hl7v2: decode %s: %w", ci.name, err)
	}
	return string(out), nil
}

// encodeText converts UTF-8 s to charset ci, appending to dst.
func encodeText(dst []byte, ci charsetInfo, s string) ([]byte, error) {
	if ci.enc == nil {
		return append(dst, s...), nil
	}
	out, err := ci.enc.NewEncoder().Bytes([]byte(s))
	if err != nil {
		return dst, fmt.Errorf("hl7v2: encode %s: %w", ci.name, err)
	}
	return append(dst, out...), nil
}

// sniffHeader reads MSH-3, MSH-4 and MSH-18 (first component or
// repetition) from the raw bytes of an MSH segment, before any decoding.
// MSH-3..MSH-17 are ASCII in practice, but a facility name in GBK could hide
// a delimiter as a trail byte (珅 is AB 7C). Two scans exist: a plain one,
// byte by byte, which is right for ASCII and UTF-8 (whose multi-byte
// sequences never contain ASCII bytes), and a GB one, which skips the byte
// after any byte >= 0x81 (a GBK/GB18030/Big5 lead byte; GB18030 four-byte
// sequences are lead, digit, lead, digit, so the rule holds for them too).
// An MSH that is not valid UTF-8 gets the GB scan. A valid UTF-8 MSH gets the
// plain scan; when the configured default is a GB set and the plain scan
// finds no known charset, the GB scan is tried too (GBK bytes can happen to
// be valid UTF-8).
func sniffHeader(seg []byte, d Delimiters, gbDefault bool) (Sender, string) {
	if !utf8.Valid(seg) {
		return scanHeader(seg, d, true)
	}
	h, cs := scanHeader(seg, d, false)
	if _, ok := charsetFor(cs); gbDefault && (cs == "" || !ok) {
		if h2, cs2 := scanHeader(seg, d, true); cs2 != "" {
			if _, ok := charsetFor(cs2); ok {
				return h2, cs2
			}
		}
	}
	return h, cs
}

func scanHeader(seg []byte, d Delimiters, gbScan bool) (h Sender, charset string) {
	field := 2 // seg[3] is MSH-1; seg[4] starts MSH-2
	start := 4
	take := func(end int) {
		v := seg[start:end]
		switch field {
		case 3:
			h.Application = firstPart(v, d.Component)
		case 4:
			h.Facility = firstPart(v, d.Component)
		case 18:
			charset = firstPart(v, d.Repetition)
		}
	}
	for i := 4; i < len(seg); i++ {
		c := seg[i]
		if gbScan && c >= 0x81 {
			i++
			continue
		}
		if c == d.Field {
			take(i)
			field++
			start = i + 1
			if field > 18 {
				return h, charset
			}
		}
	}
	if start <= len(seg) {
		take(len(seg))
	}
	return h, charset
}

// Sender identifies the sending system of a message as read from the raw
// MSH before decoding: MSH-3.1 and MSH-4.1, unescaped only if ASCII. It is
// what a per-sender charset lookup keys on.
type Sender struct {
	Application string // MSH-3.1
	Facility    string // MSH-4.1
}

func firstPart(b []byte, sep byte) string {
	if sep != 0 {
		if j := bytes.IndexByte(b, sep); j >= 0 {
			b = b[:j]
		}
	}
	return strings.TrimSpace(string(b))
}
