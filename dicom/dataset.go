package dicom

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"yigong/dicom/charset"
)

// ErrNotFound is returned when a dataset has no element with the tag asked
// for.
var ErrNotFound = errors.New("dicom: element not found")

// Dataset is an ordered collection of data elements (PS3.5 §7): a whole
// object or one item of a sequence. Elements are kept in ascending tag order.
//
// A Dataset is not safe for concurrent modification; concurrent reads are
// safe once it is built.
type Dataset struct {
	elems  []*Element
	parent *Dataset
	cs     *charset.Set // from this dataset's (0008,0005), or nil to inherit
	// unsorted is set by Append when elements arrived out of order; the
	// next lookup sorts once, so hostile out-of-order input stays O(n log n).
	unsorted bool
	// Offset is where the item or dataset began in the stream read, or -1.
	Offset int64
}

// New returns an empty dataset.
func New() *Dataset { return &Dataset{Offset: -1} }

// NewItem returns an empty sequence item whose text inherits the character
// set of parent (PS3.5 §7.5.3).
func NewItem(parent *Dataset) *Dataset { return &Dataset{parent: parent, Offset: -1} }

// Parent returns the dataset holding the sequence this item belongs to, or
// nil for a top-level dataset.
func (ds *Dataset) Parent() *Dataset { return ds.parent }

// SetParent records the dataset an item belongs to, for character set
// inheritance.
func (ds *Dataset) SetParent(p *Dataset) { ds.parent = p }

// Charset returns the character set of the dataset: its own Specific
// Character Set, else its parent's, else the default repertoire.
func (ds *Dataset) Charset() *charset.Set {
	for d := ds; d != nil; d = d.parent {
		if d.cs != nil {
			return d.cs
		}
	}
	return charset.Default()
}

// SetCharset sets the character set used for values added from now on and
// for elements without one; it does not change (0008,0005) itself.
func (ds *Dataset) SetCharset(cs *charset.Set) { ds.cs = cs }

// Len returns the number of elements at this level.
func (ds *Dataset) Len() int { return len(ds.elems) }

// Elements returns the elements in tag order. The slice is the dataset's
// own: do not modify it.
func (ds *Dataset) Elements() []*Element {
	ds.normalize()
	return ds.elems
}

// normalize sorts elements appended out of order, keeping the last of
// duplicate tags.
func (ds *Dataset) normalize() {
	if !ds.unsorted {
		return
	}
	ds.unsorted = false
	sort.SliceStable(ds.elems, func(i, j int) bool { return ds.elems[i].Tag < ds.elems[j].Tag })
	out := ds.elems[:0]
	for i, e := range ds.elems {
		if i+1 < len(ds.elems) && ds.elems[i+1].Tag == e.Tag {
			continue
		}
		out = append(out, e)
	}
	ds.elems = out
}

func (ds *Dataset) index(t Tag) (int, bool) {
	ds.normalize()
	i := sort.Search(len(ds.elems), func(i int) bool { return ds.elems[i].Tag >= t })
	return i, i < len(ds.elems) && ds.elems[i].Tag == t
}

// Get returns the element with tag t.
func (ds *Dataset) Get(t Tag) (*Element, bool) {
	if i, ok := ds.index(t); ok {
		return ds.elems[i], true
	}
	return nil, false
}

// Has reports whether the dataset holds tag t.
func (ds *Dataset) Has(t Tag) bool { _, ok := ds.index(t); return ok }

// ByKeyword returns the element named by a dictionary keyword such as
// "PatientName".
func (ds *Dataset) ByKeyword(kw string) (*Element, bool) {
	d, ok := LookupKeyword(kw)
	if !ok {
		return nil, false
	}
	return ds.Get(d.Tag)
}

// Set inserts e, replacing any element with the same tag. An element without
// a character set takes the dataset's; setting (0008,0005) re-resolves the
// dataset's character set.
func (ds *Dataset) Set(e *Element) {
	if e.cs == nil && e.VR != SQ {
		e.cs = ds.cs
		if e.cs == nil {
			e.cs = ds.Charset()
		}
	}
	for _, it := range e.Items {
		if it.parent == nil {
			it.parent = ds
		}
	}
	i, ok := ds.index(e.Tag)
	if ok {
		ds.elems[i] = e
	} else {
		ds.elems = append(ds.elems, nil)
		copy(ds.elems[i+1:], ds.elems[i:])
		ds.elems[i] = e
	}
	if e.Tag == TagSpecificCharacterSet {
		vals, _ := e.Strings()
		cs, _ := charset.Parse(vals...)
		ds.cs = cs
	}
}

// Append adds e at the end; readers use it for elements as they arrive.
// Out-of-order or duplicate tags are sorted out (the last one wins) on the
// next lookup, so call [Dataset.Elements] once before sharing the dataset
// between goroutines.
func (ds *Dataset) Append(e *Element) {
	if n := len(ds.elems); n > 0 && ds.elems[n-1].Tag >= e.Tag {
		ds.unsorted = true
	}
	ds.elems = append(ds.elems, e)
}

// Delete removes the element with tag t and reports whether it was there.
func (ds *Dataset) Delete(t Tag) bool {
	i, ok := ds.index(t)
	if ok {
		ds.elems = append(ds.elems[:i], ds.elems[i+1:]...)
	}
	return ok
}

func (ds *Dataset) must(t Tag) (*Element, error) {
	e, ok := ds.Get(t)
	if !ok {
		return nil, fmt.Errorf("dicom: tag %s %s: %w", t, Keyword(t), ErrNotFound)
	}
	return e, nil
}

// Text returns the first value of t as a string, or "" when absent.
func (ds *Dataset) Text(t Tag) string {
	if e, ok := ds.Get(t); ok {
		return e.String()
	}
	return ""
}

// Strings returns the values of t, decoded and then split (see
// [Element.Strings]).
func (ds *Dataset) Strings(t Tag) ([]string, error) {
	e, err := ds.must(t)
	if err != nil {
		return nil, err
	}
	return e.Strings()
}

// Int returns the first integer value of t.
func (ds *Dataset) Int(t Tag) (int64, error) {
	e, err := ds.must(t)
	if err != nil {
		return 0, err
	}
	return e.Int()
}

// Ints returns the integer values of t.
func (ds *Dataset) Ints(t Tag) ([]int64, error) {
	e, err := ds.must(t)
	if err != nil {
		return nil, err
	}
	return e.Ints()
}

// Float returns the first floating-point value of t.
func (ds *Dataset) Float(t Tag) (float64, error) {
	e, err := ds.must(t)
	if err != nil {
		return 0, err
	}
	return e.Float()
}

// Floats returns the floating-point values of t.
func (ds *Dataset) Floats(t Tag) ([]float64, error) {
	e, err := ds.must(t)
	if err != nil {
		return nil, err
	}
	return e.Floats()
}

// PersonName returns the first person name of t.
func (ds *Dataset) PersonName(t Tag) (PersonName, error) {
	e, err := ds.must(t)
	if err != nil {
		return PersonName{}, err
	}
	return e.PersonName()
}

// Items returns the items of sequence t, or nil.
func (ds *Dataset) Items(t Tag) []*Dataset {
	if e, ok := ds.Get(t); ok {
		return e.Items
	}
	return nil
}

func (ds *Dataset) vrFor(t Tag, vr VR) (VR, error) {
	if vr != 0 {
		return vr, nil
	}
	if d, ok := LookupTag(t); ok && d.VR() != 0 {
		return d.VR(), nil
	}
	return 0, fmt.Errorf("dicom: tag %s: no VR given and none in the dictionary", t)
}

// SetStrings sets t to text values, encoded with the dataset's character
// set and joined with "\". A zero vr takes the dictionary VR.
func (ds *Dataset) SetStrings(t Tag, vr VR, values ...string) error {
	vr, err := ds.vrFor(t, vr)
	if err != nil {
		return err
	}
	if !vr.IsText() {
		return fmt.Errorf("dicom: set tag %s: %s is not a text VR", t, vr)
	}
	joined := strings.Join(values, `\`)
	cs := ds.Charset()
	if t == TagSpecificCharacterSet {
		cs = charset.Default()
	}
	var raw []byte
	switch {
	case vr == PN:
		raw, err = cs.EncodePN(joined)
	case vr.UsesCharset():
		raw, err = cs.Encode(joined)
	default:
		raw, err = charset.Default().Encode(joined)
	}
	if err != nil {
		return fmt.Errorf("dicom: set tag %s: %w", t, err)
	}
	e := NewElement(t, vr, raw, cs)
	ds.Set(e)
	return nil
}

// SetInts sets t to integer values of a binary VR (US, SS, UL, SL, SV, UV,
// AT as tags) or IS. A zero vr takes the dictionary VR.
func (ds *Dataset) SetInts(t Tag, vr VR, values ...int64) error {
	vr, err := ds.vrFor(t, vr)
	if err != nil {
		return err
	}
	if vr == IS || vr == DS {
		s := make([]string, len(values))
		for i, v := range values {
			s[i] = strconv.FormatInt(v, 10)
		}
		return ds.SetStrings(t, vr, s...)
	}
	size := vr.WordSize()
	if size == 0 || vr == FL || vr == FD || vr == OF || vr == OD {
		return fmt.Errorf("dicom: set tag %s: %s does not hold integers", t, vr)
	}
	raw := make([]byte, 0, size*len(values))
	for _, v := range values {
		switch size {
		case 2:
			raw = binary.LittleEndian.AppendUint16(raw, uint16(v))
		case 4:
			if vr == AT {
				raw = binary.LittleEndian.AppendUint16(raw, uint16(v>>16))
				raw = binary.LittleEndian.AppendUint16(raw, uint16(v))
			} else {
				raw = binary.LittleEndian.AppendUint32(raw, uint32(v))
			}
		case 8:
			raw = binary.LittleEndian.AppendUint64(raw, uint64(v))
		}
	}
	ds.Set(NewElement(t, vr, raw, nil))
	return nil
}

// SetFloats sets t to FL, FD, OF, OD or DS values.
func (ds *Dataset) SetFloats(t Tag, vr VR, values ...float64) error {
	vr, err := ds.vrFor(t, vr)
	if err != nil {
		return err
	}
	var raw []byte
	switch vr {
	case DS:
		s := make([]string, len(values))
		for i, v := range values {
			s[i] = FormatDS(v)
		}
		return ds.SetStrings(t, vr, s...)
	case FL, OF:
		for _, v := range values {
			raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(float32(v)))
		}
	case FD, OD:
		for _, v := range values {
			raw = binary.LittleEndian.AppendUint64(raw, math.Float64bits(v))
		}
	default:
		return fmt.Errorf("dicom: set tag %s: %s does not hold floats", t, vr)
	}
	ds.Set(NewElement(t, vr, raw, nil))
	return nil
}

// FormatDS formats v as a DS value of at most 16 characters (PS3.5 §6.2).
func FormatDS(v float64) string {
	for p := 16; p > 0; p-- {
		s := strconv.FormatFloat(v, 'g', p, 64)
		if len(s) <= 16 {
			return s
		}
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}

// SetBytes sets t to raw little-endian bytes of any non-sequence VR.
func (ds *Dataset) SetBytes(t Tag, vr VR, raw []byte) error {
	vr, err := ds.vrFor(t, vr)
	if err != nil {
		return err
	}
	if vr == SQ {
		return fmt.Errorf("dicom: set tag %s: use SetItems for SQ", t)
	}
	ds.Set(NewElement(t, vr, raw, nil))
	return nil
}

// SetItems sets sequence t to items, making ds their parent.
func (ds *Dataset) SetItems(t Tag, items ...*Dataset) {
	for _, it := range items {
		it.parent = ds
	}
	ds.Set(NewSequence(t, items...))
}

// PrivateBlock is a block of private elements reserved by a private creator
// (PS3.5 §7.8.1): element (gggg,00bb) holds the creator and its elements are
// (gggg,bbxx).
type PrivateBlock struct {
	Group   uint16
	Block   uint8 // 0x10 to 0xFF
	Creator string
}

// Tag returns the tag of element offset (0x00-0xFF) in the block.
func (b PrivateBlock) Tag(offset uint8) Tag {
	return NewTag(b.Group, uint16(b.Block)<<8|uint16(offset))
}

// PrivateBlock finds the block that creator reserved in odd group. With
// create, an absent creator gets the first free block.
func (ds *Dataset) PrivateBlock(group uint16, creator string, create bool) (PrivateBlock, error) {
	if group%2 == 0 || group <= 8 {
		return PrivateBlock{}, fmt.Errorf("dicom: private block in group %04X: not a private group", group)
	}
	free := -1
	for b := 0x10; b <= 0xFF; b++ {
		e, ok := ds.Get(NewTag(group, uint16(b)))
		if !ok {
			if free < 0 {
				free = b
			}
			continue
		}
		if e.String() == creator {
			return PrivateBlock{group, uint8(b), creator}, nil
		}
	}
	if !create {
		return PrivateBlock{}, fmt.Errorf("dicom: private creator %q in group %04X: %w", creator, group, ErrNotFound)
	}
	if free < 0 {
		return PrivateBlock{}, fmt.Errorf("dicom: private creator %q in group %04X: no free block", creator, group)
	}
	if err := ds.SetStrings(NewTag(group, uint16(free)), LO, creator); err != nil {
		return PrivateBlock{}, err
	}
	return PrivateBlock{group, uint8(free), creator}, nil
}

// PrivateCreator returns the creator that reserved the block holding the
// private tag t, or "".
func (ds *Dataset) PrivateCreator(t Tag) string {
	if !t.IsPrivate() || t.Element() < 0x1000 {
		return ""
	}
	return ds.Text(NewTag(t.Group(), t.Element()>>8))
}

// Walk calls fn for every element in tag order, descending into sequence
// items; depth is 0 at the top. Returning an error stops the walk.
func (ds *Dataset) Walk(fn func(depth int, e *Element) error) error {
	return ds.walk(0, fn)
}

func (ds *Dataset) walk(depth int, fn func(int, *Element) error) error {
	for _, e := range ds.Elements() {
		if err := fn(depth, e); err != nil {
			return err
		}
		for _, it := range e.Items {
			if err := it.walk(depth+1, fn); err != nil {
				return err
			}
		}
	}
	return nil
}
