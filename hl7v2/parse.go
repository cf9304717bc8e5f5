package hl7v2

import (
	"bytes"
	"fmt"
	"strings"
)

// Default size caps for untrusted input.
const (
	DefaultMaxMessageSize = 16 << 20 // bytes of one message
	DefaultMaxSegments    = 100000   // segments in one message
)

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// DecodeOptions configures parsing. The zero value is ready to use: MSH-18
// decides the character set, UTF-8 when it is empty, and the default caps
// apply.
type DecodeOptions struct {
	// DefaultCharset applies when MSH-18 is empty or names a set this
	// package does not know ("GBK" for a sender that never fills MSH-18).
	DefaultCharset string
	// Charset, when set, chooses the charset of each message: it receives
	// the sender (read from the raw MSH) and the declared MSH-18 value and
	// returns a charset name, or "" to fall back to MSH-18 and then
	// DefaultCharset. This is how per-sender configuration overrides a
	// sender whose MSH-18 lies.
	Charset func(s Sender, declared string) string
	// MaxMessageSize caps the bytes of one message; 0 means
	// DefaultMaxMessageSize.
	MaxMessageSize int
	// MaxSegments caps the segments of one message; 0 means
	// DefaultMaxSegments.
	MaxSegments int
}

func (o *DecodeOptions) maxSize() int {
	if o.MaxMessageSize > 0 {
		return o.MaxMessageSize
	}
	return DefaultMaxMessageSize
}

func (o *DecodeOptions) maxSegments() int {
	if o.MaxSegments > 0 {
		return o.MaxSegments
	}
	return DefaultMaxSegments
}

// Parse parses exactly one message with the zero DecodeOptions.
func Parse(data []byte) (*Message, error) {
	var o DecodeOptions
	return o.Parse(data)
}

// Parse parses exactly one message: an optional UTF-8 byte order mark, MSH,
// then segments. The charset is chosen (see [DecodeOptions]), the whole
// message is decoded to UTF-8, and only then split at delimiters. A second
// MSH, or a batch segment, is a syntax error; use a [Decoder] for streams.
func (o DecodeOptions) Parse(data []byte) (*Message, error) {
	if len(data) > o.maxSize() {
		return nil, fmt.Errorf("hl7v2: message of %d bytes: %w", len(data), ErrTooLarge)
	}
	m, err := o.parse(data, false)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// parse decodes one message or, with envelope, one batch segment.
func (o *DecodeOptions) parse(data []byte, envelope bool) (*Message, error) {
	m := &Message{}
	if bytes.HasPrefix(data, utf8BOM) {
		m.BOM = true
		data = data[len(utf8BOM):]
	}
	if len(data) < 4 {
		return nil, &SyntaxError{Msg: "message too short for an MSH segment", Segment: 1}
	}
	name := string(data[:3])
	if !isHeader(name) {
		return nil, &SyntaxError{Msg: fmt.Sprintf("message starts with %q, not MSH", printable(data[:3])), Segment: 1}
	}
	if name != "MSH" && !envelope {
		return nil, &SyntaxError{Msg: "batch segment " + name + " where a message was expected", Segment: 1, Sequence: 1, SegmentName: name}
	}
	// MSH-2: up to the next field separator or end of segment.
	fs := data[3]
	encEnd := 4
	for encEnd < len(data) && data[encEnd] != fs && data[encEnd] != '\r' && data[encEnd] != '\n' {
		encEnd++
	}
	d, err := parseDelimiters(fs, string(data[4:encEnd]))
	if err != nil {
		return nil, &SyntaxError{Msg: fmt.Sprintf("invalid delimiters %q", printable(data[3:encEnd])), Segment: 1, Sequence: 1, SegmentName: name, Field: 2, Err: err}
	}
	m.Delims = d
	// Charset: sniff MSH-3, -4, -18 in the raw MSH line.
	lineEnd := bytes.IndexAny(data, "\r\n")
	if lineEnd < 0 {
		lineEnd = len(data)
	}
	ci, err := o.chooseCharset(data[:lineEnd], d, name)
	if err != nil {
		return nil, &SyntaxError{Msg: "character set", Segment: 1, Sequence: 1, SegmentName: name, Field: 18, Err: err}
	}
	m.Charset = ci.name
	text, err := decodeText(ci, data)
	if err != nil {
		return nil, &SyntaxError{Msg: "character set", Segment: 1, Sequence: 1, SegmentName: name, Field: 18, Err: err}
	}
	if err := m.split(text, o.maxSegments(), envelope); err != nil {
		return nil, err
	}
	return m, nil
}

func (o *DecodeOptions) chooseCharset(msh []byte, d Delimiters, name string) (charsetInfo, error) {
	def, defOK := charsetFor(o.DefaultCharset)
	if !defOK {
		return charsetInfo{}, fmt.Errorf("default %q: %w", o.DefaultCharset, ErrUnsupportedCharset)
	}
	if name != "MSH" {
		return def, nil
	}
	sender, declared := sniffHeader(msh, d, def.gb)
	if o.Charset != nil {
		if pick := o.Charset(sender, declared); pick != "" {
			ci, ok := charsetFor(pick)
			if !ok {
				return charsetInfo{}, fmt.Errorf("configured %q: %w", pick, ErrUnsupportedCharset)
			}
			return ci, nil
		}
	}
	if declared != "" {
		if ci, ok := charsetFor(declared); ok {
			return ci, nil
		}
	}
	return def, nil
}

// split cuts the decoded text into segments and fields.
func (m *Message) split(text string, maxSegments int, envelope bool) error {
	d := m.Delims
	fs := string(d.Field)
	counts := map[string]int{}
	for pos := 0; pos < len(text); {
		end := pos
		for end < len(text) && text[end] != '\r' && text[end] != '\n' {
			end++
		}
		content := text[pos:end]
		term := terminatorRun(text, end)
		pos = end + len(term)
		idx := len(m.Segments) + 1
		if idx > maxSegments {
			return &SyntaxError{Msg: fmt.Sprintf("more than %d segments", maxSegments), Segment: idx, Err: ErrTooLarge}
		}
		name := content
		if i := strings.IndexByte(content, d.Field); i >= 0 {
			name = content[:i]
		}
		counts[name]++
		if !validSegmentName(name) {
			return &SyntaxError{Msg: fmt.Sprintf("invalid segment name %q", printable([]byte(name))), Segment: idx, Sequence: counts[name]}
		}
		if idx > 1 && (isHeader(name) || name == "BTS" || name == "FTS") {
			what := "second " + name
			if name != "MSH" {
				what = "batch segment " + name
			}
			return &SyntaxError{Msg: what + " inside a message", Segment: idx, Sequence: counts[name], SegmentName: name}
		}
		if envelope && idx > 1 {
			return &SyntaxError{Msg: "batch segment followed by " + name, Segment: idx, Sequence: counts[name], SegmentName: name}
		}
		seg := &Segment{Terminator: term, d: d}
		if idx == 1 && isHeader(name) {
			rest := ""
			if len(content) > 4 {
				rest = content[4:]
			}
			parts := strings.Split(rest, fs)
			seg.fields = make([]string, 0, len(parts)+2)
			seg.fields = append(seg.fields, name, fs)
			seg.fields = append(seg.fields, parts...)
		} else {
			seg.fields = strings.Split(content, fs)
		}
		m.Segments = append(m.Segments, seg)
	}
	if len(m.Segments) == 0 {
		return &SyntaxError{Msg: "empty message", Segment: 1}
	}
	return nil
}

// terminatorRun returns the segment terminator starting at text[i]: one or
// more CR/LF, plus any following lines holding only spaces and tabs (so that
// blank lines and trailing blanks between segments survive a round trip).
func terminatorRun(text string, i int) string {
	j := i
	for {
		k := j
		for k < len(text) && (text[k] == '\r' || text[k] == '\n') {
			k++
		}
		if k == j {
			break
		}
		j = k
		// a blank-only line continues the terminator
		b := j
		for b < len(text) && (text[b] == ' ' || text[b] == '\t') {
			b++
		}
		if b > j && (b == len(text) || text[b] == '\r' || text[b] == '\n') {
			j = b
		}
	}
	return text[i:j]
}

func validSegmentName(n string) bool {
	if len(n) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		c := n[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return n[0] >= 'A' && n[0] <= 'Z'
}

func printable(b []byte) string {
	if len(b) > 16 {
		b = b[:16]
	}
	return string(bytes.ToValidUTF8(b, []byte("?")))
}

// String returns the message as UTF-8 text, exactly as parsed (segment
// terminators included, byte order mark excluded).
func (m *Message) String() string {
	var b strings.Builder
	for _, s := range m.Segments {
		s.appendTo(&b)
		b.WriteString(s.Terminator)
	}
	return b.String()
}

// Encode returns the message in its character set ([Message.Charset]).
// For a parsed message the result equals the parsed bytes.
func (m *Message) Encode() ([]byte, error) { return m.AppendEncode(nil) }

// AppendEncode appends the encoded message to dst.
func (m *Message) AppendEncode(dst []byte) ([]byte, error) {
	ci, ok := charsetFor(m.Charset)
	if !ok {
		return dst, fmt.Errorf("hl7v2: encode charset %q: %w", m.Charset, ErrUnsupportedCharset)
	}
	if m.BOM {
		dst = append(dst, utf8BOM...)
	}
	return encodeText(dst, ci, m.String())
}
