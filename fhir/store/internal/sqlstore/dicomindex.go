package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"yigong/fhir/store"
)

// This file keeps the DICOM index (store.DICOMIndex, migration
// 0020_dicom.sql): the same SQL runs on both engines.

var (
	_ store.DICOMIndexTx = (*Tx)(nil)
)

// PutDICOMInstance implements store.DICOMIndexTx.
func (t *Tx) PutDICOMInstance(ctx context.Context, in *store.DICOMInstance, routes []string) (bool, error) {
	const op = "store: put dicom instance"
	if err := t.closed(op); err != nil {
		return false, err
	}
	if in.Institution == "" || in.StudyUID == "" || in.SeriesUID == "" || in.SOPInstanceUID == "" {
		return false, t.e.wrap(op, fmt.Errorf("institution, study, series and SOP instance UIDs are required"))
	}
	received := in.Received
	if received.IsZero() {
		received = t.e.now()
	}
	at := received.UnixMicro()
	if in.Blob != nil {
		if err := t.putPendingBlob(ctx, in, at); err != nil {
			return false, t.e.wrap(op, err)
		}
	}
	n, err := t.c.Exec(ctx, putDICOMInstanceSQL,
		in.Institution, in.SOPInstanceUID, in.StudyUID, in.SeriesUID, in.SOPClassUID, in.TransferSyntax,
		in.InstanceNumber, in.BlobKey, in.Size, nonNil(in.Header), in.BulkTags, in.Source, at)
	if err != nil {
		return false, t.e.wrap(op, err)
	}
	if n == 0 {
		return false, nil
	}
	var seriesCount int64
	if err := t.c.QueryRow(ctx, putDICOMSeriesSQL,
		in.Institution, in.StudyUID, in.SeriesUID, in.Modality, nonNil(in.SeriesHeader)).Scan(&seriesCount); err != nil {
		return false, t.e.wrap(op, err)
	}
	newSeries := int64(0)
	if seriesCount == 1 {
		newSeries = 1
	}
	var mods string
	if err := t.c.QueryRow(ctx, putDICOMStudySQL,
		in.Institution, in.StudyUID, in.PatientID, in.IssuerOfPatientID, in.AccessionNumber, in.StudyDate,
		in.Modality, nonNil(in.StudyHeader), at, newSeries).Scan(&mods); err != nil {
		return false, t.e.wrap(op, err)
	}
	if in.Modality != "" && !slices.Contains(splitMods(mods), in.Modality) {
		ms := append(splitMods(mods), in.Modality)
		if _, err := t.c.Exec(ctx, `UPDATE dicom_studies SET modalities = $1 WHERE institution = $2 AND study_uid = $3`,
			strings.Join(ms, `\`), in.Institution, in.StudyUID); err != nil {
			return false, t.e.wrap(op, err)
		}
	}
	for _, dest := range routes {
		if _, err := t.c.Exec(ctx, putDICOMRouteSQL, in.Institution, dest, in.SOPInstanceUID, at); err != nil {
			return false, t.e.wrap(op, err)
		}
	}
	return true, nil
}

// MarkDICOMStudySynced implements store.DICOMIndexTx.
func (t *Tx) MarkDICOMStudySynced(ctx context.Context, institution, studyUID string, seq int64, imagingStudyID string) error {
	const op = "store: mark dicom study synced"
	if err := t.closed(op); err != nil {
		return err
	}
	_, err := t.c.Exec(ctx, `UPDATE dicom_studies SET synced_seq = $1, imaging_study = $2
 WHERE institution = $3 AND study_uid = $4 AND synced_seq < $1`, seq, imagingStudyID, institution, studyUID)
	return t.e.wrap(op, err)
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func splitMods(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, `\`)
}

// dicomArgs builds a WHERE clause with numbered placeholders.
type dicomArgs struct {
	where []string
	args  []any
}

func (a *dicomArgs) add(cond string, vals ...any) {
	for _, v := range vals {
		a.args = append(a.args, v)
		cond = strings.Replace(cond, "?", fmt.Sprintf("$%d", len(a.args)), 1)
	}
	a.where = append(a.where, cond)
}

func (a *dicomArgs) in(col string, vals []string) {
	if len(vals) == 0 {
		return
	}
	if len(vals) == 1 {
		a.add(col+" = ?", vals[0])
		return
	}
	ph := make([]string, len(vals))
	for i, v := range vals {
		a.args = append(a.args, v)
		ph[i] = fmt.Sprintf("$%d", len(a.args))
	}
	a.where = append(a.where, col+" IN ("+strings.Join(ph, ",")+")")
}

func (a *dicomArgs) sql() string {
	if len(a.where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(a.where, " AND ")
}

// studyFilters adds the study-level filters of q on table alias st.
func studyFilters(a *dicomArgs, q store.DICOMQuery) {
	if q.Institution != "" {
		a.add("st.institution = ?", q.Institution)
	}
	if q.PatientID != "" {
		a.add("st.patient_id = ?", q.PatientID)
	}
	a.in("st.study_uid", q.StudyUIDs)
	if q.Accession != "" {
		a.add("st.accession = ?", q.Accession)
	}
	if q.StudyDateFrom != "" {
		a.add("st.study_date >= ?", q.StudyDateFrom)
	}
	if q.StudyDateTo != "" {
		a.add("st.study_date <= ?", q.StudyDateTo)
	}
}

func (a *dicomArgs) limit(n int) string {
	if n <= 0 {
		return ""
	}
	return fmt.Sprintf(" LIMIT %d", n)
}

const studyCols = `st.institution, st.study_uid, st.patient_id, st.issuer, st.modalities, st.num_series,
 st.num_instances, st.header, st.seq, st.synced_seq, st.imaging_study, st.updated_at`

func (e *Engine) scanStudy(rows Rows) (store.DICOMRecord, error) {
	var r store.DICOMRecord
	var mods string
	var at int64
	err := rows.Scan(&r.Institution, &r.StudyUID, &r.PatientID, &r.IssuerOfPatientID, &mods, &r.NumSeries,
		&r.NumInstances, &r.StudyHeader, &r.Seq, &r.SyncedSeq, &r.ImagingStudyID, &at)
	r.Modalities = splitMods(mods)
	r.Received = e.fromMicros(at)
	return r, err
}

// QueryDICOM implements store.DICOMIndex.
func (e *Engine) QueryDICOM(ctx context.Context, q store.DICOMQuery) ([]store.DICOMRecord, error) {
	op := "store: query dicom " + strings.ToLower(string(q.Level))
	var a dicomArgs
	var sql string
	var scan func(Rows) (store.DICOMRecord, error)
	switch q.Level {
	case store.DICOMPatient, store.DICOMStudy:
		studyFilters(&a, q)
		if len(q.SeriesUIDs) > 0 || q.Modality != "" || len(q.SOPUIDs) > 0 {
			var sub dicomArgs
			sub.args = a.args
			sub.in("s.series_uid", q.SeriesUIDs)
			if q.Modality != "" {
				sub.add("s.modality = ?", q.Modality)
			}
			cond := "s.institution = st.institution AND s.study_uid = st.study_uid"
			if len(sub.where) > 0 {
				cond += " AND " + strings.Join(sub.where, " AND ")
			}
			a.args = sub.args
			a.where = append(a.where, "EXISTS (SELECT 1 FROM dicom_series s WHERE "+cond+")")
		}
		sql = `SELECT ` + studyCols + ` FROM dicom_studies st` + a.sql() + ` ORDER BY st.study_uid, st.institution` + a.limit(q.Limit)
		scan = e.scanStudy
	case store.DICOMSeries:
		studyFilters(&a, q)
		a.in("s.series_uid", q.SeriesUIDs)
		if q.Modality != "" {
			a.add("s.modality = ?", q.Modality)
		}
		sql = `SELECT ` + studyCols + `, s.series_uid, s.modality, s.num_instances, s.header
 FROM dicom_series s JOIN dicom_studies st ON st.institution = s.institution AND st.study_uid = s.study_uid` +
			a.sql() + ` ORDER BY st.study_uid, s.series_uid` + a.limit(q.Limit)
		scan = func(rows Rows) (store.DICOMRecord, error) {
			var r store.DICOMRecord
			var mods string
			var at int64
			err := rows.Scan(&r.Institution, &r.StudyUID, &r.PatientID, &r.IssuerOfPatientID, &mods, &r.NumSeries,
				&r.NumInstances, &r.StudyHeader, &r.Seq, &r.SyncedSeq, &r.ImagingStudyID, &at,
				&r.SeriesUID, &r.Modality, &r.NumInstances, &r.SeriesHeader)
			r.Modalities = splitMods(mods)
			r.Received = e.fromMicros(at)
			return r, err
		}
	case store.DICOMImage:
		join := q.PatientID != "" || q.Accession != "" || q.StudyDateFrom != "" || q.StudyDateTo != ""
		if q.Institution != "" {
			a.add("i.institution = ?", q.Institution)
		}
		a.in("i.study_uid", q.StudyUIDs)
		a.in("i.series_uid", q.SeriesUIDs)
		a.in("i.sop_uid", q.SOPUIDs)
		from := ` FROM dicom_instances i`
		if join {
			from += ` JOIN dicom_studies st ON st.institution = i.institution AND st.study_uid = i.study_uid`
			if q.PatientID != "" {
				a.add("st.patient_id = ?", q.PatientID)
			}
			if q.Accession != "" {
				a.add("st.accession = ?", q.Accession)
			}
			if q.StudyDateFrom != "" {
				a.add("st.study_date >= ?", q.StudyDateFrom)
			}
			if q.StudyDateTo != "" {
				a.add("st.study_date <= ?", q.StudyDateTo)
			}
		}
		if q.Modality != "" {
			a.add("EXISTS (SELECT 1 FROM dicom_series s WHERE s.institution = i.institution AND s.series_uid = i.series_uid AND s.modality = ?)", q.Modality)
		}
		header := "i.header"
		if q.NoHeaders {
			header = "''"
			if e.d.Name != "sqlite" {
				header = "''::bytea"
			}
		}
		sql = `SELECT i.institution, i.study_uid, i.series_uid, i.sop_uid, i.sop_class_uid, i.transfer_syntax,
 i.instance_number, i.blob_key, i.size, ` + header + `, i.bulk_tags, i.received_at` + from + a.sql() +
			` ORDER BY i.study_uid, i.series_uid, i.instance_number, i.sop_uid` + a.limit(q.Limit)
		scan = func(rows Rows) (store.DICOMRecord, error) {
			var r store.DICOMRecord
			var at int64
			var h any
			err := rows.Scan(&r.Institution, &r.StudyUID, &r.SeriesUID, &r.SOPInstanceUID, &r.SOPClassUID,
				&r.TransferSyntax, &r.InstanceNumber, &r.BlobKey, &r.Size, &h, &r.BulkTags, &at)
			switch v := h.(type) {
			case []byte:
				r.Header = v
			case string:
				r.Header = []byte(v)
			}
			r.Received = e.fromMicros(at)
			return r, err
		}
	default:
		return nil, e.wrap(op, fmt.Errorf("unknown level %q", q.Level))
	}
	rows, err := e.b.Reader().Query(ctx, sql, a.args...)
	if err != nil {
		return nil, e.wrap(op, err)
	}
	defer rows.Close()
	var out []store.DICOMRecord
	for rows.Next() {
		r, err := scan(rows)
		if err != nil {
			return nil, e.wrap(op, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, e.wrap(op, err)
	}
	return out, nil
}

// DICOMStudiesToSync implements store.DICOMIndex.
func (e *Engine) DICOMStudiesToSync(ctx context.Context, limit int) ([]store.DICOMRecord, error) {
	const op = "store: dicom studies to sync"
	rows, err := e.b.Reader().Query(ctx, `SELECT `+studyCols+` FROM dicom_studies st WHERE st.seq > st.synced_seq
 ORDER BY st.updated_at LIMIT $1`, limit)
	if err != nil {
		return nil, e.wrap(op, err)
	}
	defer rows.Close()
	var out []store.DICOMRecord
	for rows.Next() {
		r, err := e.scanStudy(rows)
		if err != nil {
			return nil, e.wrap(op, err)
		}
		out = append(out, r)
	}
	return out, e.wrap(op, rows.Err())
}

// DueDICOMRoutes implements store.DICOMIndex.
func (e *Engine) DueDICOMRoutes(ctx context.Context, now time.Time, limit int) ([]store.DICOMRoute, error) {
	const op = "store: due dicom routes"
	rows, err := e.b.Reader().Query(ctx, `SELECT id, institution, destination, sop_uid, attempts, next_at, last_error
 FROM dicom_routes WHERE next_at <= $1 ORDER BY next_at, id LIMIT $2`, now.UnixMicro(), limit)
	if err != nil {
		return nil, e.wrap(op, err)
	}
	defer rows.Close()
	var out []store.DICOMRoute
	for rows.Next() {
		var r store.DICOMRoute
		var next int64
		if err := rows.Scan(&r.ID, &r.Institution, &r.Destination, &r.SOPInstanceUID, &r.Attempts, &next, &r.LastError); err != nil {
			return nil, e.wrap(op, err)
		}
		r.NextAttempt = e.fromMicros(next)
		out = append(out, r)
	}
	return out, e.wrap(op, rows.Err())
}

// FinishDICOMRoute implements store.DICOMIndex.
func (e *Engine) FinishDICOMRoute(ctx context.Context, id int64, failed bool, lastError string, next time.Time) error {
	const op = "store: finish dicom route"
	return e.inTx(ctx, op, func(t *Tx) error {
		var err error
		if failed {
			_, err = t.c.Exec(ctx, `UPDATE dicom_routes SET attempts = attempts + 1, last_error = $1, next_at = $2 WHERE id = $3`,
				lastError, next.UnixMicro(), id)
		} else {
			_, err = t.c.Exec(ctx, `DELETE FROM dicom_routes WHERE id = $1`, id)
		}
		return t.e.wrap(op, err)
	})
}
