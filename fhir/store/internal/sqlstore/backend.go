package sqlstore

import (
	"context"
	"errors"
	"fmt"

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

// Copier is a TxConn that can load many rows at once (PostgreSQL's COPY):
// no statement to parse, bind and plan per 64 rows, and less work for the
// driver. flushIndex uses it for the index rows of large transactions
// (bundles), Commit for their outbox rows; without it they go as multi-row
// INSERTs.
type Copier interface {
	// CopyRows inserts rows (values in the order of cols) into table.
	CopyRows(ctx context.Context, table string, cols []string, rows [][]any) error
	// MasksStmt returns one statement that sets resources.idx_mask of
	// every resource in masks.
	MasksStmt(masks []IndexMask) Stmt
}

// IndexMask is the idx_mask of one resource.
type IndexMask struct {
	Institution, Type, ID string
	Mask                  int64
}

// copyMin is the number of rows of one table from which they go by COPY
// (a COPY is a round trip of its own; fewer rows ride in the batch).
const copyMin = 64

// copyIndex writes the index rows and masks of pending through c: the rows
// of a table with at least copyMin of them by COPY, the others and the
// masks in one batch.
func (t *Tx) copyIndex(ctx context.Context, c Copier, pending []*pendingIndex) error {
	var byTable [len(indexTables)][][]any
	var masks []IndexMask
	for _, p := range pending {
		r := p.r
		for _, e := range p.entries {
			row := append([]any{r.Institution, r.Type, r.ID, e.Param}, indexTables[e.Type].vals(e)...)
			byTable[e.Type] = append(byTable[e.Type], row)
		}
		if p.mask != 0 {
			masks = append(masks, IndexMask{r.Institution, r.Type, r.ID, p.mask})
		}
	}
	var batch []Stmt
	if len(masks) > 0 {
		batch = append(batch, c.MasksStmt(masks))
	}
	for pt, rows := range byTable {
		if len(rows) == 0 || len(rows) >= copyMin {
			continue
		}
		for len(rows) > 0 {
			k := chunkSize(len(rows))
			args := make([]any, 0, len(rows[0])*k)
			for _, row := range rows[:k] {
				args = append(args, row...)
			}
			batch = append(batch, Stmt{SQL: indexInsertSQLs[pt][sizeIndex(k)], Args: args})
			rows = rows[k:]
		}
	}
	if _, err := execBatch(ctx, t.c, batch); err != nil {
		return err
	}
	for pt, rows := range byTable {
		if len(rows) < copyMin {
			continue
		}
		tab := &indexTables[pt]
		cols := append([]string{"institution", "type", "id", "param"}, tab.cols...)
		if err := c.CopyRows(ctx, tab.name, cols, rows); err != nil {
			return fmt.Errorf("copy %s: %w", tab.name, err)
		}
	}
	return nil
}

// changesCols are the columns of the outbox table.
var changesCols = []string{"seq", "institution", "type", "id", "version", "op", "committed_at"}

// errNoCopy says copyChanges left the changes to the INSERTs.
var errNoCopy = errors.New("no copy")

// copyChanges writes the outbox rows of t (sequence numbers after seq) by
// COPY when t.c is a Copier and they are many; else it returns errNoCopy.
func (t *Tx) copyChanges(ctx context.Context, seq, committed int64) error {
	c, ok := t.c.(Copier)
	if !ok || len(t.changes) < copyMin {
		return errNoCopy
	}
	rows := make([][]any, len(t.changes))
	for i, ch := range t.changes {
		seq++
		rows[i] = []any{seq, ch.Institution, ch.Type, ch.ID, ch.Version, string(ch.Op), committed}
	}
	if err := c.CopyRows(ctx, "changes", changesCols, rows); err != nil {
		return fmt.Errorf("copy changes: %w", err)
	}
	return nil
}
