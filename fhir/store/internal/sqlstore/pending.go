package sqlstore

import (
	"context"
	"sync/atomic"

	"yigong/fhir"
	"yigong/fhir/store"
)

// A transaction indexes its writes in the background: writeVersion hands
// the new version to the transaction's index worker (one goroutine, in
// order) and goes on; the rows are written at the next flush, which waits
// for them. Flushes happen at Commit, before a search in the transaction
// (it must see its own writes), and before a resource with rows still
// pending is read for a new version (its idx_mask must be right). On
// SQLite, whose single writer is the bottleneck of ingest, the FHIRPath
// work of indexing thus runs on another core while the writer writes; on
// PostgreSQL the rows of the whole transaction go out in one batch.

// pendingIndex is one version whose index rows are being computed.
type pendingIndex struct {
	ctx     context.Context
	r       *store.Resource
	node    *fhir.Node    // r decoded, or nil (Tx.newVersion)
	done    chan struct{} // closed when entries, mask and err are set
	entries []store.IndexEntry
	mask    int64
	err     error
}

// indexQueue is a transaction's index worker and what it has not flushed.
type indexQueue struct {
	work    chan *pendingIndex
	pending []*pendingIndex
	keys    map[store.Ref]bool // institution, type and id of pending versions
	abandon *atomic.Bool       // set when the transaction ends: skip the rest
}

// queueDepth bounds how far the writer may run ahead of the index worker.
const queueDepth = 64

func (t *Tx) enqueueIndex(ctx context.Context, r *store.Resource, node *fhir.Node) {
	q := &t.idx
	if q.work == nil {
		q.work = make(chan *pendingIndex, queueDepth)
		q.keys = map[store.Ref]bool{}
		q.abandon = &atomic.Bool{}
		go indexWorker(t.e, q.work, q.abandon)
	}
	rc := *r // the caller owns r; the worker reads its own copy
	p := &pendingIndex{ctx: ctx, r: &rc, node: node, done: make(chan struct{})}
	q.work <- p
	q.pending = append(q.pending, p)
	q.keys[r.Ref()] = true
}

func indexWorker(e *Engine, work <-chan *pendingIndex, abandon *atomic.Bool) {
	for p := range work {
		if !abandon.Load() {
			p.entries, p.mask, p.err = e.indexEntries(p.ctx, p.r, p.node)
		}
		close(p.done)
	}
}

// stop ends the worker; what it has not done yet is skipped.
func (q *indexQueue) stop() {
	if q.work != nil {
		q.abandon.Store(true)
		close(q.work)
		q.work = nil
	}
	q.pending, q.keys = nil, nil
}

// flushIndexOf flushes when ref has rows pending.
func (t *Tx) flushIndexOf(ctx context.Context, ref store.Ref) error {
	if !t.idx.keys[ref] {
		return nil
	}
	return t.flushIndex(ctx)
}

// flushIndex waits for the pending index rows and writes them, with each
// resource's idx_mask.
func (t *Tx) flushIndex(ctx context.Context) error {
	q := &t.idx
	if len(q.pending) == 0 {
		return nil
	}
	cp, copies := t.c.(Copier)
	var batch []Stmt
	for _, p := range q.pending {
		select {
		case <-p.done:
		case <-ctx.Done():
			return t.e.wrap("store: index", ctx.Err())
		}
		if p.err != nil {
			return t.e.wrap(opName("index", p.r.Ref()), p.err)
		}
		if copies {
			continue // copyIndex writes them
		}
		batch = t.indexStmts(batch, p.r, 0, p.entries)
		if p.mask != 0 {
			batch = append(batch, Stmt{updateMaskSQL, []any{p.r.Institution, p.r.Type, p.r.ID, p.mask}})
		}
	}
	pending := q.pending
	q.pending = q.pending[:0]
	clear(q.keys)
	var err error
	if copies {
		err = t.copyIndex(ctx, cp, pending)
	} else {
		_, err = execBatch(ctx, t.c, batch)
	}
	if err != nil {
		return t.e.wrap("store: index", err)
	}
	return nil
}
