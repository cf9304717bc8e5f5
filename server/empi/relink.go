package empi

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"yigong/fhir/empi"
	"yigong/fhir/r4"
	"yigong/fhir/store"
)

// Progress is the state of a relink, reported as it goes.
type Progress struct {
	Phase string // "load", "match", "write"
	Done  int64
	Total int64 // 0 when unknown
}

// RelinkStats sums a relink up.
type RelinkStats struct {
	Patients  int // matchable records
	Links     int // certain pairs
	Clusters  int // persons with two or more records
	Created   int // masters created
	Updated   int // masters that gained links
	Reviews   int // review Tasks created (pairs already queued not counted)
	Load      time.Duration
	Match     time.Duration
	Write     time.Duration
	Conflicts int // clusters spanning several existing masters (put to review)
}

// Relink re-evaluates every current Patient: it reloads the index from the
// store, matches each record against those before it on workers goroutines
// (0: one per CPU), closes the automatic links transitively, then makes sure
// each person of two or more records has a master linking all of them, and
// queues the borderline pairs as review Tasks. Existing masters are kept and
// extended, never split or joined: a person whose records sit under several
// masters is put to review. It is idempotent.
//
// It may run on a live hub, while Run consumes changes in the same Service
// (the hub's `POST /admin/empi/relink` job): it holds the service's work
// token throughout, so the consumer pauses (changes committed meanwhile
// wait in the outbox and are matched once the relink ends) and the two
// never write masters at the same time. While the index reloads (phase
// "load") $match answers KindBusy; afterwards it answers from the reloaded
// index. If ctx is cancelled during the load, Run reloads the index itself.
func (s *Service) Relink(ctx context.Context, workers int, progress func(Progress)) (*RelinkStats, error) {
	if progress == nil {
		progress = func(Progress) {}
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if err := s.lock(ctx); err != nil {
		return nil, fmt.Errorf("empi: relink: waiting for the consumer: %w", err)
	}
	defer s.unlock()
	st := &RelinkStats{}
	t0 := time.Now()
	var patients int64 // the load's total, when the store can count
	if c, ok := s.st.(interface {
		ReindexCount(ctx context.Context, types []string) (int64, error)
	}); ok {
		if n, err := c.ReindexCount(ctx, []string{"Patient"}); err == nil {
			patients = n
		}
	}
	progress(Progress{Phase: "load", Total: patients})
	if err := s.Load(ctx, func(n int64) { progress(Progress{Phase: "load", Done: n, Total: max(patients, n)}) }); err != nil {
		return nil, err
	}
	st.Load = time.Since(t0)

	// Match: each record against the records before it.
	t0 = time.Now()
	s.mu.RLock()
	ix, n := s.ix, s.ix.Len()
	dead := make([]bool, n)
	for i := range dead {
		dead[i] = s.dead[i]
	}
	s.mu.RUnlock()
	st.Patients = n
	type pair struct {
		a, b int
		c    empi.Candidate
	}
	var (
		next, done atomic.Int64
		mu         sync.Mutex
		links      []pair
		reviews    []pair
		wg         sync.WaitGroup
	)
	const chunk = 256
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var myLinks, myReviews []pair
			for ctx.Err() == nil {
				start := int(next.Add(chunk)) - chunk
				if start >= n {
					break
				}
				for i := start; i < min(start+chunk, n); i++ {
					if dead[i] || i == 0 {
						continue
					}
					for _, c := range ix.Match(ix.Record(i), empi.MatchOptions{MinGrade: empi.GradeProbable, Before: i}) {
						if dead[c.Index] {
							continue
						}
						if c.Grade == empi.GradeCertain {
							myLinks = append(myLinks, pair{c.Index, i, c})
						} else {
							myReviews = append(myReviews, pair{c.Index, i, c})
						}
					}
				}
				progress(Progress{Phase: "match", Done: done.Add(int64(min(chunk, n-start))), Total: int64(n)})
			}
			mu.Lock()
			links = append(links, myLinks...)
			reviews = append(reviews, myReviews...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	parent := make([]int32, n)
	for i := range parent {
		parent[i] = int32(i)
	}
	var find func(int32) int32
	find = func(x int32) int32 {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	for _, p := range links {
		ra, rb := find(int32(p.a)), find(int32(p.b))
		if ra != rb {
			parent[max(ra, rb)] = min(ra, rb)
		}
	}
	st.Links = len(links)
	clusters := map[int32][]int{}
	for _, p := range links {
		r := find(int32(p.a))
		if clusters[r] == nil {
			clusters[r] = []int{int(r)}
		}
	}
	for i := 0; i < n; i++ {
		if r := find(int32(i)); clusters[r] != nil && int(r) != i {
			clusters[r] = append(clusters[r], i)
		}
	}
	st.Clusters = len(clusters)
	st.Match = time.Since(t0)

	// Write: masters per cluster, then review Tasks, in batches.
	t0 = time.Now()
	total := int64(len(clusters) + len(reviews))
	var written int64
	w := &batchWriter{s: s}
	defer w.rollback(ctx)
	for _, members := range clusters {
		if err := s.relinkCluster(ctx, w, ix, members, st); err != nil {
			return nil, err
		}
		written++
		if err := w.maybeCommit(ctx); err != nil {
			return nil, err
		}
		if written%1000 == 0 {
			progress(Progress{Phase: "write", Done: written, Total: total})
		}
	}
	queued := map[[2]int32]bool{} // one review per pair of persons
	for _, p := range reviews {
		ra, rb := find(int32(p.a)), find(int32(p.b))
		if ra == rb || queued[[2]int32{min(ra, rb), max(ra, rb)}] {
			written++
			continue
		}
		queued[[2]int32{min(ra, rb), max(ra, rb)}] = true
		a, b := ix.Record(p.a).ID, ix.Record(p.b).ID
		s.mu.RLock()
		ma, mb := s.master[a], s.master[b]
		s.mu.RUnlock()
		if ma != "" && ma == mb {
			written++
			continue
		}
		tx, err := w.tx(ctx)
		if err != nil {
			return nil, err
		}
		created, err := s.review(ctx, tx, b, p.c)
		if err != nil {
			return nil, err
		}
		if created {
			st.Reviews++
		}
		written++
		if err := w.maybeCommit(ctx); err != nil {
			return nil, err
		}
		if written%1000 == 0 {
			progress(Progress{Phase: "write", Done: written, Total: total})
		}
	}
	if err := w.commit(ctx); err != nil {
		return nil, err
	}
	progress(Progress{Phase: "write", Done: total, Total: total})
	st.Write = time.Since(t0)
	return st, nil
}

// relinkCluster makes one master link every record of a person.
func (s *Service) relinkCluster(ctx context.Context, w *batchWriter, ix *empi.Index, members []int, st *RelinkStats) error {
	ids := make([]string, len(members))
	masters := map[string]bool{}
	var first string
	s.mu.RLock()
	for k, m := range members {
		ids[k] = ix.Record(m).ID
		if mid := s.master[ids[k]]; mid != "" {
			if first == "" {
				first = mid
			}
			masters[mid] = true
		}
	}
	s.mu.RUnlock()
	var missing []string
	s.mu.RLock()
	for _, id := range ids {
		if s.master[id] == "" {
			missing = append(missing, id)
		}
	}
	s.mu.RUnlock()
	if len(masters) > 1 {
		st.Conflicts++
	}
	if len(missing) == 0 {
		return nil
	}
	tx, err := w.tx(ctx)
	if err != nil {
		return err
	}
	// Demographics from the newest record (ids are time-ordered positions).
	last, err := tx.Read(ctx, store.Ref{Type: "Patient", ID: ids[len(ids)-1]})
	if err != nil {
		return fmt.Errorf("empi: relink: read Patient/%s: %w", ids[len(ids)-1], err)
	}
	var p r4.Patient
	if err := json.Unmarshal(last.JSON, &p); err != nil {
		return fmt.Errorf("empi: relink: decode Patient/%s: %w", last.ID, err)
	}
	id, err := s.writeMaster(ctx, tx, first, missing, &p)
	if err != nil {
		return err
	}
	if first == "" {
		st.Created++
	} else {
		st.Updated++
	}
	s.mu.Lock()
	s.golden[id] = true
	for _, m := range missing {
		s.linkLocked(m, id)
	}
	s.mu.Unlock()
	return nil
}

// review is writeReview reporting whether a Task was created.
func (s *Service) review(ctx context.Context, tx store.Tx, self string, c empi.Candidate) (bool, error) {
	before := s.reviewsCreated.Load()
	if err := s.writeReview(ctx, tx, self, c); err != nil {
		return false, err
	}
	return s.reviewsCreated.Load() > before, nil
}

// batchWriter groups relink writes into transactions of up to 200 items.
type batchWriter struct {
	s     *Service
	cur   store.Tx
	items int
}

func (w *batchWriter) tx(ctx context.Context) (store.Tx, error) {
	if w.cur == nil {
		tx, err := w.s.st.Begin(ctx)
		if err != nil {
			return nil, fmt.Errorf("empi: relink: begin: %w", err)
		}
		w.cur = tx
	}
	w.items++
	return w.cur, nil
}

func (w *batchWriter) maybeCommit(ctx context.Context) error {
	if w.items >= 200 {
		return w.commit(ctx)
	}
	return nil
}

func (w *batchWriter) commit(ctx context.Context) error {
	if w.cur == nil {
		return nil
	}
	err := w.cur.Commit(ctx)
	w.cur, w.items = nil, 0
	if err != nil {
		return fmt.Errorf("empi: relink: commit: %w", err)
	}
	return nil
}

func (w *batchWriter) rollback(ctx context.Context) {
	if w.cur != nil {
		_ = w.cur.Rollback(ctx)
	}
}
