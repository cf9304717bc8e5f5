package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"yigong/server"
	"yigong/server/auth/accounts"
	"yigong/server/servertest"
)

// jobClient calls a hub, with a bearer token when set.
type jobClient struct {
	t     *testing.T
	h     *servertest.Hub
	token string
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (c jobClient) do(method, path, body string, header ...string) answer {
	c.t.Helper()
	url := path
	if !strings.HasPrefix(path, "http") {
		url = c.h.URL(path)
	}
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/fhir+json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

// param returns a Parameters' value of name as a string.
func param(body map[string]any, name string) string {
	ps, _ := body["parameter"].([]any)
	for _, p := range ps {
		p := p.(map[string]any)
		if p["name"] != name {
			continue
		}
		for k, v := range p {
			if strings.HasPrefix(k, "value") {
				return fmt.Sprint(v)
			}
		}
	}
	return ""
}

// loadPatients creates n Patients in one batch Bundle; han: with the
// nationality extension.
func loadPatients(t *testing.T, c jobClient, n int, han bool) {
	t.Helper()
	var entries []string
	for i := range n {
		ext := ""
		if han {
			ext = `,"extension":[{"url":"http://yigong.example/nationality","valueCode":"han"}]`
		}
		entries = append(entries, fmt.Sprintf(`{"resource":{"resourceType":"Patient","name":[{"family":"张","given":["%d"]}]%s},
			"request":{"method":"POST","url":"Patient"}}`, i, ext))
	}
	r := c.do("POST", "/fhir", `{"resourceType":"Bundle","type":"batch","entry":[`+strings.Join(entries, ",")+`]}`)
	if r.status != 200 || strings.Count(r.raw, `"status":"201`) != n {
		t.Fatalf("load %d patients: %d %.300s", n, r.status, r.raw)
	}
}

func total(t *testing.T, c jobClient, path string) float64 {
	t.Helper()
	r := c.do("GET", path+"&_summary=count", "")
	if r.status != 200 {
		t.Fatalf("GET %s: %d %s", path, r.status, r.raw)
	}
	return r.body["total"].(float64)
}

// TestReindexJob: a SearchParameter created over REST finds resources
// written before it once the reindex job has run; the job's progress moves
// from 0 to done = total; a second start answers 409 naming the running
// job; DELETE cancels; the admin API lists the jobs.
func TestReindexJob(t *testing.T) {
	t.Parallel()
	for _, st := range servertest.Stores() {
		t.Run(st.Name, func(t *testing.T) {
			t.Parallel()
			testReindexJob(t, st.Start(t))
		})
	}
}

func testReindexJob(t *testing.T, h *servertest.Hub) {
	c := jobClient{t: t, h: h}
	const n = 120
	loadPatients(t, c, n, true)
	sp := `{"resourceType":"SearchParameter","url":"http://yigong.example/SearchParameter/patient-nationality","name":"nationality",
		"status":"active","description":"nationality extension","code":"nationality","base":["Patient"],"type":"token",
		"expression":"Patient.extension.where(url='http://yigong.example/nationality').value"}`
	if r := c.do("POST", "/fhir/SearchParameter", sp); r.status != 201 {
		t.Fatalf("create SearchParameter: %d %s", r.status, r.raw)
	}
	if got := total(t, c, "/fhir/Patient?nationality=han"); got != 0 {
		t.Fatalf("before the reindex %v patients match, want 0 (already indexed?)", got)
	}

	start := c.do("POST", "/fhir/$reindex?_type=Patient&batch=10", "", "Prefer", "respond-async")
	loc := start.header.Get("Content-Location")
	if start.status != 202 || !strings.Contains(loc, "/fhir/$reindex/") {
		t.Fatalf("start: %d %q %s", start.status, loc, start.raw)
	}
	if busy := c.do("POST", "/fhir/$reindex", "", "Prefer", "respond-async"); busy.status != 409 || busy.header.Get("Content-Location") != loc {
		t.Errorf("second start: %d %q %s", busy.status, busy.header.Get("Content-Location"), busy.raw)
	}
	var seen []string // done values while running
	var final answer
	for deadline := time.Now().Add(60 * time.Second); ; {
		r := c.do("GET", loc, "")
		if r.status == 200 {
			final = r
			break
		}
		// Queued: the worker has not picked the job up yet.
		if st := param(r.body, "state"); r.status != 202 || r.header.Get("X-Progress") == "" || st != "running" && st != "queued" {
			t.Fatalf("status while running: %d %q %s", r.status, r.header.Get("X-Progress"), r.raw)
		}
		if d := param(r.body, "done"); len(seen) == 0 || seen[len(seen)-1] != d {
			seen = append(seen, d)
		}
		if tot := param(r.body, "total"); tot != fmt.Sprint(n) && (tot != "0" || param(r.body, "done") != "0") { // 0: still counting
			t.Errorf("total while running: %s, want %d", param(r.body, "total"), n)
		}
		if time.Now().After(deadline) {
			t.Fatal("the reindex job does not finish")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if param(final.body, "state") != "done" || param(final.body, "done") != fmt.Sprint(n) || param(final.body, "total") != fmt.Sprint(n) {
		t.Fatalf("final status: %s", final.raw)
	}
	if len(seen) < 2 {
		t.Errorf("progress did not move while polling: %v", seen)
	}
	if got := total(t, c, "/fhir/Patient?nationality=han"); got != n {
		t.Fatalf("after the reindex %v patients match, want %d", got, n)
	}

	// Cancel: a slow job (one resource per transaction) stopped midway.
	start = c.do("POST", "/fhir/$reindex?batch=1", "", "Prefer", "respond-async")
	loc = start.header.Get("Content-Location")
	id := loc[strings.LastIndex(loc, "/")+1:]
	if start.status != 202 {
		t.Fatalf("second job: %d %s", start.status, start.raw)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		r := c.do("GET", loc, "")
		if r.status != 202 {
			t.Fatalf("the slow job ended before it was cancelled: %d %s", r.status, r.raw)
		}
		if param(r.body, "done") != "0" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the slow job does not start")
		}
	}
	if r := c.do("DELETE", loc, ""); r.status != 202 {
		t.Fatalf("cancel: %d %s", r.status, r.raw)
	}
	var job map[string]any
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		r := c.do("GET", "/admin/jobs/"+id, "")
		if r.status != 200 {
			t.Fatalf("admin job: %d %s", r.status, r.raw)
		}
		if job = r.body; job["state"] != "running" && job["state"] != "queued" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the cancelled job does not stop")
		}
	}
	if job["state"] != "cancelled" || job["done"].(float64) == 0 || job["done"].(float64) >= job["total"].(float64) {
		t.Errorf("cancelled job: %v", job)
	}
	if r := c.do("GET", loc, ""); r.status != 404 {
		t.Errorf("status of a cancelled job: %d %s", r.status, r.raw)
	}
	list := c.do("GET", "/admin/jobs", "")
	if js, _ := list.body["jobs"].([]any); len(js) != 2 || js[0].(map[string]any)["id"] != id {
		t.Errorf("admin list: %s", list.raw)
	}
	// The synchronous form still answers one batch.
	if r := c.do("POST", "/fhir/$reindex?_type=Patient&batch=10", ""); r.status != 200 || param(r.body, "done") != "10" || param(r.body, "cursor") == "" {
		t.Errorf("synchronous $reindex: %d %s", r.status, r.raw)
	}
	if r := c.do("POST", "/fhir/$reindex?batch=0", "", "Prefer", "respond-async"); r.status != 400 {
		t.Errorf("batch=0: %d %s", r.status, r.raw)
	}
}

// residentID returns a valid 18-digit resident identity number (GB 11643,
// MOD 11-2 check digit) of a man born on 1980-01-dd.
func residentID(seq int) string {
	body := fmt.Sprintf("330127198001%02d%03d", seq%28+1, 2*seq+1)
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(body[i]-'0') * w
	}
	return body + string("10X98765432"[sum%11])
}

// TestRelinkJob: on a hub whose EMPI is on, POST /admin/empi/relink runs
// the relink as a job while the incremental consumer is still matching the
// same records; afterwards each person of two records has exactly one
// master, the job's result counts them, and a second start meanwhile is 409.
func TestRelinkJob(t *testing.T) {
	t.Parallel()
	h := servertest.Start(t, func(c *server.Config) { c.EMPI.Enabled = true })
	c := jobClient{t: t, h: h}
	const persons = 20
	var entries []string
	for i := range persons {
		id := residentID(i)
		birth := fmt.Sprintf("1980-01-%02d", i%28+1)
		phone := fmt.Sprintf("139057%05d", i)
		given := []string{"建国", "志强", "海峰", "国庆", "晓明"}[i%5] + fmt.Sprint(i)
		for k, sys := range []string{"urn:oid:2.16.156.10011.1.3", "urn:oid:2.16.840.1.113883.2.23.1.19.1"} {
			entries = append(entries, fmt.Sprintf(`{"resource":{"resourceType":"Patient","identifier":[
				{"system":"http://yigong.cn/fhir/sid/org/site%d/mrn","value":"P%d"},{"system":%q,"value":%q}],
				"name":[{"family":"李","given":[%q]}],"gender":"male","birthDate":%q,"telecom":[{"system":"phone","value":%q}]},
				"request":{"method":"POST","url":"Patient"}}`, k, i, sys, id, given, birth, phone))
		}
	}
	if r := c.do("POST", "/fhir", `{"resourceType":"Bundle","type":"batch","entry":[`+strings.Join(entries, ",")+`]}`); r.status != 200 {
		t.Fatalf("load: %d %.300s", r.status, r.raw)
	}
	start := c.do("POST", "/admin/empi/relink?workers=2", "")
	loc := start.header.Get("Content-Location")
	if start.status != 202 || !strings.HasPrefix(loc, "/admin/jobs/") || start.body["kind"] != server.RelinkJob {
		t.Fatalf("start relink: %d %q %s", start.status, loc, start.raw)
	}
	switch r := c.do("POST", "/admin/empi/relink", ""); r.status {
	case 409:
		if r.header.Get("Content-Location") != loc {
			t.Errorf("second relink while one runs: 409 pointing at %q, want %q", r.header.Get("Content-Location"), loc)
		}
	case 202:
		// Only if the first had already finished (40 records relink in a
		// few milliseconds on a fast box): then it ended before this one
		// was created. Let the second finish before the checks below.
		first := c.do("GET", loc, "")
		finished, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(first.body["finished"]))
		created, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(r.body["created"]))
		if first.body["state"] != "done" || finished.IsZero() || created.Before(finished) {
			t.Errorf("a second relink started while the first ran: first %s, second %s", first.raw, r.raw)
		}
		second := r.header.Get("Content-Location")
		for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if s := c.do("GET", second, "").body["state"]; s != "running" && s != "queued" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the second relink job does not finish")
			}
		}
	default:
		t.Errorf("second relink: %d %s", r.status, r.raw)
	}
	var job map[string]any
	phases := map[string]bool{}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		r := c.do("GET", loc, "")
		if r.status != 200 {
			t.Fatalf("job status: %d %s", r.status, r.raw)
		}
		job = r.body
		if p, _ := job["phase"].(string); p != "" {
			phases[p] = true
		}
		if job["state"] != "running" && job["state"] != "queued" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the relink job does not finish")
		}
	}
	res, _ := job["result"].(map[string]any)
	if job["state"] != "done" || res == nil || res["clusters"] != float64(persons) || !phases["write"] {
		t.Fatalf("relink job: %v (phases seen %v)", job, phases)
	}
	// The consumer resumes after the relink; once it has caught up, every
	// person has one master linking both records, never two.
	var masters float64
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if masters = total(t, c, "/fhir/Patient?_tag=http://yigong.cn/fhir/CodeSystem/empi|golden"); masters >= persons {
			break
		}
	}
	time.Sleep(300 * time.Millisecond) // a duplicate master would appear now
	if masters = total(t, c, "/fhir/Patient?_tag=http://yigong.cn/fhir/CodeSystem/empi|golden"); masters != persons {
		t.Fatalf("%v masters, want %d", masters, persons)
	}
	r := c.do("GET", "/fhir/Patient?_tag=http://yigong.cn/fhir/CodeSystem/empi|golden&_count=100", "")
	linked := map[string]int{}
	for _, e := range r.body["entry"].([]any) {
		p := e.(map[string]any)["resource"].(map[string]any)
		links, _ := p["link"].([]any)
		if len(links) != 2 {
			t.Errorf("master %s links %d records, want 2", p["id"], len(links))
		}
		for _, l := range links {
			linked[l.(map[string]any)["other"].(map[string]any)["reference"].(string)]++
		}
	}
	for ref, k := range linked {
		if k != 1 {
			t.Errorf("%s is linked by %d masters", ref, k)
		}
	}
	if len(linked) != 2*persons {
		t.Errorf("%d records linked, want %d", len(linked), 2*persons)
	}
	// Disabled EMPI: 404.
	off := servertest.Start(t)
	if r := (jobClient{t: t, h: off}).do("POST", "/admin/empi/relink", ""); r.status != 404 {
		t.Errorf("relink without the EMPI: %d %s", r.status, r.raw)
	}
}

// TestJobsAccess: with access control on, the job admin API needs the
// system administrator; a backend client may run a reindex but not read
// /admin/jobs, and a user (not a backend client) may not start one.
func TestJobsAccess(t *testing.T) {
	t.Parallel()
	h := servertest.Start(t, servertest.SMART)
	key := h.AddBackend(t, "ops", "default", "system/*.cruds")
	backend := jobClient{t: t, h: h, token: h.BackendToken(t, "ops", key, "system/*.cruds")}
	if r := backend.do("GET", "/admin/jobs", ""); r.status != 403 {
		t.Errorf("backend client on /admin/jobs: %d %s", r.status, r.raw)
	}
	start := backend.do("POST", "/fhir/$reindex", "", "Prefer", "respond-async")
	if start.status != 202 {
		t.Fatalf("backend client starts a reindex: %d %s", start.status, start.raw)
	}
	h.AddUser(t, "ops-admin", "default", "", accounts.SystemAdmin)
	h.AddApp(t, "console", "default", "openid")
	admin := jobClient{t: t, h: h, token: h.UserToken(t, servertest.Launch{User: "ops-admin", App: "console", Scope: "openid"})["access_token"].(string)}
	list := admin.do("GET", "/admin/jobs", "")
	if js, _ := list.body["jobs"].([]any); list.status != 200 || len(js) != 1 || js[0].(map[string]any)["owner"] != "ops" {
		t.Errorf("system administrator on /admin/jobs: %d %s", list.status, list.raw)
	}
	if r := admin.do("POST", "/fhir/$reindex", "", "Prefer", "respond-async"); r.status != 403 && r.status != 409 {
		t.Errorf("a user (not a backend client) starts a reindex: %d %s", r.status, r.raw)
	}
}
