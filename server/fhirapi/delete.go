package fhirapi

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"yigong/fhir"
	"yigong/fhir/store"
)

// delete serves DELETE [base]/[type]/[id] (http://hl7.org/fhir/R4/http.html#delete):
// a logical deletion recorded as a new version, history kept. Deleting an
// already deleted resource succeeds without writing; a resource that never
// existed is 404. If-Match makes it conditional on the current version.
func (a *API) delete(c echo.Context) error {
	typ, id, err := instance(c)
	if err != nil {
		return err
	}
	var ifMatch int64
	if im := c.Request().Header.Get("If-Match"); im != "" {
		v, ok := parseETag(im)
		if !ok {
			return fhir.Errorf(fhir.KindInvalid, "invalid If-Match %q: want W/\"version\"", im)
		}
		ifMatch = v
	}
	g := a.guard(c)
	if _, err := g.decide(typ, "delete"); err != nil {
		return err
	}
	if g.restricted(typ, "delete") {
		cur, err := a.store.Read(c.Request().Context(), store.Ref{Type: typ, ID: id})
		if err != nil {
			return err
		}
		if err := g.check(typ, "delete", cur.JSON); err != nil {
			return err
		}
		if ifMatch == 0 {
			ifMatch = cur.Version
		}
	}
	r, err := a.store.Delete(c.Request().Context(), store.Ref{Type: typ, ID: id}, ifMatch)
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", etag(r.Version))
	if parsePrefer(c).ret == "OperationOutcome" {
		return writeValue(c, http.StatusOK, OperationOutcome([]fhir.Issue{{
			Severity: fhir.SeverityInformation, Code: "informational",
			Diagnostic: fmt.Sprintf("%s/%s deleted (version %d)", typ, id, r.Version)}}))
	}
	return c.NoContent(http.StatusNoContent)
}

// conditionalDelete serves DELETE [base]/[type]?criteria
// (http://hl7.org/fhir/R4/http.html#cdelete): every match is deleted (no
// match is a success that deletes nothing).
func (a *API) conditionalDelete(c echo.Context) error {
	typ, err := resourceType(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	g := a.guard(c)
	if _, err := g.decide(typ, "delete"); err != nil {
		return err
	}
	matches, err := a.conditionalTarget(ctx, typ, c.QueryString())
	if err != nil {
		return err
	}
	for _, m := range matches {
		if err := g.check(typ, "delete", m.JSON); err != nil {
			return err
		}
	}
	tx, err := a.store.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	for _, m := range matches {
		if _, err := tx.Delete(ctx, store.Ref{Institution: m.Institution, Type: typ, ID: m.ID}, 0); err != nil {
			return err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	if parsePrefer(c).ret == "OperationOutcome" {
		return writeValue(c, http.StatusOK, OperationOutcome([]fhir.Issue{{
			Severity: fhir.SeverityInformation, Code: "informational",
			Diagnostic: fmt.Sprintf("%d %s resources deleted", len(matches), typ)}}))
	}
	return c.NoContent(http.StatusNoContent)
}
