package scpecg

import (
	"os"
	"path/filepath"
	"testing"

	"yigong/conformance/corpus"
)

// FuzzRead checks that no input makes the reader panic. Seeds: the corpus
// file when present and a few headers. The CRC check rejects most mutated
// inputs early, so the seeds also include the corpus file with its CRCs
// recomputed after mutation (see fixCRCs).
func FuzzRead(f *testing.F) {
	if dir, ok := corpus.Locate(); ok {
		if b, err := os.ReadFile(filepath.Join(dir, "ecg", "ecgtoolkit", "Example.scp")); err == nil {
			f.Add(b, false)
		}
	}
	f.Add([]byte{}, false)
	// The synthetic records of synthetic_test.go: reference beat
	// subtraction and bimodal compression.
	f.Add(scpRecord(map[int][]byte{
		3: section3(1, 2, 1, 20),
		4: qrsSection(10, 3, []qrs{{0, 9, 10, 12, 9, 12}}),
		5: encodedSection(1000, 2000, 0, 0, []int16{10, 20, 30, 20, 10}),
		6: encodedSection(1000, 8000, 1, 1, []int16{0, 40, 40, 10, 10, 10, 10, 40}),
	}), false)
	f.Add(make([]byte, 22), true)
	f.Fuzz(func(t *testing.T, b []byte, fix bool) {
		if fix {
			b = fixCRCs(b)
		}
		_, _ = Decode(b)
	})
}

// fixCRCs returns a copy of b with the record CRC and every section CRC
// recomputed where the lengths allow. It is for fuzzing, which
// would otherwise never get past the CRC checks.
func fixCRCs(b []byte) []byte {
	b = append([]byte(nil), b...)
	if len(b) < 22 {
		return b
	}
	n := int(le32(b[2:]))
	if n > len(b) || n < 22 {
		return b
	}
	// Section 0 first, then the sections it points at.
	fix := func(off int) (body []byte) {
		if off < 0 || off+16 > n {
			return nil
		}
		l := int(le32(b[off+4:]))
		if l < 16 || off+l > n {
			return nil
		}
		c := crcCCITT(b[off+2 : off+l])
		b[off], b[off+1] = byte(c), byte(c>>8)
		return b[off+16 : off+l]
	}
	s0 := fix(6)
	for p := 0; p+10 <= len(s0); p += 10 {
		if idx := int(le32(s0[p+6:])); idx > 0 {
			fix(idx - 1)
		}
	}
	c := crcCCITT(b[2:n])
	b[0], b[1] = byte(c), byte(c>>8)
	return b
}
