// Package postgres is the production fhir/store engine on PostgreSQL, through
// pgx v5 and its pgxpool connection pool.
//
// # Usage
//
//	db, err := postgres.Open(ctx, "postgres://yigong@db/yigong?pool_max_conns=32", postgres.Options{Indexer: idx})
//	...
//	defer db.Close()
//
// Open applies the embedded migrations (migrations/NNNN_name.sql, recorded in
// schema_migrations) under a transaction-scoped advisory lock, so several
// processes starting together migrate once. Tables live in the first schema
// of the connection's search_path. [New] wraps an existing pool instead.
//
// # Concurrency and locking
//
// Transactions run at READ COMMITTED. A write locks the resources row it
// changes (SELECT ... FOR UPDATE) before checking If-Match and writing the
// next version, so concurrent updates of one resource serialise and versions
// never fork. Creating a new id relies on the primary key: INSERT ... ON
// CONFLICT DO NOTHING waits for a concurrent inserter and, when it commits,
// the update path takes over. Conditional creates serialise on their
// criteria key in conditional_keys the same way. At commit the
// change_counter row is locked to number the outbox entries in commit order
// (see the fhir/store documentation); this is the only point where writes
// to unrelated resources wait for each other.
//
// Deadlocks and serialisation failures come back as fhir.KindBusy wrapping
// store.ErrConflict; the caller may retry the whole transaction.
//
// # Bulk writes
//
// A transaction's index rows are flushed at commit (or before a search or a
// new version of a pending resource): a table with 64 rows or more goes by
// binary COPY (sqlstore.Copier), the rest and every resource's idx_mask in
// one pipelined batch (the masks as one UPDATE over unnest'ed arrays); a
// large outbox goes by COPY too. The resources table keeps half of each new
// page free (fillfactor 50), so the mask update of a row inserted earlier in
// the transaction is a heap-only tuple and touches no index. Nothing here
// relaxes durability: synchronous_commit stays as the server sets it and
// every table is logged.
//
// # Schema and distribution
//
// The schema matches the SQLite one with PostgreSQL types (BIGINT
// microseconds for instants, BOOLEAN, BYTEA bodies, value_norm COLLATE "C" so
// prefix ranges are byte-ordered). institution leads the primary key of the
// resource tables and is a column of every data table, so under Citus the
// resource tables and the index tables can be distributed by institution
// and co-located; changes and change_counter would stay on the coordinator
// (their global commit order is the point), and cross-institution reads
// (Ref.Institution "") fan out.
package postgres
