package part10

import (
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"io"

	"yigong/dicom"
	"yigong/dicom/uid"
)

// ImplementationClassUID identifies yigong as the writer of a file
// (PS3.7 D.3.3.2); it is a UUID-derived UID under 2.25 (PS3.5 §B.2).
const ImplementationClassUID = "2.25.275734618519428093467318829547300829521"

// ImplementationVersionName is written to (0002,0013).
const ImplementationVersionName = "YIGONG_1"

type writer struct {
	w        *bufio.Writer
	big      bool
	explicit bool
	scratch  [12]byte
}

func (w *writer) order() binary.AppendByteOrder {
	if w.big {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

func (w *writer) header(t dicom.Tag, vr dicom.VR, length uint32) error {
	b := w.scratch[:0]
	o := w.order()
	b = o.AppendUint16(b, t.Group())
	b = o.AppendUint16(b, t.Element())
	switch {
	case t.Group() == 0xFFFE || !w.explicit:
		b = o.AppendUint32(b, length)
	case vr.LongHeader():
		b = append(b, byte(vr>>8), byte(vr), 0, 0)
		b = o.AppendUint32(b, length)
	default:
		if length > 0xFFFF {
			return fmt.Errorf("dicom: write tag %s: %d bytes do not fit the 16-bit length of %s", t, length, vr)
		}
		b = append(b, byte(vr>>8), byte(vr))
		b = o.AppendUint16(b, uint16(length))
	}
	_, err := w.w.Write(b)
	return err
}

func (w *writer) dataset(ds *dicom.Dataset, top bool) error {
	for _, e := range ds.Elements() {
		if top && e.Tag.Group() == 0x0002 {
			continue // the meta group is written by Write only
		}
		if e.Tag.IsGroupLength() && e.Tag.Group() != 0x0000 {
			continue // retired group lengths (PS3.5 §7.2) are not written
		}
		if err := w.element(e); err != nil {
			return err
		}
	}
	return nil
}

func (w *writer) element(e *dicom.Element) error {
	vr := e.VR
	if !vr.Valid() {
		vr = dicom.UN
	}
	switch {
	case e.Items != nil || vr == dicom.SQ:
		if err := w.header(e.Tag, dicom.SQ, dicom.UndefinedLength); err != nil {
			return err
		}
		for i, it := range e.Items {
			if err := w.header(dicom.TagItem, 0, dicom.UndefinedLength); err != nil {
				return err
			}
			if err := w.dataset(it, false); err != nil {
				return fmt.Errorf("dicom: write tag %s item %d: %w", e.Tag, i+1, err)
			}
			if err := w.header(dicom.TagItemDelimitationItem, 0, 0); err != nil {
				return err
			}
		}
		return w.header(dicom.TagSequenceDelimitationItem, 0, 0)
	case e.Fragments != nil:
		if !w.explicit {
			return fmt.Errorf("dicom: write tag %s: encapsulated pixel data needs an explicit VR transfer syntax", e.Tag)
		}
		if err := w.header(e.Tag, dicom.OB, dicom.UndefinedLength); err != nil {
			return err
		}
		frags := append([][]byte{e.Fragments.OffsetTable}, e.Fragments.Items...)
		for _, f := range frags {
			if err := w.header(dicom.TagItem, 0, uint32(len(f))); err != nil {
				return err
			}
			if _, err := w.w.Write(f); err != nil {
				return err
			}
		}
		return w.header(dicom.TagSequenceDelimitationItem, 0, 0)
	case e.Raw == nil && e.Bulk != nil:
		rd := e.Bulk.Reader()
		if rd == nil {
			return fmt.Errorf("dicom: write tag %s: %w and no source to copy it from", e.Tag, dicom.ErrValueNotLoaded)
		}
		if e.Length == dicom.UndefinedLength {
			// Encapsulated data kept in the stream: copy the items verbatim.
			if err := w.header(e.Tag, dicom.OB, dicom.UndefinedLength); err != nil {
				return err
			}
		} else if err := w.header(e.Tag, vr, uint32(e.Bulk.Length)); err != nil {
			return err
		}
		if e.BigEndian != w.big && e.Length != dicom.UndefinedLength && vr.WordSize() > 1 {
			return fmt.Errorf("dicom: write tag %s: cannot swap bytes of bulk data left in the stream", e.Tag)
		}
		_, err := io.Copy(w.w, rd)
		return err
	}
	raw := e.Raw
	if e.BigEndian != w.big && !e.ValueVR().IsText() {
		raw = dicom.SwapBytes(e.ValueVR(), raw)
	}
	pad := len(raw)%2 == 1
	n := uint32(len(raw))
	if pad {
		n++
	}
	if err := w.header(e.Tag, vr, n); err != nil {
		return err
	}
	if _, err := w.w.Write(raw); err != nil {
		return err
	}
	if pad {
		return w.w.WriteByte(vr.PadByte())
	}
	return nil
}

// WriteDataset writes ds (without meta group) in transfer syntax ts, as a
// DIMSE data set is sent. Sequences and items are written with undefined
// length; retired group lengths are dropped.
func WriteDataset(dst io.Writer, ds *dicom.Dataset, ts uid.TransferSyntax) error {
	bw := bufio.NewWriterSize(dst, 64<<10)
	var fw *flate.Writer
	out := bw
	if ts.Deflated {
		var err error
		if fw, err = flate.NewWriter(bw, flate.DefaultCompression); err != nil {
			return err
		}
		out = bufio.NewWriterSize(fw, 64<<10)
	}
	w := &writer{w: out, big: ts.BigEndian, explicit: ts.ExplicitVR}
	if err := w.dataset(ds, true); err != nil {
		return err
	}
	if err := out.Flush(); err != nil {
		return err
	}
	if fw != nil {
		if err := fw.Close(); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// Write writes f as a Part 10 file (PS3.10 §7.1): a 128-byte preamble (f's,
// or zeros), "DICM", the meta group in explicit VR little endian with a
// correct (0002,0000) group length, then the dataset in f.TransferSyntax
// (Explicit VR Little Endian when unset). Missing meta elements are filled
// in from the dataset: SOP class and instance UIDs, transfer syntax,
// implementation UID and version name.
func Write(dst io.Writer, f *File) error {
	ts := f.TransferSyntax
	if ts.UID == "" {
		ts = uid.ExplicitLE()
	}
	meta, err := BuildMeta(f.Meta, f.Dataset, ts.UID)
	if err != nil {
		return err
	}
	if err := WriteHeader(dst, f.Preamble, meta); err != nil {
		return err
	}
	return WriteDataset(dst, f.Dataset, ts)
}

// WriteHeader writes the part of a Part 10 file before the data set: the
// 128-byte preamble (preamble, or zeros), "DICM" and meta, a complete meta
// group such as [BuildMeta] returns, with a correct (0002,0000) group
// length. A network receiver uses it to store a data set it received
// byte for byte: WriteHeader, then the data set bytes as they came.
func WriteHeader(dst io.Writer, preamble []byte, meta *dicom.Dataset) error {
	var body bytes.Buffer
	mw := &writer{w: bufio.NewWriter(&body), explicit: true}
	for _, e := range meta.Elements() {
		if e.Tag == dicom.TagFileMetaInformationGroupLength {
			continue
		}
		if err := mw.element(e); err != nil {
			return err
		}
	}
	if err := mw.w.Flush(); err != nil {
		return err
	}
	pre := make([]byte, 128, 128+4+12+body.Len())
	copy(pre, preamble)
	pre = append(pre, "DICM"...)
	pre = append(pre, 0x02, 0x00, 0x00, 0x00, 'U', 'L', 4, 0)
	pre = binary.LittleEndian.AppendUint32(pre, uint32(body.Len()))
	pre = append(pre, body.Bytes()...)
	_, err := dst.Write(pre)
	return err
}

// BuildMeta returns a copy of meta completed for writing ds in transfer
// syntax tsUID (PS3.10 §7.1).
func BuildMeta(meta, ds *dicom.Dataset, tsUID string) (*dicom.Dataset, error) {
	out := dicom.New()
	if meta != nil {
		for _, e := range meta.Elements() {
			if e.Tag.Group() == 0x0002 {
				out.Set(e)
			}
		}
	}
	set := func(t dicom.Tag, v string, force bool) error {
		if !force && out.Text(t) != "" {
			return nil
		}
		if v == "" {
			return fmt.Errorf("dicom: build meta: no value for %s %s", t, dicom.Keyword(t))
		}
		return out.SetStrings(t, 0, v)
	}
	if err := out.SetBytes(dicom.TagFileMetaInformationVersion, dicom.OB, []byte{0, 1}); err != nil {
		return nil, err
	}
	if err := set(dicom.TagMediaStorageSOPClassUID, ds.Text(dicom.TagSOPClassUID), false); err != nil {
		return nil, err
	}
	if err := set(dicom.TagMediaStorageSOPInstanceUID, ds.Text(dicom.TagSOPInstanceUID), false); err != nil {
		return nil, err
	}
	if err := set(dicom.TagTransferSyntaxUID, tsUID, true); err != nil {
		return nil, err
	}
	if err := set(dicom.TagImplementationClassUID, ImplementationClassUID, false); err != nil {
		return nil, err
	}
	if out.Text(dicom.TagImplementationClassUID) == ImplementationClassUID {
		if err := set(dicom.TagImplementationVersionName, ImplementationVersionName, true); err != nil {
			return nil, err
		}
	}
	return out, nil
}
