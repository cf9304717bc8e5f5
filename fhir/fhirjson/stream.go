package fhirjson

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"yigong/fhir"
)

// DefaultMaxLineBytes is the default cap on one NDJSON line (one resource).
const DefaultMaxLineBytes = 64 << 20

// Decoder reads NDJSON (http://hl7.org/fhir/R4/nd-json.html): one resource
// per line, as bulk data export writes them. Blank lines are skipped.
type Decoder struct {
	r       *bufio.Reader
	opts    UnmarshalOptions
	maxLine int
	line    int
	buf     []byte
}

// NewDecoder returns a Decoder reading from r with strict options.
func NewDecoder(r io.Reader) *Decoder {
	return &Decoder{r: bufio.NewReaderSize(r, 64<<10), maxLine: DefaultMaxLineBytes}
}

// SetOptions sets the options used for each resource.
func (d *Decoder) SetOptions(o UnmarshalOptions) { d.opts = o }

// SetMaxLineBytes caps the size of one line; a longer line is an error.
func (d *Decoder) SetMaxLineBytes(n int) { d.maxLine = n }

// Line returns the number of the line of the last resource decoded (1-based).
func (d *Decoder) Line() int { return d.line }

// Decode returns the next resource, or io.EOF after the last one. A resource
// that does not decode yields its *fhir.Error (wrapped with the line number);
// decoding may continue with the next line.
func (d *Decoder) Decode() (*fhir.Node, error) {
	for {
		line, err := d.readLine()
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		n, err := d.opts.Unmarshal(line)
		if err != nil {
			var fe *fhir.Error
			if errors.As(err, &fe) {
				return nil, &fhir.Error{Kind: fe.Kind, Msg: fmt.Sprintf("fhirjson: ndjson line %d: %s", d.line, fe.Msg),
					Issues: fe.Issues, Err: fe.Err}
			}
			return nil, fmt.Errorf("fhirjson: ndjson line %d: %w", d.line, err)
		}
		return n, nil
	}
}

func (d *Decoder) readLine() ([]byte, error) {
	d.buf = d.buf[:0]
	for {
		chunk, err := d.r.ReadSlice('\n')
		d.buf = append(d.buf, chunk...)
		if len(d.buf) > d.maxLine {
			// Skip the rest of the line so that decoding can go on.
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = d.r.ReadSlice('\n')
			}
			d.line++
			return nil, fhir.Errorf(fhir.KindInvalid, "fhirjson: ndjson line %d is longer than %d bytes", d.line, d.maxLine)
		}
		switch {
		case err == nil:
			d.line++
			return d.buf, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(d.buf) == 0 {
				return nil, io.EOF
			}
			d.line++
			return d.buf, nil
		default:
			return nil, fmt.Errorf("fhirjson: ndjson read: %w", err)
		}
	}
}
