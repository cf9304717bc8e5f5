package fhirapi_test

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"yigong/conformance/corpus"
	"yigong/conformance/peer"
	"yigong/server/servertest"
)

// TestFHIRKitClient drives the API with fhir-kit-client from npm: capability
// statement, create, read, update, vread, history, delete, and a rejected
// resource, as a third-party client sees them.
func TestFHIRKitClient(t *testing.T) {
	t.Parallel()
	node := peer.Require(t, "node")
	lib := filepath.Join(corpus.NodeModules(t), "fhir-kit-client", "dist", "index.js")
	hub := servertest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "testdata/fhirkit.mjs", hub.URL("/fhir"))
	cmd.Env = append(cmd.Environ(), "FHIRKIT="+lib)
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("fhirkit.mjs: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("fhirkit.mjs output: %v\n%s", err, out)
	}
	want := map[string]any{
		"fhirVersion":            "4.0.1",
		"createdVersion":         "1",
		"readName":               "王珅",
		"updatedVersion":         "2",
		"v1Gender":               nil,
		"historyTotal":           float64(2),
		"historyType":            "history",
		"readAfterDelete":        float64(410),
		"readAfterDeleteOutcome": "OperationOutcome",
		"badDate":                float64(400),
		"badDateExpression":      "Patient.birthDate",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %#v, want %#v", k, got[k], w)
		}
	}
}
