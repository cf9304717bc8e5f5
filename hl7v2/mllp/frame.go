package mllp

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Framing bytes (HL7 v2.5.1 appendix C.4.3).
const (
	StartBlock     = 0x0B // <SB>, vertical tab
	EndBlock       = 0x1C // <EB>, file separator
	CarriageReturn = 0x0D // <CR>, after <EB>
)

// DefaultMaxFrameSize caps a frame's payload when no other cap is set.
const DefaultMaxFrameSize = 16 << 20

// Errors callers branch on.
var (
	// ErrFrameTooLarge reports a payload over the reader's cap; the rest of
	// the frame has not been read and the stream cannot be resynchronised.
	ErrFrameTooLarge = errors.New("mllp: frame exceeds size limit")
	// ErrFraming reports bytes that break the block format.
	ErrFraming = errors.New("mllp: framing error")
)

// Reader reads MLLP frames from a byte stream.
type Reader struct {
	r   *bufio.Reader
	max int
}

// NewReader returns a frame reader over r accepting payloads of at most
// maxSize bytes (DefaultMaxFrameSize when maxSize <= 0). The cap is checked
// before the payload buffer grows, so a hostile peer cannot make it
// allocate more than maxSize plus one read buffer.
func NewReader(r io.Reader, maxSize int) *Reader {
	if maxSize <= 0 {
		maxSize = DefaultMaxFrameSize
	}
	br, ok := r.(*bufio.Reader)
	if !ok || br.Size() < 4096 {
		br = bufio.NewReaderSize(r, 32<<10)
	}
	return &Reader{r: br, max: maxSize}
}

// waitStart blocks until the first byte of the next frame is available,
// skipping CR, LF, space and NUL between frames (sent by some peers). It
// returns io.EOF at a clean end of stream.
func (fr *Reader) waitStart() error {
	for {
		b, err := fr.r.Peek(1)
		if err != nil {
			return err
		}
		switch b[0] {
		case StartBlock:
			return nil
		case '\r', '\n', ' ', 0:
			fr.r.Discard(1)
		default:
			return fmt.Errorf("%w: byte 0x%02X where a start block was expected", ErrFraming, b[0])
		}
	}
}

// ReadFrame reads one frame and returns its payload (without <SB>, <EB>,
// <CR>). The returned slice is newly allocated and owned by the caller.
// At a clean end of stream it returns io.EOF; a stream ending inside a
// frame gives io.ErrUnexpectedEOF.
func (fr *Reader) ReadFrame() ([]byte, error) {
	if err := fr.waitStart(); err != nil {
		return nil, err
	}
	fr.r.Discard(1) // <SB>
	var payload []byte
	for {
		chunk, err := fr.r.ReadSlice(EndBlock)
		body := chunk
		if err == nil {
			body = chunk[:len(chunk)-1]
		}
		if i := bytes.IndexByte(body, StartBlock); i >= 0 {
			return nil, fmt.Errorf("%w: start block inside a frame at payload byte %d", ErrFraming, len(payload)+i)
		}
		if len(payload)+len(body) > fr.max {
			return nil, fmt.Errorf("mllp: frame over %d bytes: %w", fr.max, ErrFrameTooLarge)
		}
		payload = append(payload, body...)
		switch {
		case err == nil:
			return payload, fr.readTrailer()
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			return nil, io.ErrUnexpectedEOF
		default:
			return nil, err
		}
	}
}

// readTrailer consumes the <CR> after <EB>. A missing <CR> at the end of the
// stream or before the next <SB> is tolerated.
func (fr *Reader) readTrailer() error {
	b, err := fr.r.Peek(1)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return err
	}
	switch b[0] {
	case CarriageReturn:
		fr.r.Discard(1)
		return nil
	case StartBlock:
		return nil
	}
	return fmt.Errorf("%w: byte 0x%02X after end block, want CR", ErrFraming, b[0])
}

// AppendFrame appends payload wrapped in <SB> ... <EB><CR> to dst.
func AppendFrame(dst, payload []byte) []byte {
	dst = append(dst, StartBlock)
	dst = append(dst, payload...)
	return append(dst, EndBlock, CarriageReturn)
}

// Writer writes MLLP frames.
type Writer struct {
	w   io.Writer
	buf []byte
}

// NewWriter returns a frame writer over w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// WriteFrame writes payload as one frame with a single Write call, so a
// peer that reads once per reply sees the whole frame. A payload holding
// <SB> or <EB> cannot be framed and is refused.
func (fw *Writer) WriteFrame(payload []byte) error {
	if bytes.IndexByte(payload, StartBlock) >= 0 || bytes.IndexByte(payload, EndBlock) >= 0 {
		return fmt.Errorf("%w: payload contains a framing byte", ErrFraming)
	}
	fw.buf = AppendFrame(fw.buf[:0], payload)
	_, err := fw.w.Write(fw.buf)
	if err != nil {
		return fmt.Errorf("mllp: write frame: %w", err)
	}
	return nil
}
