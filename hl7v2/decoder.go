package hl7v2

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Decoder reads HL7 v2 messages one by one from a stream: a file of
// messages, a batch (FHS/BHS ... BTS/FTS) or the concatenated payloads of
// MLLP frames. Messages are cut at byte level at segment starts ("MSH",
// "FHS", "BHS", "BTS", "FTS" after a CR or LF), which is safe in every
// supported charset because CR and LF never occur inside GBK, GB18030 or
// UTF-8 multi-byte characters; each message is then decoded and split as
// by [DecodeOptions.Parse].
type Decoder struct {
	r      *bufio.Reader
	opts   DecodeOptions
	next   []byte // lookahead line (content+terminator) that starts the next message
	offset int64  // bytes consumed from r
	start  int64  // offset of the message being built
	err    error  // sticky I/O or size error
	delims Delimiters
	header *Segment // last FHS
	batch  *Segment // last BHS
	first  bool
}

// NewDecoder returns a decoder reading from r with the zero DecodeOptions.
func NewDecoder(r io.Reader) *Decoder {
	var o DecodeOptions
	return o.NewDecoder(r)
}

// NewDecoder returns a decoder reading from r with options o.
func (o DecodeOptions) NewDecoder(r io.Reader) *Decoder {
	return &Decoder{r: bufio.NewReaderSize(r, 64<<10), opts: o, delims: DefaultDelimiters, first: true}
}

// InputOffset returns the byte offset in the input of the end of the last
// message returned (or of the lookahead segment start).
func (d *Decoder) InputOffset() int64 { return d.start }

// Batch returns the last file header (FHS) and batch header (BHS) seen,
// either of which may be nil, so a caller can tell which batch the last
// message came from.
func (d *Decoder) Batch() (fhs, bhs *Segment) { return d.header, d.batch }

// More reports whether another message or envelope segment may follow.
func (d *Decoder) More() bool {
	if d.err != nil {
		return false
	}
	if d.next != nil {
		return true
	}
	if err := d.fill(); err != nil {
		return false
	}
	return d.next != nil
}

// Decode returns the next message, or io.EOF at the end of the input.
// Batch envelope segments are consumed and available through
// [Decoder.Batch]. A *SyntaxError for one message is not sticky: the bytes
// of that message have been consumed and the next call continues with the
// following message. I/O errors and ErrTooLarge are sticky.
func (d *Decoder) Decode() (*Message, error) {
	for {
		m, env, err := d.decodeItem()
		if err != nil {
			return nil, err
		}
		if m != nil {
			return m, nil
		}
		switch env.Name() {
		case "FHS":
			d.header = env
		case "BHS":
			d.batch = env
		}
	}
}

// fill reads the lookahead line, skipping blank lines between messages.
func (d *Decoder) fill() error {
	for d.next == nil {
		line, err := d.readLine(d.opts.maxSize())
		if len(line) > 0 {
			if d.first && bytes.HasPrefix(line, utf8BOM) {
				// keep the BOM with the first message
			} else if len(bytes.TrimSpace(line)) == 0 {
				if err != nil {
					return d.setErr(err)
				}
				continue
			}
			d.first = false
			d.next = line
			return nil
		}
		if err != nil {
			return d.setErr(err)
		}
	}
	return nil
}

func (d *Decoder) setErr(err error) error {
	if err == io.EOF {
		return err
	}
	if d.err == nil {
		d.err = err
	}
	return d.err
}

// decodeItem returns either a message or an envelope segment.
func (d *Decoder) decodeItem() (*Message, *Segment, error) {
	if d.err != nil {
		return nil, nil, d.err
	}
	if err := d.fill(); err != nil {
		return nil, nil, err
	}
	first := d.next
	d.next = nil
	d.start = d.offset - int64(len(first))
	name := segmentPrefix(first)
	switch name {
	case "FHS", "BHS", "BTS", "FTS":
		seg, err := d.parseEnvelope(first, name)
		if err != nil {
			return nil, nil, err
		}
		return nil, seg, nil
	case "MSH":
	default:
		err := &SyntaxError{Msg: fmt.Sprintf("expected MSH, found %q", printable(first[:min(len(first), 3)])), Segment: 1, Offset: d.start}
		// skip to the next message start
		if ferr := d.skipToNext(); ferr != nil && ferr != io.EOF {
			return nil, nil, ferr
		}
		return nil, nil, err
	}
	buf := append([]byte(nil), first...)
	limit := d.opts.maxSize()
	for {
		line, err := d.readLine(limit - len(buf))
		if len(line) > 0 {
			if isStart(line) {
				d.next = line
				break
			}
			buf = append(buf, line...)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, d.setErr(err)
		}
	}
	m, err := d.opts.parse(buf, false)
	if err != nil {
		var se *SyntaxError
		if errors.As(err, &se) {
			se.Offset = d.start
		}
		return nil, nil, err
	}
	d.delims = m.Delims
	return m, nil, nil
}

func (d *Decoder) skipToNext() error {
	for {
		line, err := d.readLine(d.opts.maxSize())
		if len(line) > 0 && isStart(line) {
			d.next = line
			return nil
		}
		if err != nil {
			return d.setErr(err)
		}
	}
}

func (d *Decoder) parseEnvelope(line []byte, name string) (*Segment, error) {
	if name == "FHS" || name == "BHS" {
		m, err := d.opts.parse(line, true)
		if err != nil {
			var se *SyntaxError
			if errors.As(err, &se) {
				se.Offset = d.start
			}
			return nil, err
		}
		d.delims = m.Delims
		return m.Segments[0], nil
	}
	// BTS, FTS: split with the current delimiters.
	m := &Message{Delims: d.delims}
	ci, ok := charsetFor(d.opts.DefaultCharset)
	if !ok {
		return nil, fmt.Errorf("hl7v2: default charset %q: %w", d.opts.DefaultCharset, ErrUnsupportedCharset)
	}
	text, err := decodeText(ci, line)
	if err != nil {
		return nil, err
	}
	if err := m.split(text, 1, true); err != nil {
		return nil, err
	}
	return m.Segments[0], nil
}

func segmentPrefix(line []byte) string {
	line = bytes.TrimPrefix(line, utf8BOM)
	if len(line) < 3 {
		return ""
	}
	return string(line[:3])
}

// isStart reports whether a line starts a message or envelope segment: the
// three letters followed by a delimiter-like byte (or the end of the line).
func isStart(line []byte) bool {
	if len(line) < 3 {
		return false
	}
	switch string(line[:3]) {
	case "MSH", "FHS", "BHS", "BTS", "FTS":
	default:
		return false
	}
	return len(line) == 3 || !(line[3] >= 'A' && line[3] <= 'Z' || line[3] >= '0' && line[3] <= '9')
}

// readLine reads one segment with its CR/LF terminator run, at most limit
// bytes. It returns io.EOF with the last (possibly unterminated) line.
func (d *Decoder) readLine(limit int) ([]byte, error) {
	var line []byte
	inTerm := false
	for {
		buf, err := d.r.Peek(1)
		if len(buf) == 0 {
			if err == nil {
				err = io.EOF
			}
			return line, err
		}
		n := d.r.Buffered()
		buf, _ = d.r.Peek(n)
		i := 0
		if !inTerm {
			j := bytes.IndexAny(buf, "\r\n")
			if j < 0 {
				i = len(buf)
			} else {
				i = j
				inTerm = true
			}
		}
		if inTerm {
			for i < len(buf) && (buf[i] == '\r' || buf[i] == '\n') {
				i++
			}
		}
		if len(line)+i > limit {
			return line, fmt.Errorf("hl7v2: message over %d bytes: %w", d.opts.maxSize(), ErrTooLarge)
		}
		line = append(line, buf[:i]...)
		d.r.Discard(i)
		d.offset += int64(i)
		if inTerm && i < len(buf) {
			return line, nil
		}
	}
}
