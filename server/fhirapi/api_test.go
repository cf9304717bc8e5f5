package fhirapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"yigong/server/servertest"
)

// client is a tiny FHIR HTTP client for the tests.
type client struct {
	t    *testing.T
	base string
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func (c client) do(method, path, body string, headers ...string) reply {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/fhir+json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(bytes.TrimSpace(raw)) > 0 && !strings.Contains(resp.Header.Get("Content-Type"), "xml") {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			c.t.Fatalf("%s %s: answer is not JSON: %v\n%s", method, path, err, raw)
		}
	}
	return r
}

func (r reply) issueExpression() string {
	issues, _ := r.body["issue"].([]any)
	for _, is := range issues {
		if ex, ok := is.(map[string]any)["expression"].([]any); ok && len(ex) > 0 {
			return ex[0].(string)
		}
	}
	return ""
}

const patient = `{"resourceType":"Patient","identifier":[{"system":"urn:oid:2.16.156.10011.1.3","value":"110101199003078515"}],"name":[{"family":"王","given":["小东"]}],"gender":"male","birthDate":"1990-03-07"}`

func TestCRUD(t *testing.T) {
	t.Parallel()
	for _, st := range servertest.Stores() {
		t.Run(st.Name, func(t *testing.T) {
			t.Parallel()
			testCRUD(t, st.Start(t))
		})
	}
}

func testCRUD(t *testing.T, hub *servertest.Hub) {
	c := client{t, hub.URL("/fhir")}

	created := c.do("POST", "/Patient", strings.Replace(patient, `"resourceType":"Patient"`, `"resourceType":"Patient","id":"ignored"`, 1))
	if created.status != 201 {
		t.Fatalf("create: %d %s", created.status, created.raw)
	}
	id, _ := created.body["id"].(string)
	if id == "" || id == "ignored" {
		t.Fatalf("create: server id = %q; a client id must be ignored", id)
	}
	if loc := created.header.Get("Location"); loc != hub.URL("/fhir/Patient/"+id+"/_history/1") {
		t.Errorf("Location = %q", loc)
	}
	if et := created.header.Get("ETag"); et != `W/"1"` {
		t.Errorf("ETag = %q", et)
	}
	meta, _ := created.body["meta"].(map[string]any)
	if meta["versionId"] != "1" || meta["lastUpdated"] == nil {
		t.Errorf("meta = %v", meta)
	}

	steps := []struct {
		name       string
		method     string
		path       string
		body       string
		headers    []string
		wantStatus int
		check      func(t *testing.T, r reply)
	}{
		{name: "read", method: "GET", path: "/Patient/" + id, wantStatus: 200, check: func(t *testing.T, r reply) {
			if r.body["birthDate"] != "1990-03-07" || r.header.Get("Last-Modified") == "" {
				t.Errorf("read = %s", r.raw)
			}
		}},
		{name: "read pretty", method: "GET", path: "/Patient/" + id + "?_pretty=true", wantStatus: 200, check: func(t *testing.T, r reply) {
			if !bytes.Contains(r.raw, []byte("\n  \"")) {
				t.Errorf("not indented: %s", r.raw)
			}
		}},
		{name: "read not modified", method: "GET", path: "/Patient/" + id, headers: []string{"If-None-Match", `W/"1"`}, wantStatus: 304},
		{name: "read as xml", method: "GET", path: "/Patient/" + id + "?_format=xml", wantStatus: 200, check: func(t *testing.T, r reply) {
			if !strings.HasPrefix(r.header.Get("Content-Type"), "application/fhir+xml") ||
				!strings.Contains(string(r.raw), `<birthDate value="1990-03-07"/>`) || !strings.Contains(string(r.raw), `<family value="王"/>`) {
				t.Errorf("XML read: %s %s", r.header.Get("Content-Type"), r.raw)
			}
		}},
		{name: "read turtle refused", method: "GET", path: "/Patient/" + id + "?_format=ttl", wantStatus: 406},
		{name: "read unknown type", method: "GET", path: "/Patients/" + id, wantStatus: 404},
		{name: "read abstract type", method: "GET", path: "/DomainResource/" + id, wantStatus: 404},
		{name: "read missing", method: "GET", path: "/Patient/nope", wantStatus: 404},
		{name: "read bad id", method: "GET", path: "/Patient/a_b", wantStatus: 400},
		{name: "update id mismatch", method: "PUT", path: "/Patient/" + id,
			body: strings.Replace(patient, `"resourceType":"Patient"`, `"resourceType":"Patient","id":"other"`, 1), wantStatus: 400,
			check: func(t *testing.T, r reply) {
				if r.issueExpression() != "Patient.id" {
					t.Errorf("expression = %q", r.issueExpression())
				}
			}},
		{name: "update unknown element", method: "PUT", path: "/Patient/" + id,
			body: `{"resourceType":"Patient","id":"` + id + `","name":[{"family":"王","givn":["x"]}]}`, wantStatus: 400,
			check: func(t *testing.T, r reply) {
				if r.body["resourceType"] != "OperationOutcome" || !strings.HasPrefix(r.issueExpression(), "Patient.name[0]") {
					t.Errorf("outcome = %s", r.raw)
				}
			}},
		{name: "update from xml", method: "PUT", path: "/Patient/" + id,
			body:    `<Patient xmlns="http://hl7.org/fhir"><id value="` + id + `"/><name><family value="王"/><given value="小东"/></name><gender value="male"/><birthDate value="1990-03-07"/></Patient>`,
			headers: []string{"Content-Type", "application/fhir+xml"}, wantStatus: 200, check: func(t *testing.T, r reply) {
				if r.body["gender"] != "male" || r.header.Get("ETag") != `W/"2"` {
					t.Errorf("XML update: %s", r.raw)
				}
			}},
		{name: "update from bad xml", method: "PUT", path: "/Patient/" + id,
			body:    `<Patient xmlns="http://hl7.org/fhir"><id value="` + id + `"/><gendr value="male"/></Patient>`,
			headers: []string{"Content-Type", "application/fhir+xml"}, wantStatus: 400, check: func(t *testing.T, r reply) {
				if r.issueExpression() != "Patient.gendr" {
					t.Errorf("expression %q", r.issueExpression())
				}
			}},
		{name: "update as yaml refused", method: "PUT", path: "/Patient/" + id, body: "resourceType: Patient",
			headers: []string{"Content-Type", "application/yaml"}, wantStatus: 415},
		{name: "update wrong If-Match", method: "PUT", path: "/Patient/" + id,
			body:    strings.Replace(patient, `"resourceType":"Patient"`, `"resourceType":"Patient","id":"`+id+`"`, 1),
			headers: []string{"If-Match", `W/"7"`}, wantStatus: 412},
		{name: "update", method: "PUT", path: "/Patient/" + id,
			body:    strings.Replace(patient, `"gender":"male"`, `"gender":"male","id":"`+id+`","active":true`, 1),
			headers: []string{"If-Match", `W/"2"`}, wantStatus: 200,
			check: func(t *testing.T, r reply) {
				if r.header.Get("ETag") != `W/"3"` || r.body["active"] != true {
					t.Errorf("update: etag %q body %s", r.header.Get("ETag"), r.raw)
				}
			}},
		{name: "update minimal", method: "PUT", path: "/Patient/" + id,
			body:    strings.Replace(patient, `"gender":"male"`, `"gender":"male","id":"`+id+`"`, 1),
			headers: []string{"Prefer", "return=minimal"}, wantStatus: 200,
			check: func(t *testing.T, r reply) {
				if len(r.raw) != 0 || r.header.Get("ETag") != `W/"4"` {
					t.Errorf("minimal: etag %q body %q", r.header.Get("ETag"), r.raw)
				}
			}},
		{name: "vread 1", method: "GET", path: "/Patient/" + id + "/_history/1", wantStatus: 200, check: func(t *testing.T, r reply) {
			if _, has := r.body["active"]; has {
				t.Errorf("version 1 has active: %s", r.raw)
			}
		}},
		{name: "vread missing version", method: "GET", path: "/Patient/" + id + "/_history/9", wantStatus: 404},
		{name: "update-as-create", method: "PUT", path: "/Patient/client-1",
			body: strings.Replace(patient, `"resourceType":"Patient"`, `"resourceType":"Patient","id":"client-1"`, 1), wantStatus: 201},
		{name: "delete", method: "DELETE", path: "/Patient/" + id, wantStatus: 204},
		{name: "read deleted", method: "GET", path: "/Patient/" + id, wantStatus: 410},
		{name: "delete again", method: "DELETE", path: "/Patient/" + id, wantStatus: 204},
		{name: "delete never existed", method: "DELETE", path: "/Patient/never", wantStatus: 404},
		{name: "history instance", method: "GET", path: "/Patient/" + id + "/_history", wantStatus: 200, check: func(t *testing.T, r reply) {
			entries, _ := r.body["entry"].([]any)
			if r.body["type"] != "history" || len(entries) != 5 {
				t.Fatalf("history: %s", r.raw)
			}
			first := entries[0].(map[string]any)
			if first["request"].(map[string]any)["method"] != "DELETE" {
				t.Errorf("newest entry is not the deletion: %v", first)
			}
			last := entries[4].(map[string]any)
			if last["request"].(map[string]any)["method"] != "POST" || last["resource"] == nil {
				t.Errorf("oldest entry is not the create: %v", last)
			}
		}},
		{name: "history type paged", method: "GET", path: "/Patient/_history?_count=2", wantStatus: 200, check: func(t *testing.T, r reply) {
			entries, _ := r.body["entry"].([]any)
			links, _ := r.body["link"].([]any)
			if len(entries) != 2 || len(links) != 2 {
				t.Errorf("want 2 entries and self+next links: %s", r.raw)
			}
		}},
		{name: "history system", method: "GET", path: "/_history", wantStatus: 200, check: func(t *testing.T, r reply) {
			if entries, _ := r.body["entry"].([]any); len(entries) != 6 {
				t.Errorf("system history has %d entries, want 6", len(entries))
			}
		}},
		{name: "history bad since", method: "GET", path: "/_history?_since=yesterday", wantStatus: 400},
	}
	for _, s := range steps { // sequential: each step sees the previous one's writes
		t.Run(s.name, func(t *testing.T) {
			r := c.do(s.method, s.path, s.body, s.headers...)
			if r.status != s.wantStatus {
				t.Fatalf("%s %s: status %d, want %d: %s", s.method, s.path, r.status, s.wantStatus, r.raw)
			}
			if r.status >= 400 && r.body["resourceType"] != "OperationOutcome" {
				t.Errorf("error answer is not an OperationOutcome: %s", r.raw)
			}
			if s.check != nil {
				s.check(t, r)
			}
		})
	}
}

// TestConditionalCreateRace fires 50 concurrent identical If-None-Exist
// creates over HTTP: exactly one resource may result.
func TestConditionalCreateRace(t *testing.T) {
	t.Parallel()
	for _, st := range servertest.Stores() {
		t.Run(st.Name, func(t *testing.T) {
			t.Parallel()
			testConditionalCreateRace(t, st.Start(t))
		})
	}
}

func testConditionalCreateRace(t *testing.T, hub *servertest.Hub) {
	c := client{t, hub.URL("/fhir")}
	const n = 50
	var wg sync.WaitGroup
	ids := make([]string, n)
	statuses := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := c.do("POST", "/Patient", patient, "If-None-Exist", "identifier=urn:oid:2.16.156.10011.1.3|110101199003078515")
			statuses[i] = r.status
			ids[i], _ = r.body["id"].(string)
		}()
	}
	wg.Wait()
	created := 0
	for i := range n {
		switch statuses[i] {
		case 201:
			created++
		case 200:
		default:
			t.Errorf("request %d: status %d", i, statuses[i])
		}
		if ids[i] != ids[0] {
			t.Errorf("request %d got %s, request 0 got %s", i, ids[i], ids[0])
		}
	}
	if created != 1 {
		t.Errorf("%d creates answered 201, want exactly 1", created)
	}
	h := c.do("GET", "/Patient/_history", "")
	if entries, _ := h.body["entry"].([]any); len(entries) != 1 {
		t.Errorf("type history has %d entries, want 1", len(entries))
	}
}

func TestLenientHandling(t *testing.T) {
	t.Parallel()
	hub := servertest.Start(t)
	c := client{t, hub.URL("/fhir")}
	body := `{"resourceType":"Patient","gender":"female","nickname":"小红"}`
	if r := c.do("POST", "/Patient", body); r.status != 400 {
		t.Fatalf("strict: status %d, want 400: %s", r.status, r.raw)
	} else if r.issueExpression() != "Patient.nickname" {
		t.Errorf("strict: expression %q, want Patient.nickname", r.issueExpression())
	}
	r := c.do("POST", "/Patient", body, "Prefer", "handling=lenient, return=OperationOutcome")
	if r.status != 201 {
		t.Fatalf("lenient: status %d: %s", r.status, r.raw)
	}
	if !strings.Contains(string(r.raw), "nickname") {
		t.Errorf("lenient: the dropped element is not reported: %s", r.raw)
	}
	loc := r.header.Get("Location")
	id := strings.Split(strings.TrimPrefix(loc, hub.URL("/fhir/Patient/")), "/")[0]
	stored := c.do("GET", "/Patient/"+id, "")
	if _, has := stored.body["nickname"]; has || stored.body["gender"] != "female" {
		t.Errorf("stored = %s", stored.raw)
	}
}
