package fhirpath

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"yigong/fhir"
)

// Env is the evaluation environment: the FHIR context variables, user
// variables and the optional services some functions need. The zero Env is
// usable; an Env is read-only during evaluation and may be shared.
type Env struct {
	// Resource is %resource: the resource containing the input. Nil means
	// the input itself.
	Resource *fhir.Node
	// RootResource is %rootResource: the container of Resource (a Bundle or
	// a resource with contained resources). Nil means Resource.
	RootResource *fhir.Node
	// Context is %context: the node the expression was started on. Nil
	// means the input.
	Context *fhir.Node
	// Variables are extra %name variables; they shadow the built-ins.
	Variables map[string]Collection
	// Resolver resolves references resolve() cannot find in the containing
	// Bundle or among contained resources; nil means such references
	// resolve to nothing.
	Resolver Resolver
	// Terminology answers memberOf(); nil makes memberOf() return empty.
	Terminology Terminology
	// Profiles answers conformsTo() for profiles other than the core
	// resource definitions; nil means such calls are errors.
	Profiles ProfileChecker
	// Trace receives the output of trace(); nil discards it.
	Trace func(name string, c Collection)
	// InvariantCompat evaluates as the FHIR R4 definitions' own invariants
	// expect, where they contradict the FHIRPath suite: the function as()
	// filters a collection of several items (dom-3), and an unqualified
	// System type name matches FHIR primitives (que-7: answer is Boolean).
	// A name an item's type does not define is then empty rather than an
	// error (dom-3 asks descendants().where(reference = '#') of every
	// descendant). The validator sets it for the definitions' constraints.
	InvariantCompat bool
	// Strict makes a leading type name that does not match the input an
	// error (Encounter.status on a Patient) instead of an empty result.
	// Leave it off for expressions written for several resource types, such
	// as the core search parameters ("Condition.code | Observation.code").
	Strict bool
	// Now returns the current time for now(), today() and timeOfDay(); nil
	// means time.Now. It is read once per evaluation.
	Now func() time.Time
}

// Resolver resolves a reference (relative, absolute or canonical) to a
// resource. A reference it cannot find yields (nil, nil).
type Resolver interface {
	Resolve(ctx context.Context, reference string) (*fhir.Node, error)
}

// ResolverFunc adapts a function to the Resolver interface.
type ResolverFunc func(ctx context.Context, reference string) (*fhir.Node, error)

// Resolve calls f.
func (f ResolverFunc) Resolve(ctx context.Context, reference string) (*fhir.Node, error) {
	return f(ctx, reference)
}

// Coding is a code with its system, as passed to a Terminology service. A
// bare code (type code, or a string) has an empty System.
type Coding struct {
	System, Version, Code, Display string
}

// Terminology checks value-set membership for memberOf(). It returns
// ErrUnknownValueSet (possibly wrapped) when it does not know the value
// set, which makes memberOf() return empty.
type Terminology interface {
	MemberOf(ctx context.Context, valueSet string, codings []Coding) (bool, error)
}

// ErrUnknownValueSet is returned by a Terminology that cannot evaluate a
// value set.
var ErrUnknownValueSet = errors.New("fhirpath: unknown value set")

// ProfileChecker answers conformsTo() for a profile URL.
type ProfileChecker interface {
	ConformsTo(ctx context.Context, resource *fhir.Node, profile string) (bool, error)
}

// Evaluate evaluates the expression with input as the focus ($this,
// %context and, unless env says otherwise, %resource and %rootResource).
func (e *Expression) Evaluate(ctx context.Context, input *fhir.Node, env Env) (Collection, error) {
	var in Collection
	if input != nil {
		in = Collection{{node: input}}
	}
	if env.Resource == nil {
		env.Resource = input
	}
	return e.EvaluateCollection(ctx, in, env)
}

// EvaluateCollection evaluates the expression on any input collection,
// including System values (ValueItem) and an empty collection.
func (e *Expression) EvaluateCollection(ctx context.Context, input Collection, env Env) (Collection, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	st := &state{ctx: ctx, env: &env, input: input}
	if env.Resource != nil {
		st.resource = Collection{{node: env.Resource}}
	} else {
		st.resource = input
	}
	switch {
	case env.RootResource != nil:
		st.root = Collection{{node: env.RootResource}}
	default:
		st.root = st.resource
	}
	if env.Context != nil {
		st.context = Collection{{node: env.Context}}
	} else {
		st.context = input
	}
	fr := &frame{this: input, index: -1}
	out, err := e.root.eval(st, fr)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// EvaluateBool evaluates the expression and applies singleton Boolean
// evaluation: an empty result gives ok=false; more than one item is an
// error.
func (e *Expression) EvaluateBool(ctx context.Context, input *fhir.Node, env Env) (value, ok bool, err error) {
	c, err := e.Evaluate(ctx, input, env)
	if err != nil {
		return false, false, err
	}
	if len(c) > 1 {
		return false, false, fmt.Errorf("fhirpath: %s: expected a single boolean, got %d items", e.src, len(c))
	}
	v, ok := c.Bool()
	return v, ok, nil
}

type state struct {
	ctx                            context.Context
	env                            *Env
	input, resource, root, context Collection
	now                            time.Time
	haveNow                        bool
	steps                          int
}

// frame holds the iteration variables of the innermost function argument.
type frame struct {
	this     Collection
	index    int // -1 outside an iterating function
	total    Collection
	hasTotal bool
	lenient  bool // inside repeat(): unknown element names give empty
}

func (st *state) tick() error {
	st.steps++
	if st.steps&1023 == 0 {
		if err := st.ctx.Err(); err != nil {
			return fmt.Errorf("fhirpath: %w", err)
		}
	}
	return nil
}

func (st *state) clock() time.Time {
	if !st.haveNow {
		if st.env.Now != nil {
			st.now = st.env.Now()
		} else {
			st.now = time.Now()
		}
		st.haveNow = true
	}
	return st.now
}

// evalError is an evaluation error with the position of the operator.
func errorf(format string, args ...any) error {
	return fmt.Errorf("fhirpath: "+format, args...)
}

func (e *literalExpr) eval(st *state, fr *frame) (Collection, error) { return e.val, nil }

func (e *parenExpr) eval(st *state, fr *frame) (Collection, error) { return e.x.eval(st, fr) }

func (e *identExpr) eval(st *state, fr *frame) (Collection, error) {
	out := navigate(nil, fr.this, e.name)
	if len(out) == 0 && e.name != "" && e.name[0] >= 'A' && e.name[0] <= 'Z' {
		// A leading type name selects the focus when it is of that type:
		// Patient.name on a Patient.
		for _, it := range fr.this {
			if it.node != nil && fhirDerives(it.node.Type, e.name) {
				out = append(out, it)
			}
		}
		if len(out) > 0 {
			return out, nil
		}
	}
	if len(out) == 0 && len(fr.this) > 0 && !fr.lenient && !st.env.InvariantCompat {
		if !st.env.Strict && isFHIRType(e.name) {
			return nil, nil
		}
		if err := checkElement(fr.this, e.name, true); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (e *memberExpr) eval(st *state, fr *frame) (Collection, error) {
	in, err := e.x.eval(st, fr)
	if err != nil {
		return nil, err
	}
	out := navigate(nil, in, e.name)
	if len(out) == 0 && len(in) > 0 && !fr.lenient && !st.env.InvariantCompat {
		if err := checkElement(in, e.name, false); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// navigate appends the children named name of every item of in.
func navigate(out Collection, in Collection, name string) Collection {
	for _, it := range in {
		if n := it.node; n != nil {
			for _, c := range n.Children {
				if c.Name == name {
					out = append(out, Item{node: c})
				}
			}
			continue
		}
		switch v := it.val.(type) {
		case TypeInfo:
			switch name {
			case "namespace":
				out = append(out, Item{val: String(v.Namespace)})
			case "name":
				out = append(out, Item{val: String(v.Name)})
			}
		case Quantity:
			switch name {
			case "value":
				out = append(out, Item{val: v.Value})
			case "unit", "code":
				out = append(out, Item{val: String(v.Unit)})
			}
		}
	}
	return out
}

func (e *indexExpr) eval(st *state, fr *frame) (Collection, error) {
	in, err := e.x.eval(st, fr)
	if err != nil {
		return nil, err
	}
	idx, err := e.index.eval(st, fr)
	if err != nil {
		return nil, err
	}
	n, ok, err := integerArg(idx, "indexer")
	if err != nil || !ok {
		return nil, err
	}
	if n < 0 || n >= int64(len(in)) {
		return nil, nil
	}
	return in[n : n+1 : n+1], nil
}

func (e *callExpr) eval(st *state, fr *frame) (Collection, error) {
	if err := st.tick(); err != nil {
		return nil, err
	}
	in := fr.this
	if e.target != nil {
		var err error
		in, err = e.target.eval(st, fr)
		if err != nil {
			return nil, err
		}
	}
	out, err := e.fn.impl(st, fr, in, e)
	if err != nil {
		var fe *fnError
		if errors.As(err, &fe) {
			return nil, err
		}
		return nil, &fnError{fn: e.name, err: err}
	}
	return out, nil
}

// fnError wraps a function's error once with the function name.
type fnError struct {
	fn  string
	err error
}

func (e *fnError) Error() string {
	msg := e.err.Error()
	msg = strings.TrimPrefix(msg, "fhirpath: ")
	return "fhirpath: " + e.fn + "(): " + msg
}

func (e *fnError) Unwrap() error { return e.err }

func (e *varExpr) eval(st *state, fr *frame) (Collection, error) {
	switch e.name {
	case "this":
		return fr.this, nil
	case "index":
		if fr.index < 0 {
			return nil, nil
		}
		return single(Integer(fr.index)), nil
	case "total":
		return fr.total, nil
	}
	return nil, errorf("unknown variable $%s", e.name)
}

// Built-in %constants of FHIRPath and the FHIR R4 extensions.
var builtinConstants = map[string]string{
	"ucum":  "http://unitsofmeasure.org",
	"sct":   "http://snomed.info/sct",
	"loinc": "http://loinc.org",
}

func (e *constExpr) eval(st *state, fr *frame) (Collection, error) {
	if v, ok := st.env.Variables[e.name]; ok {
		return v, nil
	}
	switch e.name {
	case "resource":
		return st.resource, nil
	case "rootResource":
		return st.root, nil
	case "context":
		return st.context, nil
	}
	if s, ok := builtinConstants[e.name]; ok {
		return single(String(s)), nil
	}
	if rest, ok := strings.CutPrefix(e.name, "vs-"); ok {
		return single(String("http://hl7.org/fhir/ValueSet/" + rest)), nil
	}
	if rest, ok := strings.CutPrefix(e.name, "ext-"); ok {
		return single(String("http://hl7.org/fhir/StructureDefinition/" + rest)), nil
	}
	return nil, errorf("unknown variable %%%s", e.name)
}

func (e *typeExpr) eval(st *state, fr *frame) (Collection, error) {
	in, err := e.x.eval(st, fr)
	if err != nil {
		return nil, err
	}
	if e.op == "is" {
		return isType(in, e.spec, st.env.InvariantCompat)
	}
	return asType(in, e.spec, st.env.InvariantCompat)
}

func isType(in Collection, spec typeSpec, compat bool) (Collection, error) {
	if len(in) == 0 {
		return nil, nil
	}
	if len(in) > 1 {
		return nil, errorf("is: expected a single item, got %d", len(in))
	}
	return boolColl(spec.matchesCompat(in[0].Type(), false, compat)), nil
}

func asType(in Collection, spec typeSpec, compat bool) (Collection, error) {
	if len(in) == 0 {
		return nil, nil
	}
	if len(in) > 1 {
		return nil, errorf("as: expected a single item, got %d", len(in))
	}
	return asOne(in, spec, compat)
}

// asFunction is the function form as(type). Under Env.InvariantCompat, on a
// collection of several items it filters like ofType(): FHIR R4's own
// invariants depend on it (dom-3: descendants().as(canonical)); the
// official FHIRPath suite wants an error instead (testFHIRPathAsFunction21).
func asFunction(in Collection, spec typeSpec, compat bool) (Collection, error) {
	if len(in) <= 1 || !compat {
		return asType(in, spec, compat)
	}
	var out Collection
	for _, it := range in {
		if spec.matchesCompat(it.Type(), true, compat) {
			out = append(out, it)
		}
	}
	return out, nil
}

func asOne(in Collection, spec typeSpec, compat bool) (Collection, error) {
	if spec.matchesCompat(in[0].Type(), true, compat) {
		return in, nil
	}
	return nil, nil
}

// integerArg reads a singleton Integer argument.
func integerArg(c Collection, what string) (int64, bool, error) {
	if len(c) == 0 {
		return 0, false, nil
	}
	if len(c) > 1 {
		return 0, false, errorf("%s: expected a single integer, got %d items", what, len(c))
	}
	v, ok := c[0].Value()
	if !ok {
		return 0, false, nil
	}
	i, isInt := v.(Integer)
	if !isInt {
		return 0, false, errorf("%s: expected an integer, got %s", what, v.Type())
	}
	return int64(i), true, nil
}
