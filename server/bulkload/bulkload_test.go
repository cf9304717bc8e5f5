package bulkload_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"yigong/conformance/corpus"
	"yigong/fhir/search"
	"yigong/fhir/store"
	"yigong/fhir/store/postgres"
	"yigong/fhir/store/postgres/pgtest"
	"yigong/fhir/store/sqlite"
	"yigong/server/bulkload"
	"yigong/server/servertest"
)

// corpusCounts counts the resources of the Synthea bundles by type.
func corpusCounts(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no bundles in %s: %v", dir, err)
	}
	counts := map[string]int64{}
	for _, f := range files {
		var b struct {
			Entry []struct {
				Resource struct {
					ResourceType string `json:"resourceType"`
				} `json:"resource"`
			} `json:"entry"`
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &b); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, e := range b.Entry {
			counts[e.Resource.ResourceType]++
		}
	}
	return counts
}

func sortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func checkReport(t *testing.T, rep *bulkload.Report, want map[string]int64) {
	t.Helper()
	for _, f := range rep.Files {
		for _, p := range f.Problems {
			t.Errorf("problem: %s", p)
		}
	}
	for _, typ := range sortedKeys(want) {
		if rep.ByType[typ] != want[typ] {
			t.Errorf("report: %s loaded %d, want %d", typ, rep.ByType[typ], want[typ])
		}
	}
}

// countHTTP counts the resources of typ on a hub with _summary=count.
func countHTTP(ctx context.Context, base, typ string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/"+typ+"?_summary=count", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var b struct {
		Total *int64 `json:"total"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&b); err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK || b.Total == nil {
		return 0, fmt.Errorf("GET %s?_summary=count: status %d, total %v", typ, resp.StatusCode, b.Total)
	}
	return *b.Total, nil
}

func TestLoadSyntheaHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the Synthea corpus")
	}
	dir := corpus.Path(t, "fhir", "synthea")
	want := corpusCounts(t, dir)
	for _, s := range servertest.Stores() {
		t.Run(s.Name, func(t *testing.T) {
			hub := s.Start(t)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			prog := &bulkload.Progress{}
			l := &bulkload.Loader{Sink: bulkload.NewHTTPSink(hub.URL("/fhir"), 4), Workers: 4, Progress: prog}
			rep, err := l.Run(ctx, []string{dir})
			if err != nil {
				t.Fatal(err)
			}
			checkReport(t, rep, want)
			snap := prog.Snapshot()
			if !snap.Done || snap.FilesDone != snap.FilesTotal || snap.Loaded != rep.Loaded {
				t.Errorf("progress %+v, report loaded %d", snap, rep.Loaded)
			}
			for _, typ := range sortedKeys(want) {
				got, err := countHTTP(ctx, hub.URL("/fhir"), typ)
				if err != nil {
					t.Errorf("count %s: %v", typ, err)
					continue
				}
				if got != want[typ] {
					t.Errorf("hub holds %d %s, the bundles %d", got, typ, want[typ])
				}
			}
		})
	}
}

// openStores opens each engine on a fresh database with the production
// indexer.
func openStores(t *testing.T) map[string]func(t *testing.T) (store.Store, *search.Indexer) {
	const base = "http://localhost/fhir"
	return map[string]func(t *testing.T) (store.Store, *search.Indexer){
		"sqlite": func(t *testing.T) (store.Store, *search.Indexer) {
			ix, err := search.NewIndexer(search.Options{BaseURL: base})
			if err != nil {
				t.Fatal(err)
			}
			db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "y.db"), sqlite.Options{Indexer: ix})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db, ix
		},
		"postgres": func(t *testing.T) (store.Store, *search.Indexer) {
			dsn := pgtest.DSN(t, "bulkload")
			ix, err := search.NewIndexer(search.Options{BaseURL: base})
			if err != nil {
				t.Fatal(err)
			}
			db, err := postgres.Open(context.Background(), dsn, postgres.Options{Indexer: ix})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db, ix
		},
	}
}

func storeCounts(t *testing.T, st store.Store, types []string) map[string]int64 {
	t.Helper()
	ri, ok := st.(store.Reindexer)
	if !ok {
		t.Fatal("store cannot count (no store.Reindexer)")
	}
	out := map[string]int64{}
	for _, typ := range types {
		n, err := ri.ReindexCount(context.Background(), []string{typ})
		if err != nil {
			t.Fatal(err)
		}
		out[typ] = n
	}
	return out
}

func TestLoadSyntheaStore(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the Synthea corpus")
	}
	dir := corpus.Path(t, "fhir", "synthea")
	want := corpusCounts(t, dir)
	for name, open := range openStores(t) {
		t.Run(name, func(t *testing.T) {
			st, ix := open(t)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			l := &bulkload.Loader{Sink: bulkload.NewStoreSink(st, ix, "default", "http://localhost/fhir"), Workers: 2}
			rep, err := l.Run(ctx, []string{dir})
			if err != nil {
				t.Fatal(err)
			}
			checkReport(t, rep, want)
			got := storeCounts(t, st, sortedKeys(want))
			for _, typ := range sortedKeys(want) {
				if got[typ] != want[typ] {
					t.Errorf("store holds %d %s, the bundles %d", got[typ], typ, want[typ])
				}
			}
		})
	}
}

// writeNDJSON writes the resources of a few Synthea bundles as NDJSON, with
// urn:uuid: references turned into Type/id, and bad lines at the given
// line numbers. It returns the counts of the good lines by type.
func writeNDJSON(t *testing.T, dir, out string, nBundles int, bad map[int]string) map[string]int64 {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	files = files[:nBundles]
	var buf bytes.Buffer
	counts := map[string]int64{}
	line := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var b struct {
			Entry []struct {
				FullURL  string          `json:"fullUrl"`
				Resource json.RawMessage `json:"resource"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(data, &b); err != nil {
			t.Fatal(err)
		}
		var pairs []string
		for _, e := range b.Entry {
			var r struct{ ResourceType, ID string }
			json.Unmarshal(e.Resource, &r)
			pairs = append(pairs, `"`+e.FullURL+`"`, `"`+r.ResourceType+"/"+r.ID+`"`)
		}
		rep := strings.NewReplacer(pairs...)
		for _, e := range b.Entry {
			for {
				line++
				text, ok := bad[line]
				if !ok {
					break
				}
				buf.WriteString(text + "\n")
			}
			var compact bytes.Buffer
			if err := json.Compact(&compact, []byte(rep.Replace(string(e.Resource)))); err != nil {
				t.Fatal(err)
			}
			buf.Write(compact.Bytes())
			buf.WriteByte('\n')
			var r struct{ ResourceType string }
			json.Unmarshal(e.Resource, &r)
			counts[r.ResourceType]++
		}
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return counts
}

func TestLoadNDJSON(t *testing.T) {
	dir := corpus.Path(t, "fhir", "synthea")
	nb := 6
	if testing.Short() {
		nb = 1
	}
	bad := map[int]string{
		5:   `{"resourceType":"Patient","bogus":true}`,
		9:   `{"resourceType":"Observation", not json`,
		150: `{"resourceType":"Nope"}`,
	}
	path := filepath.Join(t.TempDir(), "export.ndjson")
	want := writeNDJSON(t, dir, path, nb, bad)
	st, ix := openStores(t)["sqlite"](t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	l := &bulkload.Loader{Sink: bulkload.NewStoreSink(st, ix, "default", "http://localhost/fhir"), Workers: 2, BatchSize: 50}
	rep, err := l.Run(ctx, []string{path})
	if err != nil {
		t.Fatal(err)
	}
	var where []string
	for _, p := range rep.Files[0].Problems {
		where = append(where, p.Where)
		if len(p.Issues) == 0 {
			t.Errorf("%s: no issues", p)
		}
	}
	sort.Strings(where)
	if got, wantWhere := strings.Join(where, ","), "line 150,line 5,line 9"; got != wantWhere {
		t.Errorf("problems at %s, want %s: %v", got, wantWhere, rep.Files[0].Problems)
	}
	if rep.Failed != 3 || rep.OK() {
		t.Errorf("failed %d, OK %v; want 3 failed", rep.Failed, rep.OK())
	}
	for typ, n := range want {
		if rep.ByType[typ] != n {
			t.Errorf("report: %s loaded %d, want %d", typ, rep.ByType[typ], n)
		}
	}
	got := storeCounts(t, st, sortedKeys(want))
	for typ, n := range want {
		if got[typ] != n {
			t.Errorf("store holds %d %s, want %d", got[typ], typ, n)
		}
	}
}

// TestLoadCollection turns a Synthea transaction into a collection Bundle
// (no requests) and a single resource file, and checks that the loader
// builds a transaction that keeps the references between entries.
func TestLoadCollection(t *testing.T) {
	src := corpus.Path(t, "fhir", "synthea", "Clarence_Mills_0753ad6c-5935-4faa-9cfe-b7269e963d77.json")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var b map[string]any
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatal(err)
	}
	b["type"] = "collection"
	want := map[string]int64{}
	for _, e := range b["entry"].([]any) {
		em := e.(map[string]any)
		delete(em, "request")
		want[em["resource"].(map[string]any)["resourceType"].(string)]++
	}
	dir := t.TempDir()
	coll, _ := json.Marshal(b)
	os.WriteFile(filepath.Join(dir, "collection.json"), coll, 0o600)
	os.WriteFile(filepath.Join(dir, "one.json"), []byte(`{"resourceType":"Practitioner","id":"dr-wang","name":[{"family":"王"}]}`), 0o600)
	want["Practitioner"]++
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not FHIR"), 0o600) // skipped: not a FHIR file name

	st, ix := openStores(t)["sqlite"](t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	l := &bulkload.Loader{Sink: bulkload.NewStoreSink(st, ix, "default", "http://localhost/fhir")}
	rep, err := l.Run(ctx, []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, rep, want)
	if len(rep.Files) != 2 || rep.Files[0].Format != "collection" || rep.Files[1].Format != "resource" {
		t.Errorf("files %+v", rep.Files)
	}
	got := storeCounts(t, st, sortedKeys(want))
	for typ, n := range want {
		if got[typ] != n {
			t.Errorf("store holds %d %s, want %d", got[typ], typ, n)
		}
	}
	// References between entries now point at the stored resources.
	se := st.(store.Searcher)
	page, err := se.Search(ctx, store.SearchQuery{Type: "Encounter", Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Entries) == 0 {
		t.Fatal("no Encounter found")
	}
	if js := page.Entries[0].JSON; !bytes.Contains(js, []byte(`"reference":"Patient/`)) || bytes.Contains(js, []byte(`urn:uuid:`)) {
		t.Errorf("references not resolved: %.300s", js)
	}
}
