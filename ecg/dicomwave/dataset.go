package dicomwave

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// tag is a DICOM tag, group in the high 16 bits.
type tag uint32

func (t tag) String() string { return fmt.Sprintf("(%04X,%04X)", uint32(t)>>16, uint32(t)&0xffff) }

const (
	tagItem          tag = 0xFFFEE000
	tagItemDelim     tag = 0xFFFEE00D
	tagSeqDelim      tag = 0xFFFEE0DD
	tagTransferSyntx tag = 0x00020010
	tagPixelData     tag = 0x7FE00010
	undefinedLength      = 0xFFFFFFFF
)

// element is one data element; a sequence has items instead of a value.
type element struct {
	tag   tag
	vr    string
	value []byte
	items []*dataset
}

type dataset struct{ elems []element }

func (d *dataset) get(t tag) *element {
	if d == nil {
		return nil
	}
	for i := range d.elems {
		if d.elems[i].tag == t {
			return &d.elems[i]
		}
	}
	return nil
}

// str returns a string value, trailing padding removed.
func (d *dataset) str(t tag) string {
	e := d.get(t)
	if e == nil {
		return ""
	}
	return strings.TrimRight(string(e.value), " \x00")
}

// float reads the first value of a DS or IS element.
func (d *dataset) float(t tag) (float64, bool) {
	s := d.str(t)
	if i := strings.IndexByte(s, '\\'); i >= 0 {
		s = s[:i]
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return f, err == nil
}

// u16 reads a US element.
func (d *dataset) u16(t tag) (int, bool) {
	e := d.get(t)
	if e == nil || len(e.value) < 2 {
		return 0, false
	}
	return int(binary.LittleEndian.Uint16(e.value)), true
}

// u32 reads a UL element.
func (d *dataset) u32(t tag) (int64, bool) {
	e := d.get(t)
	if e == nil || len(e.value) < 4 {
		return 0, false
	}
	return int64(binary.LittleEndian.Uint32(e.value)), true
}

// seq returns a sequence's items.
func (d *dataset) seq(t tag) []*dataset {
	if e := d.get(t); e != nil {
		return e.items
	}
	return nil
}

// sqTags are the sequences this reader descends into when the transfer
// syntax is implicit VR and the length is defined (PS3.6 names them SQ).
var sqTags = map[tag]bool{
	0x54000100: true, // Waveform Sequence
	0x003A0200: true, // Channel Definition Sequence
	0x003A0208: true, // Channel Source Sequence
	0x003A0209: true, // Channel Source Modifiers Sequence
	0x003A0211: true, // Channel Sensitivity Units Sequence
	0x0040B020: true, // Waveform Annotation Sequence
	0x0040A043: true, // Concept Name Code Sequence
	0x0040A168: true, // Concept Code Sequence
	0x004008EA: true, // Measurement Units Code Sequence
	0x00081032: true, // Procedure Code Sequence
	0x00400260: true, // Performed Protocol Code Sequence
}

// longVR are the explicit VRs with a 2-byte reserved field and a 4-byte
// length (PS3.5 §7.1.2).
func longVR(vr string) bool {
	switch vr {
	case "OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV":
		return true
	}
	return false
}

const maxDepth = 32

type parser struct {
	b        []byte
	p        int
	explicit bool
	elements int
}

// maxElements caps the number of elements (and items) in one file.
const maxElements = 1 << 20

var errTruncated = errors.New("truncated")

// parse reads elements until the end of the buffer, an item delimiter
// (when inItem) or the end offset.
func (ps *parser) parse(end int, depth int, inItem bool) (*dataset, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("sequences nested deeper than %d", maxDepth)
	}
	ds := &dataset{}
	for ps.p < end {
		if ps.elements++; ps.elements > maxElements {
			return nil, fmt.Errorf("more than %d elements", maxElements)
		}
		if ps.p+8 > end {
			return nil, fmt.Errorf("element header at %d: %w", ps.p, errTruncated)
		}
		b := ps.b[ps.p:]
		t := tag(uint32(binary.LittleEndian.Uint16(b))<<16 | uint32(binary.LittleEndian.Uint16(b[2:])))
		if t == tagItemDelim {
			ps.p += 8
			if !inItem {
				return nil, fmt.Errorf("item delimiter at %d outside an item", ps.p-8)
			}
			return ds, nil
		}
		var vr string
		var length uint32
		// Group 0002 and the delimitation tags are always explicit or
		// headerless respectively.
		explicit := ps.explicit || uint32(t)>>16 == 2
		if explicit && uint32(t)>>16 != 0xFFFE {
			vr = string(b[4:6])
			if longVR(vr) {
				if ps.p+12 > end {
					return nil, fmt.Errorf("element %s at %d: %w", t, ps.p, errTruncated)
				}
				length = binary.LittleEndian.Uint32(b[8:])
				ps.p += 12
			} else {
				length = uint32(binary.LittleEndian.Uint16(b[6:]))
				ps.p += 8
			}
		} else {
			length = binary.LittleEndian.Uint32(b[4:])
			ps.p += 8
		}
		isSeq := vr == "SQ" || (length == undefinedLength && t != tagPixelData) || (!explicit && sqTags[t])
		if isSeq {
			items, err := ps.sequence(length, end, depth, vr == "UN" || !explicit)
			if err != nil {
				return nil, fmt.Errorf("sequence %s: %w", t, err)
			}
			ds.elems = append(ds.elems, element{tag: t, vr: "SQ", items: items})
			continue
		}
		if length == undefinedLength {
			return nil, fmt.Errorf("element %s: encapsulated data: %w", t, errors.ErrUnsupported)
		}
		if uint64(ps.p)+uint64(length) > uint64(end) {
			return nil, fmt.Errorf("element %s at %d: length %d: %w", t, ps.p, length, errTruncated)
		}
		ds.elems = append(ds.elems, element{tag: t, vr: vr, value: ps.b[ps.p : ps.p+int(length)]})
		ps.p += int(length)
	}
	if inItem && end == len(ps.b) {
		return nil, fmt.Errorf("item without delimiter: %w", errTruncated)
	}
	return ds, nil
}

// sequence reads the items of a sequence of the given length. implicit
// reports that the items are implicit VR (UN sequences, PS3.5 §6.2.2).
func (ps *parser) sequence(length uint32, end, depth int, implicit bool) ([]*dataset, error) {
	saved := ps.explicit
	if implicit {
		ps.explicit = false
	}
	defer func() { ps.explicit = saved }()
	seqEnd := end
	if length != undefinedLength {
		if uint64(ps.p)+uint64(length) > uint64(end) {
			return nil, fmt.Errorf("length %d: %w", length, errTruncated)
		}
		seqEnd = ps.p + int(length)
	}
	var items []*dataset
	for ps.p < seqEnd {
		if ps.p+8 > seqEnd {
			return nil, errTruncated
		}
		if ps.elements++; ps.elements > maxElements {
			return nil, fmt.Errorf("more than %d elements", maxElements)
		}
		b := ps.b[ps.p:]
		t := tag(uint32(binary.LittleEndian.Uint16(b))<<16 | uint32(binary.LittleEndian.Uint16(b[2:])))
		l := binary.LittleEndian.Uint32(b[4:])
		ps.p += 8
		switch t {
		case tagSeqDelim:
			if length != undefinedLength {
				return nil, errors.New("sequence delimiter in a sequence of defined length")
			}
			return items, nil
		case tagItem:
		default:
			return nil, fmt.Errorf("tag %s where an item was expected", t)
		}
		var (
			item *dataset
			err  error
		)
		if l == undefinedLength {
			item, err = ps.parse(seqEnd, depth+1, true)
		} else {
			if uint64(ps.p)+uint64(l) > uint64(seqEnd) {
				return nil, fmt.Errorf("item length %d: %w", l, errTruncated)
			}
			item, err = ps.parse(ps.p+int(l), depth+1, false)
		}
		if err != nil {
			return nil, err
		}
		items = append(items, item)
	}
	if length == undefinedLength {
		return nil, fmt.Errorf("no sequence delimiter: %w", errTruncated)
	}
	return items, nil
}

// Transfer syntaxes this reader accepts.
const (
	implicitVRLittleEndian = "1.2.840.10008.1.2"
	explicitVRLittleEndian = "1.2.840.10008.1.2.1"
	deflatedExplicitVRLE   = "1.2.840.10008.1.2.1.99"
	explicitVRBigEndian    = "1.2.840.10008.1.2.2"
)

// parseFile parses a PS3.10 file: preamble, "DICM", the file meta group
// (explicit VR LE) and the data set in its transfer syntax.
func parseFile(b []byte, maxInflated int64) (*dataset, error) {
	if len(b) < 132 || string(b[128:132]) != "DICM" {
		return nil, errors.New("no DICM prefix at offset 128")
	}
	ps := &parser{b: b, p: 132, explicit: true}
	// Meta group: elements of group 0002.
	metaEnd := 132
	for metaEnd+8 <= len(b) && binary.LittleEndian.Uint16(b[metaEnd:]) == 2 {
		vr := string(b[metaEnd+4 : metaEnd+6])
		var l int
		if longVR(vr) {
			if metaEnd+12 > len(b) {
				return nil, fmt.Errorf("file meta: %w", errTruncated)
			}
			l = int(binary.LittleEndian.Uint32(b[metaEnd+8:])) + 12
		} else {
			l = int(binary.LittleEndian.Uint16(b[metaEnd+6:])) + 8
		}
		if l < 0 || metaEnd+l > len(b) {
			return nil, fmt.Errorf("file meta: %w", errTruncated)
		}
		metaEnd += l
	}
	meta, err := ps.parse(metaEnd, 0, false)
	if err != nil {
		return nil, fmt.Errorf("file meta: %w", err)
	}
	ts := meta.str(tagTransferSyntx)
	body := b[metaEnd:]
	switch ts {
	case implicitVRLittleEndian:
		ps = &parser{b: body, explicit: false}
	case explicitVRLittleEndian, "":
		ps = &parser{b: body, explicit: true}
	case deflatedExplicitVRLE:
		inf, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(body)), maxInflated+1))
		if err != nil {
			return nil, fmt.Errorf("deflated data set: %w", err)
		}
		if int64(len(inf)) > maxInflated {
			return nil, fmt.Errorf("deflated data set inflates beyond %d bytes", maxInflated)
		}
		ps = &parser{b: inf, explicit: true}
	default:
		return nil, fmt.Errorf("transfer syntax %s: %w", ts, errors.ErrUnsupported)
	}
	ds, err := ps.parse(len(ps.b), 0, false)
	if err != nil {
		return nil, err
	}
	ds.elems = append(meta.elems, ds.elems...)
	return ds, nil
}
