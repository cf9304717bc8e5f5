package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"yigong/fhir"
	"yigong/fhir/model"
	"yigong/fhir/store"
	"yigong/server/auth/accounts"
	"yigong/server/auth/roles"
	"yigong/server/auth/scope"
)

// Request is one access question: may the principal perform Interaction on
// ResourceType, for this resource (its JSON, when one is at hand: a read
// result, a search match, an include, a transaction entry's body)?
type Request struct {
	ResourceType string
	// Interaction is a restful-interaction code: read, vread,
	// history-instance, search-type, search-system, history-type, create,
	// update, patch, delete. Operations map themselves: $everything is
	// search-type on each type it returns.
	Interaction string
	Resource    []byte // nil: decide on type and interaction alone
	Institution string // owner, for the role check when Resource is nil (else Resource's store meta.tag)
}

// Checker answers access questions. It needs the search indexer to find a
// resource's patient compartment and to evaluate v2 scope restrictions
// (?category=laboratory) with the same extraction search uses.
type Checker struct {
	Indexer store.Indexer
	// Roles, when set, makes the role permissions of user principals
	// (Principal.Permissions) part of every decision; it returns the
	// current institution hierarchy that role scopes are read against. A
	// user with no role then reaches no FHIR data: Decide refuses a type
	// no role grants the interaction on, and CheckResource a resource of
	// an institution no role covers (see roleCheck). Backend clients and
	// the development principal are governed by their scopes alone. nil:
	// scopes only.
	Roles func(ctx context.Context) (roles.Hierarchy, error)
}

func forbidden(format string, args ...any) error {
	return &fhir.Error{Kind: fhir.KindForbidden, Msg: fmt.Sprintf(format, args...)}
}

// Decision is Check's answer for a search: the restrictions a result must
// meet. Round 2 applies them to every returned and included resource with
// CheckResource (or narrows the query).
type Decision struct {
	scope.Grant
	Patient string // patient context: results must be in this compartment
	// role is set when the principal's roles must also cover each
	// resource's institution (CheckResource).
	role *roleLimit
}

// roleLimit is what CheckResource needs to check a user's roles on one
// resource.
type roleLimit struct {
	p    *Principal
	perm scope.Perm
}

// RoleLimited reports whether each resource must still be checked against
// the principal's roles (its institution). Limited does not include it:
// the role check does not narrow what a patient context or a query
// restriction narrows, and callers that treat Limited as "patient or
// query restricted" (DICOMweb, ECG routes) keep their meaning.
func (d Decision) RoleLimited() bool { return d.role != nil }

// Limited reports whether each resource must still be checked: a patient
// context or SMART v2 query restrictions.
func (d Decision) Limited() bool {
	return d.Patient != "" || !d.Unrestricted && len(d.Restrictions) > 0
}

// Decide answers the type-level question (may p do interaction on type at
// all?) and returns what each resource must still satisfy.
func (c *Checker) Decide(p *Principal, resourceType, interaction string) (Decision, error) {
	if p == nil {
		return Decision{}, &fhir.Error{Kind: fhir.KindUnauthorized, Msg: "auth: no credentials"}
	}
	perm, ok := scope.Interaction(interaction)
	if !ok {
		return Decision{}, forbidden("auth: unknown interaction %q", interaction)
	}
	// The audit trail is the hub's own: nobody writes it through the API,
	// not even in development mode, and only the audit administrator
	// (三员分立) reads it.
	if resourceType == "AuditEvent" {
		if perm&(scope.Create|scope.Update|scope.Delete) != 0 {
			return Decision{}, forbidden("auth: AuditEvents are written by the hub only")
		}
		if p.Kind != KindDev && p.Admin != string(accounts.AuditAdmin) {
			return Decision{}, forbidden("auth: only the audit administrator reads AuditEvents")
		}
	}
	if p.Kind == KindDev {
		return Decision{Grant: scope.Grant{Allowed: true, Unrestricted: true}}, nil
	}
	g := p.Scopes.Allows(resourceType, perm)
	if !g.Allowed {
		return Decision{}, forbidden("auth: no scope grants %s on %s", perm, resourceType)
	}
	d := Decision{Grant: g}
	// Roles: the audit administrator reads the trail by its administrative
	// role (三员分立), not by a data role.
	if c.Roles != nil && p.Kind == KindUser && !(resourceType == "AuditEvent" && p.Admin == string(accounts.AuditAdmin)) {
		if !roles.Grants(p.Permissions, resourceType, perm) {
			return Decision{}, forbidden("auth: no role grants %s on %s", perm, resourceType)
		}
		d.role = &roleLimit{p: p, perm: perm}
	}
	// If every matching scope is patient-level, results are limited to the
	// launch patient's compartment.
	if !slices.ContainsFunc(g.Contexts, func(c scope.Context) bool { return c != scope.Patient }) {
		if p.Patient == "" {
			return Decision{}, forbidden("auth: a patient scope without patient context")
		}
		d.Patient = p.Patient
	}
	return d, nil
}

// Check answers a full access question; it is Decide followed by
// CheckResource when r.Resource is set.
func (c *Checker) Check(ctx context.Context, p *Principal, r Request) error {
	d, err := c.Decide(p, r.ResourceType, r.Interaction)
	if err != nil {
		return err
	}
	if r.Resource == nil {
		if d.role != nil && r.Institution != "" {
			return c.roleCheck(ctx, d.role, r.ResourceType, []string{r.Institution})
		}
		return nil
	}
	return c.CheckResource(ctx, d, r.ResourceType, r.Resource)
}

// CheckResource checks one resource against a Decision: the patient
// compartment, then the v2 restrictions.
func (c *Checker) CheckResource(ctx context.Context, d Decision, resourceType string, resource []byte) error {
	if d.role != nil {
		if err := c.roleCheck(ctx, d.role, resourceType, roleInstitutions(d.role, resource)); err != nil {
			return err
		}
	}
	if d.Patient == "" && (d.Unrestricted || len(d.Restrictions) == 0) {
		return nil
	}
	var entries []store.IndexEntry
	if c.Indexer != nil {
		var err error
		entries, err = c.Indexer.Index(ctx, &store.Resource{Type: resourceType, JSON: resource})
		if err != nil {
			return fmt.Errorf("auth: index %s: %w", resourceType, err)
		}
	}
	if d.Patient != "" && !inCompartment(resourceType, resource, entries, d.Patient) {
		return forbidden("auth: %s is outside the patient's compartment", resourceType)
	}
	if d.Unrestricted || len(d.Restrictions) == 0 {
		return nil
	}
	for _, q := range d.Restrictions {
		if matches(entries, q) {
			return nil
		}
	}
	return forbidden("auth: %s does not match the scope's restriction", resourceType)
}

func inCompartment(resourceType string, resource []byte, entries []store.IndexEntry, patient string) bool {
	if resourceType == "Patient" {
		var r struct {
			ID string `json:"id"`
		}
		json.Unmarshal(resource, &r)
		return r.ID == patient
	}
	params := model.PatientCompartment(resourceType)
	if len(params) == 0 {
		return false // not in any patient's compartment: not visible in patient context
	}
	for _, e := range entries {
		if e.RefType == "Patient" && e.RefID == patient && slices.Contains(params, e.Param) {
			return true
		}
	}
	return false
}

// matches evaluates a v2 scope restriction on a resource's index rows: every
// parameter must match one of its comma-separated values. Token values are
// [system|]code; other types compare the indexed text.
func matches(entries []store.IndexEntry, q url.Values) bool {
	for param, values := range q {
		ok := false
		for _, v := range values {
			for _, alt := range strings.Split(v, ",") {
				sys, code, hasSys := strings.Cut(alt, "|")
				if !hasSys {
					sys, code = "", alt
				}
				if slices.ContainsFunc(entries, func(e store.IndexEntry) bool {
					if e.Param != param {
						return false
					}
					if e.Code != "" || e.System != "" {
						return e.Code == code && (!hasSys || e.System == sys)
					}
					return e.Text == alt || (e.RefType != "" && e.RefType+"/"+e.RefID == alt)
				}) {
					ok = true
				}
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// roleInstitutions returns the institutions whose role permission an
// interaction on resource needs. The owner is the institution the store
// stamped on the resource (meta.tag of store.InstitutionTagSystem). A write
// (create, update, patch) also needs the caller's own institution, because
// that is where the store puts a resource the caller creates and a body
// the caller sent may carry any tag; a resource without the tag (a new
// one) is the caller's own.
func roleInstitutions(r *roleLimit, resource []byte) []string {
	tag := institutionTag(resource)
	own := r.p.Institution
	switch {
	case tag == "" || tag == own:
		return []string{own}
	case r.perm&(scope.Create|scope.Update) != 0:
		return []string{own, tag}
	}
	return []string{tag}
}

// institutionTag returns the owning institution the store stamped on a
// resource, "" when there is none.
func institutionTag(resource []byte) string {
	var r struct {
		Meta struct {
			Tag []struct {
				System string `json:"system"`
				Code   string `json:"code"`
			} `json:"tag"`
		} `json:"meta"`
	}
	if json.Unmarshal(resource, &r) != nil {
		return ""
	}
	for _, t := range r.Meta.Tag {
		if t.System == store.InstitutionTagSystem {
			return t.Code
		}
	}
	return ""
}

// roleCheck requires the principal's role permissions to allow the
// interaction on resourceType in each of institutions.
func (c *Checker) roleCheck(ctx context.Context, r *roleLimit, resourceType string, institutions []string) error {
	h, err := c.Roles(ctx)
	if err != nil {
		return fmt.Errorf("auth: role check: %w", err)
	}
	for _, inst := range institutions {
		if inst == "" || !roles.Allows(h, r.p.Permissions, resourceType, r.perm, inst) {
			return forbidden("auth: no role grants %s on %s in institution %q", r.perm, resourceType, inst)
		}
	}
	return nil
}
