package fhirapi

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"yigong/fhir"
	"yigong/fhir/search"
	"yigong/fhir/store"
)

// searchCompartment serves GET [base]/[compartment]/[id]/[type]?query,
// POST [base]/[compartment]/[id]/[type]/_search and [type] "*" for every
// type of the compartment (http://hl7.org/fhir/R4/search.html#compartments):
// the search restricted to the resources that reference the compartment's
// owner through any parameter the CompartmentDefinition lists for their
// type (search.ParseCompartment). Only the Patient compartment is
// supported. The owner need not exist: a compartment of an unknown
// patient is empty. Access is asked per searched type, as for a type
// search, and every returned resource is checked; a "*" search leaves out
// the types the caller may not search, and AuditEvent when the audit trail
// serves it.
func (a *searcher) searchCompartment(c echo.Context) error {
	comp, id, err := instance(c)
	if err != nil {
		return err
	}
	if !slices.Contains(search.Compartments(), comp) {
		return statusError(http.StatusNotFound, "not-supported",
			fmt.Sprintf("%s/%s/%s: the %s compartment is not supported (only %v)", comp, id, c.Param("ctype"), comp, search.Compartments()))
	}
	typ := c.Param("ctype")
	if typ != "*" {
		c.SetParamNames("type")
		c.SetParamValues(typ)
		if typ, err = resourceType(c); err != nil {
			return err
		}
	}
	q, err := searchQuery(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	se, ok := a.store.(store.Searcher)
	if !ok {
		return fhir.Errorf(fhir.KindNotSupported, "fhirapi: the store cannot search")
	}
	g := a.guard(c)
	if typ != "*" {
		if a.servedAudit(typ) {
			return statusError(http.StatusBadRequest, "not-supported", "AuditEvent is served from the audit trail: search it with AuditEvent?patient=")
		}
		if _, err := g.decide(typ, "search-type"); err != nil {
			return err
		}
		q = g.narrow(typ, q)
	}
	ps, err := a.searchParams(ctx)
	if err != nil {
		return err
	}
	pref := parsePrefer(c)
	plan, err := search.ParseCompartment(ps, comp, id, typ, q, search.ParseOptions{Lenient: pref.lenient, BaseURL: a.baseURL(), Codes: a.codes(ctx)})
	if err != nil {
		return err
	}
	restricted := false
	if typ == "*" {
		var allowed []string
		var denied error
		for _, t := range plan.Query.Types {
			if a.servedAudit(t) {
				continue
			}
			if _, err := g.decide(t, "search-type"); err != nil {
				denied = err
				continue
			}
			restricted = restricted || g.restricted(t, "search-type")
			allowed = append(allowed, t)
		}
		if len(allowed) == 0 {
			if denied != nil {
				return denied
			}
			return fhir.Errorf(fhir.KindInvalid, "fhirapi: no type of the %s compartment to search", comp)
		}
		plan.Query.Types = allowed
	} else {
		restricted = g.restricted(typ, "search-type")
	}
	page, err := se.Search(ctx, plan.Query)
	if err != nil {
		return err
	}
	page.Entries = g.filter(page.Entries, "search-type")
	page.Included = g.filter(page.Included, "search-type")
	if restricted {
		page.Total = -1 // the store counted resources the caller may not see
	}
	return writeValue(c, http.StatusOK, a.searchBundle("/"+comp+"/"+id+"/"+typ, plan, page))
}
