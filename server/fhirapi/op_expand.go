package fhirapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"yigong/fhir"
	"yigong/fhir/store"
	"yigong/fhir/terminology"
)

// expand serves GET|POST [base]/ValueSet/$expand and
// [base]/ValueSet/[id]/$expand
// (http://hl7.org/fhir/R4/valueset-operation-expand.html) over the bundled
// R4 code systems: url (a bundled value set, else one stored here),
// valueSet (a ValueSet resource in a Parameters body), filter, offset,
// count, activeOnly and includeDesignations. A value set that needs a code
// system the server does not hold (SNOMED CT, LOINC, UCUM...) is answered
// with an OperationOutcome "not-supported" (501), never a partial
// expansion.
func (o *operations) expand(c echo.Context) error {
	if _, err := onlyType(c, "expand", "ValueSet"); err != nil {
		return err
	}
	ps, err := readParams(c, false)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	vs, err := o.valueSet(ctx, c.Param("id"), ps)
	if err != nil {
		return err
	}
	var opts terminology.ExpandOptions
	opts.Filter = ps.str("filter")
	if opts.Offset, err = ps.integer("offset", 0); err != nil {
		return err
	}
	if opts.Count, err = ps.integer("count", 0); err != nil {
		return err
	}
	if opts.ActiveOnly, err = ps.boolean("activeOnly"); err != nil {
		return err
	}
	if opts.IncludeDesignations, err = ps.boolean("includeDesignations"); err != nil {
		return err
	}
	exp, err := o.terms.Expand(ctx, vs, opts)
	if err != nil {
		return err
	}
	return writeValue(c, http.StatusOK, expansionResource(exp, opts, ps.str("count") != ""))
}

// valueSet resolves the value set an operation is about: the instance
// [id] (a stored ValueSet, else a bundled one with that id), else the url
// parameter (bundled, else stored), else the valueSet parameter.
func (o *operations) valueSet(ctx context.Context, id string, ps opParams) (*terminology.ValueSet, error) {
	if id != "" {
		if !validID(id) {
			return nil, fhir.Errorf(fhir.KindInvalid, "invalid resource id %q", id)
		}
		r, err := o.api.store.Read(ctx, store.Ref{Type: "ValueSet", ID: id})
		switch {
		case err == nil:
			return terminology.ParseValueSet(r.JSON)
		case !errors.Is(err, store.ErrNotFound):
			return nil, err
		}
		if vs, ok := o.terms.ValueSetByID(id); ok {
			return vs, nil
		}
		return nil, fhir.Errorf(fhir.KindNotFound, "ValueSet/%s is neither stored nor bundled", id)
	}
	if p, ok := ps.get("valueSet"); ok {
		if p.Resource == nil {
			return nil, invalidParam("valueSet", "a ValueSet resource is required")
		}
		vs, err := terminology.ParseValueSet(p.Resource)
		if err != nil {
			return nil, invalidParam("valueSet", "%v", err)
		}
		return vs, nil
	}
	u := ps.str("url")
	if u == "" {
		u = ps.str("context") // $validate-code: the binding context is not supported; a URL is taken as the value set
	}
	if u == "" {
		return nil, invalidParam("url", "the value set is required: url, valueSet or an instance id")
	}
	if vs, ok := o.terms.ValueSet(u); ok {
		return vs, nil
	}
	canonical, version, _ := strings.Cut(u, "|")
	if _, ok := o.api.store.(store.Searcher); ok {
		q := "url=" + url.QueryEscape(canonical)
		if version != "" {
			q += "&version=" + url.QueryEscape(version)
		}
		found, err := o.api.match(ctx, "ValueSet", q)
		if err != nil {
			return nil, err
		}
		if len(found) > 0 {
			return terminology.ParseValueSet(found[0].JSON)
		}
	}
	return nil, &fhir.Error{Kind: fhir.KindNotFound, Msg: "unknown value set " + u, Issues: []fhir.Issue{{
		Severity: fhir.SeverityError, Code: "not-found", Expression: "url",
		Diagnostic: "the value set " + u + " is neither bundled (FHIR R4 core, v2, v3) nor stored on this server"}}}
}

// expansionResource renders an expansion as a ValueSet resource.
func expansionResource(exp *terminology.Expansion, opts terminology.ExpandOptions, paged bool) map[string]any {
	vs := exp.ValueSet
	out := map[string]any{"resourceType": "ValueSet", "status": "active"}
	for k, v := range map[string]string{"id": vs.ID(), "url": vs.URL(), "version": vs.Version(), "name": vs.Name(),
		"title": vs.Title(), "status": vs.Status()} {
		if v != "" {
			out[k] = v
		}
	}
	var params parameters
	if opts.Filter != "" {
		params.add("filter", "String", opts.Filter)
	}
	if paged {
		params.add("count", "Integer", opts.Count)
	}
	if opts.Offset > 0 {
		params.add("offset", "Integer", opts.Offset)
	}
	if opts.ActiveOnly {
		params.add("activeOnly", "Boolean", true)
	}
	if opts.IncludeDesignations {
		params.add("includeDesignations", "Boolean", true)
	}
	h := sha256.Sum256([]byte(vs.URL() + "|" + vs.Version()))
	expansion := map[string]any{
		"identifier": "urn:uuid:" + uuidOf(h[:16]),
		"timestamp":  time.Now().UTC().Format(time.RFC3339),
		"total":      exp.Total,
	}
	if exp.Offset > 0 || paged {
		expansion["offset"] = exp.Offset
	}
	if len(params.list) > 0 {
		expansion["parameter"] = params.list
	}
	contains := make([]any, 0, len(exp.Contains))
	for _, e := range exp.Contains {
		m := map[string]any{"system": e.System, "code": e.Code}
		if e.Version != "" {
			m["version"] = e.Version
		}
		if e.Display != "" {
			m["display"] = e.Display
		}
		if e.Abstract {
			m["abstract"] = true
		}
		if e.Inactive {
			m["inactive"] = true
		}
		if ds := designationList(e.Designations); len(ds) > 0 {
			m["designation"] = ds
		}
		contains = append(contains, m)
	}
	if len(contains) > 0 {
		expansion["contains"] = contains
	}
	out["expansion"] = expansion
	return out
}

func designationList(ds []terminology.Designation) []any {
	var out []any
	for _, d := range ds {
		m := map[string]any{"value": d.Value}
		if d.Language != "" {
			m["language"] = d.Language
		}
		if d.Use != nil {
			m["use"] = codingJSON(*d.Use)
		}
		out = append(out, m)
	}
	return out
}

func codingJSON(c terminology.Coding) map[string]any {
	m := map[string]any{}
	for k, v := range map[string]string{"system": c.System, "version": c.Version, "code": c.Code, "display": c.Display} {
		if v != "" {
			m[k] = v
		}
	}
	return m
}

// uuidOf formats 16 bytes as a version-4-shaped UUID.
func uuidOf(b []byte) string {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	s := hex.EncodeToString(b)
	return s[:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}
