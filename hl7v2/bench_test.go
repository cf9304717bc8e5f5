package hl7v2_test

import (
	"bytes"
	"os"
	"testing"

	"yigong/conformance/corpus"
	"yigong/hl7v2"
)

// BenchmarkParse parses a real ORU^R01 (v2.8, 28 segments, 7.5 KB) from the
// shared corpus.
func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile(corpus.Path(b, "hl7v2", "messages", "ORU-R01-01.hl7"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := hl7v2.Parse(data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkParseGBK parses a GBK message with MSH-18 empty and default GBK:
// the charset decode before splitting.
func BenchmarkParseGBK(b *testing.B) {
	data, err := os.ReadFile("testdata/gbk_trap_msh18_empty.hl7")
	if err != nil {
		b.Fatal(err)
	}
	opts := hl7v2.DecodeOptions{DefaultCharset: "GBK"}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := opts.Parse(data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkEncode encodes the parsed ORU back to bytes.
func BenchmarkEncode(b *testing.B) {
	data, err := os.ReadFile(corpus.Path(b, "hl7v2", "messages", "ORU-R01-01.hl7"))
	if err != nil {
		b.Fatal(err)
	}
	m, err := hl7v2.Parse(data)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var buf []byte
	for b.Loop() {
		buf, err = m.AppendEncode(buf[:0])
		if err != nil || !bytes.Equal(buf, data) {
			b.Fatal("encode differs")
		}
	}
}
