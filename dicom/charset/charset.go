package charset

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// ErrUnknownTerm reports a Specific Character Set defined term this package
// does not know.
var ErrUnknownTerm = errors.New("unknown specific character set term")

// ErrNotEncodable reports text that the character set cannot represent.
var ErrNotEncodable = errors.New("text not representable in character set")

// kind is what a code element is, which decides how its bytes decode.
type kind uint8

const (
	kASCII    kind = iota // G0 ISO 646 (IR 6)
	kRomaji               // G0 JIS X 0201 romaji (IR 14), read as ASCII
	kSingle96             // G1 one byte per character (ISO 8859 parts)
	kKatakana             // G1 JIS X 0201 katakana (IR 13)
	kJIS0208              // G0 two bytes (IR 87)
	kJIS0212              // G0 two bytes (IR 159)
	kKSX1001              // G1 two bytes (IR 149)
	kGB2312               // G1 two bytes (IR 58)
	kUTF8                 // whole value, no code extensions (ISO_IR 192)
	kGB18030              // whole value, no code extensions
	kGBK                  // whole value, no code extensions
)

// element is one code element: a graphic character set designated to G0 or
// G1 by an escape sequence (PS3.3 C.12.1.1.2, PS3.5 §6.1.2.5).
type element struct {
	term   string // defined term, e.g. "ISO 2022 IR 58"
	kind   kind
	g1     bool   // designated to G1 (high bytes) rather than G0
	escape string // ESC sequence without the leading ESC
	cm     *charmap.Charmap
}

// The defined terms of PS3.3 Tables C.12-2, C.12-3, C.12-4 and C.12-5.
var terms = [...]element{
	{term: "ISO_IR 6", kind: kASCII, escape: "(B"},
	{term: "ISO_IR 100", kind: kSingle96, g1: true, escape: "-A", cm: charmap.ISO8859_1},
	{term: "ISO_IR 101", kind: kSingle96, g1: true, escape: "-B", cm: charmap.ISO8859_2},
	{term: "ISO_IR 109", kind: kSingle96, g1: true, escape: "-C", cm: charmap.ISO8859_3},
	{term: "ISO_IR 110", kind: kSingle96, g1: true, escape: "-D", cm: charmap.ISO8859_4},
	{term: "ISO_IR 144", kind: kSingle96, g1: true, escape: "-L", cm: charmap.ISO8859_5},
	{term: "ISO_IR 127", kind: kSingle96, g1: true, escape: "-G", cm: charmap.ISO8859_6},
	{term: "ISO_IR 126", kind: kSingle96, g1: true, escape: "-F", cm: charmap.ISO8859_7},
	{term: "ISO_IR 138", kind: kSingle96, g1: true, escape: "-H", cm: charmap.ISO8859_8},
	{term: "ISO_IR 148", kind: kSingle96, g1: true, escape: "-M", cm: charmap.ISO8859_9},
	{term: "ISO_IR 203", kind: kSingle96, g1: true, escape: "-b", cm: charmap.ISO8859_15},
	{term: "ISO_IR 166", kind: kSingle96, g1: true, escape: "-T", cm: charmap.Windows874},
	{term: "ISO_IR 13", kind: kKatakana, g1: true, escape: ")I"},
	{term: "ISO_IR 192", kind: kUTF8},
	{term: "GB18030", kind: kGB18030},
	{term: "GBK", kind: kGBK},
	{term: "ISO 2022 IR 6", kind: kASCII, escape: "(B"},
	{term: "ISO 2022 IR 100", kind: kSingle96, g1: true, escape: "-A", cm: charmap.ISO8859_1},
	{term: "ISO 2022 IR 101", kind: kSingle96, g1: true, escape: "-B", cm: charmap.ISO8859_2},
	{term: "ISO 2022 IR 109", kind: kSingle96, g1: true, escape: "-C", cm: charmap.ISO8859_3},
	{term: "ISO 2022 IR 110", kind: kSingle96, g1: true, escape: "-D", cm: charmap.ISO8859_4},
	{term: "ISO 2022 IR 144", kind: kSingle96, g1: true, escape: "-L", cm: charmap.ISO8859_5},
	{term: "ISO 2022 IR 127", kind: kSingle96, g1: true, escape: "-G", cm: charmap.ISO8859_6},
	{term: "ISO 2022 IR 126", kind: kSingle96, g1: true, escape: "-F", cm: charmap.ISO8859_7},
	{term: "ISO 2022 IR 138", kind: kSingle96, g1: true, escape: "-H", cm: charmap.ISO8859_8},
	{term: "ISO 2022 IR 148", kind: kSingle96, g1: true, escape: "-M", cm: charmap.ISO8859_9},
	{term: "ISO 2022 IR 203", kind: kSingle96, g1: true, escape: "-b", cm: charmap.ISO8859_15},
	{term: "ISO 2022 IR 166", kind: kSingle96, g1: true, escape: "-T", cm: charmap.Windows874},
	{term: "ISO 2022 IR 13", kind: kKatakana, g1: true, escape: ")I"},
	{term: "ISO 2022 IR 87", kind: kJIS0208, escape: "$B"},
	{term: "ISO 2022 IR 159", kind: kJIS0212, escape: "$(D"},
	{term: "ISO 2022 IR 149", kind: kKSX1001, g1: true, escape: "$)C"},
	{term: "ISO 2022 IR 58", kind: kGB2312, g1: true, escape: "$)A"},
}

// romaji is JIS X 0201 romaji in G0, designated alongside IR 13.
var romaji = element{term: "ISO 2022 IR 13", kind: kRomaji, escape: "(J"}

// Terms returns every defined term this package supports.
func Terms() []string {
	out := make([]string, len(terms))
	for i, e := range terms {
		out[i] = e.term
	}
	return out
}

func lookup(term string) (*element, bool) {
	t := strings.TrimSpace(term)
	for i := range terms {
		if terms[i].term == t {
			return &terms[i], true
		}
	}
	return nil, false
}

// Set is a resolved Specific Character Set (0008,0005): the code elements
// a dataset may use, first one initially designated. The zero Set is the
// default repertoire (ISO_IR 6). A Set is immutable.
type Set struct {
	terms []string
	elems []*element // nil for the default
	whole kind       // kUTF8, kGB18030, kGBK or kSingle96 for sets without code extensions
	g0    *element   // initial G0
	g1    *element   // initial G1, or nil
	ext   bool       // code extensions (ISO 2022) in use
}

// Default is the default character repertoire, ISO_IR 6 (ASCII).
func Default() *Set { return &Set{whole: kASCII} }

// Parse resolves the values of Specific Character Set (0008,0005), already
// split on backslash (the element itself is always ASCII). An empty first
// value stands for ISO 2022 IR 6. Unknown terms give an error wrapping
// ErrUnknownTerm; the returned Set then uses the terms it knows.
func Parse(values ...string) (*Set, error) {
	var err error
	s := &Set{}
	for i, v := range values {
		v = strings.TrimSpace(v)
		if v == "" {
			if i == 0 {
				v = "ISO 2022 IR 6"
			} else {
				continue
			}
		}
		e, ok := lookup(v)
		if !ok {
			// Tolerate common misspellings: "ISO_IR_192", "ISO IR 100", "GB 18030".
			norm := strings.NewReplacer("_", " ", "-", "").Replace(strings.ToUpper(v))
			for j := range terms {
				if strings.NewReplacer("_", " ", "-", "").Replace(terms[j].term) == norm ||
					strings.ReplaceAll(norm, " ", "") == strings.ReplaceAll(terms[j].term, " ", "") {
					e, ok = &terms[j], true
					break
				}
			}
		}
		if !ok {
			if err == nil {
				err = fmt.Errorf("charset: %q: %w", v, ErrUnknownTerm)
			}
			continue
		}
		s.terms = append(s.terms, e.term)
		s.elems = append(s.elems, e)
	}
	switch {
	case len(s.elems) == 0:
		s.whole = kASCII
	case len(s.elems) == 1 && !strings.HasPrefix(s.elems[0].term, "ISO 2022"):
		s.whole = s.elems[0].kind
		s.g1 = s.elems[0]
	default:
		s.ext = true
		s.whole = kASCII
		ascii, _ := lookup("ISO 2022 IR 6")
		s.g0 = ascii
		first := s.elems[0]
		switch {
		case first.kind == kKatakana:
			s.g0, s.g1 = &romaji, first
		case first.g1:
			s.g1 = first
		case first.kind != kASCII:
			s.g0 = first
		}
	}
	return s, err
}

// Terms returns the defined terms of s, as resolved by Parse.
func (s *Set) Terms() []string { return append([]string(nil), s.terms...) }

// IsDefault reports whether s is the default repertoire.
func (s *Set) IsDefault() bool { return len(s.elems) == 0 }

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 || c == 0x1B {
			return false
		}
	}
	return true
}

// Decode decodes a value of a text VR other than PN. Bytes that are not
// valid in s become U+FFFD. Split on backslash only after decoding.
func (s *Set) Decode(b []byte) string { return s.decode(b, false) }

// DecodePN decodes a PN value; with code extensions the designations reset
// at each "^" and "=" as PS3.5 §6.1.2.5.3 requires.
func (s *Set) DecodePN(b []byte) string { return s.decode(b, true) }

func (s *Set) decode(b []byte, pn bool) string {
	if s == nil {
		s = Default()
	}
	if isASCII(b) {
		return string(b)
	}
	if !s.ext {
		return decodeWhole(s.whole, s.g1, b)
	}
	return s.decode2022(b, pn)
}

func decodeWith(d encoding.Encoding, b []byte) string {
	out, err := d.NewDecoder().Bytes(b)
	if err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return string(out)
}

func decodeWhole(k kind, e *element, b []byte) string {
	switch k {
	case kUTF8:
		return strings.ToValidUTF8(string(b), "\uFFFD")
	case kGB18030:
		return decodeWith(simplifiedchinese.GB18030, b)
	case kGBK:
		return decodeWith(simplifiedchinese.GBK, b)
	case kSingle96:
		return decodeWith(e.cm, b)
	case kKatakana:
		var sb strings.Builder
		for _, c := range b {
			sb.WriteRune(katakana(c))
		}
		return sb.String()
	}
	// ISO_IR 6 with stray high bytes: read them as Latin-1, as most
	// toolkits do, rather than dropping them.
	return decodeWith(charmap.ISO8859_1, b)
}

func katakana(c byte) rune {
	switch {
	case c < 0x80:
		return rune(c)
	case c >= 0xA1 && c <= 0xDF:
		return rune(0xFF61 + int(c) - 0xA1)
	}
	return utf8.RuneError
}

// escapes lists every code element by escape sequence, declared or not, so
// that decoding tolerates undeclared switches.
func elementByEscape(esc string) *element {
	if esc == romaji.escape {
		return &romaji
	}
	for i := range terms {
		if terms[i].escape == esc && (strings.HasPrefix(terms[i].term, "ISO 2022") || terms[i].kind == kASCII) {
			return &terms[i]
		}
	}
	return nil
}

func (s *Set) decode2022(b []byte, pn bool) string {
	var sb strings.Builder
	g0, g1 := s.g0, s.g1
	var run []byte // pending multi-byte run, in EUC form
	var runKind kind
	flush := func() {
		if len(run) == 0 {
			return
		}
		switch runKind {
		case kJIS0208, kJIS0212:
			sb.WriteString(decodeWith(japanese.EUCJP, run))
		case kKSX1001:
			sb.WriteString(decodeWith(korean.EUCKR, run))
		case kGB2312:
			sb.WriteString(decodeWith(simplifiedchinese.GBK, run))
		}
		run = run[:0]
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == 0x1B {
			flush()
			// An escape sequence is ESC, intermediates 0x20-0x2F, one final byte.
			j := i + 1
			for j < len(b) && b[j] >= 0x20 && b[j] <= 0x2F {
				j++
			}
			if j < len(b) {
				if e := elementByEscape(string(b[i+1 : j+1])); e != nil {
					if e.g1 {
						g1 = e
					} else {
						g0 = e
					}
					i = j
					continue
				}
			}
			sb.WriteRune(utf8.RuneError)
			continue
		}
		if c < 0x80 {
			multi := g0 != nil && (g0.kind == kJIS0208 || g0.kind == kJIS0212)
			if multi && c > 0x20 && c < 0x7F && i+1 < len(b) && b[i+1] > 0x20 && b[i+1] < 0x7F {
				if runKind != g0.kind {
					flush()
					runKind = g0.kind
				}
				if g0.kind == kJIS0212 {
					run = append(run, 0x8F)
				}
				run = append(run, c|0x80, b[i+1]|0x80)
				i++
				continue
			}
			flush()
			sb.WriteByte(c)
			if c == '\\' || c == '\r' || c == '\n' || c == '\t' || c == '\f' || (pn && (c == '^' || c == '=')) {
				g0, g1 = s.g0, s.g1
			}
			continue
		}
		switch {
		case g1 == nil:
			flush()
			sb.WriteRune(utf8.RuneError)
		case g1.kind == kSingle96:
			flush()
			sb.WriteString(decodeWith(g1.cm, b[i:i+1]))
		case g1.kind == kKatakana:
			flush()
			sb.WriteRune(katakana(c))
		case i+1 < len(b) && b[i+1] >= 0x80:
			if runKind != g1.kind {
				flush()
				runKind = g1.kind
			}
			run = append(run, c, b[i+1])
			i++
		default:
			flush()
			sb.WriteRune(utf8.RuneError)
		}
	}
	flush()
	return sb.String()
}

// Encode encodes text (not PN) for a dataset whose Specific Character Set
// is s. Text that s cannot represent gives an error wrapping ErrNotEncodable.
func (s *Set) Encode(text string) ([]byte, error) { return s.encode(text, false) }

// EncodePN encodes a PN value, returning to the initial designations
// before each "^", "=" and "\" as PS3.5 §6.1.2.5.3 requires.
func (s *Set) EncodePN(text string) ([]byte, error) { return s.encode(text, true) }

func (s *Set) encode(text string, pn bool) ([]byte, error) {
	if s == nil {
		s = Default()
	}
	ascii := true
	for i := 0; i < len(text); i++ {
		if text[i] >= 0x80 || text[i] == 0x1B {
			ascii = false
			break
		}
	}
	if ascii {
		return []byte(text), nil
	}
	if !s.ext {
		var enc encoding.Encoding
		switch s.whole {
		case kUTF8:
			return []byte(text), nil
		case kGB18030:
			enc = simplifiedchinese.GB18030
		case kGBK:
			enc = simplifiedchinese.GBK
		case kSingle96:
			enc = s.g1.cm
		case kKatakana:
			out := make([]byte, 0, len(text))
			for _, r := range text {
				c, ok := encodeRune(s.g1, r)
				if !ok {
					return nil, fmt.Errorf("charset: %q in %s: %w", r, s.g1.term, ErrNotEncodable)
				}
				out = append(out, c...)
			}
			return out, nil
		default:
			return nil, fmt.Errorf("charset: non-ASCII text in ISO_IR 6: %w", ErrNotEncodable)
		}
		out, err := enc.NewEncoder().Bytes([]byte(text))
		if err != nil {
			return nil, fmt.Errorf("charset: %s: %w", s.terms[0], ErrNotEncodable)
		}
		return out, nil
	}
	return s.encode2022(text, pn)
}

// encodeRune encodes r in code element e, in the bytes that follow e's
// designation (7-bit for G0 sets, 8-bit for G1 sets).
func encodeRune(e *element, r rune) ([]byte, bool) {
	var enc encoding.Encoding
	switch e.kind {
	case kASCII, kRomaji:
		if r < 0x80 {
			return []byte{byte(r)}, true
		}
		return nil, false
	case kKatakana:
		if r >= 0xFF61 && r <= 0xFF9F {
			return []byte{byte(r - 0xFF61 + 0xA1)}, true
		}
		return nil, false
	case kSingle96:
		c, ok := e.cm.EncodeRune(r)
		return []byte{c}, ok && c >= 0xA0
	case kJIS0208, kJIS0212:
		enc = japanese.EUCJP
	case kKSX1001:
		enc = korean.EUCKR
	case kGB2312:
		enc = simplifiedchinese.GBK
	default:
		return nil, false
	}
	out, err := enc.NewEncoder().Bytes([]byte(string(r)))
	if err != nil {
		return nil, false
	}
	switch e.kind {
	case kJIS0208:
		if len(out) == 2 && out[0] >= 0xA1 && out[0] <= 0xFE {
			return []byte{out[0] & 0x7F, out[1] & 0x7F}, true
		}
	case kJIS0212:
		if len(out) == 3 && out[0] == 0x8F {
			return []byte{out[1] & 0x7F, out[2] & 0x7F}, true
		}
	case kKSX1001, kGB2312:
		if len(out) == 2 && out[0] >= 0xA1 && out[0] <= 0xFE && out[1] >= 0xA1 && out[1] <= 0xFE {
			return out, true
		}
	}
	return nil, false
}

func (s *Set) encode2022(text string, pn bool) ([]byte, error) {
	out := make([]byte, 0, len(text)*2)
	g0, g1 := s.g0, s.g1
	for _, r := range text {
		isDelim := r == '\\' || r == '\r' || r == '\n' || r == '\t' || r == '\f' || (pn && (r == '^' || r == '='))
		if isDelim {
			if g0 != s.g0 {
				out = append(out, 0x1B)
				out = append(out, s.g0.escape...)
			}
			out = append(out, byte(r))
			g0, g1 = s.g0, s.g1
			continue
		}
		// Current designations first, then each declared element in order.
		if c, ok := encodeRune(g0, r); ok {
			out = append(out, c...)
			continue
		}
		if g1 != nil {
			if c, ok := encodeRune(g1, r); ok {
				out = append(out, c...)
				continue
			}
		}
		done := false
		ascii, _ := lookup("ISO 2022 IR 6")
		for _, e := range append(append([]*element(nil), s.elems...), ascii) {
			c, ok := encodeRune(e, r)
			if !ok {
				continue
			}
			out = append(out, 0x1B)
			out = append(out, e.escape...)
			out = append(out, c...)
			if e.g1 {
				g1 = e
			} else {
				g0 = e
			}
			done = true
			break
		}
		if !done {
			return nil, fmt.Errorf("charset: %q in %s: %w", r, strings.Join(s.terms, `\`), ErrNotEncodable)
		}
	}
	if g0 != s.g0 {
		out = append(out, 0x1B)
		out = append(out, s.g0.escape...)
	}
	return out, nil
}
