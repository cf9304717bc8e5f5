package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"yigong/fhir/store"
	"yigong/fhir/store/storetest"
)

// TestStmtCache: a text run a second time on either pool gets prepared in
// the background, and later calls use the prepared statement with the same
// results; one-off texts are not kept.
func TestStmtCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "y.db"), Options{Indexer: storetest.Indexer()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := range 3 {
		if _, err := db.Create(ctx, store.Input{Institution: "A", Type: "Patient", JSON: storetest.Patient("王", "id-"+string(rune('a'+i)))}); err != nil {
			t.Fatal(err)
		}
	}
	q := store.SearchQuery{Type: "Patient", Filters: []store.Filter{{Param: "name", Type: store.ParamString,
		Values: []store.FilterValue{{Text: "王"}}}}}
	search := func(s store.Searcher) int {
		t.Helper()
		p, err := s.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return len(p.Entries)
	}
	inTx := func() int {
		t.Helper()
		tx, err := db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		return search(tx.(store.Searcher))
	}
	cached := func(c *stmtCache) int {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.m)
	}
	preloaded := cached(db.readerStmts) // the DICOM duplicate check, prepared at open
	for i := range 2 {
		if n, m := search(db), inTx(); n != 3 || m != 3 {
			t.Fatalf("round %d: %d and %d matches, want 3", i, n, m)
		}
	}
	for deadline := time.Now().Add(10 * time.Second); cached(db.readerStmts) == preloaded || cached(db.writerStmts) == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("nothing prepared: readers %d, writer %d", cached(db.readerStmts), cached(db.writerStmts))
		}
	}
	before := cached(db.readerStmts)
	for range 3 {
		if n, m := search(db), inTx(); n != 3 || m != 3 {
			t.Fatalf("with prepared statements: %d and %d matches, want 3", n, m)
		}
	}
	// A text seen once is not prepared.
	q.Filters[0].Values[0].Text = "李"
	q.Count = 7
	if n := search(db); n != 0 {
		t.Fatalf("李: %d matches", n)
	}
	time.Sleep(50 * time.Millisecond)
	if got := cached(db.readerStmts); got != before {
		t.Errorf("a one-off text was prepared: %d statements, had %d", got, before)
	}
}
