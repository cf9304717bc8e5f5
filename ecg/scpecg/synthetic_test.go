package scpecg

import (
	"encoding/binary"
	"slices"
	"strings"
	"testing"
)

// EN 1064 structures built byte by byte for the features the corpus file
// does not use: reference beat subtraction (§5.7.2, section 3 flag bit 0)
// and bimodal compression (§5.7.3, section 6 byte 6). No section 2 means
// the data are not Huffman coded: 2-byte little-endian values (§5.5).

var le = binary.LittleEndian

// scpRecord assembles a record: CRC, length, section 0 pointing at the
// given sections, then the sections, each with its 16-byte header and CRC.
func scpRecord(bodies map[int][]byte) []byte {
	ids := []int{0}
	for id := range bodies {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	section := func(id int, body []byte) []byte {
		h := make([]byte, 16, 16+len(body))
		le.PutUint16(h[2:], uint16(id))
		le.PutUint32(h[4:], uint32(16+len(body)))
		h[8], h[9] = 20, 20 // section and protocol version 2.0
		if id == 0 {
			copy(h[10:], "SCPECG")
		}
		s := append(h, body...)
		le.PutUint16(s, crcCCITT(s[2:]))
		return s
	}
	// Section 0 has one 10-byte pointer per section, itself included.
	s0len := 16 + 10*len(ids)
	var ptrs []byte
	off := 6 + s0len // 0-based offset of the next section
	for _, id := range ids {
		n, index := s0len, 7
		if id != 0 {
			n, index = 16+len(bodies[id]), off+1
			off += n
		}
		ptrs = le.AppendUint16(ptrs, uint16(id))
		ptrs = le.AppendUint32(ptrs, uint32(n))
		ptrs = le.AppendUint32(ptrs, uint32(index))
	}
	b := make([]byte, 6)
	b = append(b, section(0, ptrs)...)
	for _, id := range ids[1:] {
		b = append(b, section(id, bodies[id])...)
	}
	le.PutUint32(b[2:], uint32(len(b)))
	le.PutUint16(b, crcCCITT(b[2:]))
	return b
}

// section3 is one lead (id) from sample start to end, flags as given.
func section3(flags byte, id byte, start, end int) []byte {
	b := []byte{1, flags}
	b = le.AppendUint32(b, uint32(start))
	b = le.AppendUint32(b, uint32(end))
	return append(b, id)
}

type qrs struct{ typ, start, fid, end, protStart, protEnd int }

func qrsSection(refLenMS, refFid int, q []qrs) []byte {
	b := le.AppendUint16(nil, uint16(refLenMS))
	b = le.AppendUint16(b, uint16(refFid))
	b = le.AppendUint16(b, uint16(len(q)))
	for _, x := range q {
		b = le.AppendUint16(b, uint16(x.typ))
		b = le.AppendUint32(b, uint32(x.start))
		b = le.AppendUint32(b, uint32(x.fid))
		b = le.AppendUint32(b, uint32(x.end))
	}
	for _, x := range q {
		b = le.AppendUint32(b, uint32(x.protStart))
		b = le.AppendUint32(b, uint32(x.protEnd))
	}
	return b
}

// encodedSection is a section 5 or 6 body for one lead of int16 values.
func encodedSection(avmNV, intervalUS int, diff, bimodal byte, v []int16) []byte {
	b := le.AppendUint16(nil, uint16(avmNV))
	b = le.AppendUint16(b, uint16(intervalUS))
	b = append(b, diff, bimodal)
	b = le.AppendUint16(b, uint16(2*len(v)))
	for _, x := range v {
		b = le.AppendUint16(b, uint16(x))
	}
	return b
}

// firstDiff encodes v as first differences (§5.6.2: the first value as
// it is).
func firstDiff(v []int16) []int16 {
	out := slices.Clone(v)
	for i := len(v) - 1; i > 0; i-- {
		out[i] = v[i] - v[i-1]
	}
	return out
}

func TestSynthetic(t *testing.T) {
	t.Parallel()
	residual := make([]int16, 20)
	for i := range residual {
		residual[i] = int16(i)
	}
	ref := []int16{10, 20, 30, 20, 10}
	tests := []struct {
		name  string
		file  []byte
		rate  float64
		want  []float64 // µV
		beats []int
	}{
		{
			// One type-0 QRS (samples 6–10, fiducial 8) gets the 5-sample
			// reference beat added with its fiducial (3) on sample 8; the
			// type-1 QRS (14–18) is left as stored. Rhythm in first
			// differences, 5 µV a unit.
			name: "reference beat subtraction",
			file: scpRecord(map[int][]byte{
				3: section3(1, 2, 1, 20),
				4: qrsSection(10, 3, []qrs{{0, 6, 8, 10, 0, 0}, {1, 14, 16, 18, 0, 0}}),
				5: encodedSection(5000, 2000, 0, 0, ref),
				6: encodedSection(5000, 2000, 1, 0, firstDiff(residual)),
			}),
			rate:  500,
			want:  scaled(5, []int{0, 1, 2, 3, 4, 5 + 10, 6 + 20, 7 + 30, 8 + 20, 9 + 10, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19}),
			beats: []int{7, 15},
		},
		{
			// Rhythm at 125 Hz (8000 µs), reference at 500 Hz: f = 4. Stored
			// are samples 1, 5 (every 4th), 9–12 (protected area of the
			// QRS), 13 and 17 (every 4th again, counted from the end of the
			// protected area); the rest is interpolated on a 10-unit ramp
			// and the last value held. No reference beat subtraction.
			name: "bimodal compression",
			file: scpRecord(map[int][]byte{
				3: section3(0, 2, 1, 20),
				4: qrsSection(10, 3, []qrs{{0, 9, 10, 12, 9, 12}}),
				5: encodedSection(1000, 2000, 0, 0, ref),
				6: encodedSection(1000, 8000, 0, 1, []int16{0, 40, 80, 90, 100, 110, 120, 160}),
			}),
			rate:  500,
			want:  scaled(1, []int{0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160, 160, 160, 160}),
			beats: []int{9},
		},
		{
			// Both: the reference beat (fiducial 3) lands on the QRS of
			// samples 9–12 with its fiducial on 10, adding ref[1..4].
			name: "bimodal compression with reference beat subtraction",
			file: scpRecord(map[int][]byte{
				3: section3(1, 2, 1, 20),
				4: qrsSection(10, 3, []qrs{{0, 9, 10, 12, 9, 12}}),
				5: encodedSection(1000, 2000, 0, 0, ref),
				6: encodedSection(1000, 8000, 1, 1, firstDiff([]int16{0, 40, 80, 90, 100, 110, 120, 160})),
			}),
			rate:  500,
			want:  scaled(1, []int{0, 10, 20, 30, 40, 50, 60, 70, 80 + 20, 90 + 30, 100 + 20, 110 + 10, 120, 130, 140, 150, 160, 160, 160, 160}),
			beats: []int{9},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec, err := Decode(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if rec.SampleRate != tt.rate || len(rec.Leads) != 1 || rec.Leads[0].Name != "II" {
				t.Fatalf("rate %v, leads %d", rec.SampleRate, len(rec.Leads))
			}
			if got := rec.Leads[0].Samples; !slices.Equal(got, tt.want) {
				t.Errorf("samples\n got %v\nwant %v", got, tt.want)
			}
			if len(rec.Median) != 1 || rec.MedianSampleRate != 500 {
				t.Errorf("median: %d leads at %v Hz", len(rec.Median), rec.MedianSampleRate)
			}
			var beats []int
			for _, b := range rec.Beats {
				beats = append(beats, b.Sample)
			}
			if !slices.Equal(beats, tt.beats) {
				t.Errorf("beats %v, want %v", beats, tt.beats)
			}
		})
	}
}

func scaled(uv float64, v []int) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x) * uv
	}
	return out
}

func TestSyntheticErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		file []byte
		want string
	}{
		{"subtraction without section 4", scpRecord(map[int][]byte{
			3: section3(1, 2, 1, 4),
			6: encodedSection(1000, 2000, 0, 0, []int16{1, 2, 3, 4}),
		}), "without sections 4 and 5"},
		{"subtraction at another rate", scpRecord(map[int][]byte{
			3: section3(1, 2, 1, 4),
			4: qrsSection(10, 3, nil),
			5: encodedSection(1000, 2000, 0, 0, []int16{1, 2, 3, 4, 5}),
			6: encodedSection(1000, 4000, 0, 0, []int16{1, 2, 3, 4}),
		}), "without bimodal compression"},
		{"bimodal interval not a multiple", scpRecord(map[int][]byte{
			3: section3(0, 2, 1, 4),
			4: qrsSection(10, 3, nil),
			5: encodedSection(1000, 3000, 0, 0, []int16{1, 2, 3}),
			6: encodedSection(1000, 4000, 0, 1, []int16{1, 2, 3, 4}),
		}), "not a multiple"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Decode(tt.file)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
