package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"yigong/fhir/store"
)

// Benchmark runs the store benchmarks: create throughput (one resource per
// transaction, 100 per transaction, and concurrent single creates) and read
// by id, reporting resources/s beside ns/op. open must return a new, empty
// store.
func Benchmark(b *testing.B, open func(b *testing.B) store.Store) {
	body := Patient("王", "110101198005170011")
	input := store.Input{Institution: "h1", Type: "Patient", JSON: body}
	perSecond := func(b *testing.B, resources int) {
		b.ReportMetric(float64(resources)/b.Elapsed().Seconds(), "resources/s")
	}
	b.Run("Create", func(b *testing.B) {
		s := open(b)
		ctx := context.Background()
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, err := s.Create(ctx, input); err != nil {
				b.Fatal(err)
			}
		}
		perSecond(b, b.N)
	})
	b.Run("CreateParallel", func(b *testing.B) {
		s := open(b)
		ctx := context.Background()
		b.ReportAllocs()
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.Create(ctx, input); err != nil {
					b.Error(err)
					return
				}
			}
		})
		perSecond(b, b.N)
	})
	b.Run("CreateTx100", func(b *testing.B) {
		s := open(b)
		ctx := context.Background()
		b.ReportAllocs()
		b.SetBytes(100 * int64(len(body)))
		for b.Loop() {
			tx, err := s.Begin(ctx)
			if err != nil {
				b.Fatal(err)
			}
			for range 100 {
				if _, err := tx.Create(ctx, input); err != nil {
					b.Fatal(err)
				}
			}
			if err := tx.Commit(ctx); err != nil {
				b.Fatal(err)
			}
		}
		perSecond(b, 100*b.N)
	})
	b.Run("Read", func(b *testing.B) {
		s := open(b)
		refs := seed(b, s, 1000)
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		i := 0
		for b.Loop() {
			if _, err := s.Read(ctx, refs[i%len(refs)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
		perSecond(b, b.N)
	})
	b.Run("ReadAnyInstitution", func(b *testing.B) {
		s := open(b)
		refs := seed(b, s, 1000)
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		i := 0
		for b.Loop() {
			ref := refs[i%len(refs)]
			ref.Institution = ""
			if _, err := s.Read(ctx, ref); err != nil {
				b.Fatal(err)
			}
			i++
		}
		perSecond(b, b.N)
	})
	b.Run("ReadParallel", func(b *testing.B) {
		s := open(b)
		refs := seed(b, s, 1000)
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			i := int(time.Now().UnixNano())
			for pb.Next() {
				if _, err := s.Read(ctx, refs[i%len(refs)]); err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
		perSecond(b, b.N)
	})
}

// seed creates n Patients in one transaction and returns their refs.
func seed(b *testing.B, s store.Store, n int) []store.Ref {
	ctx := context.Background()
	tx, err := s.Begin(ctx)
	if err != nil {
		b.Fatal(err)
	}
	refs := make([]store.Ref, n)
	for i := range refs {
		r, err := tx.Create(ctx, store.Input{Institution: fmt.Sprintf("h%d", i%5), Type: "Patient", JSON: Patient("王", fmt.Sprint(i))})
		if err != nil {
			b.Fatal(err)
		}
		refs[i] = r.Ref()
	}
	if err := tx.Commit(ctx); err != nil {
		b.Fatal(err)
	}
	return refs
}
