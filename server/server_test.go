package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"yigong/server/servertest"
)

func getJSON(t *testing.T, url string) (int, string, map[string]any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("GET %s: decode: %v", url, err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), body
}

func TestHTTP(t *testing.T) {
	t.Parallel()
	hub := servertest.Start(t)
	tests := []struct {
		name, path   string
		status       int
		contentType  string
		resourceType string
		check        func(t *testing.T, body map[string]any)
	}{
		{
			name: "capability statement", path: "/fhir/metadata", status: 200,
			contentType: "application/fhir+json", resourceType: "CapabilityStatement",
			check: func(t *testing.T, b map[string]any) {
				if b["fhirVersion"] != "4.0.1" {
					t.Errorf("fhirVersion = %v", b["fhirVersion"])
				}
				impl, _ := b["implementation"].(map[string]any)
				if url, _ := impl["url"].(string); url != hub.URL("/fhir") {
					t.Errorf("implementation.url = %q, want %q", url, hub.URL("/fhir"))
				}
			},
		},
		{
			name: "unknown FHIR path gives OperationOutcome", path: "/fhir/NoSuchThing/1", status: 404,
			contentType: "application/fhir+json", resourceType: "OperationOutcome",
			check: func(t *testing.T, b map[string]any) {
				issues, _ := b["issue"].([]any)
				if len(issues) != 1 || issues[0].(map[string]any)["code"] != "not-supported" {
					t.Errorf("issue = %v", b["issue"])
				}
			},
		},
		{
			name: "health", path: "/healthz", status: 200, contentType: "application/json",
			check: func(t *testing.T, b map[string]any) {
				if b["status"] != "ok" {
					t.Errorf("status = %v", b["status"])
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status, ct, body := getJSON(t, hub.URL(tt.path))
			if status != tt.status {
				t.Errorf("status = %d, want %d", status, tt.status)
			}
			if !strings.HasPrefix(ct, tt.contentType) {
				t.Errorf("Content-Type = %q, want %q", ct, tt.contentType)
			}
			if tt.resourceType != "" && body["resourceType"] != tt.resourceType {
				t.Errorf("resourceType = %v, want %s", body["resourceType"], tt.resourceType)
			}
			if tt.check != nil {
				tt.check(t, body)
			}
		})
	}
}
