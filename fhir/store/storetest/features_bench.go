package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"yigong/conformance/cputime"
	"yigong/fhir/store"
)

// BenchmarkFeatures measures the search features on 2,000 Patients with
// 10 Observations each (10 codes) and 5,000 Locations spread over China:
// a compartment (alternatives) against the plain reference search, a
// backward page, and near. It reports CPU per search (cpu-µs/op) beside
// ns/op.
func BenchmarkFeatures(b *testing.B, openWith func(b *testing.B, ix store.Indexer) store.Store) {
	s := openWith(b, FeaturesIndexer())
	se := s.(store.Searcher)
	ctx := context.Background()
	tx, err := s.Begin(ctx)
	if err != nil {
		b.Fatal(err)
	}
	for i := range 2000 {
		if _, _, err := tx.Update(ctx, in("h1", "Patient", fmt.Sprintf("p%d", i), Patient("王", fmt.Sprint(i)))); err != nil {
			b.Fatal(err)
		}
		for k := range 10 {
			if _, _, err := tx.Update(ctx, in("h1", "Observation", fmt.Sprintf("o%d-%d", i, k), observationJSON(fmt.Sprintf("Patient/p%d", i), fmt.Sprintf("c%d", k)))); err != nil {
				b.Fatal(err)
			}
		}
	}
	for i := range 5000 {
		lat, long := 20+float64(i%97)*0.2, 100+float64(i/97)*0.5
		if _, _, err := tx.Update(ctx, in("h1", "Location", fmt.Sprintf("l%d", i), fmt.Appendf(nil, `{"resourceType":"Location","position":{"latitude":%v,"longitude":%v}}`, lat, long))); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		b.Fatal(err)
	}
	compartment := func(id string) store.Filter {
		return store.Filter{AnyOf: []store.Filter{
			{OnType: "Patient", Param: store.ParamID, Values: []store.FilterValue{{Code: id}}},
			{OnType: "Observation", Param: "subject", Type: store.ParamReference, Values: []store.FilterValue{{RefType: "Patient", RefID: id}}},
		}}
	}
	page2 := func(q store.SearchQuery) store.SearchQuery {
		p, err := se.Search(ctx, q)
		if err != nil || p.Next == "" {
			b.Fatalf("first page: %v", err)
		}
		q.Cursor = p.Next
		if p, err = se.Search(ctx, q); err != nil || p.Prev == "" {
			b.Fatalf("second page: %v", err)
		}
		q.Cursor = p.Prev
		return q
	}
	obs := store.SearchQuery{Type: "Observation", Count: 20, Sort: []store.SortKey{{Param: store.ParamLastUpdated, Desc: true}}}
	cases := []struct {
		name string
		q    func(i int) store.SearchQuery
		want int
	}{
		{"reference", func(i int) store.SearchQuery {
			return store.SearchQuery{Type: "Observation", Filters: []store.Filter{ref("subject", "Patient", fmt.Sprintf("p%d", i%2000))}}
		}, 10},
		{"compartment-type", func(i int) store.SearchQuery {
			return store.SearchQuery{Type: "Observation", Filters: []store.Filter{compartment(fmt.Sprintf("p%d", i%2000))}}
		}, 10},
		{"compartment-type-and-code", func(i int) store.SearchQuery {
			return store.SearchQuery{Type: "Observation", Filters: []store.Filter{compartment(fmt.Sprintf("p%d", i%2000)), code("c3")}}
		}, 1},
		{"compartment-all", func(i int) store.SearchQuery {
			return store.SearchQuery{Types: []string{"Patient", "Observation"}, Filters: []store.Filter{compartment(fmt.Sprintf("p%d", i%2000))}}
		}, 11},
		{"page-forward", func(int) store.SearchQuery { q := page2(obs); q.Cursor = ""; return q }, 20},
		{"page-backward", func(int) store.SearchQuery { return page2(obs) }, 20},
		{"near-10km", func(i int) store.SearchQuery {
			return store.SearchQuery{Type: "Location", Filters: []store.Filter{{Param: "near", Type: store.ParamNear,
				Values: []store.FilterValue{{Lat: 20 + float64(i%97)*0.2, Long: 100 + float64(i%51)*0.5, Num: 10}}}}}
		}, 1},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			qs := make([]store.SearchQuery, 64)
			for i := range qs {
				qs[i] = tc.q(i * 31)
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cputime.Used()
			for i := 0; i < b.N; i++ {
				p, err := se.Search(ctx, qs[i%len(qs)])
				if err != nil {
					b.Fatal(err)
				}
				if len(p.Entries) != tc.want {
					b.Fatalf("%d entries, want %d", len(p.Entries), tc.want)
				}
			}
			b.ReportMetric(float64((cputime.Used()-cpu)/time.Microsecond)/float64(b.N), "cpu-µs/op")
		})
	}
}
