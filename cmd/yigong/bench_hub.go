package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"yigong/server"
)

// benchHub is a hub booted in-process for a benchmark, on a fresh store.
type benchHub struct {
	srv     *server.Server
	base    string // FHIR base URL
	where   string // the store: the SQLite folder or the PostgreSQL DSN
	cleanup func(ctx context.Context) error
}

// startBenchHub boots a hub on loopback port 0 with a fresh store: SQLite in
// a temporary folder, or a new schema on the PostgreSQL server pgDSN.
func startBenchHub(ctx context.Context, engine, pgDSN string, auditOff bool) (*benchHub, error) {
	dir, err := os.MkdirTemp("", "yigong-bench-")
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	cfg := server.DefaultConfig()
	cfg.DataDir = dir
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.DICOM.Addr = "127.0.0.1:0"
	cfg.SetMLLPAddr("off")
	cfg.Log.Level = "warn"
	// The benchmark measures the FHIR API and its store; the hub listens on
	// loopback only, where development mode (no authentication) is allowed.
	cfg.Security.Mode = "dev"
	cfg.Security.Audit.Off = auditOff // every read, search and write is audited unless --audit=off
	drop := func(context.Context) error { return nil }
	if engine == "postgres" {
		dsn, d, err := freshSchema(ctx, pgDSN)
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		cfg.Store.DSN, drop = dsn, d
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := server.New(cfg, log, buildInfo())
	if err == nil {
		err = srv.Start(ctx)
	}
	if err != nil {
		drop(ctx)
		os.RemoveAll(dir)
		return nil, fmt.Errorf("bench: start hub on %s: %w", engine, err)
	}
	where := dir
	if engine == "postgres" {
		where = cfg.Store.DSN
	}
	return &benchHub{srv: srv, base: srv.BaseURL(), where: where, cleanup: func(ctx context.Context) error {
		err := srv.Shutdown(ctx)
		if derr := drop(ctx); err == nil {
			err = derr
		}
		os.RemoveAll(dir)
		return err
	}}, nil
}

// freshSchema creates a schema bench_<random> on the server and returns a
// DSN using it and a function that drops it.
func freshSchema(ctx context.Context, base string) (string, func(context.Context) error, error) {
	if base == "" {
		return "", nil, fmt.Errorf("bench: postgres: no server (set --pg or $YIGONG_TEST_POSTGRES)")
	}
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", nil, fmt.Errorf("bench: postgres: %w", err)
	}
	defer admin.Close(ctx)
	var b [6]byte
	rand.Read(b[:])
	schema := "bench_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, fmt.Errorf("bench: postgres: %w", err)
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, fmt.Errorf("bench: postgres: %w", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	drop := func(ctx context.Context) error {
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			return fmt.Errorf("bench: drop schema %s: %w", schema, err)
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			return fmt.Errorf("bench: drop schema %s: %w", schema, err)
		}
		return nil
	}
	return u.String(), drop, nil
}

// rssSampler samples this process's resident set size (VmRSS in
// /proc/self/status) until stopped and keeps the largest value.
type rssSampler struct {
	mu   sync.Mutex
	peak int64 // bytes
}

// start samples every period until the returned stop is called.
func (s *rssSampler) start(ctx context.Context, period time.Duration) (stop func() int64) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			s.sample()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() int64 {
		cancel()
		wg.Wait()
		s.sample()
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.peak
	}
}

func (s *rssSampler) sample() {
	n, err := readRSS()
	if err != nil {
		return
	}
	s.mu.Lock()
	s.peak = max(s.peak, n)
	s.mu.Unlock()
}

// readRSS returns VmRSS of this process in bytes.
func readRSS() (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("bench: no VmRSS in /proc/self/status")
}
