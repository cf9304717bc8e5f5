-- Pending DICOM blobs (fhir/store DICOMInstance.Blob): a small instance's
-- Part 10 file is written in the same transaction as its index rows, so that
-- the one commit makes both durable; the DICOM service then writes it to the
-- blob store (fsync, rename, folder fsync) and deletes the row. Rows live
-- for milliseconds, or until the next start after a crash.
CREATE TABLE dicom_pending_blobs (
  blob_key   TEXT    NOT NULL PRIMARY KEY,
  data       BLOB    NOT NULL,
  created_at INTEGER NOT NULL
);
