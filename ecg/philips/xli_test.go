package philips

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"yigong/ecg/philips/philipstest"
)

// TestLZWVectors decodes code streams packed by hand: 10-bit codes, most
// significant bit first.
func TestLZWVectors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		// 65 'A', 66 'B', 256 "AB", 1023 end:
		// 0001000001 0001000010 0100000000 1111111111
		{"learnt string", []byte{0x10, 0x44, 0x24, 0x03, 0xFF}, "ABAB"},
		// 65 'A', then 256 before it is complete ("A"+"A"), end:
		// 0001000001 0100000000 1111111111 00
		{"string being defined", []byte{0x10, 0x50, 0x0F, 0xFC}, "AAA"},
		// No end code: stops when fewer than 10 bits remain.
		{"no end code", []byte{0x10, 0x44, 0x20}, "AB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d dictionary
			got, err := lzwDecode(nil, tt.in, 100, &d)
			if err != nil || string(got) != tt.want {
				t.Errorf("lzwDecode = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	var d dictionary
	// 65 then 300, which is not defined yet: 0001000001 0100101100 0000.
	if _, err := lzwDecode(nil, []byte{0x10, 0x52, 0xC0}, 100, &d); !errors.Is(err, ErrXLI) {
		t.Errorf("undefined code: err = %v", err)
	}
}

// TestUnpredict checks the second-order prediction by hand: samples
// 10 12 15 13 11 are stored as 10, 12, then 2·15−12−13+64 = 69,
// 2·13−15−11+64 = 64, a last unused 64, with first = 2·12−10−15 = −1.
func TestUnpredict(t *testing.T) {
	t.Parallel()
	terms := []int16{10, 12, 69, 64, 64}
	var b []byte
	for _, v := range terms {
		b = append(b, byte(uint16(v)>>8))
	}
	for _, v := range terms {
		b = append(b, byte(v))
	}
	if got := unpredict(b, -1); !slices.Equal(got, []int32{10, 12, 15, 13, 11}) {
		t.Errorf("unpredict = %v", got)
	}
}

// TestXLIRoundTrip encodes leads with philipstest and decodes them.
func TestXLIRoundTrip(t *testing.T) {
	t.Parallel()
	const n = 5000
	names := []string{"I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2"}
	leads := make([][]int32, len(names))
	seed := uint32(7)
	for k := range leads {
		leads[k] = make([]int32, n)
		v := int32(0)
		for i := range leads[k] {
			seed = seed*1664525 + 1013904223
			v += int32(seed>>28) - 8 // a random walk, −8…+7 per step
			if i%400 == 200 {
				v += 300 // a QRS-like jump
			}
			leads[k][i] = v
		}
	}
	data, err := philipstest.XLI(names, leads)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeXLI(data, n, 16)
	if err != nil {
		t.Fatal(err)
	}
	restoreLimbLeads(got)
	for k := range leads {
		if !slices.Equal(got[k], leads[k]) {
			t.Fatalf("lead %s differs", names[k])
		}
	}
	if len(data) >= 2*n*len(names) {
		t.Errorf("compressed %d bytes, raw %d", len(data), 2*n*len(names))
	}
}

func TestDecodeXLIErrors(t *testing.T) {
	t.Parallel()
	good, err := philipstest.Chunk([]int32{1, 2, 3, 4, 5, 6})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   []byte
		n    int
	}{
		{"empty", nil, 6},
		{"short header", good[:5], 6},
		{"size beyond data", good[:len(good)-1], 6},
		{"too many chunks", bytes.Repeat(good, 3), 6},
		{"no samples", good, 0},
	}
	for _, tt := range tests {
		if _, err := DecodeXLI(tt.in, tt.n, 2); !errors.Is(err, ErrXLI) {
			t.Errorf("%s: err = %v, want ErrXLI", tt.name, err)
		}
	}
	if l, err := DecodeXLI(good, 6, 2); err != nil || !slices.Equal(l[0], []int32{1, 2, 3, 4, 5, 6}) {
		t.Errorf("good chunk: %v, %v", l, err)
	}
}
