package sqlstore

import (
	"fmt"
	"strings"

	"yigong/fhir"
	"yigong/fhir/store"
)

// Filters with alternatives (store.Filter.AnyOf) and type-restricted
// filters (store.Filter.OnType), for compartment searches
// (http://hl7.org/fhir/R4/compartmentdefinition.html): Patient/1/Observation
// is Observation?(subject=Patient/1 OR performer=Patient/1), and
// Patient/1/* the same over every type of the compartment, each with its
// own parameters.
//
// A driving AnyOf whose alternatives are plain value filters is one
// semi-join over the UNION ALL of their index rows (an index seek each);
// otherwise, and as a probe, it is the OR of the alternatives' probes.

// anyOfSQL returns the condition on the resources alias r of a filter with
// alternatives.
func anyOfSQL(a *sqlArgs, r, typ string, types []string, f store.Filter, drive bool, depth int) (string, error) {
	if depth > maxDepth {
		return "", kerr(fhir.KindInvalid, nil, "alternatives nest deeper than %d", maxDepth)
	}
	// The semi-join form even when another filter drives: the planner
	// ranks an AnyOf below every plain filter (selectivity), while a
	// compartment's few references are nearly always the better start
	// (Patient/1/Observation?code=c: the patient's 10 Observations, not
	// every Observation with the code probed for the patient).
	if c, ok, err := anyOfSemiJoin(a, r, typ, types, f.AnyOf); ok || err != nil {
		return c, err
	}
	var ors []string
	for _, g := range f.AnyOf {
		c, err := filterSQL(a, r, typ, types, g, false, depth+1)
		if err != nil {
			return "", err
		}
		ors = append(ors, "("+c+")")
	}
	return "(" + strings.Join(ors, " OR ") + ")", nil
}

// onTypeSQL returns the condition of a filter restricted to one type: the
// resource is of that type and matches the filter.
func onTypeSQL(a *sqlArgs, r, typ string, f store.Filter, drive bool, depth int) (string, error) {
	if typ != "" && typ != f.OnType {
		return "1 = 0", nil
	}
	g := f
	g.OnType = ""
	c, err := filterSQL(a, r, f.OnType, nil, g, drive, depth)
	if err != nil {
		return "", err
	}
	return "(" + r + ".type = " + a.arg(f.OnType) + " AND " + c + ")", nil
}

// semiJoinable reports whether f is a positive value filter on one index
// table, whose matching rows name the matching resources.
func semiJoinable(f store.Filter) bool {
	if f.Has != nil || f.Chain != nil || len(f.AnyOf) > 0 || len(f.Values) == 0 ||
		f.Param == store.ParamLastUpdated || f.Type == 0 || int(f.Type) >= len(indexTables) {
		return false
	}
	switch f.Modifier {
	case "", "exact", "contains", "text", "above", "below":
	default:
		return false
	}
	for _, v := range f.Values {
		if v.Prefix == "ne" || v.Missing {
			return false
		}
	}
	return true
}

// anyOfSemiJoin returns the driving form of alternatives (ok false: one of
// them cannot be written so).
func anyOfSemiJoin(a *sqlArgs, r, typ string, types []string, alts []store.Filter) (string, bool, error) {
	for _, g := range alts { // decided before any argument is taken
		if !idAlternative(g) && (g.Param == store.ParamID || !semiJoinable(g)) {
			return "", false, nil
		}
	}
	union := func(full bool) (string, error) {
		var parts []string
		for _, g := range alts {
			t, ts := typ, types
			if g.OnType != "" {
				if typ != "" && typ != g.OnType {
					continue // never matches this search
				}
				t, ts = g.OnType, nil
			}
			x, cols := "x", "x.id"
			if !idAlternative(g) {
				x = "i"
			}
			if full {
				cols = x + ".institution, " + x + ".type, " + x + ".id"
			} else {
				cols = x + ".id"
			}
			if idAlternative(g) {
				ids := make([]string, 0, len(g.Values))
				for _, v := range g.Values {
					id := v.Code
					if id == "" {
						id = v.Text
					}
					ids = append(ids, id)
				}
				parts = append(parts, fmt.Sprintf("SELECT %s FROM resources x WHERE %s x.id IN (%s)", cols, typeCond(a, "x", t, ts), argList(a, ids)))
				continue
			}
			var ors []string
			for _, v := range g.Values {
				c, err := valueSQL(a, g.Type, g.Modifier, g.Param, v, "i")
				if err != nil {
					return "", err
				}
				ors = append(ors, "("+c+")")
			}
			parts = append(parts, fmt.Sprintf("SELECT %s FROM %s i WHERE %s %s AND (%s)",
				cols, indexTables[g.Type].name, typeCond(a, "i", t, ts), a.paramCond("i", t, ts, g.Param), strings.Join(ors, " OR ")))
		}
		return strings.Join(parts, " UNION ALL "), nil
	}
	// The ids first, then the keys: SQLite seeks resources by (type, id)
	// for a one-column IN, while a row-value IN over a compound SELECT is
	// only checked against each row of a scan (Patient/1/* over 27,000
	// resources: 36 ms of CPU without the ids, well under 1 ms with them).
	ids, err := union(false)
	if err != nil || ids == "" {
		if ids == "" && err == nil {
			return "1 = 0", true, nil
		}
		return "", true, err
	}
	keys, err := union(true)
	if err != nil {
		return "", true, err
	}
	return fmt.Sprintf("%s.id IN (%s) AND (%s.institution, %s.type, %s.id) IN (%s)", r, ids, r, r, r, keys), true, nil
}

// idAlternative reports whether f is a plain _id filter.
func idAlternative(f store.Filter) bool {
	return f.Param == store.ParamID && f.Modifier == "" && f.Has == nil && f.Chain == nil && len(f.AnyOf) == 0 && len(f.Values) > 0
}
