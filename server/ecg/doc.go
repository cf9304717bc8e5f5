// Package ecg is the hub's ECG intake: it takes ECG files from carts over
// HTTP, from a watched folder and (through a hook) from the DICOM C-STORE
// path, and turns each into FHIR resources with one pipeline.
//
// # Pipeline
//
// [Service.Ingest]: sniff the format and decode with ecg/formats (SCP-ECG,
// HL7 aECG, DICOM waveform, GE MUSE, ISHNE, MFER); measure with
// ecg/analysis; critical findings (analysis.Critical) and signal quality
// (quality.Check); render the PDF tracing (ecg/render); keep the original
// verbatim in the blob store (server/blobs), served at
// /ecg/originals/<sha256>; map with adapters/ecgfhir; execute the Bundle as
// one transaction. The answer is sent only after the commit. The same file
// twice yields the same resources (every entry is a conditional create
// keyed on the file's SHA-256).
//
// # Ways in
//
//   - HTTP (see [Service.Register]): POST /ingest/ecg with the file as the
//     body, up to Config.MaxSize. 201 with the DiagnosticReport and its
//     Location (200 and the same report when the file was ingested
//     before); 415 with an OperationOutcome for bytes of no supported
//     format, 422 for a corrupt or truncated file, 413 beyond the cap.
//   - The watched folder (Config.Watch): polled every Interval; a file is
//     taken when its size and modification time have not changed over one
//     interval (a cart still writing it is left alone); it goes to done/
//     when ingested, to failed/ with a <name>.error.txt beside it when it
//     cannot be read. Files whose failure is transient (the store busy,
//     the hub stopping) stay for the next poll.
//   - DICOM: [Service.IngestDICOM] for instances of the ECG waveform SOP
//     classes (12-lead, general, ambulatory ECG), called by the C-STORE
//     handler.
//
// # Concurrency and lifetime
//
// A Service is safe for concurrent use. [Service.Start] starts the
// watcher goroutine, which the Service owns; [Service.Shutdown] cancels it
// and waits for the file in hand. HTTP requests are drained by the HTTP
// server's own shutdown.
//
// # Logging
//
// Logs carry the format, the SHA-256 of the file and the report location;
// never patient names or identifiers (mapping warnings go to Debug).
package ecg
