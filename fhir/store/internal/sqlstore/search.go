package sqlstore

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"yigong/fhir"
	"yigong/fhir/store"
)

// Search implements store.Searcher.
func (e *Engine) Search(ctx context.Context, q store.SearchQuery) (*store.SearchPage, error) {
	return e.search(ctx, e.b.Reader(), q)
}

// Search implements store.Searcher inside the transaction: it sees the
// transaction's own writes.
func (t *Tx) Search(ctx context.Context, q store.SearchQuery) (*store.SearchPage, error) {
	if err := t.closed("store: search " + q.Type); err != nil {
		return nil, err
	}
	if err := t.flushIndex(ctx); err != nil {
		return nil, err
	}
	return t.e.search(ctx, t.c, q)
}

var _ store.Searcher = (*Tx)(nil)

// sqlArgs collects the positional arguments of one statement, and carries
// the caller's visibility (nil: unrestricted), which whereSQLWith applies to
// every resource it selects, at every depth.
type sqlArgs struct {
	args    []any
	vis     *store.Visibility
	aliases store.ParamAliaser // nil: every parameter has rows of its own
}

// paramCond returns the condition that index rows of alias i hold the
// values of parameter param on the searched type (typ, or each of types):
// its own rows, or those of the parameters it repeats (store.ParamAlias).
func (a *sqlArgs) paramCond(i, typ string, types []string, param string) string {
	return a.storedCond(i, typ, types, param, func(params []string, refType string) string {
		var c string
		if len(params) == 1 {
			c = i + ".param = " + a.arg(params[0])
		} else {
			c = i + ".param IN (" + argList(a, params) + ")"
		}
		if refType != "" {
			c = "(" + c + " AND " + i + ".ref_type = " + a.arg(refType) + ")"
		}
		return c
	})
}

// storedCond writes the condition on index rows of alias i for parameter
// param with cond, given the parameters whose rows hold its values on the
// searched type(s) (param itself, or its alias's) and the alias's
// reference type. Types on which the parameter is stored differently get
// a condition each, joined by OR.
func (a *sqlArgs) storedCond(i, typ string, types []string, param string, cond func(params []string, refType string) string) string {
	own := func() string { return cond([]string{param}, "") }
	if a.aliases == nil || typ == "" && len(types) == 0 {
		return own()
	}
	if typ != "" {
		types = []string{typ}
	}
	// Group the types by how the parameter is stored on them.
	type form struct {
		al    store.ParamAlias
		alias bool
		types []string
	}
	var forms []*form
	for _, t := range types {
		al, ok := a.aliases.ParamAlias(t, param)
		k := slices.IndexFunc(forms, func(f *form) bool {
			return f.alias == ok && f.al.RefType == al.RefType && slices.Equal(f.al.Params, al.Params)
		})
		if k < 0 {
			forms = append(forms, &form{al: al, alias: ok})
			k = len(forms) - 1
		}
		forms[k].types = append(forms[k].types, t)
	}
	one := func(f *form) string {
		if !f.alias {
			return own()
		}
		return cond(f.al.Params, f.al.RefType)
	}
	if len(forms) == 1 {
		return one(forms[0])
	}
	ors := make([]string, len(forms))
	for k, f := range forms {
		ors[k] = "(" + i + ".type IN (" + argList(a, f.types) + ") AND " + one(f) + ")"
	}
	return "(" + strings.Join(ors, " OR ") + ")"
}

// unionAlias reports whether param on typ is read from the rows of several
// parameters (a resource may then match through two rows of different
// parameters, and no single index range yields it in key order).
func (e *Engine) unionAlias(typ, param string) bool {
	if e.aliases == nil || typ == "" {
		return false
	}
	al, ok := e.aliases.ParamAlias(typ, param)
	return ok && len(al.Params) > 1
}

func (a *sqlArgs) arg(v any) string {
	a.args = append(a.args, v)
	return "$" + strconv.Itoa(len(a.args))
}

// sortCol is one key of the ORDER BY: an expression over the resources row
// alias r, and how its cursor value is decoded.
type sortCol struct {
	expr string
	desc bool
	kind byte // 's' string, 'i' int64, 'f' float64
}

// search runs q on qr: the page of keys is chosen from resources (filters
// as semi-joins on the index tables, the most selective one driving, or
// streamed or walked in key order: see searchplan.go), then the bodies are
// fetched by primary key.
func (e *Engine) search(ctx context.Context, qr Querier, q store.SearchQuery) (_ *store.SearchPage, err error) {
	op := "store: search " + q.Type
	if q.Type == "" {
		op = "store: search"
	}
	page := &store.SearchPage{Total: -1}
	if q.Total || q.OnlyTotal {
		if page.Total, err = e.count(ctx, qr, q); err != nil {
			return nil, e.wrap(op, err)
		}
	}
	if q.OnlyTotal {
		return page, nil
	}
	cursor, backward := strings.CutPrefix(q.Cursor, prevMark)
	if k := e.streamDriver(q); k >= 0 && !backward {
		if err := e.searchStream(ctx, qr, q, k, page); err != nil {
			return nil, e.wrap(op, err)
		}
		if q.Cursor != "" && len(page.Entries) > 0 {
			// The stream runs in the default order (id, institution).
			first := page.Entries[0]
			page.Prev = prevMark + encodeCursor([]any{first.ID, first.Institution})
		}
		return e.finish(ctx, qr, q, page, op)
	}
	drive := driver(q.Filters)
	if drive >= 0 && len(q.Sort) == 0 && q.Type != "" {
		many, err := e.drivesMany(ctx, qr, q, drive)
		if err != nil {
			return nil, e.wrap(op, err)
		}
		if many {
			drive = -1 // walk the resources in key order, probing every filter
		}
	}
	a := &sqlArgs{vis: visibilityOf(ctx), aliases: e.aliases}
	where, err := whereSQLWith(a, "r", q.Institution, q.Type, q.Types, q.Filters, 0, drive, -1)
	if err != nil {
		return nil, e.wrap(op, err)
	}

	cols, err := sortCols(a, q)
	if err != nil {
		return nil, e.wrap(op, err)
	}
	if backward {
		// The page before the cursor: the keys in the opposite order,
		// after the cursor in that order; the rows are turned round below.
		cols = reversed(cols)
	}
	if cursor != "" {
		vals, err := decodeCursor(cursor, cols)
		if err != nil {
			return nil, e.wrap(op, err)
		}
		where = append(where, keysetSQL(a, cols, vals))
	}
	var sel, order, outer []string
	for i, c := range cols {
		expr := c.expr
		if len(q.Filters) > 0 && drive >= 0 {
			// With filters, order the matches rather than walk an index in
			// sort order probing each row (the LIMIT trap: a patient's 50
			// observations found by scanning all of them in id order).
			switch c.kind {
			case 's':
				expr = "(" + expr + " || '')"
			case 'i':
				expr = "(" + expr + " + 0)"
			}
		}
		sel = append(sel, fmt.Sprintf("%s AS s%d", expr, i))
		dir := "ASC"
		if c.desc {
			dir = "DESC"
		}
		order = append(order, fmt.Sprintf("s%d %s", i, dir))
		outer = append(outer, fmt.Sprintf("p.s%d %s", i, dir))
	}
	n := pageSize(q.Count)
	sql := `SELECT p.institution, p.type, p.id, p.version, p.last_updated, v.body, ` + strings.Join(colNames("p.s", len(cols)), ", ") + ` FROM (
 SELECT r.institution, r.type, r.id, r.version, r.last_updated, ` + strings.Join(sel, ", ") + ` FROM resources r WHERE ` +
		strings.Join(where, " AND ") + ` ORDER BY ` + strings.Join(order, ", ") + fmt.Sprintf(" LIMIT %d", n+1) + `) p
JOIN resource_versions v ON v.institution = p.institution AND v.type = p.type AND v.id = p.id AND v.version = p.version
ORDER BY ` + strings.Join(outer, ", ")
	rows, err := qr.Query(ctx, sql, a.args...)
	if err != nil {
		return nil, e.wrap(op, err)
	}
	defer rows.Close()
	var keys [][]any // the sort values of each entry
	more := false    // a row beyond the page: there is a further page
	for rows.Next() {
		if len(page.Entries) == n {
			more = true
			break
		}
		r := &store.Resource{}
		var lu int64
		vals := make([]any, len(cols))
		dest := []any{&r.Institution, &r.Type, &r.ID, &r.Version, &lu, &r.JSON}
		for i := range vals {
			dest = append(dest, &vals[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, e.wrap(op, err)
		}
		r.LastUpdated = e.fromMicros(lu)
		page.Entries = append(page.Entries, r)
		keys = append(keys, vals)
	}
	if err := rows.Err(); err != nil {
		return nil, e.wrap(op, err)
	}
	rows.Close()
	if backward {
		slices.Reverse(page.Entries)
		slices.Reverse(keys)
	}
	if k := len(keys); k > 0 {
		// Forward: a next page when a row was left over, a previous one
		// when this page followed a cursor. Backward: the page came from
		// the one after it, and has a previous one when a row was left.
		if more || backward {
			page.Next = encodeCursor(keys[k-1])
		}
		if backward && more || !backward && q.Cursor != "" {
			page.Prev = prevMark + encodeCursor(keys[0])
		}
	}
	return e.finish(ctx, qr, q, page, op)
}

// finish adds the included resources and the total when it is known
// without counting.
func (e *Engine) finish(ctx context.Context, qr Querier, q store.SearchQuery, page *store.SearchPage, op string) (*store.SearchPage, error) {
	var err error
	if len(q.Include) > 0 && len(page.Entries) > 0 {
		if page.Included, err = e.includes(ctx, qr, q.Include, page.Entries); err != nil {
			return nil, e.wrap(op, err)
		}
	}
	if page.Total < 0 && q.Cursor == "" && page.Next == "" {
		page.Total = int64(len(page.Entries)) // known without counting
	}
	return page, nil
}

func colNames(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + strconv.Itoa(i)
	}
	return out
}

// Sentinels that make resources without a sort value sort last.
const (
	maxText = "\U0010FFFF"
	maxNum  = 1e300
)

// sortCols returns the ORDER BY keys of q, ending with the unique key
// (id, institution, type).
func sortCols(a *sqlArgs, q store.SearchQuery) ([]sortCol, error) {
	var cols []sortCol
	for _, k := range q.Sort {
		switch k.Param {
		case store.ParamID:
			cols = append(cols, sortCol{"r.id", k.Desc, 's'})
			continue
		case store.ParamLastUpdated:
			cols = append(cols, sortCol{"r.last_updated", k.Desc, 'i'})
			continue
		}
		agg := "MIN"
		if k.Desc {
			agg = "MAX"
		}
		var col, missing string
		kind := byte('s')
		switch k.Type {
		case store.ParamString:
			col = "value_norm"
		case store.ParamToken:
			col = "code"
		case store.ParamReference:
			col = "ref_id"
		case store.ParamURI:
			col = "uri"
		case store.ParamDate:
			col, kind = "lo", 'i'
			if k.Desc {
				col = "hi"
			}
		case store.ParamNumber, store.ParamQuantity:
			col, kind = "lo", 'f'
		default:
			return nil, kerr(fhir.KindInvalid, nil, "cannot sort by %q (%v)", k.Param, k.Type)
		}
		switch {
		case kind == 's' && !k.Desc:
			missing = a.arg(maxText)
		case kind == 's':
			missing = a.arg("")
		case kind == 'i' && !k.Desc:
			missing = strconv.FormatInt(math.MaxInt64, 10)
		case kind == 'i':
			missing = strconv.FormatInt(math.MinInt64, 10)
		case !k.Desc:
			missing = "1e300"
		default:
			missing = "-1e300"
		}
		cols = append(cols, sortCol{fmt.Sprintf("COALESCE((SELECT %s(x.%s) FROM %s x WHERE x.institution = r.institution AND x.type = r.type AND x.id = r.id AND %s), %s)",
			agg, col, indexTables[k.Type].name, a.paramCond("x", q.Type, q.Types, k.Param), missing), k.Desc, kind})
	}
	desc := len(cols) > 0 && cols[len(cols)-1].desc && len(q.Sort) == 1 && (q.Sort[0].Param == store.ParamID || q.Sort[0].Param == store.ParamLastUpdated)
	if len(cols) == 0 || cols[0].expr != "r.id" {
		cols = append(cols, sortCol{"r.id", desc, 's'})
	}
	cols = append(cols, sortCol{"r.institution", desc, 's'})
	if q.Type == "" {
		cols = append(cols, sortCol{"r.type", desc, 's'})
	}
	return cols, nil
}

// prevMark starts a cursor that pages backward (SearchPage.Prev): the
// entries before its key rather than after. It is not in the base64url
// alphabet of the key.
const prevMark = "~"

// reversed returns cols with every direction turned round.
func reversed(cols []sortCol) []sortCol {
	out := make([]sortCol, len(cols))
	for i, c := range cols {
		c.desc = !c.desc
		out[i] = c
	}
	return out
}

func encodeCursor(vals []any) string {
	for i, v := range vals {
		if b, ok := v.([]byte); ok {
			vals[i] = string(b)
		}
	}
	raw, _ := json.Marshal(vals)
	return base64.RawURLEncoding.EncodeToString(raw)
}

func decodeCursor(s string, cols []sortCol) ([]any, error) {
	bad := kerr(fhir.KindInvalid, nil, "bad cursor %q", s)
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad
	}
	var vals []json.RawMessage
	if err := json.Unmarshal(raw, &vals); err != nil || len(vals) != len(cols) {
		return nil, bad
	}
	out := make([]any, len(cols))
	for i, c := range cols {
		var err error
		switch c.kind {
		case 's':
			var v string
			err = json.Unmarshal(vals[i], &v)
			out[i] = v
		case 'i':
			var v int64
			err = json.Unmarshal(vals[i], &v)
			out[i] = v
		default:
			var v float64
			err = json.Unmarshal(vals[i], &v)
			out[i] = v
		}
		if err != nil {
			return nil, bad
		}
	}
	return out, nil
}

// keysetSQL returns the condition "after the cursor" for cols: a row-value
// comparison when all keys run the same way, else its expansion.
func keysetSQL(a *sqlArgs, cols []sortCol, vals []any) string {
	same := true
	for _, c := range cols {
		same = same && c.desc == cols[0].desc
	}
	if same {
		var l, r []string
		for i, c := range cols {
			l = append(l, c.expr)
			r = append(r, a.arg(vals[i]))
		}
		op := ">"
		if cols[0].desc {
			op = "<"
		}
		return fmt.Sprintf("(%s) %s (%s)", strings.Join(l, ", "), op, strings.Join(r, ", "))
	}
	var ors []string
	for i := range cols {
		var ands []string
		for j := 0; j < i; j++ {
			ands = append(ands, fmt.Sprintf("%s = %s", cols[j].expr, a.arg(vals[j])))
		}
		op := ">"
		if cols[i].desc {
			op = "<"
		}
		ands = append(ands, fmt.Sprintf("%s %s %s", cols[i].expr, op, a.arg(vals[i])))
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	return "(" + strings.Join(ors, " OR ") + ")"
}

// maxDepth bounds chains and _has nesting.
const maxDepth = 6

// whereSQL returns the conditions selecting the current resources of typ
// (or types; all when both are empty) matching filters, on the resources
// alias r.
func whereSQL(a *sqlArgs, r, inst, typ string, types []string, filters []store.Filter, depth int) ([]string, error) {
	return whereSQLWith(a, r, inst, typ, types, filters, depth, driver(filters), -1)
}

// driver returns the filter that drives a search (-1: none can).
func driver(filters []store.Filter) int {
	drive := -1
	best := 99
	for i, f := range filters {
		if s := selectivity(f); s < best {
			drive, best = i, s
		}
	}
	return drive
}

// whereSQLWith is whereSQL with the driving filter chosen by the caller
// (-1: none, every filter is probed per resource) and filter skip left out
// (-1: none).
func whereSQLWith(a *sqlArgs, r, inst, typ string, types []string, filters []store.Filter, depth, drive, skip int) ([]string, error) {
	return whereSQLOf(a, r, inst, typ, types, typ, filters, depth, drive, skip)
}

// whereSQLOf is whereSQLWith where the rows of r are already known to be of
// type ftyp (joined to index rows of that type): no condition on r's type
// is added, but the filters are written for ftyp (a parameter may be read
// from other parameters' rows on some types: store.ParamAlias).
func whereSQLOf(a *sqlArgs, r, inst, typ string, types []string, ftyp string, filters []store.Filter, depth, drive, skip int) ([]string, error) {
	if depth > maxDepth {
		return nil, kerr(fhir.KindInvalid, nil, "chains and _has nest deeper than %d", maxDepth)
	}
	where := []string{r + ".deleted = FALSE"}
	switch {
	case typ != "":
		where = append(where, r+".type = "+a.arg(typ))
	case len(types) > 0:
		where = append(where, r+".type IN ("+argList(a, types)+")")
	}
	if inst != "" {
		where = append(where, r+".institution = "+a.arg(inst))
	}
	if c := visibilitySQL(a, a.vis, r); c != "" {
		where = append(where, c)
	}
	for i, f := range filters {
		if i == skip {
			continue
		}
		fts := types
		if ftyp != typ {
			fts = nil
		}
		c, err := filterSQL(a, r, ftyp, fts, f, i == drive, depth)
		if err != nil {
			return nil, err
		}
		where = append(where, c)
	}
	return where, nil
}

func argList(a *sqlArgs, vs []string) string {
	ps := make([]string, len(vs))
	for i, v := range vs {
		ps[i] = a.arg(v)
	}
	return strings.Join(ps, ", ")
}

// selectivity ranks how well a filter can drive the search (lower is
// better); 99 means it cannot (negations, :missing=true).
func selectivity(f store.Filter) int {
	if len(f.AnyOf) > 0 {
		// As selective as its weakest alternative; one that is not a plain
		// value filter cannot drive (a compartment with code= drives by
		// the code, whatever the planner's statistics).
		worst := 0
		for _, g := range f.AnyOf {
			if !simpleFilter(g) && g.Param != store.ParamID {
				return 99
			}
			worst = max(worst, selectivity(g))
		}
		return worst
	}
	if f.Has != nil {
		return 5
	}
	if f.Chain != nil {
		return 6
	}
	switch f.Modifier {
	case "not", "missing":
		return 99
	case "contains", "text":
		return 9
	}
	for _, v := range f.Values {
		if v.Prefix == "ne" {
			return 99
		}
	}
	switch f.Param {
	case store.ParamID:
		return 0
	case store.ParamLastUpdated:
		return 10
	}
	switch f.Type {
	case store.ParamReference:
		return 1
	case store.ParamToken:
		for _, v := range f.Values {
			if v.Code == "" {
				return 7
			}
		}
		return 2
	case store.ParamString, store.ParamURI:
		return 3
	case store.ParamComposite:
		return 4
	}
	return 8
}

// probeLimit ends the EXISTS probes of one resource's index rows, so that
// both engines run them as probes, one index seek per resource, rather
// than turning them into joins over every matching value: SQLite (3.54)
// flattens an EXISTS without LIMIT into a join that it planned through the
// value index, scanning all matching values once per resource
// (Observation?patient=&code= at 10x: 628 ms); PostgreSQL pulls an EXISTS
// up into a semi-join (dropping a LIMIT), hashing all the values of the
// probed filter (71 ms at 10x), unless it has an OFFSET.
const probeLimit = " LIMIT 1 OFFSET 0"

// filterSQL returns the condition on the resources alias r for one filter.
// A driving filter is a semi-join (r's key IN the index rows that match),
// the others are correlated EXISTS probes through the per-resource index.
func filterSQL(a *sqlArgs, r, typ string, types []string, f store.Filter, drive bool, depth int) (string, error) {
	switch {
	case len(f.AnyOf) > 0:
		return anyOfSQL(a, r, typ, types, f, drive, depth)
	case f.OnType != "":
		return onTypeSQL(a, r, typ, f, drive, depth)
	case f.Type == store.ParamNear:
		return nearSQL(a, r, typ, types, f, drive)
	}
	if f.Has != nil {
		h := f.Has
		if !drive {
			if c, ok, err := hasProbeSQL(a, r, typ, h, depth); ok || err != nil {
				return c, err
			}
		} else if c, ok, err := hasSQL(a, r, typ, h, depth); ok || err != nil {
			return c, err
		}
		sub, err := whereSQL(a, "h", "", h.Type, nil, h.Filters, depth+1)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("(%s.type, %s.id) IN (SELECT hr.ref_type, hr.ref_id FROM idx_reference hr WHERE hr.type = %s AND %s AND (hr.institution, hr.type, hr.id) IN (SELECT h.institution, h.type, h.id FROM resources h WHERE %s))",
			r, r, a.arg(h.Type), a.paramCond("hr", h.Type, nil, h.Param), strings.Join(sub, " AND ")), nil
	}
	if institutionTag(f) {
		// The owner's meta.tag is the partition key, not index rows.
		codes := make([]string, len(f.Values))
		for i, v := range f.Values {
			codes[i] = v.Code
		}
		c := r + ".institution IN (" + argList(a, codes) + ")"
		if f.Modifier == "not" {
			c = "NOT " + c
		}
		return c, nil
	}
	if f.Modifier != "missing" && len(f.Values) == 0 && f.Chain == nil {
		return "", kerr(fhir.KindInvalid, nil, "parameter %q has no value", f.Param)
	}
	switch f.Param {
	case store.ParamID:
		if f.Modifier == "missing" {
			return missingConst(f), nil
		}
		var ids []string
		for _, v := range f.Values {
			id := v.Code
			if id == "" {
				id = v.Text
			}
			ids = append(ids, id)
		}
		c := r + ".id IN (" + argList(a, ids) + ")"
		if f.Modifier == "not" {
			c = "NOT (" + c + ")"
		}
		return c, nil
	case store.ParamLastUpdated:
		if f.Modifier == "missing" {
			return missingConst(f), nil
		}
		var ors []string
		for _, v := range f.Values {
			c, err := rangeSQL(a, v, r+".last_updated", r+".last_updated + 1")
			if err != nil {
				return "", err
			}
			ors = append(ors, c)
		}
		return "(" + strings.Join(ors, " OR ") + ")", nil
	}
	if f.Type == store.ParamComposite {
		return compositeSQL(a, r, typ, types, f, drive)
	}
	if f.Type == 0 || int(f.Type) >= len(indexTables) {
		return "", kerr(fhir.KindInvalid, nil, "parameter %q: bad type %v", f.Param, f.Type)
	}
	tab := indexTables[f.Type].name
	if f.Modifier == "missing" {
		if len(f.Values) != 1 {
			return "", kerr(fhir.KindInvalid, nil, "%s:missing takes one value", f.Param)
		}
		c := fmt.Sprintf("EXISTS (SELECT 1 FROM %s i WHERE i.institution = %s.institution AND i.type = %s.type AND i.id = %s.id AND %s"+probeLimit+")",
			tab, r, r, r, a.paramCond("i", typ, types, f.Param))
		if f.Values[0].Missing {
			c = "NOT " + c
		}
		return c, nil
	}
	var ors []string
	if f.Chain != nil {
		sub, err := whereSQL(a, "c", f.Chain.Institution, f.Chain.Type, f.Chain.Types, f.Chain.Filters, depth+1)
		if err != nil {
			return "", err
		}
		ors = append(ors, "(i.ref_type, i.ref_id) IN (SELECT c.type, c.id FROM resources c WHERE "+strings.Join(sub, " AND ")+")")
	}
	negate := f.Modifier == "not" || allNe(f.Values)
	for _, v := range f.Values {
		mod := f.Modifier
		if negate {
			// :not and ne: no value of the resource matches (resources
			// without a value included).
			mod = ""
			if v.Prefix == "ne" {
				v.Prefix = "eq"
			}
		}
		c, err := valueSQL(a, f.Type, mod, f.Param, v, "i")
		if err != nil {
			return "", err
		}
		ors = append(ors, "("+c+")")
	}
	cond := strings.Join(ors, " OR ")
	if negate {
		return fmt.Sprintf("NOT EXISTS (SELECT 1 FROM %s i WHERE i.institution = %s.institution AND i.type = %s.type AND i.id = %s.id AND %s AND (%s))",
			tab, r, r, r, a.paramCond("i", typ, types, f.Param), cond), nil
	}
	if drive {
		return fmt.Sprintf("(%s.institution, %s.type, %s.id) IN (SELECT i.institution, i.type, i.id FROM %s i WHERE %s %s AND (%s))",
			r, r, r, tab, typeCond(a, "i", typ, types), a.paramCond("i", typ, types, f.Param), cond), nil
	}
	return fmt.Sprintf("EXISTS (SELECT 1 FROM %s i WHERE i.institution = %s.institution AND i.type = %s.type AND i.id = %s.id AND %s AND (%s)"+probeLimit+")",
		tab, r, r, r, a.paramCond("i", typ, types, f.Param), cond), nil
}

func allNe(vs []store.FilterValue) bool {
	if len(vs) == 0 {
		return false
	}
	for _, v := range vs {
		if v.Prefix != "ne" {
			return false
		}
	}
	return true
}

// missingConst answers :missing on a parameter every resource has.
func missingConst(f store.Filter) string {
	if len(f.Values) > 0 && f.Values[0].Missing {
		return "1 = 0"
	}
	return "1 = 1"
}

// typeCond restricts index rows of alias i to the searched type(s), with a
// trailing AND, or returns "" for a search over all types.
func typeCond(a *sqlArgs, i, typ string, types []string) string {
	switch {
	case typ != "":
		return i + ".type = " + a.arg(typ) + " AND"
	case len(types) > 0:
		return i + ".type IN (" + argList(a, types) + ") AND"
	}
	return ""
}

// compositeSQL matches composite values: the component rows of one group
// must each match their component value.
func compositeSQL(a *sqlArgs, r, typ string, types []string, f store.Filter, drive bool) (string, error) {
	n := len(f.Components)
	if n < 2 {
		return "", kerr(fhir.KindInvalid, nil, "composite %q has %d components", f.Param, n)
	}
	from := fmt.Sprintf("%s c0", indexTables[f.Components[0]].name)
	var conds []string
	for k := 1; k < n; k++ {
		pt := f.Components[k]
		if pt == 0 || int(pt) >= len(indexTables) {
			return "", kerr(fhir.KindInvalid, nil, "composite %q: bad component type", f.Param)
		}
		from += fmt.Sprintf(" JOIN %s c%d ON c%d.institution = c0.institution AND c%d.type = c0.type AND c%d.id = c0.id AND c%d.grp = c0.grp",
			indexTables[pt].name, k, k, k, k, k)
	}
	// Each group's rows are those of one parameter: c0.param = "code#0" AND
	// c1.param = "code#1"; for a composite read from several (store.
	// ParamAlias) one such pair per parameter, ORed.
	conds = append(conds, a.storedCond("c0", typ, types, f.Param, func(params []string, _ string) string {
		ors := make([]string, len(params))
		for j, p := range params {
			ands := make([]string, n)
			for k := range n {
				ands[k] = fmt.Sprintf("c%d.param = %s", k, a.arg(p+"#"+strconv.Itoa(k)))
			}
			ors[j] = strings.Join(ands, " AND ")
		}
		if len(ors) == 1 {
			return ors[0]
		}
		return "((" + strings.Join(ors, ") OR (") + "))"
	}))
	var ors []string
	for _, v := range f.Values {
		if len(v.Components) != n {
			return "", kerr(fhir.KindInvalid, nil, "composite %q: %d values for %d components", f.Param, len(v.Components), n)
		}
		var ands []string
		for k, cv := range v.Components {
			c, err := valueSQL(a, f.Components[k], "", f.Param, cv, "c"+strconv.Itoa(k))
			if err != nil {
				return "", err
			}
			ands = append(ands, "("+c+")")
		}
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	conds = append(conds, "("+strings.Join(ors, " OR ")+")")
	return groupSQL(a, r, typ, types, from, conds, drive), nil
}

// groupSQL returns the condition that resource r has a group of index rows
// (the tables of from, aliased c0, c1...) meeting conds: a semi-join when
// the filter drives the search, else a probe of r's own rows.
func groupSQL(a *sqlArgs, r, typ string, types []string, from string, conds []string, drive bool) string {
	if drive {
		return fmt.Sprintf("(%s.institution, %s.type, %s.id) IN (SELECT c0.institution, c0.type, c0.id FROM %s WHERE %s %s)",
			r, r, r, from, typeCond(a, "c0", typ, types), strings.Join(conds, " AND "))
	}
	return fmt.Sprintf("EXISTS (SELECT 1 FROM %s WHERE c0.institution = %s.institution AND c0.type = %s.type AND c0.id = %s.id AND %s"+probeLimit+")",
		from, r, r, r, strings.Join(conds, " AND "))
}

// likeEscape escapes s for LIKE ... ESCAPE '\'.
func likeEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// valueSQL returns the condition on index row alias i for one value.
func valueSQL(a *sqlArgs, pt store.ParamType, modifier, param string, v store.FilterValue, i string) (string, error) {
	switch pt {
	case store.ParamString:
		switch {
		case v.Exact || modifier == "exact":
			return i + ".value = " + a.arg(v.Text), nil
		case modifier == "contains":
			return fmt.Sprintf(`%s.value_norm LIKE %s ESCAPE '\'`, i, a.arg("%"+likeEscape(store.NormalizeString(v.Text))+"%")), nil
		}
		p := store.NormalizeString(v.Text)
		return fmt.Sprintf("%s.value_norm >= %s AND %s.value_norm < %s", i, a.arg(p), i, a.arg(p+maxText)), nil
	case store.ParamText:
		if modifier != "contains" {
			return "", kerr(fhir.KindInvalid, nil, "parameter %q matches by :contains only", param)
		}
		return fmt.Sprintf(`%s.value_norm LIKE %s ESCAPE '\'`, i, a.arg("%"+likeEscape(store.NormalizeString(v.Text))+"%")), nil
	case store.ParamToken:
		if modifier == "text" {
			return fmt.Sprintf(`LOWER(%s.text) LIKE %s ESCAPE '\'`, i, a.arg("%"+likeEscape(strings.ToLower(v.Text))+"%")), nil
		}
		var c []string
		if v.Code != "" {
			c = append(c, i+".code = "+a.arg(v.Code))
		}
		switch {
		case v.NoSystem:
			c = append(c, i+".system = ''")
		case v.System != "":
			c = append(c, i+".system = "+a.arg(v.System))
		}
		if len(c) == 0 {
			return "", kerr(fhir.KindInvalid, nil, "parameter %q: empty token", param)
		}
		return strings.Join(c, " AND "), nil
	case store.ParamDate:
		return rangeSQL(a, v, i+".lo", i+".hi")
	case store.ParamNumber:
		return numberSQL(a, v, i+".lo")
	case store.ParamQuantity:
		col := i + ".lo"
		var c []string
		if v.Canonical {
			col = i + ".canon_lo"
			c = append(c, i+".canon_code = "+a.arg(v.Code))
		} else {
			if v.Code != "" {
				c = append(c, i+".code = "+a.arg(v.Code))
			}
			if v.System != "" {
				c = append(c, i+".system = "+a.arg(v.System))
			}
		}
		n, err := numberSQL(a, v, col)
		if err != nil {
			return "", err
		}
		return strings.Join(append(c, n), " AND "), nil
	case store.ParamReference:
		switch {
		case v.RefID != "" && v.RefType != "":
			return fmt.Sprintf("%s.ref_id = %s AND %s.ref_type = %s", i, a.arg(v.RefID), i, a.arg(v.RefType)), nil
		case v.RefID != "":
			return i + ".ref_id = " + a.arg(v.RefID), nil
		case v.URL != "":
			return i + ".url = " + a.arg(v.URL), nil
		}
		return "", kerr(fhir.KindInvalid, nil, "parameter %q: empty reference", param)
	case store.ParamURI:
		switch modifier {
		case "above": // the indexed URI is a prefix of the value
			return fmt.Sprintf("%s.uri <> '' AND substr(CAST(%s AS TEXT), 1, length(%s.uri)) = %s.uri", i, a.arg(v.Text), i, i), nil
		case "below":
			return fmt.Sprintf("substr(%s.uri, 1, %d) = CAST(%s AS TEXT)", i, len([]rune(v.Text)), a.arg(v.Text)), nil
		case "contains":
			return fmt.Sprintf(`%s.uri LIKE %s ESCAPE '\'`, i, a.arg("%"+likeEscape(v.Text)+"%")), nil
		}
		return i + ".uri = " + a.arg(v.Text), nil
	}
	return "", kerr(fhir.KindNotSupported, nil, "search on %v parameter %q", pt, param)
}

// numberSQL compares the indexed point value col with a number or quantity
// search value: eq/ne/ap use the range the value's precision implies, the
// comparisons its exact value.
func numberSQL(a *sqlArgs, v store.FilterValue, col string) (string, error) {
	switch v.Prefix {
	case "", "eq":
		return fmt.Sprintf("%s >= %s AND %s < %s", col, a.arg(v.NumLo), col, a.arg(v.NumHi)), nil
	case "ne":
		return fmt.Sprintf("NOT (%s >= %s AND %s < %s)", col, a.arg(v.NumLo), col, a.arg(v.NumHi)), nil
	case "gt":
		return fmt.Sprintf("%s > %s", col, a.arg(v.Num)), nil
	case "sa":
		return fmt.Sprintf("%s >= %s", col, a.arg(v.NumHi)), nil
	case "lt":
		return fmt.Sprintf("%s < %s", col, a.arg(v.Num)), nil
	case "eb":
		return fmt.Sprintf("%s < %s", col, a.arg(v.NumLo)), nil
	case "ge":
		return fmt.Sprintf("%s >= %s", col, a.arg(v.Num)), nil
	case "le":
		return fmt.Sprintf("%s <= %s", col, a.arg(v.Num)), nil
	case "ap": // within 10% of the value (and its precision)
		d := math.Abs(v.Num) * 0.1
		return fmt.Sprintf("%s >= %s AND %s <= %s", col, a.arg(min(v.NumLo, v.Num-d)), col, a.arg(max(v.NumHi, v.Num+d))), nil
	}
	return "", kerr(fhir.KindInvalid, nil, "unknown prefix %q", v.Prefix)
}

// rangeSQL compares an indexed range [lo, hi) with the search range
// [v.Lo, v.Hi) as http://hl7.org/fhir/R4/search.html#prefix defines for
// dates.
func rangeSQL(a *sqlArgs, v store.FilterValue, lo, hi string) (string, error) {
	qlo, qhi := loMicros(v.Lo), hiMicros(v.Hi)
	switch v.Prefix {
	case "", "eq": // the search range contains the indexed range
		return fmt.Sprintf("%s >= %s AND %s <= %s", lo, a.arg(qlo), hi, a.arg(qhi)), nil
	case "ne":
		return fmt.Sprintf("NOT (%s >= %s AND %s <= %s)", lo, a.arg(qlo), hi, a.arg(qhi)), nil
	case "gt": // the range above the search range overlaps the indexed one
		return fmt.Sprintf("%s > %s", hi, a.arg(qhi)), nil
	case "lt":
		return fmt.Sprintf("%s < %s", lo, a.arg(qlo)), nil
	case "ge": // gt, or eq
		return fmt.Sprintf("(%s > %s OR (%s >= %s AND %s <= %s))", hi, a.arg(qhi), lo, a.arg(qlo), hi, a.arg(qhi)), nil
	case "le":
		return fmt.Sprintf("(%s < %s OR (%s >= %s AND %s <= %s))", lo, a.arg(qlo), lo, a.arg(qlo), hi, a.arg(qhi)), nil
	case "sa": // starts after the end of the search range
		return fmt.Sprintf("%s >= %s", lo, a.arg(qhi)), nil
	case "eb": // ends before its start
		return fmt.Sprintf("%s <= %s", hi, a.arg(qlo)), nil
	case "ap": // overlaps the search range widened by 10% of its distance from now
		if v.Lo.IsZero() || v.Hi.IsZero() {
			return "", kerr(fhir.KindInvalid, nil, "ap needs a bounded date")
		}
		return fmt.Sprintf("%s < %s AND %s > %s", lo, a.arg(v.Hi.UnixMicro()), hi, a.arg(v.Lo.UnixMicro())), nil
	}
	return "", kerr(fhir.KindInvalid, nil, "unknown prefix %q", v.Prefix)
}

// institutionTag reports whether f is a _tag filter on the store's
// institution tag (store.InstitutionTagSystem) alone: it is answered from
// the institution column, since the indexer keeps no rows for that tag.
func institutionTag(f store.Filter) bool {
	if f.Param != "_tag" || f.Chain != nil || f.Has != nil || len(f.Values) == 0 || (f.Modifier != "" && f.Modifier != "not") {
		return false
	}
	for _, v := range f.Values {
		if v.System != store.InstitutionTagSystem || v.Code == "" {
			return false
		}
	}
	return true
}
