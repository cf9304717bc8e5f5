package fhirapi_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"yigong/conformance/corpus"
	"yigong/server/servertest"
)

func TestTransactionAndPatchOverHTTP(t *testing.T) {
	t.Parallel()
	for _, st := range servertest.Stores() {
		t.Run(st.Name, func(t *testing.T) {
			t.Parallel()
			hub := st.Start(t)
			c := client{t, hub.URL("/fhir")}
			r := c.do("POST", "", `{"resourceType":"Bundle","type":"transaction","entry":[
				{"fullUrl":"urn:uuid:aaaaaaaa-0000-0000-0000-000000000001","resource":{"resourceType":"Patient","name":[{"family":"张","given":["璡"]}]},
				 "request":{"method":"POST","url":"Patient"}},
				{"resource":{"resourceType":"Observation","status":"final","code":{"text":"体温"},
				 "subject":{"reference":"urn:uuid:aaaaaaaa-0000-0000-0000-000000000001"},"valueQuantity":{"value":36.60,"unit":"Cel"}},
				 "request":{"method":"POST","url":"Observation"}}]}`)
			if r.status != 200 || r.body["type"] != "transaction-response" {
				t.Fatalf("transaction: %d %s", r.status, r.raw)
			}
			entries := r.body["entry"].([]any)
			pat := entries[0].(map[string]any)
			obs := entries[1].(map[string]any)
			if pat["response"].(map[string]any)["status"] != "201 Created" {
				t.Errorf("patient response %v", pat["response"])
			}
			pid := pat["resource"].(map[string]any)["id"].(string)
			if ref := obs["resource"].(map[string]any)["subject"].(map[string]any)["reference"]; ref != "Patient/"+pid {
				t.Errorf("subject %v, want Patient/%s", ref, pid)
			}
			if v := obs["resource"].(map[string]any)["valueQuantity"].(map[string]any)["value"]; v != 36.60 {
				t.Errorf("value %v", v)
			}
			if !strings.Contains(string(r.raw), `"value":36.60`) {
				t.Errorf("the decimal lost its precision: %s", r.raw)
			}

			// A failing transaction: 400 naming the entry, nothing written.
			bad := c.do("POST", "", `{"resourceType":"Bundle","type":"transaction","entry":[
				{"resource":{"resourceType":"Patient","gender":"male"},"request":{"method":"POST","url":"Patient"}},
				{"resource":{"resourceType":"Patient","birthDate":"1990-02-30"},"request":{"method":"POST","url":"Patient"}}]}`)
			if bad.status != 400 || !strings.HasPrefix(bad.issueExpression(), "Bundle.entry[1]") {
				t.Errorf("bad transaction: %d %s", bad.status, bad.raw)
			}
			h := c.do("GET", "/Patient/_history", "")
			if n := len(h.body["entry"].([]any)); n != 1 {
				t.Errorf("%d patient versions after a failed transaction, want 1", n)
			}

			// JSON Patch and FHIRPath Patch.
			jp := c.do("PATCH", "/Patient/"+pid, `[{"op":"add","path":"/gender","value":"female"}]`,
				"Content-Type", "application/json-patch+json", "If-Match", `W/"1"`)
			if jp.status != 200 || jp.body["gender"] != "female" || jp.header.Get("ETag") != `W/"2"` {
				t.Errorf("JSON Patch: %d %s", jp.status, jp.raw)
			}
			fp := c.do("PATCH", "/Patient/"+pid, `{"resourceType":"Parameters","parameter":[{"name":"operation","part":[
				{"name":"type","valueCode":"replace"},{"name":"path","valueString":"Patient.name[0].given[0]"},{"name":"value","valueString":"珅"}]}]}`)
			if fp.status != 200 || !strings.Contains(string(fp.raw), `"given":["珅"]`) {
				t.Errorf("FHIRPath Patch: %d %s", fp.status, fp.raw)
			}
			stale := c.do("PATCH", "/Patient/"+pid, `[{"op":"remove","path":"/gender"}]`,
				"Content-Type", "application/json-patch+json", "If-Match", `W/"1"`)
			if stale.status != 412 {
				t.Errorf("stale If-Match: %d", stale.status)
			}
			invalid := c.do("PATCH", "/Patient/"+pid, `[{"op":"add","path":"/nickname","value":"x"}]`,
				"Content-Type", "application/json-patch+json")
			if invalid.status != 400 {
				t.Errorf("patch to an invalid resource: %d %s", invalid.status, invalid.raw)
			}
		})
	}
}

// TestSyntheaOverHTTP posts real Synthea transaction Bundles.
func TestSyntheaOverHTTP(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob(filepath.Join(corpus.Path(t, "fhir", "synthea"), "*.json"))
	if len(files) < 2 {
		t.Fatal("no Synthea bundles")
	}
	hub := servertest.Start(t)
	c := client{t, hub.URL("/fhir")}
	for _, f := range files[:2] {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r := c.do("POST", "", string(data), "Prefer", "return=minimal")
		if r.status != 200 {
			t.Fatalf("%s: %d %.500s", filepath.Base(f), r.status, r.raw)
		}
		for i, e := range r.body["entry"].([]any) {
			st := e.(map[string]any)["response"].(map[string]any)["status"].(string)
			if !strings.HasPrefix(st, "201") && !strings.HasPrefix(st, "200") {
				t.Errorf("%s entry %d: %s", filepath.Base(f), i, st)
			}
		}
	}
}
