// Package bulkload loads FHIR data in bulk into a hub: transaction, batch,
// collection and searchset Bundles and NDJSON files (one resource per line,
// http://hl7.org/fhir/R4/nd-json.html), from files or folders, in parallel.
// It is the engine of `yigong import` and of the ingest half of `yigong
// bench fhir`.
//
// # Usage
//
//	sink := &bulkload.HTTPSink{BaseURL: "http://127.0.0.1:8080/fhir"} // or bulkload.NewStoreSink(...)
//	l := &bulkload.Loader{Sink: sink, Workers: 4}
//	rep, err := l.Run(ctx, []string{"synthea/", "export/Patient.ndjson"})
//
// # What each input becomes
//
//   - A transaction or batch Bundle is executed as it is (POST [base]).
//   - A collection or searchset Bundle becomes one transaction the loader
//     builds: an entry whose resource has an id is a PUT Type/id
//     (update-as-create, so ids and the references between resources are
//     kept), one without an id a POST; fullUrls are kept, so urn:uuid:
//     references between entries are rewritten by the transaction rules.
//     searchset entries with search.mode "outcome" are skipped.
//   - A single resource in a .json file is a one-entry transaction.
//   - An NDJSON file (.ndjson, .jsonl, optionally .gz) is streamed with the
//     fhirjson Decoder and cut into transactions of BatchSize resources (PUT
//     when the resource has an id, POST otherwise). A line that does not
//     decode is reported with its line number and skipped; when a chunk's
//     transaction fails, the chunk is re-sent as a batch so that every
//     good line is loaded and every bad one reported with its line.
//
// A file is never read into memory as a whole unless it is one Bundle
// (which must be, to be one transaction).
//
// # Sinks
//
// A [Sink] executes one batch or transaction Bundle: [HTTPSink] posts it to
// a running hub's FHIR base, [StoreSink] runs it straight against a
// store.Store through fhir/transaction, without a server.
//
// # Progress and errors
//
// [Progress] holds counters that the loader updates atomically as it goes
// (files, resources loaded and failed, bytes read); callers sample them for a
// progress bar or an API. [Report] lists, per file, what was loaded and
// every problem: the file, where in it (Bundle.entry[3], line 57) and the
// OperationOutcome's issues.
//
// # Concurrency and context
//
// Run starts its goroutines and waits for all of them before it returns;
// cancelling ctx stops reading and sending. A Loader is not reused
// concurrently; sinks are safe for concurrent use.
package bulkload
