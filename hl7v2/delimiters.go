package hl7v2

import (
	"errors"
	"strings"
)

// Delimiters are the separators of one message, read from MSH-1 and MSH-2
// (or FHS/BHS-1 and -2). They are always ASCII. A zero byte means the
// character is absent (MSH-2 may carry fewer than four characters; the
// truncation character exists only from v2.7).
type Delimiters struct {
	Field        byte // MSH-1, usually '|'
	Component    byte // MSH-2[0], usually '^'
	Repetition   byte // MSH-2[1], usually '~'
	Escape       byte // MSH-2[2], usually '\'
	SubComponent byte // MSH-2[3], usually '&'
	Truncation   byte // MSH-2[4], v2.7+, usually '#'; 0 when absent
}

// DefaultDelimiters are the delimiters recommended by HL7 v2.5.1 §2.5.4,
// without the v2.7 truncation character.
var DefaultDelimiters = Delimiters{Field: '|', Component: '^', Repetition: '~', Escape: '\\', SubComponent: '&'}

// EncodingCharacters returns the MSH-2 value for d.
func (d Delimiters) EncodingCharacters() string {
	b := make([]byte, 0, 5)
	for _, c := range []byte{d.Component, d.Repetition, d.Escape, d.SubComponent, d.Truncation} {
		if c == 0 {
			break
		}
		b = append(b, c)
	}
	return string(b)
}

var errBadDelimiters = errors.New("invalid delimiters")

// parseDelimiters reads the field separator fs and the encoding characters
// enc (MSH-2) and checks that they are distinct printable ASCII
// punctuation-like characters.
func parseDelimiters(fs byte, enc string) (Delimiters, error) {
	if len(enc) > 5 {
		return Delimiters{}, errBadDelimiters
	}
	d := Delimiters{Field: fs}
	ptrs := []*byte{&d.Component, &d.Repetition, &d.Escape, &d.SubComponent, &d.Truncation}
	for i := 0; i < len(enc); i++ {
		*ptrs[i] = enc[i]
	}
	seen := [256]bool{}
	for _, c := range []byte{d.Field, d.Component, d.Repetition, d.Escape, d.SubComponent, d.Truncation} {
		if c == 0 {
			continue
		}
		if !validDelimiter(c) || seen[c] {
			return Delimiters{}, errBadDelimiters
		}
		seen[c] = true
	}
	if d.Field == 0 {
		return Delimiters{}, errBadDelimiters
	}
	return d, nil
}

func validDelimiter(c byte) bool {
	if c <= ' ' || c >= 0x7f {
		return false
	}
	if c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' {
		return false
	}
	return true
}

// isSpecial reports whether c is one of the delimiters that must be escaped
// in a value.
func (d *Delimiters) isSpecial(c byte) bool {
	return c != 0 && (c == d.Field || c == d.Component || c == d.Repetition || c == d.Escape || c == d.SubComponent || c == d.Truncation)
}

// Escape returns s with every delimiter replaced by its escape sequence
// (§2.7.1: \F\ \S\ \T\ \R\ \E\ and, from v2.7, \P\ for the truncation
// character), and carriage return and line feed as \X0D\ and \X0A\ so that a
// value can never end a segment.
func Escape(s string, d Delimiters) string {
	if d.Escape == 0 {
		return s
	}
	need := false
	for i := 0; i < len(s); i++ {
		if d.isSpecial(s[i]) || s[i] == '\r' || s[i] == '\n' {
			need = true
			break
		}
	}
	if !need {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	e := d.Escape
	put := func(code string) {
		b.WriteByte(e)
		b.WriteString(code)
		b.WriteByte(e)
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == 0:
			b.WriteByte(c)
		case c == d.Field:
			put("F")
		case c == d.Component:
			put("S")
		case c == d.SubComponent:
			put("T")
		case c == d.Repetition:
			put("R")
		case c == d.Escape:
			put("E")
		case c == d.Truncation:
			put("P")
		case c == '\r':
			put("X0D")
		case c == '\n':
			put("X0A")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Unescape returns s with the delimiter escape sequences (\F\ \S\ \T\ \R\
// \E\ \P\) and hexadecimal data (\Xhh...\) replaced by the characters they
// stand for. Formatting escapes (\H\ \N\ \.br\ \.sp\ \.in\ \.ti\ \.sk\ \.ce\
// \.fi\ \.nf\), character-set escapes (\C..\ \M..\) and locally defined
// escapes (\Z..\) are kept verbatim, so formatted text (FT) stays
// representable; use [FormatText] to interpret them. A stray escape
// character without a closing one is kept as is.
//
// Hexadecimal data is inserted as raw bytes: a sender writing \XE78F85\ in
// a UTF-8 message produces the UTF-8 bytes of that character.
func Unescape(s string, d Delimiters) string {
	if d.Escape == 0 || strings.IndexByte(s, d.Escape) < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c != d.Escape {
			b.WriteByte(c)
			i++
			continue
		}
		j := strings.IndexByte(s[i+1:], d.Escape)
		if j < 0 {
			b.WriteString(s[i:])
			break
		}
		code := s[i+1 : i+1+j]
		whole := s[i : i+j+2]
		i += j + 2
		switch {
		case code == "F":
			b.WriteByte(d.Field)
		case code == "S":
			b.WriteByte(d.Component)
		case code == "T":
			b.WriteByte(d.SubComponent)
		case code == "R":
			b.WriteByte(d.Repetition)
		case code == "E":
			b.WriteByte(d.Escape)
		case code == "P" && d.Truncation != 0:
			b.WriteByte(d.Truncation)
		case len(code) > 1 && code[0] == 'X' && len(code)%2 == 1:
			if raw, ok := decodeHex(code[1:]); ok {
				b.Write(raw)
			} else {
				b.WriteString(whole)
			}
		default:
			b.WriteString(whole)
		}
	}
	return b.String()
}

func decodeHex(h string) ([]byte, bool) {
	out := make([]byte, len(h)/2)
	for i := 0; i < len(h); i += 2 {
		hi, ok1 := hexVal(h[i])
		lo, ok2 := hexVal(h[i+1])
		if !ok1 || !ok2 {
			return nil, false
		}
		out[i/2] = hi<<4 | lo
	}
	return out, true
}

func hexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// TextRun is one piece of formatted text (FT, TX) split by [FormatText]:
// either plain text (Escape empty) or one formatting command.
type TextRun struct {
	Text   string // unescaped text; empty for a command
	Escape string // the command without escape characters: "H", "N", ".br", ".sp2", "Cxxyy", ...
}

// FormatText splits s into plain text runs (unescaped as by [Unescape])
// and formatting commands (§2.7.2–2.7.6: \H\ \N\ \.br\ \.sp\ \.in\ ...),
// so that a caller can render or map formatted text without losing the
// commands.
func FormatText(s string, d Delimiters) []TextRun {
	var runs []TextRun
	var text strings.Builder
	flush := func() {
		if text.Len() > 0 {
			runs = append(runs, TextRun{Text: text.String()})
			text.Reset()
		}
	}
	for i := 0; i < len(s); {
		if d.Escape == 0 || s[i] != d.Escape {
			j := i + 1
			for j < len(s) && (d.Escape == 0 || s[j] != d.Escape) {
				j++
			}
			text.WriteString(s[i:j])
			i = j
			continue
		}
		j := strings.IndexByte(s[i+1:], d.Escape)
		if j < 0 {
			text.WriteString(s[i:])
			break
		}
		code := s[i+1 : i+1+j]
		whole := s[i : i+j+2]
		i += j + 2
		if isFormatting(code) {
			flush()
			runs = append(runs, TextRun{Escape: code})
			continue
		}
		text.WriteString(Unescape(whole, d))
	}
	flush()
	return runs
}

func isFormatting(code string) bool {
	if code == "H" || code == "N" {
		return true
	}
	return len(code) >= 2 && code[0] == '.'
}
