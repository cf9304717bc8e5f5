package dicomwave_test

import (
	"encoding/binary"
	"fmt"
	"testing"

	"yigong/ecg/dicomwave"
)

// writer builds little-endian DICOM data sets for tests.
type writer struct {
	explicit bool
	b        []byte
}

func (w *writer) elem(group, elem uint16, vr string, v []byte) {
	w.b = binary.LittleEndian.AppendUint16(w.b, group)
	w.b = binary.LittleEndian.AppendUint16(w.b, elem)
	if len(v)%2 == 1 {
		v = append(v, ' ')
	}
	if w.explicit || group == 2 {
		w.b = append(w.b, vr...)
		switch vr {
		case "OB", "OW", "SQ", "UN", "UT":
			w.b = append(w.b, 0, 0)
			w.b = binary.LittleEndian.AppendUint32(w.b, uint32(len(v)))
		default:
			w.b = binary.LittleEndian.AppendUint16(w.b, uint16(len(v)))
		}
	} else {
		w.b = binary.LittleEndian.AppendUint32(w.b, uint32(len(v)))
	}
	w.b = append(w.b, v...)
}

func (w *writer) str(g, e uint16, vr, s string) { w.elem(g, e, vr, []byte(s)) }
func (w *writer) us(g, e uint16, v uint16) {
	w.elem(g, e, "US", binary.LittleEndian.AppendUint16(nil, v))
}
func (w *writer) ul(g, e uint16, v uint32) {
	w.elem(g, e, "UL", binary.LittleEndian.AppendUint32(nil, v))
}

// seq writes a sequence of items, each of undefined length when undef.
func (w *writer) seq(g, e uint16, undef bool, items ...[]byte) {
	var body []byte
	for _, it := range items {
		body = binary.LittleEndian.AppendUint32(body, 0xE000FFFE)
		if undef {
			body = binary.LittleEndian.AppendUint32(body, 0xFFFFFFFF)
			body = append(body, it...)
			body = binary.LittleEndian.AppendUint32(body, 0xE00DFFFE)
			body = binary.LittleEndian.AppendUint32(body, 0)
		} else {
			body = binary.LittleEndian.AppendUint32(body, uint32(len(it)))
			body = append(body, it...)
		}
	}
	w.elem(g, e, "SQ", body)
}

func file(explicit bool, body func(w *writer)) []byte {
	ts := "1.2.840.10008.1.2"
	if explicit {
		ts = "1.2.840.10008.1.2.1"
	}
	w := &writer{explicit: explicit, b: append(make([]byte, 128), "DICM"...)}
	w.str(2, 0x10, "UI", ts+"\x00")
	body(w)
	return w.b
}

func channel(explicit bool, code, scheme, unit string, sens, corr, base string) []byte {
	w := &writer{explicit: explicit}
	src := &writer{explicit: explicit}
	src.str(8, 0x100, "SH", code)
	src.str(8, 0x102, "SH", scheme)
	w.seq(0x3A, 0x208, false, src.b)
	w.str(0x3A, 0x210, "DS", sens)
	u := &writer{explicit: explicit}
	u.str(8, 0x100, "SH", unit)
	w.seq(0x3A, 0x211, true, u.b)
	w.str(0x3A, 0x212, "DS", corr)
	w.str(0x3A, 0x213, "DS", base)
	return w.b
}

func TestSynthetic(t *testing.T) {
	for _, explicit := range []bool{false, true} {
		t.Run(fmt.Sprintf("explicit=%v", explicit), func(t *testing.T) {
			b := file(explicit, func(w *writer) {
				w.str(0x10, 0x10, "PN", "Wang^XiaoDong=王^小东")
				w.str(0x10, 0x40, "CS", "F")
				g1 := &writer{explicit: explicit}
				g1.str(0x3A, 0x4, "CS", "ORIGINAL")
				g1.us(0x3A, 0x5, 2)
				g1.ul(0x3A, 0x10, 3)
				g1.str(0x3A, 0x1A, "DS", "250")
				g1.seq(0x3A, 0x200, false,
					channel(explicit, "2:62", "MDC", "uV", "2.5", "1", "0"),
					channel(explicit, "5.6.3-9-3", "SCPECG", "mV", "0.01", "2", "0.5"))
				g1.us(0x5400, 0x1004, 16)
				g1.str(0x5400, 0x1006, "CS", "SS")
				data := []byte{}
				for _, v := range []int16{1, -2, 3, -4, 5, 6} {
					data = binary.LittleEndian.AppendUint16(data, uint16(v))
				}
				g1.elem(0x5400, 0x1010, "OW", data)
				g2 := &writer{explicit: explicit}
				g2.str(0x3A, 0x4, "CS", "DERIVED")
				g2.us(0x3A, 0x5, 1)
				g2.ul(0x3A, 0x10, 2)
				g2.str(0x3A, 0x1A, "DS", "500")
				g2.seq(0x3A, 0x200, false, channel(explicit, "2:1", "MDC", "uV", "5", "1", "0"))
				g2.us(0x5400, 0x1004, 8)
				g2.str(0x5400, 0x1006, "CS", "SB")
				g2.elem(0x5400, 0x1010, "OB", []byte{0xff, 2})
				w.seq(0x5400, 0x100, !explicit, g1.b, g2.b)
			})
			rec, err := dicomwave.Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			tests := []struct {
				name      string
				got, want any
			}{
				{"rate", rec.SampleRate, 250.0},
				{"names", rec.Leads[0].Name + "," + rec.Leads[1].Name, "aVR,V1"},
				{"aVR", rec.Leads[0].Samples, []float64{2.5, 7.5, 12.5}},
				// (x × 0.01 × 2 + 0.5) mV
				{"V1", rec.Leads[1].Samples, []float64{460, 420, 620}},
				{"median", rec.Median[0].Samples, []float64{-5, 10}},
				{"median rate", rec.MedianSampleRate, 500.0},
				{"family", rec.Patient.FamilyName, "Wang"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					if fmt.Sprint(tt.got) != fmt.Sprint(tt.want) {
						t.Errorf("got %v, want %v", tt.got, tt.want)
					}
				})
			}
		})
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"no DICM", make([]byte, 200)},
		{"no waveform", file(true, func(w *writer) { w.str(0x10, 0x20, "LO", "X") })},
		{"big endian", func() []byte {
			w := &writer{b: append(make([]byte, 128), "DICM"...)}
			w.str(2, 0x10, "UI", "1.2.840.10008.1.2.2\x00")
			return w.b
		}()},
		{"truncated", file(true, func(w *writer) { w.str(0x10, 0x20, "LO", "XXXX") })[:150]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := dicomwave.Decode(tt.in); err == nil {
				t.Error("no error")
			}
		})
	}
}

func FuzzRead(f *testing.F) {
	for _, explicit := range []bool{false, true} {
		f.Add(file(explicit, func(w *writer) {
			g := &writer{explicit: explicit}
			g.us(0x3A, 0x5, 1)
			g.ul(0x3A, 0x10, 2)
			g.str(0x3A, 0x1A, "DS", "500")
			g.seq(0x3A, 0x200, true, channel(explicit, "2:1", "MDC", "uV", "5", "1", "0"))
			g.us(0x5400, 0x1004, 8)
			g.str(0x5400, 0x1006, "CS", "MB")
			g.elem(0x5400, 0x1010, "OB", []byte{0xff, 2})
			w.seq(0x5400, 0x100, explicit, g.b)
			a := &writer{explicit: explicit}
			a.ul(0x40, 0xA132, 7)
			w.seq(0x40, 0xB020, false, a.b)
		}))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = dicomwave.Decode(b)
	})
}
