package formats_test

import (
	"bytes"
	"encoding/binary"
	"testing"

	"yigong/ecg"
	"yigong/ecg/formats"
)

// TestSyntheticFormats sniffs and decodes a minimal file of each format
// that has no corpus sample (built from the format descriptions, as in
// each reader's own tests).
func TestSyntheticFormats(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		in     []byte
		format ecg.Format
		lead   string
		want   []float64
	}{
		{"MUSE", []byte(`<?xml version="1.0" encoding="ISO-8859-1"?>
<!DOCTYPE RestingECG SYSTEM "restecg.dtd">
<RestingECG><Waveform><WaveformType>Rhythm</WaveformType><SampleBase>500</SampleBase><SampleExponent>0</SampleExponent>
<LeadData><LeadID>I</LeadID><LeadAmplitudeUnitsPerBit>4.88</LeadAmplitudeUnitsPerBit><LeadAmplitudeUnits>MICROVOLTS</LeadAmplitudeUnits><WaveFormData>AQD//w==</WaveFormData></LeadData>
</Waveform></RestingECG>`), ecg.FormatMUSEXML, "I", []float64{4.88, -4.88}},
		{"ISHNE", ishneFile(), ecg.FormatISHNE, "V1", []float64{2.5, -5}},
		{"MFER", mferFile(), ecg.FormatMFER, "II", []float64{5, -10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := ecg.Sniff(tt.in); got != tt.format {
				t.Fatalf("Sniff = %v, want %v", got, tt.format)
			}
			rec, err := formats.Decode(bytes.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			l := rec.Lead(tt.lead)
			if rec.Format != tt.format || l == nil || len(l.Samples) != len(tt.want) {
				t.Fatalf("format %v, lead %s = %v", rec.Format, tt.lead, l)
			}
			for i, w := range tt.want {
				if l.Samples[i] != w {
					t.Errorf("%s[%d] = %v µV, want %v", tt.lead, i, l.Samples[i], w)
				}
			}
		})
	}
}

// ishneFile is one lead (V1, code 11) of two samples at 2500 nV.
func ishneFile() []byte {
	b := make([]byte, 522)
	copy(b, "ISHNE1.0")
	le := binary.LittleEndian
	le.PutUint32(b[14:], 2)
	le.PutUint32(b[18:], 522)
	le.PutUint32(b[22:], 522)
	le.PutUint16(b[156:], 1)
	le.PutUint16(b[158:], 11)
	le.PutUint16(b[206:], 2500)
	le.PutUint16(b[272:], 200)
	crc := uint16(0xffff)
	for _, c := range b[10:522] {
		crc ^= uint16(c) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	le.PutUint16(b[8:], crc)
	b = le.AppendUint16(b, 1)
	return le.AppendUint16(b, uint16(0xfffe))
}

// mferFile is one channel (lead II, code 2) of two int16 samples at 500 Hz
// and 5 µV, big-endian.
func mferFile() []byte {
	b := append([]byte{0x40, 0x20}, make([]byte, 32)...)
	b = append(b, 0x0b, 4, 0, 0, 0x01, 0xf4) // 500 Hz
	b = append(b, 0x0c, 3, 0, 0xfa, 5)       // 5 × 10^-6 V
	b = append(b, 0x3f, 0, 3, 0x09, 1, 2)    // channel 0: lead II
	b = append(b, 0x1e, 4, 0, 1, 0xff, 0xfe) // 1, −2
	return append(b, 0x80, 0)
}
