package mfer

import (
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"yigong/ecg"
)

// tlv encodes one item by the ISO 22077-1 rules: short length below 0x80,
// else 0x80|n and n big-endian length bytes.
func tlv(tag byte, v ...byte) []byte {
	b := []byte{tag}
	return append(appendLen(b, len(v)), v...)
}

func appendLen(b []byte, n int) []byte {
	switch {
	case n < 0x80:
		return append(b, byte(n))
	case n < 0x10000:
		return append(b, 0x82, byte(n>>8), byte(n))
	}
	return append(b, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// attr encodes a channel attribute (tag 0x3F, channel number, length,
// nested items).
func attr(ch byte, items ...[]byte) []byte {
	var v []byte
	for _, it := range items {
		v = append(v, it...)
	}
	return append(appendLen([]byte{tagAttribute, ch}, len(v)), v...)
}

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func preamble() []byte {
	p := make([]byte, 32)
	copy(p, "MFER test file, synthetic")
	return tlv(tagPreamble, p...)
}

// bigEndian12 is a 2-channel (I, II) file, big-endian by default, int16,
// 500 Hz, 5 µV, blocks of 4 samples, 3 sequences, with patient data.
func bigEndian12() ([]byte, [2][]float64) {
	var data []byte
	var want [2][]float64
	for seq := range 3 {
		for ch := range 2 {
			for i := range 4 {
				v := int16((ch+1)*100*(seq*4+i) - 500)
				data = binary.BigEndian.AppendUint16(data, uint16(v))
				want[ch] = append(want[ch], float64(v)*5)
			}
		}
	}
	name := []byte("王小东")
	b := cat(preamble(),
		tlv(tagCharCode, []byte("UTF-8")...),
		tlv(tagBlockLen, 4),
		tlv(tagChannels, 2),
		tlv(tagSequences, 3),
		tlv(tagWaveType, 1),
		tlv(tagDataType, 0),
		tlv(tagInterval, 0, 0, 0x01, 0xf4),         // 500 Hz
		tlv(tagResolution, 0, byte(0xfa), 0x00, 5), // 5 × 10^-6 V
		attr(0, tlv(tagLead, 1)),
		attr(1, tlv(tagLead, 0, 2)),
		tlv(tagName, name...),
		tlv(tagPatientID, []byte("110101199003078515")...),
		tlv(tagSex, 1),
		tlv(tagAge, 36, 0, 0, 0x07, 0xc6, 3, 7),                 // 36 years, born 1990-03-07
		tlv(tagTime, 0x07, 0xea, 11, 21, 9, 30, 15, 0x00, 0x7b), // 2026-11-21 09:30:15.123
		tlv(tagMaker, []byte("Acme^ECG-12^SN1^2.0")...),
		tlv(tagWaveform, data...),
		[]byte{tagEnd, 0},
	)
	return b, want
}

func TestDecodeBigEndian(t *testing.T) {
	t.Parallel()
	b, want := bigEndian12()
	rec, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Format != ecg.FormatMFER || rec.SampleRate != 500 || len(rec.Leads) != 2 {
		t.Fatalf("format %v, rate %v, %d leads", rec.Format, rec.SampleRate, len(rec.Leads))
	}
	for i, name := range []string{"I", "II"} {
		l := rec.Leads[i]
		if l.Name != name || len(l.Samples) != 12 {
			t.Fatalf("lead %d: %s, %d samples", i, l.Name, len(l.Samples))
		}
		for j := range want[i] {
			if l.Samples[j] != want[i][j] {
				t.Errorf("%s[%d] = %v µV, want %v", name, j, l.Samples[j], want[i][j])
			}
		}
	}
	cst := time.FixedZone("CST", 8*3600)
	p := rec.Patient
	if p.Name != "王小东" || p.ID != "110101199003078515" || p.Sex != ecg.SexMale || p.Age.Value != 36 ||
		!p.BirthDate.Equal(time.Date(1990, 3, 7, 0, 0, 0, 0, cst)) {
		t.Errorf("patient %+v", p)
	}
	if !rec.Start.Equal(time.Date(2026, 11, 21, 9, 30, 15, 123e6, cst)) {
		t.Errorf("start %v", rec.Start)
	}
	if rec.Device != (ecg.Device{Manufacturer: "Acme", Model: "ECG-12", Serial: "SN1", Software: "2.0"}) {
		t.Errorf("device %+v", rec.Device)
	}
}

// TestDecodeLittleEndian covers the little-endian byte order, int32 data,
// the sampling interval in seconds, per-channel resolution, block length
// and offset, lead names as text, null values, long lengths and several
// waveform items.
func TestDecodeLittleEndian(t *testing.T) {
	t.Parallel()
	le := binary.LittleEndian
	const n = 100 // sequences; channel 0 has blocks of 2, channel 1 of 1
	var data []byte
	for seq := range n {
		for i := range 2 {
			v := int32(seq*2 + i)
			if seq == 10 {
				v = -999 // null
			}
			data = le.AppendUint32(data, uint32(v))
		}
		data = le.AppendUint32(data, uint32(int32(1000+seq)))
	}
	b := cat(preamble(),
		tlv(tagByteOrder, 1),
		tlv(tagChannels, 2),
		tlv(tagDataType, 2),
		tlv(tagInterval, 1, byte(0xfd), 2, 0), // 2 × 10^-3 s, little-endian mantissa
		tlv(tagResolution, 0, byte(0xf9), 25), // 2.5 µV
		tlv(tagNull, le.AppendUint32(nil, uint32(0xfffffc19))...),
		attr(0, tlv(tagLead, []byte("V5")...), tlv(tagBlockLen, 2)),
		attr(1, tlv(tagLead, []byte("avf")...), tlv(tagResolution, 0, byte(0xfa), 1, 0), tlv(tagOffset, le.AppendUint32(nil, 1000)...)),
		tlv(tagWaveform, data[:600]...),
		tlv(tagWaveform, data[600:]...),
	)
	rec, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if rec.SampleRate != 500 {
		t.Errorf("rate %v", rec.SampleRate)
	}
	v5, avf := rec.Leads[0], rec.Leads[1]
	if v5.Name != "V5" || avf.Name != "aVF" || len(v5.Samples) != 2*n || len(avf.Samples) != n {
		t.Fatalf("leads %s (%d) %s (%d)", v5.Name, len(v5.Samples), avf.Name, len(avf.Samples))
	}
	for i, got := range v5.Samples {
		want := float64(i) * 2.5
		if i/2 == 10 {
			want = 0
		}
		if got != want {
			t.Fatalf("V5[%d] = %v, want %v", i, got, want)
		}
	}
	for i, got := range avf.Samples {
		if want := float64(i); got != want { // (1000+i − 1000) × 1 µV
			t.Fatalf("aVF[%d] = %v, want %v", i, got, want)
		}
	}
	if len(rec.Annotations) != 1 || rec.Annotations[0].Sample != 20 || rec.Annotations[0].Code != "mfer-null" {
		t.Errorf("annotations %+v", rec.Annotations)
	}
}

func TestLength(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 127, 128, 255, 256, 70000} {
		b := tlv(tagWaveform, make([]byte, n)...)
		tag, _, v, next, err := item(b, 0)
		if err != nil || tag != tagWaveform || len(v) != n || next != len(b) {
			t.Errorf("length %d: tag %#x, %d bytes, next %d, %v", n, tag, len(v), next, err)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	good, _ := bigEndian12()
	replace := func(old, new []byte) []byte {
		return []byte(strings.Replace(string(good), string(old), string(new), 1))
	}
	tests := []struct {
		name string
		in   []byte
		want string
		is   error
	}{
		{"empty", nil, "no sampling rate", nil},
		{"truncated", good[:len(good)-40], "beyond the end", nil},
		{"AHA compression", replace(tlv(tagDataType, 0), tlv(tagDataType, 9)), "data type 9", errors.ErrUnsupported},
		{"no rate", replace(tlv(tagInterval, 0, 0, 0x01, 0xf4), tlv(tagZero, 0, 0, 0, 0)), "no sampling rate", nil},
		{"no resolution", replace(tlv(tagResolution, 0, byte(0xfa), 0x00, 5), tlv(tagZero, 0, 0, 0, 0)), "no resolution", nil},
		{"resolution unit", replace(tlv(tagResolution, 0, byte(0xfa), 0x00, 5), tlv(tagResolution, 1, byte(0xfa), 0x00, 5)), "not volts", errors.ErrUnsupported},
		{"too many sequences", replace(tlv(tagSequences, 3), tlv(tagSequences, 4)), "4 sequences declared", nil},
		{"nested attribute", cat(attr(0, attr(1)), good), "inside a channel attribute", nil},
		{"bad long length", []byte{tagWaveform, 0x85, 0, 0, 0, 0, 0}, "bad long length", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Decode(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.want) || (tt.is != nil && !errors.Is(err, tt.is)) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestPow10(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		x    float64
		e    int
		want float64
	}{{25, -1, 2.5}, {5, 0, 5}, {488, -2, 4.88}, {1, 3, 1000}} {
		if got := pow10(c.x, c.e); math.Abs(got-c.want) > 0 {
			t.Errorf("pow10(%v, %d) = %v", c.x, c.e, got)
		}
	}
}
