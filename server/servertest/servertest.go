// Package servertest boots a whole yigong hub in-process for end-to-end
// tests: HTTP on a free loopback port, SQLite in t.TempDir(). Real peers
// (curl-like clients, dcmtk, mllp_send) then talk to its ports. Hubs run in
// development mode (no tokens, loopback only) unless started with the SMART
// option, whose helpers (AddUser, AddApp, AddBackend, UserToken,
// BackendToken) get real tokens through the authorization server.
package servertest

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"yigong/fhir/store/postgres/pgtest"
	"yigong/server"
)

// Hub is a running hub under test.
type Hub struct {
	*server.Server
	Config server.Config
	// Log holds everything the hub logged (debug level); Console the
	// first-start message with the generated credentials.
	Log, Console SafeBuffer
}

// SafeBuffer is a bytes.Buffer safe for concurrent writers.
type SafeBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SafeBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 8<<20 { // keep the first 8 MiB: enough for any test that reads it
		return len(p), nil
	}
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *SafeBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Start boots a hub with the default configuration adjusted for tests
// (loopback port 0, data in a temp folder); modify may change it further.
// The hub is shut down when the test ends.
func Start(tb testing.TB, modify ...func(*server.Config)) *Hub {
	tb.Helper()
	cfg := server.DefaultConfig()
	cfg.DataDir = tb.TempDir()
	cfg.HTTP.Addr = "127.0.0.1:0"
	// The EMPI links records of one person asynchronously, which would make
	// tests that share a hub depend on each other; server/empi tests it on
	// its own hubs. A test that wants it sets cfg.EMPI.Enabled.
	cfg.EMPI.Enabled = false
	cfg.DICOM.Addr = "127.0.0.1:0"
	cfg.SetMLLPAddr("127.0.0.1:0")
	cfg.Security.Mode = "dev"
	for _, m := range modify {
		m(&cfg)
	}
	var w io.Writer = io.Discard
	if os.Getenv("YIGONG_TEST_LOG") != "" {
		w = os.Stderr
	}
	h := &Hub{Config: cfg}
	w = io.MultiWriter(w, &h.Log)
	log := slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := server.New(cfg, log, server.BuildInfo{Version: "test"})
	if err != nil {
		tb.Fatalf("servertest: new: %v", err)
	}
	srv.SetConsole(&h.Console)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Start(ctx); err != nil {
		tb.Fatalf("servertest: start: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			tb.Errorf("servertest: shutdown: %v", err)
		}
	})
	h.Server = srv
	return h
}

// URL returns the absolute URL of path on the hub's HTTP listener.
func (h *Hub) URL(path string) string {
	return "http://" + h.HTTPAddr().String() + path
}

// MLLPAddr returns host:port of the hub's first MLLP listener.
func (h *Hub) MLLPAddr() string {
	addrs := h.MLLPAddrs()
	if len(addrs) == 0 {
		return ""
	}
	return addrs[0].String()
}

// Store names a store engine for tests that run once per engine.
type Store struct {
	Name  string
	Start func(tb testing.TB, modify ...func(*server.Config)) *Hub
}

// Stores lists both engines: embedded SQLite and PostgreSQL (a fresh schema
// on $YIGONG_TEST_POSTGRES; skipped without it, failed under CI=true).
func Stores() []Store {
	return []Store{
		{Name: "sqlite", Start: Start},
		{Name: "postgres", Start: StartPostgres},
	}
}

// StartPostgres boots a hub on a fresh PostgreSQL schema.
func StartPostgres(tb testing.TB, modify ...func(*server.Config)) *Hub {
	tb.Helper()
	dsn := pgtest.DSN(tb, "servertest")
	return Start(tb, append([]func(*server.Config){func(c *server.Config) { c.Store.DSN = dsn }}, modify...)...)
}
