package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"yigong/fhir/store"
	"yigong/fhir/store/sqlite"
	"yigong/fhir/store/storetest"
)

func open(t testing.TB) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "yigong.db"), sqlite.Options{Indexer: storetest.Indexer()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}
