// Package audit records the hub's audit trail: an AuditEvent following IHE
// Basic Audit Log Patterns (BALP) for every read, search, write, login,
// logout, authentication failure and export — who (user or client, their
// institution, network address), what (the resource or the query), when,
// and the outcome — appended to a hash chain that `yigong audit verify`
// checks link by link.
//
// # Chain
//
// Entry n stores Hash_n = H(Hash_{n-1} ‖ n ‖ recorded ‖ institution ‖ action
// ‖ outcome ‖ agent ‖ event), each field length-prefixed; H is SM3 (GB/T
// 32905, github.com/emmansun/gmsm/sm3) by default, SHA-256 selectable. A
// modified, deleted, inserted or reordered row breaks the chain at that row
// and Verify reports the first broken link. Retention deletes a prefix and
// keeps the last deleted hash as the anchor the chain restarts from.
//
// # Storage
//
// Events live in their own append-only table (store.AuditLog, migration
// 0041_audit.sql; UPDATE is refused by a trigger), not as FHIR resources:
// the FHIR API cannot update or delete them because it does not reach them,
// and writing one resource per read would double every read's cost and
// flood the outbox. server/fhirapi serves them read-only as AuditEvent read
// and search (the id is the sequence number), to the audit administrator
// only; the hub's HTTP middleware (server/security_http.go) records one
// event per answered request.
//
// # Writing
//
// Record never blocks on the database: events go to a bounded queue and one
// goroutine appends them in batches (one transaction per batch). When the
// queue is full Record waits (back-pressure) rather than drop an event.
// Close drains the queue, so a clean shutdown loses nothing; a crash loses
// at most the events of the last unflushed batch (FlushInterval, 50 ms by
// default) — for requests whose response was already sent.
//
// # Specs
//
// IHE ITI Basic Audit Log Patterns 1.1 (BALP), FHIR R4 AuditEvent, DICOM
// PS3.15 Annex A.5 (the audit event codes BALP reuses).
package audit
