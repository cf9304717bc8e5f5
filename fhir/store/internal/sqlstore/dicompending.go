package sqlstore

import (
	"context"

	"yigong/fhir/store"
)

// Pending DICOM blobs (store.DICOMInstance.Blob, migration
// 0090_dicom_pending_blobs.sql): a small instance's Part 10 file rides in
// the transaction of its index rows, so that the one commit (one WAL
// flush) makes both durable, until the DICOM service has written it to the
// blob store. The statements have fixed texts, kept prepared like the
// other per-instance ones (dicomstmt.go).

const (
	putDICOMPendingBlobSQL = `INSERT INTO dicom_pending_blobs (blob_key, data, created_at) VALUES ($1,$2,$3)
 ON CONFLICT (blob_key) DO NOTHING`

	deleteDICOMPendingBlobSQL = `DELETE FROM dicom_pending_blobs WHERE blob_key = $1`

	dicomPendingBlobSQL = `SELECT data FROM dicom_pending_blobs WHERE blob_key = $1`

	dicomPendingBlobsSQL = `SELECT blob_key, data FROM dicom_pending_blobs WHERE blob_key > $1 ORDER BY blob_key LIMIT $2`
)

// putPendingBlob keeps in's blob pending in t (PutDICOMInstance).
func (t *Tx) putPendingBlob(ctx context.Context, in *store.DICOMInstance, at int64) error {
	_, err := t.c.Exec(ctx, putDICOMPendingBlobSQL, in.BlobKey, in.Blob, at)
	return err
}

// DeleteDICOMPendingBlobs implements store.DICOMIndexTx.
func (t *Tx) DeleteDICOMPendingBlobs(ctx context.Context, keys []string) error {
	const op = "store: delete dicom pending blobs"
	if err := t.closed(op); err != nil {
		return err
	}
	// One prepared statement per key, sent as one batch (pipelined on
	// PostgreSQL: one round trip for the mover's up to 1,024 keys).
	stmts := make([]Stmt, len(keys))
	for i, k := range keys {
		stmts[i] = Stmt{deleteDICOMPendingBlobSQL, []any{k}}
	}
	if _, err := execBatch(ctx, t.c, stmts); err != nil {
		return t.e.wrap(op, err)
	}
	return nil
}

// DICOMPendingBlob implements store.DICOMIndex.
func (e *Engine) DICOMPendingBlob(ctx context.Context, key string) ([]byte, bool, error) {
	const op = "store: dicom pending blob"
	var data []byte
	err := e.b.Reader().QueryRow(ctx, dicomPendingBlobSQL, key).Scan(&data)
	if err != nil {
		if e.d.IsNoRows(err) {
			return nil, false, nil
		}
		return nil, false, e.wrap(op, err)
	}
	return data, true, nil
}

// DICOMPendingBlobs implements store.DICOMIndex.
func (e *Engine) DICOMPendingBlobs(ctx context.Context, after string, limit int) ([]store.DICOMPendingBlob, error) {
	const op = "store: dicom pending blobs"
	rows, err := e.b.Reader().Query(ctx, dicomPendingBlobsSQL, after, limit)
	if err != nil {
		return nil, e.wrap(op, err)
	}
	defer rows.Close()
	var out []store.DICOMPendingBlob
	for rows.Next() {
		var b store.DICOMPendingBlob
		if err := rows.Scan(&b.Key, &b.Data); err != nil {
			return nil, e.wrap(op, err)
		}
		out = append(out, b)
	}
	return out, e.wrap(op, rows.Err())
}
