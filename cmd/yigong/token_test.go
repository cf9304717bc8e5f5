package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"yigong/server"
)

// startHub runs a SMART-mode hub in process on a free port with its data
// in dir, as `yigong serve --data dir` would.
func startHub(t *testing.T, dir string) (*server.Server, string, *bytes.Buffer) {
	t.Helper()
	cfg := server.DefaultConfig()
	cfg.DataDir = dir
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.SetMLLPAddr("off")
	cfg.SetDICOMAddr("off")
	cfg.EMPI.Enabled = false
	cfg.Security.Password.Argon2MemoryKiB, cfg.Security.Password.Argon2Time, cfg.Security.Password.Argon2Threads = 64, 1, 1
	srv, err := server.New(cfg, slog.New(slog.DiscardHandler), server.BuildInfo{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	var console bytes.Buffer
	srv.SetConsole(&console)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return srv, srv.BaseURL(), &console
}

func getAuth(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestTokenAndAuditChain is the README's first run: the hub starts in SMART
// mode, `yigong token` gets a token with the demo backend key, curl-like
// requests use it; then, through the same server, the audit trail is
// written, verified by `yigong audit verify`, tampered with, and the
// verification reports the broken link.
func TestTokenAndAuditChain(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv, base, console := startHub(t, dir)
	stopped := false
	defer func() {
		if !stopped {
			srv.Shutdown(context.Background())
		}
	}()
	if !strings.Contains(console.String(), "yigong token") {
		t.Errorf("the first start does not say how to get a token: %q", console.String())
	}
	if st, _ := getAuth(t, base+"/Patient", ""); st != http.StatusUnauthorized {
		t.Fatalf("without a token: %d, want 401", st)
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"token", "--data", dir, "--url", base}, &out, &errb); code != 0 {
		t.Fatalf("yigong token: exit %d: %s", code, errb.String())
	}
	token := strings.TrimSpace(out.String())
	for i := range 5 {
		if st, body := getAuth(t, fmt.Sprintf("%s/Patient?_count=%d", base, i+1), token); st != http.StatusOK {
			t.Fatalf("with the token: %d %s", st, body)
		}
	}
	if code := run(context.Background(), []string{"token", "--data", dir, "--url", base, "--client", "nobody"}, &out, &errb); code == 0 {
		t.Errorf("a token for an unknown client")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil { // drains the audit recorder
		t.Fatal(err)
	}
	stopped = true
	out.Reset()
	errb.Reset()
	if code := run(ctx, []string{"audit", "verify", "--data", dir}, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "ok: ") {
		t.Fatalf("audit verify of an intact chain: exit %d, %q %q", code, out.String(), errb.String())
	}
	var n int
	fmt.Sscanf(out.String(), "ok: %d entries", &n)
	if n < 7 { // a token, two failures, five searches
		t.Fatalf("only %d audit entries: %q", n, out.String())
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "yigong.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{`DROP TRIGGER audit_events_no_update`,
		`UPDATE audit_events SET event = CAST(REPLACE(CAST(event AS TEXT), '"outcome":"0"', '"outcome":"8"') AS BLOB) WHERE seq = 3`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	out.Reset()
	if code := run(ctx, []string{"audit", "verify", "--data", dir}, &out, &errb); code == 0 || !strings.Contains(out.String(), "BROKEN at entry 3") {
		t.Fatalf("audit verify after tampering with entry 3: exit %d, %q", code, out.String())
	}
}
