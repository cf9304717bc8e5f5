package hl7

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"yigong/fhir/store"
)

// counter holds what the service saw since it started, per sender and
// message type.
type counter struct {
	Received, Acked, Duplicates, Rejected, Processed, Errored, NotMapped int64
	LastError                                                            string
	LastErrorAt                                                          time.Time
}

type stats struct {
	started time.Time

	mu                  sync.Mutex // guards everything below
	m                   map[[2]string]*counter
	lat                 []time.Duration // ring of recent ACK latencies
	latNext             int
	appAckUndeliverable int64
}

const latencyRing = 8192

func newStats() *stats {
	return &stats{started: time.Now(), m: map[[2]string]*counter{}}
}

func (st *stats) add(sender, typ string, f func(*counter)) {
	st.mu.Lock()
	defer st.mu.Unlock()
	k := [2]string{sender, typ}
	c := st.m[k]
	if c == nil {
		c = &counter{}
		st.m[k] = c
	}
	f(c)
}

func (st *stats) setLastError(sender, typ, msg string) {
	st.add(sender, typ, func(c *counter) { c.LastError, c.LastErrorAt = msg, time.Now() })
}

func (st *stats) ackLatency(d time.Duration) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.lat) < latencyRing {
		st.lat = append(st.lat, d)
		return
	}
	st.lat[st.latNext] = d
	st.latNext = (st.latNext + 1) % latencyRing
}

// Stats is the service's report: per sender and message type, what was
// received and acknowledged since start (memory) and what the inbox holds
// (store); the outbox per destination.
type Stats struct {
	Since   time.Time   `json:"since"`
	Inbox   []SenderRow `json:"inbox"`
	Outbox  []OutRow    `json:"outbox"`
	ACKp50  float64     `json:"ack_latency_p50_ms"`
	ACKp99  float64     `json:"ack_latency_p99_ms"`
	Samples int         `json:"ack_latency_samples"`
	// AppAckUndeliverable counts enhanced-mode application ACKs that
	// could not be queued: the sender has no return_addr configured.
	AppAckUndeliverable int64    `json:"app_ack_undeliverable"`
	Notes               []string `json:"notes,omitempty"`
}

// SenderRow is one line of the inbox report. Received, Acked, Duplicates,
// Rejected and NotMapped count since the service started; Stored, Queued,
// Processed and Errored are the inbox's persistent state.
type SenderRow struct {
	Sender      string    `json:"sender"`
	Institution string    `json:"institution,omitempty"`
	Type        string    `json:"message_type"`
	Received    int64     `json:"received"`
	Acked       int64     `json:"acked"`
	Duplicates  int64     `json:"duplicates"`
	Rejected    int64     `json:"rejected"`
	NotMapped   int64     `json:"not_mapped"`
	Stored      int64     `json:"stored"`
	Queued      int64     `json:"queued"`
	Processed   int64     `json:"processed"`
	Errored     int64     `json:"errored"`
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
}

// OutRow is one line of the outbox report.
type OutRow struct {
	Destination string    `json:"destination"`
	Type        string    `json:"message_type"`
	Queued      int64     `json:"queued"`
	Sent        int64     `json:"sent"`
	Dead        int64     `json:"dead_letter"`
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
}

// Stats reports counts per sender and message type.
func (s *Service) Stats(ctx context.Context) (*Stats, error) {
	in, err := s.q.Counts(ctx, QueueInbox)
	if err != nil {
		return nil, err
	}
	out, err := s.q.Counts(ctx, QueueOutbox)
	if err != nil {
		return nil, err
	}
	rows := map[[2]string]*SenderRow{}
	row := func(sender, typ string) *SenderRow {
		k := [2]string{sender, typ}
		r := rows[k]
		if r == nil {
			r = &SenderRow{Sender: sender, Type: typ}
			rows[k] = r
		}
		return r
	}
	for _, c := range in {
		r := row(c.Partition, c.Type)
		r.Institution = c.Institution
		r.Stored += c.N
		switch c.State {
		case store.QueuePending, store.QueueLeased:
			r.Queued += c.N
		case store.QueueDone:
			r.Processed += c.N
		case store.QueueError:
			r.Errored += c.N
		}
		if c.LastErrorAt.After(r.LastErrorAt) {
			r.LastError, r.LastErrorAt = c.LastError, c.LastErrorAt
		}
	}
	rep := &Stats{Since: s.stats.started}
	s.stats.mu.Lock()
	for k, c := range s.stats.m {
		r := row(k[0], k[1])
		r.Received, r.Acked, r.Duplicates, r.Rejected, r.NotMapped = c.Received, c.Acked, c.Duplicates, c.Rejected, c.NotMapped
		if c.LastErrorAt.After(r.LastErrorAt) {
			r.LastError, r.LastErrorAt = c.LastError, c.LastErrorAt
		}
	}
	lat := slices.Clone(s.stats.lat)
	rep.AppAckUndeliverable = s.stats.appAckUndeliverable
	s.stats.mu.Unlock()
	for _, r := range rows {
		rep.Inbox = append(rep.Inbox, *r)
	}
	sort.Slice(rep.Inbox, func(i, j int) bool {
		a, b := rep.Inbox[i], rep.Inbox[j]
		return a.Sender < b.Sender || a.Sender == b.Sender && a.Type < b.Type
	})
	outs := map[[2]string]*OutRow{}
	for _, c := range out {
		k := [2]string{c.Partition, c.Type}
		r := outs[k]
		if r == nil {
			r = &OutRow{Destination: c.Partition, Type: c.Type}
			outs[k] = r
		}
		switch c.State {
		case store.QueuePending, store.QueueLeased:
			r.Queued += c.N
		case store.QueueDone:
			r.Sent += c.N
		case store.QueueError:
			r.Dead += c.N
		}
		if c.LastErrorAt.After(r.LastErrorAt) {
			r.LastError, r.LastErrorAt = c.LastError, c.LastErrorAt
		}
	}
	for _, r := range outs {
		rep.Outbox = append(rep.Outbox, *r)
	}
	sort.Slice(rep.Outbox, func(i, j int) bool {
		a, b := rep.Outbox[i], rep.Outbox[j]
		return a.Destination < b.Destination || a.Destination == b.Destination && a.Type < b.Type
	})
	if len(lat) > 0 {
		slices.Sort(lat)
		rep.Samples = len(lat)
		rep.ACKp50 = ms(lat[len(lat)*50/100])
		rep.ACKp99 = ms(lat[min(len(lat)-1, len(lat)*99/100)])
	}
	if rep.AppAckUndeliverable > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d enhanced-mode application ACKs were not sent: configure return_addr for their senders",
			rep.AppAckUndeliverable))
	}
	return rep, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Messages lists items of the inbox (or, with outbox, the outbox) in a
// state ("" = any), by ascending id after afterID.
func (s *Service) Messages(ctx context.Context, outbox bool, state store.QueueState, afterID int64, limit int) ([]store.QueueItem, error) {
	q := QueueInbox
	if outbox {
		q = QueueOutbox
	}
	return s.q.List(ctx, store.QueueListQuery{Queue: q, State: state, AfterID: afterID, Limit: limit})
}

// Message returns one item with its raw bytes.
func (s *Service) Message(ctx context.Context, id int64) (*store.QueueItem, error) {
	return s.q.Get(ctx, id)
}

// Replay returns one inbox or outbox item (in the error or done state) to
// pending; it reports whether there was such an item.
func (s *Service) Replay(ctx context.Context, id int64) (bool, error) {
	it, err := s.q.Get(ctx, id)
	if err != nil {
		return false, err
	}
	n, err := s.q.Replay(ctx, it.Queue, id)
	if err != nil {
		return false, err
	}
	s.wake(s.wakeInbox, s.cfg.Workers)
	s.wake(s.wakeOutbox, 1)
	return n == 1, nil
}

// ReplayErrors returns every inbox item in the error state to pending
// (and, with outbox, the dead letters of the outbox).
func (s *Service) ReplayErrors(ctx context.Context, outbox bool) (int64, error) {
	q := QueueInbox
	if outbox {
		q = QueueOutbox
	}
	n, err := s.q.Replay(ctx, q)
	if err != nil {
		return 0, err
	}
	s.wake(s.wakeInbox, s.cfg.Workers)
	s.wake(s.wakeOutbox, 1)
	return n, nil
}
