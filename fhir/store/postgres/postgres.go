package postgres

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"yigong/fhir"
	"yigong/fhir/store"
	"yigong/fhir/store/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations returns the embedded schema migrations (NNNN_name.sql).
func Migrations() fs.FS {
	sub, _ := fs.Sub(migrationFiles, "migrations")
	return sub
}

// Options configure a DB. The zero value is ready to use; pool size and the
// like come from the connection string (pool_max_conns=16).
type Options struct {
	// Indexer fills the search index tables; nil disables indexing.
	Indexer store.Indexer
	// Clock returns the current time; nil means time.Now.
	Clock func() time.Time
	// Location is the zone of meta.lastUpdated; nil means +08:00.
	Location *time.Location
}

// DB is a PostgreSQL store. It is safe for concurrent use.
type DB struct {
	pool             *pgxpool.Pool
	*sqlstore.Engine // the shared SQL: every store method not defined here
}

// Interface guards: the required contract and the optional interfaces this
// engine implements through the shared sqlstore.Engine.
var (
	_ store.Store            = (*DB)(nil)
	_ store.Queue            = (*DB)(nil)
	_ store.DICOMIndex       = (*DB)(nil)
	_ store.AuthRecords      = (*DB)(nil)
	_ store.AuditLog         = (*DB)(nil)
	_ store.Migrator         = (*DB)(nil)
	_ store.Pinger           = (*DB)(nil)
	_ store.PartitionAuditor = (*DB)(nil)
	_ store.Searcher         = (*DB)(nil)
	_ store.Reindexer        = (*DB)(nil)
	_ store.MetaRewriter     = (*DB)(nil)
)

// Open connects to the database named by connString (a postgres:// URL or
// key=value DSN, as pgxpool.ParseConfig accepts), applies any pending
// migrations and returns the store. Tables are created in the first schema
// of the search_path.
func Open(ctx context.Context, connString string, opts Options) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		return nil, &fhir.Error{Kind: fhir.KindInvalid, Msg: "store: open postgres", Err: err}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, &fhir.Error{Kind: fhir.KindInternal, Msg: "store: open postgres", Err: err}
	}
	db, err := New(ctx, pool, opts)
	if err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// New returns a store over an existing pool, applying pending migrations.
// Close closes the pool.
func New(ctx context.Context, pool *pgxpool.Pool, opts Options) (*DB, error) {
	db := &DB{pool: pool}
	db.Engine = sqlstore.New(backend{pool}, dialect, sqlstore.Config{Clock: opts.Clock, Location: opts.Location, Indexer: opts.Indexer})
	if _, err := db.Migrate(ctx); err != nil {
		return nil, err
	}
	return db, nil
}

var _ sqlstore.Batcher = querier{}

var dialect = sqlstore.Dialect{
	Name:      "postgres",
	NextVSeq:  `nextval('resource_versions_vseq_seq')`,
	ForUpdate: " FOR UPDATE",
	// The engine's ANALYZE runs while a bulk load grows the tables (four
	// to six times in an 11,000-resource load), to spare searches plans
	// made with empty statistics until autovacuum comes. It samples 9,000
	// rows per table (target 30; autovacuum's later runs use the server's
	// default) instead of 30,000: about half the cost, and still the 30
	// most common codes, types and parameters. One simple-protocol query:
	// SET LOCAL ends with its implicit transaction.
	Analyze: "SET LOCAL default_statistics_target = 30; " +
		"ANALYZE resources, resource_versions, idx_string, idx_token, idx_date, idx_number, idx_quantity, idx_reference, idx_uri, idx_text",
	// The advisory lock ("yigong" in ASCII) serialises migrations run by
	// several processes at once.
	MigrationLock: `SELECT pg_advisory_xact_lock(133493613882983)`,
	IsNoRows:      func(err error) bool { return errors.Is(err, pgx.ErrNoRows) },
	Classify:      classify,
}

func classify(err error) (fhir.Kind, error) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "40001", "40P01": // serialization_failure, deadlock_detected: retry
			return fhir.KindBusy, store.ErrConflict
		case "23505": // unique_violation
			return fhir.KindConflict, store.ErrConflict
		case "57014", "53300", "55P03": // query_canceled, too_many_connections, lock_not_available
			return fhir.KindBusy, nil
		}
	}
	return fhir.KindInternal, nil
}

// Migrate applies pending schema migrations; Open already does.
func (db *DB) Migrate(ctx context.Context) (int, error) { return db.Engine.Migrate(ctx, Migrations()) }

// Ping checks the connection.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return &fhir.Error{Kind: fhir.KindBusy, Msg: "store: ping", Err: err}
	}
	return nil
}

// Close closes the pool, waiting for connections in use to be released.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// backend adapts pgx to sqlstore.Backend.
type backend struct{ pool *pgxpool.Pool }

func (b backend) Begin(ctx context.Context) (sqlstore.TxConn, error) {
	tx, err := b.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return txConn{querier{tx}, tx}, nil
}

func (b backend) Reader() sqlstore.Querier { return querier{b.pool} }

type pgxQuerier interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

type querier struct{ q pgxQuerier }

func (q querier) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	tag, err := q.q.Exec(ctx, sql, args...)
	return tag.RowsAffected(), err
}

// ExecBatch implements sqlstore.Batcher: the statements go out pipelined,
// one round trip for all of them.
func (q querier) ExecBatch(ctx context.Context, stmts []sqlstore.Stmt) ([]int64, error) {
	b := &pgx.Batch{}
	for _, s := range stmts {
		b.Queue(s.SQL, s.Args...)
	}
	br := q.q.SendBatch(ctx, b)
	out := make([]int64, len(stmts))
	for i := range stmts {
		tag, err := br.Exec()
		if err != nil {
			br.Close()
			return out, err
		}
		out[i] = tag.RowsAffected()
	}
	return out, br.Close()
}

func (q querier) QueryRow(ctx context.Context, sql string, args ...any) sqlstore.Row {
	return q.q.QueryRow(ctx, sql, args...)
}

func (q querier) Query(ctx context.Context, sql string, args ...any) (sqlstore.Rows, error) {
	return q.q.Query(ctx, sql, args...)
}

type txConn struct {
	querier
	tx pgx.Tx
}

var _ sqlstore.Copier = txConn{}

// CopyRows implements sqlstore.Copier with COPY ... FROM STDIN (binary).
func (t txConn) CopyRows(ctx context.Context, table string, cols []string, rows [][]any) error {
	_, err := t.tx.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows))
	return err
}

// setMasksSQL sets idx_mask of many resources, given as four parallel
// arrays: one statement (one plan, a nested loop over resources_type_key)
// instead of one UPDATE per resource.
const setMasksSQL = `UPDATE resources r SET idx_mask = u.mask
FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) AS u(institution, type, id, mask)
WHERE r.institution = u.institution AND r.type = u.type AND r.id = u.id`

// MasksStmt implements sqlstore.Copier.
func (t txConn) MasksStmt(masks []sqlstore.IndexMask) sqlstore.Stmt {
	inst := make([]string, len(masks))
	typ := make([]string, len(masks))
	id := make([]string, len(masks))
	mask := make([]int64, len(masks))
	for i, m := range masks {
		inst[i], typ[i], id[i], mask[i] = m.Institution, m.Type, m.ID, m.Mask
	}
	return sqlstore.Stmt{SQL: setMasksSQL, Args: []any{inst, typ, id, mask}}
}

func (t txConn) Commit(ctx context.Context) error   { return t.tx.Commit(ctx) }
func (t txConn) Rollback(ctx context.Context) error { return t.tx.Rollback(ctx) }
