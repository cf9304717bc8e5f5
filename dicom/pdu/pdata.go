package pdu

import (
	"encoding/binary"
	"fmt"
)

// PData is the P-DATA-TF PDU (PS3.8 §9.3.5): one or more presentation data
// values.
type PData struct {
	PDVs []PDV
}

// PDV is one presentation data value item with its message control header
// (PS3.8 Annex E.2).
type PDV struct {
	ContextID uint8
	Command   bool // bit 0: command (true) or data set fragment
	Last      bool // bit 1: last fragment of the command or data set
	Data      []byte
}

// PDVHeaderLength is the overhead of one PDV inside a P-DATA-TF body:
// 4-byte item length, context ID, message control header.
const PDVHeaderLength = 6

// Type implements PDU.
func (*PData) Type() Type { return TypePData }

// Encode implements PDU.
func (p *PData) Encode(dst []byte) ([]byte, error) {
	dst, at := appendHeader(dst, TypePData)
	for _, v := range p.PDVs {
		dst = AppendPDV(dst, v.ContextID, v.Command, v.Last, v.Data)
	}
	return finish(dst, at, TypePData)
}

// AppendPDV appends one PDV item to dst.
func AppendPDV(dst []byte, contextID uint8, command, last bool, data []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(data)+2))
	var h byte
	if command {
		h |= 1
	}
	if last {
		h |= 2
	}
	dst = append(dst, contextID, h)
	return append(dst, data...)
}

// AppendPDataHeader appends the header of a P-DATA-TF holding one PDV of n
// data bytes followed by that PDV's own header, so that the caller appends
// the n bytes and has a complete PDU for one Write.
func AppendPDataHeader(dst []byte, contextID uint8, command, last bool, n int) []byte {
	dst = append(dst, byte(TypePData), 0)
	dst = binary.BigEndian.AppendUint32(dst, uint32(n+PDVHeaderLength))
	dst = binary.BigEndian.AppendUint32(dst, uint32(n+2))
	var h byte
	if command {
		h |= 1
	}
	if last {
		h |= 2
	}
	return append(dst, contextID, h)
}

// Decode implements PDU. PDV data aliases body.
func (p *PData) Decode(body []byte) error {
	p.PDVs = p.PDVs[:0]
	for len(body) > 0 {
		if len(body) < PDVHeaderLength {
			return fmt.Errorf("dicom/pdu: decode P-DATA-TF: %d trailing bytes: %w", len(body), ErrMalformed)
		}
		n := binary.BigEndian.Uint32(body)
		if n < 2 || uint64(n) > uint64(len(body)-4) {
			return fmt.Errorf("dicom/pdu: decode P-DATA-TF: PDV length %d with %d bytes left: %w", n, len(body)-4, ErrMalformed)
		}
		h := body[5]
		p.PDVs = append(p.PDVs, PDV{ContextID: body[4], Command: h&1 != 0, Last: h&2 != 0, Data: body[6 : 4+n]})
		body = body[4+n:]
	}
	if len(p.PDVs) == 0 {
		return fmt.Errorf("dicom/pdu: decode P-DATA-TF: no PDV: %w", ErrMalformed)
	}
	return nil
}
