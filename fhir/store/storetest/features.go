package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"yigong/fhir"
	"yigong/fhir/store"
)

// OpenWith opens a new empty store for one test, indexed by ix.
type OpenWith func(t *testing.T, ix store.Indexer) store.Store

// RunFeatures runs the tests of the search features beyond the core
// suite: alternatives (compartments), paging both ways, near, and the
// in-place meta rewrite. Each engine's tests call it beside Run; its
// stores are opened with FeaturesIndexer.
func RunFeatures(t *testing.T, openWith OpenWith) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.Store)
	}{
		{"AnyOf", testAnyOf},
		{"Paging", testPaging},
		{"Near", testNear},
		{"MetaRewrite", testMetaRewrite},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := openWith(t, FeaturesIndexer())
			tc.fn(t, s)
			auditPartitions(t, s)
		})
	}
}

// put writes body under the given id (update as create) and fails t on an
// error.
func put(t *testing.T, s store.Store, inst, typ, id string, body []byte) *store.Resource {
	t.Helper()
	r, _, err := s.Update(context.Background(), in(inst, typ, id, body))
	if err != nil {
		t.Fatalf("put %s/%s: %v", typ, id, err)
	}
	return r
}

func observationJSON(subject, code string) []byte {
	return fmt.Appendf(nil, `{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://example.org/cs","code":%q}]},"subject":{"reference":%q}}`, code, subject)
}

func ref(param, typ, id string) store.Filter {
	return store.Filter{Param: param, Type: store.ParamReference, Values: []store.FilterValue{{RefType: typ, RefID: id}}}
}

func code(c string) store.Filter {
	return store.Filter{Param: "code", Type: store.ParamToken, Values: []store.FilterValue{{System: "http://example.org/cs", Code: c}}}
}

func ids(vs ...string) store.Filter {
	f := store.Filter{Param: store.ParamID}
	for _, v := range vs {
		f.Values = append(f.Values, store.FilterValue{Code: v})
	}
	return f
}

// testAnyOf checks filters with alternatives (Filter.AnyOf) and filters
// restricted to a type (Filter.OnType), as compartment searches use them:
// driving the search alone, probed when another filter drives, in a
// system search over several types, and paged one by one.
func testAnyOf(t *testing.T, s store.Store) {
	se, ok := s.(store.Searcher)
	if !ok {
		t.Skip("the store has no Searcher")
	}
	put(t, s, "h1", "Patient", "p1", Patient("王", "P1"))
	put(t, s, "h1", "Patient", "p2", Patient("李", "P2"))
	put(t, s, "h1", "Observation", "o1", observationJSON("Patient/p1", "c1"))
	put(t, s, "h1", "Observation", "o2", observationJSON("Patient/p2", "c2"))
	put(t, s, "h1", "Observation", "o3", observationJSON("Patient/p2", "c3"))
	put(t, s, "h2", "Observation", "o4", observationJSON("Patient/p1", "c2"))
	put(t, s, "h1", "Observation", "o5", observationJSON("Patient/p1", "c2"))
	res(t)(s.Delete(context.Background(), store.Ref{Institution: "h1", Type: "Observation", ID: "o5"}, 0))

	subjectOrCode := store.Filter{AnyOf: []store.Filter{ref("subject", "Patient", "p1"), code("c3")}}
	compartment := store.Filter{AnyOf: []store.Filter{
		{OnType: "Patient", Param: store.ParamID, Values: []store.FilterValue{{Code: "p1"}}},
		{OnType: "Observation", Param: "subject", Type: store.ParamReference, Values: []store.FilterValue{{RefType: "Patient", RefID: "p1"}}},
	}}
	tests := []struct {
		name string
		q    store.SearchQuery
		want []string
	}{
		{"alternatives drive", store.SearchQuery{Type: "Observation", Filters: []store.Filter{subjectOrCode}}, []string{"o1", "o3", "o4"}},
		{"alternatives and a filter", store.SearchQuery{Type: "Observation", Filters: []store.Filter{subjectOrCode, code("c2")}}, []string{"o4"}},
		{"alternatives probed", store.SearchQuery{Type: "Observation", Filters: []store.Filter{ids("o1", "o2", "o3"), subjectOrCode}}, []string{"o1", "o3"}},
		{"institution", store.SearchQuery{Type: "Observation", Institution: "h2", Filters: []store.Filter{subjectOrCode}}, []string{"o4"}},
		{"compartment over types", store.SearchQuery{Types: []string{"Patient", "Observation"}, Filters: []store.Filter{compartment}}, []string{"o1", "o4", "p1"}},
		{"compartment over all types", store.SearchQuery{Filters: []store.Filter{compartment}}, []string{"o1", "o4", "p1"}},
		{"compartment of one type", store.SearchQuery{Type: "Observation", Filters: []store.Filter{compartment}}, []string{"o1", "o4"}},
		{"compartment probed", store.SearchQuery{Type: "Observation", Filters: []store.Filter{ids("o1", "o2"), compartment}}, []string{"o1"}},
		{"type outside the alternatives", store.SearchQuery{Type: "Observation", Filters: []store.Filter{{AnyOf: []store.Filter{
			{OnType: "Patient", Param: store.ParamID, Values: []store.FilterValue{{Code: "p1"}}}}}}}, nil},
		{"alternative with a negation", store.SearchQuery{Type: "Observation", Filters: []store.Filter{{AnyOf: []store.Filter{
			ref("subject", "Patient", "p1"), {Param: "code", Type: store.ParamToken, Modifier: "not", Values: []store.FilterValue{{System: "http://example.org/cs", Code: "c2"}}}}}}},
			[]string{"o1", "o3", "o4"}},
	}
	for _, tc := range tests {
		for _, count := range []int{0, 1} {
			t.Run(fmt.Sprintf("%s/count=%d", tc.name, count), func(t *testing.T) {
				q := tc.q
				q.Count = count
				got := searchIDs(t, se, q)
				slices.Sort(got)
				if !slices.Equal(got, tc.want) {
					t.Errorf("got %v, want %v", got, tc.want)
				}
				q.Total, q.OnlyTotal = true, true
				p, err := se.Search(context.Background(), q)
				if err != nil {
					t.Fatal(err)
				}
				if p.Total != int64(len(tc.want)) {
					t.Errorf("total %d, want %d", p.Total, len(tc.want))
				}
			})
		}
	}
}

// testPaging checks paging both ways (SearchPage.Next and Prev) in several
// orders and plans: a page reached backward holds the Count entries just
// before the page it came from, in the search's order, also after writes
// between the pages; the first page has no Prev.
func testPaging(t *testing.T, s store.Store) {
	se, ok := s.(store.Searcher)
	if !ok {
		t.Skip("the store has no Searcher")
	}
	ctx := context.Background()
	names := []string{"赵", "钱", "孙", "李", "周", "吴", "郑", "王", "冯"}
	for i, n := range names {
		id := fmt.Sprintf("p%d", i)
		body := patientJSON(n, "", "X"+id, fmt.Sprintf("19%02d-01-01", 50+i%3))
		put(t, s, []string{"h1", "h2"}[i%2], "Patient", id, body)
		put(t, s, "h1", "Observation", fmt.Sprintf("o%d", i), observationJSON("Patient/p0", "c1"))
	}
	tests := []struct {
		name string
		q    store.SearchQuery
	}{
		{"id", store.SearchQuery{Type: "Patient"}},
		{"id descending", store.SearchQuery{Type: "Patient", Sort: []store.SortKey{{Param: store.ParamID, Desc: true}}}},
		{"mixed directions", store.SearchQuery{Type: "Patient", Sort: []store.SortKey{{Param: "birthdate", Type: store.ParamDate}, {Param: "name", Type: store.ParamString, Desc: true}}}},
		{"streamed", store.SearchQuery{Type: "Observation", Filters: []store.Filter{ref("subject", "Patient", "p0")}}},
		{"filtered and sorted", store.SearchQuery{Type: "Observation", Filters: []store.Filter{code("c1")}, Sort: []store.SortKey{{Param: store.ParamLastUpdated, Desc: true}}}},
		{"system", store.SearchQuery{Types: []string{"Patient", "Observation"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, count := range []int{1, 2, 4} {
				q := tc.q
				q.Count = count
				// Forward to the last page.
				var page *store.SearchPage
				var err error
				for range 50 {
					if page, err = se.Search(ctx, q); err != nil {
						t.Fatal(err)
					}
					if page.Next == "" {
						break
					}
					if page.Prev == "" && q.Cursor != "" {
						t.Fatalf("count %d: a page after a cursor has no Prev", count)
					}
					q.Cursor = page.Next
				}
				// A write between pages: one resource more, one less.
				put(t, s, "h1", q.Type+map[bool]string{true: "Patient"}[q.Type == ""], "p1a", patientOrObservation(q.Type))
				written := store.Ref{Institution: "h1", Type: q.Type + map[bool]string{true: "Patient"}[q.Type == ""], ID: "p1a"}
				defer func() {
					if _, err := s.Delete(ctx, written, 0); err != nil {
						t.Fatal(err)
					}
				}()
				all := searchIDs(t, se, store.SearchQuery{Type: tc.q.Type, Types: tc.q.Types, Filters: tc.q.Filters, Sort: tc.q.Sort})
				// Backward to the first page.
				steps := 0
				for ; page.Prev != ""; steps++ {
					if steps > 50 {
						t.Fatal("backward paging does not end")
					}
					first := slices.Index(all, page.Entries[0].ID)
					q.Cursor = page.Prev
					if page, err = se.Search(ctx, q); err != nil {
						t.Fatal(err)
					}
					want := all[max(0, first-count):first]
					if got := pageIDs(page); !slices.Equal(got, want) {
						t.Fatalf("count %d: backward page %v, want %v (all %v)", count, got, want, all)
					}
					if (page.Prev == "") != (first-count <= 0) {
						t.Fatalf("count %d: Prev %q before %v of %v", count, page.Prev, pageIDs(page), all)
					}
					// Its Next leads back to where it came from.
					nq := q
					nq.Cursor = page.Next
					np, err := se.Search(ctx, nq)
					if err != nil {
						t.Fatal(err)
					}
					if got, want := pageIDs(np), all[first:min(len(all), first+count)]; !slices.Equal(got, want) {
						t.Fatalf("count %d: next of a backward page %v, want %v", count, got, want)
					}
				}
				if back := (len(all) - 1) / count; back > 0 && steps == 0 {
					t.Fatalf("count %d: no backward page over %d entries", count, len(all))
				}
				if got := pageIDs(page); len(all) > 0 && (len(got) == 0 || got[0] != all[0]) {
					t.Fatalf("count %d: backward paging ended at %v, not at the first of %v", count, got, all)
				}
			}
		})
	}
}

func patientOrObservation(typ string) []byte {
	if typ == "Observation" {
		return observationJSON("Patient/p0", "c1")
	}
	return patientJSON("孔", "", "Xp1a", "1951-01-01")
}

func pageIDs(p *store.SearchPage) []string {
	var out []string
	for _, r := range p.Entries {
		out = append(out, r.ID)
	}
	return out
}

// FeaturesIndexer is Indexer plus what the feature tests search: a
// Location's position as the near rows (store.ParamNear) and meta.tag of
// every resource as "_tag" tokens.
func FeaturesIndexer() store.Indexer {
	return store.IndexerFunc(func(ctx context.Context, r *store.Resource) ([]store.IndexEntry, error) {
		out, err := index(ctx, r)
		if err != nil {
			return nil, err
		}
		var m struct {
			Meta struct {
				Tag []struct{ System, Code string }
			}
			Position *struct{ Latitude, Longitude float64 }
		}
		if err := json.Unmarshal(r.JSON, &m); err != nil {
			return nil, fmt.Errorf("storetest features indexer: %w", err)
		}
		for _, tg := range m.Meta.Tag {
			out = append(out, store.IndexEntry{Param: "_tag", Type: store.ParamToken, System: tg.System, Code: tg.Code})
		}
		if p := m.Position; r.Type == "Location" && p != nil {
			x, y, z := store.NearVector(p.Latitude, p.Longitude)
			for k, v := range []float64{x, y, z} {
				out = append(out, store.IndexEntry{Param: fmt.Sprintf("near#%d", k), Type: store.ParamNumber, NumLo: v, NumHi: v, Group: 1})
			}
		}
		return out, nil
	})
}

// haversine is the great-circle distance in km, computed independently of
// the store's chord comparison.
func haversine(lat1, long1, lat2, long2 float64) float64 {
	rad := math.Pi / 180
	dφ, dλ := (lat2-lat1)*rad, (long2-long1)*rad
	h := math.Sin(dφ/2)*math.Sin(dφ/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dλ/2)*math.Sin(dλ/2)
	return 2 * store.EarthRadiusKm * math.Asin(math.Sqrt(h))
}

// testNear checks near (store.ParamNear): each place is found from a
// centre exactly when its great-circle distance is within the asked one,
// checked 0.1% either side of the true distance; across the antimeridian
// and near a pole too.
func testNear(t *testing.T, s store.Store) {
	se, ok := s.(store.Searcher)
	if !ok {
		t.Skip("the store has no Searcher")
	}
	places := map[string][2]float64{
		"tiananmen": {39.9087, 116.3975},
		"airport":   {40.0799, 116.6031},
		"shanghai":  {31.2304, 121.4737},
		"east":      {0.1, 179.95},
		"west":      {-0.1, -179.95},
		"north":     {89.95, 10},
		"north2":    {89.95, -170},
		"equator":   {0, 0},
	}
	for id, p := range places {
		put(t, s, "h1", "Location", id, fmt.Appendf(nil, `{"resourceType":"Location","position":{"latitude":%v,"longitude":%v}}`, p[0], p[1]))
	}
	put(t, s, "h1", "Location", "nowhere", []byte(`{"resourceType":"Location","name":"no position"}`))
	near := func(lat, long, km float64) store.Filter {
		return store.Filter{Param: "near", Type: store.ParamNear, Values: []store.FilterValue{{Lat: lat, Long: long, Num: km}}}
	}
	for from, c := range places {
		for to, p := range places {
			d := haversine(c[0], c[1], p[0], p[1])
			for _, tc := range []struct {
				km   float64
				want bool
			}{{d * 1.001, true}, {d * 0.999, from == to}} {
				for _, extra := range [][]store.Filter{nil, {ids(to, "nowhere")}} {
					got := searchIDs(t, se, store.SearchQuery{Type: "Location", Filters: append([]store.Filter{near(c[0], c[1], tc.km)}, extra...)})
					if slices.Contains(got, to) != tc.want {
						t.Errorf("near %s within %.4f km (distance %.4f): found %s %v, want %v", from, tc.km, d, to, got, tc.want)
					}
					if slices.Contains(got, "nowhere") {
						t.Errorf("a Location without a position is near %s", from)
					}
				}
			}
		}
	}
	if got := searchIDs(t, se, store.SearchQuery{Type: "Location", Filters: []store.Filter{{Param: "near", Type: store.ParamNear, Modifier: "missing",
		Values: []store.FilterValue{{Missing: true}}}}}); !slices.Equal(got, []string{"nowhere"}) {
		t.Errorf("near:missing=true: %v", got)
	}
	// Two centres ORed; the whole sphere.
	or := near(39.9, 116.4, 5)
	or.Values = append(or.Values, store.FilterValue{Lat: 0, Long: 180, Num: 50})
	got := searchIDs(t, se, store.SearchQuery{Type: "Location", Filters: []store.Filter{or}})
	slices.Sort(got)
	if !slices.Equal(got, []string{"east", "tiananmen", "west"}) {
		t.Errorf("two centres: %v", got)
	}
	if got := searchIDs(t, se, store.SearchQuery{Type: "Location", Filters: []store.Filter{near(0, 0, 30000)}}); len(got) != len(places) {
		t.Errorf("the whole sphere: %v", got)
	}
}

// testMetaRewrite checks store.MetaRewriter: the current version's body
// and index rows change, its version, lastUpdated and history do not; a
// stale version, a deleted and an unknown resource are refused.
func testMetaRewrite(t *testing.T, s store.Store) {
	mr, ok := s.(store.MetaRewriter)
	if !ok {
		t.Skip("the store has no MetaRewriter")
	}
	se := s.(store.Searcher)
	ctx := context.Background()
	tagged := func(tag string) []byte {
		return fmt.Appendf(nil, `{"resourceType":"Patient","meta":{"tag":[{"system":"urn:t","code":%q}]},"name":[{"family":"王"}]}`, tag)
	}
	byTag := func(tag string) []string {
		return searchIDs(t, se, store.SearchQuery{Type: "Patient", Filters: []store.Filter{{Param: "_tag", Type: store.ParamToken,
			Values: []store.FilterValue{{System: "urn:t", Code: tag}}}}})
	}
	v1 := put(t, s, "h1", "Patient", "p1", tagged("a"))
	put(t, s, "h1", "Patient", "p2", tagged("a"))
	ref := v1.Ref()
	r, err := mr.RewriteMeta(ctx, ref, 1, tagged("b"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != 1 || !r.LastUpdated.Equal(v1.LastUpdated) {
		t.Errorf("rewritten: version %d at %v, want 1 at %v", r.Version, r.LastUpdated, v1.LastUpdated)
	}
	got := res(t)(s.Read(ctx, ref))
	var m struct {
		ID   string
		Meta struct {
			VersionID   string
			LastUpdated string
			Tag         []struct{ System, Code string }
		}
		Name []struct{ Family string }
	}
	if err := json.Unmarshal(got.JSON, &m); err != nil {
		t.Fatal(err)
	}
	codes := ""
	for _, tg := range m.Meta.Tag {
		codes += tg.System + "|" + tg.Code + " "
	}
	if got.Version != 1 || m.ID != "p1" || m.Meta.VersionID != "1" || !strings.Contains(codes, "urn:t|b") || strings.Contains(codes, "urn:t|a") ||
		!strings.Contains(codes, store.InstitutionTagSystem+"|h1") || len(m.Name) != 1 || m.Name[0].Family != "王" {
		t.Errorf("read after the rewrite: version %d %s", got.Version, got.JSON)
	}
	if v := res(t)(s.VRead(ctx, ref, 1)); string(v.JSON) != string(got.JSON) {
		t.Errorf("vread 1 differs from read: %s", v.JSON)
	}
	h, err := s.History(ctx, store.HistoryQuery{Institution: "h1", Type: "Patient", ID: "p1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Entries) != 1 {
		t.Errorf("history has %d versions, want 1", len(h.Entries))
	}
	if got := byTag("b"); !slices.Equal(got, []string{"p1"}) {
		t.Errorf("_tag=b: %v", got)
	}
	if got := byTag("a"); !slices.Equal(got, []string{"p2"}) {
		t.Errorf("_tag=a: %v", got)
	}
	// Refusals, each leaving the resource as it was.
	for _, tc := range []struct {
		name    string
		ref     store.Ref
		version int64
		body    []byte
		kind    fhir.Kind
		err     error
	}{
		{"stale version", ref, 2, tagged("c"), fhir.KindPrecondition, store.ErrPrecondition},
		{"unknown", store.Ref{Institution: "h1", Type: "Patient", ID: "nope"}, 1, tagged("c"), fhir.KindNotFound, store.ErrNotFound},
		{"other institution", store.Ref{Institution: "h2", Type: "Patient", ID: "p1"}, 1, tagged("c"), fhir.KindNotFound, store.ErrNotFound},
		{"wrong type", ref, 1, []byte(`{"resourceType":"Observation"}`), fhir.KindInvalid, nil},
		{"not JSON", ref, 1, []byte(`{"resourceType":`), fhir.KindInvalid, nil},
	} {
		_, err := mr.RewriteMeta(ctx, tc.ref, tc.version, tc.body)
		if fhir.KindOf(err) != tc.kind || tc.err != nil && !errors.Is(err, tc.err) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.kind)
		}
	}
	if got := byTag("b"); !slices.Equal(got, []string{"p1"}) {
		t.Errorf("_tag=b after the refusals: %v", got)
	}
	// An update after a rewrite is version 2, as usual.
	if v2 := put(t, s, "h1", "Patient", "p1", tagged("d")); v2.Version != 2 {
		t.Errorf("update after the rewrite: version %d", v2.Version)
	}
	if got := byTag("b"); len(got) != 0 {
		t.Errorf("_tag=b after the update: %v", got)
	}
	res(t)(s.Delete(ctx, ref, 0))
	if _, err := mr.RewriteMeta(ctx, ref, 3, tagged("e")); !errors.Is(err, store.ErrGone) {
		t.Errorf("deleted: %v, want ErrGone", err)
	}
}
