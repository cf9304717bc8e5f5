package dicom

import (
	"context"
	"time"
)

// Small instances' blobs are made durable by the index commit itself: a
// C-STORE'd instance under blobs.SmallMax bytes travels in the same
// transaction as its index rows (store.DICOMInstance.Blob, kept as a
// pending blob), so that one WAL flush makes blob and rows durable
// together and the sender is answered after it alone, rather than after
// the blob's own fsync, rename and folder fsync as well (issue 6: one
// association of 38 KiB CTs, 0.75 ms of server time per instance instead
// of 0.9). After the commit the mover writes the pending blobs to the
// blob store in batches (blobs.PutMany: about two disk flushes a batch)
// and then deletes their rows; until then the blob store finds them in
// the index (blobs.Store.SetPending), so that reads and the duplicate
// check never miss. At start the mover writes whatever a crash left
// pending. Large blobs, and STOW-RS (whose parts are staged to temporary
// files as they arrive, keeping memory bounded), keep the staged path.

const (
	// moveQueue bounds the committed blobs waiting in memory for the
	// mover; a sender waits while it is full.
	moveQueue = 1024
	// moveBatch caps the blobs written at once.
	moveBatch = 128
	// moveLinger is how long the mover lets a batch fill after its first
	// blob: a batch costs the disk about two flushes whatever its size,
	// and they compete with the WAL flushes that answer the senders.
	moveLinger = 50 * time.Millisecond
	// moveFlushAfter is how long written blobs' rows wait before the
	// mover deletes them in one transaction; moveFlushMax rows are
	// deleted at once.
	moveFlushAfter = 200 * time.Millisecond
	moveFlushMax   = 1024
)

// moveItem is a committed pending blob.
type moveItem struct {
	key  string
	data []byte
}

// moved is the mover's bookkeeping: keys written whose rows are still to
// delete, since when, and whether a failure left rows to sweep.
type moved struct {
	keys  []string
	since time.Time
	retry bool
}

// queueMoves hands ps's committed pending blobs to the mover. It waits
// while the queue is full; should ctx end first, or the mover not run,
// the blobs stay pending in the index for the next sweep (at the latest
// at the next start).
func (s *Service) queueMoves(ctx context.Context, ps []*pending) {
	for _, p := range ps {
		if p.row == nil || p.row.Blob == nil {
			continue
		}
		if !s.moving.Load() {
			return
		}
		select {
		case s.moves <- moveItem{key: p.row.BlobKey, data: p.row.Blob}:
		case <-s.moverGone:
			return
		case <-ctx.Done():
			s.kick(s.sweepKick)
			return
		}
	}
}

// mover writes committed pending blobs to the blob store and deletes
// their rows.
func (s *Service) mover(ctx context.Context) {
	defer s.wg.Done()
	defer close(s.moverGone)
	defer s.moving.Store(false)
	var m moved
	s.sweepPending(ctx, &m) // left by a crash
	tick := time.NewTicker(moveFlushAfter / 2)
	defer tick.Stop()
	for {
		var first moveItem
		select {
		case <-ctx.Done():
			return
		case first = <-s.moves:
		case <-s.sweepKick:
			s.sweepPending(ctx, &m)
			continue
		case <-tick.C:
			if m.retry {
				m.retry = false
				s.sweepPending(ctx, &m)
			}
			if len(m.keys) > 0 && time.Since(m.since) >= moveFlushAfter {
				s.flushMoved(ctx, &m)
			}
			continue
		}
		batch := []moveItem{first}
		linger := time.NewTimer(moveLinger)
	fill:
		for len(batch) < moveBatch {
			select {
			case it := <-s.moves:
				batch = append(batch, it)
			case <-linger.C:
				break fill
			case <-ctx.Done():
				break fill
			}
		}
		linger.Stop()
		s.moveBlobs(ctx, batch, &m)
		if len(m.keys) >= moveFlushMax {
			s.flushMoved(ctx, &m)
		}
	}
}

// moveBlobs writes batch to the blob store and records the keys written.
func (s *Service) moveBlobs(ctx context.Context, batch []moveItem, m *moved) {
	if s.holdMoves != nil {
		select {
		case <-s.holdMoves:
		case <-ctx.Done():
			return
		}
	}
	contents := make([][]byte, len(batch))
	for i, it := range batch {
		contents[i] = it.data
	}
	if err := s.opts.Blobs.PutMany(ctx, contents); err != nil {
		if ctx.Err() == nil {
			s.log.WarnContext(ctx, "dicom: write pending blobs", "blobs", len(batch), "err", err)
		}
		m.retry = true
		return
	}
	if len(m.keys) == 0 {
		m.since = time.Now()
	}
	for _, it := range batch {
		m.keys = append(m.keys, it.key)
	}
}

// flushMoved deletes the pending rows of the blobs written.
func (s *Service) flushMoved(ctx context.Context, m *moved) {
	if len(m.keys) == 0 {
		return
	}
	if err := s.deletePending(ctx, m.keys); err != nil {
		if ctx.Err() == nil {
			s.log.WarnContext(ctx, "dicom: delete pending blobs", "blobs", len(m.keys), "err", err)
		}
		m.since = time.Now() // tried again later
		return
	}
	m.keys = m.keys[:0]
}

func (s *Service) deletePending(ctx context.Context, keys []string) error {
	tx, itx, err := s.beginIndex(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if err := itx.DeleteDICOMPendingBlobs(ctx, keys); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// sweepPending writes every blob pending in the index (those a crash
// left, or that were not queued) and deletes their rows.
func (s *Service) sweepPending(ctx context.Context, m *moved) {
	after := ""
	n := 0
	for ctx.Err() == nil {
		bs, err := s.index.DICOMPendingBlobs(ctx, after, moveBatch)
		if err != nil {
			s.log.WarnContext(ctx, "dicom: list pending blobs", "err", err)
			m.retry = true
			break
		}
		if len(bs) == 0 {
			break
		}
		batch := make([]moveItem, len(bs))
		for i, b := range bs {
			batch[i] = moveItem{key: b.Key, data: b.Data}
		}
		s.moveBlobs(ctx, batch, m)
		n += len(bs)
		after = bs[len(bs)-1].Key
		if len(m.keys) >= moveFlushMax {
			s.flushMoved(ctx, m)
		}
	}
	s.flushMoved(ctx, m)
	if n > 0 {
		s.log.InfoContext(ctx, "dicom: pending blobs written", "blobs", n)
	}
}
