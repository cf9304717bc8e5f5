// Package store defines the storage contract of yigong's FHIR server: how
// resources are created, versioned, read, deleted, listed in history and
// published to an outbox of changes, whatever database lies beneath.
//
// Most code should depend on this package only. The engines are
// yigong/fhir/store/sqlite (embedded, pure Go, the default) and
// yigong/fhir/store/postgres (production); yigong/fhir/store/storetest holds
// the one test suite both must pass. As with database/sql/driver, the
// contract is a small required interface and optional ones that callers
// detect at run time.
//
// # Required interfaces
//
//   - [Store]: [Reader] (Read, VRead) + [Writer] (Create, CreateIfNoneExist,
//     Update, Delete) + Begin, History, Changes, Close.
//   - [Tx]: the same Reader and Writer inside one transaction, plus Commit
//     and Rollback. A transaction Bundle runs through one Tx.
//
// # Optional interfaces
//
//   - [Migrator]: versioned schema migrations (engines also migrate on open).
//   - [Searcher]: search over the index tables (an engine's Tx searches too,
//     seeing its own writes): every parameter type (string, token, date,
//     number, quantity with UCUM-canonical values, reference, uri,
//     composite), _id, _lastUpdated, modifiers (missing, exact, contains,
//     text, not, above, below), all prefixes, chains and _has (reverse
//     chains) nested, system search over several types, sort on several
//     keys of any type, keyset paging (the cursor carries the last entry's
//     sort values and key, so concurrent writes never shift a page), totals,
//     _include/_revinclude with :iterate. The FHIR query language is parsed
//     by yigong/fhir/search.
//   - [Reindexer]: re-index stored resources in batches with the engine's
//     Indexer, after search parameters changed.
//   - [PartitionAuditor]: per-table row counts and rows lacking the
//     partition key.
//   - [Pinger]: a health check.
//
// How a search runs: the filter most likely to be selective (an _id, a
// reference, a token code, a string prefix...) becomes a semi-join on its
// index table, "(institution, type, id) IN (SELECT ... FROM idx_x WHERE
// type = ? AND param = ? AND value...)", which both engines drive from the
// value index; every other filter is a correlated EXISTS probe through the
// per-resource index (institution, type, id, param); negations (:not, ne,
// :missing=true) are NOT EXISTS probes. Chains and _has are nested
// semi-joins through idx_reference (by target for _has and _revinclude).
// Sort values of parameters are correlated MIN/MAX subqueries, so sorting
// costs O(matches); the page of keys is chosen first and bodies fetched by
// primary key.
//
// Search indexing is driven by an [Indexer] the engine is opened with; the
// engine calls it inside the write transaction of every create and update.
//
// # Resources are JSON bytes
//
// Callers pass a resource as JSON ([Input].JSON) and get back the stored
// bytes ([Resource].JSON). The store does not take a *fhir.Node: it has no
// need for the tree, and decoding and re-encoding every resource on the
// ingest path would cost more than the write. It rewrites only the top level:
// resourceType, "id" and "meta" first, meta.versionId and meta.lastUpdated
// set, every other member (and the rest of meta: profile, tag, security,
// source) kept byte for byte. A caller holding a *fhir.Node marshals it with
// fhirjson first; the production Indexer decodes the stored JSON with
// fhirjson to evaluate FHIRPath.
//
// meta.lastUpdated is an instant with microsecond precision and an offset,
// +08:00 unless the engine is given another zone; a new version's instant is
// always later than its predecessor's.
//
// # Institutions: the partition key
//
// Every resource belongs to one institution (the county hospital, a township
// health centre), and every data table, index tables and outbox included,
// carries that institution as a column. In the resource tables it leads the
// primary key ((institution, type, id) for the current version,
// (institution, type, id, version) for history) so that a distributed
// PostgreSQL engine (Citus) can make it the distribution column and co-locate
// a resource, its versions and its index rows. Logical ids are unique per
// institution: server-assigned ids are UUIDv7 and never collide; an update
// with a client id that exists in another institution fails with
// ErrConflict. A [Ref] with an empty Institution means "whichever institution
// owns it" (the county hospital's view); on a distributed engine that read
// fans out to all shards.
//
// # Errors
//
// Errors are *fhir.Error values with a kind (fhir.KindOf) and a message
// prefixed "store: <operation> <Type/id>:". Conditions callers branch on
// wrap a sentinel: [ErrNotFound] (KindNotFound), [ErrGone] (KindGone; Read
// and VRead also return the deletion version), [ErrPrecondition]
// (KindPrecondition; If-Match), [ErrConflict] (KindConflict, or KindBusy for
// a retryable deadlock or serialisation failure), [ErrClosed]. Invalid input
// is KindInvalid. The store never logs.
//
// # Conditional create is race-free
//
// CreateIfNoneExist normalises its criteria ([CriteriaKey]) and inserts the
// key (institution, type, SHA-256 of type?criteria) into a table whose
// primary key it is, with INSERT ... ON CONFLICT DO NOTHING, in the same
// transaction as the resource. Exactly one of several concurrent identical
// requests takes the key and creates; on PostgreSQL the others wait on the
// key's unique index until that transaction ends and then find the key
// taken (or, if it rolled back, take it themselves); on SQLite the single
// writer serialises them. They return the holder with created=false.
// Deleting the holder releases the key.
//
// Why a unique key rather than a per-type advisory lock or SERIALIZABLE
// retry: the key serialises only requests with the same criteria (an advisory
// lock per type would serialise every conditional create of Patient across
// the alliance), it needs no retry loop in every caller, it works the same on
// SQLite, PostgreSQL and Citus (the key includes the distribution column),
// and it is the fix HAPI FHIR settled on (HFJ_RES_SEARCH_URL). Its limit:
// requests whose criteria differ in text but match the same resource are not
// serialised against each other; when the Searcher-based match lands, the
// server will search inside the Tx before calling CreateIfNoneExist, and the
// key still closes the window between search and insert for identical
// criteria.
//
// # The outbox and its ordering guarantee
//
// Every version written becomes a [Change] (resource type, id, version,
// operation, institution, sequence) in the changes table, in the same
// transaction. Consumers poll [Store.Changes] with the last sequence they
// processed; they see every committed change exactly once, in commit order,
// and sequence numbers are dense (1, 2, 3, ... no gaps), so a gap can only
// mean "not yet committed" and never "skipped".
//
// The guarantee comes from where the sequence is assigned: at commit, not at
// insert. Commit increments the single row of change_counter (UPDATE ...
// RETURNING), inserts the transaction's changes with the numbers it got, and
// commits. The row lock on change_counter is held until the commit
// completes, so a concurrent transaction reaching its commit waits until the
// first is durable and visible, then continues the sequence. A rolled-back
// transaction rolls its increment back with it: no gaps. (A database
// sequence would give numbers in insert order, not commit order, and lose
// numbers on rollback; a consumer could then pass seq 11 while 10 was still
// uncommitted and never see 10.) The price: the tail of every writing
// transaction, from its outbox insert to the end of its commit (one fsync),
// is serialised; the writes before it run concurrently on PostgreSQL. On
// SQLite the whole write transaction is serialised anyway.
//
// # Concurrency and lock order
//
// A Store is safe for concurrent use; a Tx is not. Engines take locks in
// this order, so transactions do not deadlock on the store's own rows:
// the resources row of each resource written (in the caller's order), the
// conditional_keys row, index rows of those resources, and last the
// change_counter row at commit. Two transactions that write the same two
// resources in opposite orders can still deadlock on PostgreSQL; the loser
// gets ErrConflict with KindBusy and may retry (transaction Bundles should
// sort their entries).
//
// # Context
//
// Every method that does I/O takes a context.Context first; cancelling it
// aborts the statement in progress (and, for a Tx, leaves the Tx to be
// rolled back). Contexts are never stored.
package store
