package ishne

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"yigong/ecg"
)

// file describes a synthetic ISHNE file.
type file struct {
	magic      string
	first      string
	last       string
	id         string
	sex        int16
	birth      [3]int16 // day, month, year
	recDate    [3]int16
	start      [3]int16 // hour, minute, second
	specs      []int16
	quality    []int16
	resNV      []int16
	fs         int16
	recorder   string
	varBlock   []byte
	samples    [][]int16 // per lead
	declared   int32     // samples per lead as declared; -1 for len(samples[0])
	corruptCRC bool
}

// build lays the file out as the ISHNE description says: magic, CRC,
// the 512-byte fixed header, the variable block, then interleaved int16.
func (f file) build() []byte {
	b := make([]byte, headerEnd)
	copy(b, f.magic)
	le := binary.LittleEndian
	put16 := func(off int, v int16) { le.PutUint16(b[off:], uint16(v)) }
	n := 0
	if len(f.samples) > 0 {
		n = len(f.samples[0])
	}
	declared := f.declared
	if declared < 0 {
		declared = int32(n)
	}
	le.PutUint32(b[10:], uint32(len(f.varBlock)))
	le.PutUint32(b[14:], uint32(declared))
	le.PutUint32(b[18:], headerEnd)
	le.PutUint32(b[22:], uint32(headerEnd+len(f.varBlock)))
	put16(26, 1)
	copy(b[28:68], f.first)
	copy(b[68:108], f.last)
	copy(b[108:128], f.id)
	put16(128, f.sex)
	for i := range 3 {
		put16(132+2*i, f.birth[i])
		put16(138+2*i, f.recDate[i])
		put16(150+2*i, f.start[i])
	}
	put16(156, int16(len(f.specs)))
	for i := range f.specs {
		put16(158+2*i, f.specs[i])
		if i < len(f.quality) {
			put16(182+2*i, f.quality[i])
		}
		put16(206+2*i, f.resNV[i])
	}
	put16(230, 0)
	copy(b[232:272], f.recorder)
	put16(272, f.fs)
	b = append(b, f.varBlock...)
	for i := range n {
		for l := range f.samples {
			b = le.AppendUint16(b, uint16(f.samples[l][i]))
		}
	}
	crc := crcCCITT(b[headerStart : headerEnd+len(f.varBlock)])
	if f.corruptCRC {
		crc ^= 1
	}
	le.PutUint16(b[8:], crc)
	return b
}

func threeLead() file {
	return file{
		magic: "ISHNE1.0", first: "Xiaodong", last: "Wang", id: "H-0042", sex: 1,
		birth: [3]int16{7, 3, 1990}, recDate: [3]int16{21, 11, 2026}, start: [3]int16{8, 30, 15},
		specs: []int16{11, 15, 6}, quality: []int16{1, 3, 0}, resNV: []int16{2500, 2500, 1000},
		fs: 200, recorder: "digital", varBlock: []byte("free text"),
		samples: [][]int16{{0, 400, -400, 32767}, {1, 2, 3, -32768}, {-1000, 0, 1000, 5}}, declared: -1,
	}
}

func TestCRC(t *testing.T) {
	t.Parallel()
	// The CRC-CCITT (0xFFFF) check value of "123456789".
	if got := crcCCITT([]byte("123456789")); got != 0x29b1 {
		t.Fatalf("crc = %#04x, want 0x29b1", got)
	}
}

func TestDecode(t *testing.T) {
	t.Parallel()
	rec, err := Decode(threeLead().build())
	if err != nil {
		t.Fatal(err)
	}
	if rec.Format != ecg.FormatISHNE || rec.SampleRate != 200 {
		t.Errorf("format %v, rate %v", rec.Format, rec.SampleRate)
	}
	want := []struct {
		name    string
		samples []float64
	}{
		{"V1", []float64{0, 1000, -1000, 81917.5}},
		{"V5", []float64{2.5, 5, 7.5, -81920}},
		{"II", []float64{-1000, 0, 1000, 5}},
	}
	if len(rec.Leads) != len(want) {
		t.Fatalf("%d leads", len(rec.Leads))
	}
	for i, w := range want {
		l := rec.Leads[i]
		if l.Name != w.name || len(l.Samples) != len(w.samples) {
			t.Fatalf("lead %d: %s with %d samples", i, l.Name, len(l.Samples))
		}
		for j := range w.samples {
			if l.Samples[j] != w.samples[j] {
				t.Errorf("lead %s sample %d = %v µV, want %v", l.Name, j, l.Samples[j], w.samples[j])
			}
		}
	}
	cst := time.FixedZone("CST", 8*3600)
	p := rec.Patient
	if p.FamilyName != "Wang" || p.GivenName != "Xiaodong" || p.ID != "H-0042" || p.Sex != ecg.SexMale ||
		!p.BirthDate.Equal(time.Date(1990, 3, 7, 0, 0, 0, 0, cst)) {
		t.Errorf("patient %+v", p)
	}
	if !rec.Start.Equal(time.Date(2026, 11, 21, 8, 30, 15, 0, cst)) {
		t.Errorf("start %v", rec.Start)
	}
	if rec.Device.Model != "digital" {
		t.Errorf("recorder %q", rec.Device.Model)
	}
	if len(rec.Annotations) != 1 || rec.Annotations[0].Channel != 1 || rec.Annotations[0].Text != "frequent noise" {
		t.Errorf("annotations %+v", rec.Annotations)
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	mod := func(f func(*file)) []byte {
		x := threeLead()
		f(&x)
		return x.build()
	}
	tests := []struct {
		name string
		in   []byte
		is   error
		want string
	}{
		{"short", []byte("ISHNE1.0"), nil, "too short"},
		{"magic", mod(func(f *file) { f.magic = "ISHNE2.0" }), nil, "bad magic"},
		{"annotation file", mod(func(f *file) { f.magic = "ANN  1.0" }), errors.ErrUnsupported, "annotation"},
		{"crc", mod(func(f *file) { f.corruptCRC = true }), ErrCRC, "checksum"},
		{"no leads", mod(func(f *file) { f.specs, f.samples = nil, nil }), nil, "0 leads"},
		{"rate", mod(func(f *file) { f.fs = 0 }), nil, "sampling rate"},
		{"resolution", mod(func(f *file) { f.resNV[1] = 0 }), nil, "resolution"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Decode(tt.in)
			if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tt.want)) || (tt.is != nil && !errors.Is(err, tt.is)) {
				t.Fatalf("err = %v, want %q (%v)", err, tt.want, tt.is)
			}
		})
	}
}

func TestTruncated(t *testing.T) {
	t.Parallel()
	f := threeLead()
	f.declared = 1000 // more than present
	b := f.build()
	rec, err := Decode(b[:len(b)-1]) // and the last frame cut
	if err != nil {
		t.Fatal(err)
	}
	if n := len(rec.Leads[0].Samples); n != 3 {
		t.Errorf("%d samples, want the 3 complete frames", n)
	}
}

func TestRead(t *testing.T) {
	t.Parallel()
	rec, err := Read(bytes.NewReader(threeLead().build()))
	if err != nil || len(rec.Leads) != 3 {
		t.Fatalf("Read: %v", err)
	}
}
