package validate

import (
	"bytes"
	"encoding/json"
	"strings"

	"yigong/fhir"
	"yigong/fhir/model"
)

// binding checks a required binding to a value set the definitions
// enumerate completely (code, Coding, CodeableConcept). Value sets that are
// not completely enumerable (UCUM, BCP-13, ISO 4217...) are not checked.
func (w *walker) binding(n *fhir.Node, d *model.Element, loc string) {
	b := d.Binding
	if b == nil || b.Strength != "required" || b.ValueSet == "" {
		return
	}
	vs := b.ValueSet
	if i := strings.IndexByte(vs, '|'); i >= 0 {
		vs = vs[:i]
	}
	switch n.Type {
	case "code":
		if n.Value == "" {
			return
		}
		if in, known := model.ValueSetContains(vs, "", n.Value); !in && known {
			w.add(fhir.SeverityError, "code-invalid", loc, "",
				"the value %q is not in the value set %s (required binding)", n.Value, vs)
		}
	case "Coding":
		system, code := n.ChildValue("system"), n.ChildValue("code")
		if code == "" {
			return
		}
		if in, known := model.ValueSetContains(vs, system, code); !in && known {
			w.add(fhir.SeverityError, "code-invalid", loc, "",
				"the code %s#%s is not in the value set %s (required binding)", system, code, vs)
		}
	case "CodeableConcept":
		codings := n.ChildrenNamed("coding")
		anyIn, unknown := false, false
		var first string
		for _, c := range codings {
			system, code := c.ChildValue("system"), c.ChildValue("code")
			if code == "" {
				continue
			}
			if first == "" {
				first = system + "#" + code
			}
			in, known := model.ValueSetContains(vs, system, code)
			anyIn = anyIn || in
			unknown = unknown || !known
		}
		if first != "" && !anyIn && !unknown {
			w.add(fhir.SeverityError, "code-invalid", loc, "",
				"none of the codings (%s...) is in the value set %s (required binding)", first, vs)
		}
	}
}

// fixedPattern checks fixed[x] (exact value) and pattern[x] (the instance
// holds at least the pattern's content). For complex values both are checked
// with pattern semantics: every property of the fixed value must be present
// and equal; extra properties are not reported.
func (w *walker) fixedPattern(n *fhir.Node, d *model.Element, loc string) {
	for _, p := range []struct {
		v    *model.Value
		what string
	}{{d.Fixed, "fixed"}, {d.Pattern, "pattern"}} {
		if p.v == nil {
			continue
		}
		want := w.parsedValue(p.v)
		if !matches(n, want, p.what == "fixed") {
			w.add(fhir.SeverityError, "value", loc, "", "value does not match the %s value %s", p.what, p.v.JSON)
		}
	}
}

func (w *walker) parsedValue(v *model.Value) any {
	if x, ok := w.v.patterns.Load(v); ok {
		return x
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(v.JSON)))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		x = v.JSON
	}
	w.v.patterns.Store(v, x)
	return x
}

// matches reports whether node n holds the JSON value want (a fixed or
// pattern value); exact applies to primitive values only.
func matches(n *fhir.Node, want any, exact bool) bool {
	switch wv := want.(type) {
	case string:
		return n.Value == wv
	case bool:
		return n.Value == map[bool]string{true: "true", false: "false"}[wv]
	case json.Number:
		if exact {
			return n.Value == wv.String()
		}
		return n.Value == wv.String()
	case map[string]any:
		for k, pv := range wv {
			if strings.HasPrefix(k, "_") {
				continue
			}
			var kids []*fhir.Node
			for _, c := range n.Children {
				if c.JSONName() == k {
					kids = append(kids, c)
				}
			}
			items, isArray := pv.([]any)
			if !isArray {
				items = []any{pv}
			}
			for _, item := range items {
				found := false
				for _, c := range kids {
					if matches(c, item, exact) {
						found = true
						break
					}
				}
				if !found {
					return false
				}
			}
		}
		return true
	}
	return false
}
