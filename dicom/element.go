package dicom

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"yigong/dicom/charset"
)

// ErrNoValue is returned by value accessors on an element with no value.
var ErrNoValue = errors.New("dicom: element has no value")

// ErrValueNotLoaded is returned by value accessors on bulk data that the
// reader left in the stream (see [BulkData]).
var ErrValueNotLoaded = errors.New("dicom: value not loaded")

// Element is one data element (PS3.5 §7.1). Like pydicom's RawDataElement it
// keeps the bytes as read; values are decoded when asked for, with the
// character set of the dataset it was read from.
type Element struct {
	Tag Tag
	VR  VR
	// Length is the value length as encoded: UndefinedLength for sequences
	// and encapsulated pixel data delimited by an item, or the length of Raw.
	Length uint32
	// Offset is the position of the element's tag in the stream it was read
	// from (for deflated data, in the inflated stream); -1 when built in memory.
	Offset int64
	// Raw holds the value bytes, padding included, in the byte order given
	// by BigEndian. It is nil for sequences, encapsulated pixel data and
	// bulk data left unread.
	Raw []byte
	// BigEndian tells the byte order of binary values in Raw.
	BigEndian bool
	// Items holds the items of a sequence (SQ, or UN of undefined length,
	// which PS3.5 §6.2.2 says is implicit VR little endian).
	Items []*Dataset
	// Fragments holds encapsulated pixel data (PS3.5 §A.4).
	Fragments *Fragments
	// Bulk describes a value the reader left in the stream.
	Bulk *BulkData

	cs *charset.Set
}

// Fragments is encapsulated pixel data: the Basic Offset Table (the first
// item, possibly empty) and the fragments that follow it.
type Fragments struct {
	OffsetTable []byte
	Items       [][]byte
}

// Offsets decodes the Basic Offset Table: the byte offset of each frame's
// first fragment, relative to the first fragment's item tag.
func (f *Fragments) Offsets() []uint32 {
	out := make([]uint32, len(f.OffsetTable)/4)
	for i := range out {
		out[i] = binary.LittleEndian.Uint32(f.OffsetTable[4*i:])
	}
	return out
}

// BulkData is a value left in the stream: Offset is where the value starts
// (after the header), Length its length in bytes (for undefined-length
// encapsulated pixel data, up to and including the sequence delimiter).
type BulkData struct {
	Offset int64
	Length int64
	// Source reads the value when the reader was given an io.ReaderAt and
	// the data was not deflated; otherwise nil.
	Source io.ReaderAt
	// URI locates the value elsewhere (a DICOM JSON BulkDataURI).
	URI string
}

// Reader returns a reader over the value, or nil when no source is kept.
func (b *BulkData) Reader() *io.SectionReader {
	if b == nil || b.Source == nil {
		return nil
	}
	return io.NewSectionReader(b.Source, b.Offset, b.Length)
}

// NewElement returns an element with raw value bytes in little-endian
// order (padded to even length by the writer), decoded with cs.
func NewElement(t Tag, vr VR, raw []byte, cs *charset.Set) *Element {
	return &Element{Tag: t, VR: vr, Length: uint32(len(raw)), Offset: -1, Raw: raw, cs: cs}
}

// NewSequence returns a sequence element holding items.
func NewSequence(t Tag, items ...*Dataset) *Element {
	return &Element{Tag: t, VR: SQ, Length: UndefinedLength, Offset: -1, Items: items}
}

// Charset returns the character set the element's text decodes with.
func (e *Element) Charset() *charset.Set {
	if e.cs == nil {
		return charset.Default()
	}
	return e.cs
}

// SetCharset sets the character set used to decode the element's text.
func (e *Element) SetCharset(cs *charset.Set) { e.cs = cs }

// Keyword returns the dictionary keyword of the element's tag, or "".
func (e *Element) Keyword() string { return Keyword(e.Tag) }

// ValueVR is the VR that decodes the value: the element's VR, or for UN
// the dictionary VR when the tag is known (PS3.5 §6.2.2).
func (e *Element) ValueVR() VR {
	if e.VR == UN {
		if d, ok := LookupTag(e.Tag); ok && d.VR() != 0 && d.VR() != SQ {
			return d.VR()
		}
	}
	return e.VR
}

func (e *Element) order() binary.ByteOrder {
	if e.BigEndian {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

func (e *Element) checkLoaded() error {
	if e.Raw == nil && e.Bulk != nil {
		return fmt.Errorf("dicom: element %s: %w", e.Tag, ErrValueNotLoaded)
	}
	return nil
}

// VM returns the value multiplicity: the number of values (items for a
// sequence, frames-independent 1 for pixel data and other OB/OW/UN).
func (e *Element) VM() int {
	switch vr := e.ValueVR(); {
	case vr == SQ:
		return len(e.Items)
	case e.Raw == nil && (e.Bulk != nil || e.Fragments != nil):
		return 1
	case len(e.Raw) == 0:
		return 0
	case vr.IsText():
		if !vr.IsMultiValued() {
			return 1
		}
		s, _ := e.Strings()
		return len(s)
	case vr == OB || vr == UN || vr.WordSize() == 0 || vr == OW || vr == OF || vr == OD || vr == OL || vr == OV:
		return 1
	default:
		return len(e.Raw) / vr.WordSize()
	}
}

// trimText removes padding: trailing spaces and NULs always, leading spaces
// too except for the free-text VRs whose leading spaces are significant.
func trimText(vr VR, s string) string {
	s = strings.TrimRight(s, " \x00")
	switch vr {
	case LT, ST, UT, UR:
		return s
	}
	return strings.TrimLeft(s, " ")
}

// Strings returns the values as strings. Text is decoded with the element's
// character set first and only then split on "\" (PS3.5 §6.1.2.5.3), so a
// GB18030 or GBK trail byte 0x5C never splits a value. Binary values are
// formatted in decimal (AT as "(gggg,eeee)"); OB/OW/UN return one string of
// the raw bytes in hex pairs.
func (e *Element) Strings() ([]string, error) {
	if err := e.checkLoaded(); err != nil {
		return nil, err
	}
	vr := e.ValueVR()
	if len(e.Raw) == 0 {
		return nil, nil
	}
	if vr.IsText() {
		var s string
		switch {
		case vr == PN:
			s = e.Charset().DecodePN(e.Raw)
		case vr.UsesCharset():
			s = e.Charset().Decode(e.Raw)
		default:
			s = string(e.Raw)
		}
		if !vr.IsMultiValued() {
			return []string{trimText(vr, s)}, nil
		}
		parts := strings.Split(s, `\`)
		for i := range parts {
			parts[i] = trimText(vr, parts[i])
		}
		return parts, nil
	}
	switch vr {
	case AT:
		ts, err := e.Tags()
		if err != nil {
			return nil, err
		}
		out := make([]string, len(ts))
		for i, t := range ts {
			out[i] = t.String()
		}
		return out, nil
	case FL, FD, OF, OD:
		fs, err := e.Floats()
		if err != nil {
			return nil, err
		}
		out := make([]string, len(fs))
		for i, f := range fs {
			out[i] = strconv.FormatFloat(f, 'g', -1, 64)
		}
		return out, nil
	case US, SS, UL, SL, SV, UV:
		if vr == UV {
			n := len(e.Raw) / 8
			out := make([]string, n)
			for i := range out {
				out[i] = strconv.FormatUint(e.order().Uint64(e.Raw[8*i:]), 10)
			}
			return out, nil
		}
		is, err := e.Ints()
		if err != nil {
			return nil, err
		}
		out := make([]string, len(is))
		for i, v := range is {
			out[i] = strconv.FormatInt(v, 10)
		}
		return out, nil
	}
	return []string{fmt.Sprintf("%x", e.Raw)}, nil
}

// String returns the first value as a string, or "" when there is none.
// It is meant for display and indexing; use [Element.Strings] to see errors.
func (e *Element) String() string {
	s, _ := e.Strings()
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func (e *Element) binaryCount(size int) (int, error) {
	if len(e.Raw)%size != 0 {
		return 0, fmt.Errorf("dicom: element %s %s: length %d is not a multiple of %d", e.Tag, e.VR, len(e.Raw), size)
	}
	return len(e.Raw) / size, nil
}

// Ints returns integer values: US, SS, UL, SL, SV, UV (UV above MaxInt64
// is an error), IS (decimal text), and OW/OL/OV words read unsigned.
func (e *Element) Ints() ([]int64, error) {
	if err := e.checkLoaded(); err != nil {
		return nil, err
	}
	vr := e.ValueVR()
	if vr == IS {
		ss, err := e.Strings()
		if err != nil {
			return nil, err
		}
		out := make([]int64, 0, len(ss))
		for _, s := range ss {
			if s == "" {
				continue
			}
			v, err := strconv.ParseInt(strings.TrimPrefix(s, "+"), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("dicom: element %s IS: value %q: %w", e.Tag, s, err)
			}
			out = append(out, v)
		}
		return out, nil
	}
	size := vr.WordSize()
	if size == 0 || vr == FL || vr == FD || vr == OF || vr == OD || vr == AT {
		return nil, fmt.Errorf("dicom: element %s: %s has no integer values", e.Tag, vr)
	}
	n, err := e.binaryCount(size)
	if err != nil {
		return nil, err
	}
	o := e.order()
	out := make([]int64, n)
	for i := range out {
		b := e.Raw[i*size:]
		switch vr {
		case US, OW:
			out[i] = int64(o.Uint16(b))
		case SS:
			out[i] = int64(int16(o.Uint16(b)))
		case UL, OL:
			out[i] = int64(o.Uint32(b))
		case SL:
			out[i] = int64(int32(o.Uint32(b)))
		case SV:
			out[i] = int64(o.Uint64(b))
		case UV, OV:
			u := o.Uint64(b)
			if u > math.MaxInt64 {
				return nil, fmt.Errorf("dicom: element %s %s: value %d overflows int64", e.Tag, vr, u)
			}
			out[i] = int64(u)
		}
	}
	return out, nil
}

// Int returns the first integer value.
func (e *Element) Int() (int64, error) {
	v, err := e.Ints()
	if err != nil {
		return 0, err
	}
	if len(v) == 0 {
		return 0, fmt.Errorf("dicom: element %s: %w", e.Tag, ErrNoValue)
	}
	return v[0], nil
}

// Floats returns floating-point values: FL, FD, OF, OD, DS (decimal text),
// and the integer VRs converted.
func (e *Element) Floats() ([]float64, error) {
	if err := e.checkLoaded(); err != nil {
		return nil, err
	}
	vr := e.ValueVR()
	switch vr {
	case DS, IS:
		ss, err := e.Strings()
		if err != nil {
			return nil, err
		}
		out := make([]float64, 0, len(ss))
		for _, s := range ss {
			if s == "" {
				continue
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return nil, fmt.Errorf("dicom: element %s %s: value %q: %w", e.Tag, vr, s, err)
			}
			out = append(out, v)
		}
		return out, nil
	case FL, OF:
		n, err := e.binaryCount(4)
		if err != nil {
			return nil, err
		}
		out := make([]float64, n)
		for i := range out {
			out[i] = float64(math.Float32frombits(e.order().Uint32(e.Raw[4*i:])))
		}
		return out, nil
	case FD, OD:
		n, err := e.binaryCount(8)
		if err != nil {
			return nil, err
		}
		out := make([]float64, n)
		for i := range out {
			out[i] = math.Float64frombits(e.order().Uint64(e.Raw[8*i:]))
		}
		return out, nil
	}
	is, err := e.Ints()
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(is))
	for i, v := range is {
		out[i] = float64(v)
	}
	return out, nil
}

// Float returns the first floating-point value.
func (e *Element) Float() (float64, error) {
	v, err := e.Floats()
	if err != nil {
		return 0, err
	}
	if len(v) == 0 {
		return 0, fmt.Errorf("dicom: element %s: %w", e.Tag, ErrNoValue)
	}
	return v[0], nil
}

// Tags returns the values of an AT element.
func (e *Element) Tags() ([]Tag, error) {
	if e.ValueVR() != AT {
		return nil, fmt.Errorf("dicom: element %s: %s is not AT", e.Tag, e.VR)
	}
	n, err := e.binaryCount(4)
	if err != nil {
		return nil, err
	}
	o := e.order()
	out := make([]Tag, n)
	for i := range out {
		out[i] = NewTag(o.Uint16(e.Raw[4*i:]), o.Uint16(e.Raw[4*i+2:]))
	}
	return out, nil
}

// PersonNames returns the values of a PN element, each split into its
// alphabetic, ideographic and phonetic groups after decoding.
func (e *Element) PersonNames() ([]PersonName, error) {
	if e.ValueVR() != PN {
		return nil, fmt.Errorf("dicom: element %s: %s is not PN", e.Tag, e.VR)
	}
	ss, err := e.Strings()
	if err != nil {
		return nil, err
	}
	out := make([]PersonName, len(ss))
	for i, s := range ss {
		out[i] = ParsePersonName(s)
	}
	return out, nil
}

// PersonName returns the first value of a PN element.
func (e *Element) PersonName() (PersonName, error) {
	pns, err := e.PersonNames()
	if err != nil {
		return PersonName{}, err
	}
	if len(pns) == 0 {
		return PersonName{}, fmt.Errorf("dicom: element %s: %w", e.Tag, ErrNoValue)
	}
	return pns[0], nil
}

// Bytes returns the raw value bytes converted to little-endian order.
func (e *Element) Bytes() ([]byte, error) {
	if err := e.checkLoaded(); err != nil {
		return nil, err
	}
	if !e.BigEndian {
		return e.Raw, nil
	}
	return SwapBytes(e.ValueVR(), e.Raw), nil
}

// SwapBytes returns a copy of raw with each binary value of vr byte-swapped
// (little endian to big endian or back). Text, OB and UN are copied as is.
func SwapBytes(vr VR, raw []byte) []byte {
	out := append([]byte(nil), raw...)
	n := vr.WordSize()
	if n <= 1 || vr.IsText() {
		return out
	}
	if vr == AT {
		n = 2
	}
	for i := 0; i+n <= len(out); i += n {
		for a, b := i, i+n-1; a < b; a, b = a+1, b-1 {
			out[a], out[b] = out[b], out[a]
		}
	}
	return out
}
