package fhirapi

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"yigong/fhir"
	"yigong/fhir/search"
	"yigong/fhir/store"
	"yigong/fhir/store/sqlite"
)

// TestMatch checks the conditional-operation matcher: it matches exactly as
// a search does, rejects bad criteria, and sees a transaction's own writes.
func TestMatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ix, err := search.NewIndexer(search.Options{BaseURL: "http://h/fhir"})
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "y.db"), sqlite.Options{Indexer: ix})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a, err := New(db, Options{BaseURL: func() string { return "http://h/fhir" }, Institution: "h1", Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	put := func(body string) string {
		r, err := db.Create(ctx, store.Input{Institution: "h1", Type: "Patient", JSON: []byte(body)})
		if err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	p1 := put(`{"resourceType":"Patient","identifier":[{"system":"urn:oid:2.16.156.10011.1.3","value":"110101199003078515"}],"name":[{"family":"王","given":["小东"]}]}`)
	put(`{"resourceType":"Patient","identifier":[{"system":"urn:x","value":"110101199003078515"}],"name":[{"family":"王"}]}`)
	for _, tc := range []struct {
		query string
		n     int
	}{
		{"identifier=urn:oid:2.16.156.10011.1.3|110101199003078515", 1},
		{"identifier=110101199003078515", 2},
		{"name=王小东", 1},
		{"name=王&_count=1&_sort=-_lastUpdated", 2},
		{"_id=" + p1, 1},
		{"identifier=urn:oid:2.16.156.10011.1.3|nobody", 0},
	} {
		got, err := a.match(ctx, "Patient", tc.query)
		if err != nil || len(got) != tc.n {
			t.Errorf("%s: %d matches, err %v; want %d", tc.query, len(got), err, tc.n)
		}
	}
	for _, bad := range []string{"foo=bar", "birthdate=notadate", "", "_count=1"} {
		if _, err := a.match(ctx, "Patient", bad); fhir.KindOf(err) != fhir.KindInvalid {
			t.Errorf("%q: err %v, want KindInvalid", bad, err)
		}
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Create(ctx, store.Input{Institution: "h1", Type: "Patient", JSON: []byte(`{"resourceType":"Patient","identifier":[{"system":"urn:t","value":"in-tx"}]}`)}); err != nil {
		t.Fatal(err)
	}
	got, err := a.matchWith(ctx, tx.(store.Searcher), "Patient", "identifier=urn:t|in-tx")
	if err != nil || len(got) != 1 {
		t.Errorf("in the transaction: %d, %v", len(got), err)
	}
}
