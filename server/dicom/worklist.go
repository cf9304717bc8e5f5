package dicom

import (
	"context"
	"encoding/json"
	"strings"

	"yigong/dicom"
	"yigong/dicom/dimse"
	dnet "yigong/dicom/net"
	"yigong/dicom/query"
	"yigong/fhir/r4"
	"yigong/fhir/store"
)

// handleWorklist answers Modality Worklist C-FIND from the active imaging
// ServiceRequests in the FHIR store (found through the FHIR search the
// transaction processor uses), each mapped by adapters/dicomfhir.
func (s *Service) handleWorklist(ctx context.Context, req *dnet.FindRequest, yield func(*dicom.Dataset) bool) dimse.Status {
	aet := strings.TrimSpace(req.CallingAE)
	proc := s.opts.Processor
	if proc == nil || proc.Matcher == nil {
		return dimse.UnableToProcess
	}
	srs, err := proc.Matcher.Match(ctx, "ServiceRequest", "status=active")
	if err != nil {
		s.log.Warn("dicom worklist failed", "aet", aet, "err", err)
		return dimse.UnableToProcess
	}
	term := ""
	if ae := s.opts.ae(aet); ae != nil {
		term = ae.Charset
	}
	n := 0
	for _, res := range srs {
		var sr r4.ServiceRequest
		if err := json.Unmarshal(res.JSON, &sr); err != nil {
			continue
		}
		var p *r4.Patient
		if sr.Subject != nil {
			if typ, id, ok := strings.Cut(sr.Subject.Reference, "/"); ok && typ == "Patient" {
				if pr, err := s.opts.Store.Read(ctx, store.Ref{Institution: res.Institution, Type: "Patient", ID: id}); err == nil {
					p = &r4.Patient{}
					if json.Unmarshal(pr.JSON, p) != nil {
						p = nil
					}
				}
			}
		}
		item := s.opts.Mapping.WorklistItem(res.Institution, &sr, p)
		if !query.Match(req.Identifier, item, &query.Options{FoldCase: true}) {
			continue
		}
		resp := query.Response(req.Identifier, item)
		if term != "" {
			resp = Recode(resp, term)
		}
		if !yield(resp) {
			return dimse.Cancel
		}
		n++
	}
	s.log.Debug("dicom worklist", "aet", aet, "matches", n)
	return dimse.Success
}
