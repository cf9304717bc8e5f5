package postgres_test

import (
	"context"
	"testing"
	"time"

	"yigong/fhir/store"
	"yigong/fhir/store/postgres"
	"yigong/fhir/store/postgres/pgtest"
	"yigong/fhir/store/storetest"
)

// open returns a store in a fresh schema, dropped when the test ends.
func open(tb testing.TB, opts postgres.Options) *postgres.DB {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := postgres.Open(ctx, pgtest.DSN(tb, "storetest"), opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return open(t, postgres.Options{Indexer: storetest.Indexer()})
	})
}
