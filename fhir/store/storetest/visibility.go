package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"yigong/fhir"
	"yigong/fhir/store"
)

// testVisibility checks institution isolation in the store's query layer:
// a caller restricted to institution A (plus one patient of B shared with
// it) must find nothing else of B through read, vread, search, chains,
// _has, includes, counts, history or writes.
func testVisibility(t *testing.T, s store.Store) {
	bg := context.Background()
	sr, ok := s.(store.Searcher)
	if !ok {
		t.Skip("store does not search")
	}
	create := func(inst, typ string, body []byte) *store.Resource {
		t.Helper()
		r, err := s.Create(bg, store.Input{Institution: inst, Type: typ, JSON: body})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	obs := func(subject, code string) []byte {
		return fmt.Appendf(nil, `{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"urn:test","code":%q}]},"subject":{"reference":%q}}`, code, subject)
	}
	pa := create("A", "Patient", Patient("王", "A-1"))
	pb := create("B", "Patient", Patient("王", "B-1"))
	pshared := create("B", "Patient", Patient("王", "B-2"))
	oa := create("A", "Observation", obs("Patient/"+pa.ID, "c1"))
	oaToB := create("A", "Observation", obs("Patient/"+pb.ID, "c1")) // A's record pointing at B's patient
	ob := create("B", "Observation", obs("Patient/"+pb.ID, "c1"))
	obToA := create("B", "Observation", obs("Patient/"+pa.ID, "c3")) // B's record about A's patient
	oShared := create("B", "Observation", obs("Patient/"+pshared.ID, "c1"))
	if _, _, err := s.Update(bg, store.Input{Institution: "B", Type: "Patient", ID: pb.ID, JSON: Patient("王", "B-1b")}); err != nil {
		t.Fatal(err)
	}

	vis := store.Visibility{Institutions: []string{"A"}, Patients: []store.PatientRef{{Institution: "B", ID: pshared.ID}}}
	ctx := store.WithVisibility(bg, vis)
	seen := map[string]bool{pa.ID: true, pshared.ID: true, oa.ID: true, oaToB.ID: true, oShared.ID: true}
	hidden := []*store.Resource{pb, ob, obToA}

	t.Run("meta tag", func(t *testing.T) {
		r, err := s.Read(bg, pb.Ref())
		if err != nil {
			t.Fatal(err)
		}
		want := `{"system":"` + store.InstitutionTagSystem + `","code":"B"}`
		if !strings.Contains(string(r.JSON), want) {
			t.Errorf("stored Patient lacks the institution tag %s: %s", want, r.JSON)
		}
	})
	t.Run("read and vread", func(t *testing.T) {
		for _, r := range hidden {
			for _, ref := range []store.Ref{{Type: r.Type, ID: r.ID}, r.Ref()} {
				if _, err := s.Read(ctx, ref); !errorsIsNotFound(err) {
					t.Errorf("read %s/%s (institution %q): %v, want not found", ref.Type, ref.ID, ref.Institution, err)
				}
				if _, err := s.VRead(ctx, ref, 1); !errorsIsNotFound(err) {
					t.Errorf("vread %s/%s/_history/1: %v, want not found", ref.Type, ref.ID, err)
				}
			}
		}
		for _, r := range []*store.Resource{pa, pshared, oShared, oaToB} {
			if _, err := s.Read(ctx, store.Ref{Type: r.Type, ID: r.ID}); err != nil {
				t.Errorf("read visible %s/%s: %v", r.Type, r.ID, err)
			}
		}
	})
	name := store.Filter{Param: "name", Type: store.ParamString, Values: []store.FilterValue{{Text: "王"}}}
	code := func(c string) store.Filter {
		return store.Filter{Param: "code", Type: store.ParamToken, Values: []store.FilterValue{{System: "urn:test", Code: c}}}
	}
	for _, tc := range []struct {
		name string
		q    store.SearchQuery
		want []string
	}{
		{"search", store.SearchQuery{Type: "Patient", Filters: []store.Filter{name}}, []string{pa.ID, pshared.ID}},
		{"search by token", store.SearchQuery{Type: "Observation", Filters: []store.Filter{code("c1")}}, []string{oa.ID, oaToB.ID, oShared.ID}},
		{"search by reference to a hidden patient", store.SearchQuery{Type: "Observation", Filters: []store.Filter{{Param: "subject", Type: store.ParamReference,
			Values: []store.FilterValue{{RefType: "Patient", RefID: pb.ID}}}}}, []string{oaToB.ID}},
		{"system search", store.SearchQuery{Types: []string{"Patient", "Observation"}}, []string{pa.ID, pshared.ID, oa.ID, oaToB.ID, oShared.ID}},
		{"chain", store.SearchQuery{Type: "Observation", Filters: []store.Filter{{Param: "subject", Type: store.ParamReference,
			Chain: &store.SearchQuery{Type: "Patient", Filters: []store.Filter{name}}}}}, []string{oa.ID, oShared.ID}},
		{"chain to a hidden identifier", store.SearchQuery{Type: "Observation", Filters: []store.Filter{{Param: "subject", Type: store.ParamReference,
			Chain: &store.SearchQuery{Type: "Patient", Filters: []store.Filter{{Param: "identifier", Type: store.ParamToken,
				Values: []store.FilterValue{{Code: "B-1b"}}}}}}}}, nil},
		{"_has through a hidden record", store.SearchQuery{Type: "Patient", Filters: []store.Filter{{Param: "_has",
			Has: &store.Has{Type: "Observation", Param: "subject", Filters: []store.Filter{code("c3")}}}}}, nil},
		{"_tag of the owning institution", store.SearchQuery{Type: "Patient", Filters: []store.Filter{{Param: "_tag", Type: store.ParamToken,
			Values: []store.FilterValue{{System: store.InstitutionTagSystem, Code: "B"}}}}}, []string{pshared.ID}},
		{"_tag:not of the owning institution", store.SearchQuery{Type: "Patient", Filters: []store.Filter{{Param: "_tag", Type: store.ParamToken, Modifier: "not",
			Values: []store.FilterValue{{System: store.InstitutionTagSystem, Code: "B"}}}}}, []string{pa.ID}},
		{"_has through a visible record", store.SearchQuery{Type: "Patient", Filters: []store.Filter{{Param: "_has",
			Has: &store.Has{Type: "Observation", Param: "subject", Filters: []store.Filter{code("c1")}}}}}, []string{pa.ID, pshared.ID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := searchIDsCtx(t, ctx, sr, tc.q)
			slices.Sort(got)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
			q := tc.q
			q.OnlyTotal, q.Total = true, true
			p, err := sr.Search(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if p.Total != int64(len(want)) {
				t.Errorf("count %d, want %d", p.Total, len(want))
			}
		})
	}
	t.Run("includes", func(t *testing.T) {
		p, err := sr.Search(ctx, store.SearchQuery{Type: "Observation", Filters: []store.Filter{code("c1")},
			Include: []store.Include{{Source: "Observation", Param: "subject", Target: "Patient"}}})
		if err != nil {
			t.Fatal(err)
		}
		p2, err := sr.Search(ctx, store.SearchQuery{Type: "Patient", Filters: []store.Filter{name},
			Include: []store.Include{{Rev: true, Source: "Observation", Param: "subject"}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range append(append(p.Entries, p.Included...), append(p2.Entries, p2.Included...)...) {
			if !seen[r.ID] {
				t.Errorf("include returned hidden %s/%s of %s", r.Type, r.ID, r.Institution)
			}
		}
		if len(p.Included) != 2 || len(p2.Included) != 2 {
			t.Errorf("included %d and %d resources, want 2 (pa, pshared) and 2 (oa, oShared)", len(p.Included), len(p2.Included))
		}
	})
	t.Run("history", func(t *testing.T) {
		h, err := s.History(ctx, store.HistoryQuery{Count: store.MaxCount})
		if err != nil {
			t.Fatal(err)
		}
		if len(h.Entries) != len(seen) {
			t.Errorf("system history has %d versions, want %d", len(h.Entries), len(seen))
		}
		for _, r := range h.Entries {
			if !seen[r.ID] {
				t.Errorf("history returned hidden %s/%s of %s", r.Type, r.ID, r.Institution)
			}
		}
		h, err = s.History(ctx, store.HistoryQuery{Type: "Patient", ID: pb.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(h.Entries) != 0 {
			t.Errorf("instance history of a hidden patient: %d versions", len(h.Entries))
		}
	})
	t.Run("writes", func(t *testing.T) {
		if _, err := s.Create(ctx, store.Input{Institution: "B", Type: "Patient", JSON: Patient("李", "x")}); fhir.KindOf(err) != fhir.KindForbidden {
			t.Errorf("create in B: %v, want forbidden", err)
		}
		_, _, err := s.Update(ctx, store.Input{Institution: "A", Type: "Patient", ID: pb.ID, JSON: Patient("李", "x")})
		if fhir.KindOf(err) != fhir.KindConflict || strings.Contains(err.Error(), `"B"`) {
			t.Errorf("update of a hidden id: %v, want a conflict that names no institution", err)
		}
		if _, err := s.Delete(ctx, store.Ref{Type: "Patient", ID: pb.ID}, 0); !errorsIsNotFound(err) {
			t.Errorf("delete of a hidden patient: %v, want not found", err)
		}
		if _, err := s.Delete(ctx, store.Ref{Type: "Patient", ID: pshared.ID}, 0); !errorsIsNotFound(err) {
			t.Errorf("delete of a shared (read-only) patient: %v, want not found", err)
		}
		if r, err := s.Read(bg, pb.Ref()); err != nil || r.Version != 2 {
			t.Errorf("hidden patient changed: %v, %v", r, err)
		}
		// A caller that sees B whole updates B's resource where it lives.
		both := store.WithVisibility(bg, store.Visibility{Institutions: []string{"A", "B"}})
		r, created, err := s.Update(both, store.Input{Institution: "A", Type: "Patient", ID: pb.ID, JSON: Patient("王", "B-1c")})
		if err != nil || created || r.Institution != "B" || r.Version != 3 {
			t.Errorf("update by a caller seeing B: %+v created=%v err=%v, want version 3 in B", r, created, err)
		}
		if _, err := s.Create(store.WithVisibility(bg, store.Visibility{}), store.Input{Institution: "A", Type: "Patient", JSON: Patient("李", "y")}); fhir.KindOf(err) != fhir.KindForbidden {
			t.Errorf("create by a caller who sees nothing: %v, want forbidden", err)
		}
	})
	t.Run("unrestricted again", func(t *testing.T) {
		if _, err := s.Read(store.Unrestricted(ctx), pb.Ref()); err != nil {
			t.Errorf("Unrestricted context: %v", err)
		}
	})
}

func errorsIsNotFound(err error) bool { return fhir.KindOf(err) == fhir.KindNotFound }

// searchIDsCtx runs q in ctx through every page and returns the ids found;
// every entry must have content.
func searchIDsCtx(t *testing.T, ctx context.Context, s store.Searcher, q store.SearchQuery) []string {
	t.Helper()
	var ids []string
	for range 100 {
		p, err := s.Search(ctx, q)
		if err != nil {
			t.Fatalf("search: %v", err)
		}
		for _, r := range p.Entries {
			if r.JSON == nil || r.Deleted {
				t.Fatalf("search returned %s without content", r.ID)
			}
			ids = append(ids, r.ID)
		}
		if p.Next == "" {
			return ids
		}
		q.Cursor = p.Next
	}
	t.Fatal("search does not end")
	return nil
}
