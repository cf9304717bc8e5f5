package sqlstore

import (
	"context"

	"yigong/fhir/store"
)

// rkey identifies a resource.
type rkey struct{ inst, typ, id string }

func keyOf(r *store.Resource) rkey { return rkey{r.Institution, r.Type, r.ID} }

// includes resolves _include and _revinclude for a page: round 0 applies
// every include to the page's entries, later rounds apply the :iterate ones
// to what the previous round added.
func (e *Engine) includes(ctx context.Context, qr Querier, specs []store.Include, entries []*store.Resource) ([]*store.Resource, error) {
	seen := map[rkey]bool{}
	for _, r := range entries {
		seen[keyOf(r)] = true
	}
	var out []*store.Resource
	frontier := entries
	for round := 0; round < store.MaxIncludeRounds && len(frontier) > 0; round++ {
		var next []*store.Resource
		for _, sp := range specs {
			if round > 0 && !sp.Iterate {
				continue
			}
			found, err := e.includeOne(ctx, qr, sp, frontier)
			if err != nil {
				return nil, err
			}
			for _, r := range found {
				if k := keyOf(r); !seen[k] && len(out)+len(next) < store.MaxIncluded {
					seen[k] = true
					next = append(next, r)
				}
			}
		}
		out = append(out, next...)
		frontier = next
	}
	return out, nil
}

// includeOne applies one include to from.
func (e *Engine) includeOne(ctx context.Context, qr Querier, sp store.Include, from []*store.Resource) ([]*store.Resource, error) {
	byType := map[string][]string{}
	var order []string
	for _, r := range from {
		if !sp.Rev && r.Type != sp.Source {
			continue
		}
		if sp.Rev && sp.Target != "" && r.Type != sp.Target {
			continue
		}
		if byType[r.Type] == nil {
			order = append(order, r.Type)
		}
		byType[r.Type] = append(byType[r.Type], r.ID)
	}
	targets := map[string][]string{} // type -> ids to fetch
	var tOrder []string
	for _, typ := range order {
		for _, ids := range chunks(byType[typ], 500) {
			a := &sqlArgs{aliases: e.aliases}
			var sql string
			if sp.Rev {
				sql = `SELECT DISTINCT i.type, i.id FROM idx_reference i WHERE i.ref_type = ` + a.arg(typ) +
					` AND i.ref_id IN (` + argList(a, ids) + `) AND i.type = ` + a.arg(sp.Source)
			} else {
				sql = `SELECT DISTINCT i.ref_type, i.ref_id FROM idx_reference i WHERE i.type = ` + a.arg(typ) +
					` AND i.id IN (` + argList(a, ids) + `) AND i.ref_id <> ''`
				if sp.Target != "" {
					sql += ` AND i.ref_type = ` + a.arg(sp.Target)
				}
			}
			if sp.Param != "*" {
				src := typ
				if sp.Rev {
					src = sp.Source
				}
				sql += ` AND ` + a.paramCond("i", src, nil, sp.Param)
			}
			rows, err := qr.Query(ctx, sql, a.args...)
			if err != nil {
				return nil, err
			}
			for rows.Next() {
				var t, id string
				if err := rows.Scan(&t, &id); err != nil {
					rows.Close()
					return nil, err
				}
				if targets[t] == nil {
					tOrder = append(tOrder, t)
				}
				targets[t] = append(targets[t], id)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, err
			}
		}
	}
	var out []*store.Resource
	for _, t := range tOrder {
		rs, err := e.fetch(ctx, qr, t, targets[t])
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	return out, nil
}

// fetch reads the current, non-deleted resources typ/ids (any institution
// the caller sees).
func (e *Engine) fetch(ctx context.Context, qr Querier, typ string, ids []string) ([]*store.Resource, error) {
	var out []*store.Resource
	for _, part := range chunks(ids, 500) {
		a := &sqlArgs{vis: visibilityOf(ctx)}
		where := `r.type = ` + a.arg(typ) + ` AND r.id IN (` + argList(a, part) + `) AND r.deleted = FALSE`
		if c := visibilitySQL(a, a.vis, "r"); c != "" {
			where += " AND " + c
		}
		rows, err := qr.Query(ctx, `SELECT r.institution, r.id, r.version, r.last_updated, v.body FROM resources r
JOIN resource_versions v ON v.institution = r.institution AND v.type = r.type AND v.id = r.id AND v.version = r.version
WHERE `+where+` ORDER BY r.id, r.institution`, a.args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			r := &store.Resource{Type: typ}
			var lu int64
			if err := rows.Scan(&r.Institution, &r.ID, &r.Version, &lu, &r.JSON); err != nil {
				rows.Close()
				return nil, err
			}
			r.LastUpdated = e.fromMicros(lu)
			out = append(out, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func chunks(ids []string, n int) [][]string {
	var out [][]string
	for len(ids) > n {
		out = append(out, ids[:n])
		ids = ids[n:]
	}
	if len(ids) > 0 {
		out = append(out, ids)
	}
	return out
}
