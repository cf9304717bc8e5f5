package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"yigong/fhir/store"
)

// Options configure a Recorder.
type Options struct {
	Log           store.AuditLog
	Hash          Hash          // default SM3
	Observer      string        // the hub's name in AuditEvent.source
	QueueSize     int           // default 8192
	BatchSize     int           // default 512
	FlushInterval time.Duration // default 50 ms
	Now           func() time.Time
	Logger        *slog.Logger
}

// Stats are the recorder's counters, for the cost of auditing.
type Stats struct {
	Recorded   int64         // events appended
	Batches    int64         // transactions
	AppendTime time.Duration // total time in AppendAudit
	Failures   int64         // append attempts that failed (retried)
}

// Recorder appends events to the chain in batches from one goroutine.
type Recorder struct {
	o     Options
	queue chan Event
	done  chan struct{}
	stop  chan struct{}
	once  sync.Once

	recorded, batches, failures, appendNanos atomic.Int64
}

// ErrClosed is returned by Record after Close.
var ErrClosed = errors.New("audit: recorder closed")

// Start returns a running recorder. Its goroutine ends with Close.
func Start(ctx context.Context, o Options) (*Recorder, error) {
	if o.Log == nil || o.Logger == nil {
		return nil, errors.New("audit: Log and Logger are required")
	}
	if _, err := o.Hash.new(); err != nil {
		return nil, err
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 8192
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 512
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = 50 * time.Millisecond
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	r := &Recorder{o: o, queue: make(chan Event, o.QueueSize), done: make(chan struct{}), stop: make(chan struct{})}
	last, err := o.Log.LastAudit(ctx)
	if err != nil {
		return nil, err
	}
	var seq int64
	var prev []byte
	if last != nil {
		seq, prev = last.Seq, last.Hash
	} else {
		a, err := o.Log.AuditAnchor(ctx)
		if err != nil {
			return nil, err
		}
		seq, prev = a.Seq, a.Hash
	}
	go r.run(seq, prev)
	return r, nil
}

// Record queues ev. It waits when the queue is full (never drops) and fails
// only after Close or when ctx ends first.
func (r *Recorder) Record(ctx context.Context, ev Event) (err error) {
	if ev.Time.IsZero() {
		ev.Time = r.o.Now()
	}
	defer func() {
		if recover() != nil { // send on the closed queue
			err = ErrClosed
		}
	}()
	select {
	case <-r.stop:
		return ErrClosed
	default:
	}
	select {
	case r.queue <- ev:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("audit: record: %w", ctx.Err())
	}
}

// Close stops accepting events, appends everything queued and returns when
// done or when ctx ends (then reporting how many were not written).
func (r *Recorder) Close(ctx context.Context) error {
	r.once.Do(func() {
		close(r.stop)
		close(r.queue)
	})
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("audit: close: %d events not yet written: %w", len(r.queue), ctx.Err())
	}
}

// Stats returns the counters.
func (r *Recorder) Stats() Stats {
	return Stats{Recorded: r.recorded.Load(), Batches: r.batches.Load(), Failures: r.failures.Load(),
		AppendTime: time.Duration(r.appendNanos.Load())}
}

func (r *Recorder) run(seq int64, prev []byte) {
	defer close(r.done)
	tick := time.NewTicker(r.o.FlushInterval)
	defer tick.Stop()
	batch := make([]Event, 0, r.o.BatchSize)
	flush := func() {
		if len(batch) == 0 {
			return
		}
		seq, prev = r.append(seq, prev, batch)
		batch = batch[:0]
	}
	for {
		select {
		case ev, ok := <-r.queue:
			if !ok {
				flush()
				return
			}
			batch = append(batch, ev)
			if len(batch) >= r.o.BatchSize {
				flush()
			}
		case <-tick.C:
			flush()
		}
	}
}

// append writes one batch, retrying with back-off until it succeeds: an
// event is never dropped. A conflict means another writer extended the
// chain (a second hub on the same database): reload its head and re-link.
func (r *Recorder) append(seq int64, prev []byte, evs []Event) (int64, []byte) {
	ctx := context.Background()
	for attempt := 0; ; attempt++ {
		entries := make([]store.AuditEntry, len(evs))
		s, p := seq, prev
		for i, ev := range evs {
			s++
			e := store.AuditEntry{Seq: s, Institution: ev.Institution, Recorded: ev.Time.UTC().Truncate(time.Microsecond),
				Action: string(ev.Action), Outcome: string(ev.Outcome), Agent: ev.Agent, PrevHash: p}
			if ev.Observer == "" {
				ev.Observer = r.o.Observer
			}
			e.Event = ev.AuditEvent(e.Recorded)
			if e.Institution == "" {
				e.Institution = "*"
			}
			h, _ := r.o.Hash.Link(p, &e)
			e.Hash, p = h, h
			entries[i] = e
		}
		t0 := time.Now()
		err := r.o.Log.AppendAudit(ctx, entries)
		r.appendNanos.Add(int64(time.Since(t0)))
		if err == nil {
			r.recorded.Add(int64(len(evs)))
			r.batches.Add(1)
			return s, p
		}
		r.failures.Add(1)
		r.o.Logger.Warn("audit append failed; retrying", "events", len(evs), "attempt", attempt, "err", err)
		if errors.Is(err, store.ErrConflict) {
			if last, lerr := r.o.Log.LastAudit(ctx); lerr == nil && last != nil {
				seq, prev = last.Seq, last.Hash
			}
		}
		time.Sleep(min(time.Duration(attempt+1)*100*time.Millisecond, 5*time.Second))
	}
}

// RetentionFloor is the shortest retention allowed: 180 days (等保 2.0
// requires audit records be kept at least six months).
const RetentionFloor = 180 * 24 * time.Hour

// Purge deletes the entries older than retention (at least RetentionFloor)
// and moves the chain's anchor past them.
func Purge(ctx context.Context, log store.AuditLog, retention time.Duration, now time.Time) (int64, error) {
	if retention < RetentionFloor {
		return 0, fmt.Errorf("audit: retention %v is below the floor of %v", retention, RetentionFloor)
	}
	return log.PurgeAudit(ctx, now.Add(-retention))
}
