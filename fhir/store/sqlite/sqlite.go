package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"runtime"
	"strings"
	"time"

	sqlite3 "modernc.org/sqlite"

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

// Options configure a DB. The zero value is ready to use.
type Options struct {
	// Indexer fills the search index tables; nil disables indexing.
	Indexer store.Indexer
	// Clock returns the current time; nil means time.Now.
	Clock func() time.Time
	// Location is the zone of meta.lastUpdated; nil means +08:00.
	Location *time.Location
	// Readers is the size of the reader connection pool; 0 means
	// max(4, GOMAXPROCS).
	Readers int
	// Synchronous is SQLite's synchronous pragma for the writer: "FULL" (the
	// default: each commit is fsynced before it is acknowledged, so a power
	// loss loses nothing) or "NORMAL" (a process crash loses nothing, a power
	// loss may lose the last commits; faster).
	Synchronous string
	// BusyTimeout bounds the wait for a lock held by another process; 0
	// means 5 s.
	BusyTimeout time.Duration
}

// DB is a SQLite store. It is safe for concurrent use.
type DB struct {
	writer  *sql.DB // one connection: the single writer
	readers *sql.DB // query_only connections
	// hot holds the write path's statements (sqlstore.HotStatements),
	// prepared once on the writer connection; read-only after Open.
	hot map[string]*sql.Stmt
	// writerStmts and readerStmts prepare the other texts each pool runs
	// repeatedly (stmtcache.go).
	writerStmts, readerStmts *stmtCache
	checkpoints              *checkpointer // copies the log into the file beside the writer
	*sqlstore.Engine                       // the shared SQL: every store method not defined here
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

// Open opens (creating if needed) the SQLite database at path, applies any
// pending migrations and returns the store.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	sync := opts.Synchronous
	switch sync {
	case "":
		sync = "FULL"
	case "FULL", "NORMAL":
	default:
		return nil, fhir.Errorf(fhir.KindInvalid, "store: open %s: synchronous %q is not FULL or NORMAL", path, sync)
	}
	busy := opts.BusyTimeout
	if busy <= 0 {
		busy = 5 * time.Second
	}
	readers := opts.Readers
	if readers <= 0 {
		readers = max(4, runtime.GOMAXPROCS(0))
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", "foreign_keys(0)")
	wq := url.Values{"_pragma": append(q["_pragma"][:len(q["_pragma"]):len(q["_pragma"])],
		"journal_mode(WAL)", "synchronous("+sync+")",
		// A large transaction (a 300-resource Bundle with its index rows)
		// must not spill pages to the WAL before commit: the cache keeps 4
		// MiB of clean pages, and grows for one transaction's dirty pages
		// up to 8192 pages (32 MiB) before it spills (cache_spill), giving
		// the excess back after the commit; statement journals stay in
		// memory. A 32 MiB resident cache bought no measurable speed for
		// DICOM ingest and held 32 MiB once the index outgrew it.
		"cache_size(-4096)", "cache_spill(8192)", "temp_store(MEMORY)",
		// The checkpointer (checkpoint.go) copies most of the log back
		// beside the writer; the writer's own checkpoint restarts it.
		fmt.Sprintf("wal_autocheckpoint(%d)", autoCheckpointPages)), "_txlock": {"immediate"}}
	// Readers keep SQLite's default 2 MiB cache each: in WAL mode a
	// reader's cache is dropped whenever another connection has committed,
	// so under ingest a larger one only holds memory (the pages are in the
	// OS page cache anyway).
	rq := url.Values{"_pragma": append(q["_pragma"][:len(q["_pragma"]):len(q["_pragma"])], "query_only(1)",
		"cache_size(-2048)", "temp_store(MEMORY)")}

	writer, err := sql.Open("sqlite", "file:"+path+"?"+wq.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)
	if err := writer.PingContext(ctx); err != nil {
		writer.Close()
		return nil, &fhir.Error{Kind: fhir.KindInternal, Msg: "store: open " + path, Err: err}
	}
	readersDB, err := sql.Open("sqlite", "file:"+path+"?"+rq.Encode())
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	readersDB.SetMaxOpenConns(readers)
	readersDB.SetMaxIdleConns(readers)
	db := &DB{writer: writer, readers: readersDB,
		writerStmts: newStmtCache(writer, stmtCacheSize), readerStmts: newStmtCache(readersDB, stmtCacheSize)}
	db.Engine = sqlstore.New(backend{db}, dialect, sqlstore.Config{Clock: opts.Clock, Location: opts.Location, Indexer: opts.Indexer})
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	// Prepared now, while no transaction holds the one writer connection
	// (database/sql prepares a DB-level statement on a free connection).
	hot := map[string]*sql.Stmt{}
	for _, text := range append(db.Engine.HotStatements(), db.Engine.DICOMHotStatements()...) {
		st, err := writer.PrepareContext(ctx, orFail(positional(text)))
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("store: open %s: prepare: %w", path, err)
		}
		hot[text] = st
	}
	db.hot = hot
	if db.checkpoints, err = startCheckpointer(path, q.Encode()); err != nil {
		db.Close()
		return nil, err
	}
	// The reads that run for every instance a DICOM peer sends (the
	// duplicate check) are prepared from the start too.
	if err := db.readerStmts.preload(ctx, db.Engine.DICOMReadStatements()); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: prepare: %w", path, err)
	}
	return db, nil
}

var dialect = sqlstore.Dialect{
	Name:      "sqlite",
	NextVSeq:  `(SELECT COALESCE(MAX(vseq), 0) + 1 FROM resource_versions)`,
	ForUpdate: "",
	IsNoRows:  func(err error) bool { return errors.Is(err, sql.ErrNoRows) },
	Classify:  classify,
}

// SQLite primary result codes (sqlite3.h).
const (
	codeBusy       = 5
	codeLocked     = 6
	codeConstraint = 19
)

func classify(err error) (fhir.Kind, error) {
	var se *sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case codeBusy, codeLocked:
			return fhir.KindBusy, nil
		case codeConstraint:
			return fhir.KindConflict, store.ErrConflict
		}
	}
	return fhir.KindInternal, nil
}

// Migrate applies pending schema migrations; Open already does.
func (db *DB) Migrate(ctx context.Context) (int, error) { return db.Engine.Migrate(ctx, Migrations()) }

// SingleWriter implements store.SingleWriter: SQLite has one writer.
func (db *DB) SingleWriter() bool { return true }

// Ping checks both connection pools.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.writer.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	if err := db.readers.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Close closes the database. It waits for nothing: callers finish their
// transactions first.
func (db *DB) Close() error {
	db.writerStmts.close()
	db.readerStmts.close()
	for _, st := range db.hot {
		st.Close()
	}
	var errCheckpoints error
	if db.checkpoints != nil {
		errCheckpoints = db.checkpoints.close()
	}
	return errors.Join(errCheckpoints, db.readers.Close(), db.writer.Close())
}

// backend adapts database/sql to sqlstore.Backend.
type backend struct{ db *DB }

func (b backend) Begin(ctx context.Context) (sqlstore.TxConn, error) {
	tx, err := b.db.writer.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return txConn{querier{tx}, tx, b.db.hot, b.db.writerStmts, b.db.checkpoints}, nil
}

func (b backend) Reader() sqlstore.Querier {
	return readerQuerier{querier{b.db.readers}, b.db.readerStmts}
}

// stmtCacheSize bounds each pool's cache of prepared statements (a few
// KiB of SQLite memory each).
const stmtCacheSize = 256

// readerQuerier runs the reader pool's statements prepared once they
// repeat.
type readerQuerier struct {
	querier
	cache *stmtCache
}

func (r readerQuerier) Exec(ctx context.Context, s string, args ...any) (int64, error) {
	if st := r.cache.get(s); st != nil {
		res, err := st.ExecContext(ctx, args...)
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	}
	return r.querier.Exec(ctx, s, args...)
}

func (r readerQuerier) QueryRow(ctx context.Context, s string, args ...any) sqlstore.Row {
	if st := r.cache.get(s); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return r.querier.QueryRow(ctx, s, args...)
}

func (r readerQuerier) Query(ctx context.Context, s string, args ...any) (sqlstore.Rows, error) {
	if st := r.cache.get(s); st != nil {
		rows, err := st.QueryContext(ctx, args...)
		if err != nil {
			return nil, err
		}
		return sqlRows{rows}, nil
	}
	return r.querier.Query(ctx, s, args...)
}

type execQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

type querier struct{ q execQuerier }

func (q querier) Exec(ctx context.Context, s string, args ...any) (int64, error) {
	res, err := q.q.ExecContext(ctx, positional(s), args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (q querier) QueryRow(ctx context.Context, s string, args ...any) sqlstore.Row {
	return q.q.QueryRowContext(ctx, positional(s), args...)
}

func (q querier) Query(ctx context.Context, s string, args ...any) (sqlstore.Rows, error) {
	rows, err := q.q.QueryContext(ctx, positional(s), args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { r.Rows.Close() }

type txConn struct {
	querier
	tx          *sql.Tx
	hot         map[string]*sql.Stmt
	cache       *stmtCache
	checkpoints *checkpointer
}

// stmt returns the prepared statement of s, if any: a hot one, or one the
// cache has prepared since it repeated.
func (t txConn) stmt(s string) *sql.Stmt {
	if st, ok := t.hot[s]; ok {
		return st
	}
	return t.cache.get(s)
}

// The write path's statements run prepared: Tx.StmtContext finds the
// statement already prepared on the writer connection and only binds and
// steps it, where ExecContext would parse the text again every time.

func (t txConn) Exec(ctx context.Context, s string, args ...any) (int64, error) {
	st := t.stmt(s)
	if st == nil {
		return t.querier.Exec(ctx, s, args...)
	}
	res, err := t.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (t txConn) QueryRow(ctx context.Context, s string, args ...any) sqlstore.Row {
	st := t.stmt(s)
	if st == nil {
		return t.querier.QueryRow(ctx, s, args...)
	}
	return t.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
}

func (t txConn) Query(ctx context.Context, s string, args ...any) (sqlstore.Rows, error) {
	st := t.stmt(s)
	if st == nil {
		return t.querier.Query(ctx, s, args...)
	}
	rows, err := t.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

func (t txConn) Commit(context.Context) error {
	if err := t.tx.Commit(); err != nil {
		return err
	}
	if t.checkpoints != nil {
		t.checkpoints.committed()
	}
	return nil
}

func (t txConn) Rollback(context.Context) error { return t.tx.Rollback() }

// orFail turns a multi-row "INSERT INTO" into "INSERT OR FAIL INTO". A
// statement that writes several rows and may abort halfway (any NOT NULL
// column) makes SQLite keep a statement journal, a copy of every page it
// changes, to undo the statement alone; with OR FAIL a failure keeps the
// rows already written, which costs nothing here: the engine rolls the
// whole transaction back on any error. (6 % of ingest CPU went to
// subjournalPage.)
func orFail(s string) string {
	if rest, ok := strings.CutPrefix(s, "INSERT INTO "); ok && strings.Contains(rest, "),(") {
		return "INSERT OR FAIL INTO " + rest
	}
	return s
}

// positional rewrites the engine's PostgreSQL-style placeholders $1, $2,
// ... into SQLite's anonymous ? when they appear once each, in order, as
// they do in nearly every statement. SQLite keeps named and numbered
// parameters in a list it searches linearly, once when parsing and once
// more per bound value, so a multi-row INSERT with thousands of $N
// parameters costs time quadratic in their number; anonymous ones cost
// nothing. A statement that uses a placeholder twice or out of order is
// returned unchanged. Quoted text ('…', "…") is left alone.
func positional(s string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b []byte
	next, last := 1, 0 // next expected number; end of the text copied so far
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\'', '"':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				return s
			}
			i += j + 1 // a doubled quote is two quoted runs back to back
		case '$':
			j := i + 1
			n := 0
			for j < len(s) && s[j] >= '0' && s[j] <= '9' && n < 1<<20 {
				n = n*10 + int(s[j]-'0')
				j++
			}
			if j == i+1 {
				continue
			}
			if n != next {
				return s
			}
			if b == nil {
				b = make([]byte, 0, len(s))
			}
			b = append(b, s[last:i]...)
			b = append(b, '?')
			last, next = j, next+1
			i = j - 1
		}
	}
	if b == nil {
		return s
	}
	return string(append(b, s[last:]...))
}
