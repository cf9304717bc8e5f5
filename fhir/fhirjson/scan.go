package fhirjson

import (
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// This file is the syntax layer: it reads RFC 8259 JSON into a small generic
// tree (value) that keeps number lexical forms, member order and offsets, and
// rejects duplicate member names. It knows nothing of FHIR.

type kind uint8

const (
	kNull kind = iota
	kFalse
	kTrue
	kNumber
	kString
	kObject
	kArray
)

func (k kind) String() string {
	return [...]string{"null", "false", "true", "number", "string", "object", "array"}[k]
}

type value struct {
	kind    kind
	str     string   // string contents (unescaped) or number lexical form
	members []member // object members, in document order
	elems   []value  // array elements
	off     int      // byte offset of the value in the input
}

type member struct {
	key string
	val value
}

// SyntaxError is a JSON syntax error at a byte offset of the input.
type SyntaxError struct {
	Offset int64
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("fhirjson: invalid JSON at offset %d: %s", e.Offset, e.Msg)
}

// maxDepth bounds nesting so that hostile input cannot exhaust the stack.
const maxDepth = 256

type scanner struct {
	data []byte
	pos  int
	// Scratch stacks: members and elements are gathered here and copied
	// into exactly sized slices when their object or array ends.
	mstack []member
	vstack []value
}

func (s *scanner) fail(format string, args ...any) error {
	return &SyntaxError{Offset: int64(s.pos), Msg: fmt.Sprintf(format, args...)}
}

func (s *scanner) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// parse reads exactly one JSON value followed only by whitespace.
func parse(data []byte) (value, error) {
	s := scanner{data: data}
	if len(data) >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF {
		s.pos = 3 // a UTF-8 byte order mark
	}
	v, err := s.value(0)
	if err != nil {
		return value{}, err
	}
	s.ws()
	if s.pos != len(data) {
		return value{}, s.fail("unexpected %q after the top-level value", s.data[s.pos])
	}
	return v, nil
}

func (s *scanner) value(depth int) (value, error) {
	s.ws()
	if s.pos >= len(s.data) {
		return value{}, s.fail("unexpected end of input")
	}
	if depth > maxDepth {
		return value{}, s.fail("nesting deeper than %d", maxDepth)
	}
	off := s.pos
	switch c := s.data[s.pos]; {
	case c == '{':
		return s.object(depth)
	case c == '[':
		s.pos++
		v := value{kind: kArray, off: off}
		s.ws()
		if s.pos < len(s.data) && s.data[s.pos] == ']' {
			s.pos++
			v.elems = []value{}
			return v, nil
		}
		base := len(s.vstack)
		defer func() { s.vstack = s.vstack[:base] }()
		for {
			e, err := s.value(depth + 1)
			if err != nil {
				return value{}, err
			}
			s.vstack = append(s.vstack, e)
			s.ws()
			if s.pos >= len(s.data) {
				return value{}, s.fail("unexpected end of input in array")
			}
			if s.data[s.pos] == ',' {
				s.pos++
				continue
			}
			if s.data[s.pos] == ']' {
				s.pos++
				v.elems = append([]value(nil), s.vstack[base:]...)
				return v, nil
			}
			return value{}, s.fail("expected ',' or ']' in array, found %q", s.data[s.pos])
		}
	case c == '"':
		str, err := s.string()
		return value{kind: kString, str: str, off: off}, err
	case c == 't':
		return s.literal("true", kTrue)
	case c == 'f':
		return s.literal("false", kFalse)
	case c == 'n':
		return s.literal("null", kNull)
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	default:
		return value{}, s.fail("unexpected %q", c)
	}
}

func (s *scanner) literal(lit string, k kind) (value, error) {
	if len(s.data)-s.pos < len(lit) || string(s.data[s.pos:s.pos+len(lit)]) != lit {
		return value{}, s.fail("invalid literal")
	}
	off := s.pos
	s.pos += len(lit)
	return value{kind: k, off: off}, nil
}

func (s *scanner) object(depth int) (value, error) {
	v := value{kind: kObject, off: s.pos}
	s.pos++ // {
	s.ws()
	if s.pos < len(s.data) && s.data[s.pos] == '}' {
		s.pos++
		v.members = []member{}
		return v, nil
	}
	var seen map[string]struct{}
	base := len(s.mstack)
	defer func() { s.mstack = s.mstack[:base] }()
	for {
		s.ws()
		if s.pos >= len(s.data) || s.data[s.pos] != '"' {
			return value{}, s.fail("expected a member name")
		}
		keyOff := s.pos
		key, err := s.string()
		if err != nil {
			return value{}, err
		}
		// Duplicate names: a linear scan for small objects, a set beyond.
		if seen == nil && len(s.mstack)-base >= 16 {
			seen = make(map[string]struct{}, 32)
			for _, m := range s.mstack[base:] {
				seen[m.key] = struct{}{}
			}
		}
		dup := false
		if seen != nil {
			_, dup = seen[key]
			seen[key] = struct{}{}
		} else {
			for _, m := range s.mstack[base:] {
				if m.key == key {
					dup = true
					break
				}
			}
		}
		if dup {
			s.pos = keyOff
			return value{}, s.fail("duplicate member name %q", key)
		}
		s.ws()
		if s.pos >= len(s.data) || s.data[s.pos] != ':' {
			return value{}, s.fail("expected ':' after member name")
		}
		s.pos++
		val, err := s.value(depth + 1)
		if err != nil {
			return value{}, err
		}
		s.mstack = append(s.mstack, member{key: key, val: val})
		s.ws()
		if s.pos >= len(s.data) {
			return value{}, s.fail("unexpected end of input in object")
		}
		if s.data[s.pos] == ',' {
			s.pos++
			continue
		}
		if s.data[s.pos] == '}' {
			s.pos++
			v.members = append([]member(nil), s.mstack[base:]...)
			return v, nil
		}
		return value{}, s.fail("expected ',' or '}' in object, found %q", s.data[s.pos])
	}
}

func (s *scanner) number() (value, error) {
	start := s.pos
	d := s.data
	p := s.pos
	if p < len(d) && d[p] == '-' {
		p++
	}
	switch {
	case p < len(d) && d[p] == '0':
		p++
	case p < len(d) && d[p] >= '1' && d[p] <= '9':
		for p < len(d) && d[p] >= '0' && d[p] <= '9' {
			p++
		}
	default:
		s.pos = p
		return value{}, s.fail("invalid number")
	}
	if p < len(d) && d[p] == '.' {
		p++
		if p >= len(d) || d[p] < '0' || d[p] > '9' {
			s.pos = p
			return value{}, s.fail("invalid number: digits expected after '.'")
		}
		for p < len(d) && d[p] >= '0' && d[p] <= '9' {
			p++
		}
	}
	if p < len(d) && (d[p] == 'e' || d[p] == 'E') {
		p++
		if p < len(d) && (d[p] == '+' || d[p] == '-') {
			p++
		}
		if p >= len(d) || d[p] < '0' || d[p] > '9' {
			s.pos = p
			return value{}, s.fail("invalid number: digits expected in exponent")
		}
		for p < len(d) && d[p] >= '0' && d[p] <= '9' {
			p++
		}
	}
	s.pos = p
	return value{kind: kNumber, str: string(d[start:p]), off: start}, nil
}

// string reads a JSON string at s.pos (which is '"') and returns its value.
func (s *scanner) string() (string, error) {
	s.pos++
	start := s.pos
	d := s.data
	ascii := true
	for p := start; p < len(d); p++ {
		c := d[p]
		switch {
		case c == '"':
			s.pos = p + 1
			if !ascii && !utf8.Valid(d[start:p]) {
				s.pos = start
				return "", s.fail("invalid UTF-8 in string")
			}
			return string(d[start:p]), nil
		case c == '\\':
			s.pos = p
			return s.stringSlow(start)
		case c < 0x20:
			s.pos = p
			return "", s.fail("control character %#02x in string", c)
		case c >= 0x80:
			ascii = false
		}
	}
	s.pos = len(d)
	return "", s.fail("unterminated string")
}

func (s *scanner) stringSlow(start int) (string, error) {
	d := s.data
	buf := make([]byte, 0, s.pos-start+16)
	buf = append(buf, d[start:s.pos]...)
	for s.pos < len(d) {
		c := d[s.pos]
		switch {
		case c == '"':
			s.pos++
			if !utf8.Valid(buf) {
				return "", s.fail("invalid UTF-8 in string")
			}
			return string(buf), nil
		case c < 0x20:
			return "", s.fail("control character %#02x in string", c)
		case c != '\\':
			buf = append(buf, c)
			s.pos++
			continue
		}
		if s.pos+1 >= len(d) {
			break
		}
		e := d[s.pos+1]
		s.pos += 2
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := s.hex4()
			if !ok {
				return "", s.fail("invalid \\u escape")
			}
			if utf16.IsSurrogate(r) {
				var r2 rune = -1
				if s.pos+1 < len(d) && d[s.pos] == '\\' && d[s.pos+1] == 'u' {
					s.pos += 2
					r2, ok = s.hex4()
					if !ok {
						return "", s.fail("invalid \\u escape")
					}
				}
				r = utf16.DecodeRune(r, r2)
				if r == utf8.RuneError {
					return "", s.fail("unpaired UTF-16 surrogate in \\u escape")
				}
			}
			buf = utf8.AppendRune(buf, r)
		default:
			s.pos -= 2
			return "", s.fail("invalid escape \\%c", e)
		}
	}
	return "", s.fail("unterminated string")
}

func (s *scanner) hex4() (rune, bool) {
	if s.pos+4 > len(s.data) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(s.data[s.pos:s.pos+4]), 16, 16)
	if err != nil {
		return 0, false
	}
	s.pos += 4
	return rune(n), true
}
