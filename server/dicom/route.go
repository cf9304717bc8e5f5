package dicom

import (
	"context"
	"fmt"
	"time"

	dnet "yigong/dicom/net"
	"yigong/fhir/store"
)

// routeLoop sends the routing queue's due entries, grouped by destination
// on one association each, and schedules retries with exponential backoff.
func (s *Service) routeLoop(ctx context.Context) {
	defer s.wg.Done()
	if len(s.opts.Routes) == 0 {
		return
	}
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.routeKick:
		case <-tick.C:
		}
		for ctx.Err() == nil {
			due, err := s.index.DueDICOMRoutes(ctx, time.Now(), 200)
			if err != nil {
				s.log.Warn("dicom routing", "err", err)
				break
			}
			if len(due) == 0 {
				break
			}
			byDest := map[string][]store.DICOMRoute{}
			for _, r := range due {
				byDest[r.Destination] = append(byDest[r.Destination], r)
			}
			for dest, rs := range byDest {
				s.sendRoutes(ctx, dest, rs)
			}
		}
	}
}

func (s *Service) sendRoutes(ctx context.Context, dest string, rs []store.DICOMRoute) {
	fail := func(r store.DICOMRoute, err error) {
		delay := s.opts.RetryBase << min(r.Attempts, 12)
		if delay > time.Hour || delay <= 0 {
			delay = time.Hour
		}
		s.log.Warn("dicom route failed", "aet", dest, "sop_instance_uid", r.SOPInstanceUID, "attempt", r.Attempts+1, "err", err)
		if ferr := s.index.FinishDICOMRoute(ctx, r.ID, true, err.Error(), time.Now().Add(delay)); ferr != nil {
			s.log.Warn("dicom route bookkeeping", "err", ferr)
		}
	}
	ae := s.opts.ae(dest)
	if ae == nil || ae.Addr() == "" {
		for _, r := range rs {
			fail(r, fmt.Errorf("dicom: route: destination %s has no address", dest))
		}
		return
	}
	uids := make([]string, len(rs))
	for i, r := range rs {
		uids[i] = r.SOPInstanceUID
	}
	recs, err := s.index.QueryDICOM(ctx, store.DICOMQuery{Level: store.DICOMImage, SOPUIDs: uids, NoHeaders: true})
	if err != nil {
		for _, r := range rs {
			fail(r, err)
		}
		return
	}
	byUID := map[string]store.DICOMRecord{}
	type pair struct{ class, ts string }
	seen := map[pair]bool{}
	var props []dnet.Proposal
	for _, rec := range recs {
		byUID[rec.SOPInstanceUID] = rec
		p := pair{rec.SOPClassUID, rec.TransferSyntax}
		if !seen[p] && len(props) < 127 {
			seen[p] = true
			props = append(props, dnet.Proposal{AbstractSyntax: p.class, TransferSyntaxes: []string{p.ts}})
		}
	}
	c, err := dnet.Dial(ctx, ae.Addr(), dnet.ClientConfig{CallingAE: s.opts.AETitle, CalledAE: ae.Title, Contexts: props})
	if err != nil {
		for _, r := range rs {
			fail(r, err)
		}
		return
	}
	defer c.Release(ctx)
	for _, r := range rs {
		rec, ok := byUID[r.SOPInstanceUID]
		if !ok {
			_ = s.index.FinishDICOMRoute(ctx, r.ID, false, "", time.Time{}) // deleted meanwhile
			continue
		}
		in := s.instance(rec)
		data, err := in.Load(ctx)
		if err != nil {
			fail(r, err)
			continue
		}
		in.Data = data
		if _, err := c.Store(ctx, in); err != nil {
			fail(r, err)
			continue
		}
		if err := s.index.FinishDICOMRoute(ctx, r.ID, false, "", time.Time{}); err != nil {
			s.log.Warn("dicom route bookkeeping", "err", err)
		}
		s.log.Debug("dicom routed", "aet", dest, "sop_instance_uid", r.SOPInstanceUID)
	}
}
