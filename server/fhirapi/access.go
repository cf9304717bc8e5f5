package fhirapi

import (
	"context"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"yigong/fhir"
	"yigong/fhir/model"
	"yigong/fhir/store"
	"yigong/server/auth"
)

// Access control. Every handler asks its guard before it answers: the
// type-level question (may the caller do this interaction on this type at
// all: the token's scopes) before touching the store, then the
// resource-level one (the patient compartment of a patient-context token,
// SMART v2 query restrictions) on every resource it is about to return or
// write: a read result, each search match and _include/_revinclude, each
// history entry, each $everything resource and each transaction entry.
// Resources that fail are left out of bundles; a single resource that
// fails is 403. With no Options.Access every question is answered yes
// (tests of the API alone).

// guard answers a request's access questions, caching type decisions.
type guard struct {
	checker *auth.Checker
	ctx     context.Context
	p       *auth.Principal
	cache   map[string]decided
}

type decided struct {
	d   auth.Decision
	err error
}

func (a *API) guard(c echo.Context) *guard {
	ctx := c.Request().Context()
	return &guard{checker: a.access, ctx: ctx, p: auth.FromContext(ctx), cache: map[string]decided{}}
}

// decide answers the type-level question.
func (g *guard) decide(typ, interaction string) (auth.Decision, error) {
	if g.checker == nil {
		return auth.Decision{}, nil
	}
	key := typ + " " + interaction
	if d, ok := g.cache[key]; ok {
		return d.d, d.err
	}
	d, err := g.checker.Decide(g.p, typ, interaction)
	g.cache[key] = decided{d, err}
	return d, err
}

// check answers the full question for one resource (JSON) about to be
// returned or written.
func (g *guard) check(typ, interaction string, resource []byte) error {
	if g.checker == nil {
		return nil
	}
	d, err := g.decide(typ, interaction)
	if err != nil {
		return err
	}
	return g.checker.CheckResource(g.ctx, d, typ, resource)
}

// visible reports whether r may be returned by interaction (a read or a
// search).
func (g *guard) visible(r *store.Resource, interaction string) bool {
	if r == nil {
		return false
	}
	if r.Deleted || len(r.JSON) == 0 {
		// A tombstone has no content to check: shown only when the type is
		// allowed without per-resource limits.
		return !g.restricted(r.Type, interaction)
	}
	return g.check(r.Type, interaction, r.JSON) == nil
}

// filter keeps the resources of rs that are visible.
func (g *guard) filter(rs []*store.Resource, interaction string) []*store.Resource {
	if g.checker == nil {
		return rs
	}
	return slices.DeleteFunc(rs, func(r *store.Resource) bool { return !g.visible(r, interaction) })
}

// restricted reports whether results of typ are limited per resource for
// interaction (patient compartment, v2 restrictions, or a user's roles by
// institution): counts and totals then cannot be shown as the store
// computed them.
func (g *guard) restricted(typ, interaction string) bool { return g.limited(typ, interaction, true) }

// scopeLimited is restricted without the roles: whether the token's scopes
// limit typ to one patient or a query.
func (g *guard) scopeLimited(typ, interaction string) bool { return g.limited(typ, interaction, false) }

func (g *guard) limited(typ, interaction string, roles bool) bool {
	if g.checker == nil || g.p == nil || g.p.Kind == auth.KindDev {
		return false
	}
	if typ == "" {
		return true
	}
	d, err := g.decide(typ, interaction)
	return err != nil || d.Limited() || roles && d.RoleLimited()
}

// narrow adds the launch patient to a search of a patient-context token
// (Patient?_id=, [type]?patient=) so the store returns that compartment's
// resources rather than a page the guard would mostly discard. Results are
// still checked one by one.
func (g *guard) narrow(typ string, q url.Values) url.Values {
	if g.checker == nil || typ == "" {
		return q
	}
	d, err := g.decide(typ, "search-type")
	if err != nil || d.Patient == "" {
		return q
	}
	out := url.Values{}
	for k, v := range q {
		out[k] = v
	}
	switch {
	case typ == "Patient":
		if _, ok := out["_id"]; !ok {
			out.Set("_id", d.Patient)
		}
	case slices.Contains(model.PatientCompartment(typ), "patient"):
		if _, ok := out["patient"]; !ok {
			out.Set("patient", "Patient/"+d.Patient)
		}
	}
	return out
}

// requireSystem allows dev principals and, with access control on, callers
// holding a system/ scope that grants interaction on every type, for
// maintenance operations ($reindex).
func (g *guard) requireSystem(interaction string) error {
	if g.checker == nil || g.p != nil && g.p.Kind == auth.KindDev {
		return nil
	}
	if g.p == nil {
		return &fhir.Error{Kind: fhir.KindUnauthorized, Msg: "auth: no credentials"}
	}
	if g.p.Kind != auth.KindClient {
		return &fhir.Error{Kind: fhir.KindForbidden, Msg: "auth: this operation needs a backend (system/) client"}
	}
	_, err := g.decide("SearchParameter", interaction)
	return err
}

// opGate is the type-level access check of an operation route (the
// handlers of $everything and of search check resources themselves):
// terminology operations need only an authenticated caller, $meta reads,
// $meta-add/-delete update, $match, $merge and $unmerge need an
// unrestricted scope on Patient (they see or change several patients'
// records), system $meta a system/ client. Instance-level operations also
// check the target resource.
func (a *API) opGate(path string) echo.MiddlewareFunc {
	interaction := ""
	unrestricted := false
	switch path {
	case "/:type/:id/$everything":
		return func(next echo.HandlerFunc) echo.HandlerFunc { return next }
	case "/$meta":
		return func(next echo.HandlerFunc) echo.HandlerFunc {
			return func(c echo.Context) error {
				if err := a.guard(c).requireSystem("search-type"); err != nil {
					return err
				}
				return next(c)
			}
		}
	case "/:type/$meta", "/:type/:id/$meta", "/:type/:id/$validate", "/:type/:id/$expand", "/:type/:id/$validate-code":
		interaction = "read"
	case "/:type/:id/$meta-add", "/:type/:id/$meta-delete":
		interaction = "update"
	case "/:type/$match":
		interaction, unrestricted = "search-type", true
	case "/:type/$merge", "/:type/$unmerge":
		interaction, unrestricted = "update", true
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if a.access == nil {
				return next(c)
			}
			g := a.guard(c)
			if g.p == nil {
				return &fhir.Error{Kind: fhir.KindUnauthorized, Msg: "auth: no credentials"}
			}
			if interaction == "" {
				return next(c)
			}
			typ := c.Param("type")
			if _, err := g.decide(typ, interaction); err != nil {
				return err
			}
			if unrestricted && g.scopeLimited(typ, interaction) {
				return &fhir.Error{Kind: fhir.KindForbidden, Msg: "auth: $" + path[strings.LastIndex(path, "$")+1:] +
					" needs a scope on " + typ + " that is not limited to one patient or a query"}
			}
			if id := c.Param("id"); id != "" && g.restricted(typ, interaction) && validID(id) {
				r, err := a.store.Read(c.Request().Context(), store.Ref{Type: typ, ID: id})
				if err != nil {
					return err
				}
				if err := g.check(typ, interaction, r.JSON); err != nil {
					return err
				}
			}
			return next(c)
		}
	}
}

// systemOnly lets through dev principals and backend clients whose
// system/ scopes grant interaction (maintenance routes such as $reindex).
func (a *API) systemOnly(interaction string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if err := a.guard(c).requireSystem(interaction); err != nil {
				return err
			}
			return next(c)
		}
	}
}

// owner returns the institution that owns what the caller of ctx creates:
// the caller's own (auth.Principal.Institution), or the hub's for the
// development principal and the hub's own work. An update of a resource
// that already exists in an institution the caller sees whole stays
// there (the store decides, see store.Visibility).
func (a *API) owner(ctx context.Context) string {
	if p := auth.FromContext(ctx); p != nil && p.Kind != auth.KindDev && p.Institution != "" {
		return p.Institution
	}
	return a.institution
}
