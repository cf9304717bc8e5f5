package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"yigong/conformance/corpus"
	"yigong/server/servertest"
)

func TestImport(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.ndjson")
	bad := filepath.Join(dir, "bad.ndjson")
	os.WriteFile(good, []byte(`{"resourceType":"Patient","id":"p1","name":[{"family":"王","given":["小东"]}]}
{"resourceType":"Patient","id":"p2","gender":"female"}
`), 0o600)
	os.WriteFile(bad, []byte(`{"resourceType":"Patient","id":"p3"}
{"resourceType":"Patient","gender":1}

{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/p3"}}
`), 0o600)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  []string // substrings of stdout
		wantErr  string   // substring of stderr
	}{
		{name: "no paths", args: []string{"import"}, wantCode: 2, wantErr: "at least one PATH"},
		{name: "url and store", args: []string{"import", "--url", "http://127.0.0.1:1/fhir", "--store", "sqlite:x.db", good}, wantCode: 2, wantErr: "exclude each other"},
		{name: "missing file", args: []string{"import", "--data", filepath.Join(dir, "d1"), filepath.Join(dir, "nope.json")}, wantCode: 1, wantErr: "no such file"},
		{name: "ndjson into a store", args: []string{"import", "--data", filepath.Join(dir, "d2"), good},
			wantCode: 0, wantOut: []string{"loaded 2 resources from 1 files", "Patient 2"}},
		{name: "bad line reported, rest loaded", args: []string{"import", "--store", "sqlite:" + filepath.Join(dir, "d3", "y.db"), "--data", filepath.Join(dir, "d3"), bad},
			wantCode: 1, wantOut: []string{"loaded 2 resources", "1 failed", "line 2:", "Observation 1, Patient 1"}, wantErr: "1 resources failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d (stderr %q)", code, tt.wantCode, stderr.String())
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("stdout = %q, want it to contain %q", stdout.String(), w)
				}
			}
			if !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("stderr = %q, want it to contain %q", stderr.String(), tt.wantErr)
			}
		})
	}
}

func TestImportHTTP(t *testing.T) {
	t.Parallel()
	bundle := corpus.Path(t, "fhir", "synthea", "Clarence_Mills_0753ad6c-5935-4faa-9cfe-b7269e963d77.json")
	hub := servertest.Start(t)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"import", "--url", hub.URL("/fhir"), "--workers", "2", bundle}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit code %d: %s %s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "Patient 1") || !strings.Contains(stdout.String(), "0 failed") {
		t.Errorf("stdout = %q", stdout.String())
	}
	// Not a terminal: plain progress lines, the last one final.
	if !strings.Contains(stderr.String(), "import: 1/1 files") {
		t.Errorf("stderr = %q, want a progress line", stderr.String())
	}
}
