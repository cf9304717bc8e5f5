package part10_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"yigong/conformance/corpus"
	"yigong/dicom"
	"yigong/dicom/charset"
	"yigong/dicom/part10"
	"yigong/dicom/uid"
)

// TestCharsetFiles checks the names in the corpus charset files decode to
// the Unicode pydicom gives (and dcmdump +U8, where glibc supports the set).
func TestCharsetFiles(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file string
		want string
		ideo string
	}{
		{"chrX1.dcm", "Wang^XiaoDong=王^小東=", "王小東"},
		{"chrX2.dcm", "Wang^XiaoDong=王^小东=", "王小东"},
		{"chrH31.dcm", "Yamada^Tarou=山田^太郎=やまだ^たろう", "山田太郎"},
		{"chrI2.dcm", "Hong^Gildong=洪^吉洞=홍^길동", "洪吉洞"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			t.Parallel()
			f, err := readFile(t, corpus.Path(t, "dicom", "charset", c.file), nil)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := f.Dataset.Strings(dicom.TagPatientName)
			if len(got) != 1 || got[0] != c.want {
				t.Fatalf("PatientName %q, want %q", got, c.want)
			}
			pn, _ := f.Dataset.PersonName(dicom.TagPatientName)
			if pn.Ideographic.Family+pn.Ideographic.Given != c.ideo {
				t.Errorf("ideographic %+v", pn.Ideographic)
			}
		})
	}
}

func roundTrip(t *testing.T, ds *dicom.Dataset, ts uid.TransferSyntax) *dicom.Dataset {
	t.Helper()
	var buf bytes.Buffer
	if err := part10.Write(&buf, &part10.File{Dataset: ds, TransferSyntax: ts}); err != nil {
		t.Fatalf("write: %v", err)
	}
	f, err := part10.Read(bytes.NewReader(buf.Bytes()), nil)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if gl, _ := f.Meta.Int(dicom.TagFileMetaInformationGroupLength); int(gl) != metaLen(buf.Bytes()) {
		t.Errorf("group length %d, meta is %d bytes", gl, metaLen(buf.Bytes()))
	}
	return f.Dataset
}

// metaLen measures group 0002 after its group length element.
func metaLen(b []byte) int {
	p := 132 + 12
	start := p
	for p+8 <= len(b) && binary.LittleEndian.Uint16(b[p:]) == 2 {
		vr, _ := dicom.VRFromBytes(b[p+4], b[p+5])
		if vr.LongHeader() {
			p += 12 + int(binary.LittleEndian.Uint32(b[p+8:]))
		} else {
			p += 8 + int(binary.LittleEndian.Uint16(b[p+6:]))
		}
	}
	return p - start
}

// TestGB18030RoundTrip writes the 0x5C trap and reads it back.
func TestGB18030RoundTrip(t *testing.T) {
	t.Parallel()
	ds := dicom.New()
	_ = ds.SetStrings(dicom.TagSpecificCharacterSet, 0, "GB18030")
	_ = ds.SetStrings(dicom.TagSOPClassUID, 0, uid.SecondaryCaptureImageStorage)
	_ = ds.SetStrings(dicom.TagSOPInstanceUID, 0, "2.25.1")
	if err := ds.SetStrings(dicom.TagPatientName, 0, "Zhang^Jin=张^璡="); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{uid.ImplicitVRLittleEndian, uid.ExplicitVRLittleEndian, uid.ExplicitVRBigEndian, uid.DeflatedExplicitVRLittleEndian} {
		ts, _ := uid.LookupTransferSyntax(u)
		t.Run(uid.Name(u), func(t *testing.T) {
			t.Parallel()
			got := roundTrip(t, ds, ts)
			vals, _ := got.Strings(dicom.TagPatientName)
			if len(vals) != 1 || vals[0] != "Zhang^Jin=张^璡=" {
				t.Fatalf("PatientName %q", vals)
			}
			pn, _ := got.PersonName(dicom.TagPatientName)
			if pn.Ideographic.Given != "璡" {
				t.Errorf("given %q", pn.Ideographic.Given)
			}
		})
	}
}

// TestEveryVR writes one element of every VR in each native transfer
// syntax, with a nested sequence, and reads the same values back.
func TestEveryVR(t *testing.T) {
	t.Parallel()
	build := func() *dicom.Dataset {
		ds := dicom.New()
		_ = ds.SetStrings(dicom.TagSpecificCharacterSet, 0, "ISO_IR 192")
		text := []struct {
			vr dicom.VR
			v  string
		}{
			{dicom.AE, "STORESCP"}, {dicom.AS, "045Y"}, {dicom.CS, `A\B`}, {dicom.DA, "20240101"}, {dicom.DS, `1.5\-2`},
			{dicom.DT, "20240101120000.5+0800"}, {dicom.IS, `7\8`}, {dicom.LO, "县医院"}, {dicom.LT, " 多行\r\n文本"},
			{dicom.PN, "Li^Lei=李^雷"}, {dicom.SH, "短"}, {dicom.ST, "短文本"}, {dicom.TM, "120000"}, {dicom.UC, "长码值"},
			{dicom.UI, "1.2.3"}, {dicom.UR, "http://example.org/a b"}, {dicom.UT, "无限文本"},
		}
		for i, x := range text {
			_ = ds.SetStrings(dicom.NewTag(0x0009, 0x1000+uint16(i)), x.vr, x.v)
		}
		_ = ds.SetStrings(dicom.NewTag(0x0009, 0x0010), dicom.LO, "TEST")
		ints := map[dicom.VR][]int64{dicom.US: {1, 65535}, dicom.SS: {-1, 2}, dicom.UL: {1 << 31}, dicom.SL: {-1 << 31}, dicom.SV: {-1 << 60}, dicom.UV: {1 << 62}, dicom.AT: {int64(dicom.TagPatientName)}}
		for _, vr := range []dicom.VR{dicom.US, dicom.SS, dicom.UL, dicom.SL, dicom.SV, dicom.UV, dicom.AT} {
			_ = ds.SetInts(dicom.NewTag(0x0011, 0x1000+uint16(vr)), vr, ints[vr]...)
		}
		_ = ds.SetStrings(dicom.NewTag(0x0011, 0x0010), dicom.LO, "TEST")
		floats := map[dicom.VR][]float64{dicom.FL: {1.5}, dicom.FD: {-2.25}, dicom.OF: {3, 4}, dicom.OD: {5}}
		for _, vr := range []dicom.VR{dicom.FL, dicom.FD, dicom.OF, dicom.OD} {
			_ = ds.SetFloats(dicom.NewTag(0x0013, uint16(vr)), vr, floats[vr]...)
		}
		_ = ds.SetStrings(dicom.NewTag(0x0013, 0x0010), dicom.LO, "TEST")
		for i, vr := range []dicom.VR{dicom.OB, dicom.OW, dicom.OL, dicom.OV, dicom.UN} {
			_ = ds.SetBytes(dicom.NewTag(0x0015, 0x1000+uint16(i)), vr, []byte{1, 2, 3, 4, 5, 6, 7, 8})
		}
		_ = ds.SetStrings(dicom.NewTag(0x0015, 0x0010), dicom.LO, "TEST")
		inner := dicom.NewItem(nil)
		_ = inner.SetStrings(dicom.NewTag(0x0008, 0x0100), 0, "X")
		outer := dicom.NewItem(nil)
		outer.SetItems(dicom.NewTag(0x0040, 0xA730), inner)
		ds.SetItems(dicom.NewTag(0x0040, 0xA730), outer, dicom.NewItem(nil))
		_ = ds.SetStrings(dicom.TagSOPClassUID, 0, uid.ComprehensiveSRStorage)
		_ = ds.SetStrings(dicom.TagSOPInstanceUID, 0, "2.25.2")
		return ds
	}
	for _, u := range []string{uid.ExplicitVRLittleEndian, uid.ExplicitVRBigEndian, uid.DeflatedExplicitVRLittleEndian, uid.ImplicitVRLittleEndian} {
		ts, _ := uid.LookupTransferSyntax(u)
		t.Run(uid.Name(u), func(t *testing.T) {
			t.Parallel()
			ds := build()
			got := roundTrip(t, ds, ts)
			if d := diffDatasets(ds, got, "", !ts.ExplicitVR); d != "" {
				t.Error(d)
			}
		})
	}
}

// TestUNUndefinedLength: UN of undefined length is an implicit VR little
// endian sequence (PS3.5 §6.2.2), even inside explicit VR big endian.
func TestUNUndefinedLength(t *testing.T) {
	t.Parallel()
	le := binary.LittleEndian
	var b []byte
	b = append(b, 0x09, 0x00, 0x10, 0x00, 'L', 'O', 4, 0, 'A', 'C', 'M', 'E')
	b = append(b, 0x09, 0x00, 0x01, 0x10, 'U', 'N', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF)
	b = le.AppendUint32(append(b, 0xFE, 0xFF, 0x00, 0xE0), 0xFFFFFFFF) // item
	b = append(b, 0x10, 0x00, 0x20, 0x00)                              // (0010,0020) implicit
	b = le.AppendUint32(b, 4)
	b = append(b, 'I', 'D', '4', '2')
	b = le.AppendUint32(append(b, 0xFE, 0xFF, 0x0D, 0xE0), 0)
	b = le.AppendUint32(append(b, 0xFE, 0xFF, 0xDD, 0xE0), 0)
	ds, err := part10.ReadDataset(bytes.NewReader(b), uid.ExplicitLE(), nil)
	if err != nil {
		t.Fatal(err)
	}
	items := ds.Items(dicom.NewTag(0x0009, 0x1001))
	if len(items) != 1 || items[0].Text(dicom.TagPatientID) != "ID42" {
		t.Fatalf("items %v", items)
	}
}

// TestHostileLengths: lengths beyond the input fail without allocating.
func TestHostileLengths(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"long value", []byte{0x10, 0, 0x10, 0, 'O', 'B', 0, 0, 0xF0, 0xFF, 0xFF, 0x7F, 1}, part10.ErrTooLong},
		{"long item", []byte{0x08, 0, 0x15, 0x11, 'S', 'Q', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0xFF, 0, 0xE0, 0xF0, 0xFF, 0xFF, 0x7F}, part10.ErrTooLong},
		{"bad VR", []byte{0x10, 0, 0x10, 0, 'P', 'N', 2, 0, 'A', 'B', 0x10, 0, 0x20, 0, 'Z', 'Z', 2, 0, 'A', 'B'}, part10.ErrMalformed},
		{"stray item", []byte{0xFE, 0xFF, 0, 0xE0, 0, 0, 0, 0}, part10.ErrNotDICOM},
		{"truncated header", []byte{0x10, 0, 0x10, 0, 'P', 'N', 2, 0, 'A', 'B', 0x10, 0, 0x20}, io.ErrUnexpectedEOF},
		{"empty", nil, part10.ErrNotDICOM},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := part10.Read(bytes.NewReader(c.in), nil)
			if !errors.Is(err, c.want) {
				t.Errorf("got %v, want %v", err, c.want)
			}
		})
	}
	// Through a plain io.Reader (size unknown) a lying length still fails
	// after reading what there is.
	in := []byte{0x10, 0, 0x10, 0, 'O', 'B', 0, 0, 0xF0, 0xFF, 0xFF, 0x3F, 1, 2}
	if _, err := part10.Read(io.MultiReader(bytes.NewReader(in)), nil); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("unknown size: %v", err)
	}
}

// TestPixelDataModes: load, defer (offset+length and a reader), skip, stop.
func TestPixelDataModes(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"CT_small.dcm", "JPEG2000.dcm"} {
		p := corpus.Path(t, "dicom", name)
		full, err := readFile(t, p, nil)
		if err != nil {
			t.Fatal(err)
		}
		pix, _ := full.Dataset.Get(dicom.TagPixelData)
		t.Run(name+"/defer", func(t *testing.T) {
			t.Parallel()
			f, err := readFile(t, p, &part10.Options{PixelData: part10.DeferPixelData})
			if err != nil {
				t.Fatal(err)
			}
			e, ok := f.Dataset.Get(dicom.TagPixelData)
			if !ok || e.Raw != nil || e.Bulk == nil {
				t.Fatalf("deferred element %+v", e)
			}
			if pix.Raw != nil && e.Bulk.Length != int64(len(pix.Raw)) {
				t.Errorf("bulk length %d, want %d", e.Bulk.Length, len(pix.Raw))
			}
			// The file is closed now; open a fresh one as the source.
			data, _ := io.ReadAll(mustOpen(t, p))
			e.Bulk.Source = bytes.NewReader(data)
			got, _ := io.ReadAll(e.Bulk.Reader())
			if pix.Raw != nil && !bytes.Equal(got, pix.Raw) {
				t.Error("bulk reader returned other bytes")
			}
			if _, err := e.Strings(); !errors.Is(err, dicom.ErrValueNotLoaded) {
				t.Errorf("Strings on bulk: %v", err)
			}
			// Written with the source, the result equals the full file.
			var buf bytes.Buffer
			if err := part10.Write(&buf, f); err != nil {
				t.Fatal(err)
			}
			g, err := part10.Read(bytes.NewReader(buf.Bytes()), nil)
			if err != nil {
				t.Fatal(err)
			}
			if d := diffDatasets(full.Dataset, g.Dataset, "", false); d != "" {
				t.Error(d)
			}
		})
		t.Run(name+"/skip", func(t *testing.T) {
			t.Parallel()
			f, err := readFile(t, p, &part10.Options{PixelData: part10.SkipPixelData})
			if err != nil || f.Dataset.Has(dicom.TagPixelData) || f.Dataset.Len() != full.Dataset.Len()-1 {
				t.Errorf("skip: %v, %d elements", err, f.Dataset.Len())
			}
		})
		t.Run(name+"/stop", func(t *testing.T) {
			t.Parallel()
			f, err := readFile(t, p, &part10.Options{PixelData: part10.StopAtPixelData})
			if err != nil || !f.Stopped || f.Dataset.Has(dicom.TagPixelData) {
				t.Errorf("stop: %v, stopped %v", err, f.Stopped)
			}
			g, err := readFile(t, p, &part10.Options{StopAt: dicom.NewTag(0x0028, 0)})
			if err != nil || !g.Stopped || g.Dataset.Text(dicom.TagSeriesInstanceUID) == "" || g.Dataset.Has(dicom.NewTag(0x0028, 0x0010)) {
				t.Errorf("StopAt: %v", err)
			}
		})
	}
}

func mustOpen(t *testing.T, p string) io.Reader {
	t.Helper()
	f, err := readFileBytes(p)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(f)
}

// TestDefaultCharset: per-sender configuration decodes undeclared GBK.
func TestDefaultCharset(t *testing.T) {
	t.Parallel()
	var b []byte
	b = append(b, 0x10, 0, 0x10, 0, 'P', 'N', 6, 0)
	b = append(b, "\xcd\xf5^\xad\x5c"...)
	b = append(b, ' ')
	gbk, _ := charset.Parse("GBK")
	ds, err := part10.ReadDataset(bytes.NewReader(b), uid.ExplicitLE(), &part10.Options{Charset: gbk})
	if err != nil {
		t.Fatal(err)
	}
	if got := ds.Text(dicom.TagPatientName); got != "王^璡" {
		t.Errorf("got %q", got)
	}
}
