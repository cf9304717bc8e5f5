package sqlstore

import (
	"context"
	"fmt"
	"math"
	"math/bits"
	"strconv"
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
	// Whole texts (_text, _content): only the normalised form is kept, one
	// row per resource and parameter, and no index on the value, which a
	// :contains search could not use anyway.
	store.ParamText: {"idx_text", []string{"grp", "value_norm"}, func(e store.IndexEntry) []any {
		return []any{e.Group, store.NormalizeString(e.Text)}
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

// nodeIndexer is an indexer that also indexes a decoded resource
// (search.Indexer): given the tree a writer handed over (store.Input.Node),
// it need not decode the stored JSON again.
type nodeIndexer interface {
	IndexNode(ctx context.Context, n *fhir.Node) ([]store.IndexEntry, error)
}

// indexEntries runs the indexer on r (on node, r decoded, when not nil:
// Tx.newVersion) and returns its entries and the idx_mask they make.
func (e *Engine) indexEntries(ctx context.Context, r *store.Resource, node *fhir.Node) ([]store.IndexEntry, int64, error) {
	if r.Deleted || e.cfg.Indexer == nil {
		return nil, 0, nil
	}
	var entries []store.IndexEntry
	var err error
	if node != nil {
		entries, err = e.cfg.Indexer.(nodeIndexer).IndexNode(ctx, node) // only set when it is one (Tx.newVersion)
	} else {
		entries, err = e.cfg.Indexer.Index(ctx, r)
	}
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
	_, err := execBatch(ctx, t.c, t.indexStmts(nil, r, prevMask, entries))
	return err
}

// indexStmts appends to batch the statements replacing the index rows of r
// (those in the tables of prevMask) with entries.
func (t *Tx) indexStmts(batch []Stmt, r *store.Resource, prevMask int64, entries []store.IndexEntry) []Stmt {
	for pt := range indexTables {
		if pt == 0 || prevMask&(1<<pt) == 0 {
			continue
		}
		batch = append(batch, Stmt{indexDeleteSQLs[pt], []any{r.Institution, r.Type, r.ID}})
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
		for len(es) > 0 {
			k := chunkSize(len(es))
			args := make([]any, 0, (4+len(tab.cols))*k)
			for _, e := range es[:k] {
				args = append(args, r.Institution, r.Type, r.ID, e.Param)
				args = append(args, tab.vals(e)...)
			}
			batch = append(batch, Stmt{SQL: indexInsertSQLs[pt][sizeIndex(k)], Args: args})
			es = es[k:]
		}
	}
	return batch
}

// Multi-row INSERTs come in a few fixed sizes (powers of two up to
// maxChunk), so that their texts repeat: SQLite keeps them prepared (see
// HotStatements) and pgx finds them in its statement cache, instead of
// parsing a new text for every row count.
const maxChunk = 64

// chunkSize is the largest fixed size not above n (n > 0).
func chunkSize(n int) int {
	k := maxChunk
	for k > n {
		k >>= 1
	}
	return k
}

// sizeIndex is the position of the fixed size k (a chunkSize) in the lists
// of INSERT texts: log2(k).
func sizeIndex(k int) int { return bits.TrailingZeros(uint(k)) }

// rowsSQL returns "INSERT INTO table (cols) VALUES ($1,...),(...)" with k
// rows.
func rowsSQL(table string, cols []string, k int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
	n := 0
	for i := range k {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for j := range cols {
			if j > 0 {
				b.WriteByte(',')
			}
			n++
			b.WriteString("$" + strconv.Itoa(n))
		}
		b.WriteByte(')')
	}
	return b.String()
}

// indexInsertSQLs holds, per index table, the INSERT texts of 1, 2, 4, ...
// maxChunk rows; built once.
var indexInsertSQLs = func() (out [len(indexTables)][]string) {
	for pt := range indexTables {
		if pt == 0 {
			continue
		}
		cols := append([]string{"institution", "type", "id", "param"}, indexTables[pt].cols...)
		for k := 1; k <= maxChunk; k <<= 1 {
			out[pt] = append(out[pt], rowsSQL(indexTables[pt].name, cols, k))
		}
	}
	return out
}()

// indexDeleteSQLs holds, per index table, the DELETE of a resource's rows.
var indexDeleteSQLs = func() (out [len(indexTables)]string) {
	for pt := range indexTables {
		if pt != 0 {
			out[pt] = `DELETE FROM ` + indexTables[pt].name + ` WHERE institution = $1 AND type = $2 AND id = $3`
		}
	}
	return out
}()

// HotStatements are the texts the write path runs for every resource: an
// engine may prepare them once per connection (SQLite does; pgx caches
// prepared statements by itself).
func (e *Engine) HotStatements() []string {
	out := []string{insertResourceSQL, updateResourceSQL, updateMaskSQL, e.insertVersionSQL, selectCurrentSQL + e.d.ForUpdate,
		counterSQL}
	for pt := range indexTables {
		if pt == 0 {
			continue
		}
		out = append(out, indexDeleteSQLs[pt])
		out = append(out, indexInsertSQLs[pt]...)
	}
	return append(out, changesInsertSQLs...)
}
