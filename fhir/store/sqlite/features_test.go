package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"yigong/fhir/store"
	"yigong/fhir/store/sqlite"
	"yigong/fhir/store/storetest"
)

func TestStoreFeatures(t *testing.T) {
	storetest.RunFeatures(t, func(t *testing.T, ix store.Indexer) store.Store {
		db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "yigong.db"), sqlite.Options{Indexer: ix})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}

func BenchmarkStoreFeatures(b *testing.B) {
	storetest.BenchmarkFeatures(b, func(b *testing.B, ix store.Indexer) store.Store {
		db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), sqlite.Options{Indexer: ix})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		return db
	})
}
