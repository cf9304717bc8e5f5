-- The DICOM index (fhir/store DICOMIndex): what C-FIND, QIDO-RS, WADO-RS,
-- C-MOVE and C-GET answer from. Every table carries institution, the
-- partition key, first in its key. Headers are encoded data sets (explicit
-- VR little endian with their Specific Character Set).

CREATE TABLE dicom_studies (
  institution   TEXT    NOT NULL,
  study_uid     TEXT    NOT NULL,
  patient_id    TEXT    NOT NULL,
  issuer        TEXT    NOT NULL,
  accession     TEXT    NOT NULL,
  study_date    TEXT    NOT NULL,
  modalities    TEXT    NOT NULL, -- distinct series modalities, "\"-separated
  num_series    INTEGER NOT NULL,
  num_instances INTEGER NOT NULL,
  header        BLOB    NOT NULL, -- patient and study attributes
  seq           INTEGER NOT NULL, -- bumped by every instance stored
  synced_seq    INTEGER NOT NULL, -- what the FHIR ImagingStudy reflects
  imaging_study TEXT    NOT NULL, -- ImagingStudy id, "" until written
  updated_at    INTEGER NOT NULL,
  PRIMARY KEY (institution, study_uid)
) WITHOUT ROWID;
CREATE INDEX dicom_studies_patient ON dicom_studies (patient_id);
CREATE INDEX dicom_studies_accession ON dicom_studies (accession);
CREATE INDEX dicom_studies_date ON dicom_studies (study_date);
CREATE INDEX dicom_studies_uid ON dicom_studies (study_uid);
CREATE INDEX dicom_studies_unsynced ON dicom_studies (updated_at) WHERE seq > synced_seq;

CREATE TABLE dicom_series (
  institution   TEXT    NOT NULL,
  study_uid     TEXT    NOT NULL,
  series_uid    TEXT    NOT NULL,
  modality      TEXT    NOT NULL,
  num_instances INTEGER NOT NULL,
  header        BLOB    NOT NULL,
  PRIMARY KEY (institution, series_uid)
) WITHOUT ROWID;
CREATE INDEX dicom_series_study ON dicom_series (study_uid);
CREATE INDEX dicom_series_uid ON dicom_series (series_uid);

CREATE TABLE dicom_instances (
  institution     TEXT    NOT NULL,
  sop_uid         TEXT    NOT NULL,
  study_uid       TEXT    NOT NULL,
  series_uid      TEXT    NOT NULL,
  sop_class_uid   TEXT    NOT NULL,
  transfer_syntax TEXT    NOT NULL,
  instance_number INTEGER NOT NULL,
  blob_key        TEXT    NOT NULL,
  size            INTEGER NOT NULL,
  header          BLOB    NOT NULL, -- all but bulk data
  bulk_tags       TEXT    NOT NULL,
  source          TEXT    NOT NULL,
  received_at     INTEGER NOT NULL,
  PRIMARY KEY (institution, sop_uid)
) WITHOUT ROWID;
CREATE INDEX dicom_instances_series ON dicom_instances (series_uid, instance_number);
CREATE INDEX dicom_instances_study ON dicom_instances (study_uid);
CREATE INDEX dicom_instances_uid ON dicom_instances (sop_uid);

-- Durable routing queue: instances to forward to another AE, with retries.
CREATE TABLE dicom_routes (
  id           INTEGER PRIMARY KEY,
  institution  TEXT    NOT NULL,
  destination  TEXT    NOT NULL,
  sop_uid      TEXT    NOT NULL,
  attempts     INTEGER NOT NULL,
  next_at      INTEGER NOT NULL,
  last_error   TEXT    NOT NULL,
  created_at   INTEGER NOT NULL
);
CREATE INDEX dicom_routes_due ON dicom_routes (next_at);
