package dicom

import (
	"context"
	"fmt"
	"os"
	"strings"

	"yigong/dicom"
	"yigong/dicom/dimse"
	dnet "yigong/dicom/net"
	"yigong/fhir/store"
)

// Instances returns the index rows (without headers) of the instances
// matching identifier at level: what C-MOVE, C-GET and WADO-RS send.
func (s *Service) Instances(ctx context.Context, institution string, level store.DICOMLevel, identifier *dicom.Dataset) ([]store.DICOMRecord, error) {
	if level == store.DICOMImage {
		ms, err := s.Query(ctx, Query{Institution: institution, Level: level, Identifier: identifier, FoldCase: true})
		if err != nil {
			return nil, err
		}
		out := make([]store.DICOMRecord, len(ms))
		for i, m := range ms {
			out[i] = m.Record
			out[i].Header = nil
		}
		return out, nil
	}
	var studies, series []string
	if onlyUIDKeys(identifier) {
		// The usual retrieve: UIDs only, answered by the index alone.
		studies = uidList(identifier, dicom.TagStudyInstanceUID)
		series = uidList(identifier, dicom.TagSeriesInstanceUID)
		if level == store.DICOMSeries && len(series) == 0 || len(studies) == 0 && len(series) == 0 {
			return nil, nil
		}
	} else {
		ms, err := s.Query(ctx, Query{Institution: institution, Level: level, Identifier: identifier, FoldCase: true})
		if err != nil {
			return nil, err
		}
		if len(ms) == 0 {
			return nil, nil
		}
		for _, m := range ms {
			if level == store.DICOMSeries {
				series = append(series, m.Record.SeriesUID)
			} else {
				studies = append(studies, m.Record.StudyUID)
			}
		}
	}
	var out []store.DICOMRecord
	const chunk = 200
	for len(studies) > 0 || len(series) > 0 {
		q := store.DICOMQuery{Institution: institution, Level: store.DICOMImage, NoHeaders: true}
		if len(series) > 0 {
			n := min(chunk, len(series))
			q.SeriesUIDs, series = series[:n], series[n:]
			q.StudyUIDs = studies // a series within these studies
		} else {
			n := min(chunk, len(studies))
			q.StudyUIDs, studies = studies[:n], studies[n:]
		}
		rs, err := s.index.QueryDICOM(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("dicom: retrieve: %w", err)
		}
		out = append(out, rs...)
		if len(q.SeriesUIDs) > 0 && len(series) == 0 {
			break
		}
	}
	return out, nil
}

// onlyUIDKeys reports whether the identifier's non-empty keys are UIDs
// (and the level): a retrieve the index answers without matching.
func onlyUIDKeys(id *dicom.Dataset) bool {
	for _, e := range id.Elements() {
		switch e.Tag {
		case tagQueryRetrieveLevel, dicom.TagSpecificCharacterSet, dicom.TagStudyInstanceUID, dicom.TagSeriesInstanceUID:
			continue
		}
		if e.Tag.Group() == 0x0000 || len(e.Raw) == 0 && len(e.Items) == 0 {
			continue
		}
		return false
	}
	return true
}

// instance turns an index row into an instance sent verbatim from its
// blob.
func (s *Service) instance(r store.DICOMRecord) dnet.Instance {
	key := r.BlobKey
	return dnet.Instance{
		SOPClassUID:    r.SOPClassUID,
		SOPInstanceUID: r.SOPInstanceUID,
		TransferSyntax: r.TransferSyntax,
		Load: func(ctx context.Context) ([]byte, error) {
			b, err := s.opts.Blobs.ReadAll(ctx, key)
			if err != nil {
				return nil, err
			}
			off := dnet.DataSetOffset(b)
			if off < 0 {
				return nil, fmt.Errorf("dicom: blob %s is damaged", key)
			}
			return b[off:], nil
		},
	}
}

func (s *Service) retrieve(ctx context.Context, req *dnet.QueryRequest, op string) ([]dnet.Instance, dimse.Status) {
	aet := strings.TrimSpace(req.CallingAE)
	level, ok := levelOf(req.Level)
	if !ok || level == store.DICOMPatient && !req.Identifier.Has(dicom.TagPatientID) {
		return nil, dimse.DataSetDoesNotMatchClass
	}
	recs, err := s.Instances(ctx, s.aeScope(aet), level, req.Identifier)
	if err != nil {
		s.log.Warn("dicom "+op+" failed", "aet", aet, "err", err)
		return nil, dimse.UnableToProcess
	}
	out := make([]dnet.Instance, len(recs))
	for i, r := range recs {
		out[i] = s.instance(r)
	}
	s.log.Debug("dicom "+op, "aet", aet, "level", string(level), "instances", len(out))
	return out, dimse.Success
}

// handleMove answers C-MOVE.
func (s *Service) handleMove(ctx context.Context, req *dnet.MoveRequest) ([]dnet.Instance, dimse.Status) {
	if !s.mayMove(strings.TrimSpace(req.CallingAE), req.Destination) {
		s.log.Warn("dicom c-move refused", "aet", strings.TrimSpace(req.CallingAE), "destination", req.Destination)
		return nil, dimse.MoveDestinationUnknown
	}
	return s.retrieve(ctx, &req.QueryRequest, "c-move")
}

// handleGet answers C-GET.
func (s *Service) handleGet(ctx context.Context, req *dnet.GetRequest) ([]dnet.Instance, dimse.Status) {
	return s.retrieve(ctx, req, "c-get")
}

// handleCommit answers Storage Commitment: an instance is committed when
// the index holds it and its blob exists.
func (s *Service) handleCommit(ctx context.Context, req *dnet.CommitRequest) dnet.CommitResult {
	var res dnet.CommitResult
	uids := make([]string, len(req.References))
	for i, r := range req.References {
		uids[i] = r.SOPInstanceUID
	}
	held := map[string]store.DICOMRecord{}
	for start := 0; start < len(uids); start += 200 {
		rs, err := s.index.QueryDICOM(ctx, store.DICOMQuery{Level: store.DICOMImage, SOPUIDs: uids[start:min(start+200, len(uids))], NoHeaders: true})
		if err != nil {
			s.log.Warn("dicom storage commitment failed", "aet", strings.TrimSpace(req.CallingAE), "err", err)
			break
		}
		for _, r := range rs {
			held[r.SOPInstanceUID] = r
		}
	}
	for _, ref := range req.References {
		r, ok := held[ref.SOPInstanceUID]
		switch {
		case ok && r.SOPClassUID != ref.SOPClassUID:
			ref.FailureReason = uint16(dimse.ClassInstanceConflict)
			res.Failed = append(res.Failed, ref)
		case ok && s.opts.Blobs.Has(ctx, r.BlobKey):
			res.Committed = append(res.Committed, ref)
		default:
			ref.FailureReason = uint16(dimse.NoSuchSOPInstance)
			res.Failed = append(res.Failed, ref)
		}
	}
	return res
}

// OpenBlob opens the stored Part 10 file of an instance row.
func (s *Service) OpenBlob(ctx context.Context, key string) (*os.File, error) {
	return s.opts.Blobs.Open(ctx, key)
}

// DecodeHeader returns the data set of an index header (Record.Header,
// StudyHeader or SeriesHeader).
func DecodeHeader(b []byte) (*dicom.Dataset, error) { return decodeHeader(b) }
