package wfdb_test

import (
	"os"
	"path/filepath"
	"testing"

	"yigong/conformance/corpus"
	"yigong/ecg/wfdb"
)

// FuzzRead feeds a header, one signal file and an annotation file to the
// readers; only "no panic" is checked.
func FuzzRead(f *testing.F) {
	f.Add([]byte("r 2 360 4\nr.dat 212 200 11 1024 995 -22131 0 MLII\nr.dat 212 200 11 1024 1011 20052 0 V5\n"), []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, []byte{0x01, 0x04, 0x00, 0x00})
	f.Add([]byte("r 1 500\nr.dat 16+2 1000(-5)/uV\n"), []byte{0, 0, 1, 0, 255, 255}, []byte{0x04, 0xfc, 'a', 'b', 'c', 'd'})
	f.Add([]byte("r 1\nr.dat 8 200 8 0 5\n"), []byte{1, 255, 3}, []byte{0x00, 0xec, 0, 0, 1, 0})
	if dir, ok := corpus.Locate(); ok {
		h, _ := os.ReadFile(filepath.Join(dir, "ecg", "mitbih", "100.hea"))
		d, _ := os.ReadFile(filepath.Join(dir, "ecg", "mitbih", "100.dat"))
		a, _ := os.ReadFile(filepath.Join(dir, "ecg", "mitbih", "100.atr"))
		if len(d) > 3000 {
			d = d[:3000]
		}
		f.Add(h, d, a)
	}
	f.Fuzz(func(t *testing.T, hea, dat, atr []byte) {
		h, err := wfdb.ParseHeader(hea)
		if err == nil {
			files := map[string][]byte{}
			for _, s := range h.Signals {
				files[s.FileName] = dat
			}
			_, _ = wfdb.Decode(h, files, nil)
		}
		_, _ = wfdb.ReadAnnotations(atr)
	})
}
