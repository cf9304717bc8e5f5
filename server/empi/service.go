package empi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"yigong/fhir"
	"yigong/fhir/empi"
	"yigong/fhir/r4"
	"yigong/fhir/store"
	"yigong/server/audit"
)

// Tags, systems and names the service writes.
const (
	// TagSystem and TagGolden mark a master Patient (meta.tag).
	TagSystem = "http://yigong.cn/fhir/CodeSystem/empi"
	TagGolden = "golden"
	// ReviewIDSystem identifies a review Task by its pair of patient ids
	// ("a_b", sorted), so a pair is queued once (conditional create).
	ReviewIDSystem = "http://yigong.cn/fhir/sid/empi-review"
	// CursorName is the consumer's position in the change outbox.
	CursorName = "empi.changes"
	// LifecycleSystem codes Provenance.activity (ISO 21089 record lifecycle
	// events: link, merge, unmerge).
	LifecycleSystem = "http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle"
)

// Options configure a Service.
type Options struct {
	// Institution owns what the service writes (masters, Tasks, Provenance).
	Institution string
	Log         *slog.Logger
	// Model is the matcher's model (nil: empi.DefaultModel()).
	Model *empi.Model
	// Poll is how often Run looks for new changes when idle (0: 200 ms).
	Poll time.Duration
	// Clock returns the current time (nil: time.Now).
	Clock func() time.Time
	// Audit, when set, records an AuditEvent (action update) for each
	// patient a merge or unmerge changes (yigong/server/audit.Recorder).
	Audit Auditor
}

// Auditor records audit events; *audit.Recorder implements it.
type Auditor interface {
	Record(ctx context.Context, ev audit.Event) error
}

// cursorTx is what the service needs of a store transaction to keep its
// position atomically with its writes (store.QueueTx of both engines).
type cursorTx interface {
	SetCursor(ctx context.Context, name string, value int64) error
	Cursor(ctx context.Context, name string) (int64, error)
}

// Service is the EMPI service over one store. Build it with New, start
// Run in a goroutine; Match, Merge and Unmerge may be called concurrently.
type Service struct {
	st    store.Store
	se    store.Searcher
	inst  string
	log   *slog.Logger
	model *empi.Model
	poll  time.Duration
	now   func() time.Time
	audit Auditor

	ready  atomic.Bool
	loaded atomic.Int64 // Patients read while loading

	mu      sync.RWMutex
	ix      *empi.Index
	pos     map[string]int      // patient id → its current position in ix
	dead    map[int]bool        // positions not to be matched (superseded, deleted, inactive, replaced)
	master  map[string]string   // source patient id → master patient id
	members map[string][]string // master patient id → the sources it links
	golden  map[string]bool     // master patient ids

	cursor         atomic.Int64 // last change processed (persisted or not)
	reviewsCreated atomic.Int64 // review Tasks created since New

	// work is held (a token in a one-slot channel, so waiting honours a
	// context) by whoever loads the index or writes masters from it: Run's
	// load, each Sync and a Relink. A relink on a running hub therefore
	// pauses the incremental consumer instead of racing it (relink.go).
	work chan struct{}
}

// New returns a service over st, which must implement store.Searcher.
func New(st store.Store, opts Options) (*Service, error) {
	se, ok := st.(store.Searcher)
	if !ok {
		return nil, errors.New("empi: the store cannot search")
	}
	if opts.Institution == "" || opts.Log == nil {
		return nil, errors.New("empi: Institution and Log are required")
	}
	s := &Service{st: st, se: se, inst: opts.Institution, log: opts.Log, model: opts.Model,
		poll: opts.Poll, now: opts.Clock, audit: opts.Audit, work: make(chan struct{}, 1)}
	if s.model == nil {
		s.model = empi.DefaultModel()
	}
	if s.poll <= 0 {
		s.poll = 200 * time.Millisecond
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.reset()
	return s, nil
}

func (s *Service) reset() {
	s.mu.Lock()
	s.ix = empi.NewIndex(empi.Options{Model: s.model})
	s.pos = map[string]int{}
	s.dead = map[int]bool{}
	s.master = map[string]string{}
	s.members = map[string][]string{}
	s.golden = map[string]bool{}
	s.mu.Unlock()
}

// Ready reports whether the index has been loaded.
func (s *Service) Ready() bool { return s.ready.Load() }

// Run loads the index from the store, then consumes the change outbox until
// ctx is done (returning nil then). A failing change is retried with
// backoff, never skipped.
func (s *Service) Run(ctx context.Context) error {
	if err := s.reload(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	backoff := s.poll
	for {
		if !s.ready.Load() { // a relink was cancelled while it reloaded the index
			if err := s.reload(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("empi: reloading the index", "err", err)
			}
		}
		n, err := s.Sync(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			s.log.Warn("empi: processing changes", "err", err, "retry_in", backoff)
			backoff = min(backoff*2, 30*time.Second)
		default:
			backoff = s.poll
			if n > 0 {
				continue
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
	}
}

// lock takes the service's work token, waiting until ctx is done.
func (s *Service) lock(ctx context.Context) error {
	select {
	case s.work <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Service) unlock() { <-s.work }

// reload is Load holding the work token, unless the index is loaded.
func (s *Service) reload(ctx context.Context) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.unlock()
	if s.ready.Load() {
		return nil
	}
	return s.Load(ctx, nil)
}

// Load rebuilds the index from the store: every current Patient, read a
// page at a time, and the consumer's persisted position. progress, if not
// nil, is called after each page with the number of Patients read.
func (s *Service) Load(ctx context.Context, progress func(n int64)) error {
	s.ready.Store(false)
	s.reset()
	s.loaded.Store(0)
	start := time.Now()
	cur, err := s.readCursor(ctx)
	if err != nil {
		return err
	}
	s.cursor.Store(cur)
	err = scanPatients(ctx, s.se, func(r *store.Resource, p *r4.Patient) {
		s.observe(r, p)
		if n := s.loaded.Add(1); progress != nil && n%1000 == 0 {
			progress(n)
		}
	})
	if err != nil {
		return err
	}
	if progress != nil {
		progress(s.loaded.Load())
	}
	s.ready.Store(true)
	s.log.Info("empi: index loaded", "patients", s.loaded.Load(), "masters", len(s.golden),
		"cursor", cur, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// scanPatients calls fn for every current Patient, in id order.
func scanPatients(ctx context.Context, se store.Searcher, fn func(*store.Resource, *r4.Patient)) error {
	q := store.SearchQuery{Type: "Patient", Count: store.MaxCount}
	for {
		page, err := se.Search(ctx, q)
		if err != nil {
			return fmt.Errorf("empi: load patients: %w", err)
		}
		for _, r := range page.Entries {
			var p r4.Patient
			if err := json.Unmarshal(r.JSON, &p); err != nil {
				return fmt.Errorf("empi: load Patient/%s: %w", r.ID, err)
			}
			fn(r, &p)
		}
		if page.Next == "" {
			return nil
		}
		q.Cursor = page.Next
	}
}

func (s *Service) readCursor(ctx context.Context) (int64, error) {
	tx, err := s.st.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("empi: read cursor: %w", err)
	}
	defer tx.Rollback(ctx)
	ct, ok := tx.(cursorTx)
	if !ok {
		return 0, errors.New("empi: the store keeps no consumer cursors (store.QueueTx)")
	}
	return ct.Cursor(ctx, CursorName)
}

// kind classifies a Patient for matching.
type kind int

const (
	kindSource  kind = iota // an institution's record: matched and matchable
	kindGolden              // a master written by this service
	kindRetired             // active=false or replaced-by: kept out of matching
)

func classify(p *r4.Patient) kind {
	if isGolden(p) {
		return kindGolden
	}
	if p.Active != nil && !*p.Active {
		return kindRetired
	}
	for _, l := range p.Link {
		if l.Type == "replaced-by" {
			return kindRetired
		}
	}
	return kindSource
}

func isGolden(p *r4.Patient) bool {
	if p.Meta == nil {
		return false
	}
	for _, t := range p.Meta.Tag {
		if t.System == TagSystem && t.Code == TagGolden {
			return true
		}
	}
	return false
}

// observe brings the in-memory state up to date with one current Patient
// and returns its index position (-1 when it is not matchable).
func (s *Service) observe(r *store.Resource, p *r4.Patient) int {
	k := classify(p)
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.pos[r.ID]; ok {
		s.dead[old] = true
		delete(s.pos, r.ID)
	}
	switch k {
	case kindGolden:
		// The master's links are the truth: a link a person removed by
		// hand unlinks that source.
		s.golden[r.ID] = true
		s.unlinkAll(r.ID)
		for _, l := range p.Link {
			if l.Other != nil && l.Type == "seealso" {
				if id, ok := patientID(l.Other.Reference); ok {
					s.linkLocked(id, r.ID)
				}
			}
		}
		return -1
	case kindRetired:
		return -1
	}
	i := s.ix.Add(empi.FromPatient(p, r.Institution))
	s.pos[r.ID] = i
	return i
}

// forget removes a deleted patient from matching.
func (s *Service) forget(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.pos[id]; ok {
		s.dead[old] = true
		delete(s.pos, id)
	}
	if s.golden[id] {
		delete(s.golden, id)
		s.unlinkAll(id)
	}
}

// linkLocked records that master links src; s.mu is held.
func (s *Service) linkLocked(src, master string) {
	if old := s.master[src]; old == master {
		return
	}
	s.master[src] = master
	s.members[master] = append(s.members[master], src)
}

// unlinkAll forgets every link of a master; s.mu is held.
func (s *Service) unlinkAll(master string) {
	for _, src := range s.members[master] {
		if s.master[src] == master {
			delete(s.master, src)
		}
	}
	delete(s.members, master)
}

// patientID returns the id of a local Patient reference ("Patient/1",
// "Patient/1/_history/2").
func patientID(ref string) (string, bool) {
	rest, ok := cutPrefix(ref, "Patient/")
	if !ok || rest == "" {
		return "", false
	}
	for i := 0; i < len(rest); i++ {
		if rest[i] == '/' {
			return rest[:i], true
		}
	}
	return rest, true
}

func cutPrefix(s, p string) (string, bool) {
	if len(s) >= len(p) && s[:len(p)] == p {
		return s[len(p):], true
	}
	return s, false
}

// live filters candidates to current, matchable records other than self,
// one per patient, best first.
func (s *Service) live(cs []empi.Candidate, self string) []empi.Candidate {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := cs[:0]
	seen := map[string]bool{}
	for _, c := range cs {
		if s.dead[c.Index] || c.ID == self || seen[c.ID] {
			continue
		}
		seen[c.ID] = true
		out = append(out, c)
	}
	return out
}

// MatchPatient answers Patient/$match: the current Patients p may be the
// same person as, best first, each with its score and grade (Candidate.ID is
// the Patient id). onlyCertain keeps grade certain; count bounds the answer
// (0: all). Until the index has loaded it fails with KindBusy.
func (s *Service) MatchPatient(ctx context.Context, p *r4.Patient, onlyCertain bool, count int) ([]empi.Candidate, error) {
	if !s.ready.Load() {
		return nil, fhir.Errorf(fhir.KindBusy, "empi: the match index is loading (%d patients so far); retry shortly", s.loaded.Load())
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	ix := s.ix
	s.mu.RUnlock()
	cs := s.live(ix.MatchPatient(p, "", onlyCertain, 0), p.ID)
	if count > 0 && len(cs) > count {
		cs = cs[:count]
	}
	return cs, nil
}

// MasterOf returns the master Patient id of a source patient ("" if none).
func (s *Service) MasterOf(id string) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.master[id]
}

// sortedPair returns "a_b" with a < b: the identifier value of a review
// Task ('_' is not allowed in FHIR ids, so the pair is unambiguous).
func sortedPair(a, b string) string {
	p := []string{a, b}
	slices.Sort(p)
	return p[0] + "_" + p[1]
}

// Position returns the sequence number of the last change processed.
func (s *Service) Position() int64 { return s.cursor.Load() }
