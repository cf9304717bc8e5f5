package search_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"yigong/conformance/corpus"
	"yigong/fhir/search"
	"yigong/fhir/store"
	"yigong/fhir/store/postgres"
	"yigong/fhir/store/postgres/pgtest"
	"yigong/fhir/store/sqlite"
)

// loadSynthea writes every entry of the Synthea transaction bundles into st
// (one transaction per bundle) under ids taken from their urn:uuid fullUrls,
// rewriting urn:uuid references to Type/id; copies > 1 loads the corpus that
// many times with re-identified ids (a "10×" set). It returns the number of
// resources written.
func loadSynthea(tb testing.TB, st store.Store, copies int) int {
	tb.Helper()
	dir := corpus.Path(tb, "fhir", "synthea")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) == 0 {
		tb.Skip("no Synthea bundles")
	}
	ctx := context.Background()
	n := 0
	for copy := range copies {
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				tb.Fatal(err)
			}
			var b struct {
				Entry []struct {
					FullURL  string          `json:"fullUrl"`
					Resource json.RawMessage `json:"resource"`
				} `json:"entry"`
			}
			if err := json.Unmarshal(raw, &b); err != nil {
				tb.Fatal(err)
			}
			var pairs []string
			types := make([]string, len(b.Entry))
			ids := make([]string, len(b.Entry))
			for i, e := range b.Entry {
				var head struct {
					ResourceType string `json:"resourceType"`
				}
				json.Unmarshal(e.Resource, &head)
				types[i] = head.ResourceType
				id := strings.TrimPrefix(e.FullURL, "urn:uuid:")
				if copy > 0 {
					id = fmt.Sprintf("c%d-%s", copy, id)
				}
				ids[i] = id
				pairs = append(pairs, `"`+e.FullURL+`"`, `"`+head.ResourceType+"/"+id+`"`)
			}
			rep := strings.NewReplacer(pairs...)
			tx, err := st.Begin(ctx)
			if err != nil {
				tb.Fatal(err)
			}
			for i, e := range b.Entry {
				body := rep.Replace(string(e.Resource))
				if _, _, err := tx.Update(ctx, store.Input{Institution: "county", Type: types[i], ID: ids[i], JSON: []byte(body)}); err != nil {
					tb.Fatalf("%s %s/%s: %v", filepath.Base(f), types[i], ids[i], err)
				}
				n++
			}
			if err := tx.Commit(ctx); err != nil {
				tb.Fatal(err)
			}
		}
	}
	return n
}

// syntheaStores holds the loaded stores, shared by the benchmarks and the
// integration test of one process.
var syntheaStores = struct {
	sync.Mutex
	m map[string]store.Store
}{m: map[string]store.Store{}}

func syntheaStore(tb testing.TB, engine string, copies int) store.Store {
	tb.Helper()
	key := fmt.Sprintf("%s-%d", engine, copies)
	syntheaStores.Lock()
	defer syntheaStores.Unlock()
	if st := syntheaStores.m[key]; st != nil {
		return st
	}
	ix, err := search.NewIndexer(search.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	var st store.Store
	switch engine {
	case "sqlite":
		dir, err := os.MkdirTemp("", "yigong-synthea-")
		if err != nil {
			tb.Fatal(err)
		}
		db, err := sqlite.Open(ctx, filepath.Join(dir, "y.db"), sqlite.Options{Indexer: ix, Synchronous: "NORMAL"})
		if err != nil {
			tb.Fatal(err)
		}
		st = db
	case "postgres":
		// The schema outlives the test that created it: register cleanup on
		// a throwaway T would drop it early, so use the DSN helper's
		// cleanup of the first caller and keep the store for the process.
		dsn := pgtest.DSN(tb, "synthea")
		db, err := postgres.Open(ctx, dsn, postgres.Options{Indexer: ix})
		if err != nil {
			tb.Fatal(err)
		}
		st = db
		defer func() { // statistics, as autovacuum would gather them after a bulk load
			cfg, err := pgx.ParseConfig(strings.Replace(strings.Replace(dsn, "pool_max_conns=16", "", 1), "?&", "?", 1))
			if err != nil {
				tb.Fatal(err)
			}
			c, err := pgx.ConnectConfig(ctx, cfg)
			if err != nil {
				tb.Fatal(err)
			}
			defer c.Close(ctx)
			if _, err := c.Exec(ctx, "ANALYZE"); err != nil {
				tb.Fatal(err)
			}
		}()
	}
	start := time.Now()
	n := loadSynthea(tb, st, copies)
	tb.Logf("%s: loaded %d resources in %v", engine, n, time.Since(start).Round(time.Millisecond))
	syntheaStores.m[key] = st
	return st
}

// shapes are the benchmark search shapes of issue 3, with values from the
// corpus.
func shapes(tb testing.TB, st store.Store) []struct{ name, typ, query string } {
	tb.Helper()
	se := st.(store.Searcher)
	ctx := context.Background()
	// A patient with many observations and one of their encounters.
	page, err := se.Search(ctx, store.SearchQuery{Type: "Patient", Count: 1})
	if err != nil || len(page.Entries) == 0 {
		tb.Fatalf("no patient: %v", err)
	}
	var p struct {
		ID   string `json:"id"`
		Name []struct {
			Family string   `json:"family"`
			Given  []string `json:"given"`
		} `json:"name"`
		Identifier []struct{ System, Value string } `json:"identifier"`
	}
	json.Unmarshal(page.Entries[0].JSON, &p)
	enc, err := se.Search(ctx, store.SearchQuery{Type: "Encounter", Count: 1, Filters: []store.Filter{{Param: "subject", Type: store.ParamReference,
		Values: []store.FilterValue{{RefType: "Patient", RefID: p.ID}}}}})
	if err != nil || len(enc.Entries) == 0 {
		tb.Fatalf("no encounter: %v", err)
	}
	pid := url.QueryEscape(p.ID)
	ident := url.QueryEscape(p.Identifier[len(p.Identifier)-1].System + "|" + p.Identifier[len(p.Identifier)-1].Value)
	family := url.QueryEscape(p.Name[0].Family)
	return []struct{ name, typ, query string }{
		{"Patient?name", "Patient", "name=" + family},
		{"Patient?identifier", "Patient", "identifier=" + ident},
		{"Observation?patient&code", "Observation", "patient=Patient/" + pid + "&code=http://loinc.org|29463-7"},
		{"Observation?code&date=ge", "Observation", "code=http://loinc.org|29463-7&date=ge2019-01-01"},
		{"Observation?value-quantity=gt", "Observation", "value-quantity=gt180|http://unitsofmeasure.org|cm"},
		{"Encounter?subject.family", "Encounter", "subject.family=" + family},
		{"Patient?_has:Observation:patient:code", "Patient", "_has:Observation:patient:code=http://loinc.org|2093-3"},
		{"Encounter?subject&_revinclude", "Encounter", "subject=Patient/" + pid + "&_revinclude=Observation:encounter"},
		{"Observation?subject&_sort=-date", "Observation", "subject=Patient/" + pid + "&_sort=-date"},
		{"Observation?code&_summary=count", "Observation", "code=http://loinc.org|29463-7&_summary=count"},
	}
}

func runShape(tb testing.TB, st store.Store, typ, query string) *store.SearchPage {
	vals, err := url.ParseQuery(query)
	if err != nil {
		tb.Fatal(err)
	}
	ix := st.(store.Reindexer).Indexer().(*search.Indexer)
	plan, err := search.Parse(ix, typ, vals, search.ParseOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	page, err := st.(store.Searcher).Search(context.Background(), plan.Query)
	if err != nil {
		tb.Fatalf("%s?%s: %v", typ, query, err)
	}
	return page
}

// TestSynthea loads the corpus into both engines and checks that every
// benchmark shape finds something (the same on both).
func TestSynthea(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the Synthea corpus")
	}
	results := map[string][]int{}
	for _, engine := range []string{"sqlite", "postgres"} {
		if engine == "postgres" && os.Getenv(pgtest.EnvVar) == "" {
			pgtest.Unavailable(t, pgtest.EnvVar+" is not set")
		}
		st := syntheaStore(t, engine, 1)
		for _, sh := range shapes(t, st) {
			page := runShape(t, st, sh.typ, sh.query)
			got := len(page.Entries) + len(page.Included)
			if strings.Contains(sh.query, "_summary=count") {
				got = int(page.Total)
			}
			if got == 0 {
				t.Errorf("%s %s?%s: nothing found", engine, sh.typ, sh.query)
			}
			results[sh.name] = append(results[sh.name], got)
		}
	}
	for name, r := range results {
		if len(r) == 2 && r[0] != r[1] {
			t.Errorf("%s: sqlite found %d, postgres %d", name, r[0], r[1])
		}
	}
}

// BenchmarkSearch times each benchmark shape on each engine at corpus size
// (YIGONG_SYNTHEA_COPIES=10 for the 10× set).
func BenchmarkSearch(b *testing.B) {
	copies := 1
	if v := os.Getenv("YIGONG_SYNTHEA_COPIES"); v != "" {
		fmt.Sscan(v, &copies)
	}
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			if engine == "postgres" && os.Getenv(pgtest.EnvVar) == "" {
				b.Skip(pgtest.EnvVar + " is not set")
			}
			st := syntheaStore(b, engine, copies)
			for _, sh := range shapes(b, st) {
				b.Run(sh.name, func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						runShape(b, st, sh.typ, sh.query)
					}
				})
			}
		})
	}
}
