package fhirapi

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"yigong/fhir"
	"yigong/fhir/store"
)

// vread serves GET [base]/[type]/[id]/_history/[vid]
// (http://hl7.org/fhir/R4/http.html#vread). A version that records a
// deletion is 410 Gone.
func (a *API) vread(c echo.Context) error {
	typ, id, err := instance(c)
	if err != nil {
		return err
	}
	vid, err := strconv.ParseInt(c.Param("vid"), 10, 64)
	if err != nil || vid < 1 {
		return fhir.Errorf(fhir.KindInvalid, "invalid version id %q", c.Param("vid"))
	}
	g := a.guard(c)
	if _, err := g.decide(typ, "vread"); err != nil {
		return err
	}
	r, err := a.store.VRead(c.Request().Context(), store.Ref{Type: typ, ID: id}, vid)
	if err == nil {
		err = g.check(typ, "vread", r.JSON)
	} else if r != nil && errors.Is(err, store.ErrGone) && g.restricted(typ, "vread") {
		r = nil
	}
	if err != nil {
		if r != nil && errors.Is(err, store.ErrGone) {
			setVersionHeaders(c, r)
		}
		return err
	}
	setVersionHeaders(c, r)
	return writeJSON(c, http.StatusOK, r.JSON)
}
