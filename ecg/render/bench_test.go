package render

import (
	"io"

	"testing"
	"yigong/ecg"
)

// BenchmarkRender draws the 10 s corpus record (12 leads, 500 Hz) in the
// 3×4 layout with its rhythm strip.
func BenchmarkRender(b *testing.B) {
	rec := corpusRecord(b)
	for _, bc := range []struct {
		name string
		fn   func(io.Writer, *ecg.Record, Options) error
	}{{"SVG", SVG}, {"PNG", PNG}, {"PDF", PDF}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var n int64
			for b.Loop() {
				w := &countWriter{}
				if err := bc.fn(w, rec, Options{}); err != nil {
					b.Fatal(err)
				}
				n = w.n
			}
			b.ReportMetric(float64(n), "output-bytes")
		})
	}
}

type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }
