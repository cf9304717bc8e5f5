package empi

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"yigong/fhir"
	"yigong/fhir/r4"
	"yigong/fhir/store"
	"yigong/server/audit"
)

// Merge retires source in favour of target
// (http://hl7.org/fhir/R4/patient.html#links; the operation is shaped like
// R5 Patient/$merge): source gets active=false and
// link {other: target, type: replaced-by}, target gets
// link {other: source, type: replaces}, and a Provenance records the
// merge with both prior versions as entities. An open review Task for the
// pair is completed. Nothing else is touched: references to source stay as
// they are and readers follow the links. preview computes the same
// resources and writes nothing.
//
// It returns the source and target as written, then the Provenance.
func (s *Service) Merge(ctx context.Context, source, target store.Ref, preview bool) ([]*store.Resource, error) {
	if source.ID == target.ID {
		return nil, fhir.Errorf(fhir.KindInvalid, "empi: merge: source and target are the same patient")
	}
	tx, err := s.st.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("empi: merge: %w", err)
	}
	defer tx.Rollback(ctx)
	src, sp, err := readPatient(ctx, tx, source)
	if err != nil {
		return nil, err
	}
	tgt, tp, err := readPatient(ctx, tx, target)
	if err != nil {
		return nil, err
	}
	for _, l := range sp.Link {
		if l.Type == "replaced-by" && l.Other != nil {
			return nil, fhir.Errorf(fhir.KindConflict, "empi: merge: Patient/%s is already replaced by %s", src.ID, l.Other.Reference)
		}
	}
	if classify(tp) == kindRetired {
		return nil, fhir.Errorf(fhir.KindInvalid, "empi: merge: the target Patient/%s is not active (active=false or replaced-by)", tgt.ID)
	}
	sp.Active = r4.Bool(false)
	sp.Link = append(sp.Link, r4.PatientLink{Other: &r4.Reference{Reference: "Patient/" + tgt.ID, Type: "Patient"}, Type: "replaced-by"})
	if !hasLink(tp, "replaces", src.ID) {
		tp.Link = append(tp.Link, r4.PatientLink{Other: &r4.Reference{Reference: "Patient/" + src.ID, Type: "Patient"}, Type: "replaces"})
	}
	out, err := s.writePair(ctx, tx, src, sp, tgt, tp, "merge", "Merge Record Lifecycle Event")
	if err != nil {
		return nil, err
	}
	if err := closeReview(ctx, tx, src.ID, tgt.ID, "merged"); err != nil {
		return nil, err
	}
	if preview {
		return out, nil // rolled back by the deferred Rollback
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("empi: merge: commit: %w", err)
	}
	s.log.Info("empi: merged", "source", src.ID, "target", tgt.ID)
	return out, s.record(ctx, "merge", out)
}

// Unmerge undoes a Merge (or an ADT A40) of source into target: the
// replaced-by and replaces links go, source's active flag is restored from
// its last version before the merge, identifiers the merge removed from
// source come back to it, and copies the merge moved to target (use "old")
// are removed from target. A Provenance records it. Both patients keep
// their whole history.
func (s *Service) Unmerge(ctx context.Context, source, target store.Ref) ([]*store.Resource, error) {
	tx, err := s.st.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("empi: unmerge: %w", err)
	}
	defer tx.Rollback(ctx)
	src, sp, err := readPatient(ctx, tx, source)
	if err != nil {
		return nil, err
	}
	tgt, tp, err := readPatient(ctx, tx, target)
	if err != nil {
		return nil, err
	}
	if !hasLink(sp, "replaced-by", tgt.ID) {
		return nil, fhir.Errorf(fhir.KindConflict, "empi: unmerge: Patient/%s is not replaced by Patient/%s", src.ID, tgt.ID)
	}
	prior, err := s.beforeMerge(ctx, src.Ref(), tgt.ID)
	if err != nil {
		return nil, err
	}
	sp.Link = slices.DeleteFunc(sp.Link, func(l r4.PatientLink) bool { return linkIs(l, "replaced-by", tgt.ID) })
	tp.Link = slices.DeleteFunc(tp.Link, func(l r4.PatientLink) bool { return linkIs(l, "replaces", src.ID) })
	if prior != nil {
		sp.Active = prior.Active
		for _, id := range prior.Identifier {
			if !slices.ContainsFunc(sp.Identifier, func(x r4.Identifier) bool { return x.System == id.System && x.Value == id.Value }) {
				sp.Identifier = append(sp.Identifier, id)
			}
			tp.Identifier = slices.DeleteFunc(tp.Identifier, func(x r4.Identifier) bool {
				return x.Use == "old" && x.System == id.System && x.Value == id.Value
			})
		}
	} else {
		sp.Active = nil
	}
	out, err := s.writePair(ctx, tx, src, sp, tgt, tp, "unmerge", "Unmerge Record Lifecycle Event")
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("empi: unmerge: commit: %w", err)
	}
	s.log.Info("empi: unmerged", "source", src.ID, "target", tgt.ID)
	return out, s.record(ctx, "unmerge", out)
}

// beforeMerge returns source's last version without a replaced-by link to
// target (nil when every version has one).
func (s *Service) beforeMerge(ctx context.Context, source store.Ref, target string) (*r4.Patient, error) {
	q := store.HistoryQuery{Type: "Patient", ID: source.ID, Count: store.MaxCount}
	for {
		page, err := s.st.History(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("empi: unmerge: history of Patient/%s: %w", source.ID, err)
		}
		for _, r := range page.Entries {
			if r.Deleted {
				continue
			}
			var p r4.Patient
			if err := json.Unmarshal(r.JSON, &p); err != nil {
				return nil, fmt.Errorf("empi: unmerge: decode Patient/%s/_history/%d: %w", r.ID, r.Version, err)
			}
			if !hasLink(&p, "replaced-by", target) {
				return &p, nil
			}
		}
		if page.Next == "" {
			return nil, nil
		}
		q.Cursor = page.Next
	}
}

// writePair updates both patients and records a Provenance of activity
// code; it returns the written source, target and Provenance.
func (s *Service) writePair(ctx context.Context, tx store.Tx, src *store.Resource, sp *r4.Patient, tgt *store.Resource, tp *r4.Patient, code, display string) ([]*store.Resource, error) {
	write := func(r *store.Resource, p *r4.Patient) (*store.Resource, error) {
		b, err := json.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("empi: %s: encode Patient/%s: %w", code, r.ID, err)
		}
		w, _, err := tx.Update(ctx, store.Input{Institution: r.Institution, Type: "Patient", ID: r.ID, JSON: b, IfMatch: r.Version})
		if err != nil {
			return nil, fmt.Errorf("empi: %s: update Patient/%s: %w", code, r.ID, err)
		}
		return w, nil
	}
	ws, err := write(src, sp)
	if err != nil {
		return nil, err
	}
	wt, err := write(tgt, tp)
	if err != nil {
		return nil, err
	}
	vref := func(r *store.Resource) r4.Reference {
		return r4.Reference{Reference: fmt.Sprintf("Patient/%s/_history/%d", r.ID, r.Version)}
	}
	prov := &r4.Provenance{
		Target:   []r4.Reference{vref(ws), vref(wt)},
		Recorded: s.now().Format(time.RFC3339Nano),
		Activity: &r4.CodeableConcept{Coding: []r4.Coding{{System: LifecycleSystem, Code: code, Display: display}}},
		Agent: []r4.ProvenanceAgent{{
			Type: &r4.CodeableConcept{Coding: []r4.Coding{{System: "http://terminology.hl7.org/CodeSystem/provenance-participant-type", Code: "performer"}}},
			Who:  &r4.Reference{Display: "yigong EMPI (" + code + " requested through the FHIR API)"},
		}},
		Entity: []r4.ProvenanceEntity{
			{Role: "revision", What: ptr(vref(src))},
			{Role: "revision", What: ptr(vref(tgt))},
		},
	}
	b, err := json.Marshal(prov)
	if err != nil {
		return nil, fmt.Errorf("empi: %s: encode Provenance: %w", code, err)
	}
	wp, err := tx.Create(ctx, store.Input{Institution: s.inst, Type: "Provenance", JSON: b})
	if err != nil {
		return nil, fmt.Errorf("empi: %s: create Provenance: %w", code, err)
	}
	return []*store.Resource{ws, wt, wp}, nil
}

func ptr[T any](v T) *T { return &v }

// record writes an AuditEvent per changed patient, when an Auditor is set.
// The merge is committed by then; a failure to audit is returned so the
// caller sees it.
func (s *Service) record(ctx context.Context, op string, out []*store.Resource) error {
	if s.audit == nil {
		return nil
	}
	detail := fmt.Sprintf("%s: source Patient/%s, target Patient/%s, Provenance/%s", op, out[0].ID, out[1].ID, out[2].ID)
	for _, r := range out[:2] {
		ev := audit.Event{Action: audit.Update, Outcome: audit.Success, Time: s.now(), Institution: r.Institution,
			Resource: fmt.Sprintf("Patient/%s/_history/%d", r.ID, r.Version), Patient: "Patient/" + r.ID,
			Detail: detail, Observer: "yigong-empi"}
		if err := s.audit.Record(ctx, ev); err != nil {
			return fmt.Errorf("empi: %s committed, audit failed: %w", op, err)
		}
	}
	return nil
}

// closeReview completes the open review Task of a pair, if there is one,
// with outcome as its business status.
func closeReview(ctx context.Context, tx store.Tx, a, b, outcome string) error {
	se, ok := tx.(store.Searcher)
	if !ok {
		return nil
	}
	page, err := se.Search(ctx, store.SearchQuery{Type: "Task", Filters: []store.Filter{{Param: "identifier", Type: store.ParamToken,
		Values: []store.FilterValue{{System: ReviewIDSystem, Code: sortedPair(a, b)}}}}})
	if err != nil {
		return fmt.Errorf("empi: find review task: %w", err)
	}
	for _, r := range page.Entries {
		var t r4.Task
		if err := json.Unmarshal(r.JSON, &t); err != nil {
			return fmt.Errorf("empi: decode Task/%s: %w", r.ID, err)
		}
		if t.Status == "completed" || t.Status == "cancelled" {
			continue
		}
		t.Status = "completed"
		t.BusinessStatus = &r4.CodeableConcept{Text: outcome}
		b, err := json.Marshal(&t)
		if err != nil {
			return fmt.Errorf("empi: encode Task/%s: %w", r.ID, err)
		}
		if _, _, err := tx.Update(ctx, store.Input{Institution: r.Institution, Type: "Task", ID: r.ID, JSON: b, IfMatch: r.Version}); err != nil {
			return fmt.Errorf("empi: complete Task/%s: %w", r.ID, err)
		}
	}
	return nil
}

func readPatient(ctx context.Context, tx store.Tx, ref store.Ref) (*store.Resource, *r4.Patient, error) {
	ref.Type = "Patient"
	r, err := tx.Read(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	var p r4.Patient
	if err := json.Unmarshal(r.JSON, &p); err != nil {
		return nil, nil, fmt.Errorf("empi: decode Patient/%s: %w", r.ID, err)
	}
	return r, &p, nil
}

func hasLink(p *r4.Patient, typ, id string) bool {
	return slices.ContainsFunc(p.Link, func(l r4.PatientLink) bool { return linkIs(l, typ, id) })
}

// linkIs reports whether l is of type typ and points at Patient/id
// (relative, absolute or versioned).
func linkIs(l r4.PatientLink, typ, id string) bool {
	if l.Type != typ || l.Other == nil {
		return false
	}
	ref := l.Other.Reference
	if i := strings.LastIndex(ref, "Patient/"); i >= 0 {
		ref = ref[i:]
	}
	got, ok := patientID(ref)
	return ok && got == id
}
