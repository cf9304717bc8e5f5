package empi_test

import (
	"context"
	"os"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"yigong/fhir/empi"
	"yigong/fhir/empi/evalgen"
)

// benchRecords is the index size of the benchmarks: 1,000,000 records
// (YIGONG_EMPI_BENCH overrides it).
func benchRecords() int {
	if n, err := strconv.Atoi(os.Getenv("YIGONG_EMPI_BENCH")); err == nil && n > 0 {
		return n
	}
	return 1000000
}

var (
	benchOnce sync.Once
	benchIx   *empi.Index
	benchData *evalgen.Data
	benchLoad time.Duration
)

func benchIndex(b *testing.B) (*empi.Index, *evalgen.Data) {
	benchOnce.Do(func() {
		benchData = evalgen.Generate(evalgen.Config{Records: benchRecords(), Seed: 7})
		start := time.Now()
		benchIx = empi.NewIndex(empi.Options{})
		for _, r := range benchData.Records {
			benchIx.Add(r)
		}
		benchLoad = time.Since(start)
	})
	return benchIx, benchData
}

// BenchmarkMatch measures one Match (blocking, scoring, sorting) against an
// in-memory index of a million records and reports p50 and p99 latencies.
func BenchmarkMatch(b *testing.B) {
	ix, data := benchIndex(b)
	b.ReportMetric(float64(benchLoad.Milliseconds()), "index-build-ms")
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := (i * 7919) % len(data.Records)
		start := time.Now()
		ix.Match(data.Records[k], empi.MatchOptions{Count: 10, Exclude: k, ExcludeSet: true})
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkRelink measures a full relink (every record matched against the
// ones before it, links closed transitively) of the million-record index.
func BenchmarkRelink(b *testing.B) {
	ix, data := benchIndex(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if _, err := ix.Relink(context.Background(), 0); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(data.Records))/time.Since(start).Seconds(), "records/s")
	}
}
