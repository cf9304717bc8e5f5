package sqlstore

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"yigong/fhir"
	"yigong/fhir/store"
)

// indexTable describes one search index table. Every table starts with the
// columns (institution, type, id, param); cols are the rest.
type indexTable struct {
	name string
	cols []string
	vals func(e store.IndexEntry) []any
}

// Index tables by store.ParamType; bit 1<<ParamType of resources.idx_mask
// says a resource has rows in that table.
var indexTables = [...]indexTable{
	store.ParamString: {"idx_string", []string{"grp", "value", "value_norm"}, func(e store.IndexEntry) []any {
		return []any{e.Group, e.Text, store.NormalizeString(e.Text)}
	}},
	store.ParamToken: {"idx_token", []string{"grp", "system", "code", "text"}, func(e store.IndexEntry) []any {
		return []any{e.Group, e.System, e.Code, e.Text}
	}},
	store.ParamDate: {"idx_date", []string{"grp", "lo", "hi"}, func(e store.IndexEntry) []any {
		return []any{e.Group, loMicros(e.Lo), hiMicros(e.Hi)}
	}},
	store.ParamNumber: {"idx_number", []string{"grp", "lo", "hi"}, func(e store.IndexEntry) []any {
		return []any{e.Group, e.NumLo, e.NumHi}
	}},
	store.ParamQuantity: {"idx_quantity", []string{"grp", "system", "code", "lo", "hi", "canon_code", "canon_lo", "canon_hi"},
		func(e store.IndexEntry) []any {
			return []any{e.Group, e.System, e.Code, e.NumLo, e.NumHi, e.CanonCode, e.CanonLo, e.CanonHi}
		}},
	store.ParamReference: {"idx_reference", []string{"grp", "ref_type", "ref_id", "url"}, func(e store.IndexEntry) []any {
		return []any{e.Group, e.RefType, e.RefID, e.Text}
	}},
	store.ParamURI: {"idx_uri", []string{"grp", "uri"}, func(e store.IndexEntry) []any {
		return []any{e.Group, e.Text}
	}},
}

// loMicros and hiMicros store open range ends (zero times) as the extremes.
func loMicros(t time.Time) int64 {
	if t.IsZero() {
		return math.MinInt64
	}
	return t.UnixMicro()
}

func hiMicros(t time.Time) int64 {
	if t.IsZero() {
		return math.MaxInt64
	}
	return t.UnixMicro()
}

// indexEntries runs the indexer on r and returns its entries and the
// idx_mask they make.
func (t *Tx) indexEntries(ctx context.Context, r *store.Resource) ([]store.IndexEntry, int64, error) {
	if r.Deleted || t.e.cfg.Indexer == nil {
		return nil, 0, nil
	}
	entries, err := t.e.cfg.Indexer.Index(ctx, r)
	if err != nil {
		return nil, 0, &fhir.Error{Kind: fhir.KindInvalid, Msg: "index", Err: err}
	}
	var mask int64
	for _, e := range entries {
		if e.Type == 0 || int(e.Type) >= len(indexTables) || e.Param == "" {
			return nil, 0, fmt.Errorf("index: bad entry %q of type %v", e.Param, e.Type)
		}
		mask |= 1 << e.Type
	}
	return entries, mask, nil
}

// writeIndex replaces the index rows of r (those in the tables of prevMask)
// with entries.
func (t *Tx) writeIndex(ctx context.Context, r *store.Resource, prevMask int64, entries []store.IndexEntry) error {
	for pt := range indexTables {
		if pt == 0 || prevMask&(1<<pt) == 0 {
			continue
		}
		if _, err := t.c.Exec(ctx, `DELETE FROM `+indexTables[pt].name+` WHERE institution = $1 AND type = $2 AND id = $3`,
			r.Institution, r.Type, r.ID); err != nil {
			return err
		}
	}
	var byType [len(indexTables)][]store.IndexEntry
	for _, e := range entries {
		byType[e.Type] = append(byType[e.Type], e)
	}
	for pt, es := range byType {
		if len(es) == 0 {
			continue
		}
		tab := &indexTables[pt]
		width := 4 + len(tab.cols)
		const maxRows = 400
		for start := 0; start < len(es); start += maxRows {
			part := es[start:min(start+maxRows, len(es))]
			var b strings.Builder
			b.WriteString("INSERT INTO " + tab.name + " (institution, type, id, param, " + strings.Join(tab.cols, ", ") + ") VALUES ")
			args := make([]any, 0, width*len(part))
			for i, e := range part {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteByte('(')
				for j := range width {
					if j > 0 {
						b.WriteByte(',')
					}
					fmt.Fprintf(&b, "$%d", len(args)+j+1)
				}
				b.WriteByte(')')
				args = append(args, r.Institution, r.Type, r.ID, e.Param)
				args = append(args, tab.vals(e)...)
			}
			if _, err := t.c.Exec(ctx, b.String(), args...); err != nil {
				return err
			}
		}
	}
	return nil
}
