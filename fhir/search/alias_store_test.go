package search_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"yigong/fhir/search"
	"yigong/fhir/store"
	"yigong/fhir/store/postgres"
	"yigong/fhir/store/postgres/pgtest"
	"yigong/fhir/store/sqlite"
)

// TestAliasSearches checks, on both engines, every way of searching a
// parameter that keeps no rows of its own (Observation's patient reads
// subject's rows of Patient references; combo-code and combo-value-quantity
// read the rows of code and component-code, value-quantity and
// component-value-quantity): value, missing, not, chain, _has, _include,
// _revinclude, _sort, composites and a search over three types.
func TestAliasSearches(t *testing.T) {
	ctx := context.Background()
	resources := []string{
		`{"resourceType":"Patient","id":"p1","name":[{"family":"王","given":["小东"]}]}`,
		`{"resourceType":"Patient","id":"p2","name":[{"family":"李"}]}`,
		`{"resourceType":"Group","id":"g1","type":"person","actual":true}`,
		`{"resourceType":"Encounter","id":"e1","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/p1"}}`,
		`{"resourceType":"Observation","id":"o1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},
		  "subject":{"reference":"Patient/p1"},"encounter":{"reference":"Encounter/e1"},
		  "valueQuantity":{"value":72,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}`,
		`{"resourceType":"Observation","id":"o2","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},
		  "subject":{"reference":"Group/g1"},
		  "component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":120,"system":"http://unitsofmeasure.org","code":"mm[Hg]"}},
		               {"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},"valueQuantity":{"value":80,"system":"http://unitsofmeasure.org","code":"mm[Hg]"}}]}`,
		`{"resourceType":"Observation","id":"o3","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"subject":{"reference":"Patient/p2"}}`,
		`{"resourceType":"Observation","id":"o4","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"1234-5"}]}}`,
	}
	tests := []struct {
		typ, query string
		want       []string // ids found, then "+" and the included ids
	}{
		{"Observation", "patient=p1", []string{"o1"}},
		{"Observation", "patient=Patient/p1", []string{"o1"}},
		{"Observation", "patient=Patient/p1,Patient/p2", []string{"o1", "o3"}},
		{"Observation", "patient=Group/g1", nil},
		{"Observation", "subject=Group/g1", []string{"o2"}},
		{"Observation", "patient:missing=true", []string{"o2", "o4"}},
		{"Observation", "patient:missing=false", []string{"o1", "o3"}},
		{"Observation", "patient.name=王小东", []string{"o1"}},
		{"Observation", "patient=p1&code=http://loinc.org|8867-4", []string{"o1"}},
		{"Observation", "combo-code=http://loinc.org|8480-6", []string{"o2", "o3"}},
		{"Observation", "combo-code=http://loinc.org|8867-4", []string{"o1"}},
		{"Observation", "combo-code:not=http://loinc.org|8480-6", []string{"o1", "o4"}},
		{"Observation", "combo-value-quantity=gt100", []string{"o2"}},
		{"Observation", "combo-value-quantity=le80", []string{"o1", "o2"}},
		{"Observation", "combo-value-quantity:missing=true", []string{"o3", "o4"}},
		{"Observation", "status=final&_sort=combo-code", []string{"o4", "o2", "o3", "o1"}}, // least codes 1234-5, 8462-4 (a component), 8480-6, 8867-4
		{"Observation", "combo-code-value-quantity=http://loinc.org|8480-6$gt100", []string{"o2"}},
		{"Observation", "combo-code-value-quantity=http://loinc.org|8462-4$gt100", nil}, // 80: the group must match whole
		{"Observation", "combo-code-value-quantity=http://loinc.org|8867-4$72", []string{"o1"}},
		{"Observation", "combo-code-value-quantity=http://loinc.org|85354-9$120", nil}, // o2's code has no value of its own
		{"Observation", "code-value-quantity=http://loinc.org|8867-4$72", []string{"o1"}},
		{"Observation", "component-code-value-quantity=http://loinc.org|8480-6$120", []string{"o2"}},
		{"Patient", "_has:Observation:patient:code=http://loinc.org|8867-4", []string{"p1"}},
		{"Patient", "_has:Observation:patient:combo-code=http://loinc.org|8480-6", []string{"p2"}},
		{"Observation", "_id=o1&_include=Observation:patient", []string{"o1", "+", "p1"}},
		{"Observation", "_id=o2&_include=Observation:patient", []string{"o2"}},
		{"Patient", "_id=p1&_revinclude=Observation:patient", []string{"p1", "+", "o1"}},
		{"Encounter", "patient=p1", []string{"e1"}},
	}
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			ix, err := search.NewIndexer(search.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var st store.Store
			switch engine {
			case "sqlite":
				db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "y.db"), sqlite.Options{Indexer: ix})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				st = db
			case "postgres":
				if os.Getenv(pgtest.EnvVar) == "" {
					pgtest.Unavailable(t, pgtest.EnvVar+" is not set")
				}
				db, err := postgres.Open(ctx, pgtest.DSN(t, "alias"), postgres.Options{Indexer: ix})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				st = db
			}
			for _, body := range resources {
				typ := strings.SplitN(strings.SplitN(body, `"resourceType":"`, 2)[1], `"`, 2)[0]
				id := strings.SplitN(strings.SplitN(body, `"id":"`, 2)[1], `"`, 2)[0]
				if _, _, err := st.Update(ctx, store.Input{Institution: "h1", Type: typ, ID: id, JSON: []byte(body)}); err != nil {
					t.Fatal(err)
				}
			}
			for _, tt := range tests {
				vals, err := url.ParseQuery(tt.query)
				if err != nil {
					t.Fatal(err)
				}
				plan, err := search.Parse(ix, tt.typ, vals, search.ParseOptions{})
				if err != nil {
					t.Errorf("%s?%s: %v", tt.typ, tt.query, err)
					continue
				}
				page, err := st.(store.Searcher).Search(ctx, plan.Query)
				if err != nil {
					t.Errorf("%s?%s: %v", tt.typ, tt.query, err)
					continue
				}
				var got []string
				for _, r := range page.Entries {
					got = append(got, r.ID)
				}
				if !strings.Contains(tt.query, "_sort") {
					slices.Sort(got)
				}
				if len(page.Included) > 0 {
					got = append(got, "+")
					for _, r := range page.Included {
						got = append(got, r.ID)
					}
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("%s?%s: got %v, want %v", tt.typ, tt.query, got, tt.want)
				}
			}
			// Two types, on which patient is stored differently (Observation,
			// Group: an alias of subject; Claim: rows of its own).
			claim := `{"resourceType":"Claim","id":"c1","status":"active","use":"claim","patient":{"reference":"Patient/p1"},"created":"2024-01-01","provider":{"reference":"Organization/x"},"priority":{"coding":[{"code":"normal"}]},"insurance":[{"sequence":1,"focal":true,"coverage":{"reference":"Coverage/x"}}]}`
			if _, _, err := st.Update(ctx, store.Input{Institution: "h1", Type: "Claim", ID: "c1", JSON: []byte(claim)}); err != nil {
				t.Fatal(err)
			}
			for _, missing := range []bool{false, true} {
				f := store.Filter{Param: "patient", Type: store.ParamReference, Values: []store.FilterValue{{RefType: "Patient", RefID: "p1"}}}
				want := []string{"c1", "e1", "o1"}
				if missing {
					f = store.Filter{Param: "patient", Type: store.ParamReference, Modifier: "missing", Values: []store.FilterValue{{Missing: true}}}
					want = []string{"o2", "o4"}
				}
				page, err := st.(store.Searcher).Search(ctx, store.SearchQuery{Types: []string{"Claim", "Encounter", "Observation"}, Filters: []store.Filter{f}})
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, r := range page.Entries {
					got = append(got, r.ID)
				}
				slices.Sort(got)
				if !slices.Equal(got, want) {
					t.Errorf("Claim, Encounter, Observation with patient (missing %v): got %v, want %v", missing, got, want)
				}
			}
		})
	}
}
