package sqlstore

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"

	"yigong/fhir"
	"yigong/fhir/store"
)

// Indexer implements store.Reindexer.
func (e *Engine) Indexer() store.Indexer { return e.cfg.Indexer }

// ReindexCount implements store.Reindexer.
func (e *Engine) ReindexCount(ctx context.Context, types []string) (int64, error) {
	a := &sqlArgs{}
	sql := `SELECT COUNT(*) FROM resources WHERE deleted = FALSE`
	if len(types) > 0 {
		sql += ` AND type IN (` + argList(a, types) + `)`
	}
	var n int64
	if err := e.b.Reader().QueryRow(ctx, sql, a.args...).Scan(&n); err != nil {
		return 0, e.wrap("store: reindex count", err)
	}
	return n, nil
}

// Reindex implements store.Reindexer: one batch, in primary-key order, in
// one write transaction that reads (and on PostgreSQL locks) the rows it
// re-indexes, so a concurrent update cannot be overwritten by stale rows.
func (e *Engine) Reindex(ctx context.Context, types []string, cursor string, batch int) (int, string, error) {
	const op = "store: reindex"
	if e.cfg.Indexer == nil {
		return 0, "", e.wrap(op, kerr(fhir.KindNotSupported, nil, "the store has no indexer"))
	}
	if batch <= 0 {
		batch = 200
	}
	var after rkey
	if cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(cursor)
		var k []string
		if err == nil {
			err = json.Unmarshal(raw, &k)
		}
		if err != nil || len(k) != 3 {
			return 0, "", e.wrap(op, kerr(fhir.KindInvalid, nil, "bad cursor %q", cursor))
		}
		after = rkey{k[0], k[1], k[2]}
	}
	n, next := 0, ""
	err := e.inTx(ctx, op, func(t *Tx) error {
		a := &sqlArgs{}
		where := []string{"r.deleted = FALSE"}
		if len(types) > 0 {
			where = append(where, "r.type IN ("+argList(a, types)+")")
		}
		if cursor != "" {
			where = append(where, "(r.institution, r.type, r.id) > ("+a.arg(after.inst)+", "+a.arg(after.typ)+", "+a.arg(after.id)+")")
		}
		rows, err := t.c.Query(ctx, `SELECT r.institution, r.type, r.id, r.version, r.last_updated, r.idx_mask, v.body FROM resources r
JOIN resource_versions v ON v.institution = r.institution AND v.type = r.type AND v.id = r.id AND v.version = r.version
WHERE `+strings.Join(where, " AND ")+` ORDER BY r.institution, r.type, r.id LIMIT `+strconv.Itoa(batch)+t.e.d.ForUpdate, a.args...)
		if err != nil {
			return t.e.wrap(op, err)
		}
		type item struct {
			r    *store.Resource
			mask int64
		}
		var items []item
		for rows.Next() {
			r := &store.Resource{}
			var lu, mask int64
			if err := rows.Scan(&r.Institution, &r.Type, &r.ID, &r.Version, &lu, &mask, &r.JSON); err != nil {
				rows.Close()
				return t.e.wrap(op, err)
			}
			r.LastUpdated = t.e.fromMicros(lu)
			items = append(items, item{r, mask})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return t.e.wrap(op, err)
		}
		for _, it := range items {
			entries, mask, err := t.e.indexEntries(ctx, it.r, nil)
			if err != nil {
				return t.e.wrap(op+" "+it.r.Type+"/"+it.r.ID, err)
			}
			if err := t.writeIndex(ctx, it.r, it.mask, entries); err != nil {
				return t.e.wrap(op, err)
			}
			if mask != it.mask {
				if _, err := t.c.Exec(ctx, updateMaskSQL, it.r.Institution, it.r.Type, it.r.ID, mask); err != nil {
					return t.e.wrap(op, err)
				}
			}
		}
		n = len(items)
		if n == batch {
			last := items[n-1].r
			raw, _ := json.Marshal([]string{last.Institution, last.Type, last.ID})
			next = base64.RawURLEncoding.EncodeToString(raw)
		}
		return nil
	})
	return n, next, err
}
