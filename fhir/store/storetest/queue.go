package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"yigong/fhir"
	"yigong/fhir/store"
)

// testQueue checks the optional store.Queue: deduplication, per-partition
// order under concurrent producers and two consumers with failures,
// completion atomic with FHIR writes, retries with backoff, the error
// state, replay, counts and cursors.
func testQueue(t *testing.T, s store.Store) {
	q, ok := s.(store.Queue)
	if !ok {
		t.Skip("the store has no Queue")
	}
	t.Run("Dedupe", func(t *testing.T) { testQueueDedupe(t, q) })
	t.Run("OrderConcurrent", func(t *testing.T) { testQueueOrder(t, q) })
	t.Run("AtomicComplete", func(t *testing.T) { testQueueAtomic(t, s, q) })
	t.Run("RetryErrorReplay", func(t *testing.T) { testQueueRetry(t, q) })
	t.Run("Cursor", func(t *testing.T) { testQueueCursor(t, s) })
}

func qin(queue, partition, key, body string) store.QueueInput {
	return store.QueueInput{Queue: queue, Institution: "h1", Partition: partition, DedupeKey: key, Type: "ADT^A01",
		Meta: []byte(`{"k":1}`), Body: []byte(body)}
}

func testQueueDedupe(t *testing.T, q store.Queue) {
	ctx := context.Background()
	const name = "dedupe"
	res, err := q.Enqueue(ctx, []store.QueueInput{
		qin(name, "HIS^A", "HIS^A|1", "one"), qin(name, "HIS^A", "HIS^A|2", "two"),
		qin(name, "HIS^A", "HIS^A|1", "one again"), qin(name, "HIS^A", "", "no key"), qin(name, "HIS^A", "", "no key"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Duplicate || res[1].Duplicate || !res[2].Duplicate || res[3].Duplicate || res[4].Duplicate {
		t.Fatalf("duplicate flags %+v", res)
	}
	if res[2].ID != res[0].ID || res[2].State != store.QueuePending {
		t.Errorf("duplicate reported %+v, want the first item %d", res[2], res[0].ID)
	}
	again, err := q.Enqueue(ctx, []store.QueueInput{qin(name, "HIS^A", "HIS^A|2", "two again")})
	if err != nil || !again[0].Duplicate || again[0].ID != res[1].ID {
		t.Fatalf("re-sent: %+v %v", again, err)
	}
	// The same key in another queue or institution is not a duplicate.
	other := qin("dedupe2", "HIS^A", "HIS^A|1", "x")
	inst := qin(name, "HIS^A", "HIS^A|1", "x")
	inst.Institution = "h2"
	res2, err := q.Enqueue(ctx, []store.QueueInput{other, inst})
	if err != nil || res2[0].Duplicate || res2[1].Duplicate {
		t.Fatalf("other queue/institution: %+v %v", res2, err)
	}
	items, err := q.List(ctx, store.QueueListQuery{Queue: name})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 5 { // one, two, two keyless, and h2's
		t.Errorf("%d rows, want 5", len(items))
	}
	it, err := q.Get(ctx, res[0].ID)
	if err != nil || string(it.Body) != "one" || string(it.Meta) != `{"k":1}` || it.Type != "ADT^A01" || it.DedupeKey != "HIS^A|1" {
		t.Errorf("get: %+v %v", it, err)
	}
	if _, err := q.Get(ctx, 1<<40); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("get unknown: %v", err)
	}
	// An unprocessable item goes straight to the error state.
	bad := qin(name, "HIS^A", "", "garbage")
	bad.Error = "no MSH"
	res3, err := q.Enqueue(ctx, []store.QueueInput{bad})
	if err != nil || res3[0].State != store.QueueError {
		t.Fatalf("error item: %+v %v", res3, err)
	}
	if _, err := q.Enqueue(ctx, []store.QueueInput{{Queue: name, Partition: "p"}}); fhir.KindOf(err) != fhir.KindInvalid {
		t.Errorf("no institution: %v", err)
	}
}

// testQueueOrder: producers enqueue numbered items into their own
// partitions concurrently (in batches, as the MLLP group committer does);
// two consumers claim runs, fail some first attempts and release the rest
// of their run, and complete the others. Every partition must be processed
// exactly in enqueue order, never by two consumers at once.
func testQueueOrder(t *testing.T, q store.Queue) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const name, producers, perProducer, batch = "order", 4, 60, 7
	var wg sync.WaitGroup
	errc := make(chan error, producers+2)
	for p := range producers {
		wg.Go(func() {
			for i := 0; i < perProducer; i += batch {
				var items []store.QueueInput
				for j := i; j < min(i+batch, perProducer); j++ {
					items = append(items, qin(name, fmt.Sprintf("p%d", p), fmt.Sprintf("p%d|%d", p, j), fmt.Sprint(j)))
				}
				if _, err := q.Enqueue(ctx, items); err != nil {
					errc <- err
					return
				}
			}
		})
	}
	var mu sync.Mutex
	busy := map[string]bool{}
	seen := map[string][]string{}
	failed := map[int64]bool{}
	total := 0
	for c := range 2 {
		owner := fmt.Sprintf("consumer-%d", c)
		wg.Go(func() {
			for {
				mu.Lock()
				done := total == producers*perProducer
				mu.Unlock()
				if done || ctx.Err() != nil {
					return
				}
				items, err := q.Claim(ctx, store.ClaimRequest{Queue: name, Owner: owner, Limit: 8, PerPartition: 3, Lease: time.Minute})
				if err != nil {
					errc <- err
					return
				}
				for i := 0; i < len(items); i++ {
					it := items[i]
					mu.Lock()
					if busy[it.Partition] && (i == 0 || items[i-1].Partition != it.Partition) {
						mu.Unlock()
						errc <- fmt.Errorf("partition %s claimed by two consumers", it.Partition)
						return
					}
					busy[it.Partition] = true
					fail := it.ID%5 == 0 && !failed[it.ID]
					failed[it.ID] = true
					mu.Unlock()
					if fail {
						mu.Lock()
						busy[it.Partition] = false
						mu.Unlock()
						if _, err := q.Fail(ctx, it.ID, store.QueueFailure{Owner: owner, Error: "first try fails", Backoff: time.Millisecond}); err != nil {
							errc <- err
							return
						}
						var rest []int64
						for j := i + 1; j < len(items) && items[j].Partition == it.Partition; j++ {
							rest = append(rest, items[j].ID)
						}
						if err := q.Release(ctx, owner, rest...); err != nil {
							errc <- err
							return
						}
						i += len(rest)
						continue
					}
					mu.Lock()
					seen[it.Partition] = append(seen[it.Partition], string(it.Body))
					total++
					if i+1 == len(items) || items[i+1].Partition != it.Partition {
						busy[it.Partition] = false // before completing: then the next head is claimable
					}
					mu.Unlock()
					if err := q.Complete(ctx, it.ID, owner, "ok"); err != nil {
						errc <- err
						return
					}
				}
				if len(items) == 0 {
					time.Sleep(time.Millisecond) // nothing claimable yet: producers or backoff
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	for p := range producers {
		got := seen[fmt.Sprintf("p%d", p)]
		if len(got) != perProducer {
			t.Fatalf("partition p%d: %d items processed, want %d", p, len(got), perProducer)
		}
		for i, v := range got {
			if v != fmt.Sprint(i) {
				t.Fatalf("partition p%d processed out of order: %v", p, got)
			}
		}
	}
}

func testQueueAtomic(t *testing.T, s store.Store, q store.Queue) {
	ctx := context.Background()
	const name = "atomic"
	if _, err := q.Enqueue(ctx, []store.QueueInput{qin(name, "LIS^LAB", "LIS^LAB|9", "m")}); err != nil {
		t.Fatal(err)
	}
	items, err := q.Claim(ctx, store.ClaimRequest{Queue: name, Owner: "w1"})
	if err != nil || len(items) != 1 {
		t.Fatalf("claim: %v %v", items, err)
	}
	id := items[0].ID
	if items[0].State != store.QueueLeased || items[0].Owner != "w1" || string(items[0].Body) != "m" {
		t.Errorf("claimed item %+v", items[0])
	}
	write := func(commit bool) *store.Resource {
		tx, err := s.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		r, err := tx.Create(ctx, in("h1", "Patient", "", Patient("队列", "Q-1")))
		if err != nil {
			t.Fatal(err)
		}
		qt, ok := tx.(store.QueueTx)
		if !ok {
			t.Fatal("the store's Tx is not a QueueTx")
		}
		if err := qt.QueueComplete(ctx, id, "w1", "Patient/"+r.ID); err != nil {
			t.Fatal(err)
		}
		if commit {
			if err := tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
		} else if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := write(false)
	if _, err := s.Read(ctx, r.Ref()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("rolled-back patient: %v", err)
	}
	if it, _ := q.Get(ctx, id); it.State != store.QueueLeased {
		t.Errorf("after rollback the item is %s, want leased", it.State)
	}
	// Another owner cannot complete it.
	tx, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	err = tx.(store.QueueTx).QueueComplete(ctx, id, "w2", "")
	tx.Rollback(ctx)
	mustKind(t, err, fhir.KindConflict, store.ErrConflict)
	r = write(true)
	if _, err := s.Read(ctx, r.Ref()); err != nil {
		t.Errorf("committed patient: %v", err)
	}
	it, _ := q.Get(ctx, id)
	if it.State != store.QueueDone || it.Outcome != "Patient/"+r.ID {
		t.Errorf("after commit the item is %s (%q), want done", it.State, it.Outcome)
	}
	// Completing twice fails: nothing is applied twice.
	if err := q.Complete(ctx, id, "w1", ""); !errors.Is(err, store.ErrConflict) {
		t.Errorf("second completion: %v", err)
	}
}

func testQueueRetry(t *testing.T, q store.Queue) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const name = "retry"
	res, err := q.Enqueue(ctx, []store.QueueInput{qin(name, "P", "P|1", "first"), qin(name, "P", "P|2", "second"), qin(name, "Q", "Q|1", "other")})
	if err != nil {
		t.Fatal(err)
	}
	first := res[0].ID
	claim := func() []store.QueueItem {
		t.Helper()
		items, err := q.Claim(ctx, store.ClaimRequest{Queue: name, Owner: "w", Limit: 10, PerPartition: 10, Partitions: []string{"P"}})
		if err != nil {
			t.Fatal(err)
		}
		return items
	}
	// claimUntil polls (with a deadline) until the claim is not empty.
	claimUntil := func() []store.QueueItem {
		t.Helper()
		for ctx.Err() == nil {
			if items := claim(); len(items) > 0 {
				return items
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Fatal("nothing became claimable")
		return nil
	}
	// Backoffs long enough that the claim right after Fail happens before
	// the retry is due even on a loaded machine.
	f := store.QueueFailure{Owner: "w", Error: "v2fhir: PID-3: required field missing", MaxAttempts: 3,
		Backoff: 1500 * time.Millisecond, MaxBackoff: 2 * time.Second}
	for attempt := 1; attempt <= 3; attempt++ {
		items := claimUntil()
		if items[0].ID != first || items[0].Attempts != attempt-1 {
			t.Fatalf("attempt %d claimed %+v, want the head %d", attempt, items[0], first)
		}
		if err := q.Release(ctx, "w", items[1].ID); err != nil {
			t.Fatal(err)
		}
		before := time.Now()
		st, err := q.Fail(ctx, first, f)
		if err != nil {
			t.Fatal(err)
		}
		if attempt < 3 {
			if st != store.QueuePending {
				t.Fatalf("after attempt %d: %s, want pending", attempt, st)
			}
			it, _ := q.Get(ctx, first)
			want := 1500 * time.Millisecond
			if attempt == 2 {
				want = 2 * time.Second // 3 s capped
			}
			if d := it.NextAt.Sub(before); d < want-5*time.Millisecond || d > want+2*time.Second {
				t.Errorf("attempt %d: retry in %v, want about %v", attempt, d, want)
			}
			// The partition waits for its head: the second item is not handed out.
			if items := claim(); len(items) != 0 && time.Now().Before(it.NextAt) {
				t.Fatalf("claimed %+v while the head waits for its retry", items)
			}
		} else if st != store.QueueError {
			t.Fatalf("after the last attempt: %s, want error", st)
		}
	}
	// Parked in error, the head no longer blocks its partition.
	items := claimUntil()
	if len(items) != 1 || string(items[0].Body) != "second" {
		t.Fatalf("after error: %+v", items)
	}
	if err := q.Complete(ctx, items[0].ID, "w", ""); err != nil {
		t.Fatal(err)
	}
	errs, err := q.List(ctx, store.QueueListQuery{Queue: name, State: store.QueueError})
	if err != nil || len(errs) != 1 || errs[0].ID != first || errs[0].LastError != f.Error || errs[0].Attempts != 3 || errs[0].Body != nil {
		t.Fatalf("error list: %+v %v", errs, err)
	}
	counts, err := q.Counts(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range counts {
		if c.Partition == "P" && c.State == store.QueueError {
			found = c.N == 1 && c.LastError == f.Error && c.Type == "ADT^A01" && c.Institution == "h1" && !c.LastErrorAt.IsZero()
		}
	}
	if !found {
		t.Errorf("counts %+v lack P's error", counts)
	}
	// Replay all errored: back to pending, attempts reset, claimable.
	n, err := q.Replay(ctx, name)
	if err != nil || n != 1 {
		t.Fatalf("replay: %d %v", n, err)
	}
	items = claimUntil()
	if items[0].ID != first || items[0].Attempts != 0 {
		t.Fatalf("replayed: %+v", items[0])
	}
	if err := q.Complete(ctx, first, "w", ""); err != nil {
		t.Fatal(err)
	}
	// Replay one done item by id.
	if n, err := q.Replay(ctx, name, first); err != nil || n != 1 {
		t.Fatalf("replay by id: %d %v", n, err)
	}
	// An expired lease makes an item claimable by someone else.
	items = claimUntil()
	if _, err := q.Claim(ctx, store.ClaimRequest{Queue: name, Owner: "x", Partitions: []string{"P"}}); err != nil {
		t.Fatal(err)
	}
	short, err := q.Claim(ctx, store.ClaimRequest{Queue: name, Owner: "x", Partitions: []string{"Q"}, Lease: time.Millisecond})
	if err != nil || len(short) != 1 {
		t.Fatalf("short lease: %+v %v", short, err)
	}
	var again []store.QueueItem
	for ctx.Err() == nil && len(again) == 0 {
		time.Sleep(2 * time.Millisecond)
		again, err = q.Claim(ctx, store.ClaimRequest{Queue: name, Owner: "y", Partitions: []string{"Q"}})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := q.Complete(ctx, short[0].ID, "x", ""); !errors.Is(err, store.ErrConflict) {
		t.Errorf("completing a lost lease: %v", err)
	}
	if err := q.Complete(ctx, again[0].ID, "y", ""); err != nil {
		t.Error(err)
	}
	_ = items
}

func testQueueCursor(t *testing.T, s store.Store) {
	ctx := context.Background()
	tx, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	qt := tx.(store.QueueTx)
	if v, err := qt.Cursor(ctx, "changes.hl7"); err != nil || v != 0 {
		t.Fatalf("unset cursor: %d %v", v, err)
	}
	if err := qt.SetCursor(ctx, "changes.hl7", 41); err != nil {
		t.Fatal(err)
	}
	if err := qt.SetCursor(ctx, "changes.hl7", 42); err != nil {
		t.Fatal(err)
	}
	if _, err := qt.QueueEnqueue(ctx, []store.QueueInput{qin("out", "dest", "", "x")}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	tx, err = s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if v, err := tx.(store.QueueTx).Cursor(ctx, "changes.hl7"); err != nil || v != 42 {
		t.Fatalf("cursor: %d %v", v, err)
	}
}
