package transaction_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"yigong/fhir"
	"yigong/fhir/search"
	"yigong/fhir/store"
	"yigong/fhir/store/postgres"
	"yigong/fhir/store/postgres/pgtest"
	"yigong/fhir/store/sqlite"
	"yigong/fhir/transaction"
)

func ensurePatient(ident string) string {
	return fmt.Sprintf(`{"resourceType":"Bundle","type":"transaction","entry":[
 {"fullUrl":"urn:uuid:55555555-5555-5555-5555-555555555555",
  "resource":{"resourceType":"Patient","identifier":[{"system":"urn:example:mrn","value":%q}]},
  "request":{"method":"POST","url":"Patient","ifNoneExist":%q}}]}`, ident, "identifier=urn:example:mrn|"+ident)
}

// recordingIndexer records the entries of the trees the store hands it
// (store.Input.Node), by version.
type recordingIndexer struct {
	*search.Indexer
	mu    sync.Mutex
	trees map[string][]store.IndexEntry // Type/id/version
}

func (ix *recordingIndexer) IndexNode(ctx context.Context, n *fhir.Node) ([]store.IndexEntry, error) {
	es, err := ix.Indexer.IndexNode(ctx, n)
	if err == nil {
		ix.mu.Lock()
		ix.trees[n.Type+"/"+n.ChildValue("id")+"/"+n.Child("meta").ChildValue("versionId")] = es
		ix.mu.Unlock()
	}
	return es, err
}

// The trees a transaction hands the store index exactly as the JSON
// stored for them, id, meta and the institution's tag included.
func TestHandedTreesIndexAsTheStoredJSON(t *testing.T) {
	t.Parallel()
	open := map[string]func(t *testing.T, ix store.Indexer) store.Store{
		"sqlite": func(t *testing.T, ix store.Indexer) store.Store {
			db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "tx.db"), sqlite.Options{Indexer: ix})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		},
		"postgres": func(t *testing.T, ix store.Indexer) store.Store {
			db, err := postgres.Open(context.Background(), pgtest.DSN(t, "txnode"), postgres.Options{Indexer: ix})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		},
	}
	for name, open := range open {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			inner, err := search.NewIndexer(search.Options{})
			if err != nil {
				t.Fatal(err)
			}
			ix := &recordingIndexer{Indexer: inner, trees: map[string][]store.IndexEntry{}}
			st := open(t, ix)
			p := &transaction.Processor{Store: st, Matcher: identifierMatcher(st), Institution: "county"}
			ctx := context.Background()
			for i, b := range []string{
				`{"resourceType":"Bundle","type":"transaction","entry":[` + fmt.Sprintf(obsEntry, 1) + `,` +
					fmt.Sprintf(patientEntry, "110101199003078515", "110101199003078515") + `]}`,
				`{"resourceType":"Bundle","type":"transaction","entry":[` + fmt.Sprintf(obsEntry, 2) + `,` +
					fmt.Sprintf(patientEntry, "110101199003078515", "110101199003078515") + `]}`,
				ensurePatient("N"),
				`{"resourceType":"Bundle","type":"transaction","entry":[
 {"resource":{"resourceType":"Observation","meta":{"tag":[{"system":"urn:t","code":"x"}]},"status":"final","code":{"text":"t"}},
  "request":{"method":"PUT","url":"Observation/fixed-1"}}]}`,
			} {
				if _, err := p.Execute(ctx, bundle(t, b)); err != nil {
					t.Fatalf("bundle %d: %v", i, err)
				}
			}
			ix.mu.Lock()
			defer ix.mu.Unlock()
			// The second Bundle's Patient is unchanged: its update writes no version.
			if len(ix.trees) < 5 {
				t.Fatalf("%d versions indexed from handed trees, want 5", len(ix.trees))
			}
			for key, got := range ix.trees {
				var typ, id string
				var version int64
				if _, err := fmt.Sscanf(replaceSlashes(key), "%s %s %d", &typ, &id, &version); err != nil {
					t.Fatal(key, err)
				}
				r, err := st.VRead(ctx, store.Ref{Type: typ, ID: id}, version)
				if err != nil {
					t.Fatal(err)
				}
				want, err := inner.Index(ctx, r)
				if err != nil {
					t.Fatal(err)
				}
				if g, w := sortedEntries(got), sortedEntries(want); !slices.Equal(g, w) {
					t.Errorf("%s: entries from the tree\n%v\nfrom the stored JSON\n%v", key, g, w)
				}
			}
		})
	}
}

func replaceSlashes(s string) string {
	b := []byte(s)
	for i := range b {
		if b[i] == '/' {
			b[i] = ' '
		}
	}
	return string(b)
}

func sortedEntries(es []store.IndexEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		e.Group = 0 // the order of evaluation numbers groups
		out[i] = fmt.Sprintf("%+v", e)
	}
	slices.Sort(out)
	return out
}
