// Package dicomweb serves DICOMweb (PS3.18) under /dicomweb on the hub's
// HTTP listener: QIDO-RS (search), WADO-RS (retrieve: instances as
// multipart/related application/dicom, metadata as DICOM JSON with
// BulkDataURIs, frames, bulk data, rendered and thumbnail images), STOW-RS
// (store) and WADO-URI, with CORS for browser viewers on the hub's
// allowlisted origins (security.cors). A STOW-RS request's parts are handed
// to the service as they are read (server/dicom.Batch) and answered once all
// stored instances are durable.
//
// Every answer comes from the DICOM index and the blob store through
// server/dicom, never by re-reading files to search: QIDO-RS matches
// exactly as C-FIND does (yigong/dicom/query: wildcards, per-group person
// names, ranges, UID lists), with query values percent-decoded as UTF-8,
// limited to the caller's institution (server/dicom Service.Scope).
// WADO-RS converts instances to the transfer syntax an Accept header names
// (native, RLE Lossless, JPEG Baseline: yigong/dicom/codec), decodes
// frames for an application/octet-stream Accept, and renders RLE and JPEG
// Baseline pixel data.
//
// # Spec sections
//
// PS3.18 §10.4 (WADO-RS), §10.5 (STOW-RS), §10.6 (QIDO-RS), §9 (WADO-URI),
// §8.3 (media types and transfer syntaxes), §10.7 (capabilities, partly),
// Annex F (DICOM JSON).
package dicomweb
