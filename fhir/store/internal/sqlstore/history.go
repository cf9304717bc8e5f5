package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"yigong/fhir"
	"yigong/fhir/store"
)

func pageSize(n int) int {
	switch {
	case n <= 0:
		return store.DefaultCount
	case n > store.MaxCount:
		return store.MaxCount
	}
	return n
}

// History implements store.Store. Versions are ordered by vseq, the order in
// which they were written (on PostgreSQL, sequence order, which may differ
// from commit order by the length of a concurrent transaction); the cursor
// is the last vseq returned.
func (e *Engine) History(ctx context.Context, q store.HistoryQuery) (*store.HistoryPage, error) {
	op := opName("history", store.Ref{Type: q.Type, ID: q.ID})
	if q.Type == "" && q.ID != "" {
		return nil, e.wrap(op, kerr(fhir.KindInvalid, nil, "instance history without a type"))
	}
	var where []string
	a := &sqlArgs{vis: visibilityOf(ctx)}
	arg := a.arg
	if q.Type != "" {
		where = append(where, "v.type = "+arg(q.Type))
	}
	if q.ID != "" {
		where = append(where, "v.id = "+arg(q.ID))
	}
	if q.Institution != "" {
		where = append(where, "v.institution = "+arg(q.Institution))
	}
	if c := visibilitySQL(a, a.vis, "v"); c != "" {
		where = append(where, c)
	}
	if !q.Since.IsZero() {
		where = append(where, "v.last_updated >= "+arg(q.Since.UnixMicro()))
	}
	if !q.At.IsZero() {
		at := arg(q.At.UnixMicro())
		where = append(where, "v.last_updated <= "+at, `NOT EXISTS (SELECT 1 FROM resource_versions w
 WHERE w.institution = v.institution AND w.type = v.type AND w.id = v.id AND w.version > v.version AND w.last_updated <= `+at+`)`)
	}
	if q.Cursor != "" {
		c, err := strconv.ParseInt(q.Cursor, 10, 64)
		if err != nil {
			return nil, e.wrap(op, kerr(fhir.KindInvalid, nil, "bad cursor %q", q.Cursor))
		}
		where = append(where, "v.vseq < "+arg(c))
	}
	n := pageSize(q.Count)
	sql := `SELECT v.institution, v.type, v.id, v.version, v.last_updated, v.deleted, v.body, v.vseq FROM resource_versions v`
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	sql += fmt.Sprintf(" ORDER BY v.vseq DESC LIMIT %d", n+1)
	rows, err := e.b.Reader().Query(ctx, sql, a.args...)
	if err != nil {
		return nil, e.wrap(op, err)
	}
	defer rows.Close()
	page := &store.HistoryPage{}
	var last int64
	for rows.Next() {
		if len(page.Entries) == n {
			page.Next = strconv.FormatInt(last, 10)
			break
		}
		r := &store.Resource{}
		var lu int64
		if err := rows.Scan(&r.Institution, &r.Type, &r.ID, &r.Version, &lu, &r.Deleted, &r.JSON, &last); err != nil {
			return nil, e.wrap(op, err)
		}
		r.LastUpdated = e.fromMicros(lu)
		if r.Deleted {
			r.JSON = nil
		}
		page.Entries = append(page.Entries, r)
	}
	if err := rows.Err(); err != nil {
		return nil, e.wrap(op, err)
	}
	return page, nil
}

// Changes implements store.Store.
func (e *Engine) Changes(ctx context.Context, after int64, limit int) ([]store.Change, error) {
	const op = "store: changes"
	if limit <= 0 {
		limit = store.DefaultCount
	}
	rows, err := e.b.Reader().Query(ctx, `SELECT seq, institution, type, id, version, op, committed_at FROM changes
WHERE seq > $1 ORDER BY seq LIMIT $2`, after, limit)
	if err != nil {
		return nil, e.wrap(op, err)
	}
	defer rows.Close()
	var out []store.Change
	for rows.Next() {
		var c store.Change
		var o string
		var at int64
		if err := rows.Scan(&c.Seq, &c.Institution, &c.Type, &c.ID, &c.Version, &o, &at); err != nil {
			return nil, e.wrap(op, err)
		}
		c.Op = store.Op(o)
		c.Committed = e.fromMicros(at)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, e.wrap(op, err)
	}
	return out, nil
}

// dataTables are the tables holding resource data, each with an institution
// column.
var dataTables = [...]string{"resources", "resource_versions", "conditional_keys", "changes",
	"idx_string", "idx_token", "idx_date", "idx_number", "idx_quantity", "idx_reference", "idx_uri", "idx_text"}

// AuditPartitions implements store.PartitionAuditor.
func (e *Engine) AuditPartitions(ctx context.Context) ([]store.TableAudit, error) {
	out := make([]store.TableAudit, 0, len(dataTables))
	for _, t := range dataTables {
		a := store.TableAudit{Table: t}
		if err := e.b.Reader().QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN institution IS NULL OR institution = '' THEN 1 ELSE 0 END), 0) FROM `+t).
			Scan(&a.Rows, &a.WithoutInstitution); err != nil {
			return nil, e.wrap("store: audit "+t, err)
		}
		out = append(out, a)
	}
	return out, nil
}
