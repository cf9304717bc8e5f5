package pdu

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Type is the PDU type byte (PS3.8 Table 9-11).
type Type uint8

// PDU types.
const (
	TypeAssociateRQ Type = 0x01
	TypeAssociateAC Type = 0x02
	TypeAssociateRJ Type = 0x03
	TypePData       Type = 0x04
	TypeReleaseRQ   Type = 0x05
	TypeReleaseRP   Type = 0x06
	TypeAbort       Type = 0x07
)

var typeNames = [...]string{"", "A-ASSOCIATE-RQ", "A-ASSOCIATE-AC", "A-ASSOCIATE-RJ", "P-DATA-TF", "A-RELEASE-RQ", "A-RELEASE-RP", "A-ABORT"}

func (t Type) String() string {
	if int(t) < len(typeNames) && t != 0 {
		return typeNames[t]
	}
	return fmt.Sprintf("PDU type 0x%02X", uint8(t))
}

// HeaderLength is the size of the PDU header: type, reserved, 4-byte length.
const HeaderLength = 6

// MaxControlLength caps PDUs other than P-DATA-TF (association negotiation,
// release, abort) in a [Reader]: 1 MiB holds 128 presentation contexts with
// dozens of transfer syntaxes each.
const MaxControlLength = 1 << 20

// Errors callers may branch on.
var (
	// ErrMalformed reports bytes that break PS3.8 §9.3.
	ErrMalformed = errors.New("malformed PDU")
	// ErrTooLong reports a PDU longer than the reader's maximum; nothing of
	// that size was allocated.
	ErrTooLong = errors.New("PDU length exceeds maximum")
	// ErrUnknownType reports a PDU type byte not in PS3.8 Table 9-11.
	ErrUnknownType = errors.New("unknown PDU type")
)

// PDU is one protocol data unit.
type PDU interface {
	// Type returns the PDU type byte.
	Type() Type
	// Encode appends the whole PDU (header and body) to dst.
	Encode(dst []byte) ([]byte, error)
	// Decode parses the PDU body (without the 6-byte header).
	Decode(body []byte) error
}

// Interface guards.
var (
	_ PDU = (*AssociateRQ)(nil)
	_ PDU = (*AssociateAC)(nil)
	_ PDU = (*AssociateRJ)(nil)
	_ PDU = (*PData)(nil)
	_ PDU = (*ReleaseRQ)(nil)
	_ PDU = (*ReleaseRP)(nil)
	_ PDU = (*Abort)(nil)
)

// New returns an empty PDU of type t.
func New(t Type) (PDU, error) {
	switch t {
	case TypeAssociateRQ:
		return &AssociateRQ{}, nil
	case TypeAssociateAC:
		return &AssociateAC{}, nil
	case TypeAssociateRJ:
		return &AssociateRJ{}, nil
	case TypePData:
		return &PData{}, nil
	case TypeReleaseRQ:
		return &ReleaseRQ{}, nil
	case TypeReleaseRP:
		return &ReleaseRP{}, nil
	case TypeAbort:
		return &Abort{}, nil
	}
	return nil, fmt.Errorf("dicom/pdu: type 0x%02X: %w", uint8(t), ErrUnknownType)
}

// Decode parses one whole PDU (header and body) from b and returns it with
// the number of bytes used.
func Decode(b []byte) (PDU, int, error) {
	if len(b) < HeaderLength {
		return nil, 0, fmt.Errorf("dicom/pdu: %d bytes is shorter than a PDU header: %w", len(b), ErrMalformed)
	}
	n := binary.BigEndian.Uint32(b[2:6])
	if uint64(n) > uint64(len(b)-HeaderLength) {
		return nil, 0, fmt.Errorf("dicom/pdu: %s length %d exceeds the %d bytes given: %w", Type(b[0]), n, len(b)-HeaderLength, ErrMalformed)
	}
	p, err := New(Type(b[0]))
	if err != nil {
		return nil, 0, err
	}
	if err := p.Decode(b[HeaderLength : HeaderLength+int(n)]); err != nil {
		return nil, 0, err
	}
	return p, HeaderLength + int(n), nil
}

// appendHeader appends a PDU header with a zero length and returns the
// offset of the length field, patched by finish.
func appendHeader(dst []byte, t Type) ([]byte, int) {
	dst = append(dst, byte(t), 0, 0, 0, 0, 0)
	return dst, len(dst) - 4
}

func finish(dst []byte, at int, t Type) ([]byte, error) {
	n := len(dst) - at - 4
	if uint64(n) > 0xFFFFFFFF {
		return nil, fmt.Errorf("dicom/pdu: encode %s: body of %d bytes is too long", t, n)
	}
	binary.BigEndian.PutUint32(dst[at:], uint32(n))
	return dst, nil
}

// Reader reads PDUs from a stream, checking each length against a maximum
// before allocating (PS3.8 §9.3.1). It keeps one buffer that grows to the
// largest PDU seen; values returned by Next alias it.
type Reader struct {
	r        io.Reader
	maxPData uint32
	hdr      [HeaderLength]byte
	buf      []byte
}

// NewReader returns a Reader over r accepting P-DATA-TF bodies up to
// maxPData bytes (the local Maximum Length; 0 means MaxControlLength) and
// other PDUs up to MaxControlLength.
func NewReader(r io.Reader, maxPData uint32) *Reader {
	if maxPData == 0 {
		maxPData = MaxControlLength
	}
	return &Reader{r: r, maxPData: maxPData}
}

// SetMaxPData changes the cap on P-DATA-TF bodies.
func (r *Reader) SetMaxPData(n uint32) {
	if n == 0 {
		n = MaxControlLength
	}
	r.maxPData = n
}

// NextRaw reads one PDU and returns its type and body. The body aliases the
// reader's buffer and is valid until the next call.
func (r *Reader) NextRaw() (Type, []byte, error) {
	if _, err := io.ReadFull(r.r, r.hdr[:]); err != nil {
		return 0, nil, err
	}
	t := Type(r.hdr[0])
	n := binary.BigEndian.Uint32(r.hdr[2:])
	limit := uint32(MaxControlLength)
	switch t {
	case TypePData:
		limit = r.maxPData
	case TypeAssociateRQ, TypeAssociateAC, TypeAssociateRJ, TypeReleaseRQ, TypeReleaseRP, TypeAbort:
	default:
		return t, nil, fmt.Errorf("dicom/pdu: read: type 0x%02X: %w", uint8(t), ErrUnknownType)
	}
	if n > limit {
		return t, nil, fmt.Errorf("dicom/pdu: read %s: length %d over maximum %d: %w", t, n, limit, ErrTooLong)
	}
	if cap(r.buf) < int(n) {
		r.buf = make([]byte, n)
	}
	r.buf = r.buf[:n]
	if _, err := io.ReadFull(r.r, r.buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return t, nil, fmt.Errorf("dicom/pdu: read %s body of %d bytes: %w", t, n, err)
	}
	return t, r.buf, nil
}

// Next reads and decodes one PDU. Byte slices inside it (PDV data, user
// identity values) alias the reader's buffer until the next call.
func (r *Reader) Next() (PDU, error) {
	t, body, err := r.NextRaw()
	if err != nil {
		return nil, err
	}
	p, err := New(t)
	if err != nil {
		return nil, err
	}
	if err := p.Decode(body); err != nil {
		return nil, err
	}
	return p, nil
}

// item walks the items of a variable field: type(1) reserved(1) length(2).
type itemIter struct {
	b   []byte
	err error
	ctx string
}

func (it *itemIter) next() (byte, []byte, bool) {
	if it.err != nil || len(it.b) == 0 {
		return 0, nil, false
	}
	if len(it.b) < 4 {
		it.err = fmt.Errorf("dicom/pdu: %s: %d trailing bytes: %w", it.ctx, len(it.b), ErrMalformed)
		return 0, nil, false
	}
	t := it.b[0]
	n := int(binary.BigEndian.Uint16(it.b[2:4]))
	if n > len(it.b)-4 {
		it.err = fmt.Errorf("dicom/pdu: %s: item 0x%02X length %d exceeds the %d bytes left: %w", it.ctx, t, n, len(it.b)-4, ErrMalformed)
		return 0, nil, false
	}
	v := it.b[4 : 4+n]
	it.b = it.b[4+n:]
	return t, v, true
}

// appendItem appends an item header and value.
func appendItem(dst []byte, t byte, v []byte) ([]byte, error) {
	if len(v) > 0xFFFF {
		return nil, fmt.Errorf("dicom/pdu: item 0x%02X: value of %d bytes over 65535", t, len(v))
	}
	dst = append(dst, t, 0)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(v)))
	return append(dst, v...), nil
}

// beginItem appends an item header with zero length; endItem patches it.
func beginItem(dst []byte, t byte) ([]byte, int) {
	dst = append(dst, t, 0, 0, 0)
	return dst, len(dst) - 2
}

func endItem(dst []byte, at int, t byte) ([]byte, error) {
	n := len(dst) - at - 2
	if n > 0xFFFF {
		return nil, fmt.Errorf("dicom/pdu: item 0x%02X: value of %d bytes over 65535", t, n)
	}
	binary.BigEndian.PutUint16(dst[at:], uint16(n))
	return dst, nil
}

// trimUID removes the trailing NUL or space some implementations pad UIDs with.
func trimUID(b []byte) string {
	for len(b) > 0 && (b[len(b)-1] == 0 || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return string(b)
}
