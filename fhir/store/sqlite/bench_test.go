package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"yigong/fhir/store"
	"yigong/fhir/store/sqlite"
	"yigong/fhir/store/storetest"
)

func BenchmarkStore(b *testing.B) {
	for _, sync := range []string{"FULL", "NORMAL"} {
		b.Run("sync="+sync, func(b *testing.B) {
			storetest.Benchmark(b, func(b *testing.B) store.Store {
				db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"),
					sqlite.Options{Indexer: storetest.Indexer(), Synchronous: sync})
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { db.Close() })
				return db
			})
		})
	}
}
