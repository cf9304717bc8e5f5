package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"yigong/fhir"
	"yigong/fhir/store"
)

var cst = time.FixedZone("CST", 8*3600)

func day(s string) (time.Time, time.Time) {
	t, err := time.ParseInLocation("2006-01-02", s, cst)
	if err != nil {
		panic(err)
	}
	return t, t.AddDate(0, 0, 1)
}

func patientJSON(name, text, ident, birth string) []byte {
	return fmt.Appendf(nil, `{"resourceType":"Patient","identifier":[{"system":"urn:oid:2.16.156.10011.1.3","value":%q}],"name":[{"family":%q,"given":[],"text":%q}],"birthDate":%q}`,
		ident, name, text, birth)
}

// searchIDs runs q through every page and returns the ids found.
func searchIDs(t *testing.T, s store.Searcher, q store.SearchQuery) []string {
	t.Helper()
	return searchIDsCtx(t, context.Background(), s, q)
}

// testIndex checks that index rows follow the current version: updated
// values replace old ones, deletions remove them, rollbacks leave nothing.
func testIndex(t *testing.T, s store.Store) {
	se, ok := s.(store.Searcher)
	if !ok {
		t.Skip("the store has no Searcher")
	}
	ctx := context.Background()
	byIdent := func(v string) store.SearchQuery {
		return store.SearchQuery{Type: "Patient", Filters: []store.Filter{{Param: "identifier", Type: store.ParamToken,
			Values: []store.FilterValue{{Code: v}}}}}
	}
	r := res(t)(s.Create(ctx, in("h1", "Patient", "", Patient("王", "old"))))
	if got := searchIDs(t, se, byIdent("old")); len(got) != 1 {
		t.Fatalf("after create: %v", got)
	}
	res(t)(s.Delete(ctx, r.Ref(), 0))
	if got := searchIDs(t, se, byIdent("old")); len(got) != 0 {
		t.Fatalf("after delete: %v", got)
	}
	if _, _, err := s.Update(ctx, in("h1", "Patient", r.ID, Patient("王", "new"))); err != nil {
		t.Fatal(err)
	}
	if got := searchIDs(t, se, byIdent("old")); len(got) != 0 {
		t.Fatalf("old value after update: %v", got)
	}
	if got := searchIDs(t, se, byIdent("new")); len(got) != 1 {
		t.Fatalf("new value after update: %v", got)
	}
	tx := must[store.Tx](t)(s.Begin(ctx))
	if _, err := tx.Create(ctx, in("h1", "Patient", "", Patient("李", "rolled-back"))); err != nil {
		t.Fatal(err)
	}
	tx.Rollback(ctx)
	if got := searchIDs(t, se, byIdent("rolled-back")); len(got) != 0 {
		t.Fatalf("index rows survived a rollback: %v", got)
	}
	// An indexer error aborts the write.
	_, err := s.Create(ctx, in("h1", "Patient", "", []byte(`{"resourceType":"Patient","birthDate":"not a date"}`)))
	if err == nil {
		t.Fatal("a write whose indexing failed was stored")
	}
}

// testSearchInTx: searches inside a transaction see its own writes of
// the searched type, of other types through a chain, and a version
// updated while its index rows were still pending; after the commit the
// index holds the same.
func testSearchInTx(t *testing.T, s store.Store) {
	ctx := context.Background()
	tx := must[store.Tx](t)(s.Begin(ctx))
	defer tx.Rollback(ctx)
	se, ok := tx.(store.Searcher)
	if !ok {
		t.Skip("the store cannot search inside a transaction")
	}
	ident := func(v string) store.Filter {
		return store.Filter{Param: "identifier", Type: store.ParamToken, Values: []store.FilterValue{{Code: v}}}
	}
	code := func(c string) store.Filter {
		return store.Filter{Param: "code", Type: store.ParamToken, Values: []store.FilterValue{{System: "http://loinc.org", Code: c}}}
	}
	obs := func(c, patient string) []byte {
		return fmt.Appendf(nil, `{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":%q}]},"subject":{"reference":"Patient/%s"}}`, c, patient)
	}
	create := func(typ string, body []byte) string {
		t.Helper()
		r, err := tx.Create(ctx, in("h1", typ, "", body))
		if err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	p := create("Patient", Patient("王", "intx-p"))
	o1 := create("Observation", obs("8867-4", p))
	check := func(name string, se store.Searcher, q store.SearchQuery, want ...string) {
		t.Helper()
		got := searchIDsCtx(t, ctx, se, q)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
	check("patient by identifier, an Observation pending", se, store.SearchQuery{Type: "Patient", Filters: []store.Filter{ident("intx-p")}}, p)
	o2 := create("Observation", obs("8867-4", p))
	check("observations by code", se, store.SearchQuery{Type: "Observation", Filters: []store.Filter{code("8867-4")}}, o1, o2)
	// o3 is written, a Patient searched (o3's rows stay pending), then o3
	// changes: its old code must not be found.
	o3 := create("Observation", obs("8310-5", p))
	q := create("Patient", Patient("李", "intx-q"))
	check("second patient", se, store.SearchQuery{Type: "Patient", Filters: []store.Filter{ident("intx-q")}}, q)
	if _, _, err := tx.Update(ctx, in("h1", "Observation", o3, obs("8867-4", q))); err != nil {
		t.Fatal(err)
	}
	chain := func(v string) store.SearchQuery {
		return store.SearchQuery{Type: "Observation", Filters: []store.Filter{{Param: "subject", Type: store.ParamReference,
			Chain: &store.SearchQuery{Type: "Patient", Filters: []store.Filter{ident(v)}}}}}
	}
	has := func(c string) store.SearchQuery {
		return store.SearchQuery{Type: "Patient", Filters: []store.Filter{{
			Has: &store.Has{Type: "Observation", Param: "subject", Filters: []store.Filter{code(c)}}}}}
	}
	// A chain and a reverse chain read rows of another type than the
	// searched one, written just before and still pending.
	r := create("Patient", Patient("张", "intx-r"))
	o4 := create("Observation", obs("8867-4", r))
	check("chain to a pending patient", se, chain("intx-r"), o4)
	o5 := create("Observation", obs("1234-5", p))
	check("has: a pending observation", se, has("1234-5"), p)
	final := func(se store.Searcher) {
		t.Helper()
		check("old code of the updated observation", se, store.SearchQuery{Type: "Observation", Filters: []store.Filter{code("8310-5")}})
		check("observations by code, after the update", se, store.SearchQuery{Type: "Observation", Filters: []store.Filter{code("8867-4")}}, o1, o2, o3, o4)
		check("chain to the second patient", se, chain("intx-q"), o3)
		check("has: patients with an observation of code", se, has("8867-4"), p, q, r)
		check("has: the other code", se, has("1234-5"), p)
		check("observation by id", se, store.SearchQuery{Type: "Observation", Filters: []store.Filter{{Param: "_id",
			Values: []store.FilterValue{{Code: o5}}}}}, o5)
	}
	final(se)
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	final(s.(store.Searcher))
}

func testSearch(t *testing.T, s store.Store) {
	se, ok := s.(store.Searcher)
	if !ok {
		t.Skip("the store has no Searcher")
	}
	ctx := context.Background()
	ids := map[string]string{}
	put := func(key, inst string, body []byte) {
		t.Helper()
		r := res(t)(s.Create(ctx, in(inst, strings.SplitN(key, "-", 2)[0], "", body)))
		ids[key] = r.ID
	}
	put("Patient-a", "h1", patientJSON("王", "王 小东", "A1", "1980-05-17"))
	put("Patient-b", "h1", patientJSON("王小东", "", "B2", "1990-01-01"))
	put("Patient-c", "h2", patientJSON("Müller", "", "C3", "1990-06-30"))
	put("Patient-d", "h2", patientJSON("李", "李四", "D4", "2001-02-03"))
	mark := time.Now()
	put("Observation-1", "h1", fmt.Appendf(nil, `{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/%s"},"effectiveDateTime":"2024-03-01T08:00:00+08:00"}`, ids["Patient-a"]))
	put("Observation-2", "h1", fmt.Appendf(nil, `{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8310-5"}]},"subject":{"reference":"Patient/%s"}}`, ids["Patient-b"]))
	res(t)(s.Delete(ctx, store.Ref{Institution: "h2", Type: "Patient", ID: ids["Patient-d"]}, 0))

	str := func(v string) store.Filter {
		return store.Filter{Param: "name", Type: store.ParamString, Values: []store.FilterValue{{Text: v}}}
	}
	birth := func(prefix, d string) store.Filter {
		lo, hi := day(d)
		return store.Filter{Param: "birthdate", Type: store.ParamDate, Values: []store.FilterValue{{Prefix: prefix, Lo: lo, Hi: hi}}}
	}
	tests := []struct {
		name string
		q    store.SearchQuery
		want []string // keys of ids
	}{
		{"all patients", store.SearchQuery{Type: "Patient"}, []string{"Patient-a", "Patient-b", "Patient-c"}},
		{"institution", store.SearchQuery{Type: "Patient", Institution: "h2"}, []string{"Patient-c"}},
		{"name 王小东 finds 王 小东", store.SearchQuery{Type: "Patient", Filters: []store.Filter{str("王小东")}}, []string{"Patient-a", "Patient-b"}},
		{"name prefix", store.SearchQuery{Type: "Patient", Filters: []store.Filter{str("王")}}, []string{"Patient-a", "Patient-b"}},
		{"name accent and case", store.SearchQuery{Type: "Patient", Filters: []store.Filter{str("MULLER")}}, []string{"Patient-c"}},
		{"deleted excluded", store.SearchQuery{Type: "Patient", Filters: []store.Filter{str("李")}}, nil},
		{"token system|code", store.SearchQuery{Type: "Patient", Filters: []store.Filter{{Param: "identifier", Type: store.ParamToken,
			Values: []store.FilterValue{{System: "urn:oid:2.16.156.10011.1.3", Code: "B2"}}}}}, []string{"Patient-b"}},
		{"token OR", store.SearchQuery{Type: "Patient", Filters: []store.Filter{{Param: "identifier", Type: store.ParamToken,
			Values: []store.FilterValue{{Code: "A1"}, {Code: "C3"}}}}}, []string{"Patient-a", "Patient-c"}},
		{"token wrong system", store.SearchQuery{Type: "Patient", Filters: []store.Filter{{Param: "identifier", Type: store.ParamToken,
			Values: []store.FilterValue{{System: "urn:x", Code: "B2"}}}}}, nil},
		{"birthdate eq", store.SearchQuery{Type: "Patient", Filters: []store.Filter{birth("eq", "1990-01-01")}}, []string{"Patient-b"}},
		{"birthdate ge", store.SearchQuery{Type: "Patient", Filters: []store.Filter{birth("ge", "1990-01-01")}}, []string{"Patient-b", "Patient-c"}},
		{"birthdate lt", store.SearchQuery{Type: "Patient", Filters: []store.Filter{birth("lt", "1990-01-01")}}, []string{"Patient-a"}},
		{"AND of filters", store.SearchQuery{Type: "Patient", Filters: []store.Filter{birth("ge", "1990-01-01"), str("王")}}, []string{"Patient-b"}},
		{"reference", store.SearchQuery{Type: "Observation", Filters: []store.Filter{{Param: "subject", Type: store.ParamReference,
			Values: []store.FilterValue{{RefType: "Patient", RefID: ids["Patient-a"]}}}}}, []string{"Observation-1"}},
		{"_id", store.SearchQuery{Type: "Patient", Filters: []store.Filter{{Param: "_id", Values: []store.FilterValue{{Code: ids["Patient-c"]}}}}}, []string{"Patient-c"}},
		{"_lastUpdated ge", store.SearchQuery{Type: "Observation", Filters: []store.Filter{{Param: "_lastUpdated", Type: store.ParamDate,
			Values: []store.FilterValue{{Prefix: "ge", Lo: mark}}}}}, []string{"Observation-1", "Observation-2"}},
		{"_lastUpdated lt", store.SearchQuery{Type: "Patient", Filters: []store.Filter{{Param: "_lastUpdated", Type: store.ParamDate,
			Values: []store.FilterValue{{Prefix: "lt", Lo: mark}}}}}, []string{"Patient-a", "Patient-b", "Patient-c"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, count := range []int{0, 1} { // one page, then one entry per page
				q := tc.q
				q.Count = count
				got := searchIDs(t, se, q)
				var want []string
				for _, k := range tc.want {
					want = append(want, ids[k])
				}
				slices.Sort(want)
				if !slices.Equal(got, want) { // default sort is _id
					t.Fatalf("count %d: got %v, want %v", count, got, want)
				}
			}
		})
	}
	t.Run("sort -_lastUpdated", func(t *testing.T) {
		got := searchIDs(t, se, store.SearchQuery{Type: "Patient", Sort: []store.SortKey{{Param: "_lastUpdated", Desc: true}}, Count: 2})
		want := []string{ids["Patient-c"], ids["Patient-b"], ids["Patient-a"]}
		if !slices.Equal(got, want) {
			t.Fatalf("got %v, want %v", got, want)
		}
	})
	t.Run("errors", func(t *testing.T) {
		for _, q := range []store.SearchQuery{
			{Type: "Patient", Sort: []store.SortKey{{Param: "name"}}},
			{Type: "Patient", Cursor: "!!"},
			{Type: "Patient", Filters: []store.Filter{{Param: "name", Type: store.ParamString}}},
		} {
			if _, err := se.Search(ctx, q); err == nil || fhir.KindOf(err) == fhir.KindInternal {
				t.Errorf("%+v: err %v, want a client error kind", q, err)
			}
		}
	})
}
