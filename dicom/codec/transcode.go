package codec

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"

	"yigong/dicom"
	"yigong/dicom/part10"
	"yigong/dicom/uid"
)

// kind groups transfer syntaxes by how their pixel data is encoded.
type kind uint8

const (
	kindUnknown kind = iota
	kindNative       // implicit/explicit VR, either byte order, deflated
	kindRLE
	kindJPEGBaseline
)

func kindOf(ts string) kind {
	switch ts {
	case uid.ImplicitVRLittleEndian, uid.ExplicitVRLittleEndian, uid.ExplicitVRBigEndian, uid.DeflatedExplicitVRLittleEndian:
		return kindNative
	case uid.RLELossless:
		return kindRLE
	case uid.JPEGBaseline8Bit:
		return kindJPEGBaseline
	}
	return kindUnknown
}

// CanTranscode reports whether pixel data in transfer syntax from can be
// rewritten in to. A true answer can still fail on the data: JPEG Baseline
// takes 8-bit images only.
func CanTranscode(from, to string) bool {
	return from == to || kindOf(from) != kindUnknown && kindOf(to) != kindUnknown
}

// EncapsulatedFrames splits encapsulated pixel data into n frames (PS3.5
// §A.4): one fragment per frame, all fragments for a single frame, or the
// groups the Basic Offset Table marks.
func EncapsulatedFrames(f *dicom.Fragments, n int) ([][]byte, error) {
	switch {
	case len(f.Items) == n:
		return f.Items, nil
	case n == 1:
		return [][]byte{bytes.Join(f.Items, nil)}, nil
	}
	offs := f.Offsets()
	if len(offs) != n {
		return nil, fmt.Errorf("codec: %d fragments and %d offsets for %d frames: %w", len(f.Items), len(offs), n, ErrUnsupported)
	}
	out := make([][]byte, 0, n)
	var pos uint32
	next := 0
	var cur []byte
	for i, it := range f.Items {
		if next < n && pos == offs[next] {
			if next > 0 {
				out = append(out, cur)
			}
			cur = nil
			next++
		} else if i == 0 || next < n && pos > offs[next] {
			return nil, fmt.Errorf("codec: basic offset table does not match the fragments: %w", ErrCorrupt)
		}
		cur = append(cur, it...)
		pos += 8 + uint32(len(it))
	}
	out = append(out, cur)
	if len(out) != n {
		return nil, fmt.Errorf("codec: basic offset table names %d frames, found %d: %w", n, len(out), ErrCorrupt)
	}
	return out, nil
}

// Frames returns the native frames of ds's pixel data, stored in transfer
// syntax ts, and the image they describe.
func Frames(ds *dicom.Dataset, ts string) ([][]byte, Image, error) {
	e, ok := ds.Get(dicom.TagPixelData)
	if !ok {
		return nil, Image{}, fmt.Errorf("codec: no pixel data: %w", ErrUnsupported)
	}
	im, err := Describe(ds)
	if err != nil {
		return nil, im, err
	}
	k := kindOf(ts)
	if e.Fragments == nil {
		if k != kindNative {
			return nil, im, fmt.Errorf("codec: native pixel data in %s: %w", uid.Name(ts), ErrCorrupt)
		}
		raw, err := e.Bytes()
		if err != nil {
			return nil, im, fmt.Errorf("codec: pixel data: %w", err)
		}
		if e.BigEndian {
			raw = dicom.SwapBytes(e.ValueVR(), raw)
		}
		size := im.FrameSize()
		if size*im.Frames > len(raw) {
			return nil, im, fmt.Errorf("codec: %d bytes of pixel data for %d frames of %d: %w", len(raw), im.Frames, size, ErrCorrupt)
		}
		out := make([][]byte, im.Frames)
		for i := range out {
			out[i] = raw[i*size : (i+1)*size]
		}
		return out, im, nil
	}
	var decode func([]byte, Image) ([]byte, error)
	switch k {
	case kindRLE:
		decode = DecodeRLE
	case kindJPEGBaseline:
		decode = DecodeJPEGBaseline
	default:
		return nil, im, fmt.Errorf("codec: decoding %s: %w", uid.Name(ts), ErrUnsupported)
	}
	enc, err := EncapsulatedFrames(e.Fragments, im.Frames)
	if err != nil {
		return nil, im, err
	}
	out := make([][]byte, len(enc))
	for i, f := range enc {
		if out[i], err = decode(f, im); err != nil {
			return nil, im, fmt.Errorf("frame %d: %w", i+1, err)
		}
	}
	if k == kindJPEGBaseline && im.Samples == 3 {
		im.Photometric = "RGB"
	}
	return out, im, nil
}

// Transcode rewrites ds's pixel data, stored in transfer syntax from, for
// transfer syntax to, and the attributes that change with it. Between
// native syntaxes nothing changes: the writer sets the byte order.
func Transcode(ds *dicom.Dataset, from, to string) error {
	fk, tk := kindOf(from), kindOf(to)
	if fk == kindUnknown || tk == kindUnknown {
		return fmt.Errorf("codec: %s to %s: %w", uid.Name(from), uid.Name(to), ErrUnsupported)
	}
	e, ok := ds.Get(dicom.TagPixelData)
	if from == to || fk == kindNative && tk == kindNative || !ok {
		return nil
	}
	frames, im, err := Frames(ds, from)
	if err != nil {
		return fmt.Errorf("codec: %s to %s: %w", uid.Name(from), uid.Name(to), err)
	}
	if fk == kindJPEGBaseline && im.Samples == 3 {
		if err := ds.SetStrings(tagPhotometric, dicom.CS, "RGB"); err != nil {
			return err
		}
	}
	native := 0
	for _, f := range frames {
		native += len(f)
	}
	switch tk {
	case kindNative:
		raw := make([]byte, 0, native+1)
		for _, f := range frames {
			raw = append(raw, f...)
		}
		vr := dicom.OW
		if im.BitsAllocated == 8 {
			vr = dicom.OB
		}
		if len(raw)%2 == 1 {
			raw = append(raw, 0)
		}
		ds.Set(&dicom.Element{Tag: e.Tag, VR: vr, Length: uint32(len(raw)), Offset: -1, Raw: raw})
		return nil
	case kindRLE:
		enc := make([][]byte, len(frames))
		for i, f := range frames {
			if enc[i], err = EncodeRLE(f, im); err != nil {
				return fmt.Errorf("frame %d: %w", i+1, err)
			}
		}
		setFragments(ds, e.Tag, enc)
		return nil
	}
	enc := make([][]byte, len(frames))
	size := 0
	for i, f := range frames {
		if enc[i], err = EncodeJPEGBaseline(f, im, DefaultJPEGQuality); err != nil {
			return fmt.Errorf("frame %d: %w", i+1, err)
		}
		size += len(enc[i])
	}
	setFragments(ds, e.Tag, enc)
	if im.Samples == 3 {
		if err := ds.SetStrings(tagPhotometric, dicom.CS, "YBR_FULL_422"); err != nil {
			return err
		}
		if err := ds.SetInts(tagPlanarConfiguration, dicom.US, 0); err != nil {
			return err
		}
	}
	// Lossy Image Compression (PS3.3 §C.7.6.1.1.5): once lossy, always
	// lossy; ratio and method are appended to those already there.
	if err := ds.SetStrings(tagLossyImageCompression, dicom.CS, "01"); err != nil {
		return err
	}
	ratios, _ := ds.Strings(tagLossyCompressionRatio)
	methods, _ := ds.Strings(tagLossyCompressionMethod)
	ratio := strconv.FormatFloat(float64(native)/float64(max(size, 1)), 'f', 2, 64)
	if err := ds.SetStrings(tagLossyCompressionRatio, dicom.DS, append(ratios, ratio)...); err != nil {
		return err
	}
	return ds.SetStrings(tagLossyCompressionMethod, dicom.CS, append(methods, "ISO_10918_1")...)
}

// setFragments replaces the pixel data with encapsulated frames, one
// fragment each (padded to even length), and a Basic Offset Table.
func setFragments(ds *dicom.Dataset, t dicom.Tag, frames [][]byte) {
	f := &dicom.Fragments{OffsetTable: make([]byte, 0, 4*len(frames)), Items: make([][]byte, len(frames))}
	var pos uint32
	for i, fr := range frames {
		if len(fr)%2 == 1 {
			fr = append(fr, 0)
		}
		f.Items[i] = fr
		f.OffsetTable = binary.LittleEndian.AppendUint32(f.OffsetTable, pos)
		pos += 8 + uint32(len(fr))
	}
	ds.Set(&dicom.Element{Tag: t, VR: dicom.OB, Length: dicom.UndefinedLength, Offset: -1, Fragments: f})
}

// TranscodeDataSet rewrites a data set as DIMSE carries it (no meta
// group), encoded in transfer syntax from, into transfer syntax to.
func TranscodeDataSet(data []byte, from, to string) ([]byte, error) {
	fts, ok := uid.LookupTransferSyntax(from)
	tts, ok2 := uid.LookupTransferSyntax(to)
	if !ok || !ok2 || !CanTranscode(from, to) {
		return nil, fmt.Errorf("codec: %s to %s: %w", uid.Name(from), uid.Name(to), ErrUnsupported)
	}
	if from == to {
		return data, nil
	}
	ds, err := part10.ReadDataset(bytes.NewReader(data), fts, nil)
	if err != nil {
		return nil, fmt.Errorf("codec: read %s data set: %w", uid.Name(from), err)
	}
	if err := Transcode(ds, from, to); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.Grow(len(data) + len(data)/4)
	if err := part10.WriteDataset(&buf, ds, tts); err != nil {
		return nil, fmt.Errorf("codec: write %s data set: %w", uid.Name(to), err)
	}
	return buf.Bytes(), nil
}
