package sqlstore

import (
	"context"

	"yigong/fhir"
)

// Row is one result row (*sql.Row, pgx.Row).
type Row interface {
	Scan(dest ...any) error
}

// Rows is a result set (*sql.Rows, pgx.Rows, adapted).
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Querier runs statements on a connection or in a transaction.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (rowsAffected int64, err error)
	QueryRow(ctx context.Context, sql string, args ...any) Row
	Query(ctx context.Context, sql string, args ...any) (Rows, error)
}

// TxConn is a database transaction.
type TxConn interface {
	Querier
	Commit(ctx context.Context) error
	Rollback(ctx context.Context) error
}

// Backend gives the engine its connections.
type Backend interface {
	// Begin starts a write transaction.
	Begin(ctx context.Context) (TxConn, error)
	// Reader runs statements outside any transaction (SQLite: the reader
	// pool; PostgreSQL: the pool).
	Reader() Querier
}

// Dialect holds what differs between the SQL engines.
type Dialect struct {
	Name string
	// NextVSeq is the SQL expression giving a new resource_versions.vseq.
	NextVSeq string
	// ForUpdate is appended to a SELECT of the resources row that a write is
	// about to change (" FOR UPDATE" on PostgreSQL; "" on SQLite, whose
	// single writer already serialises writes).
	ForUpdate string
	// Analyze, if set, refreshes the planner's statistics; the engine runs
	// it in the background whenever the data has grown by half since the
	// last run (a bulk load into fresh tables otherwise waits for
	// autovacuum, and is planned meanwhile as if the tables were empty).
	Analyze string
	// MigrationLock, if set, runs first in the migration transaction.
	MigrationLock string
	// IsNoRows reports the driver's "no rows" error.
	IsNoRows func(error) bool
	// Classify maps a driver error to a fhir kind and, for conflicts, the
	// store sentinel to wrap (nil for none).
	Classify func(error) (fhir.Kind, error)
}

// Stmt is one statement of a batch.
type Stmt struct {
	SQL  string
	Args []any
}

// Batcher is a Querier that can send several statements at once (pgx
// pipelines them in one round trip). Without it the statements run one by
// one.
type Batcher interface {
	// ExecBatch runs stmts in order and returns the rows each affected;
	// it stops at the first error.
	ExecBatch(ctx context.Context, stmts []Stmt) ([]int64, error)
}

// execBatch runs stmts on q, in one batch when q can.
func execBatch(ctx context.Context, q Querier, stmts []Stmt) ([]int64, error) {
	if len(stmts) == 0 {
		return nil, nil
	}
	if b, ok := q.(Batcher); ok && len(stmts) > 1 {
		return b.ExecBatch(ctx, stmts)
	}
	out := make([]int64, len(stmts))
	for i, s := range stmts {
		n, err := q.Exec(ctx, s.SQL, s.Args...)
		if err != nil {
			return out, err
		}
		out[i] = n
	}
	return out, nil
}
