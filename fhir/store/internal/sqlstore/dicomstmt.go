package sqlstore

import (
	"context"
)

// The DICOM index's per-instance statements have fixed texts, so that an
// engine can keep them prepared (DICOMHotStatements: SQLite prepares them
// once on its writer or reader connections; pgx caches prepared statements
// by text). Parsing them anew for every C-STORE cost about 0.3 ms of CPU
// on SQLite, and the duplicate check, built by QueryDICOM, about 0.2 ms.

const (
	putDICOMInstanceSQL = `INSERT INTO dicom_instances (institution, sop_uid, study_uid, series_uid, sop_class_uid,
 transfer_syntax, instance_number, blob_key, size, header, bulk_tags, source, received_at)
 VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) ON CONFLICT (institution, sop_uid) DO NOTHING`

	putDICOMSeriesSQL = `INSERT INTO dicom_series (institution, study_uid, series_uid, modality, num_instances, header)
 VALUES ($1,$2,$3,$4,1,$5) ON CONFLICT (institution, series_uid) DO UPDATE SET
 num_instances = dicom_series.num_instances + 1, header = excluded.header, modality = excluded.modality
 RETURNING num_instances`

	putDICOMStudySQL = `INSERT INTO dicom_studies (institution, study_uid, patient_id, issuer, accession, study_date,
 modalities, num_series, num_instances, header, seq, synced_seq, imaging_study, updated_at)
 VALUES ($1,$2,$3,$4,$5,$6,$7,1,1,$8,1,0,'',$9) ON CONFLICT (institution, study_uid) DO UPDATE SET
 patient_id = excluded.patient_id, issuer = excluded.issuer, accession = excluded.accession,
 study_date = excluded.study_date, num_series = dicom_studies.num_series + $10,
 num_instances = dicom_studies.num_instances + 1, header = excluded.header,
 seq = dicom_studies.seq + 1, updated_at = excluded.updated_at
 RETURNING modalities`

	putDICOMRouteSQL = `INSERT INTO dicom_routes (institution, destination, sop_uid, attempts, next_at, last_error, created_at)
 VALUES ($1,$2,$3,0,$4,'',$4)`

	dicomInstanceBlobSQL = `SELECT blob_key FROM dicom_instances WHERE institution = $1 AND sop_uid = $2`
)

// DICOMHotStatements are the texts PutDICOMInstance runs in a write
// transaction for every stored instance; an engine may prepare them once
// on its writer connection, as it does HotStatements.
func (e *Engine) DICOMHotStatements() []string {
	return []string{putDICOMInstanceSQL, putDICOMSeriesSQL, putDICOMStudySQL, putDICOMRouteSQL,
		putDICOMPendingBlobSQL, deleteDICOMPendingBlobSQL}
}

// DICOMReadStatements are the texts the DICOM index runs outside a
// transaction for every stored instance (the duplicate check); an engine
// may prepare them once on its reader connections.
func (e *Engine) DICOMReadStatements() []string {
	return []string{dicomInstanceBlobSQL, dicomPendingBlobSQL}
}

// DICOMInstanceBlob implements store.DICOMIndex.
func (e *Engine) DICOMInstanceBlob(ctx context.Context, institution, sopInstanceUID string) (string, error) {
	const op = "store: dicom instance blob"
	var key string
	err := e.b.Reader().QueryRow(ctx, dicomInstanceBlobSQL, institution, sopInstanceUID).Scan(&key)
	if err != nil {
		if e.d.IsNoRows(err) {
			return "", nil
		}
		return "", e.wrap(op, err)
	}
	return key, nil
}
