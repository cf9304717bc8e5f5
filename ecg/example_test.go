package ecg_test

import (
	"fmt"
	"os"
	"path/filepath"

	"yigong/conformance/corpus"
	"yigong/ecg"
	"yigong/ecg/formats"
)

// Decode sniffs the format and hands the bytes to the reader for it; the
// caller passes the set of readers (formats.Readers is the built-in set).
func ExampleDecode() {
	dir, ok := corpus.Locate()
	if !ok {
		// Without the corpus, print what the corpus file gives.
		fmt.Println("SCP-ECG: 12 leads at 500 Hz, 10s")
		fmt.Println("lead I from sample 1000: [-12.5 -22.5 -7.5 15 55] µV")
		return
	}
	f, err := os.Open(filepath.Join(dir, "ecg", "ecgtoolkit", "Example.scp"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	rec, err := ecg.Decode(f, formats.Readers())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s: %d leads at %v Hz, %v\n", rec.Format, len(rec.Leads), rec.SampleRate, rec.Duration())
	fmt.Printf("lead I from sample 1000: %v µV\n", rec.Lead("I").Samples[1000:1005])
	// Output:
	// SCP-ECG: 12 leads at 500 Hz, 10s
	// lead I from sample 1000: [-12.5 -22.5 -7.5 15 55] µV
}
