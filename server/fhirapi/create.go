package fhirapi

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"yigong/fhir/fhirjson"
	"yigong/fhir/store"
)

// create serves POST [base]/[type] (http://hl7.org/fhir/R4/http.html#create):
// the server assigns the id (an id in the body is ignored) and answers 201
// with Location. With If-None-Exist it is a conditional create
// (#ccreate): when the criteria already match, the existing resource is
// returned with 200 and nothing is written; two concurrent identical
// conditional creates yield one resource.
func (a *API) create(c echo.Context) error {
	typ, err := resourceType(c)
	if err != nil {
		return err
	}
	g := a.guard(c)
	if _, err := g.decide(typ, "create"); err != nil {
		return err
	}
	p := parsePrefer(c)
	n, warnings, err := decodeResource(c, typ, p)
	if err != nil {
		return err
	}
	body, err := fhirjson.Marshal(n)
	if err != nil {
		return err
	}
	if err := g.check(typ, "create", body); err != nil {
		return err
	}
	ctx := c.Request().Context()
	in := store.Input{Institution: a.owner(ctx), Type: typ, JSON: body}
	if criteria := strings.TrimSpace(c.Request().Header.Get("If-None-Exist")); criteria != "" {
		r, created, err := a.store.CreateIfNoneExist(ctx, in, strings.TrimPrefix(criteria, typ+"?"))
		if err != nil {
			return err
		}
		status := http.StatusOK
		if created {
			status = http.StatusCreated
		} else if err := g.check(typ, "read", r.JSON); err != nil {
			return err // the match is not the caller's to see
		}
		return a.respond(c, status, r, p, warnings)
	}
	r, err := a.store.Create(ctx, in)
	if err != nil {
		return err
	}
	return a.respond(c, http.StatusCreated, r, p, warnings)
}
