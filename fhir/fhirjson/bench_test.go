package fhirjson_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"yigong/conformance/corpus"
	"yigong/fhir"
	"yigong/fhir/fhirjson"
)

// syntheaBundles reads the Synthea transaction bundles of the corpus.
func syntheaBundles(b *testing.B) (files [][]byte, total int64) {
	b.Helper()
	dir := corpus.Path(b, "fhir", "synthea")
	ents, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, data)
		total += int64(len(data))
	}
	return files, total
}

func BenchmarkUnmarshal(b *testing.B) {
	files, total := syntheaBundles(b)
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		for _, data := range files {
			if _, err := fhirjson.Unmarshal(data); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkMarshal(b *testing.B) {
	files, total := syntheaBundles(b)
	nodes := make([]*fhir.Node, len(files))
	for i, data := range files {
		n, err := fhirjson.Unmarshal(data)
		if err != nil {
			b.Fatal(err)
		}
		nodes[i] = n
	}
	b.SetBytes(total)
	b.ReportAllocs()
	var buf []byte
	for b.Loop() {
		for _, n := range nodes {
			var err error
			if buf, err = (fhirjson.MarshalOptions{}).Append(buf[:0], n); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkStdlibUnmarshal(b *testing.B) {
	files, total := syntheaBundles(b)
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		for _, data := range files {
			var m map[string]any
			if err := json.Unmarshal(data, &m); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkStdlibMarshal(b *testing.B) {
	files, total := syntheaBundles(b)
	maps := make([]map[string]any, len(files))
	for i, data := range files {
		if err := json.Unmarshal(data, &maps[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		for _, m := range maps {
			if _, err := json.Marshal(m); err != nil {
				b.Fatal(err)
			}
		}
	}
}
