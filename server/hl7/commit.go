package hl7

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"yigong/fhir/store"
)

// errStopped: the committer has stopped; the message is not stored and
// not acknowledged.
var errStopped = errors.New("hl7: inbox committer stopped")

// committer is the group committer: one goroutine takes every received
// message, commits all that are waiting (up to max) in one store
// transaction, then releases their handlers, which write the ACKs. While
// one commit (one fsync) runs, the messages of the other connections
// gather for the next, so the cost of a commit is shared by as many
// messages as arrive during it.
type committer struct {
	q     store.Queue
	in    chan *submission
	max   int
	after func(items []store.QueueInput, res []store.Enqueued) // on success, before releasing the handlers
	done  chan struct{}                                        // closed when run returns
	// waiting counts submissions not yet committed. Workers check it
	// before taking the store's writer (SQLite has one): acknowledging
	// received messages goes before applying stored ones.
	waiting atomic.Int64
	idle    chan struct{} // signalled when waiting drops to 0
}

type submission struct {
	item store.QueueInput
	res  store.Enqueued
	err  error
	done chan struct{}
}

func newCommitter(q store.Queue, max int) *committer {
	return &committer{q: q, in: make(chan *submission, max), max: max, done: make(chan struct{}), idle: make(chan struct{}, 1)}
}

// yield waits, at most d, while received messages wait to be committed.
func (c *committer) yield(ctx context.Context, d time.Duration) {
	if c.waiting.Load() == 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	for c.waiting.Load() > 0 {
		select {
		case <-c.idle:
		case <-t.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

// submit hands item to the committer and waits until it is committed.
func (c *committer) submit(ctx context.Context, item store.QueueInput) (store.Enqueued, error) {
	sub := &submission{item: item, done: make(chan struct{})}
	c.waiting.Add(1)
	select {
	case c.in <- sub:
	case <-c.done:
		c.settle(1)
		return store.Enqueued{}, errStopped
	case <-ctx.Done():
		c.settle(1)
		return store.Enqueued{}, fmt.Errorf("hl7: enqueue: %w", ctx.Err())
	}
	select {
	case <-sub.done:
		return sub.res, sub.err
	case <-c.done:
		// run may have finished this submission just before returning
		select {
		case <-sub.done:
			return sub.res, sub.err
		default:
			return store.Enqueued{}, errStopped
		}
	case <-ctx.Done():
		// The commit may still happen; without an ACK the sender resends
		// and the duplicate is recognised.
		return store.Enqueued{}, fmt.Errorf("hl7: enqueue: %w", ctx.Err())
	}
}

// run commits batches until ctx is done. Submissions still waiting then
// fail with errStopped (their senders get no ACK and resend).
func (c *committer) run(ctx context.Context) {
	defer close(c.done)
	batch := make([]*submission, 0, c.max)
	items := make([]store.QueueInput, 0, c.max)
	for {
		batch, items = batch[:0], items[:0]
		select {
		case s := <-c.in:
			batch = append(batch, s)
		case <-ctx.Done():
			c.drain()
			return
		}
	gather:
		for len(batch) < c.max {
			select {
			case s := <-c.in:
				batch = append(batch, s)
			default:
				break gather
			}
		}
		for _, s := range batch {
			items = append(items, s.item)
		}
		res, err := c.q.Enqueue(ctx, items)
		if err == nil && c.after != nil {
			c.after(items, res)
		}
		for i, s := range batch {
			if err != nil {
				s.err = fmt.Errorf("hl7: inbox commit: %w", err)
			} else {
				s.res = res[i]
			}
			close(s.done)
		}
		c.settle(len(batch))
	}
}

func (c *committer) settle(n int) {
	if c.waiting.Add(int64(-n)) == 0 {
		select {
		case c.idle <- struct{}{}:
		default:
		}
	}
}

func (c *committer) drain() {
	for {
		select {
		case s := <-c.in:
			s.err = errStopped
			close(s.done)
			c.settle(1)
		default:
			return
		}
	}
}
