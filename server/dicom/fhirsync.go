package dicom

import (
	"context"
	"fmt"
	"strings"
	"time"

	"yigong/adapters/dicomfhir"
	"yigong/fhir/store"
)

// syncLoop keeps each study's FHIR ImagingStudy in step with the index:
// studies whose change counter is ahead of what their ImagingStudy
// reflects are rebuilt, a short while after their last instance.
func (s *Service) syncLoop(ctx context.Context) {
	defer s.wg.Done()
	if s.opts.Processor == nil {
		return
	}
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	backoff := map[string]time.Time{} // study → no retry before
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.syncKick:
		case <-tick.C:
		}
		select { // let a burst of instances of one study arrive
		case <-ctx.Done():
			return
		case <-time.After(s.opts.SyncDelay):
		}
		for ctx.Err() == nil {
			recs, err := s.index.DICOMStudiesToSync(ctx, 20)
			if err != nil {
				s.log.Warn("dicom imaging study sync", "err", err)
				break
			}
			progressed := false
			for _, r := range recs {
				k := r.Institution + "\x00" + r.StudyUID
				if time.Now().Before(backoff[k]) {
					continue
				}
				// A study still receiving waits until it pauses (or is
				// far behind): one Bundle per burst, not per instance.
				if time.Since(r.Received) < s.opts.SyncDelay && r.Seq-r.SyncedSeq < 500 {
					continue
				}
				if !s.yieldToIngest(ctx) {
					return
				}
				if err := s.syncStudy(ctx, r); err != nil {
					if ctx.Err() != nil {
						return
					}
					s.log.Warn("dicom imaging study sync failed", "study_instance_uid", r.StudyUID, "err", err)
					backoff[k] = time.Now().Add(30 * time.Second)
					continue
				}
				delete(backoff, k)
				progressed = true
			}
			if !progressed {
				break
			}
		}
	}
}

// Ingest has priority over the ImagingStudy worker: both need the store's
// writer (SQLite has one), and a study's Bundle holds it far longer than
// an instance's index rows. The worker starts a study only when no
// instance has arrived for ingestQuiet, or when it has waited maxSyncWait.
const (
	ingestQuiet = 150 * time.Millisecond
	maxSyncWait = 5 * time.Second
)

// noteIngest records that instances are arriving.
func (s *Service) noteIngest() { s.lastIngest.Store(time.Now().UnixNano()) }

// yieldToIngest waits while instances are arriving, at most maxSyncWait;
// false when ctx ended.
func (s *Service) yieldToIngest(ctx context.Context) bool {
	deadline := time.Now().Add(maxSyncWait)
	for {
		quiet := time.Since(time.Unix(0, s.lastIngest.Load()))
		if quiet >= ingestQuiet || !time.Now().Before(deadline) {
			return ctx.Err() == nil
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(ingestQuiet - quiet):
		}
	}
}

// SyncNow rebuilds the ImagingStudy of every study that is behind, now
// (tests and the bench use it instead of waiting for the worker).
func (s *Service) SyncNow(ctx context.Context) error {
	if s.opts.Processor == nil {
		return nil
	}
	for {
		recs, err := s.index.DICOMStudiesToSync(ctx, 50)
		if err != nil || len(recs) == 0 {
			return err
		}
		for _, r := range recs {
			if err := s.syncStudy(ctx, r); err != nil {
				return err
			}
		}
	}
}

// syncStudy writes the ImagingStudy (and Patient) of one study in one
// transaction together with the study's synced mark.
func (s *Service) syncStudy(ctx context.Context, r store.DICOMRecord) error {
	head, err := decodeHeader(r.StudyHeader)
	if err != nil {
		return err
	}
	series, err := s.index.QueryDICOM(ctx, store.DICOMQuery{Institution: r.Institution, Level: store.DICOMSeries, StudyUIDs: []string{r.StudyUID}})
	if err != nil {
		return err
	}
	insts, err := s.index.QueryDICOM(ctx, store.DICOMQuery{Institution: r.Institution, Level: store.DICOMImage, StudyUIDs: []string{r.StudyUID}, NoHeaders: true})
	if err != nil {
		return err
	}
	st := &dicomfhir.Study{Institution: r.Institution, Header: head}
	idx := map[string]int{}
	for _, se := range series {
		h, err := decodeHeader(se.SeriesHeader)
		if err != nil {
			return err
		}
		idx[se.SeriesUID] = len(st.Series)
		st.Series = append(st.Series, dicomfhir.Series{Header: h})
	}
	for _, in := range insts {
		i, ok := idx[in.SeriesUID]
		if !ok {
			continue
		}
		st.Series[i].Instances = append(st.Series[i].Instances, dicomfhir.Instance{
			SOPClassUID: in.SOPClassUID, SOPInstanceUID: in.SOPInstanceUID, Number: in.InstanceNumber})
	}
	proc := *s.opts.Processor
	proc.Institution = r.Institution
	if acc := head.Text(0x00080050); acc != "" && proc.Matcher != nil {
		found, err := proc.Matcher.Match(ctx, "ServiceRequest", s.opts.Mapping.ServiceRequestCriteria(r.Institution, acc))
		st.ServiceRequestExists = err == nil && len(found) == 1
	}
	bundle, err := s.opts.Mapping.Build(st)
	if err != nil {
		return err
	}
	prep, err := proc.Prepare(ctx, bundle)
	if err != nil {
		return fmt.Errorf("dicom: imaging study %s: %w", r.StudyUID, err)
	}
	tx, err := s.opts.Store.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	resps, err := proc.ExecuteIn(ctx, tx, prep)
	if err != nil {
		return fmt.Errorf("dicom: imaging study %s: %w", r.StudyUID, err)
	}
	id := ""
	for _, rs := range resps {
		if rest, ok := strings.CutPrefix(rs.Location, "ImagingStudy/"); ok {
			id, _, _ = strings.Cut(rest, "/")
		}
	}
	itx, ok := tx.(store.DICOMIndexTx)
	if !ok {
		return fmt.Errorf("dicom: imaging study %s: the store's transactions keep no DICOM index", r.StudyUID)
	}
	if err := itx.MarkDICOMStudySynced(ctx, r.Institution, r.StudyUID, r.Seq, id); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	s.log.Debug("dicom imaging study synced", "study_instance_uid", r.StudyUID, "imaging_study", id, "instances", len(insts))
	return nil
}
