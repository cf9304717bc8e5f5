package empi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"yigong/fhir/empi"
	"yigong/fhir/r4"
	"yigong/fhir/store"
)

// batch is how many outbox entries Sync reads at a time.
const batch = 500

// Sync processes every change committed after the consumer's position and
// returns how many it read. Run calls it in a loop; tests call it to wait
// for the service to catch up.
func (s *Service) Sync(ctx context.Context) (int, error) {
	if err := s.lock(ctx); err != nil {
		return 0, err
	}
	defer s.unlock()
	if !s.ready.Load() {
		return 0, errors.New("empi: not loaded")
	}
	total := 0
	for {
		after := s.cursor.Load()
		changes, err := s.st.Changes(ctx, after, batch)
		if err != nil {
			return total, fmt.Errorf("empi: read changes after %d: %w", after, err)
		}
		if len(changes) == 0 {
			return total, nil
		}
		persisted := true
		for _, c := range changes {
			wrote, err := s.process(ctx, c)
			if err != nil {
				if !persisted {
					_ = s.saveCursor(ctx)
				}
				return total, err
			}
			s.cursor.Store(c.Seq)
			persisted = wrote
			total++
		}
		if !persisted {
			if err := s.saveCursor(ctx); err != nil {
				return total, err
			}
		}
	}
}

// saveCursor persists the in-memory position on its own.
func (s *Service) saveCursor(ctx context.Context) error {
	tx, err := s.st.Begin(ctx)
	if err != nil {
		return fmt.Errorf("empi: save cursor: %w", err)
	}
	defer tx.Rollback(ctx)
	if err := tx.(cursorTx).SetCursor(ctx, CursorName, s.cursor.Load()); err != nil {
		return fmt.Errorf("empi: save cursor: %w", err)
	}
	return tx.Commit(ctx)
}

// process handles one change; wrote reports whether it committed a
// transaction that also stored the cursor (at c.Seq).
func (s *Service) process(ctx context.Context, c store.Change) (wrote bool, err error) {
	if c.Type != "Patient" {
		return false, nil
	}
	if c.Op == store.OpDelete {
		s.forget(c.ID)
		return false, nil
	}
	r, err := s.st.Read(ctx, store.Ref{Institution: c.Institution, Type: "Patient", ID: c.ID})
	switch {
	case errors.Is(err, store.ErrGone), errors.Is(err, store.ErrNotFound):
		s.forget(c.ID)
		return false, nil
	case err != nil:
		return false, fmt.Errorf("empi: read Patient/%s: %w", c.ID, err)
	}
	if r.Version > c.Version {
		// A later change of this patient is on its way; it will be
		// handled then (with the same current version).
		return false, nil
	}
	var p r4.Patient
	if err := json.Unmarshal(r.JSON, &p); err != nil {
		return false, fmt.Errorf("empi: decode Patient/%s: %w", c.ID, err)
	}
	if s.observe(r, &p) < 0 {
		return false, nil
	}
	plan := s.decide(r.ID, &p)
	if plan.empty() {
		return false, nil
	}
	if err := s.apply(ctx, plan, c.Seq); err != nil {
		return false, err
	}
	return true, nil
}

// plan is what one matched patient leads to.
type plan struct {
	self    string           // the patient just matched
	selfP   *r4.Patient      // its content (for the master's demographics)
	master  string           // existing master to update ("" = create one)
	members []string         // sources the master must link (self included)
	review  []empi.Candidate // pairs (self, candidate) for a human
	refresh bool             // update the master's demographics from self
}

func (p *plan) empty() bool { return len(p.members) == 0 && len(p.review) == 0 && !p.refresh }

// decide matches a source patient and plans the links and reviews.
func (s *Service) decide(id string, p *r4.Patient) plan {
	s.mu.RLock()
	ix := s.ix
	s.mu.RUnlock()
	cands := s.live(ix.Match(empi.FromPatient(p, ""), empi.MatchOptions{MinGrade: empi.GradeProbable}), id)

	s.mu.RLock()
	defer s.mu.RUnlock()
	pl := plan{self: id, selfP: p, master: s.master[id]}
	if pl.master == "" { // a merge survivor inherits the master of what it replaced
		for _, l := range p.Link {
			if l.Type != "replaces" || l.Other == nil {
				continue
			}
			if old, ok := patientID(l.Other.Reference); ok && s.master[old] != "" {
				pl.master = s.master[old]
				break
			}
		}
	}
	var certain []empi.Candidate
	for _, c := range cands {
		if c.Grade == empi.GradeCertain {
			certain = append(certain, c)
		}
	}
	for _, c := range certain {
		if m := s.master[c.ID]; pl.master == "" && m != "" {
			pl.master = m
		}
	}
	reviewed := map[string]bool{} // masters already put to review with self
	for _, c := range cands {
		m := s.master[c.ID]
		switch {
		case pl.master != "" && m == pl.master:
			// already one person
		case c.Grade == empi.GradeCertain && m == "":
			pl.members = append(pl.members, c.ID)
		case m != "" && reviewed[m]:
			// one review per person: the best of its records stands for it
		default: // probable, or certain but under another master
			pl.review = append(pl.review, c)
			if m != "" {
				reviewed[m] = true
			}
		}
	}
	switch {
	case len(pl.members) > 0 && s.master[id] == "":
		pl.members = append([]string{id}, pl.members...)
	case pl.master != "" && s.master[id] == "":
		pl.members = []string{id} // inherited from a replaced patient
	}
	pl.refresh = pl.master != "" && s.master[id] == pl.master // self already linked: keep the master current
	return pl
}

// apply writes a plan in one transaction with the cursor at seq.
func (s *Service) apply(ctx context.Context, pl plan, seq int64) error {
	tx, err := s.st.Begin(ctx)
	if err != nil {
		return fmt.Errorf("empi: begin: %w", err)
	}
	defer tx.Rollback(ctx)
	masterID := pl.master
	if len(pl.members) > 0 || pl.refresh {
		id, err := s.writeMaster(ctx, tx, pl.master, pl.members, pl.selfP)
		if err != nil {
			return err
		}
		masterID = id
	}
	for _, c := range pl.review {
		if err := s.writeReview(ctx, tx, pl.self, c); err != nil {
			return err
		}
	}
	if err := tx.(cursorTx).SetCursor(ctx, CursorName, seq); err != nil {
		return fmt.Errorf("empi: save cursor: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("empi: commit: %w", err)
	}
	if masterID != "" {
		s.mu.Lock()
		s.golden[masterID] = true
		for _, m := range pl.members {
			s.linkLocked(m, masterID)
		}
		s.mu.Unlock()
		if len(pl.members) > 0 {
			s.log.Info("empi: linked", "master", masterID, "patients", len(pl.members))
		}
	}
	return nil
}

// writeMaster creates or updates a master so that it links members, with
// demographics from src (nil: keep them). It writes nothing when nothing
// would change, and returns the master's id.
func (s *Service) writeMaster(ctx context.Context, tx store.Tx, id string, members []string, src *r4.Patient) (string, error) {
	var m r4.Patient
	var ifMatch int64
	if id != "" {
		r, err := tx.Read(ctx, store.Ref{Type: "Patient", ID: id})
		if err != nil {
			return "", fmt.Errorf("empi: read master Patient/%s: %w", id, err)
		}
		if err := json.Unmarshal(r.JSON, &m); err != nil {
			return "", fmt.Errorf("empi: decode master Patient/%s: %w", id, err)
		}
		ifMatch = r.Version
	} else {
		m.Meta = &r4.Meta{Tag: []r4.Coding{{System: TagSystem, Code: TagGolden, Display: "EMPI master patient"}}}
		m.Active = r4.Bool(true)
	}
	before, _ := json.Marshal(&m)
	for _, src := range members {
		ref := "Patient/" + src
		if !slices.ContainsFunc(m.Link, func(l r4.PatientLink) bool { return l.Other != nil && l.Other.Reference == ref }) {
			m.Link = append(m.Link, r4.PatientLink{Other: &r4.Reference{Reference: ref, Type: "Patient"}, Type: "seealso"})
		}
	}
	if src != nil {
		m.Name, m.Gender, m.BirthDate = src.Name, src.Gender, src.BirthDate
		m.Telecom, m.Address = src.Telecom, src.Address
	}
	after, err := json.Marshal(&m)
	if err != nil {
		return "", fmt.Errorf("empi: encode master: %w", err)
	}
	if id != "" && string(before) == string(after) {
		return id, nil
	}
	if id == "" {
		r, err := tx.Create(ctx, store.Input{Institution: s.inst, Type: "Patient", JSON: after})
		if err != nil {
			return "", fmt.Errorf("empi: create master: %w", err)
		}
		return r.ID, nil
	}
	m.ID = id
	if after, err = json.Marshal(&m); err != nil {
		return "", fmt.Errorf("empi: encode master: %w", err)
	}
	r, _, err := tx.Update(ctx, store.Input{Institution: s.inst, Type: "Patient", ID: id, JSON: after, IfMatch: ifMatch})
	if err != nil {
		return "", fmt.Errorf("empi: update master Patient/%s: %w", id, err)
	}
	return r.ID, nil
}

// writeReview queues a (self, candidate) pair for a human, once per pair.
func (s *Service) writeReview(ctx context.Context, tx store.Tx, self string, c empi.Candidate) error {
	t := empi.ReviewTask("Patient/"+self, "Patient/"+c.ID, c, s.now().Format(time.RFC3339), nil)
	key := sortedPair(self, c.ID)
	t.Identifier = []r4.Identifier{{System: ReviewIDSystem, Value: key}}
	b, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("empi: encode review task: %w", err)
	}
	_, created, err := tx.CreateIfNoneExist(ctx, store.Input{Institution: s.inst, Type: "Task", JSON: b},
		"identifier="+ReviewIDSystem+"|"+key)
	if err != nil {
		return fmt.Errorf("empi: create review task: %w", err)
	}
	if created {
		s.reviewsCreated.Add(1)
		s.log.Info("empi: review queued", "pair", key, "grade", string(c.Grade))
	}
	return nil
}
