package fhirapi

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"yigong/fhir/store"
)

// read serves GET [base]/[type]/[id] (http://hl7.org/fhir/R4/http.html#read).
// A deleted resource is 410 Gone; If-None-Match with the current ETag and an
// If-Modified-Since not older than lastUpdated give 304.
func (a *API) read(c echo.Context) error {
	typ, id, err := instance(c)
	if err != nil {
		return err
	}
	if a.servedAudit(typ) {
		return a.auditRead(c)
	}
	g := a.guard(c)
	if _, err := g.decide(typ, "read"); err != nil {
		return err
	}
	r, err := a.store.Read(c.Request().Context(), store.Ref{Type: typ, ID: id})
	if err == nil {
		err = g.check(typ, "read", r.JSON)
	} else if r != nil && errors.Is(err, store.ErrGone) && g.restricted(typ, "read") {
		r = nil // a restricted caller learns nothing of a deleted resource it cannot check
	}
	if err != nil {
		if r != nil && errors.Is(err, store.ErrGone) {
			setVersionHeaders(c, r)
		}
		return err
	}
	setVersionHeaders(c, r)
	if inm := c.Request().Header.Get("If-None-Match"); inm != "" {
		if v, ok := parseETag(inm); ok && v == r.Version {
			return c.NoContent(http.StatusNotModified)
		}
	} else if notModifiedSince(c, r.LastUpdated) {
		return c.NoContent(http.StatusNotModified)
	}
	return writeJSON(c, http.StatusOK, r.JSON)
}
