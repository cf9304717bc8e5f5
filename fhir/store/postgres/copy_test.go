package postgres_test

import (
	"context"
	"fmt"
	"testing"

	"yigong/fhir/store"
	"yigong/fhir/store/postgres"
	"yigong/fhir/store/storetest"
)

// TestBulkTransaction writes a transaction large enough for the index rows
// and the outbox rows to go by COPY and the idx_masks by one UPDATE, and
// checks what searches, later updates and the outbox see.
func TestBulkTransaction(t *testing.T) {
	db := open(t, postgres.Options{Indexer: storetest.Indexer()})
	ctx := context.Background()
	byIdent := func(v string) int {
		t.Helper()
		p, err := db.Search(ctx, store.SearchQuery{Type: "Patient", Filters: []store.Filter{{Param: "identifier",
			Type: store.ParamToken, Values: []store.FilterValue{{Code: v}}}}})
		if err != nil {
			t.Fatal(err)
		}
		return len(p.Entries)
	}
	const n = 150
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	ids := make([]string, n)
	for i := range n {
		r, err := tx.Create(ctx, store.Input{Institution: "h1", Type: "Patient",
			JSON: storetest.Patient(fmt.Sprintf("家%d", i), fmt.Sprintf("bulk-%d", i))})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = r.ID
	}
	// A new version of a resource whose rows are pending flushes all of
	// them (by COPY), then deletes its old rows by the idx_mask just set.
	if _, _, err := tx.Update(ctx, store.Input{Institution: "h1", Type: "Patient", ID: ids[3],
		JSON: storetest.Patient("改", "bulk-3-new")}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ident string
		want  int
	}{{"bulk-0", 1}, {"bulk-77", 1}, {fmt.Sprintf("bulk-%d", n-1), 1}, {"bulk-3", 0}, {"bulk-3-new", 1}} {
		if got := byIdent(c.ident); got != c.want {
			t.Errorf("identifier=%s: %d hits, want %d", c.ident, got, c.want)
		}
	}
	total, err := db.Search(ctx, store.SearchQuery{Type: "Patient", Total: true, Filters: []store.Filter{{Param: "gender",
		Type: store.ParamToken, Values: []store.FilterValue{{Code: "male"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if total.Total != n {
		t.Errorf("gender=male: total %d, want %d", total.Total, n)
	}

	// The masks written at commit: an update in a later transaction
	// replaces the resource's rows.
	if _, _, err := db.Update(ctx, store.Input{Institution: "h1", Type: "Patient", ID: ids[7],
		JSON: storetest.Patient("新", "bulk-7-new")}); err != nil {
		t.Fatal(err)
	}
	if got, got2 := byIdent("bulk-7"), byIdent("bulk-7-new"); got != 0 || got2 != 1 {
		t.Errorf("after update: old value %d hits, new %d; want 0 and 1", got, got2)
	}

	// The outbox: dense sequence numbers in commit order.
	ch, err := db.Changes(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(ch) != n+2 {
		t.Fatalf("%d changes, want %d", len(ch), n+2)
	}
	for i, c := range ch {
		if c.Seq != int64(i+1) {
			t.Fatalf("change %d has seq %d", i, c.Seq)
		}
		if i < n && (c.ID != ids[i] || c.Op != store.OpCreate || c.Version != 1) {
			t.Fatalf("change %d: %+v, want the create of %s", i, c, ids[i])
		}
	}
	if c := ch[n]; c.ID != ids[3] || c.Op != store.OpUpdate || c.Version != 2 {
		t.Errorf("change %d: %+v, want the update of %s", n, c, ids[3])
	}
}
