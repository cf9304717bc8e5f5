package aecg_test

import (
	"testing"

	"yigong/ecg/aecg"
)

// FuzzRead checks that no input makes the reader panic. The seeds are small
// synthetic documents; the 500 KB corpus file would slow the fuzzer down.
func FuzzRead(f *testing.F) {
	f.Add([]byte(synthetic))
	f.Add([]byte(`<AnnotatedECG><component><series><component><sequenceSet></sequenceSet></component></series></component></AnnotatedECG>`))
	f.Add([]byte(`<a>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = aecg.Decode(b)
	})
}
