package store

import (
	"context"
	"time"
)

// The DICOM index is an optional part of the contract: the table set the
// hub's DICOM services (C-FIND, QIDO-RS, WADO-RS, C-MOVE/C-GET) answer from,
// kept in the same database as the resources so that an instance's index
// rows, the routing queue entries it causes and (later) its FHIR
// ImagingStudy commit together. Engines that keep it implement DICOMIndex;
// their transactions implement DICOMIndexTx. Every table carries the
// institution as the first column of its key, the partition key.
//
// Attribute sets are kept as encoded data sets (explicit VR little endian,
// with their Specific Character Set): the index stores and filters on a few
// columns, and callers match the rest with dicom/query semantics.

// DICOMInstance is one stored SOP instance as the index records it.
type DICOMInstance struct {
	Institution       string
	PatientID         string
	IssuerOfPatientID string
	StudyUID          string
	SeriesUID         string
	SOPInstanceUID    string
	SOPClassUID       string
	TransferSyntax    string
	AccessionNumber   string
	StudyDate         string // DA, YYYYMMDD or ""
	Modality          string
	InstanceNumber    int64
	// BlobKey names the Part 10 file in the blob store; Size is its length.
	BlobKey string
	Size    int64
	// Blob, when set, is the Part 10 file itself (BlobKey its key): it is
	// kept as a pending blob (DICOMPendingBlob) in the same transaction as
	// the row, whether or not the row is created, so that one commit makes
	// both durable; the caller later writes it to the blob store and
	// deletes it (DeleteDICOMPendingBlobs).
	Blob []byte
	// StudyHeader holds the patient and study attributes, SeriesHeader the
	// series attributes, Header the instance's own (all but bulk data).
	StudyHeader, SeriesHeader, Header []byte
	// BulkTags lists the top-level binary elements left out of Header, as
	// "ggggeeee:VR" separated by spaces (pixel data, large overlays).
	BulkTags string
	Received time.Time
	// Source is the calling AE title or "STOW-RS"; it travels to routing.
	Source string
}

// DICOMRoute is a durable routing queue entry: send an instance to a
// destination AE, with retries.
type DICOMRoute struct {
	ID             int64
	Institution    string
	Destination    string
	SOPInstanceUID string
	Attempts       int
	NextAttempt    time.Time
	LastError      string
}

// DICOMIndexTx is implemented by transactions of engines that keep the DICOM
// index.
type DICOMIndexTx interface {
	// PutDICOMInstance records in (creating or updating its study and
	// series) and queues a route to each of routes. It reports created
	// false, writing nothing, when the institution already holds the SOP
	// instance UID: an instance sent twice is stored once.
	PutDICOMInstance(ctx context.Context, in *DICOMInstance, routes []string) (created bool, err error)
	// MarkDICOMStudySynced records that the study's FHIR ImagingStudy
	// reflects its index up to change seq.
	MarkDICOMStudySynced(ctx context.Context, institution, studyUID string, seq int64, imagingStudyID string) error
	// DeleteDICOMPendingBlobs drops the pending blobs of keys (those
	// absent are skipped): their files are durable in the blob store.
	DeleteDICOMPendingBlobs(ctx context.Context, keys []string) error
}

// DICOMPendingBlob is a blob kept in the index until it is written to the
// blob store (DICOMInstance.Blob).
type DICOMPendingBlob struct {
	Key  string
	Data []byte
}

// DICOMLevel is a query/retrieve level.
type DICOMLevel string

// Levels of DICOMQuery.
const (
	DICOMPatient DICOMLevel = "PATIENT"
	DICOMStudy   DICOMLevel = "STUDY"
	DICOMSeries  DICOMLevel = "SERIES"
	DICOMImage   DICOMLevel = "IMAGE"
)

// DICOMQuery selects index rows. Empty fields do not filter; list fields
// match any of their values. Callers match the remaining keys themselves.
type DICOMQuery struct {
	Institution string // "" = all
	Level       DICOMLevel
	PatientID   string
	StudyUIDs   []string
	SeriesUIDs  []string
	SOPUIDs     []string
	Accession   string
	Modality    string // at series and instance level
	// StudyDateFrom and StudyDateTo bound StudyDate (YYYYMMDD, inclusive).
	StudyDateFrom, StudyDateTo string
	// NoHeaders leaves the Header of instance rows empty.
	NoHeaders bool
	// Limit caps the rows (0: no cap).
	Limit int
}

// DICOMRecord is one row of a DICOMQuery answer. At study level the series
// and instance fields are empty; at series level the instance fields.
type DICOMRecord struct {
	Institution       string
	PatientID         string
	IssuerOfPatientID string
	StudyUID          string
	SeriesUID         string
	SOPInstanceUID    string
	SOPClassUID       string
	TransferSyntax    string
	Modality          string
	InstanceNumber    int64
	BlobKey           string
	Size              int64
	StudyHeader       []byte
	SeriesHeader      []byte
	Header            []byte
	BulkTags          string
	// Counts and modalities of a study or series.
	NumSeries, NumInstances int64
	Modalities              []string
	// Seq is the study's change counter; SyncedSeq what its ImagingStudy
	// reflects; ImagingStudyID the resource id once written.
	Seq, SyncedSeq int64
	ImagingStudyID string
	Received       time.Time
}

// DICOMIndex is implemented by engines that keep the DICOM index. Its
// transactions (Store.Begin) implement DICOMIndexTx.
type DICOMIndex interface {
	// QueryDICOM returns the rows of q.Level selected by q, ordered by
	// study, series and instance number.
	QueryDICOM(ctx context.Context, q DICOMQuery) ([]DICOMRecord, error)
	// DICOMInstanceBlob returns the blob key of the SOP instance the
	// institution holds, or "" when it holds none: the cheap check an
	// instance is put through before its blob is written (one fixed
	// statement an engine may keep prepared).
	DICOMInstanceBlob(ctx context.Context, institution, sopInstanceUID string) (blobKey string, err error)
	// DICOMStudiesToSync returns up to limit studies whose ImagingStudy is
	// behind their index (Seq > SyncedSeq), oldest change first.
	DICOMStudiesToSync(ctx context.Context, limit int) ([]DICOMRecord, error)
	// DICOMPendingBlob returns the pending blob key (DICOMInstance.Blob),
	// ok false when none is pending under key.
	DICOMPendingBlob(ctx context.Context, key string) (data []byte, ok bool, err error)
	// DICOMPendingBlobs returns up to limit pending blobs whose keys sort
	// after after, in key order: the blobs a crash left unwritten.
	DICOMPendingBlobs(ctx context.Context, after string, limit int) ([]DICOMPendingBlob, error)
	// DueDICOMRoutes returns up to limit routing entries due at now.
	DueDICOMRoutes(ctx context.Context, now time.Time, limit int) ([]DICOMRoute, error)
	// FinishDICOMRoute removes a sent entry (failed false) or records a
	// failed attempt and the time of the next one.
	FinishDICOMRoute(ctx context.Context, id int64, failed bool, lastError string, next time.Time) error
}
