// Package sqlite is the embedded fhir/store engine: one SQLite file, written
// through modernc.org/sqlite (pure Go, so the binary stays static for the
// 信创 targets).
//
// # Usage
//
//	db, err := sqlite.Open(ctx, "data/yigong.db", sqlite.Options{Indexer: idx})
//	...
//	defer db.Close()
//	r, err := db.Create(ctx, store.Input{Institution: "h01", Type: "Patient", JSON: body})
//
// Open creates the file if needed and applies the embedded migrations
// (migrations/NNNN_name.sql, recorded in schema_migrations; a second Open
// applies nothing).
//
// # Connections and concurrency
//
// The database runs in WAL mode with a busy timeout. Writes go through one
// writer connection (a database/sql pool of size one, transactions begun
// IMMEDIATE), so write transactions are serialised in process: Begin waits,
// honouring its context, while another transaction is open. Reads outside a
// transaction use a separate pool of query_only connections (Options.Readers,
// default max(4, GOMAXPROCS)), which WAL lets run alongside the writer and
// see only committed data. A second process writing the same file waits for
// the lock up to the busy timeout and then fails with fhir.KindBusy.
//
// One writer is not a compromise here: SQLite admits one writer at a time
// whatever the connection count, and several writer connections only turn
// that into SQLITE_BUSY retries. Throughput comes from batching (a 100-entry
// transaction Bundle is one commit) and from keeping the writer's critical
// section short: the write path's statements are prepared once on the
// writer connection (sqlstore.HotStatements and sqlstore.DICOMHotStatements; multi-row INSERTs come in
// power-of-two sizes so their texts repeat, and run as INSERT OR FAIL, which
// needs no statement journal), the writer has a 32 MiB page cache and
// in-memory temporary storage, and index rows are computed by the
// transaction's index worker on another core (sqlstore pending.go).
//
// # Durability
//
// Options.Synchronous defaults to FULL: each commit is fsynced before Commit
// returns, so an acknowledged write survives a process crash and a power
// loss. NORMAL survives a process crash (the commit is in the WAL in the OS
// cache) but may lose the last commits on power loss; it is about twice as
// fast for single-resource commits. TestCrashSafety kills a writer process
// with SIGKILL at arbitrary points and checks that every acknowledged write
// is present after reopening.
//
// # Schema
//
// See migrations/0001_init.sql: resources (current version), resource_versions
// (all versions, JSON bodies), conditional_keys, changes + change_counter (the
// outbox), and the idx_* search index tables. Instants are INTEGER
// microseconds since the epoch. Every data table has an institution column.
package sqlite
