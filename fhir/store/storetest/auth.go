package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"yigong/fhir/store"
)

// RunSecurity tests the optional store.AuthRecords and store.AuditLog of an
// engine (migrations 0040 and 0041); it skips what the engine lacks.
func RunSecurity(t *testing.T, open Open) {
	t.Run("AuthRecords", func(t *testing.T) {
		t.Parallel()
		ar, ok := open(t).(store.AuthRecords)
		if !ok {
			t.Skip("engine keeps no auth records")
		}
		testAuthRecords(t, ar)
	})
	t.Run("AuditLog", func(t *testing.T) {
		t.Parallel()
		al, ok := open(t).(store.AuditLog)
		if !ok {
			t.Skip("engine keeps no audit log")
		}
		testAuditLog(t, al)
	})
}

func testAuthRecords(t *testing.T, ar store.AuthRecords) {
	ctx := context.Background()
	rec := store.AuthRecord{Kind: "user", Key: "alice", Institution: "h1", Value: []byte(`{"n":1}`)}
	v, err := ar.PutAuthRecord(ctx, rec, 0)
	if err != nil || v != 1 {
		t.Fatalf("insert: v=%d err=%v", v, err)
	}
	if _, err := ar.PutAuthRecord(ctx, rec, 0); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second insert: err=%v, want ErrConflict", err)
	}
	rec.Value = []byte(`{"n":2}`)
	if v, err = ar.PutAuthRecord(ctx, rec, 1); err != nil || v != 2 {
		t.Fatalf("update: v=%d err=%v", v, err)
	}
	if _, err := ar.PutAuthRecord(ctx, rec, 1); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale update: err=%v, want ErrConflict", err)
	}
	got, err := ar.GetAuthRecord(ctx, "user", "alice")
	if err != nil || got.Version != 2 || !bytes.Equal(got.Value, rec.Value) || got.Institution != "h1" {
		t.Fatalf("get: %+v %v", got, err)
	}
	if _, err := ar.GetAuthRecord(ctx, "user", "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("get missing: %v", err)
	}

	// Concurrent compare-and-swap: exactly one of N writers of version 2 wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rec
			r.Value = fmt.Appendf(nil, `{"w":%d}`, i)
			if _, err := ar.PutAuthRecord(ctx, r, 2); err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			} else if !errors.Is(err, store.ErrConflict) {
				t.Errorf("racer: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d writers of version 2 won, want 1", wins)
	}

	// Expired records are absent, can be replaced, and are purged.
	past := time.Now().Add(-time.Minute)
	if _, err := ar.PutAuthRecord(ctx, store.AuthRecord{Kind: "code", Key: "c1", Value: []byte(`{}`), Expires: past}, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := ar.GetAuthRecord(ctx, "code", "c1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired get: %v", err)
	}
	if _, err := ar.PutAuthRecord(ctx, store.AuthRecord{Kind: "code", Key: "c1", Value: []byte(`{}`), Expires: time.Now().Add(time.Hour)}, 0); err != nil {
		t.Fatalf("replace expired: %v", err)
	}
	for _, k := range []string{"c2", "c3"} {
		if _, err := ar.PutAuthRecord(ctx, store.AuthRecord{Kind: "code", Key: k, Value: []byte(`{}`), Expires: past}, 0); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := ar.PurgeAuthRecords(ctx, time.Now()); err != nil || n != 2 {
		t.Fatalf("purge: n=%d err=%v", n, err)
	}
	list, err := ar.ListAuthRecords(ctx, "code", "", 0)
	if err != nil || len(list) != 1 || list[0].Key != "c1" {
		t.Fatalf("list: %+v %v", list, err)
	}
	if err := ar.DeleteAuthRecord(ctx, "code", "c1", 99); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("delete with wrong version: %v", err)
	}
	if err := ar.DeleteAuthRecord(ctx, "code", "c1", 0); err != nil {
		t.Fatal(err)
	}
	if err := ar.DeleteAuthRecord(ctx, "code", "c1", 0); err != nil {
		t.Fatalf("delete missing: %v", err)
	}
}

func testAuditLog(t *testing.T, al store.AuditLog) {
	ctx := context.Background()
	if last, err := al.LastAudit(ctx); err != nil || last != nil {
		t.Fatalf("empty chain: %+v %v", last, err)
	}
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	entry := func(seq int64) store.AuditEntry {
		return store.AuditEntry{Seq: seq, Institution: "h1", Recorded: base.Add(time.Duration(seq) * time.Hour),
			Action: "read", Outcome: "0", Agent: "u1", Event: []byte(`{"resourceType":"AuditEvent"}`),
			PrevHash: []byte{byte(seq - 1)}, Hash: []byte{byte(seq)}}
	}
	if err := al.AppendAudit(ctx, []store.AuditEntry{entry(1), entry(2), entry(3)}); err != nil {
		t.Fatal(err)
	}
	if err := al.AppendAudit(ctx, []store.AuditEntry{entry(5)}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("gap: %v, want ErrConflict", err)
	}
	if err := al.AppendAudit(ctx, []store.AuditEntry{entry(3)}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("repeat: %v, want ErrConflict", err)
	}
	if err := al.AppendAudit(ctx, []store.AuditEntry{entry(4), entry(5)}); err != nil {
		t.Fatal(err)
	}
	got, err := al.ScanAudit(ctx, 1, 2)
	if err != nil || len(got) != 2 || got[0].Seq != 2 || got[1].Seq != 3 || !got[1].Recorded.Equal(entry(3).Recorded) ||
		!bytes.Equal(got[1].Hash, []byte{3}) || got[1].Agent != "u1" {
		t.Fatalf("scan: %+v %v", got, err)
	}
	// Retention: entries before the cutoff go, the anchor remembers the last.
	n, err := al.PurgeAudit(ctx, entry(3).Recorded)
	if err != nil || n != 2 {
		t.Fatalf("purge: n=%d err=%v", n, err)
	}
	a, err := al.AuditAnchor(ctx)
	if err != nil || a.Seq != 2 || !bytes.Equal(a.Hash, []byte{2}) || a.PurgedAt.IsZero() {
		t.Fatalf("anchor: %+v %v", a, err)
	}
	if n, err := al.PurgeAudit(ctx, base.Add(1000*time.Hour)); err != nil || n != 3 {
		t.Fatalf("purge all: n=%d err=%v", n, err)
	}
	if err := al.AppendAudit(ctx, []store.AuditEntry{entry(6)}); err != nil {
		t.Fatalf("append after purging everything: %v", err)
	}
	if last, err := al.LastAudit(ctx); err != nil || last == nil || last.Seq != 6 {
		t.Fatalf("last: %+v %v", last, err)
	}
}
