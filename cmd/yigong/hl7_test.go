package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"yigong/server/servertest"
)

// TestHL7StatsCommand runs `yigong hl7 stats` against running hubs through
// the shared hub client: the hub named by its root or its FHIR base, and
// a hub that requires a token refusing a call without one.
func TestHL7StatsCommand(t *testing.T) {
	t.Parallel()
	dev := servertest.Start(t)
	smart := servertest.Start(t, servertest.SMART)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
	}{
		{"root URL, JSON", []string{"stats", "--url", dev.URL(""), "--json"}, 0, `"inbox"`},
		{"FHIR base, table", []string{"stats", "--url", dev.URL("/fhir")}, 0, "SENDER"},
		{"no token", []string{"stats", "--url", smart.URL("")}, 1, ""},
		{"no subcommand", nil, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), append([]string{"hl7"}, tt.args...), &stdout, &stderr)
			if code != tt.wantCode || !strings.Contains(stdout.String(), tt.wantOut) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d and %q", code, stdout.String(), stderr.String(), tt.wantCode, tt.wantOut)
			}
		})
	}
}
