package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"yigong/server"
	"yigong/server/servertest"
)

// post creates a resource on a hub (development mode: no token).
func post(t *testing.T, hub *servertest.Hub, path, body string) {
	t.Helper()
	resp, err := http.Post(hub.URL(path), "application/fhir+json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST %s: %s", path, resp.Status)
	}
}

// TestReindexCommand runs `yigong reindex` against running hubs: it
// re-indexes every Patient and prints the plain progress lines of a
// non-terminal; it fails without a token on a hub that requires one and
// succeeds with a backend client's token.
func TestReindexCommand(t *testing.T) {
	t.Parallel()
	dev := servertest.Start(t)
	for i := range 5 {
		post(t, dev, "/fhir/Patient", fmt.Sprintf(`{"resourceType":"Patient","name":[{"family":"赵","given":["%d"]}]}`, i))
	}
	post(t, dev, "/fhir/Observation", `{"resourceType":"Observation","status":"final","code":{"text":"x"}}`)
	smart := servertest.Start(t, servertest.SMART)
	key := smart.AddBackend(t, "ops", "default", "system/*.cruds")
	token := smart.BackendToken(t, "ops", key, "system/*.cruds")
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"one type", []string{"--url", dev.URL("/fhir"), "--type", "Patient", "--batch", "2"}, 0,
			"reindexed 5 resources", "reindex 5/5 (100%)"},
		{"every type, hub root URL", []string{"--url", dev.URL("")}, 0, "reindexed 6 resources", "reindex 6/6"},
		{"no token", []string{"--url", smart.URL("/fhir")}, 1, "", "give --token"},
		{"token", []string{"--url", smart.URL("/fhir"), "--token", token}, 0, "reindexed", ""},
		{"bad url", []string{"--url", "ftp://x"}, 2, "", "want http(s)://"},
		{"argument", []string{"Patient"}, 2, "", "takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), append([]string{"reindex"}, tt.args...), &stdout, &stderr)
			if code != tt.wantCode || !strings.Contains(stdout.String(), tt.wantOut) || !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("exit %d, want %d\nstdout %q (want %q)\nstderr %q (want %q)", code, tt.wantCode,
					stdout.String(), tt.wantOut, stderr.String(), tt.wantErr)
			}
		})
	}
}

// TestEMPIRelinkRemote runs `yigong empi relink --url` against a hub whose
// EMPI is on: the relink runs as a job in the hub and the command prints
// its summary.
func TestEMPIRelinkRemote(t *testing.T) {
	t.Parallel()
	hub := servertest.Start(t, func(c *server.Config) { c.EMPI.Enabled = true })
	for _, sys := range []string{"urn:oid:2.16.156.10011.1.3", "urn:oid:2.16.840.1.113883.2.23.1.19.1"} {
		post(t, hub, "/fhir/Patient", `{"resourceType":"Patient","identifier":[{"system":"`+sys+`","value":"33012719880721421X"}],
			"name":[{"family":"王","given":["小东"]}],"gender":"male","birthDate":"1988-07-21",
			"telecom":[{"system":"phone","value":"13905710001"}]}`)
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"empi", "relink", "--url", hub.URL("/fhir"), "--workers", "2"}, &stdout, &stderr)
	if code != 0 || !strings.Contains(stdout.String(), "relinked 2 patients") ||
		!strings.Contains(stdout.String(), "1 persons with several records") || !strings.Contains(stderr.String(), "write") {
		t.Fatalf("exit %d\nstdout %q\nstderr %q", code, stdout.String(), stderr.String())
	}
	stdout.Reset()
	stderr.Reset()
	if code := run(context.Background(), []string{"empi", "relink", "--url", hub.URL(""), "--store", "sqlite:x.db"}, &stdout, &stderr); code != 2 {
		t.Errorf("--url with --store: exit %d %q", code, stderr.String())
	}
	off := servertest.Start(t)
	if code := run(context.Background(), []string{"empi", "relink", "--url", off.URL("")}, &stdout, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), "EMPI is not enabled") {
		t.Errorf("EMPI off: exit %d %q", code, stderr.String())
	}
}
