package part10

import (
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"yigong/dicom"
	"yigong/dicom/charset"
	"yigong/dicom/uid"
)

// errStop ends a read early without error.
var errStop = errors.New("stop")

type reader struct {
	br       *bufio.Reader
	pos      int64 // bytes consumed from br
	size     int64 // total size of br's stream, or -1 when unknown
	ra       io.ReaderAt
	big      bool
	explicit bool
	opts     Options
	depth    int
	stopped  bool
	scratch  [12]byte
}

func (r *reader) order() binary.ByteOrder {
	if r.big {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

func (r *reader) full(b []byte) error {
	n, err := io.ReadFull(r.br, b)
	r.pos += int64(n)
	if err == io.ErrUnexpectedEOF || (err == io.EOF && len(b) > 0) {
		return io.ErrUnexpectedEOF
	}
	return err
}

func (r *reader) remaining() int64 {
	if r.size < 0 {
		return -1
	}
	return r.size - r.pos
}

func (r *reader) checkLen(n int64) error {
	max := r.opts.MaxValueLength
	if max <= 0 {
		max = DefaultMaxValueLength
	}
	if n > max {
		return fmt.Errorf("length %d over cap %d: %w", n, max, ErrTooLong)
	}
	if rem := r.remaining(); rem >= 0 && n > rem {
		return fmt.Errorf("length %d, only %d bytes left: %w", n, rem, ErrTooLong)
	}
	return nil
}

// value reads n bytes, allocating in bounded chunks when the input size is
// unknown so that a lying length cannot make it allocate more than it reads.
func (r *reader) value(n uint32) ([]byte, error) {
	if err := r.checkLen(int64(n)); err != nil {
		return nil, err
	}
	const chunk = 1 << 20
	if n <= chunk || r.size >= 0 {
		b := make([]byte, n)
		return b, r.full(b)
	}
	b := make([]byte, 0, chunk)
	for left := int(n); left > 0; {
		k := min(left, chunk)
		off := len(b)
		b = append(b, make([]byte, k)...)
		if err := r.full(b[off:]); err != nil {
			return nil, err
		}
		left -= k
	}
	return b, nil
}

func (r *reader) skip(n int64) error {
	if err := r.checkLen(n); err != nil {
		return err
	}
	d, err := r.br.Discard(int(n))
	r.pos += int64(d)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

type header struct {
	tag    dicom.Tag
	vr     dicom.VR
	length uint32
	offset int64
}

func (r *reader) readHeader(ds *dicom.Dataset) (header, error) {
	h := header{offset: r.pos}
	b := r.scratch[:]
	if err := r.full(b[:4]); err != nil {
		return h, err
	}
	o := r.order()
	h.tag = dicom.NewTag(o.Uint16(b[0:]), o.Uint16(b[2:]))
	if h.tag.Group() == 0xFFFE {
		if err := r.full(b[:4]); err != nil {
			return h, err
		}
		h.length = o.Uint32(b)
		return h, nil
	}
	if !r.explicit {
		if err := r.full(b[:4]); err != nil {
			return h, err
		}
		h.length = o.Uint32(b)
		h.vr = implicitVR(h.tag, ds)
		return h, nil
	}
	if err := r.full(b[:4]); err != nil {
		return h, err
	}
	vr, ok := dicom.VRFromBytes(b[0], b[1])
	if !ok {
		return h, fmt.Errorf("invalid VR %q: %w", b[:2], ErrMalformed)
	}
	h.vr = vr
	if vr.LongHeader() {
		if err := r.full(b[:4]); err != nil {
			return h, err
		}
		h.length = o.Uint32(b)
	} else {
		h.length = uint32(o.Uint16(b[2:]))
	}
	return h, nil
}

// implicitVR resolves the VR of an implicitly encoded element from the
// dictionary and, for "US or SS", the dataset's Pixel Representation.
func implicitVR(t dicom.Tag, ds *dicom.Dataset) dicom.VR {
	d, ok := dicom.LookupTag(t)
	if !ok {
		return dicom.UN
	}
	switch d.VRs {
	case [3]dicom.VR{dicom.US, dicom.SS}:
		if pr, ok := ds.Get(dicom.TagPixelRepresentation); ok {
			if v, err := pr.Int(); err == nil && v == 1 {
				return dicom.SS
			}
		}
		return dicom.US
	case [3]dicom.VR{dicom.OB, dicom.OW}, [3]dicom.VR{dicom.OW, dicom.US, dicom.SS}:
		return dicom.OW
	}
	if d.VR() == 0 {
		return dicom.UN
	}
	return d.VR()
}

func isPixelData(t dicom.Tag) bool {
	return t == dicom.TagPixelData || t == dicom.TagFloatPixelData || t == dicom.TagDoubleFloatPixelData
}

// readDataset reads elements into ds until end (absolute position; -1 for
// the end of input) or, with delimited, an item delimiter.
func (r *reader) readDataset(ds *dicom.Dataset, end int64, delimited, top bool, cs *charset.Set) error {
	for {
		if end >= 0 && r.pos >= end {
			if r.pos > end {
				return fmt.Errorf("item overruns its length by %d bytes: %w", r.pos-end, ErrMalformed)
			}
			return nil
		}
		if end < 0 && !delimited {
			if _, err := r.br.Peek(1); err == io.EOF {
				return nil
			}
		}
		h, err := r.readHeader(ds)
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) && top && h.offset == r.pos {
				return nil
			}
			return fmt.Errorf("dicom: read tag %s at offset %d: %w", h.tag, h.offset, err)
		}
		switch h.tag {
		case dicom.TagItemDelimitationItem:
			if delimited {
				return nil
			}
			continue // stray delimiter: tolerated, as dcmtk does
		case dicom.TagSequenceDelimitationItem:
			if top {
				continue
			}
			return fmt.Errorf("dicom: read tag %s at offset %d: sequence delimiter inside an item: %w", h.tag, h.offset, ErrMalformed)
		case dicom.TagItem:
			return fmt.Errorf("dicom: read tag %s at offset %d: item outside a sequence: %w", h.tag, h.offset, ErrMalformed)
		}
		if top && r.opts.StopAt != 0 && h.tag >= r.opts.StopAt {
			r.stopped = true
			return errStop
		}
		e := &dicom.Element{Tag: h.tag, VR: h.vr, Length: h.length, Offset: h.offset, BigEndian: r.big}
		if top && isPixelData(h.tag) && r.opts.PixelData != LoadPixelData {
			keep, err := r.bulk(e, h)
			if err != nil {
				return fmt.Errorf("dicom: read tag %s at offset %d: %w", h.tag, h.offset, err)
			}
			if r.stopped {
				return errStop
			}
			if keep {
				e.SetCharset(cs)
				ds.Append(e)
			}
			continue
		}
		if err := r.readValue(e, h, ds, cs); err != nil {
			if errors.Is(err, errStop) {
				return err
			}
			return fmt.Errorf("dicom: read tag %s at offset %d: %w", h.tag, h.offset, err)
		}
		e.SetCharset(cs)
		if h.tag == dicom.TagSpecificCharacterSet && !r.opts.ForceCharset {
			vals, _ := e.Strings()
			if c, _ := charset.Parse(vals...); !c.IsDefault() || len(vals) > 0 && vals[0] != "" {
				cs = c
			}
			ds.SetCharset(cs)
			e.SetCharset(charset.Default())
		}
		ds.Append(e)
	}
}

func (r *reader) readValue(e *dicom.Element, h header, ds *dicom.Dataset, cs *charset.Set) error {
	undefined := h.length == dicom.UndefinedLength
	switch {
	case isPixelData(h.tag) && undefined && h.vr != dicom.SQ:
		f, err := r.fragments()
		if err != nil {
			return err
		}
		e.Fragments = f
		e.VR = dicom.OB // PS3.5 §A.4: encapsulated pixel data is OB, whatever was declared
		return nil
	case h.vr == dicom.SQ, undefined && (h.vr == dicom.UN || !r.explicit):
		if h.vr == dicom.UN && undefined && r.explicit {
			// PS3.5 §6.2.2: UN of undefined length is an implicit VR
			// little endian sequence.
			saveE, saveB := r.explicit, r.big
			r.explicit, r.big = false, false
			defer func() { r.explicit, r.big = saveE, saveB }()
		}
		e.VR = dicom.SQ
		return r.sequence(e, h, ds, cs)
	case undefined:
		return fmt.Errorf("undefined length for %s: %w", h.vr, ErrMalformed)
	}
	if h.vr == dicom.UN && !r.explicit {
		// Unknown in implicit VR: a private sequence of defined length
		// starts with an item tag; keep it raw otherwise.
	}
	v, err := r.value(h.length)
	if err != nil {
		return err
	}
	e.Raw = v
	return nil
}

func (r *reader) sequence(e *dicom.Element, h header, parent *dicom.Dataset, cs *charset.Set) error {
	r.depth++
	defer func() { r.depth-- }()
	if r.depth > maxDepth {
		return fmt.Errorf("sequences nested deeper than %d: %w", maxDepth, ErrMalformed)
	}
	end := int64(-1)
	if h.length != dicom.UndefinedLength {
		if err := r.checkLen(int64(h.length)); err != nil {
			return err
		}
		end = r.pos + int64(h.length)
	}
	e.Items = []*dicom.Dataset{}
	for end < 0 || r.pos < end {
		ih, err := r.readHeader(nil)
		if err != nil {
			return fmt.Errorf("item %d: %w", len(e.Items)+1, err)
		}
		if ih.tag == dicom.TagSequenceDelimitationItem {
			if end >= 0 {
				continue // tolerated inside a defined-length sequence
			}
			return nil
		}
		if ih.tag != dicom.TagItem {
			return fmt.Errorf("item %d: found %s, want an item tag: %w", len(e.Items)+1, ih.tag, ErrMalformed)
		}
		item := dicom.NewItem(parent)
		item.Offset = ih.offset
		iend := int64(-1)
		if ih.length != dicom.UndefinedLength {
			if err := r.checkLen(int64(ih.length)); err != nil {
				return fmt.Errorf("item %d: %w", len(e.Items)+1, err)
			}
			iend = r.pos + int64(ih.length)
		}
		if err := r.readDataset(item, iend, iend < 0, false, cs); err != nil {
			return fmt.Errorf("item %d: %w", len(e.Items)+1, err)
		}
		e.Items = append(e.Items, item)
	}
	if r.pos > end {
		return fmt.Errorf("sequence overruns its length: %w", ErrMalformed)
	}
	return nil
}

// fragments reads encapsulated pixel data (PS3.5 §A.4): items up to the
// sequence delimiter, the first being the Basic Offset Table.
func (r *reader) fragments() (*dicom.Fragments, error) {
	f := &dicom.Fragments{}
	first := true
	for {
		h, err := r.readHeader(nil)
		if err != nil {
			return nil, fmt.Errorf("fragment: %w", err)
		}
		switch h.tag {
		case dicom.TagSequenceDelimitationItem:
			if first {
				return nil, fmt.Errorf("fragment: no basic offset table: %w", ErrMalformed)
			}
			return f, nil
		case dicom.TagItem:
		default:
			return nil, fmt.Errorf("fragment: found %s, want an item tag: %w", h.tag, ErrMalformed)
		}
		if h.length == dicom.UndefinedLength {
			return nil, fmt.Errorf("fragment: undefined length: %w", ErrMalformed)
		}
		v, err := r.value(h.length)
		if err != nil {
			return nil, fmt.Errorf("fragment: %w", err)
		}
		if first {
			f.OffsetTable = v
			first = false
		} else {
			f.Items = append(f.Items, v)
		}
	}
}

// bulk handles top-level pixel data under Defer, Skip and Stop; it reports
// whether to keep the element.
func (r *reader) bulk(e *dicom.Element, h header) (bool, error) {
	if r.opts.PixelData == StopAtPixelData {
		r.stopped = true
		return false, nil
	}
	start := r.pos
	if h.length == dicom.UndefinedLength {
		for {
			ih, err := r.readHeader(nil)
			if err != nil {
				return false, fmt.Errorf("fragment: %w", err)
			}
			if ih.tag == dicom.TagSequenceDelimitationItem {
				break
			}
			if ih.tag != dicom.TagItem || ih.length == dicom.UndefinedLength {
				return false, fmt.Errorf("fragment: found %s: %w", ih.tag, ErrMalformed)
			}
			if err := r.skip(int64(ih.length)); err != nil {
				return false, fmt.Errorf("fragment: %w", err)
			}
		}
		e.VR = dicom.OB
	} else if err := r.skip(int64(h.length)); err != nil {
		return false, err
	}
	if r.opts.PixelData == SkipPixelData {
		return false, nil
	}
	e.Bulk = &dicom.BulkData{Offset: start, Length: r.pos - start, Source: r.ra}
	return true, nil
}

// sizeOf returns the bytes left in src and a ReaderAt positioned at its
// current offset, when src can tell.
func sizeOf(src io.Reader) (int64, io.ReaderAt) {
	switch s := src.(type) {
	case *bytes.Reader:
		base := s.Size() - int64(s.Len())
		return int64(s.Len()), io.NewSectionReader(s, base, int64(s.Len()))
	case *os.File:
		st, err := s.Stat()
		if err != nil || !st.Mode().IsRegular() {
			return -1, nil
		}
		cur, err := s.Seek(0, io.SeekCurrent)
		if err != nil {
			return -1, nil
		}
		return st.Size() - cur, io.NewSectionReader(s, cur, st.Size()-cur)
	case interface{ Len() int }:
		return int64(s.Len()), nil
	}
	return -1, nil
}

func newReader(src io.Reader, opts *Options) *reader {
	r := &reader{size: -1}
	if opts != nil {
		r.opts = *opts
	}
	r.size, r.ra = sizeOf(src)
	buf := 16 << 10
	if r.size >= 0 && r.size < int64(buf) {
		buf = max(int(r.size), 16) // bufio's minimum; small inputs need no 64 KiB buffer
	}
	r.br = bufio.NewReaderSize(src, buf)
	return r
}

// capReader fails once more than n bytes were read: a deflate bomb ends
// with ErrTooLong instead of filling memory.
type capReader struct {
	r io.Reader
	n int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.n <= 0 {
		return 0, fmt.Errorf("inflated data set over its cap: %w", ErrTooLong)
	}
	if int64(len(p)) > c.n {
		p = p[:c.n]
	}
	n, err := c.r.Read(p)
	c.n -= int64(n)
	return n, err
}

// ReadDataset reads a bare dataset (no preamble, no meta group) encoded in
// ts, as a DIMSE data set arrives over the network. Deflated syntaxes are
// inflated first.
func ReadDataset(src io.Reader, ts uid.TransferSyntax, opts *Options) (*dicom.Dataset, error) {
	r := newReader(src, opts)
	ds, _, err := r.body(ts)
	return ds, err
}

func (r *reader) body(ts uid.TransferSyntax) (*dicom.Dataset, bool, error) {
	r.explicit, r.big = ts.ExplicitVR, ts.BigEndian
	if ts.Deflated {
		limit := r.opts.MaxInflatedLength
		if limit <= 0 {
			limit = DefaultMaxInflatedLength
		}
		r.br = bufio.NewReaderSize(&capReader{r: flate.NewReader(r.br), n: limit}, 16<<10)
		r.pos, r.size, r.ra = 0, -1, nil
	}
	ds := dicom.New()
	cs := r.opts.Charset
	if cs == nil {
		cs = charset.Default()
	}
	ds.SetCharset(cs)
	err := r.readDataset(ds, -1, false, true, cs)
	if errors.Is(err, errStop) {
		return ds, true, nil
	}
	if err != nil {
		return ds, false, err
	}
	return ds, false, nil
}

// Read reads a Part 10 file (PS3.10 §7.1). Input without a preamble, without
// "DICM" or without a meta group is sniffed: the transfer syntax is guessed
// from the first element. The error, if any, says where reading stopped;
// the partial File is returned with it.
func Read(src io.Reader, opts *Options) (*File, error) {
	r := newReader(src, opts)
	f := &File{Meta: dicom.New()}
	head, _ := r.br.Peek(132)
	switch {
	case len(head) >= 132 && string(head[128:132]) == "DICM":
		f.Preamble = append([]byte(nil), head[:128]...)
		_ = r.skip(132)
	case len(head) >= 4 && string(head[:4]) == "DICM":
		_ = r.skip(4)
	}
	if b, _ := r.br.Peek(6); len(b) == 6 && binary.LittleEndian.Uint16(b) == 0x0002 {
		if err := r.meta(f.Meta); err != nil {
			return f, err
		}
	}
	var ts uid.TransferSyntax
	tsUID := strings.TrimRight(f.Meta.Text(dicom.TagTransferSyntaxUID), " \x00")
	known := false
	if tsUID != "" {
		ts, known = uid.LookupTransferSyntax(tsUID)
	}
	if !known {
		var err error
		ts, err = r.sniff()
		if err != nil {
			return f, err
		}
		if tsUID != "" {
			// An unknown (private) syntax: keep its UID, read as sniffed.
			ts.UID = tsUID
		}
	}
	f.TransferSyntax = ts
	ds, stopped, err := r.body(ts)
	f.Dataset, f.Stopped = ds, stopped
	return f, err
}

// meta reads group 0002, always explicit VR little endian (PS3.10 §7.1),
// tolerating implicit VR elements written by broken tools.
func (r *reader) meta(meta *dicom.Dataset) error {
	for {
		b, err := r.br.Peek(6)
		if err != nil || binary.LittleEndian.Uint16(b) != 0x0002 {
			return nil
		}
		_, vrOK := dicom.VRFromBytes(b[4], b[5])
		r.explicit, r.big = vrOK, false
		h, err := r.readHeader(meta)
		if err != nil {
			return fmt.Errorf("dicom: read meta tag %s: %w", h.tag, err)
		}
		if h.length == dicom.UndefinedLength {
			return fmt.Errorf("dicom: read meta tag %s: undefined length: %w", h.tag, ErrMalformed)
		}
		e := &dicom.Element{Tag: h.tag, VR: h.vr, Length: h.length, Offset: h.offset}
		if e.Raw, err = r.value(h.length); err != nil {
			return fmt.Errorf("dicom: read meta tag %s: %w", h.tag, err)
		}
		e.SetCharset(charset.Default())
		meta.Append(e)
	}
}

// sniff guesses the transfer syntax of a dataset from its first element,
// skipping up to three stray leading bytes (left by tools that strip a meta
// group carelessly).
func (r *reader) sniff() (uid.TransferSyntax, error) {
	b, _ := r.br.Peek(16)
	for skip := 0; skip < 4 && skip+8 <= len(b); skip++ {
		x := b[skip:]
		gLE := binary.LittleEndian.Uint16(x)
		gBE := binary.BigEndian.Uint16(x)
		_, vrOK := dicom.VRFromBytes(x[4], x[5])
		plausible := func(g uint16) bool { return g >= 0x0002 && g <= 0x0010 }
		var ts uid.TransferSyntax
		switch {
		case vrOK && plausible(gLE):
			ts, _ = uid.LookupTransferSyntax(uid.ExplicitVRLittleEndian)
		case vrOK && plausible(gBE):
			ts, _ = uid.LookupTransferSyntax(uid.ExplicitVRBigEndian)
		case plausible(gLE):
			ts = uid.ImplicitLE()
		default:
			continue
		}
		if skip > 0 {
			_ = r.skip(int64(skip))
		}
		return ts, nil
	}
	if len(b) == 0 {
		return uid.TransferSyntax{}, fmt.Errorf("dicom: empty input: %w", ErrNotDICOM)
	}
	return uid.TransferSyntax{}, fmt.Errorf("dicom: first bytes % x are no element: %w", b[:min(8, len(b))], ErrNotDICOM)
}
