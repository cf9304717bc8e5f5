package fhirapi

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"yigong/fhir"
	"yigong/fhir/fhirjson"
	"yigong/fhir/store"
)

// update serves PUT [base]/[type]/[id] (http://hl7.org/fhir/R4/http.html#update).
// The body's id must equal the URL's. A resource that does not exist is
// created with the client's id (update-as-create, 201); an existing one gets
// a new version (200). If-Match W/"n" makes it conditional on the current
// version (412 otherwise).
func (a *API) update(c echo.Context) error {
	typ, id, err := instance(c)
	if err != nil {
		return err
	}
	g := a.guard(c)
	if _, err := g.decide(typ, "update"); err != nil {
		return err
	}
	p := parsePrefer(c)
	n, warnings, err := decodeResource(c, typ, p)
	if err != nil {
		return err
	}
	switch bodyID := n.ID(); {
	case bodyID == "":
		return &fhir.Error{Kind: fhir.KindInvalid, Msg: "update: the resource has no id",
			Issues: []fhir.Issue{{Severity: fhir.SeverityError, Code: "required", Expression: typ + ".id",
				Diagnostic: "the resource in an update must carry the id of the URL, " + id}}}
	case bodyID != id:
		return &fhir.Error{Kind: fhir.KindInvalid, Msg: "update: id mismatch",
			Issues: []fhir.Issue{{Severity: fhir.SeverityError, Code: "invariant", Expression: typ + ".id",
				Diagnostic: "the resource id " + bodyID + " differs from the URL's id " + id}}}
	}
	var ifMatch int64
	if im := c.Request().Header.Get("If-Match"); im != "" {
		v, ok := parseETag(im)
		if !ok {
			return fhir.Errorf(fhir.KindInvalid, "invalid If-Match %q: want W/\"version\"", im)
		}
		ifMatch = v
	}
	body, err := fhirjson.Marshal(n)
	if err != nil {
		return err
	}
	if err := g.check(typ, "update", body); err != nil {
		return err
	}
	if g.restricted(typ, "update") {
		// The version replaced must be the caller's too, and must still be
		// the one checked when the write lands.
		cur, err := a.store.Read(c.Request().Context(), store.Ref{Type: typ, ID: id})
		switch {
		case err == nil:
			if err := g.check(typ, "update", cur.JSON); err != nil {
				return err
			}
			if ifMatch == 0 {
				ifMatch = cur.Version
			}
		case !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrGone):
			return err
		}
	}
	r, created, err := a.store.Update(c.Request().Context(), store.Input{
		Institution: a.owner(c.Request().Context()), Type: typ, ID: id, JSON: body, IfMatch: ifMatch,
	})
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return a.respond(c, status, r, p, warnings)
}

// conditionalUpdate serves PUT [base]/[type]?criteria
// (http://hl7.org/fhir/R4/http.html#cond-update): no match creates the
// resource (with the body's id, or a new one), one match updates it, several
// are 412.
func (a *API) conditionalUpdate(c echo.Context) error {
	typ, err := resourceType(c)
	if err != nil {
		return err
	}
	g := a.guard(c)
	if _, err := g.decide(typ, "update"); err != nil {
		return err
	}
	p := parsePrefer(c)
	n, warnings, err := decodeResource(c, typ, p)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	query := c.QueryString()
	matches, err := a.conditionalTarget(ctx, typ, query)
	if err != nil {
		return err
	}
	body, err := fhirjson.Marshal(n)
	if err != nil {
		return err
	}
	if err := g.check(typ, "update", body); err != nil {
		return err
	}
	for _, m := range matches {
		if err := g.check(typ, "update", m.JSON); err != nil {
			return err
		}
	}
	in := store.Input{Institution: a.owner(ctx), Type: typ, JSON: body}
	switch len(matches) {
	case 0:
		if id := n.ID(); id != "" {
			in.ID = id
			r, created, err := a.store.Update(ctx, in)
			if err != nil {
				return err
			}
			status := http.StatusOK
			if created {
				status = http.StatusCreated
			}
			return a.respond(c, status, r, p, warnings)
		}
		r, created, err := a.store.CreateIfNoneExist(ctx, in, query)
		if err != nil {
			return err
		}
		if created {
			return a.respond(c, http.StatusCreated, r, p, warnings)
		}
		if err := g.check(typ, "update", r.JSON); err != nil {
			return err
		}
		matches = []*store.Resource{r} // a concurrent request created it first: update that one
	case 1:
	default:
		return fhir.Errorf(fhir.KindPrecondition, "conditional update %s?%s matches %d resources", typ, query, len(matches))
	}
	if id := n.ID(); id != "" && id != matches[0].ID {
		return fhir.Errorf(fhir.KindInvalid, "the resource id %s differs from the matched %s/%s", id, typ, matches[0].ID)
	}
	in.ID, in.Institution = matches[0].ID, matches[0].Institution
	r, _, err := a.store.Update(ctx, in)
	if err != nil {
		return err
	}
	return a.respond(c, http.StatusOK, r, p, warnings)
}
