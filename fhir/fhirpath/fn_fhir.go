package fhirpath

import (
	"errors"
	"strings"

	"yigong/fhir"
)

func fnNow(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	return single(DateTime{fromGoTime(st.clock(), PrecisionMillisecond, true, 3)}), nil
}

func fnToday(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	return single(Date{fromGoTime(st.clock(), PrecisionDay, false, 0)}), nil
}

func fnTimeOfDay(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	t := fromGoTime(st.clock(), PrecisionMillisecond, false, 3)
	t.year, t.month, t.day = 0, 1, 1
	return single(Time{t}), nil
}

func fnExtension(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	url, ok, err := argString(st, fr, c, 0)
	if err != nil || !ok {
		return nil, err
	}
	var out Collection
	for _, it := range in {
		if it.node == nil {
			continue
		}
		for _, ch := range it.node.Children {
			if (ch.Name == "extension" || ch.Name == "modifierExtension") && ch.ChildValue("url") == url {
				if ch.Name == "extension" {
					out = append(out, Item{node: ch})
				}
			}
		}
	}
	return out, nil
}

func fnHasValue(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	if len(in) != 1 || in[0].node == nil {
		return boolColl(false), nil
	}
	n := in[0].node
	return boolColl(isPrimitiveType(n.Type) && n.Value != ""), nil
}

func fnGetValue(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	if len(in) != 1 || in[0].node == nil || !isPrimitiveType(in[0].node.Type) {
		return nil, nil
	}
	v, ok := in[0].Value()
	if !ok {
		return nil, nil
	}
	return single(v), nil
}

// fnResolve resolves Reference nodes and reference strings: "#id" among the
// contained resources of %resource (and %rootResource), then entries of a
// Bundle in %rootResource or %resource (by fullUrl, then by type and id),
// then Env.Resolver.
func fnResolve(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	var out Collection
	for _, it := range in {
		ref := ""
		if it.node != nil && !isPrimitiveType(it.node.Type) {
			ref = it.node.ChildValue("reference")
		} else if v, ok := it.Value(); ok {
			if s, isS := v.(String); isS {
				ref = string(s)
			}
		}
		if ref == "" {
			continue
		}
		n, err := st.resolveRef(ref)
		if err != nil {
			return nil, err
		}
		if n != nil {
			out = append(out, Item{node: n})
		}
	}
	return out, nil
}

func (st *state) resolveRef(ref string) (*fhir.Node, error) {
	containers := []*fhir.Node{}
	for _, c := range [...]Collection{st.resource, st.root} {
		if len(c) == 1 && c[0].node != nil {
			containers = append(containers, c[0].node)
		}
	}
	if id, ok := strings.CutPrefix(ref, "#"); ok {
		for _, r := range containers {
			if id == "" {
				return r, nil
			}
			for _, ct := range r.ChildrenNamed("contained") {
				if ct.ID() == id {
					return ct, nil
				}
			}
		}
		return nil, nil
	}
	for _, r := range containers {
		if r.Type != "Bundle" {
			continue
		}
		if n := resolveInBundle(r, ref); n != nil {
			return n, nil
		}
	}
	if st.env.Resolver != nil {
		n, err := st.env.Resolver.Resolve(st.ctx, ref)
		if err != nil {
			return nil, errorf("resolve %q: %w", ref, err)
		}
		return n, nil
	}
	return nil, nil
}

func resolveInBundle(b *fhir.Node, ref string) *fhir.Node {
	plain := ref
	if i := strings.Index(plain, "/_history/"); i >= 0 {
		plain = plain[:i]
	}
	typ, id := "", ""
	if parts := strings.Split(plain, "/"); len(parts) >= 2 {
		typ, id = parts[len(parts)-2], parts[len(parts)-1]
	}
	var byTypeID *fhir.Node
	for _, e := range b.ChildrenNamed("entry") {
		res := e.Child("resource")
		if res == nil {
			continue
		}
		full := e.ChildValue("fullUrl")
		if full != "" && (full == ref || full == plain) {
			return res
		}
		if byTypeID == nil && typ != "" && res.Type == typ && res.ID() == id {
			if strings.Contains(plain, "://") && full != "" && full != plain {
				continue // a different server's resource of the same id
			}
			byTypeID = res
		}
	}
	return byTypeID
}

func fnMemberOf(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	vs, ok, err := argString(st, fr, c, 0)
	if err != nil || !ok || len(in) == 0 {
		return nil, err
	}
	if len(in) > 1 {
		return nil, errorf("expected a single item, got %d", len(in))
	}
	if st.env.Terminology == nil {
		return nil, nil
	}
	codings := codingsOf(in[0])
	if codings == nil {
		return nil, nil
	}
	member, err := st.env.Terminology.MemberOf(st.ctx, vs, codings)
	if errors.Is(err, ErrUnknownValueSet) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return boolColl(member), nil
}

// codingsOf extracts the codes of a code, Coding or CodeableConcept.
func codingsOf(it Item) []Coding {
	n := it.node
	if n == nil {
		if v, ok := it.val.(String); ok {
			return []Coding{{Code: string(v)}}
		}
		return nil
	}
	switch n.Type {
	case "Coding":
		return []Coding{codingOf(n)}
	case "CodeableConcept":
		var out []Coding
		for _, cd := range n.ChildrenNamed("coding") {
			out = append(out, codingOf(cd))
		}
		return out
	}
	if v, ok := nodeValue(n); ok {
		if s, isS := v.(String); isS {
			return []Coding{{Code: string(s)}}
		}
	}
	return nil
}

func codingOf(n *fhir.Node) Coding {
	return Coding{
		System:  n.ChildValue("system"),
		Version: n.ChildValue("version"),
		Code:    n.ChildValue("code"),
		Display: n.ChildValue("display"),
	}
}

// corePrefix is the canonical base of the core resource definitions.
const corePrefix = "http://hl7.org/fhir/StructureDefinition/"

// fnConformsTo checks core resource profiles itself (the resource type
// must be, or derive from, the profiled type) and asks Env.Profiles for any
// other profile.
func fnConformsTo(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	url, ok, err := argString(st, fr, c, 0)
	if err != nil || !ok || len(in) == 0 {
		return nil, err
	}
	var out Collection
	for _, it := range in {
		if it.node == nil {
			return nil, errorf("conformsTo applies to resources, not %s", it.Type())
		}
		if name, core := strings.CutPrefix(url, corePrefix); core && isFHIRType(name) {
			out = append(out, Item{val: Boolean(fhirDerives(it.node.Type, name))})
			continue
		}
		if st.env.Profiles == nil {
			return nil, errorf("no profile checker for %q", url)
		}
		ok, err := st.env.Profiles.ConformsTo(st.ctx, it.node, url)
		if err != nil {
			return nil, errorf("conformsTo %q: %w", url, err)
		}
		out = append(out, Item{val: Boolean(ok)})
	}
	return out, nil
}
