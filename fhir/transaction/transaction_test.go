package transaction_test

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

	"yigong/conformance/corpus"
	"yigong/fhir"
	"yigong/fhir/fhirjson"
	"yigong/fhir/search"
	"yigong/fhir/store"
	"yigong/fhir/store/postgres"
	"yigong/fhir/store/postgres/pgtest"
	"yigong/fhir/store/sqlite"
	"yigong/fhir/transaction"
)

// engines opens each store engine with the production indexer.
var engines = []struct {
	name string
	open func(t *testing.T) store.Store
}{
	{"sqlite", func(t *testing.T) store.Store {
		ix := indexer(t)
		db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "tx.db"), sqlite.Options{Indexer: ix})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}},
	{"postgres", func(t *testing.T) store.Store {
		ix := indexer(t)
		db, err := postgres.Open(context.Background(), pgtest.DSN(t, "txtest"), postgres.Options{Indexer: ix})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}},
}

func indexer(t *testing.T) store.Indexer {
	ix, err := search.NewIndexer(search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

// identifierMatcher answers the conditional queries these tests use
// (identifier=system|value) from the store's index, as the server's search
// engine does for any query.
func identifierMatcher(st store.Store) transaction.Matcher {
	return transaction.MatcherFunc(func(ctx context.Context, typ, query string) ([]*store.Resource, error) {
		q, err := url.ParseQuery(query)
		if err != nil || len(q) != 1 || q.Get("identifier") == "" {
			return nil, fmt.Errorf("test matcher: unsupported query %q", query)
		}
		sys, val, _ := strings.Cut(q.Get("identifier"), "|")
		page, err := st.(store.Searcher).Search(ctx, store.SearchQuery{Type: typ, Filters: []store.Filter{{
			Param: "identifier", Type: store.ParamToken, Values: []store.FilterValue{{System: sys, Code: val}}}}})
		if err != nil {
			return nil, err
		}
		return page.Entries, nil
	})
}

func bundle(t *testing.T, s string) *fhir.Node {
	t.Helper()
	n, err := fhirjson.Unmarshal([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func forEachEngine(t *testing.T, fn func(t *testing.T, st store.Store, p *transaction.Processor)) {
	for _, en := range engines {
		t.Run(en.name, func(t *testing.T) {
			t.Parallel()
			st := en.open(t)
			fn(t, st, &transaction.Processor{Store: st, Matcher: identifierMatcher(st), Institution: "county"})
		})
	}
}

const patientEntry = `{"fullUrl":"urn:uuid:11111111-1111-1111-1111-111111111111",
 "resource":{"resourceType":"Patient","identifier":[{"system":"urn:oid:2.16.156.10011.1.3","value":"%s"}],"name":[{"family":"王","given":["珅"]}]},
 "request":{"method":"PUT","url":"Patient?identifier=urn:oid:2.16.156.10011.1.3|%s"}}`

const obsEntry = `{"fullUrl":"urn:uuid:22222222-2222-2222-2222-%012d",
 "resource":{"resourceType":"Observation","status":"final","code":{"text":"心率"},"subject":{"reference":"urn:uuid:11111111-1111-1111-1111-111111111111"},
  "valueQuantity":{"value":72,"unit":"/min"}},
 "request":{"method":"POST","url":"Observation"}}`

func TestTransaction(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, st store.Store, p *transaction.Processor) {
		ctx := context.Background()
		b := bundle(t, `{"resourceType":"Bundle","type":"transaction","entry":[`+
			fmt.Sprintf(obsEntry, 1)+`,`+fmt.Sprintf(patientEntry, "110101199003078515", "110101199003078515")+`]}`)
		resp, err := p.Execute(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		if resp[0].Status != 201 || resp[1].Status != 201 {
			t.Fatalf("statuses %d %d, want 201 201", resp[0].Status, resp[1].Status)
		}
		var obs, pat map[string]any
		json.Unmarshal(resp[0].Resource, &obs)
		json.Unmarshal(resp[1].Resource, &pat)
		if ref := obs["subject"].(map[string]any)["reference"]; ref != "Patient/"+pat["id"].(string) {
			t.Errorf("subject = %v, want Patient/%v: the urn:uuid reference must be rewritten", ref, pat["id"])
		}

		// The same Bundle again: the patient is found, not duplicated.
		resp, err = p.Execute(ctx, bundle(t, `{"resourceType":"Bundle","type":"transaction","entry":[`+
			fmt.Sprintf(obsEntry, 2)+`,`+fmt.Sprintf(patientEntry, "110101199003078515", "110101199003078515")+`]}`))
		if err != nil {
			t.Fatal(err)
		}
		var pat2 map[string]any
		json.Unmarshal(resp[1].Resource, &pat2)
		if resp[1].Status != 200 || pat2["id"] != pat["id"] {
			t.Errorf("second PUT: status %d id %v, want 200 and the same patient %v", resp[1].Status, pat2["id"], pat["id"])
		}

		// A failing entry rolls everything back and is named.
		before := countChanges(t, st)
		_, err = p.Execute(ctx, bundle(t, `{"resourceType":"Bundle","type":"transaction","entry":[
			{"resource":{"resourceType":"Patient","gender":"female"},"request":{"method":"POST","url":"Patient"}},
			{"resource":{"resourceType":"Patient","id":"a"},"request":{"method":"PUT","url":"Patient/b"}}]}`))
		if err == nil {
			t.Fatal("a transaction with a bad entry committed")
		}
		if is := fhir.IssuesOf(err); !strings.HasPrefix(is[0].Expression, "Bundle.entry[1]") {
			t.Errorf("error names %q, want Bundle.entry[1]: %v", is[0].Expression, err)
		}
		if after := countChanges(t, st); after != before {
			t.Errorf("a failed transaction wrote %d changes", after-before)
		}

		// Conditional reference, PATCH, DELETE and GET in one Bundle.
		resp, err = p.Execute(ctx, bundle(t, `{"resourceType":"Bundle","type":"transaction","entry":[
			{"resource":{"resourceType":"Observation","status":"final","code":{"text":"血压"},
			  "subject":{"reference":"Patient?identifier=urn:oid:2.16.156.10011.1.3|110101199003078515"}},
			 "request":{"method":"POST","url":"Observation"}},
			{"resource":{"resourceType":"Parameters","parameter":[{"name":"operation","part":[
			  {"name":"type","valueCode":"add"},{"name":"path","valueString":"Patient"},
			  {"name":"name","valueString":"gender"},{"name":"value","valueCode":"male"}]}]},
			 "request":{"method":"PATCH","url":"Patient?identifier=urn:oid:2.16.156.10011.1.3|110101199003078515"}},
			{"request":{"method":"DELETE","url":"`+obsLocation(resp[0])+`"}},
			{"request":{"method":"GET","url":"Patient/`+pat["id"].(string)+`"}}]}`))
		if err != nil {
			t.Fatal(err)
		}
		var cond, got map[string]any
		json.Unmarshal(resp[0].Resource, &cond)
		json.Unmarshal(resp[3].Resource, &got)
		if cond["subject"].(map[string]any)["reference"] != "Patient/"+pat["id"].(string) {
			t.Errorf("conditional reference resolved to %v", cond["subject"])
		}
		if resp[1].Status != 200 || resp[2].Status != 204 || got["gender"] != "male" {
			t.Errorf("patch %d, delete %d, GET after patch gender %v", resp[1].Status, resp[2].Status, got["gender"])
		}
	})
}

func obsLocation(r transaction.Response) string {
	parts := strings.Split(r.Location, "/")
	return parts[0] + "/" + parts[1]
}

func countChanges(t *testing.T, st store.Store) int {
	t.Helper()
	ch, err := st.Changes(context.Background(), 0, store.MaxCount)
	if err != nil {
		t.Fatal(err)
	}
	return len(ch)
}

// TestConcurrentTransactionsOnePatient sends 20 Bundles at once that each
// create "the patient with identifier X" and an Observation about them, as
// 20 ORU messages for a new patient would: exactly one patient may result,
// and every Observation must point at it.
func TestConcurrentTransactionsOnePatient(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, st store.Store, p *transaction.Processor) {
		const n = 20
		var wg sync.WaitGroup
		errs := make([]error, n)
		subjects := make([]string, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, err := p.Execute(context.Background(), bundle(t, `{"resourceType":"Bundle","type":"transaction","entry":[`+
					fmt.Sprintf(obsEntry, i)+`,`+fmt.Sprintf(patientEntry, "11010119900307851X", "11010119900307851X")+`]}`))
				errs[i] = err
				if err == nil {
					var obs map[string]any
					json.Unmarshal(resp[0].Resource, &obs)
					subjects[i] = obs["subject"].(map[string]any)["reference"].(string)
				}
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("bundle %d: %v", i, err)
			}
		}
		page, err := st.(store.Searcher).Search(context.Background(), store.SearchQuery{Type: "Patient", Total: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Entries) != 1 {
			t.Fatalf("%d patients exist, want exactly 1", len(page.Entries))
		}
		for i, s := range subjects {
			if s != "Patient/"+page.Entries[0].ID {
				t.Errorf("observation %d refers to %s, want Patient/%s", i, s, page.Entries[0].ID)
			}
		}
	})
}

func TestBatch(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, st store.Store, p *transaction.Processor) {
		resp, err := p.Execute(context.Background(), bundle(t, `{"resourceType":"Bundle","type":"batch","entry":[
			{"resource":{"resourceType":"Patient","gender":"female"},"request":{"method":"POST","url":"Patient"}},
			{"resource":{"resourceType":"Patient","id":"a"},"request":{"method":"PUT","url":"Patient/b"}},
			{"request":{"method":"GET","url":"Patient/nope"}},
			{"resource":{"resourceType":"Patient","id":"c"},"request":{"method":"PUT","url":"Patient/c"}}]}`))
		if err != nil {
			t.Fatal(err)
		}
		want := []int{201, 400, 404, 201}
		for i, w := range want {
			if resp[i].Status != w {
				t.Errorf("entry %d: status %d, want %d (%v)", i, resp[i].Status, w, resp[i].Outcome)
			}
		}
		if len(resp[1].Outcome) == 0 {
			t.Error("the failed entry carries no OperationOutcome issues")
		}
	})
}

// TestSyntheaBundles runs real Synthea transaction Bundles: every urn:uuid
// reference must be rewritten to a stored resource.
func TestSyntheaBundles(t *testing.T) {
	t.Parallel()
	dir := corpus.Path(t, "fhir", "synthea")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) < 3 {
		t.Fatalf("found %d Synthea bundles", len(files))
	}
	files = files[:3]
	forEachEngine(t, func(t *testing.T, st store.Store, p *transaction.Processor) {
		total := 0
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			b, err := fhirjson.Unmarshal(data)
			if err != nil {
				t.Fatalf("%s: %v", filepath.Base(f), err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			resp, err := p.Execute(ctx, b)
			cancel()
			if err != nil {
				t.Fatalf("%s: %v", filepath.Base(f), err)
			}
			for i, r := range resp {
				if r.Status != 201 && r.Status != 200 {
					t.Errorf("%s entry %d: status %d", filepath.Base(f), i, r.Status)
				}
				if strings.Contains(string(r.Resource), `"urn:uuid:`) {
					t.Errorf("%s entry %d still holds a urn:uuid reference", filepath.Base(f), i)
				}
			}
			total += len(resp)
		}
		t.Logf("%d resources from %d Synthea bundles", total, len(files))
	})
}

// TestExecuteInIsAtomicWithTheCallersWrites runs a prepared Bundle inside a
// transaction the caller also writes to: a rollback undoes both, a commit
// keeps both.
func TestExecuteInIsAtomicWithTheCallersWrites(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, st store.Store, p *transaction.Processor) {
		ctx := context.Background()
		for _, commit := range []bool{false, true} {
			b := bundle(t, `{"resourceType":"Bundle","type":"transaction","entry":[`+fmt.Sprintf(obsEntry, 7)+`,`+
				fmt.Sprintf(patientEntry, "310101198001010014", "310101198001010014")+`]}`)
			prep, err := p.Prepare(ctx, b)
			if err != nil {
				t.Fatal(err)
			}
			before := countChanges(t, st)
			tx, err := st.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.ExecuteIn(ctx, tx, prep); err != nil {
				t.Fatal(err)
			}
			if _, _, err := tx.Update(ctx, store.Input{Institution: "county", Type: "Basic", ID: fmt.Sprintf("marker-%v", commit),
				JSON: []byte(`{"resourceType":"Basic","code":{"text":"inbox item done"}}`)}); err != nil {
				t.Fatal(err)
			}
			if commit {
				err = tx.Commit(ctx)
			} else {
				err = tx.Rollback(ctx)
			}
			if err != nil {
				t.Fatal(err)
			}
			got := countChanges(t, st) - before
			if want := map[bool]int{false: 0, true: 3}[commit]; got != want {
				t.Errorf("commit=%v: %d changes, want %d", commit, got, want)
			}
		}
	})
}

// TestConditionalCreateCycle: two new resources that reference each other
// (ServiceRequest.specimen and Specimen.request, as HL7 orders map) are both
// created, each pointing at the other.
func TestConditionalCreateCycle(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, st store.Store, p *transaction.Processor) {
		resp, err := p.Execute(context.Background(), bundle(t, `{"resourceType":"Bundle","type":"transaction","entry":[
			{"fullUrl":"urn:uuid:33333333-0000-0000-0000-000000000001","resource":{"resourceType":"ServiceRequest","status":"active","intent":"order",
			  "identifier":[{"system":"urn:x:placer","value":"SR1"}],"subject":{"display":"x"},
			  "specimen":[{"reference":"urn:uuid:33333333-0000-0000-0000-000000000002"}]},
			 "request":{"method":"POST","url":"ServiceRequest","ifNoneExist":"identifier=urn:x:placer|SR1"}},
			{"fullUrl":"urn:uuid:33333333-0000-0000-0000-000000000002","resource":{"resourceType":"Specimen",
			  "identifier":[{"system":"urn:x:specimen","value":"SP1"}],
			  "request":[{"reference":"urn:uuid:33333333-0000-0000-0000-000000000001"}]},
			 "request":{"method":"POST","url":"Specimen","ifNoneExist":"identifier=urn:x:specimen|SP1"}}]}`))
		if err != nil {
			t.Fatal(err)
		}
		var sr, sp map[string]any
		json.Unmarshal(resp[0].Resource, &sr)
		json.Unmarshal(resp[1].Resource, &sp)
		if got := sr["specimen"].([]any)[0].(map[string]any)["reference"]; got != "Specimen/"+sp["id"].(string) {
			t.Errorf("ServiceRequest.specimen = %v, want Specimen/%v", got, sp["id"])
		}
		if got := sp["request"].([]any)[0].(map[string]any)["reference"]; got != "ServiceRequest/"+sr["id"].(string) {
			t.Errorf("Specimen.request = %v, want ServiceRequest/%v", got, sr["id"])
		}
		for i, r := range resp {
			if r.Status != 201 || strings.Contains(string(r.Resource), "urn:uuid:") {
				t.Errorf("entry %d: status %d, body %s", i, r.Status, r.Resource)
			}
		}
	})
}
