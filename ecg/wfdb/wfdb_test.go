package wfdb_test

import (
	"errors"
	"testing"
	"testing/fstest"

	"yigong/ecg"
	"yigong/ecg/wfdb"
)

func TestParseHeader(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		check   func(*testing.T, *wfdb.Header)
		wantErr bool
	}{
		{"mitbih", "100 2 360 650000\n100.dat 212 200 11 1024 995 -22131 0 MLII\n100.dat 212 200 11 1024 1011 20052 0 V5\n# 69 M 1085 1629 x1\n", func(t *testing.T, h *wfdb.Header) {
			if h.SampleRate != 360 || h.NumSamples != 650000 || len(h.Signals) != 2 {
				t.Errorf("%+v", h)
			}
			s := h.Signals[0]
			if s.Format != 212 || s.Gain != 200 || s.Baseline != 1024 || s.InitVal != 995 || s.Description != "MLII" || s.Units != "mV" {
				t.Errorf("%+v", s)
			}
		}, false},
		{"gain baseline units time date", "r 1 500/1000(2) 10 12:30:05 02/03/2024\nr.dat 16+24 1000(-5)/uV 16 0 0 0 0 lead II spaced\n", func(t *testing.T, h *wfdb.Header) {
			s := h.Signals[0]
			if s.Gain != 1000 || s.Baseline != -5 || s.Units != "uV" || s.ByteOffset != 24 || s.Description != "lead II spaced" {
				t.Errorf("%+v", s)
			}
			if !h.HasDate || h.BaseTime.Format("2006-01-02 15:04:05") != "2024-03-02 12:30:05" || h.CounterFreq != 1000 {
				t.Errorf("%+v", h)
			}
		}, false},
		{"defaults", "r 1\nr.dat 16\n", func(t *testing.T, h *wfdb.Header) {
			if h.SampleRate != 250 || h.Signals[0].Gain != 200 {
				t.Errorf("%+v", h)
			}
		}, false},
		{"missing signal", "r 2\nr.dat 16\n", nil, true},
		{"multi-segment", "r/2 1\n", nil, true},
		{"bad fs", "r 1 abc\nr.dat 16\n", nil, true},
		{"empty", "", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := wfdb.ParseHeader([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if tt.check != nil {
				tt.check(t, h)
			}
		})
	}
}

// enc212 packs pairs of 12-bit samples as format 212 does.
func enc212(v []int) []byte {
	var b []byte
	for i := 0; i < len(v); i += 2 {
		a, c := v[i]&0xfff, v[i+1]&0xfff
		b = append(b, byte(a), byte(a>>8)|byte(c>>8)<<4, byte(c))
	}
	return b
}

func TestReadRecord(t *testing.T) {
	fsys := fstest.MapFS{
		"r.hea": {Data: []byte("r 2 100 3\nr.dat 212 100(0)/mV 12 0 0 0 0 II\nr.dat 212 100 12 10 0 0 0 V1\n")},
		// frames: (1,-1) (2047,-2048) (0,10)
		"r.dat": {Data: enc212([]int{1, -1, 2047, -2048, 0, 10})},
		// annotations: N at 1, "+" at 2 with aux "(N", V at 1026 via SKIP.
		"r.atr": {Data: []byte{
			0x01, 0x04, // code 1 (N), interval 1
			0x01, 0x70, // code 28 (+), interval 1
			0x04, 0xfc, '(', 'N', 0, 0, // AUX, 4 bytes ("(N\0" padded)
			0x00, 0xec, 0x00, 0x00, 0x00, 0x04, // SKIP 1024
			0x00, 0x14, // code 5 (V), interval 0
			0x00, 0x00,
		}},
	}
	rec, err := wfdb.ReadRecord(fsys, "r", "atr")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"II", rec.Leads[0].Samples, []float64{10, 20470, 0}},
		{"V1", rec.Leads[1].Samples, []float64{-110, -20580, 0}},
		{"names", rec.Leads[0].Name + "," + rec.Leads[1].Name, "II,V1"},
		{"beats", len(rec.Beats), 2},
		{"beat 0", rec.Beats[0].Type + "@" + itoa(rec.Beats[0].Sample), "N@1"},
		{"beat 1", rec.Beats[1].Type + "@" + itoa(rec.Beats[1].Sample), "V@1026"},
		{"rhythm", rec.Annotations[0].Code + rec.Annotations[0].Text, "+(N"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if fmtv(tt.got) != fmtv(tt.want) {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
	_ = ecg.FormatWFDB
}

func TestReadAnnotationsErrors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
	}{
		{"odd byte", []byte{1}},
		{"truncated skip", []byte{0x00, 0xec, 0x00}},
		{"truncated aux", []byte{0x01, 0x04, 0x08, 0xfc, 'a'}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := wfdb.ReadAnnotations(tt.in); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestUnsupportedFormat(t *testing.T) {
	fsys := fstest.MapFS{"r.hea": {Data: []byte("r 1\nr.dat 310\n")}, "r.dat": {Data: make([]byte, 8)}}
	if _, err := wfdb.ReadRecord(fsys, "r", ""); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("err = %v, want ErrUnsupported", err)
	}
}
