// Package empi is the hub's enterprise master patient index service: it keeps
// an in-memory yigong/fhir/empi Index of every current Patient, matches each
// Patient as it is created or updated (from FHIR REST, HL7 v2 or DICOM: all
// of them commit through the store, so the service reads the store's change
// outbox rather than any one listener), links records of one person under a
// master Patient, queues borderline pairs for a human as review Tasks,
// answers Patient/$match, and merges and unmerges patients reversibly.
//
// # The link model (R4 Patient.link, http://hl7.org/fhir/R4/patient.html#links)
//
// A person known to several institutions gets one master ("golden") Patient,
// written by this service and tagged [TagSystem]|[TagGolden]. The master
// holds one Patient.link {other: Patient/<source>, type: "seealso"} per
// institution record (R4 link-type: seealso = "the patient resource
// containing this link is in use and valid… the link points to another
// patient resource that is considered to be relevant"). Its name, gender,
// birth date, telecom and address are those of the most recently matched
// source ("latest wins"); it carries no identifiers.
//
// The institutions' own records are NOT modified by an automatic link. The
// reverse direction is a search: Patient?link=Patient/<source> returns the
// master, and Patient?identifier=<any identifier of a source>&_revinclude=Patient:link
// returns the source with its master. Two reasons, both about not breaking
// what adapters already rely on:
//
//   - copying identifiers onto the master would make every conditional
//     create or update keyed on an identifier (If-None-Exist, PUT
//     Patient?identifier=…, as the HL7 v2 and DICOM adapters write) find two
//     patients and fail with 412;
//   - writing a "refer" link back into a source would make the next ADT A40
//     whose prior patient it is match nothing (adapters/v2fhir guards its
//     prior-patient patch with link:missing=true), and every HIS update
//     that PUTs the record again would drop the link and start a
//     re-link/overwrite cycle.
//
// A merge is a different thing from a link: it retires a duplicate. Merge
// (Patient/$merge, ADT A40) marks the source active=false with
// link {other: target, type: "replaced-by"} and gives the target
// link {other: source, type: "replaces"} — the R4 meaning exactly (a
// replaced-by patient "must no longer be used"). Nothing is deleted and no
// reference held by other resources is rewritten: readers follow the links,
// and $everything on a patient gathers the compartments of every patient
// reachable through its seealso, refer and replaces links (so $everything on
// a master covers all its institutions' records, and on a survivor the
// records still pointing at the merged-away patient). Unmerge removes the two
// links and restores the source's active flag and any identifiers the merge
// moved (taken from the source's version before the merge), so history shows
// both steps. Merge and unmerge each write a Provenance (activity
// iso-21089-lifecycle merge / unmerge, the prior versions as entities) and,
// when Options.Audit is set (yigong/server/audit.Recorder), an AuditEvent
// (action update) per changed patient.
//
// # Thresholds
//
// The matcher's Model decides: weight ≥ Upper (grade certain) links
// automatically; Lower ≤ weight < Upper (probable) creates a review Task
// ([empi.ReviewTask], status requested, focus and both candidates as inputs,
// with an identifier per pair so one pair is queued once); below Lower
// nothing happens. A certain match with a record already under a different
// master is not linked automatically either (that would join two persons'
// masters): it goes to review.
//
// # Incremental processing and the cursor
//
// [Service.Run] reads store.Changes in commit order. Each Patient change is
// matched and its writes (master, Task) commit in one store transaction
// together with the consumer's position (the queue_cursors row named
// [CursorName], through the store transaction's SetCursor), so a crash
// neither loses nor repeats a decision. Changes that write nothing advance
// the position in memory and it is persisted at the end of each batch.
// Processing is idempotent, so replaying a change is harmless.
//
// At start the index is rebuilt from the store (every current Patient,
// streamed a page at a time); until then Match answers KindBusy.
//
// # Concurrency
//
// One goroutine (Run) owns the consumer; the index is safe for concurrent
// Matches. mu guards the maps from patient ids to index positions and
// masters; it is never held across store calls. Run's caller owns its
// goroutine and stops it through ctx. A work token serialises what loads
// the index or writes masters from it (Run's load, each Sync, a Relink), so
// a bulk [Service.Relink] may run on a live hub (the hub's relink job): the
// consumer pauses until it ends, then matches the changes committed
// meanwhile.
package empi
