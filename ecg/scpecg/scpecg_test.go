package scpecg_test

import (
	"errors"
	"os"
	"testing"

	"yigong/conformance/corpus"
	"yigong/ecg"
	"yigong/ecg/scpecg"
)

func TestExample(t *testing.T) {
	b, err := os.ReadFile(corpus.Path(t, "ecg", "ecgtoolkit", "Example.scp"))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := scpecg.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"family name", rec.Patient.FamilyName, "Clark"},
		{"model", rec.Device.Model, "ELI250"},
		{"leads", len(rec.Leads), 12},
		{"median leads", len(rec.Median), 12},
		{"median samples", len(rec.Median[0].Samples), 599},
		{"median rate", rec.MedianSampleRate, 500.0},
		{"duration", rec.Duration().String(), "10s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
	if m, ok := rec.Measurement(ecg.QTc); !ok || m.Method != ecg.UnknownQTcF {
		t.Errorf("QTc %+v: the file's formula byte is 0 (unknown)", m)
	}
}

func TestCorrupt(t *testing.T) {
	b, err := os.ReadFile(corpus.Path(t, "ecg", "ecgtoolkit", "Example.scp"))
	if err != nil {
		t.Fatal(err)
	}
	flip := func(off int) []byte {
		c := append([]byte(nil), b...)
		c[off] ^= 0x40
		return c
	}
	tests := []struct {
		name  string
		in    []byte
		isCRC bool
	}{
		{"record crc", flip(0), true},
		{"sample data", flip(0x300), true},
		{"truncated", b[:len(b)/2], false},
		{"empty", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := scpecg.Decode(tt.in)
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, scpecg.ErrCRC) != tt.isCRC {
				t.Errorf("err = %v; CRC error expected: %v", err, tt.isCRC)
			}
		})
	}
}
