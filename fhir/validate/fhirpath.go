package validate

import (
	"context"
	"fmt"
	"sync"

	"yigong/fhir"
	"yigong/fhir/fhirpath"
)

// FHIRPathEvaluator evaluates invariants with package fhirpath. Each
// expression is parsed once per evaluator and cached; it is safe for
// concurrent use.
type FHIRPathEvaluator struct {
	exprs sync.Map // string -> parsed
}

type parsed struct {
	expr *fhirpath.Expression
	err  error
}

// Interface guard.
var _ ConstraintEvaluator = (*FHIRPathEvaluator)(nil)

// NewFHIRPathEvaluator returns a ConstraintEvaluator backed by package
// fhirpath.
func NewFHIRPathEvaluator() *FHIRPathEvaluator { return &FHIRPathEvaluator{} }

// EvalConstraint evaluates expr on node. An empty result counts as
// satisfied, as a constraint only fails when it evaluates to false.
func (e *FHIRPathEvaluator) EvalConstraint(ctx context.Context, expr string, node, resource, root *fhir.Node) (bool, error) {
	p, ok := e.exprs.Load(expr)
	if !ok {
		x, err := fhirpath.Parse(expr)
		p, _ = e.exprs.LoadOrStore(expr, &parsed{expr: x, err: err})
	}
	pp := p.(*parsed)
	if pp.err != nil {
		return false, fmt.Errorf("validate: parse %q: %w", expr, pp.err)
	}
	v, ok, err := pp.expr.EvaluateBool(ctx, node, fhirpath.Env{Resource: resource, RootResource: root, InvariantCompat: true})
	if err != nil {
		return false, fmt.Errorf("validate: evaluate %q: %w", expr, err)
	}
	return !ok || v, nil
}
