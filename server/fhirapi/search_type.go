package fhirapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"yigong/fhir"
	"yigong/fhir/model"
	"yigong/fhir/search"
	"yigong/fhir/store"
)

// searchType serves GET [base]/[type]?query and POST [base]/[type]/_search
// (http://hl7.org/fhir/R4/http.html#search, search.html): a searchset
// Bundle of one page, with total, self and next links and, under
// Prefer: handling=lenient, an OperationOutcome entry listing the
// parameters that were ignored.
func (a *searcher) searchType(c echo.Context) error {
	typ, err := resourceType(c)
	if err != nil {
		return err
	}
	if a.servedAudit(typ) {
		return a.auditSearch(c)
	}
	q, err := searchQuery(c)
	if err != nil {
		return err
	}
	return a.search(c, typ, q)
}

// searchSystem serves GET [base]?_type=...&query and POST [base]/_search
// (search-system): parameters common to all resources, over the types named
// by _type (all types without it).
func (a *searcher) searchSystem(c echo.Context) error {
	q, err := searchQuery(c)
	if err != nil {
		return err
	}
	return a.search(c, "", q)
}

// searchQuery returns the query parameters and, for POST _search, the
// form-encoded body's.
func searchQuery(c echo.Context) (url.Values, error) {
	q := c.QueryParams()
	req := c.Request()
	if req.Method != http.MethodPost {
		return q, nil
	}
	if ct := req.Header.Get(echo.HeaderContentType); ct != "" && !strings.HasPrefix(ct, echo.MIMEApplicationForm) {
		return nil, statusError(http.StatusUnsupportedMediaType, "not-supported",
			fmt.Sprintf("POST _search takes application/x-www-form-urlencoded, not %q", ct))
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("fhirapi: read search form: %w", err)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fhir.Errorf(fhir.KindInvalid, "fhirapi: search form: %v", err)
	}
	out := url.Values{}
	for k, vs := range q {
		out[k] = append(out[k], vs...)
	}
	for k, vs := range form {
		out[k] = append(out[k], vs...)
	}
	return out, nil
}

func (a *searcher) search(c echo.Context, typ string, q url.Values) error {
	ctx := c.Request().Context()
	se, ok := a.store.(store.Searcher)
	if !ok {
		return fhir.Errorf(fhir.KindNotSupported, "fhirapi: the store cannot search")
	}
	g := a.guard(c)
	if typ != "" {
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
	plan, err := search.Parse(ps, typ, q, search.ParseOptions{Lenient: pref.lenient, BaseURL: a.baseURL(), Codes: a.codes(ctx)})
	if err != nil {
		return err
	}
	page, err := se.Search(ctx, plan.Query)
	if err != nil {
		return err
	}
	page.Entries = g.filter(page.Entries, "search-type")
	page.Included = g.filter(page.Included, "search-type")
	if g.restricted(typ, "search-type") {
		page.Total = -1 // the store counted resources the caller may not see
	}
	path := ""
	if typ != "" {
		path = "/" + typ
	}
	return writeValue(c, http.StatusOK, a.searchBundle(path, plan, page))
}

// searchBundle renders a page as a searchset Bundle; path is the searched
// URL under the base ("/Observation", "/Patient/1/Observation", "" for a
// system search), which the self and paging links repeat.
func (a *API) searchBundle(path string, plan *search.Plan, page *store.SearchPage) map[string]any {
	link := func(rel, cursor string) map[string]any {
		v := url.Values{}
		for k, vs := range plan.Used {
			v[k] = vs
		}
		if cursor != "" {
			v.Set("_cursor", cursor)
		}
		u := a.baseURL() + path
		if enc := v.Encode(); enc != "" {
			u += "?" + enc
		}
		return map[string]any{"relation": rel, "url": u}
	}
	links := []any{link("self", plan.Query.Cursor)}
	if page.Next != "" {
		links = append(links, link("next", page.Next))
	}
	if page.Prev != "" {
		links = append(links, link("previous", page.Prev))
	}
	if plan.Query.Cursor != "" {
		links = append(links, link("first", ""))
	}
	b := map[string]any{"resourceType": "Bundle", "type": "searchset", "link": links}
	if page.Total >= 0 && (plan.Query.Total || plan.Query.OnlyTotal || plan.Query.Cursor == "") {
		b["total"] = page.Total
	}
	var entries []any
	for _, r := range page.Entries {
		entries = append(entries, a.searchEntry(r, "match", plan))
	}
	for _, r := range page.Included {
		entries = append(entries, a.searchEntry(r, "include", plan))
	}
	if len(plan.Issues) > 0 {
		entries = append(entries, map[string]any{
			"fullUrl":  "urn:uuid:" + outcomeID(plan.Issues),
			"resource": OperationOutcome(plan.Issues),
			"search":   map[string]any{"mode": "outcome"},
		})
	}
	if len(entries) > 0 {
		b["entry"] = entries
	}
	return b
}

func outcomeID(issues []fhir.Issue) string {
	var h uint64 = 14695981039346656037
	for _, is := range issues {
		for _, c := range []byte(is.Diagnostic) {
			h = (h ^ uint64(c)) * 1099511628211
		}
	}
	return fmt.Sprintf("00000000-0000-4000-8000-%012x", h&0xffffffffffff)
}

func (a *API) searchEntry(r *store.Resource, mode string, plan *search.Plan) map[string]any {
	body := r.JSON
	if plan.Summary != "" && plan.Summary != "false" || len(plan.Elements) > 0 {
		if sub, err := subset(r.Type, body, plan.Summary, plan.Elements); err == nil {
			body = sub
		}
	}
	return map[string]any{
		"fullUrl":  fmt.Sprintf("%s/%s/%s", a.baseURL(), r.Type, r.ID),
		"resource": json.RawMessage(body),
		"search":   map[string]any{"mode": mode},
	}
}

// subset applies _summary (true, text, data) or _elements to a resource's
// top-level elements and tags it SUBSETTED
// (http://hl7.org/fhir/R4/search.html#summary, #elements).
func subset(typ string, body []byte, summary string, elements []string) ([]byte, error) {
	mt := model.LookupType(typ)
	keep := func(key string) bool {
		switch key {
		case "resourceType", "id", "meta":
			return true
		}
		var el *model.Element
		if mt != nil {
			if ch, ok := mt.ChildByJSONName(typ, strings.TrimPrefix(key, "_")); ok {
				el = ch.Element
			}
		}
		mandatory := el != nil && el.Min > 0
		switch {
		case len(elements) > 0:
			name := strings.TrimPrefix(key, "_")
			if el != nil {
				name = strings.TrimSuffix(strings.TrimPrefix(el.Path, typ+"."), "[x]")
			}
			return mandatory || slices.Contains(elements, name) || slices.Contains(elements, strings.TrimPrefix(key, "_"))
		case summary == "true":
			return el != nil && el.IsSummary
		case summary == "text":
			return key == "text" || mandatory
		case summary == "data":
			return key != "text"
		}
		return true
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.WriteByte('{')
	first := true
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		if !keep(key) {
			continue
		}
		if key == "meta" {
			raw = subsettedMeta(raw)
		}
		if !first {
			out.WriteByte(',')
		}
		first = false
		k, _ := json.Marshal(key)
		out.Write(k)
		out.WriteByte(':')
		out.Write(raw)
	}
	out.WriteByte('}')
	return out.Bytes(), nil
}

// subsettedMeta adds the SUBSETTED tag to meta.
func subsettedMeta(raw json.RawMessage) json.RawMessage {
	var meta map[string]any
	if json.Unmarshal(raw, &meta) != nil {
		return raw
	}
	tags, _ := meta["tag"].([]any)
	meta["tag"] = append(tags, map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "code": "SUBSETTED"})
	b, err := json.Marshal(meta)
	if err != nil {
		return raw
	}
	return b
}
