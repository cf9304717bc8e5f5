package validate

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"unicode/utf8"

	"yigong/fhir"
	"yigong/fhir/model"
)

// ConstraintEvaluator evaluates one invariant (a FHIRPath expression that
// must be true) on a node. resource is the resource that contains node
// (%resource), root the outermost resource (%rootResource, e.g. the Bundle).
// ok is the invariant's outcome; an error means it could not be evaluated.
type ConstraintEvaluator interface {
	EvalConstraint(ctx context.Context, expr string, node, resource, root *fhir.Node) (ok bool, err error)
}

// Options configure a Validator.
type Options struct {
	// Constraints evaluates the FHIRPath invariants; nil skips every
	// invariant except ele-1 and ext-1, which are checked natively. New
	// installs the FHIRPath evaluator of package fhirpath.
	Constraints ConstraintEvaluator
	// SkipConstraints turns the invariant step off entirely.
	SkipConstraints bool
	// WarningsAsIssues includes warning-severity invariant failures (dom-6
	// and the like) in the result; by default only errors are reported.
	WarningsAsIssues bool
}

// Validator checks resources against the R4 base definitions or a profile.
// It is safe for concurrent use.
type Validator struct {
	opts     Options
	patterns sync.Map // *model.Value -> any: fixed and pattern values parsed once
}

// New returns a Validator with the FHIRPath constraint evaluator.
func New() *Validator {
	return NewWithOptions(Options{Constraints: NewFHIRPathEvaluator()})
}

// NewWithOptions returns a Validator with explicit options.
func NewWithOptions(o Options) *Validator {
	return &Validator{opts: o}
}

// Validate checks a resource against its base StructureDefinition and
// returns the issues found; none of severity error means it is valid.
func (v *Validator) Validate(ctx context.Context, res *fhir.Node) []fhir.Issue {
	if res == nil {
		return []fhir.Issue{{Severity: fhir.SeverityError, Code: "required", Diagnostic: "validate: no resource"}}
	}
	t := model.LookupType(res.Type)
	if t == nil || t.Kind != model.KindResource || t.Abstract {
		return []fhir.Issue{{Severity: fhir.SeverityError, Code: "structure", Expression: res.Type,
			Diagnostic: fmt.Sprintf("validate: %q is not a resource type", res.Type)}}
	}
	return v.ValidateAgainst(ctx, res, t)
}

// ValidateProfile checks a resource against the profile with the canonical
// URL url (a base type URL or a constraint profile). An unknown URL is an
// error of kind fhir.KindNotFound.
func (v *Validator) ValidateProfile(ctx context.Context, res *fhir.Node, url string) ([]fhir.Issue, error) {
	p := model.LookupProfile(url)
	if p == nil {
		return nil, fhir.Errorf(fhir.KindNotFound, "validate: unknown profile %q", url)
	}
	return v.ValidateAgainst(ctx, res, p), nil
}

// ValidateAgainst checks a resource against a type or profile definition:
// base types are validated from their snapshot, profiles (derivation
// constraint) the same way from theirs, on top of the base definition.
func (v *Validator) ValidateAgainst(ctx context.Context, res *fhir.Node, t *model.Type) []fhir.Issue {
	w := &walker{v: v, ctx: ctx}
	if res.Type != t.Constrains {
		return []fhir.Issue{{Severity: fhir.SeverityError, Code: "structure", Expression: res.Type,
			Diagnostic: fmt.Sprintf("validate: a %s resource cannot conform to %s, which constrains %s", res.Type, t.URL, t.Constrains)}}
	}
	if t.Derivation == "constraint" {
		// A profile adds to its base: check the base type first.
		if base := model.LookupType(t.Constrains); base != nil {
			w.resource(res, base, res.Type, res)
		}
	}
	w.resource(res, t, res.Type, res)
	return w.issues
}

type walker struct {
	v      *Validator
	ctx    context.Context
	issues []fhir.Issue
}

// scope is the FHIRPath context of a node: %resource is the nearest
// resource, %rootResource its container (the resource holding a contained
// one; a Bundle entry resource is its own root).
type scope struct {
	res, root *fhir.Node
}

func (w *walker) add(sev fhir.Severity, code, loc, key, format string, args ...any) {
	w.issues = append(w.issues, fhir.Issue{Severity: sev, Code: code, Expression: loc, Constraint: key,
		Diagnostic: fmt.Sprintf(format, args...)})
}

// resource validates a resource node against t (its type or a profile);
// root is %rootResource.
func (w *walker) resource(n *fhir.Node, t *model.Type, loc string, root *fhir.Node) {
	sc := scope{res: n, root: root}
	w.constraints(n, t.Root.Constraints, nil, loc, sc)
	w.children(n, t, t.Constrains, loc, sc)
}

// children validates the children of n, defined in t at path.
func (w *walker) children(n *fhir.Node, t *model.Type, path, loc string, sc scope) {
	var defs []*model.Element
	if t.Derivation == "constraint" {
		// Profiles: children by element id, without the slices.
		for _, d := range t.ChildrenByID(path) {
			if d.SliceName == "" {
				defs = append(defs, d)
			}
		}
		if defs == nil {
			defs = t.Children(path)
		}
	} else {
		defs = t.Children(path)
	}
	primitive := t.Kind == model.KindPrimitive && t.Derivation != "constraint"
	counts := make([]int, len(defs))
	seen := map[string]int{}
	for _, c := range n.Children {
		i := seen[c.Name]
		seen[c.Name] = i + 1
		di := -1
		for j, d := range defs {
			if d.Name == c.Name && !(primitive && d.Name == "value") {
				di = j
				break
			}
		}
		var cloc string
		if di < 0 {
			cloc = loc + "." + c.Name + "[" + strconv.Itoa(i) + "]"
			w.add(fhir.SeverityError, "structure", cloc, "", "unknown element %q", c.Name)
			continue
		}
		d := defs[di]
		counts[di]++
		cloc = loc + "." + c.Name
		if d.IsArray() {
			cloc += "[" + strconv.Itoa(i) + "]"
		}
		w.element(c, d, cloc, sc)
	}
	for j, d := range defs {
		if counts[j] < d.Min {
			w.add(fhir.SeverityError, "required", loc+"."+d.Name, "",
				"minimum required = %d, but only found %d (from %s)", d.Min, counts[j], t.URL)
		}
		if d.Max != model.Unbounded && counts[j] > d.Max {
			if d.Max == 0 {
				w.add(fhir.SeverityError, "structure", loc+"."+d.Name, "", "element %s is not allowed (max 0, from %s)", d.Name, t.URL)
			} else {
				w.add(fhir.SeverityError, "structure", loc+"."+d.Name, "",
					"maximum allowed = %d, but found %d (from %s)", d.Max, counts[j], t.URL)
			}
		}
	}
}

// element validates one value of element d.
func (w *walker) element(n *fhir.Node, d *model.Element, loc string, sc scope) {
	code := n.Type
	if d.Choice && d.Owner() != nil && d.Owner().Derivation == "constraint" {
		// A profile's type slice of a choice ("Observation.value[x]:valueQuantity")
		// defines the values of that type.
		if sl := d.Owner().ElementByID(d.ID + ":" + d.JSONName(code)); sl != nil {
			d = sl
		}
	}
	if !w.typeAllowed(d, code) {
		w.add(fhir.SeverityError, "structure", loc, "", "type %s is not allowed for %s (allowed: %v)", code, d.Path, allowedTypes(d))
		return
	}
	ct := model.LookupType(code)
	if ct == nil {
		w.add(fhir.SeverityError, "structure", loc, "", "unknown type %q", code)
		return
	}
	if ct.Kind == model.KindResource {
		if ct.Abstract {
			w.add(fhir.SeverityError, "structure", loc, "", "abstract resource type %s", code)
			return
		}
		w.constraints(n, d.Constraints, nil, loc, sc)
		root := n // a Bundle entry or Parameters resource is its own root
		if d.Name == "contained" {
			root = sc.root
		}
		w.resource(n, ct, loc, root)
		return
	}
	if ct.Kind == model.KindPrimitive {
		if n.Value != "" {
			if err := fhir.CheckPrimitive(code, n.Value); err != nil {
				w.add(fhir.SeverityError, "value", loc, "", "%v", err)
			} else if d.MaxLength > 0 && utf8.RuneCountInString(n.Value) > d.MaxLength {
				w.add(fhir.SeverityError, "value", loc, "", "value is longer than maxLength %d", d.MaxLength)
			}
		}
		w.fixedPattern(n, d, loc)
		w.binding(n, d, loc)
		w.constraints(n, d.Constraints, nil, loc, sc)
		if len(n.Children) > 0 {
			w.children(n, ct, ct.Name, loc, sc)
		}
		return
	}
	w.fixedPattern(n, d, loc)
	w.binding(n, d, loc)
	st, path := d.Structure(code)
	var typeConstraints []model.Constraint
	if st != nil && st == ct {
		typeConstraints = ct.Root.Constraints
	}
	w.constraints(n, d.Constraints, typeConstraints, loc, sc)
	if st == nil {
		w.add(fhir.SeverityError, "structure", loc, "", "no definition for type %q", code)
		return
	}
	w.children(n, st, path, loc, sc)
}

func allowedTypes(d *model.Element) []string {
	if d.ContentReference != "" {
		return []string{d.ContentReference}
	}
	return d.TypeCodes()
}

func (w *walker) typeAllowed(d *model.Element, code string) bool {
	if d.ContentReference != "" {
		ref := d.Owner().Element(d.ContentReference[1:])
		return ref != nil && ref.HasType(code)
	}
	if d.HasType(code) {
		return true
	}
	// Resource and DomainResource admit every concrete resource type.
	if t := model.LookupType(code); t != nil && t.Kind == model.KindResource {
		for _, tr := range d.Types {
			if tr.Code == "Resource" || tr.Code == "DomainResource" && t.Base == "DomainResource" {
				return true
			}
		}
	}
	return false
}

// constraints checks the invariants of an element and, for a complex type
// defined elsewhere, those of its type's root, each key once.
func (w *walker) constraints(n *fhir.Node, cs, more []model.Constraint, loc string, sc scope) {
	if w.v.opts.SkipConstraints {
		return
	}
	for i := range cs {
		w.check(&cs[i], n, loc, sc)
	}
outer:
	for i := range more {
		for j := range cs {
			if cs[j].Key == more[i].Key {
				continue outer
			}
		}
		w.check(&more[i], n, loc, sc)
	}
}

func (w *walker) check(c *model.Constraint, n *fhir.Node, loc string, sc scope) {
	if c.Severity == "warning" && !w.v.opts.WarningsAsIssues {
		return
	}
	ok, err := w.eval(c, n, sc)
	if err != nil {
		w.add(fhir.SeverityWarning, "processing", loc, c.Key, "constraint %s could not be evaluated: %v", c.Key, err)
		return
	}
	if ok {
		return
	}
	sev := fhir.SeverityError
	if c.Severity == "warning" {
		sev = fhir.SeverityWarning
	}
	w.add(sev, "invariant", loc, c.Key, "%s", c.Human)
}

// eval evaluates one invariant; ele-1 and ext-1 are checked natively (they
// are on every element, and their meaning is structural).
func (w *walker) eval(c *model.Constraint, n *fhir.Node, sc scope) (bool, error) {
	switch c.Key {
	case "ele-1":
		// hasValue() or (children().count() > id.count())
		if n.Value != "" {
			return true, nil
		}
		for _, ch := range n.Children {
			if ch.Name != "id" {
				return true, nil
			}
		}
		return false, nil
	case "ext-1":
		// extension.exists() != value.exists()
		if n.Type != "Extension" {
			break
		}
		return (n.Child("extension") != nil) != (n.Child("value") != nil), nil
	}
	if w.v.opts.Constraints == nil {
		return true, nil
	}
	return w.v.opts.Constraints.EvalConstraint(w.ctx, c.Expression, n, sc.res, sc.root)
}
