package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"yigong/fhir"
	"yigong/fhir/store"
)

// Config is what the engine packages pass on from their options.
type Config struct {
	Clock    func() time.Time // nil: time.Now
	Location *time.Location   // zone of meta.lastUpdated; nil: +08:00
	Indexer  store.Indexer    // nil: no search indexing
}

// Engine implements store.Store (except Close) over a Backend.
type Engine struct {
	b   Backend
	d   Dialect
	cfg Config
	loc *time.Location
	// insertVersionSQL is built once from d (insertVersionSQLFor).
	insertVersionSQL string
	// aliases is cfg.Indexer's store.ParamAliaser, if it is one.
	aliases store.ParamAliaser

	stats statsState
}

// statsState decides when to run Dialect.Analyze.
type statsState struct {
	mu        sync.Mutex
	written   int64 // versions written since the last run
	base      int64 // versions written before the last run
	analyzing bool
}

// analyzeFloor is the number of writes that triggers the first run.
const analyzeFloor = 1000

// noteWrites counts n committed versions and starts Dialect.Analyze in the
// background when they reach half of what was there at the last run.
func (e *Engine) noteWrites(n int) {
	if e.d.Analyze == "" || n == 0 {
		return
	}
	st := &e.stats
	st.mu.Lock()
	st.written += int64(n)
	if st.analyzing || st.written < max(analyzeFloor, st.base/2) {
		st.mu.Unlock()
		return
	}
	st.analyzing = true
	st.base += st.written
	st.written = 0
	st.mu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		// Best effort: a failure (the pool closing) only leaves the
		// statistics to autovacuum.
		e.b.Reader().Exec(ctx, e.d.Analyze)
		st.mu.Lock()
		st.analyzing = false
		st.mu.Unlock()
	}()
}

// ChinaStandardTime is the default zone of meta.lastUpdated: +08:00.
var chinaStandardTime = time.FixedZone("CST", 8*3600)

// New returns an engine.
func New(b Backend, d Dialect, cfg Config) *Engine {
	e := &Engine{b: b, d: d, cfg: cfg, loc: cfg.Location, insertVersionSQL: insertVersionSQLFor(d)}
	e.aliases, _ = cfg.Indexer.(store.ParamAliaser)
	if e.loc == nil {
		e.loc = chinaStandardTime
	}
	if e.cfg.Clock == nil {
		e.cfg.Clock = time.Now
	}
	return e
}

func (e *Engine) now() time.Time { return e.cfg.Clock().Truncate(time.Microsecond) }

func (e *Engine) fromMicros(us int64) time.Time { return time.UnixMicro(us).In(e.loc) }

// kerr returns an error of the given kind wrapping sentinel (which may be
// nil), with a formatted detail message.
func kerr(kind fhir.Kind, sentinel error, format string, args ...any) *fhir.Error {
	return &fhir.Error{Kind: kind, Msg: fmt.Sprintf(format, args...), Err: sentinel}
}

// wrap turns a driver or internal error into a *fhir.Error prefixed with op.
// A *fhir.Error from below is re-made with op in front of its message, so
// that the text reads "store: read Patient/1: store: not found" once.
func (e *Engine) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var fe *fhir.Error
	if errors.As(err, &fe) && fe == err {
		msg := op
		if fe.Msg != "" {
			msg += ": " + fe.Msg
		}
		return &fhir.Error{Kind: fe.Kind, Msg: msg, Issues: fe.Issues, Err: fe.Err}
	}
	if errors.As(err, &fe) {
		return &fhir.Error{Kind: fe.Kind, Msg: op, Err: err}
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return &fhir.Error{Kind: fhir.KindBusy, Msg: op, Err: err}
	case errors.Is(err, context.Canceled):
		return &fhir.Error{Kind: fhir.KindInternal, Msg: op, Err: err}
	}
	kind, sentinel := e.d.Classify(err)
	if sentinel != nil {
		return &fhir.Error{Kind: kind, Msg: op, Err: fmt.Errorf("%w: %w", sentinel, err)}
	}
	return &fhir.Error{Kind: kind, Msg: op, Err: err}
}

func opName(verb string, ref store.Ref) string {
	if ref.ID == "" {
		return "store: " + verb + " " + ref.Type
	}
	return "store: " + verb + " " + ref.Type + "/" + ref.ID
}

func notFound() error {
	return kerr(fhir.KindNotFound, store.ErrNotFound, "")
}

// Begin starts a transaction.
func (e *Engine) Begin(ctx context.Context) (store.Tx, error) {
	c, err := e.b.Begin(ctx)
	if err != nil {
		return nil, e.wrap("store: begin", err)
	}
	return &Tx{e: e, c: c}, nil
}

// inTx runs fn in a transaction of its own.
func (e *Engine) inTx(ctx context.Context, op string, fn func(t *Tx) error) error {
	c, err := e.b.Begin(ctx)
	if err != nil {
		return e.wrap(op, err)
	}
	t := &Tx{e: e, c: c}
	if err := fn(t); err != nil {
		t.Rollback(ctx)
		return err
	}
	return t.Commit(ctx)
}

// Create implements store.Writer.
func (e *Engine) Create(ctx context.Context, in store.Input) (r *store.Resource, err error) {
	err = e.inTx(ctx, opName("create", store.Ref{Type: in.Type}), func(t *Tx) error {
		r, err = t.Create(ctx, in)
		return err
	})
	return r, err
}

// CreateIfNoneExist implements store.Writer.
func (e *Engine) CreateIfNoneExist(ctx context.Context, in store.Input, criteria string) (r *store.Resource, created bool, err error) {
	err = e.inTx(ctx, opName("conditional create", store.Ref{Type: in.Type}), func(t *Tx) error {
		r, created, err = t.CreateIfNoneExist(ctx, in, criteria)
		return err
	})
	return r, created, err
}

// Update implements store.Writer.
func (e *Engine) Update(ctx context.Context, in store.Input) (r *store.Resource, created bool, err error) {
	err = e.inTx(ctx, opName("update", store.Ref{Type: in.Type, ID: in.ID}), func(t *Tx) error {
		r, created, err = t.Update(ctx, in)
		return err
	})
	return r, created, err
}

// Delete implements store.Writer.
func (e *Engine) Delete(ctx context.Context, ref store.Ref, ifMatch int64) (r *store.Resource, err error) {
	err = e.inTx(ctx, opName("delete", ref), func(t *Tx) error {
		r, err = t.Delete(ctx, ref, ifMatch)
		return err
	})
	return r, err
}

// Read implements store.Reader.
func (e *Engine) Read(ctx context.Context, ref store.Ref) (*store.Resource, error) {
	return e.read(ctx, e.b.Reader(), ref)
}

// VRead implements store.Reader.
func (e *Engine) VRead(ctx context.Context, ref store.Ref, version int64) (*store.Resource, error) {
	return e.vread(ctx, e.b.Reader(), ref, version)
}

// The reads select resource_versions rows through an IN subquery on
// resources rather than a join: SQLite's planner, without statistics, would
// otherwise scan resource_versions by type.
const readSQL = `SELECT v.institution, v.version, v.last_updated, v.deleted, v.body
FROM resource_versions v WHERE (v.institution, v.type, v.id, v.version) IN
 (SELECT r.institution, r.type, r.id, r.version FROM resources r WHERE r.type = $1 AND r.id = $2`

func (e *Engine) read(ctx context.Context, q Querier, ref store.Ref) (*store.Resource, error) {
	op := opName("read", ref)
	a := &sqlArgs{args: []any{ref.Type, ref.ID}}
	sql := readSQL + refRestriction(ctx, a, ref)
	rs, err := e.scanResources(ctx, q, ref, sql+`) LIMIT 2`, a.args...)
	if err != nil {
		return nil, e.wrap(op, err)
	}
	return e.one(op, ref, rs)
}

const vreadSQL = `SELECT v.institution, v.version, v.last_updated, v.deleted, v.body
FROM resource_versions v WHERE v.version = $3 AND (v.institution, v.type, v.id) IN
 (SELECT r.institution, r.type, r.id FROM resources r WHERE r.type = $1 AND r.id = $2`

func (e *Engine) vread(ctx context.Context, q Querier, ref store.Ref, version int64) (*store.Resource, error) {
	op := fmt.Sprintf("%s/_history/%d", opName("vread", ref), version)
	a := &sqlArgs{args: []any{ref.Type, ref.ID, version}}
	sql := vreadSQL + refRestriction(ctx, a, ref)
	rs, err := e.scanResources(ctx, q, ref, sql+`) LIMIT 2`, a.args...)
	if err != nil {
		return nil, e.wrap(op, err)
	}
	return e.one(op, ref, rs)
}

// refRestriction returns the conditions a read adds on the resources alias
// r: the institution of ref, if named, and the caller's visibility.
func refRestriction(ctx context.Context, a *sqlArgs, ref store.Ref) string {
	var sql string
	if ref.Institution != "" {
		sql += ` AND r.institution = ` + a.arg(ref.Institution)
	}
	if c := visibilitySQL(a, visibilityOf(ctx), "r"); c != "" {
		sql += ` AND ` + c
	}
	return sql
}

// one turns the rows of a read into its result.
func (e *Engine) one(op string, ref store.Ref, rs []*store.Resource) (*store.Resource, error) {
	switch {
	case len(rs) == 0:
		return nil, e.wrap(op, notFound())
	case len(rs) > 1:
		return nil, e.wrap(op, kerr(fhir.KindConflict, store.ErrConflict, "id exists in institutions %q and %q",
			rs[0].Institution, rs[1].Institution))
	case rs[0].Deleted:
		return rs[0], e.wrap(op, kerr(fhir.KindGone, store.ErrGone, "version %d is a deletion", rs[0].Version))
	}
	return rs[0], nil
}

// scanResources runs a query selecting institution, version, last_updated,
// deleted, body of resources of ref.Type/ref.ID.
func (e *Engine) scanResources(ctx context.Context, q Querier, ref store.Ref, sql string, args ...any) ([]*store.Resource, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.Resource
	for rows.Next() {
		r := &store.Resource{Type: ref.Type, ID: ref.ID}
		var lu int64
		if err := rows.Scan(&r.Institution, &r.Version, &lu, &r.Deleted, &r.JSON); err != nil {
			return nil, err
		}
		r.LastUpdated = e.fromMicros(lu)
		if r.Deleted {
			r.JSON = nil
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
