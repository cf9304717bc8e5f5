package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"yigong/fhir/store"
)

// testSearchPlans checks the search plans that depend on the data: a value
// filter streamed from its index (with a resource matching twice), a range
// filter matching more than a thousand index rows (walked in key order)
// and one matching few (driving), counts, and _has; every page size must
// give the same ids, each once, in _id order.
func testSearchPlans(t *testing.T, s store.Store) {
	se, ok := s.(store.Searcher)
	if !ok {
		t.Skip("the store has no Searcher")
	}
	ctx := context.Background()
	p1 := res(t)(s.Create(ctx, in("h1", "Patient", "", Patient("王", "P1"))))
	p2 := res(t)(s.Create(ctx, in("h2", "Patient", "", Patient("李", "P2"))))
	const n = 1100
	tx := must[store.Tx](t)(s.Begin(ctx))
	type obs struct {
		id, inst string
		value    int
		even     bool
	}
	var all []obs
	for i := range n {
		inst, subject := "h1", p1.ID
		if i%2 == 1 {
			inst, subject = "h2", p2.ID
		}
		coding := `{"system":"http://loinc.org","code":"8867-4"}`
		if i%10 == 0 { // the same coding twice: two equal index rows
			coding += "," + coding
		}
		body := fmt.Appendf(nil, `{"resourceType":"Observation","status":"final","code":{"coding":[%s]},"subject":{"reference":"Patient/%s"},"valueQuantity":{"value":%d,"unit":"mg","system":"http://unitsofmeasure.org","code":"mg"}}`,
			coding, subject, i)
		r, err := tx.Create(ctx, in(inst, "Observation", "", body))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, obs{r.ID, inst, i, i%2 == 0})
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	want := func(keep func(o obs) bool) []string {
		var ids []string
		for _, o := range all {
			if keep(o) {
				ids = append(ids, o.id)
			}
		}
		slices.Sort(ids)
		return ids
	}
	code := store.Filter{Param: "code", Type: store.ParamToken, Values: []store.FilterValue{{System: "http://loinc.org", Code: "8867-4"}}}
	subject := store.Filter{Param: "subject", Type: store.ParamReference, Values: []store.FilterValue{{RefType: "Patient", RefID: p1.ID}}}
	qty := func(prefix string, v float64) store.Filter {
		return store.Filter{Param: "value-quantity", Type: store.ParamQuantity, Values: []store.FilterValue{{Prefix: prefix, Num: v, NumLo: v - 0.5, NumHi: v + 0.5}}}
	}
	tests := []struct {
		name string
		q    store.SearchQuery
		want []string
	}{
		{"stream token, duplicates once", store.SearchQuery{Type: "Observation", Filters: []store.Filter{code}},
			want(func(obs) bool { return true })},
		{"stream reference and range probe", store.SearchQuery{Type: "Observation", Filters: []store.Filter{subject, qty("lt", 100)}},
			want(func(o obs) bool { return o.even && o.value < 100 })},
		{"stream with institution", store.SearchQuery{Type: "Observation", Institution: "h2", Filters: []store.Filter{code}},
			want(func(o obs) bool { return !o.even })},
		{"walk: a range matching many", store.SearchQuery{Type: "Observation", Filters: []store.Filter{qty("gt", 50)}},
			want(func(o obs) bool { return o.value > 50 })},
		{"drive: a range matching few", store.SearchQuery{Type: "Observation", Filters: []store.Filter{qty("ge", 1090)}},
			want(func(o obs) bool { return o.value >= 1090 })},
		{"_has", store.SearchQuery{Type: "Patient", Filters: []store.Filter{{Param: "_has", Has: &store.Has{Type: "Observation",
			Param: "subject", Filters: []store.Filter{qty("eq", 7)}}}}}, []string{p2.ID}},
		{"_has matching many, walked", store.SearchQuery{Type: "Patient", Filters: []store.Filter{{Param: "_has", Has: &store.Has{Type: "Observation",
			Param: "subject", Filters: []store.Filter{qty("gt", 50)}}}}}, sorted(p1.ID, p2.ID)},
		{"_has with another filter", store.SearchQuery{Type: "Patient", Filters: []store.Filter{
			{Param: "identifier", Type: store.ParamToken, Values: []store.FilterValue{{Code: "P1"}}},
			{Param: "_has", Has: &store.Has{Type: "Observation", Param: "subject", Filters: []store.Filter{qty("eq", 7)}}}}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, count := range []int{0, 20, store.MaxCount} { // searchIDs reads at most 100 pages
				q := tc.q
				q.Count = count
				got := searchIDs(t, se, q)
				if !slices.Equal(got, tc.want) {
					t.Fatalf("count %d: got %d ids, want %d (first got %v, want %v)", count, len(got), len(tc.want),
						got[:min(3, len(got))], tc.want[:min(3, len(tc.want))])
				}
			}
			q := tc.q
			q.OnlyTotal = true
			p, err := se.Search(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if p.Total != int64(len(tc.want)) {
				t.Fatalf("total %d, want %d", p.Total, len(tc.want))
			}
		})
	}
}

func sorted(ids ...string) []string {
	slices.Sort(ids)
	return ids
}
