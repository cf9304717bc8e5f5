// Package dicom is the hub's DICOM service: it wires the DIMSE handlers of
// yigong/dicom/net to the blob store (server/blobs), the DICOM index (the
// store's optional store.DICOMIndex) and the FHIR mapping
// (adapters/dicomfhir), and offers the same operations to DICOMweb
// (server/dicomweb): ingest, query, retrieve.
//
// # Data flow
//
// A C-STORE (or STOW-RS part) is parsed up to what the index needs, written to
// the blob store as a Part 10 file made of our meta group and the data set
// bytes exactly as received (durable: fsync, rename, folder fsync), while
// its index rows and any routing queue entries commit in one store
// transaction; only once both are durable is Success returned. A C-STORE'd
// instance under 128 KiB (blobs.SmallMax) instead carries its Part 10 file
// into that transaction (a pending blob): the one commit makes file and rows
// durable together, and a background mover writes the file to the blob
// store afterwards and drops the pending copy; reads find it in either
// place (mover.go). Index rows of concurrent C-STOREs and
// STOW-RS requests are group-committed: what waits while one transaction
// commits goes in the next, one WAL fsync for many instances. A STOW-RS
// request's parts are prepared (parsed, checked, written to a temporary
// blob) a few at a time while the rest of the body is read (Batch), and
// committed together. An instance already indexed (same SOP
// Instance UID in the institution) is answered Success without being stored
// again. The study's FHIR ImagingStudy (with Patient and ServiceRequest link)
// is rebuilt from the index by a background worker, driven by a durable
// per-study change counter, so a crash between the two loses nothing and a
// burst of instances costs one transaction Bundle per study, not per
// instance.
//
// C-FIND and QIDO-RS select candidates in SQL (patient id, UIDs, accession
// number, study date range, modality) and decide the rest with
// yigong/dicom/query, so wildcards, per-group person name matching and
// case-insensitive alphabetic names behave the same in both. C-MOVE, C-GET
// and WADO-RS read the blobs verbatim: what was stored is what is sent,
// unless the peer takes only another syntax (yigong/dicom/codec converts).
//
// Callers are scoped by institution: an AE listed with an institution
// finds and retrieves only that institution's studies unless it has
// see_all; a DICOMweb principal sees only its institution's unless that is
// the hub's own or listed in Settings.SeeAll ([Service.Scope]).
//
// # Configuration
//
// AEs lists the peers: who may call (when AllowAny is false), the
// institution their instances belong to, the character set their
// undeclared text is in and in which C-FIND answers are encoded, their
// address (which makes them C-MOVE destinations and routing targets) and the
// destinations they may move to. Routes forward instances by calling AE,
// modality or institution through a durable queue with retries.
//
// # Concurrency
//
// A Service is safe for concurrent use once started; handlers run
// concurrently for different associations.
package dicom
