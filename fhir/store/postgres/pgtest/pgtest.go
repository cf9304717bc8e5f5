// Package pgtest gives tests a fresh PostgreSQL schema on the server named by
// $YIGONG_TEST_POSTGRES, dropped when the test ends.
//
// Without the variable, or with an unreachable server, a test skips on a
// developer machine and fails under CI=true, so CI can never pass by not
// running the PostgreSQL half of the suite.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvVar names the server: postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable.
const EnvVar = "YIGONG_TEST_POSTGRES"

// DSN creates a schema named prefix_<random> and returns a connection string
// whose search_path is that schema.
func DSN(tb testing.TB, prefix string) string {
	tb.Helper()
	base := os.Getenv(EnvVar)
	if base == "" {
		Unavailable(tb, EnvVar+" is not set")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		Unavailable(tb, "cannot connect to "+base+": "+err.Error())
	}
	defer admin.Close(ctx)
	var b [6]byte
	rand.Read(b[:])
	schema := prefix + "_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			tb.Errorf("pgtest: drop schema %s: %v", schema, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("pgtest: drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	if q.Get("pool_max_conns") == "" {
		q.Set("pool_max_conns", "16")
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// Unavailable skips the test, or fails it under CI=true.
func Unavailable(tb testing.TB, why string) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("postgres: %s; CI must provide the server", why)
	}
	tb.Skipf("postgres: %s; this test did not run (it runs in CI)", why)
}
