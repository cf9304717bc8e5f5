package empi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"yigong/fhir/search"
	"yigong/fhir/store"
	"yigong/fhir/store/postgres"
	"yigong/fhir/store/postgres/pgtest"
	"yigong/fhir/store/sqlite"
	"yigong/server/audit"
	"yigong/server/empi"
	"yigong/server/fhirapi"
)

// hub is a FHIR API with the EMPI service wired in, as server.Start wires
// it: fhirapi.Options{Matcher: svc, Merger: svc} and svc.Run in the
// background.
type hub struct {
	t     *testing.T
	st    store.Store
	svc   *empi.Service
	base  string
	audit *auditLog
}

// auditLog collects the audit events the service records.
type auditLog struct {
	mu     sync.Mutex
	events []audit.Event
}

func (a *auditLog) Record(_ context.Context, ev audit.Event) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.events = append(a.events, ev)
	return nil
}

func (a *auditLog) len() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.events)
}

type engine struct {
	name string
	open func(t *testing.T, ix store.Indexer) store.Store
}

func engines() []engine {
	return []engine{
		{"sqlite", func(t *testing.T, ix store.Indexer) store.Store {
			db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "y.db"), sqlite.Options{Indexer: ix})
			if err != nil {
				t.Fatal(err)
			}
			return db
		}},
		{"postgres", func(t *testing.T, ix store.Indexer) store.Store {
			db, err := postgres.Open(context.Background(), pgtest.DSN(t, "empi"), postgres.Options{Indexer: ix})
			if err != nil {
				t.Fatal(err)
			}
			return db
		}},
	}
}

func start(t *testing.T, e engine) *hub {
	t.Helper()
	var w io.Writer = io.Discard
	if os.Getenv("YIGONG_TEST_LOG") != "" {
		w = os.Stderr
	}
	log := slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String() + "/fhir"
	ix, err := search.NewIndexer(search.Options{BaseURL: base})
	if err != nil {
		t.Fatal(err)
	}
	st := e.open(t, ix)
	aud := &auditLog{}
	svc, err := empi.New(st, empi.Options{Institution: "hub", Log: log, Poll: 20 * time.Millisecond, Audit: aud})
	if err != nil {
		t.Fatal(err)
	}
	api, err := fhirapi.New(st, fhirapi.Options{BaseURL: func() string { return base }, Institution: "h1", Log: log,
		Matcher: svc, Merger: svc})
	if err != nil {
		t.Fatal(err)
	}
	ec := echo.New()
	ec.HTTPErrorHandler = func(err error, c echo.Context) { fhirapi.HandleError(c, err, log) }
	api.Register(ec.Group("/fhir"))
	srv.Config.Handler = ec
	srv.Start()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("empi: run: %v", err)
		}
		srv.Close()
		st.Close()
	})
	h := &hub{t: t, st: st, svc: svc, base: base, audit: aud}
	h.waitReady()
	return h
}

func (h *hub) waitReady() {
	deadline := time.Now().Add(20 * time.Second)
	for !h.svc.Ready() {
		if time.Now().After(deadline) {
			h.t.Fatal("empi: index not loaded in time")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// settle waits until the service has processed every committed change.
func (h *hub) settle() {
	h.t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(20 * time.Second)
	for {
		cs, err := h.st.Changes(ctx, 0, store.MaxCount)
		if err != nil {
			h.t.Fatal(err)
		}
		var head int64
		for len(cs) > 0 {
			head = cs[len(cs)-1].Seq
			if cs, err = h.st.Changes(ctx, head, store.MaxCount); err != nil {
				h.t.Fatal(err)
			}
		}
		if h.svc.Position() >= head {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("empi: at change %d of %d after 20s", h.svc.Position(), head)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type reply struct {
	status int
	body   map[string]any
}

func (h *hub) do(method, path, body string) reply {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.base+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/fhir+json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			h.t.Fatalf("%s %s: %v\n%s", method, path, err, raw)
		}
	}
	return r
}

func (h *hub) create(body string) string {
	h.t.Helper()
	r := h.do(http.MethodPost, "/Patient", body)
	if r.status != http.StatusCreated {
		h.t.Fatalf("create: %d %v", r.status, r.body)
	}
	return r.body["id"].(string)
}

// search returns the ids of a search's entries ("Type/id").
func (h *hub) search(query string) []string {
	h.t.Helper()
	r := h.do(http.MethodGet, query, "")
	if r.status != http.StatusOK {
		h.t.Fatalf("GET %s: %d %v", query, r.status, r.body)
	}
	return entryIDs(r.body)
}

func entryIDs(b map[string]any) []string {
	var out []string
	es, _ := b["entry"].([]any)
	for _, e := range es {
		res := e.(map[string]any)["resource"].(map[string]any)
		out = append(out, res["resourceType"].(string)+"/"+res["id"].(string))
	}
	return out
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

const (
	residentID = "33012719880721421X" // valid MOD 11-2 check digit, born 1988-07-21, male
	// The county hospital's record: resident ID under the WS/T OID.
	countyWang = `{"resourceType":"Patient","identifier":[
	 {"system":"http://yigong.cn/fhir/sid/org/county/outpatient","value":"MZ0001"},
	 {"system":"urn:oid:2.16.156.10011.1.3","value":"` + residentID + `"}],
	 "name":[{"family":"王","given":["小东"]}],"gender":"male","birthDate":"1988-07-21",
	 "telecom":[{"system":"phone","value":"13905710001"}]}`
	// A township clinic's record of the same man: the HL7 China OID, a
	// traditional character, its own local id.
	townshipWang = `{"resourceType":"Patient","identifier":[
	 {"system":"http://yigong.cn/fhir/sid/org/town7/card","value":"K-77"},
	 {"system":"urn:oid:2.16.840.1.113883.2.23.1.19.1","value":"` + residentID + `"}],
	 "name":[{"family":"王","given":["小東"]}],"gender":"male","birthDate":"1988-07-21",
	 "telecom":[{"system":"phone","value":"13905710001"}]}`
	// His twin brother at the clinic: same surname, birth date, phone; no
	// resident ID on file.
	townshipTwin = `{"resourceType":"Patient","identifier":[
	 {"system":"http://yigong.cn/fhir/sid/org/town7/card","value":"K-78"}],
	 "name":[{"family":"王","given":["小西"]}],"gender":"male","birthDate":"1988-07-21",
	 "telecom":[{"system":"phone","value":"13905710001"}]}`
	stranger = `{"resourceType":"Patient","identifier":[
	 {"system":"http://yigong.cn/fhir/sid/org/county/outpatient","value":"MZ0999"}],
	 "name":[{"family":"李","given":["建国"]}],"gender":"male","birthDate":"1952-01-03",
	 "telecom":[{"system":"phone","value":"13800000000"}]}`
)

// TestLinking: two records of one man from two institutions are linked under
// one master; his twin goes to review; a stranger is left alone. Search by
// either resident-ID OID, by pinyin, and $everything on the master.
func TestLinking(t *testing.T) {
	t.Parallel()
	for _, e := range engines() {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			h := start(t, e)
			a := h.create(countyWang)
			b := h.create(townshipWang)
			twin := h.create(townshipTwin)
			li := h.create(stranger)
			obs := h.do(http.MethodPost, "/Observation", `{"resourceType":"Observation","status":"final",
				"code":{"text":"血压"},"subject":{"reference":"Patient/`+b+`"}}`)
			if obs.status != http.StatusCreated {
				t.Fatalf("observation: %d %v", obs.status, obs.body)
			}
			h.settle()

			m := h.svc.MasterOf(a)
			if m == "" || h.svc.MasterOf(b) != m {
				t.Fatalf("masters: %s → %q, %s → %q; want one master", a, m, b, h.svc.MasterOf(b))
			}
			if got := h.svc.MasterOf(twin) + h.svc.MasterOf(li); got != "" {
				t.Errorf("twin or stranger linked to %q", got)
			}
			// The master links both sources (seealso) and is found from either.
			for _, src := range []string{a, b} {
				if got := h.search("/Patient?link=Patient/" + src); len(got) != 1 || got[0] != "Patient/"+m {
					t.Errorf("Patient?link=Patient/%s = %v, want [Patient/%s]", src, got, m)
				}
			}
			master := h.do(http.MethodGet, "/Patient/"+m, "")
			links, _ := master.body["link"].([]any)
			if len(links) != 2 || links[0].(map[string]any)["type"] != "seealso" {
				t.Errorf("master links: %v", links)
			}
			// Either OID finds both records (and, with _revinclude, the master).
			for _, sys := range []string{"urn:oid:2.16.156.10011.1.3", "urn:oid:2.16.840.1.113883.2.23.1.19.1", "2.16.840.1.113883.2.23.1.19.1"} {
				got := h.search("/Patient?identifier=" + url.QueryEscape(sys+"|"+residentID) + "&_revinclude=Patient:link")
				if len(got) != 3 || !has(got, "Patient/"+a) || !has(got, "Patient/"+b) || !has(got, "Patient/"+m) {
					t.Errorf("identifier=%s|…: %v, want %s, %s and master %s", sys, got, a, b, m)
				}
			}
			// Pinyin: with or without tones and spaces.
			for _, q := range []string{"wangxiaodong", url.QueryEscape("Wáng Xiǎodōng"), "WANG%20XIAODONG"} {
				got := h.search("/Patient?phonetic=" + q)
				if !has(got, "Patient/"+a) || !has(got, "Patient/"+b) || has(got, "Patient/"+twin) {
					t.Errorf("phonetic=%s: %v", q, got)
				}
			}
			// $everything on the master covers the township record's Observation.
			ev := h.search("/Patient/" + m + "/$everything")
			if !has(ev, "Patient/"+a) || !has(ev, "Patient/"+b) || !has(ev, "Observation/"+obs.body["id"].(string)) {
				t.Errorf("$everything on the master: %v", ev)
			}
			// One review Task, for the twins.
			tasks := h.do(http.MethodGet, "/Task?code="+url.QueryEscape("http://yigong.cn/fhir/CodeSystem/empi-task|patient-match-review"), "")
			es, _ := tasks.body["entry"].([]any)
			if len(es) != 1 {
				t.Fatalf("review tasks: %d, want 1: %v", len(es), tasks.body)
			}
			task := es[0].(map[string]any)["resource"].(map[string]any)
			raw, _ := json.Marshal(task["input"])
			if task["status"] != "requested" || !strings.Contains(string(raw), "Patient/"+twin) ||
				!(strings.Contains(string(raw), "Patient/"+a) || strings.Contains(string(raw), "Patient/"+b)) {
				t.Errorf("task: %s %s", task["status"], raw)
			}
			// A re-sent update of a source changes nothing of the above.
			before := len(h.search("/Patient?_count=100"))
			if r := h.do(http.MethodPut, "/Patient/"+b, strings.Replace(townshipWang, `{"resourceType":"Patient",`, `{"resourceType":"Patient","id":"`+b+`",`, 1)); r.status != http.StatusOK {
				t.Fatalf("update: %d %v", r.status, r.body)
			}
			h.settle()
			if after := len(h.search("/Patient?_count=100")); after != before || h.svc.MasterOf(b) != m {
				t.Errorf("after an update: %d patients (was %d), master %q", after, before, h.svc.MasterOf(b))
			}

			// $match: the right man first, grade certain.
			q := `{"resourceType":"Parameters","parameter":[{"name":"resource","resource":{"resourceType":"Patient",
				"name":[{"family":"王","given":["小东"]}],"gender":"male","birthDate":"1988-07-21",
				"identifier":[{"system":"urn:oid:2.16.840.1.113883.2.23.1.19.1","value":"` + residentID + `"}]}},
				{"name":"onlyCertainMatches","valueBoolean":true},{"name":"count","valueInteger":5}]}`
			r := h.do(http.MethodPost, "/Patient/$match", q)
			ids := entryIDs(r.body)
			if r.status != http.StatusOK || len(ids) != 2 || !has(ids, "Patient/"+a) || !has(ids, "Patient/"+b) {
				t.Fatalf("$match: %d %v", r.status, r.body)
			}
			first := r.body["entry"].([]any)[0].(map[string]any)["search"].(map[string]any)
			ext := first["extension"].([]any)[0].(map[string]any)
			if first["mode"] != "match" || ext["url"] != "http://hl7.org/fhir/StructureDefinition/match-grade" || ext["valueCode"] != "certain" {
				t.Errorf("$match search: %v", first)
			}
			if s, _ := first["score"].(float64); s < 0.9 {
				t.Errorf("$match score %v", first["score"])
			}
			// Without onlyCertainMatches the twin shows up, below the certain ones.
			r = h.do(http.MethodPost, "/Patient/$match", strings.Replace(q, `"valueBoolean":true`, `"valueBoolean":false`, 1))
			if ids := entryIDs(r.body); len(ids) < 3 || ids[2] != "Patient/"+twin {
				t.Errorf("$match (all): %v", ids)
			}
		})
	}
}

// TestMergeUnmerge: a merge retires the source reversibly, with Provenance;
// references to the source are not rewritten and $everything on the
// survivor still finds them; unmerge restores the source.
func TestMergeUnmerge(t *testing.T) {
	t.Parallel()
	for _, e := range engines() {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			h := start(t, e)
			a := h.create(countyWang)
			twin := h.create(townshipTwin)
			obs := h.do(http.MethodPost, "/Observation", `{"resourceType":"Observation","status":"final",
				"code":{"text":"血糖"},"subject":{"reference":"Patient/`+twin+`"}}`)
			obsID := obs.body["id"].(string)
			h.settle()

			merge := `{"resourceType":"Parameters","parameter":[
				{"name":"source-patient","valueReference":{"reference":"Patient/` + twin + `"}},
				{"name":"target-patient","valueReference":{"reference":"Patient/` + a + `"}}]}`
			pv := h.do(http.MethodPost, "/Patient/$merge", strings.Replace(merge, `]}`, `,{"name":"preview","valueBoolean":true}]}`, 1))
			if pv.status != http.StatusOK {
				t.Fatalf("preview: %d %v", pv.status, pv.body)
			}
			if p := h.do(http.MethodGet, "/Patient/"+twin, ""); p.body["active"] == false {
				t.Fatal("preview wrote the merge")
			}
			r := h.do(http.MethodPost, "/Patient/$merge", merge)
			if r.status != http.StatusOK {
				t.Fatalf("merge: %d %v", r.status, r.body)
			}
			src := h.do(http.MethodGet, "/Patient/"+twin, "").body
			if src["active"] != false || !strings.Contains(mustJSON(src["link"]), `"replaced-by"`) {
				t.Errorf("source after merge: %v", src)
			}
			tgt := h.do(http.MethodGet, "/Patient/"+a, "").body
			if !strings.Contains(mustJSON(tgt["link"]), `"replaces"`) {
				t.Errorf("target after merge: %v", tgt)
			}
			if got := h.search("/Provenance?target=Patient/" + a); len(got) != 1 {
				t.Errorf("Provenance after merge: %v", got)
			}
			if n := h.audit.len(); n != 2 {
				t.Errorf("audit events after merge: %d, want 2 (source and target)", n)
			}
			// The Observation still points at the retired record; $everything
			// on the survivor finds it.
			if o := h.do(http.MethodGet, "/Observation/"+obsID, ""); !strings.Contains(mustJSON(o.body["subject"]), twin) {
				t.Errorf("observation rewritten: %v", o.body["subject"])
			}
			if ev := h.search("/Patient/" + a + "/$everything"); !has(ev, "Observation/"+obsID) {
				t.Errorf("$everything on the survivor: %v", ev)
			}
			// A second merge of the same source conflicts.
			if r := h.do(http.MethodPost, "/Patient/$merge", merge); r.status != http.StatusConflict {
				t.Errorf("second merge: %d", r.status)
			}
			h.settle()
			// $match no longer offers the retired record.
			q := `{"resourceType":"Parameters","parameter":[{"name":"resource","resource":` + townshipTwin + `}]}`
			if ids := entryIDs(h.do(http.MethodPost, "/Patient/$match", q).body); has(ids, "Patient/"+twin) {
				t.Errorf("$match offers the merged record: %v", ids)
			}

			r = h.do(http.MethodPost, "/Patient/$unmerge", merge)
			if r.status != http.StatusOK {
				t.Fatalf("unmerge: %d %v", r.status, r.body)
			}
			src = h.do(http.MethodGet, "/Patient/"+twin, "").body
			if _, ok := src["active"]; ok || src["link"] != nil {
				t.Errorf("source after unmerge: %v", src)
			}
			if tgt := h.do(http.MethodGet, "/Patient/"+a, "").body; tgt["link"] != nil {
				t.Errorf("target after unmerge: %v", tgt)
			}
			if got := h.search("/Provenance?target=Patient/" + twin + "&_sort=_lastUpdated"); len(got) != 2 {
				t.Errorf("Provenance after unmerge: %v", got)
			}
			if hist := h.do(http.MethodGet, "/Patient/"+twin+"/_history", ""); len(hist.body["entry"].([]any)) != 3 {
				t.Errorf("source history: %d versions, want 3", len(hist.body["entry"].([]any)))
			}
			h.settle()
			if ids := entryIDs(h.do(http.MethodPost, "/Patient/$match", q).body); !has(ids, "Patient/"+twin) {
				t.Errorf("$match after unmerge: %v", ids)
			}
		})
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestADTMerge: a merge that arrives as the HL7 adapter writes it (ADT
// A40: the prior patient patched to active=false, replaced-by; the survivor
// given replaces) is seen through the outbox: the prior record leaves
// matching, masters stay, and $unmerge undoes it.
func TestADTMerge(t *testing.T) {
	t.Parallel()
	for _, e := range engines() {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			h := start(t, e)
			a := h.create(countyWang)
			b := h.create(townshipWang)
			h.settle()
			m := h.svc.MasterOf(a)
			if m == "" || h.svc.MasterOf(b) != m {
				t.Fatalf("not linked: %q %q", m, h.svc.MasterOf(b))
			}
			patch := `{"resourceType":"Parameters","parameter":[
			 {"name":"operation","part":[{"name":"type","valueCode":"add"},{"name":"path","valueString":"Patient"},{"name":"name","valueString":"active"},{"name":"value","valueBoolean":false}]},
			 {"name":"operation","part":[{"name":"type","valueCode":"add"},{"name":"path","valueString":"Patient"},{"name":"name","valueString":"link"},
			  {"name":"value","part":[{"name":"other","valueReference":{"reference":"Patient/` + a + `"}},{"name":"type","valueCode":"replaced-by"}]}]}]}`
			req, _ := http.NewRequest(http.MethodPatch, h.base+"/Patient/"+b, strings.NewReader(patch))
			req.Header.Set("Content-Type", "application/fhir+json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("patch: %v %v", err, resp.Status)
			}
			resp.Body.Close()
			h.settle()
			q := `{"resourceType":"Parameters","parameter":[{"name":"resource","resource":` + townshipWang + `}]}`
			if ids := entryIDs(h.do(http.MethodPost, "/Patient/$match", q).body); has(ids, "Patient/"+b) || !has(ids, "Patient/"+a) {
				t.Errorf("$match after A40: %v", ids)
			}
			if h.svc.MasterOf(a) != m {
				t.Errorf("master changed: %q", h.svc.MasterOf(a))
			}
			un := `{"resourceType":"Parameters","parameter":[
				{"name":"source-patient","valueReference":{"reference":"Patient/` + b + `"}},
				{"name":"target-patient","valueReference":{"reference":"Patient/` + a + `"}}]}`
			if r := h.do(http.MethodPost, "/Patient/$unmerge", un); r.status != http.StatusOK {
				t.Fatalf("unmerge: %d %v", r.status, r.body)
			}
			h.settle()
			if ids := entryIDs(h.do(http.MethodPost, "/Patient/$match", q).body); !has(ids, "Patient/"+b) {
				t.Errorf("$match after unmerge: %v", ids)
			}
		})
	}
}
