package fhirapi

import (
	"encoding/base64"
	"mime"
	"net/http"

	"github.com/labstack/echo/v4"

	"yigong/fhir"
	"yigong/fhir/fhirjson"
	"yigong/fhir/model"
	"yigong/fhir/store"
	"yigong/fhir/transaction"
)

// patch serves PATCH [base]/[type]/[id] and the conditional PATCH
// [base]/[type]?criteria (http://hl7.org/fhir/R4/http.html#patch): a JSON
// Patch (Content-Type application/json-patch+json) or a FHIRPath Patch (a
// Parameters resource as application/fhir+json). The patched resource must
// still be valid; If-Match makes it conditional on the version.
func (a *API) patch(c echo.Context) error {
	typ, err := resourceType(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	g := a.guard(c)
	if _, err := g.decide(typ, "patch"); err != nil {
		return err
	}
	var id string
	if c.Param("id") != "" {
		if id, err = resourceID(c); err != nil {
			return err
		}
	} else {
		matches, err := a.conditionalTarget(ctx, typ, c.QueryString())
		if err != nil {
			return err
		}
		if len(matches) != 1 {
			return fhir.Errorf(fhir.KindPrecondition, "conditional patch %s?%s matches %d resources, not one", typ, c.QueryString(), len(matches))
		}
		id = matches[0].ID
	}
	body, err := readPatchBody(c)
	if err != nil {
		return err
	}
	cur, err := a.store.Read(ctx, store.Ref{Type: typ, ID: id})
	if err != nil {
		return err
	}
	if err := g.check(typ, "patch", cur.JSON); err != nil {
		return err
	}
	if im := c.Request().Header.Get("If-Match"); im != "" {
		v, ok := parseETag(im)
		if !ok {
			return fhir.Errorf(fhir.KindInvalid, "invalid If-Match %q: want W/\"version\"", im)
		}
		if v != cur.Version {
			return fhir.Errorf(fhir.KindPrecondition, "If-Match %s but %s/%s is at version %d", im, typ, id, cur.Version)
		}
	}
	patched, err := transaction.Patch(ctx, cur, body)
	if err != nil {
		return err
	}
	out, err := fhirjson.Marshal(patched)
	if err != nil {
		return err
	}
	if err := g.check(typ, "patch", out); err != nil { // a patch cannot move a resource out of reach either
		return err
	}
	r, _, err := a.store.Update(ctx, store.Input{Institution: cur.Institution, Type: typ, ID: id, JSON: out, IfMatch: cur.Version})
	if err != nil {
		return err
	}
	return a.respond(c, http.StatusOK, r, parsePrefer(c), nil)
}

// readPatchBody returns the patch as the resource a transaction entry would
// carry: a Parameters (FHIRPath Patch) or a Binary holding a JSON Patch.
func readPatchBody(c echo.Context) (*fhir.Node, error) {
	ct := c.Request().Header.Get(echo.HeaderContentType)
	mt, _, _ := mime.ParseMediaType(ct)
	if mt == "application/json-patch+json" {
		raw, err := readRaw(c)
		if err != nil {
			return nil, err
		}
		return binaryPatch(raw), nil
	}
	raw, err := readBody(c)
	if err != nil {
		return nil, err
	}
	n, err := fhirjson.UnmarshalOptions{ResourceType: "Parameters"}.Unmarshal(raw)
	if err != nil {
		return nil, err
	}
	return n, nil
}

func binaryPatch(raw []byte) *fhir.Node {
	bt := model.LookupType("Binary")
	return &fhir.Node{Type: "Binary", Children: []*fhir.Node{
		{Name: "contentType", Type: "code", Def: bt.Element("Binary.contentType"), Value: "application/json-patch+json"},
		{Name: "data", Type: "base64Binary", Def: bt.Element("Binary.data"), Value: base64.StdEncoding.EncodeToString(raw)},
	}}
}
