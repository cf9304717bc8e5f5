package hl7v2

import (
	"strings"
)

// Message is one parsed HL7 v2 message: its segments in order, the
// delimiters read from its MSH, and the character set its bytes were
// decoded from. Text inside a Message is always UTF-8.
//
// A Message keeps the raw text of every field and each segment's terminator,
// so [Message.Encode] reproduces the parsed bytes exactly (see the package
// documentation for the one normalisation that applies).
type Message struct {
	// Delims are the delimiters of this message (MSH-1, MSH-2).
	Delims Delimiters
	// Charset is the canonical name of the character set the message was
	// decoded from and is encoded back to ("UNICODE UTF-8", "GBK",
	// "GB 18030-2000", "8859/1", "ASCII", ...).
	Charset string
	// BOM records a UTF-8 byte order mark before MSH; Encode writes it back.
	BOM bool
	// Segments are the segments in order, MSH first.
	Segments []*Segment
}

// Segment is one segment. Its fields are kept as raw (escaped) text; the
// accessors split and unescape on demand.
type Segment struct {
	// fields[0] is the segment name. For MSH, FHS and BHS, fields[1] is the
	// field separator itself and fields[2] the encoding characters, so that
	// Field(n) follows the spec's numbering (MSH-1, MSH-2, ...).
	fields []string
	// Terminator is the run of CR/LF characters that ended the segment in
	// the input ("\r" when built in code; "" for a last segment without one).
	Terminator string
	d          Delimiters
}

// NewSegment returns a segment named name whose fields 1..n are the given
// raw (already escaped) values, to be terminated by "\r". For MSH, FHS and
// BHS pass the fields from MSH-3 on: MSH-1 and MSH-2 come from d.
func NewSegment(d Delimiters, name string, fields ...string) *Segment {
	s := &Segment{d: d, Terminator: "\r"}
	if isHeader(name) {
		s.fields = append([]string{name, string(d.Field), d.EncodingCharacters()}, fields...)
	} else {
		s.fields = append([]string{name}, fields...)
	}
	return s
}

func isHeader(name string) bool { return name == "MSH" || name == "FHS" || name == "BHS" }

// Name returns the segment ID, e.g. "PID" or "ZPI".
func (s *Segment) Name() string { return s.fields[0] }

// Delimiters returns the delimiters used to split this segment.
func (s *Segment) Delimiters() Delimiters { return s.d }

// Len returns the number of the last field present (PID with 30 fields
// returns 30); trailing empty fields present in the input are counted.
func (s *Segment) Len() int { return len(s.fields) - 1 }

// Field returns field n (1-based, as in PID-3). A field that is absent
// returns an empty Field. For MSH/FHS/BHS, Field(1) is the field separator
// and Field(2) the encoding characters, both literal.
func (s *Segment) Field(n int) Field {
	if s == nil {
		return Field{}
	}
	if n <= 0 || n >= len(s.fields) {
		return Field{d: s.d}
	}
	if n <= 2 && isHeader(s.fields[0]) {
		return Field{raw: s.fields[n], d: s.d, literal: true}
	}
	return Field{raw: s.fields[n], d: s.d}
}

// SetField replaces field n (1-based) with the raw (escaped) value, adding
// empty fields as needed. It panics for MSH-1 and MSH-2; change
// [Message.Delims] through a new message instead.
func (s *Segment) SetField(n int, raw string) {
	if n <= 0 {
		panic("hl7v2: SetField with non-positive field number")
	}
	if n <= 2 && isHeader(s.fields[0]) {
		panic("hl7v2: SetField cannot change the delimiters")
	}
	for len(s.fields) <= n {
		s.fields = append(s.fields, "")
	}
	s.fields[n] = raw
}

// String returns the segment's raw text without its terminator.
func (s *Segment) String() string {
	var b strings.Builder
	s.appendTo(&b)
	return b.String()
}

func (s *Segment) appendTo(b *strings.Builder) {
	b.WriteString(s.fields[0])
	start := 1
	if isHeader(s.fields[0]) && len(s.fields) > 2 {
		// fields[1] is the separator itself: "MSH" + "|" + "^~\&" + "|" + ...
		start = 2
	}
	for _, f := range s.fields[start:] {
		b.WriteByte(s.d.Field)
		b.WriteString(f)
	}
}

// Field is the raw text of one field with the delimiters needed to split it.
// The zero-based helpers use HL7's 1-based positions throughout.
type Field struct {
	raw     string
	d       Delimiters
	literal bool // MSH-1, MSH-2: never split or unescaped
}

// Raw returns the field's text as in the message, escapes included.
func (f Field) Raw() string { return f.raw }

// IsEmpty reports whether the field is absent or empty.
func (f Field) IsEmpty() bool { return f.raw == "" }

// IsNull reports whether the field holds the explicit null `""`, which
// tells the receiver to delete the value (§2.5.3).
func (f Field) IsNull() bool { return f.raw == `""` }

// String returns the unescaped text of the whole field, delimiters of inner
// levels included.
func (f Field) String() string {
	if f.literal {
		return f.raw
	}
	return Unescape(f.raw, f.d)
}

// Repetitions returns the field's repetitions; an empty field has none.
func (f Field) Repetitions() []Value {
	if f.raw == "" {
		return nil
	}
	if f.literal || f.d.Repetition == 0 {
		return []Value{{raw: f.raw, d: f.d, level: levelRepetition, literal: f.literal}}
	}
	parts := strings.Split(f.raw, string(f.d.Repetition))
	out := make([]Value, len(parts))
	for i, p := range parts {
		out[i] = Value{raw: p, d: f.d, level: levelRepetition}
	}
	return out
}

// Repetition returns repetition n (1-based); the first is the field's value
// when it does not repeat.
func (f Field) Repetition(n int) Value {
	v := Value{d: f.d, level: levelRepetition, literal: f.literal}
	if f.literal {
		if n == 1 {
			v.raw = f.raw
		}
		return v
	}
	v.raw = nth(f.raw, f.d.Repetition, n)
	return v
}

// Component returns component n of the first repetition, like PID-5.1.
func (f Field) Component(n int) Value { return f.Repetition(1).Component(n) }

// Value is a repetition, component or sub-component: raw text plus the
// delimiters to split it further.
type Value struct {
	raw     string
	d       Delimiters
	level   int
	literal bool
}

const (
	levelRepetition = iota + 1
	levelComponent
	levelSubComponent
)

// Raw returns the value's text as in the message.
func (v Value) Raw() string { return v.raw }

// IsEmpty reports whether the value is absent or empty.
func (v Value) IsEmpty() bool { return v.raw == "" }

// String returns the unescaped text.
func (v Value) String() string {
	if v.literal {
		return v.raw
	}
	return Unescape(v.raw, v.d)
}

// Component returns component n (1-based) of a repetition, or sub-component
// n of a component. Component(1) of a value without separators is the value
// itself.
func (v Value) Component(n int) Value {
	switch {
	case v.literal:
		if n == 1 {
			return v
		}
		return Value{d: v.d, literal: true}
	case v.level <= levelRepetition:
		return Value{raw: nth(v.raw, v.d.Component, n), d: v.d, level: levelComponent}
	case v.level == levelComponent:
		return Value{raw: nth(v.raw, v.d.SubComponent, n), d: v.d, level: levelSubComponent}
	default:
		if n == 1 {
			return v
		}
		return Value{d: v.d, level: levelSubComponent}
	}
}

// Sub returns sub-component n (1-based) of a component value.
func (v Value) Sub(n int) Value {
	if v.level == levelRepetition {
		return v.Component(1).Component(n)
	}
	return v.Component(n)
}

// Components returns the components of a repetition (or sub-components of a
// component).
func (v Value) Components() []Value {
	sep := v.d.Component
	level := levelComponent
	if v.level == levelComponent {
		sep, level = v.d.SubComponent, levelSubComponent
	} else if v.level == levelSubComponent || v.literal {
		return []Value{v}
	}
	if sep == 0 {
		return []Value{{raw: v.raw, d: v.d, level: level}}
	}
	parts := strings.Split(v.raw, string(sep))
	out := make([]Value, len(parts))
	for i, p := range parts {
		out[i] = Value{raw: p, d: v.d, level: level}
	}
	return out
}

// nth returns the n-th (1-based) part of s split at sep without allocating.
func nth(s string, sep byte, n int) string {
	if n <= 0 {
		return ""
	}
	if sep == 0 {
		if n == 1 {
			return s
		}
		return ""
	}
	for i := 1; i < n; i++ {
		j := strings.IndexByte(s, sep)
		if j < 0 {
			return ""
		}
		s = s[j+1:]
	}
	if j := strings.IndexByte(s, sep); j >= 0 {
		return s[:j]
	}
	return s
}

// Segment returns the first segment named name, or nil.
func (m *Message) Segment(name string) *Segment {
	for _, s := range m.Segments {
		if s.Name() == name {
			return s
		}
	}
	return nil
}

// All returns every segment named name, in order.
func (m *Message) All(name string) []*Segment {
	var out []*Segment
	for _, s := range m.Segments {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

// Header returns the MSH segment (the first segment of a parsed message).
func (m *Message) Header() *Segment {
	if len(m.Segments) == 0 {
		return nil
	}
	return m.Segments[0]
}

// Type returns MSH-9 split into message code, trigger event and message
// structure ("ORU", "R01", "ORU_R01"); structure may be empty before v2.3.1.
func (m *Message) Type() (code, trigger, structure string) {
	h := m.Header()
	if h == nil {
		return "", "", ""
	}
	f := h.Field(9)
	return f.Component(1).String(), f.Component(2).String(), f.Component(3).String()
}

// ControlID returns MSH-10, the message control ID.
func (m *Message) ControlID() string {
	if h := m.Header(); h != nil {
		return h.Field(10).String()
	}
	return ""
}

// Version returns MSH-12.1, the version ID ("2.5.1").
func (m *Message) Version() string {
	if h := m.Header(); h != nil {
		return h.Field(12).Component(1).String()
	}
	return ""
}

// NewMessage returns a message with the given delimiters and charset whose
// segments are appended by the caller (MSH first). Segments built with
// [NewSegment] must use the same delimiters.
func NewMessage(d Delimiters, charset string) *Message {
	return &Message{Delims: d, Charset: charset}
}

// Add appends a new segment with raw fields and returns it.
func (m *Message) Add(name string, fields ...string) *Segment {
	s := NewSegment(m.Delims, name, fields...)
	m.Segments = append(m.Segments, s)
	return s
}
