package dicom

import (
	"context"
	"fmt"
	"strings"

	"yigong/dicom"
	"yigong/dicom/charset"
	"yigong/dicom/dimse"
	dnet "yigong/dicom/net"
	"yigong/dicom/query"
	"yigong/fhir/store"
)

// Query is a C-FIND or QIDO-RS query.
type Query struct {
	Institution string // "" = all
	Level       store.DICOMLevel
	Identifier  *dicom.Dataset
	// FoldCase matches person names without regard to case.
	FoldCase bool
}

// Match is one answer: the candidate data set (the attributes of its level
// and the levels above, with the computed counts) and its index row.
type Match struct {
	Dataset *dicom.Dataset
	Record  store.DICOMRecord
}

// Query answers q from the index: SQL selects candidates by the keys it
// can use exactly, dicom/query decides the rest.
func (s *Service) Query(ctx context.Context, q Query) ([]Match, error) {
	if q.Identifier == nil {
		q.Identifier = dicom.New()
	}
	sq := pushdown(q.Level, q.Identifier)
	sq.Institution = q.Institution
	if q.Level == store.DICOMPatient {
		sq.Level = store.DICOMStudy
	}
	recs, err := s.index.QueryDICOM(ctx, sq)
	if err != nil {
		return nil, fmt.Errorf("dicom: query: %w", err)
	}
	opts := &query.Options{FoldCase: q.FoldCase}
	var out []Match
	if q.Level == store.DICOMPatient {
		return s.patients(recs, q, opts)
	}
	for _, r := range recs {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("dicom: query: %w", err)
		}
		ds, err := candidate(q.Level, r)
		if err != nil {
			s.log.Warn("dicom index header unreadable", "study_instance_uid", r.StudyUID, "err", err)
			continue
		}
		if query.Match(q.Identifier, ds, opts) {
			out = append(out, Match{Dataset: ds, Record: r})
		}
	}
	return out, nil
}

// patients groups study rows by patient.
func (s *Service) patients(recs []store.DICOMRecord, q Query, opts *query.Options) ([]Match, error) {
	type agg struct {
		r                          store.DICOMRecord
		studies, series, instances int64
	}
	var order []string
	byKey := map[string]*agg{}
	for _, r := range recs {
		k := r.Institution + "\x00" + r.PatientID + "\x00" + r.IssuerOfPatientID
		a := byKey[k]
		if a == nil {
			a = &agg{r: r}
			byKey[k] = a
			order = append(order, k)
		}
		if r.Received.After(a.r.Received) {
			a.r = r
		}
		a.studies++
		a.series += r.NumSeries
		a.instances += r.NumInstances
	}
	var out []Match
	for _, k := range order {
		a := byKey[k]
		st, err := decodeHeader(a.r.StudyHeader)
		if err != nil {
			continue
		}
		ds := dicom.New()
		for _, e := range st.Elements() {
			if e.Tag.Group() == 0x0010 || e.Tag == dicom.TagSpecificCharacterSet {
				ds.Set(e)
			}
		}
		setInt(ds, tagNumberOfPatientRelatedStudies, a.studies)
		setInt(ds, tagNumberOfPatientRelatedSeries, a.series)
		setInt(ds, tagNumberOfPatientRelatedInstances, a.instances)
		if query.Match(q.Identifier, ds, opts) {
			out = append(out, Match{Dataset: ds, Record: a.r})
		}
	}
	return out, nil
}

// candidate builds the data set a row is matched as.
func candidate(level store.DICOMLevel, r store.DICOMRecord) (*dicom.Dataset, error) {
	switch level {
	case store.DICOMStudy:
		ds, err := decodeHeader(r.StudyHeader)
		if err != nil {
			return nil, err
		}
		setInt(ds, tagNumberOfStudyRelatedSeries, r.NumSeries)
		setInt(ds, tagNumberOfStudyRelatedInstances, r.NumInstances)
		if len(r.Modalities) > 0 {
			_ = ds.SetStrings(tagModalitiesInStudy, dicom.CS, r.Modalities...)
		}
		return ds, nil
	case store.DICOMSeries:
		ds, err := decodeHeader(r.StudyHeader)
		if err != nil {
			return nil, err
		}
		se, err := decodeHeader(r.SeriesHeader)
		if err != nil {
			return nil, err
		}
		for _, e := range se.Elements() {
			if e.Tag != dicom.TagSpecificCharacterSet {
				ds.Set(e)
			}
		}
		setInt(ds, tagNumberOfSeriesRelatedInstances, r.NumInstances)
		return ds, nil
	default:
		return decodeHeader(r.Header)
	}
}

func setInt(ds *dicom.Dataset, t dicom.Tag, n int64) {
	_ = ds.SetStrings(t, dicom.IS, fmt.Sprint(n))
}

// pushdown extracts the keys SQL can filter on exactly.
func pushdown(level store.DICOMLevel, id *dicom.Dataset) store.DICOMQuery {
	q := store.DICOMQuery{Level: level}
	q.PatientID, _ = exactValue(id, dicom.TagPatientID)
	q.Accession, _ = exactValue(id, dicom.TagAccessionNumber)
	q.StudyUIDs = uidList(id, dicom.TagStudyInstanceUID)
	if level == store.DICOMSeries || level == store.DICOMImage {
		q.SeriesUIDs = uidList(id, dicom.TagSeriesInstanceUID)
		q.Modality, _ = exactValue(id, dicom.TagModality)
	}
	if level == store.DICOMImage {
		q.SOPUIDs = uidList(id, dicom.TagSOPInstanceUID)
	}
	if v, ok := exactValue(id, dicom.TagStudyDate); ok || strings.Contains(v, "-") {
		from, to, found := strings.Cut(v, "-")
		if !found {
			to = from
		}
		if cleanDate(from) == from {
			q.StudyDateFrom = from
		}
		if cleanDate(to) == to {
			q.StudyDateTo = to
		}
	}
	return q
}

// exactValue returns the key's single value when it has no wildcard and
// no list: a value SQL may compare with equality. ok is false otherwise,
// and the value is returned anyway for range parsing.
func exactValue(id *dicom.Dataset, t dicom.Tag) (string, bool) {
	e, found := id.Get(t)
	if !found || len(e.Raw) == 0 {
		return "", false
	}
	vs, err := e.Strings()
	if err != nil || len(vs) != 1 {
		return "", false
	}
	v := strings.TrimSpace(vs[0])
	if v == "" || strings.ContainsAny(v, "*?") {
		return "", false
	}
	if strings.Contains(v, "-") && (e.VR == dicom.DA || e.VR == dicom.TM || e.VR == dicom.DT) {
		return v, false
	}
	return v, true
}

func uidList(id *dicom.Dataset, t dicom.Tag) []string {
	e, found := id.Get(t)
	if !found || len(e.Raw) == 0 {
		return nil
	}
	vs, err := e.Strings()
	if err != nil {
		return nil
	}
	var out []string
	for _, v := range vs {
		if v = strings.TrimSpace(strings.TrimRight(v, "\x00")); v != "" && !strings.ContainsAny(v, "*?") {
			out = append(out, v)
		} else if v != "" {
			return nil // a wildcard: no pushdown
		}
	}
	return out
}

// levelOf maps a Query/Retrieve Level to an index level.
func levelOf(s string) (store.DICOMLevel, bool) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "PATIENT":
		return store.DICOMPatient, true
	case "STUDY":
		return store.DICOMStudy, true
	case "SERIES":
		return store.DICOMSeries, true
	case "IMAGE", "INSTANCE":
		return store.DICOMImage, true
	}
	return "", false
}

// handleFind answers C-FIND (Patient Root and Study Root, every level).
func (s *Service) handleFind(ctx context.Context, req *dnet.FindRequest, yield func(*dicom.Dataset) bool) dimse.Status {
	aet := strings.TrimSpace(req.CallingAE)
	level, ok := levelOf(req.Level)
	if !ok {
		return dimse.DataSetDoesNotMatchClass
	}
	matches, err := s.Query(ctx, Query{Institution: s.aeScope(aet), Level: level, Identifier: req.Identifier, FoldCase: true})
	if err != nil {
		s.log.Warn("dicom c-find failed", "aet", aet, "err", err)
		return dimse.UnableToProcess
	}
	term := ""
	if ae := s.opts.ae(aet); ae != nil {
		term = ae.Charset
	}
	for _, m := range matches {
		resp := query.Response(req.Identifier, m.Dataset)
		if term != "" {
			resp = Recode(resp, term)
		}
		if !yield(resp) {
			return dimse.Cancel
		}
	}
	s.log.Debug("dicom c-find", "aet", aet, "level", string(level), "matches", len(matches))
	return dimse.Success
}

// Recode re-encodes the text of ds's top-level elements in the character
// set term, for a peer configured with it. When some text cannot be
// represented in term, ds is returned unchanged.
func Recode(ds *dicom.Dataset, term string) *dicom.Dataset {
	terms := strings.Split(term, `\`)
	target, err := charset.Parse(terms...)
	if err != nil {
		return ds
	}
	out := dicom.New()
	out.SetCharset(target)
	for _, e := range ds.Elements() {
		if e.Tag == dicom.TagSpecificCharacterSet {
			continue
		}
		if !isText(e.VR) || isASCII(e.Raw) {
			out.Set(e)
			continue
		}
		cs := e.Charset()
		var enc []byte
		if e.VR == dicom.PN {
			enc, err = target.EncodePN(strings.TrimRight(cs.DecodePN(e.Raw), " \x00"))
		} else {
			enc, err = target.Encode(strings.TrimRight(cs.Decode(e.Raw), " \x00"))
		}
		if err != nil {
			return ds
		}
		out.Set(dicom.NewElement(e.Tag, e.VR, enc, target))
	}
	if err := out.SetStrings(dicom.TagSpecificCharacterSet, dicom.CS, terms...); err != nil {
		return ds
	}
	return out
}

func isText(vr dicom.VR) bool {
	switch vr {
	case dicom.SH, dicom.LO, dicom.ST, dicom.LT, dicom.UT, dicom.UC, dicom.PN:
		return true
	}
	return false
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 || c == 0x1B {
			return false
		}
	}
	return true
}

// aeScope returns the institution whose studies a calling AE may find and
// retrieve: its own when it is listed with an institution and without
// see_all, else "" (every institution: the hub's own AEs).
func (s *Service) aeScope(aet string) string {
	if ae := s.opts.ae(aet); ae != nil && ae.Institution != "" && !ae.SeeAll {
		return s.Scope(ae.Institution)
	}
	return ""
}

// Scope returns the institution a caller of institution inst is limited
// to, or "" when it sees every institution: the hub's own institution and
// those listed in Settings.SeeAll see all, any other only itself.
func (s *Service) Scope(inst string) string {
	if inst == "" || inst == s.opts.Institution {
		return ""
	}
	for _, all := range s.opts.SeeAll {
		if all == inst {
			return ""
		}
	}
	return inst
}
