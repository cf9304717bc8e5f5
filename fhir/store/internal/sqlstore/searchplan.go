package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"yigong/fhir/store"
)

// Search plans beyond the general one (search.go). In the default order
// (_id, then institution) and with the value indexes holding (id,
// institution) after the value (migration 0050):
//
//   - stream: an equality filter (one token with code and system, or one
//     typed reference) walks its index in key order, joins resources and
//     probes the other filters, and stops after one page; its cost follows
//     the page, not the number of matches.
//   - walk: a filter that matches many resources (a range such as
//     value-quantity=gt100) does not drive; the resources of the type are
//     walked in key order and every filter probed, stopping after one page.
//     Whether a filter matches many is asked first (manyMatches), so a rare
//     range still drives, and sorts its few matches.
//   - count: one simple filter is counted in its index alone (index rows
//     exist only for current, non-deleted versions).

// walkSelectivity is the selectivity rank (see selectivity) from which a
// driving filter is checked for walking instead.
const walkSelectivity = 7

// walkThreshold is the number of index rows from which a filter counts as
// matching many resources.
const walkThreshold = 1000

// simpleFilter reports whether f is a plain value filter on an index
// table: no chain, _has, modifier, negation or composite.
func simpleFilter(f store.Filter) bool {
	if institutionTag(f) {
		return false // a column of resources, not index rows
	}
	if f.Has != nil || f.Chain != nil || f.Modifier != "" || len(f.Values) == 0 ||
		f.Param == store.ParamID || f.Param == store.ParamLastUpdated ||
		f.Type == 0 || f.Type == store.ParamComposite || int(f.Type) >= len(indexTables) {
		return false
	}
	for _, v := range f.Values {
		if v.Prefix == "ne" || v.Missing {
			return false
		}
	}
	return true
}

// indexCond returns the condition on index rows of alias i matching f (its
// values ORed), with the type, institution and parameter.
func indexCond(a *sqlArgs, i string, q store.SearchQuery, f store.Filter) (string, error) {
	c, err := valuesCond(a, i, q.Type, f)
	if err != nil {
		return "", err
	}
	if q.Institution != "" {
		c += fmt.Sprintf(" AND %s.institution = %s", i, a.arg(q.Institution))
	}
	return c, nil
}

// valuesCond returns the condition on index rows of alias i of type typ
// matching f: its parameter and its values ORed.
func valuesCond(a *sqlArgs, i, typ string, f store.Filter) (string, error) {
	var ors []string
	for _, v := range f.Values {
		c, err := valueSQL(a, f.Type, "", f.Param, v, i)
		if err != nil {
			return "", err
		}
		ors = append(ors, "("+c+")")
	}
	return fmt.Sprintf("%s.type = %s AND %s AND (%s)", i, a.arg(typ), a.paramCond(i, typ, nil, f.Param), strings.Join(ors, " OR ")), nil
}

// count returns the number of matches of q.
func (e *Engine) count(ctx context.Context, qr Querier, q store.SearchQuery) (int64, error) {
	a := &sqlArgs{vis: visibilityOf(ctx), aliases: e.aliases}
	var sql string
	if len(q.Filters) == 1 && q.Type != "" && simpleFilter(q.Filters[0]) && a.vis == nil {
		cond, err := indexCond(a, "i", q, q.Filters[0])
		if err != nil {
			return 0, err
		}
		sql = `SELECT COUNT(*) FROM (SELECT DISTINCT i.id, i.institution FROM ` + indexTables[q.Filters[0].Type].name +
			` i WHERE ` + cond + `) x`
	} else {
		where, err := whereSQL(a, "r", q.Institution, q.Type, q.Types, q.Filters, 0)
		if err != nil {
			return 0, err
		}
		sql = `SELECT COUNT(*) FROM resources r WHERE ` + strings.Join(where, " AND ")
	}
	var n int64
	err := qr.QueryRow(ctx, sql, a.args...).Scan(&n)
	return n, err
}

// manyMatches reports whether filter k of q has at least walkThreshold
// index rows.
func (e *Engine) manyMatches(ctx context.Context, qr Querier, q store.SearchQuery, k int) (bool, error) {
	f := q.Filters[k]
	if !simpleFilter(f) {
		return false, nil
	}
	a := &sqlArgs{aliases: e.aliases}
	cond, err := indexCond(a, "i", q, f)
	if err != nil {
		return false, err
	}
	var n int64
	err = qr.QueryRow(ctx, fmt.Sprintf(`SELECT COUNT(*) FROM (SELECT 1 FROM %s i WHERE %s LIMIT %d) x`,
		indexTables[f.Type].name, cond, walkThreshold), a.args...).Scan(&n)
	return n >= walkThreshold, err
}

// drivesMany reports whether the driving filter k of q matches so many
// resources that walking the resources in key order is cheaper: a range
// or other weak filter with at least walkThreshold index rows, or a _has
// whose referencing side has that many (Patient?_has:Observation:patient:
// code=<a common code> is then answered patient by patient, each probe
// stopping at the first matching Observation).
func (e *Engine) drivesMany(ctx context.Context, qr Querier, q store.SearchQuery, k int) (bool, error) {
	f := q.Filters[k]
	if h := f.Has; h != nil {
		hk := driver(h.Filters)
		if hk < 0 || !hasProbeable(h) {
			return false, nil
		}
		return e.manyMatches(ctx, qr, store.SearchQuery{Type: h.Type, Filters: h.Filters}, hk)
	}
	if selectivity(f) < walkSelectivity {
		return false, nil
	}
	return e.manyMatches(ctx, qr, q, k)
}

// hasProbeable reports whether the filters of h can be written on index
// rows (every one but _lastUpdated, a column of resources).
func hasProbeable(h *store.Has) bool {
	for _, g := range h.Filters {
		if g.Param == store.ParamLastUpdated {
			return false
		}
	}
	return len(h.Filters) > 0
}

// hasProbeSQL returns _has as a probe of one resource r: a reference to r
// from the referencing type and parameter whose resource passes h's
// filters, probed on its index rows (ok false: not applicable).
func hasProbeSQL(a *sqlArgs, r, typ string, h *store.Has, depth int) (string, bool, error) {
	if typ == "" || depth+1 > maxDepth || !hasProbeable(h) {
		return "", false, nil
	}
	conds := []string{"hr.type = " + a.arg(h.Type), a.paramCond("hr", h.Type, nil, h.Param), "hr.ref_type = " + a.arg(typ), "hr.ref_id = " + r + ".id"}
	sub, err := whereSQLOf(a, "hr", "", "", nil, h.Type, h.Filters, depth+1, -1, -1)
	if err != nil {
		return "", true, err
	}
	conds = append(conds, sub[1:]...) // sub[0] is hr.deleted, a column index rows lack
	return "EXISTS (SELECT 1 FROM idx_reference hr WHERE " + strings.Join(conds, " AND ") + probeLimit + ")", true, nil
}

// streamDriver returns the filter of q that can stream (see above), or -1.
// A parameter read from the rows of several (store.ParamAlias) does not:
// its index ranges are not one key order.
func (e *Engine) streamDriver(q store.SearchQuery) int {
	if len(q.Sort) > 0 || q.Type == "" {
		return -1
	}
	best, rank := -1, 99
	for i, f := range q.Filters {
		if !simpleFilter(f) || len(f.Values) != 1 || e.unionAlias(q.Type, f.Param) {
			continue
		}
		v := f.Values[0]
		switch {
		case f.Type == store.ParamReference && v.RefID != "" && v.RefType != "" && rank > 1:
			best, rank = i, 1
		case f.Type == store.ParamToken && v.Code != "" && (v.System != "" || v.NoSystem) && rank > 2:
			best, rank = i, 2
		}
	}
	return best
}

// searchStream runs q with filter k streaming (see above) into page.
func (e *Engine) searchStream(ctx context.Context, qr Querier, q store.SearchQuery, k int, page *store.SearchPage) error {
	f := q.Filters[k]
	tab := indexTables[f.Type].name
	n := pageSize(q.Count)
	var after []any // the key of the last resource seen: (id, institution)
	if q.Cursor != "" {
		vals, err := decodeCursor(q.Cursor, []sortCol{{kind: 's'}, {kind: 's'}})
		if err != nil {
			return err
		}
		after = vals
	}
	// A resource with two index rows matching the value comes twice; the
	// duplicates are dropped here, and when they leave the page short while
	// the query returned all it was allowed, it runs again after the last key.
	limit := n + 1 + 8
	var last []any
	for {
		a := &sqlArgs{vis: visibilityOf(ctx), aliases: e.aliases}
		cond, err := indexCond(a, "d", q, f)
		if err != nil {
			return err
		}
		rest, err := whereSQLOf(a, "r", "", "", nil, q.Type, q.Filters, 0, -1, k)
		if err != nil {
			return err
		}
		where := append([]string{cond, "r.institution = d.institution", "r.type = d.type", "r.id = d.id"}, rest...)
		if after != nil {
			where = append(where, fmt.Sprintf("(d.id, d.institution) > (%s, %s)", a.arg(after[0]), a.arg(after[1])))
		}
		// CROSS JOIN: SQLite keeps the index table outside (PostgreSQL
		// plans it as any inner join).
		sql := `SELECT p.institution, p.type, p.id, p.version, p.last_updated, v.body FROM (
 SELECT r.institution, r.type, r.id, r.version, r.last_updated FROM ` + tab + ` d CROSS JOIN resources r WHERE ` +
			strings.Join(where, " AND ") + fmt.Sprintf(" ORDER BY d.id, d.institution LIMIT %d", limit) + `) p
JOIN resource_versions v ON v.institution = p.institution AND v.type = p.type AND v.id = p.id AND v.version = p.version
ORDER BY p.id, p.institution`
		rows, err := qr.Query(ctx, sql, a.args...)
		if err != nil {
			return err
		}
		got, full := 0, false
		for rows.Next() {
			r := &store.Resource{}
			var lu int64
			if err := rows.Scan(&r.Institution, &r.Type, &r.ID, &r.Version, &lu, &r.JSON); err != nil {
				rows.Close()
				return err
			}
			got++
			after = []any{r.ID, r.Institution}
			if last != nil && last[0] == r.ID && last[1] == r.Institution {
				continue // a duplicate
			}
			if len(page.Entries) == n {
				page.Next = encodeCursor(last)
				full = true
				break
			}
			r.LastUpdated = e.fromMicros(lu)
			page.Entries = append(page.Entries, r)
			last = []any{r.ID, r.Institution}
		}
		if err := rows.Err(); err != nil {
			rows.Close()
			return err
		}
		rows.Close()
		if full || got < limit {
			break
		}
	}
	return nil
}

// hasSQL returns the condition of _has on the resources alias r when the
// referencing side has a plain value filter: its index rows stand for the
// referencing resources (they exist only for current versions), joined
// straight to their references, so no resources row is visited and the
// condition is one IN over ids, not nested row-value INs (which SQLite
// evaluates once per column). ok is false when this form does not apply.
func hasSQL(a *sqlArgs, r, typ string, h *store.Has, depth int) (string, bool, error) {
	if typ == "" || depth+1 > maxDepth || !hasProbeable(h) {
		return "", false, nil
	}
	k := driver(h.Filters)
	if k < 0 || !simpleFilter(h.Filters[k]) {
		return "", false, nil
	}
	f := h.Filters[k]
	cond, err := valuesCond(a, "h", h.Type, f)
	if err != nil {
		return "", true, err
	}
	where := []string{cond}
	rest, err := whereSQLOf(a, "h", "", "", nil, h.Type, h.Filters, depth+1, -1, k)
	if err != nil {
		return "", true, err
	}
	where = append(where, rest[1:]...) // rest[0] is h.deleted, a column index rows lack
	where = append(where, "hr.institution = h.institution", "hr.type = h.type", "hr.id = h.id",
		a.paramCond("hr", h.Type, nil, h.Param), "hr.ref_type = "+a.arg(typ))
	return fmt.Sprintf("%s.id IN (SELECT hr.ref_id FROM %s h CROSS JOIN idx_reference hr WHERE %s)",
		r, indexTables[f.Type].name, strings.Join(where, " AND ")), true, nil
}
