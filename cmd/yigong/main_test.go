package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRunUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string // substring of stdout
		wantErr  string // substring of stderr
	}{
		{name: "no command", args: nil, wantCode: 2, wantErr: "usage: yigong"},
		{name: "unknown command", args: []string{"frobnicate"}, wantCode: 2, wantErr: `unknown command "frobnicate"`},
		{name: "version", args: []string{"version"}, wantCode: 0, wantOut: "commit "},
		{name: "version with args", args: []string{"version", "x"}, wantCode: 2, wantErr: "takes no arguments"},
		{name: "serve bad flag value", args: []string{"serve", "--http", "nope"}, wantCode: 1, wantErr: "http.addr"},
		{name: "check-config needs file", args: []string{"check-config"}, wantCode: 2, wantErr: "check-config FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d (stderr %q)", code, tt.wantCode, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.wantOut) {
				t.Errorf("stdout = %q, want it to contain %q", stdout.String(), tt.wantOut)
			}
			if !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("stderr = %q, want it to contain %q", stderr.String(), tt.wantErr)
			}
		})
	}
}

func TestCheckConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(good, []byte("http:\n  addr: 127.0.0.1:8080\n"), 0o600)
	os.WriteFile(bad, []byte("store:\n  dsn: mysql://x\n"), 0o600)
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"check-config", good}, &out, &errb); code != 0 {
		t.Errorf("good config: code %d, stderr %q", code, errb.String())
	}
	errb.Reset()
	if code := run(context.Background(), []string{"check-config", bad}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "store.dsn") {
		t.Errorf("bad config: code %d, stderr %q", code, errb.String())
	}
}

// TestServeEndToEnd builds the real binary, starts `yigong serve` on a free
// port, talks to it over HTTP, then stops it with SIGTERM and expects a clean
// exit: the same path `make run` takes.
func TestServeEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "yigong")
	build := exec.Command("go", "build", "-ldflags", "-X main.version=v9.9.9-test", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "serve", "--http", "127.0.0.1:0", "--mllp", "127.0.0.1:0", "--dicom", "127.0.0.1:0", "--data", data)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addrRE := regexp.MustCompile(`msg="http listening" addr=(\S+)`)
	lines := bufio.NewScanner(stderr)
	var addr string
	for lines.Scan() {
		if m := addrRE.FindStringSubmatch(lines.Text()); m != nil {
			addr = m[1]
			break
		}
	}
	if addr == "" {
		cmd.Process.Kill()
		t.Fatalf("serve never reported its address")
	}
	go func() { // keep draining so the child never blocks on a full pipe
		for lines.Scan() {
		}
	}()

	resp, err := http.Get("http://" + addr + "/fhir/metadata")
	if err != nil {
		t.Fatal(err)
	}
	var cs map[string]any
	err = json.NewDecoder(resp.Body).Decode(&cs)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	sw, _ := cs["software"].(map[string]any)
	if cs["resourceType"] != "CapabilityStatement" || sw["version"] != "v9.9.9-test" {
		t.Errorf("metadata = %v", cs)
	}
	if _, err := os.Stat(data); err != nil {
		t.Errorf("data folder: %v", err)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("serve did not exit cleanly on SIGTERM: %v", err)
	}
}
