// Package authtest gives the security packages' tests a real store: SQLite
// in a temp folder, or PostgreSQL on $YIGONG_TEST_POSTGRES.
package authtest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"yigong/fhir/store"
	"yigong/fhir/store/postgres"
	"yigong/fhir/store/postgres/pgtest"
	"yigong/fhir/store/sqlite"
)

// Store is what the security packages need of a store.
type Store interface {
	store.Store
	store.AuthRecords
	store.AuditLog
}

// SQLite opens a fresh SQLite store in tb.TempDir().
func SQLite(tb testing.TB) Store {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "yigong.db"), sqlite.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// Postgres opens a store on a fresh PostgreSQL schema (skipped without
// $YIGONG_TEST_POSTGRES, failed under CI=true).
func Postgres(tb testing.TB) Store {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := postgres.Open(ctx, pgtest.DSN(tb, "authtest"), postgres.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// Engines lists both engines by name.
func Engines() []struct {
	Name string
	Open func(testing.TB) Store
} {
	return []struct {
		Name string
		Open func(testing.TB) Store
	}{{"sqlite", SQLite}, {"postgres", Postgres}}
}
