package search

import (
	"slices"
	"strings"

	"yigong/fhir/store"
)

// Parameters that repeat others keep no index rows of their own. Many R4
// search parameters (composites included) are, on a given resource type, either another
// parameter restricted to one target type (Observation's patient is
// "Observation.subject.where(resolve() is Patient)", subject is
// "Observation.subject") or the union of others (combo-code is
// "Observation.code | Observation.component.code"). Indexing them would
// write the same values twice: on Synthea data a quarter of all index rows.
// The store searches the rows of the parameters they repeat instead
// (store.ParamAlias).
//
// Aliases are found by comparing the official expressions, branch by
// branch, of the core parameters of each resource type; a SearchParameter
// resource that redefines a parameter or one it repeats ends the alias.

// ownValues are the parameters whose rows the indexer computes in its own
// way (appendEntries), not as their expression's values: never an alias,
// never the rows of one.
var ownValues = map[string]bool{"phonetic": true, "_tag": true}

// findAliases returns the aliases among params: resource type → code →
// alias.
func findAliases(byType map[string][]*Param) map[string]map[string]store.ParamAlias {
	out := map[string]map[string]store.ParamAlias{}
	for t := range byType {
		ps := slices.Clone(byType[t])
		branches := make(map[*Param][]string, len(ps))
		for _, p := range ps {
			if p.Type != store.ParamNear && (p.Type != 0 || p.components != nil) && !ownValues[p.Def.Code] {
				branches[p] = typeBranches(p.Def.Expression, t)
			}
		}
		set := func(p *Param, a store.ParamAlias) {
			if out[t] == nil {
				out[t] = map[string]store.ParamAlias{}
			}
			out[t][p.Def.Code] = a
			delete(branches, p) // an alias is never the target of another
		}
		// Pass 1: the same branches as a parameter with a smaller code.
		slices.SortFunc(ps, func(x, y *Param) int { return strings.Compare(x.Def.Code, y.Def.Code) })
		for i, p := range ps {
			bs, ok := branches[p]
			if !ok || len(bs) == 0 {
				continue
			}
			for _, q := range ps[:i] {
				if qb, ok := branches[q]; ok && sameShape(p, q) && slices.Equal(qb, bs) {
					set(p, store.ParamAlias{Params: []string{q.Def.Code}})
					break
				}
			}
		}
		// Pass 2: restrictions and unions of the parameters left, keeping
		// only those whose targets keep their rows.
		found := map[*Param]store.ParamAlias{}
		for _, p := range ps {
			bs, ok := branches[p]
			if !ok || len(bs) == 0 {
				continue
			}
			if a, ok := restrictionAlias(p, bs, branches); ok {
				found[p] = a
			} else if a, ok := unionAlias(p, bs, branches); ok {
				found[p] = a
			}
		}
		aliased := map[string]bool{}
		for p := range found {
			aliased[p.Def.Code] = true
		}
		for _, p := range ps {
			if a, ok := found[p]; ok && !slices.ContainsFunc(a.Params, func(c string) bool { return aliased[c] }) {
				set(p, a)
			}
		}
	}
	return out
}

// restrictionAlias recognises a reference parameter whose one branch is
// another's one branch followed by .where(resolve() is Type).
func restrictionAlias(p *Param, bs []string, branches map[*Param][]string) (store.ParamAlias, bool) {
	if p.Type != store.ParamReference || len(bs) != 1 {
		return store.ParamAlias{}, false
	}
	base, rest, ok := strings.Cut(bs[0], ".where(resolve() is ")
	if !ok || !strings.HasSuffix(rest, ")") {
		return store.ParamAlias{}, false
	}
	target := strings.TrimSuffix(rest, ")")
	if !isTypeName(target) {
		return store.ParamAlias{}, false
	}
	for q, qb := range branches {
		if q != p && q.Type == store.ParamReference && len(qb) == 1 && qb[0] == base {
			return store.ParamAlias{Params: []string{q.Def.Code}, RefType: target}, true
		}
	}
	return store.ParamAlias{}, false
}

// unionAlias recognises a parameter whose branches are exactly those of
// two or more other parameters of its type, each taken whole.
func unionAlias(p *Param, bs []string, branches map[*Param][]string) (store.ParamAlias, bool) {
	if len(bs) < 2 {
		return store.ParamAlias{}, false
	}
	// The candidates: parameters of the same type whose branches all
	// belong to p's; the widest first.
	var cands []*Param
	for q, qb := range branches {
		if q != p && sameShape(p, q) && len(qb) > 0 && len(qb) < len(bs) && subset(qb, bs) {
			cands = append(cands, q)
		}
	}
	slices.SortFunc(cands, func(x, y *Param) int {
		if d := len(branches[y]) - len(branches[x]); d != 0 {
			return d
		}
		return strings.Compare(x.Def.Code, y.Def.Code)
	})
	covered := map[string]bool{}
	var codes []string
	for _, q := range cands {
		qb := branches[q]
		if slices.ContainsFunc(qb, func(b string) bool { return covered[b] }) {
			continue
		}
		for _, b := range qb {
			covered[b] = true
		}
		codes = append(codes, q.Def.Code)
	}
	if len(covered) != len(bs) || len(codes) < 2 {
		return store.ParamAlias{}, false
	}
	slices.Sort(codes)
	return store.ParamAlias{Params: codes}, true
}

// sameShape reports whether p's values can be read from q's rows: the same
// parameter type and, for composites, the same components (types and
// expressions, evaluated from each value of the root expression).
func sameShape(p, q *Param) bool {
	if p.Type != q.Type || len(p.components) != len(q.components) {
		return false
	}
	for k, c := range p.components {
		d := q.components[k]
		if c.typ != d.typ || normaliseBranch(c.expr.String()) != normaliseBranch(d.expr.String()) {
			return false
		}
	}
	return true
}

func subset(xs, ys []string) bool {
	for _, x := range xs {
		if !slices.Contains(ys, x) {
			return false
		}
	}
	return true
}

func isTypeName(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// typeBranches splits a FHIRPath expression at its top-level unions and
// returns, normalised and sorted, the branches that start at
// resourceType ("Observation.code", "(Observation.value as Quantity)").
// An expression with a top-level operator other than | yields none of its
// own branches split, so it is compared whole.
func typeBranches(expr, resourceType string) []string {
	var out []string
	for _, b := range splitUnion(expr) {
		b = normaliseBranch(b)
		if b == resourceType || strings.HasPrefix(b, resourceType+".") || strings.HasPrefix(b, "("+resourceType+".") {
			out = append(out, b)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// splitUnion splits expr at the | outside brackets and string literals.
func splitUnion(expr string) []string {
	var out []string
	start := 0
	scan(expr, func(i, depth int) bool {
		if expr[i] == '|' && depth == 0 {
			out = append(out, expr[start:i])
			start = i + 1
		}
		return true
	})
	return append(out, expr[start:])
}

// scan calls visit for each byte of s outside string literals with the
// nesting depth of brackets after that byte; visit returns false to stop.
func scan(s string, visit func(i, depth int) bool) {
	depth := 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
			continue
		case c == '\'' || c == '`' || c == '"':
			quote = c
			continue
		case c == '(' || c == '[' || c == '{':
			depth++
		case c == ')' || c == ']' || c == '}':
			depth--
		}
		if !visit(i, depth) {
			return
		}
	}
}

// normaliseBranch collapses white space and strips parentheses that
// enclose the whole branch.
func normaliseBranch(b string) string {
	b = strings.Join(strings.Fields(b), " ")
	for len(b) > 1 && b[0] == '(' && b[len(b)-1] == ')' && closes(b) == len(b)-1 {
		b = strings.TrimSpace(b[1 : len(b)-1])
	}
	// "(Observation.value as Quantity)" and "Observation.value as Quantity"
	// are the same branch; keep the parenthesised form for casts so that a
	// restriction suffix is never confused with one.
	if strings.Contains(b, " as ") || strings.Contains(b, " is ") && !strings.Contains(b, "resolve() is ") {
		b = "(" + b + ")"
	}
	return b
}

// closes returns the index of the bracket that closes the one at 0, or -1.
func closes(b string) int {
	at := -1
	scan(b, func(i, depth int) bool {
		if depth == 0 {
			at = i
			return false
		}
		return true
	})
	return at
}
