// Package jobs runs the hub's long-running work (reindexing, EMPI relink,
// later imports and exports) as asynchronous jobs inside the running
// process, so that an HTTP request only starts a job and any client can
// follow or cancel it afterwards.
//
// A Registry owns the jobs. Each job has a kind ("reindex", "empi-relink"),
// an id, a state (queued, running, done, failed, cancelled), its progress
// (phase, done of total, rate and estimated time left in the current
// phase), when it was created, started and finished, and its result or
// error. At most one job of a kind runs at a time: a second Start of that
// kind fails with a *BusyError naming the running job. Jobs run under the
// registry's context (the server's lifetime, never a request's), so they
// outlive the request that started them; Cancel cancels one, Close all.
// The last Options.Keep finished jobs stay visible.
//
// The package holds no global state: the server builds one Registry and
// the API handlers share it.
package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// State is where a job is in its life.
type State string

// The states of a job. Done, Failed and Cancelled are final.
const (
	Queued    State = "queued"
	Running   State = "running"
	Done      State = "done"
	Failed    State = "failed"
	Cancelled State = "cancelled"
)

// Final reports whether s is a final state.
func (s State) Final() bool { return s == Done || s == Failed || s == Cancelled }

// Progress is what a job reports as it goes: its phase and how many of
// Total items of that phase are done (Total 0: unknown).
type Progress struct {
	Phase string
	Done  int64
	Total int64
}

// Func is a job's body. It calls report whenever it has made progress
// (report is cheap and safe from several goroutines), returns promptly once
// ctx is cancelled, and returns its result (a JSON-encodable value shown to
// clients) or an error.
type Func func(ctx context.Context, report func(Progress)) (any, error)

// Spec describes a job to start.
type Spec struct {
	Kind   string // one job of a kind at a time
	Detail string // what it works on, shown to operators ("_type=Patient")
	Owner  string // who started it (the principal's subject), shown to operators
}

// Snapshot is a job's state at one moment, as the API shows it.
type Snapshot struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Detail string `json:"detail,omitempty"`
	Owner  string `json:"owner,omitempty"`
	State  State  `json:"state"`
	Phase  string `json:"phase,omitempty"`
	Done   int64  `json:"done"`
	Total  int64  `json:"total"`
	// Rate is items per second in the current phase; ETA the estimated
	// time left in it (0 when unknown).
	Rate     float64       `json:"rate"`
	ETA      time.Duration `json:"-"`
	Created  time.Time     `json:"created"`
	Started  time.Time     `json:"started,omitzero"`
	Finished time.Time     `json:"finished,omitzero"`
	Elapsed  time.Duration `json:"-"`
	Error    string        `json:"error,omitempty"`
	Result   any           `json:"result,omitempty"`
	// ETASeconds and ElapsedSeconds are ETA and Elapsed for JSON.
	ETASeconds     float64 `json:"eta_seconds,omitempty"`
	ElapsedSeconds float64 `json:"elapsed_seconds"`
}

// Percent is Done of Total in percent (0 when Total is unknown).
func (s Snapshot) Percent() float64 {
	if s.Total <= 0 {
		return 0
	}
	return 100 * float64(s.Done) / float64(s.Total)
}

// Line renders the progress in one line for a terminal or an X-Progress
// header: "reindex 1200/5000 (24%), 850/s, 4s left".
func (s Snapshot) Line() string {
	line := string(s.State)
	if s.Phase != "" {
		line = s.Phase
	}
	line += fmt.Sprintf(" %d", s.Done)
	if s.Total > 0 {
		line += fmt.Sprintf("/%d (%.0f%%)", s.Total, s.Percent())
	}
	if s.Rate > 0 {
		line += fmt.Sprintf(", %.0f/s", s.Rate)
	}
	if s.ETA > 0 {
		line += fmt.Sprintf(", %s left", s.ETA.Round(time.Second))
	}
	return line
}

// ErrNotFound is returned for an unknown (or forgotten) job id.
var ErrNotFound = errors.New("jobs: no such job")

// ErrBusy is matched (errors.Is) by a *BusyError.
var ErrBusy = errors.New("jobs: a job of this kind is running")

// ErrClosed is returned by Start once the registry is closed.
var ErrClosed = errors.New("jobs: the registry is closed")

// BusyError is Start's error when a job of the same kind is running.
type BusyError struct {
	Running Snapshot
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("jobs: a %s job is already %s (%s)", e.Running.Kind, e.Running.State, e.Running.ID)
}

// Is makes errors.Is(err, ErrBusy) true.
func (e *BusyError) Is(target error) bool { return target == ErrBusy }

// Options configure a Registry.
type Options struct {
	// Keep is how many finished jobs stay visible (0: 20).
	Keep int
	// Log receives a line when a job starts and ends (nil: discard).
	Log *slog.Logger
	// Clock returns the current time (nil: time.Now).
	Clock func() time.Time
}

// Registry runs and remembers jobs. Its methods are safe for concurrent use.
type Registry struct {
	ctx    context.Context
	cancel context.CancelFunc
	keep   int
	log    *slog.Logger
	now    func() time.Time
	wg     sync.WaitGroup

	mu     sync.Mutex
	jobs   []*job // oldest first
	closed bool
}

// New returns a registry whose jobs run under ctx (the server's lifetime:
// cancelling it cancels every job, as Close does).
func New(ctx context.Context, opts Options) *Registry {
	r := &Registry{keep: opts.Keep, log: opts.Log, now: opts.Clock}
	if r.keep <= 0 {
		r.keep = 20
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.now == nil {
		r.now = time.Now
	}
	r.ctx, r.cancel = context.WithCancel(ctx)
	return r
}

// job is one job; its fields after the first block are guarded by mu.
type job struct {
	id, kind, detail, owner string
	created                 time.Time
	cancel                  context.CancelFunc
	done                    chan struct{} // closed when the job is final

	mu         sync.Mutex
	state      State
	progress   Progress
	phaseStart time.Time // when the current phase was first reported
	phaseBase  int64     // Done at phaseStart
	started    time.Time
	finished   time.Time
	err        string
	result     any
}

// Start starts fn as a job of spec.Kind and returns its first snapshot. If
// a job of that kind is queued or running, it fails with a *BusyError.
func (r *Registry) Start(spec Spec, fn Func) (Snapshot, error) {
	if spec.Kind == "" || fn == nil {
		return Snapshot{}, errors.New("jobs: Start needs a kind and a function")
	}
	id, err := newID()
	if err != nil {
		return Snapshot{}, err
	}
	r.mu.Lock()
	if r.closed || r.ctx.Err() != nil {
		r.mu.Unlock()
		return Snapshot{}, ErrClosed
	}
	for _, j := range r.jobs {
		if j.kind == spec.Kind && !j.snapshot(r.now()).State.Final() {
			r.mu.Unlock()
			return Snapshot{}, &BusyError{Running: j.snapshot(r.now())}
		}
	}
	ctx, cancel := context.WithCancel(r.ctx)
	j := &job{id: id, kind: spec.Kind, detail: spec.Detail, owner: spec.Owner, created: r.now(), cancel: cancel,
		done: make(chan struct{}), state: Queued}
	r.jobs = append(r.jobs, j)
	r.trimLocked()
	r.wg.Add(1)
	r.mu.Unlock()
	go r.run(ctx, j, fn)
	return j.snapshot(r.now()), nil
}

// run executes one job and records its outcome.
func (r *Registry) run(ctx context.Context, j *job, fn Func) {
	defer r.wg.Done()
	defer j.cancel()
	start := r.now()
	j.mu.Lock()
	j.state, j.started, j.phaseStart = Running, start, start
	j.mu.Unlock()
	r.log.Info("job started", "job", j.id, "kind", j.kind, "detail", j.detail, "owner", j.owner)
	res, err := func() (res any, err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("jobs: %s job panicked: %v", j.kind, p)
			}
		}()
		return fn(ctx, func(p Progress) { j.report(p, r.now()) })
	}()
	end := r.now()
	j.mu.Lock()
	j.finished = end
	switch {
	case err != nil && ctx.Err() != nil:
		j.state, j.err = Cancelled, "cancelled"
	case err != nil:
		j.state, j.err = Failed, err.Error()
	default:
		j.state, j.result = Done, res
	}
	state := j.state
	j.mu.Unlock()
	close(j.done)
	lvl := slog.LevelInfo
	if state == Failed {
		lvl = slog.LevelWarn
	}
	r.log.Log(context.Background(), lvl, "job finished", "job", j.id, "kind", j.kind, "state", state,
		"took", end.Sub(start).Round(time.Millisecond), "err", err)
	r.mu.Lock()
	r.trimLocked()
	r.mu.Unlock()
}

// report records progress; a new phase restarts the rate.
func (j *job) report(p Progress, now time.Time) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.state.Final() {
		return
	}
	if p.Phase != j.progress.Phase {
		j.phaseStart, j.phaseBase = now, 0
	} else if p.Done < j.progress.Done && p.Total == j.progress.Total {
		return // workers report out of order: keep the furthest
	}
	j.progress = p
}

// snapshot copies the job's state at now.
func (j *job) snapshot(now time.Time) Snapshot {
	j.mu.Lock()
	defer j.mu.Unlock()
	s := Snapshot{ID: j.id, Kind: j.kind, Detail: j.detail, Owner: j.owner, State: j.state, Phase: j.progress.Phase,
		Done: j.progress.Done, Total: j.progress.Total, Created: j.created, Started: j.started, Finished: j.finished,
		Error: j.err, Result: j.result}
	end := now
	if !j.finished.IsZero() {
		end = j.finished
	}
	if !j.started.IsZero() {
		s.Elapsed = end.Sub(j.started)
	}
	if d := end.Sub(j.phaseStart).Seconds(); j.state == Running && d > 0 && s.Done > j.phaseBase {
		s.Rate = float64(s.Done-j.phaseBase) / d
		if s.Total > s.Done {
			s.ETA = time.Duration(float64(s.Total-s.Done) / s.Rate * float64(time.Second))
		}
	}
	s.ETASeconds = s.ETA.Seconds()
	s.ElapsedSeconds = s.Elapsed.Seconds()
	return s
}

// trimLocked forgets the oldest finished jobs beyond keep; r.mu is held.
func (r *Registry) trimLocked() {
	finished := 0
	for _, j := range r.jobs {
		if j.isFinal() {
			finished++
		}
	}
	out := r.jobs[:0]
	for _, j := range r.jobs {
		if finished > r.keep && j.isFinal() {
			finished--
			continue
		}
		out = append(out, j)
	}
	clear(r.jobs[len(out):])
	r.jobs = out
}

func (j *job) isFinal() bool {
	select {
	case <-j.done:
		return true
	default:
		return false
	}
}

func (r *Registry) find(id string) *job {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, j := range r.jobs {
		if j.id == id {
			return j
		}
	}
	return nil
}

// Get returns a job's snapshot.
func (r *Registry) Get(id string) (Snapshot, error) {
	j := r.find(id)
	if j == nil {
		return Snapshot{}, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	return j.snapshot(r.now()), nil
}

// List returns every job the registry remembers, newest first.
func (r *Registry) List() []Snapshot {
	r.mu.Lock()
	js := append([]*job(nil), r.jobs...)
	r.mu.Unlock()
	now := r.now()
	out := make([]Snapshot, 0, len(js))
	for i := len(js) - 1; i >= 0; i-- {
		out = append(out, js[i].snapshot(now))
	}
	return out
}

// Running returns the job of kind that is queued or running, if any.
func (r *Registry) Running(kind string) (Snapshot, bool) {
	for _, s := range r.List() {
		if s.Kind == kind && !s.State.Final() {
			return s, true
		}
	}
	return Snapshot{}, false
}

// Cancel asks a job to stop and returns its snapshot; cancelling a finished
// job changes nothing. The job becomes cancelled once its function returns
// (Wait for it).
func (r *Registry) Cancel(id string) (Snapshot, error) {
	j := r.find(id)
	if j == nil {
		return Snapshot{}, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	j.cancel()
	return j.snapshot(r.now()), nil
}

// Wait blocks until the job is final or ctx is done, and returns its
// snapshot.
func (r *Registry) Wait(ctx context.Context, id string) (Snapshot, error) {
	j := r.find(id)
	if j == nil {
		return Snapshot{}, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	select {
	case <-j.done:
		return j.snapshot(r.now()), nil
	case <-ctx.Done():
		return j.snapshot(r.now()), fmt.Errorf("jobs: wait for %s: %w", id, ctx.Err())
	}
}

// Close cancels every job, refuses new ones and waits until all have
// returned or ctx is done.
func (r *Registry) Close(ctx context.Context) error {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.cancel()
	done := make(chan struct{})
	go func() {
		r.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("jobs: close: jobs still running: %w", ctx.Err())
	}
}

// newID returns a random job id (16 hex digits, valid as a FHIR id).
func newID() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("jobs: id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}
