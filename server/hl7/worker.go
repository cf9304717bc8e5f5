package hl7

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"yigong/adapters/v2fhir"
	"yigong/fhir"
	"yigong/fhir/r4"
	"yigong/fhir/store"
	"yigong/fhir/transaction"
	"yigong/hl7v2"
)

// Claims: how many items a worker leases at once, and for how long. A
// lease outlives any sane batch; it only matters after a crash, when the
// items of the dead process become claimable again once it ends.
const (
	claimLimit = 16
	claimLease = 15 * time.Second
	idlePoll   = 250 * time.Millisecond // retries falling due are found this often
)

// permanentError marks a failure that retrying cannot fix (a mapping
// error): the item goes to the error state at once.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// work is one inbox worker: claim runs of messages (each run from one
// sender, in order), process them one by one, until ctx ends.
func (s *Service) work(ctx context.Context, owner string) {
	for ctx.Err() == nil {
		s.commit.yield(ctx, 20*time.Millisecond)
		items, err := s.q.Claim(ctx, store.ClaimRequest{Queue: QueueInbox, Owner: owner, Limit: claimLimit,
			PerPartition: claimLimit, Lease: claimLease})
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("hl7 inbox claim failed", "err", err)
				s.sleep(ctx, idlePoll)
			}
			continue
		}
		if len(items) == 0 {
			s.sleep(ctx, idlePoll)
			continue
		}
		s.processRun(ctx, owner, items)
	}
}

// sleep waits for d, a wake-up (new messages committed) or ctx.
func (s *Service) sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-s.wakeInbox:
	}
}

// processRun processes claimed items in order: runs of them in one
// transaction each (processBatch) while that succeeds, else one at a
// time. When one fails, the rest of its sender's run is released
// unprocessed, so the sender's order holds: the failed message is retried
// first.
func (s *Service) processRun(ctx context.Context, owner string, items []store.QueueItem) {
	single := 0 // messages to process on their own after a failed batch
	for i := 0; i < len(items); i++ {
		if ctx.Err() != nil {
			s.release(owner, items[i:])
			return
		}
		if single == 0 && !s.noBatch.Load() && len(items)-i > 1 {
			// The messages in hand finish even when shutdown begins.
			bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			n, err := s.processBatch(bctx, owner, items[i:])
			cancel()
			if err != nil {
				s.log.Debug("hl7 batch failed; processing its messages one at a time", "err", err)
				single = claimLimit
				if fhir.KindOf(err) == fhir.KindNotSupported {
					s.noBatch.Store(true) // the store cannot search inside a transaction
				}
			}
			if n > 0 {
				i += n - 1
				continue
			}
		}
		single = max(0, single-1)
		it := items[i]
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		err := s.process(pctx, owner, &it)
		cancel()
		if err == nil {
			continue
		}
		j := i + 1
		for j < len(items) && items[j].Partition == it.Partition {
			j++
		}
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		s.fail(fctx, owner, &it, err)
		cancel()
		s.release(owner, items[i+1:j])
		i = j - 1
	}
}

func (s *Service) release(owner string, items []store.QueueItem) {
	if len(items) == 0 {
		return
	}
	ids := make([]int64, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.q.Release(ctx, owner, ids...); err != nil {
		s.log.Warn("hl7 release failed; the leases will expire", "err", err)
	}
}

func (s *Service) fail(ctx context.Context, owner string, it *store.QueueItem, err error) {
	max := s.cfg.MaxAttempts
	var pe permanentError
	if errors.As(err, &pe) {
		max = 1
	}
	state, ferr := s.q.Fail(ctx, it.ID, store.QueueFailure{Owner: owner, Error: err.Error(), MaxAttempts: max,
		Backoff: s.cfg.Backoff, MaxBackoff: s.cfg.MaxBackoff})
	log := s.log.With("sender", it.Partition, "control_id", controlID(it), "message_type", it.Type, "inbox_id", it.ID)
	if ferr != nil {
		log.Warn("hl7 recording a failure failed", "err", ferr, "cause", err)
		return
	}
	s.stats.setLastError(it.Partition, it.Type, err.Error())
	if state == store.QueueError {
		s.stats.add(it.Partition, it.Type, func(c *counter) { c.Errored++ })
		log.Error("hl7 message could not be processed: error state", "attempts", it.Attempts+1, "err", err)
		s.applicationAck(ctx, it, hl7v2.AckError, err)
	} else {
		log.Warn("hl7 message processing failed; will retry", "attempts", it.Attempts+1, "err", err)
	}
}

func controlID(it *store.QueueItem) string {
	var m itemMeta
	_ = json.Unmarshal(it.Meta, &m)
	return m.ControlID
}

// mapped is one inbox message parsed and mapped, ready to apply.
type mapped struct {
	it       *store.QueueItem
	meta     itemMeta
	msg      *hl7v2.Message
	node     *fhir.Node // the transaction Bundle; nil when the type is not mapped
	warnings int
	lookedUp bool // the mapping consulted the store (outside any transaction)
}

// mapItem parses and maps one message; it touches no store.
func (s *Service) mapItem(ctx context.Context, it *store.QueueItem) (*mapped, error) {
	m := &mapped{it: it}
	if err := json.Unmarshal(it.Meta, &m.meta); err != nil && len(it.Meta) > 0 {
		return nil, permanentError{fmt.Errorf("hl7: inbox item %d: metadata: %w", it.ID, err)}
	}
	opts := hl7v2.DecodeOptions{Charset: func(hl7v2.Sender, string) string { return m.meta.Charset }}
	msg, err := opts.Parse(it.Body)
	if err != nil {
		return nil, permanentError{fmt.Errorf("hl7: parse: %w", err)}
	}
	m.msg = msg
	res, err := s.mapper(it.Institution).MapWith(ctx, msg, v2fhir.MapOptions{PatientExists: s.patientExists})
	if errors.Is(err, v2fhir.ErrNotMapped) {
		return m, nil // stored, acknowledged per policy, counted; nothing to write
	}
	if err != nil {
		var ve *v2fhir.Error
		if errors.As(err, &ve) {
			return nil, permanentError{err}
		}
		return nil, err
	}
	if m.node, err = r4.ToNode(res.Bundle); err != nil {
		return nil, permanentError{fmt.Errorf("hl7: bundle: %w", err)}
	}
	m.warnings, m.lookedUp = len(res.Warnings), res.LookedUp
	return m, nil
}

// patientExists answers the mapping's question whether a Patient with an
// identifier exists (a merge's prior patient), by search.
func (s *Service) patientExists(ctx context.Context, system, value string) (bool, error) {
	if s.proc.Matcher == nil {
		return true, nil // cannot tell: assume known, as without the option
	}
	q := v2fhir.IdentifierQuery(system, value)
	rs, err := s.proc.Matcher.Match(ctx, "Patient", q)
	if err != nil {
		return false, fmt.Errorf("hl7: look up Patient?%s: %w", q, err)
	}
	return len(rs) > 0, nil
}

// outcome is what an inbox item records of its Bundle's writes:
// Type/id/_history/n of each, exactly what the message wrote.
func outcome(resps []transaction.Response, warnings int) string {
	locs := make([]string, 0, len(resps))
	for _, r := range resps {
		if r.Location != "" {
			locs = append(locs, r.Location)
		}
	}
	out := strings.Join(locs, " ")
	if warnings > 0 {
		out += fmt.Sprintf(" (%d warnings)", warnings)
	}
	return out
}

// processed counts a message applied (and committed).
func (s *Service) processed(m *mapped) {
	s.stats.add(m.it.Partition, m.it.Type, func(c *counter) {
		c.Processed++
		if m.node == nil {
			c.NotMapped++
		}
	})
	if s.log.Enabled(context.Background(), slog.LevelDebug) {
		s.log.Debug("hl7 message processed", "sender", m.it.Partition, "control_id", m.meta.ControlID,
			"message_type", m.it.Type, "inbox_id", m.it.ID)
	}
}

// process maps one message and applies it on its own (a run of one).
func (s *Service) process(ctx context.Context, owner string, it *store.QueueItem) error {
	m, err := s.mapItem(ctx, it)
	if err != nil {
		return err
	}
	_, err = s.apply(ctx, owner, []*mapped{m})
	return classify(err)
}

// processBatch maps a run of messages and applies them in one store
// transaction (apply): one commit (one fsync, each touched page written
// once) for the run instead of one per message; an ORU finds the Patient
// the ADT just before it created. It returns how many of items it applied
// and committed; on any error nothing is committed, and the caller
// processes the messages one at a time, where each failure is handled on
// its own.
func (s *Service) processBatch(ctx context.Context, owner string, items []store.QueueItem) (int, error) {
	ms := make([]*mapped, 0, len(items))
	for i := range items {
		m, err := s.mapItem(ctx, &items[i])
		if err != nil {
			break // this one fails on its own, after the batch before it
		}
		if i > 0 && m.lookedUp {
			break // its mapping saw the store without this batch's writes: it goes first in the next
		}
		ms = append(ms, m)
	}
	if len(ms) < 2 {
		return 0, nil
	}
	return s.apply(ctx, owner, ms)
}

// apply writes a run of mapped messages in one store transaction: each
// Bundle prepared inside it (Processor.PrepareIn, so it sees the writes of
// the messages before it; a run of one may use Prepare when the store
// cannot search in a transaction), its writes, the inbox item marked done and the
// enhanced-mode application ACK queued. After the first message the run
// stops early when received messages wait for the store's writer. It
// returns how many messages it committed; on an error, none.
func (s *Service) apply(ctx context.Context, owner string, ms []*mapped) (int, error) {
	tx, done, err := s.beginWrite(ctx)
	if err != nil {
		return 0, err
	}
	defer done()
	defer tx.Rollback(ctx)
	qt, ok := tx.(store.QueueTx)
	if !ok {
		return 0, errors.New("hl7: the store's transactions cannot complete queue items")
	}
	_, searchable := tx.(store.Searcher)
	inTx := searchable && s.proc.MatchIn != nil
	if len(ms) > 1 && !inTx {
		return 0, fhir.Errorf(fhir.KindNotSupported, "hl7: a run needs searches inside the store's transactions")
	}
	n := 0
	for _, m := range ms {
		if n > 0 && s.commit.waiting.Load() > 0 {
			break
		}
		out := "not-mapped"
		if m.node != nil {
			p := *s.proc
			p.Institution = m.it.Institution
			prepare := p.Prepare // a run of one: searches outside the transaction see the same state
			if inTx {
				prepare = func(ctx context.Context, b *fhir.Node) (*transaction.Prepared, error) { return p.PrepareIn(ctx, tx, b) }
			}
			prep, err := prepare(ctx, m.node)
			if err != nil {
				return 0, err
			}
			resps, err := p.ExecuteIn(ctx, tx, prep)
			if err != nil {
				return 0, err
			}
			out = outcome(resps, m.warnings)
		}
		if err := qt.QueueComplete(ctx, m.it.ID, owner, out); err != nil {
			return 0, err
		}
		if item, ok := s.appAckItem(m.it, m.meta, m.msg, hl7v2.AckAccept, nil); ok {
			if _, err := qt.QueueEnqueue(ctx, []store.QueueInput{item}); err != nil {
				return 0, err
			}
		}
		n++
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, err
	}
	for _, m := range ms[:n] {
		s.processed(m)
	}
	return n, nil
}

// beginWrite begins a write transaction of the inbox workers or the
// notifier. On a store with one writer (store.SingleWriter) they take
// turns through s.writeGate before queueing for it, so that an inbox
// commit, which ACKs wait for, is behind one of their transactions at
// most rather than behind each one queued before it; and each first
// yields to inbox commits already waiting. done must be called once the
// transaction has ended.
func (s *Service) beginWrite(ctx context.Context) (tx store.Tx, done func(), err error) {
	done = func() {}
	if s.writeGate != nil {
		select {
		case s.writeGate <- struct{}{}:
			done = func() { <-s.writeGate }
		case <-ctx.Done():
			return nil, nil, fmt.Errorf("hl7: wait for the store's writer: %w", ctx.Err())
		}
	}
	s.commit.yield(ctx, 20*time.Millisecond)
	if tx, err = s.store.Begin(ctx); err != nil {
		done()
		return nil, nil, err
	}
	return tx, done, nil
}

// classify makes input errors permanent; conflicts, busy stores and
// internal failures are retried.
func classify(err error) error {
	switch fhir.KindOf(err) {
	case fhir.KindInvalid, fhir.KindNotSupported, fhir.KindPrecondition, fhir.KindForbidden:
		return permanentError{err}
	}
	return err
}
