package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"yigong/fhir/store"
	"yigong/fhir/store/sqlite"
	"yigong/fhir/store/storetest"
)

// TestCheckpointer checks that committed log frames reach the database file
// without the writer's own automatic checkpoint (set far higher than these
// writes): the file grows only if the checkpointer copies them, and after
// Close the log is gone and every resource is there.
func TestCheckpointer(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "yigong.db")
	db, err := sqlite.Open(ctx, path, sqlite.Options{Indexer: storetest.Indexer()})
	if err != nil {
		t.Fatal(err)
	}
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	// Let the checkpointer copy what migrations wrote, then measure.
	time.Sleep(1500 * time.Millisecond)
	before := size()
	pad := strings.Repeat("x", 2000)
	for b := range 10 {
		tx, err := db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 100 {
			body := fmt.Sprintf(`{"resourceType":"Patient","name":[{"family":"f%d-%d","text":"%s"}]}`, b, i, pad)
			if _, err := tx.Create(ctx, store.Input{Institution: "h1", Type: "Patient", JSON: []byte(body)}); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for size() < before+1000*2000 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if got := size(); got < before+1000*2000 {
		t.Fatalf("database file %d bytes after 2 MB of commits (was %d): the log was not checkpointed", got, before)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); !os.IsNotExist(err) {
		t.Errorf("log left after Close: %v", err)
	}
	db, err = sqlite.Open(ctx, path, sqlite.Options{Indexer: storetest.Indexer()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	page, err := db.Search(ctx, store.SearchQuery{Type: "Patient", Count: 1, Total: true})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 1000 {
		t.Errorf("%d Patients after reopening, want 1000", page.Total)
	}
}
