package fhirapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"yigong/fhir"
	"yigong/fhir/model"
	"yigong/fhir/store"
)

// MaxEverything bounds the resources one $everything may gather; a record
// larger than this is refused with "too-costly" (page with _type or _since).
const MaxEverything = 20_000

// everything serves GET|POST [base]/Patient/[id]/$everything
// (http://hl7.org/fhir/R4/patient-operation-everything.html) and
// [base]/Encounter/[id]/$everything
// (http://hl7.org/fhir/R4/encounter-operation-everything.html).
//
// Patient: the patient and every resource in its compartment
// (model.PatientCompartment: each type's linking reference parameters),
// found by one store search per (type, parameter). Encounter: the
// encounter and every resource with a reference search parameter that
// points at it. Referenced resources outside the compartment (Practitioner,
// Organization, Medication...) are not added.
//
// The answer is a searchset Bundle ordered by type and id, paged with
// _count (default 50, at most 1000) and a next link whose _cursor is the
// last type/id of the page, so a page does not shift when resources are
// added to earlier types meanwhile. _since keeps resources updated at or
// after an instant; _type keeps the listed types.
func (o *operations) everything(c echo.Context) error {
	typ, err := onlyType(c, "everything", "Patient", "Encounter")
	if err != nil {
		return err
	}
	id, err := resourceID(c)
	if err != nil {
		return err
	}
	ps, err := readParams(c, false)
	if err != nil {
		return err
	}
	count, err := ps.integer("_count", store.DefaultCount)
	if err != nil {
		return err
	}
	if count == 0 || count > store.MaxCount {
		count = min(max(count, 1), store.MaxCount)
	}
	var since time.Time
	if s := ps.str("_since"); s != "" {
		if since, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return invalidParam("_since", "%q is not an instant (YYYY-MM-DDThh:mm:ss+zz:zz)", s)
		}
	}
	var types map[string]bool
	if t := ps.str("_type"); t != "" {
		types = map[string]bool{}
		for _, x := range strings.Split(t, ",") {
			x = strings.TrimSpace(x)
			if !model.IsResourceType(x) {
				return invalidParam("_type", "%q is not a resource type", x)
			}
			types[x] = true
		}
	}
	cursor := ps.str("_cursor")

	ctx := c.Request().Context()
	g := o.api.guard(c)
	if _, err := g.decide(typ, "read"); err != nil {
		return err
	}
	focus, err := o.api.store.Read(ctx, store.Ref{Type: typ, ID: id})
	if err != nil {
		return err
	}
	if err := g.check(typ, "read", focus.JSON); err != nil {
		return err
	}
	se, ok := o.api.store.(store.Searcher)
	if !ok {
		return fhir.Errorf(fhir.KindNotSupported, "fhirapi: $everything: the store cannot search")
	}
	found := map[string]*store.Resource{typ + "/" + id: focus}
	ids := []string{id}
	if typ == "Patient" { // and the patients its links reach (op_everything_links.go)
		if ids, err = linkedPatients(ctx, o.api.store, focus, found); err != nil {
			return err
		}
	}
	for _, pid := range ids {
		for _, q := range everythingQueries(typ, pid) {
			if types != nil && !types[q.Type] {
				continue
			}
			if err := gather(ctx, se, q, found); err != nil {
				return err
			}
		}
	}
	keys := make([]string, 0, len(found))
	for k, r := range found {
		if types != nil && !types[r.Type] || !since.IsZero() && r.LastUpdated.Before(since) {
			continue
		}
		if !g.visible(r, "search-type") { // each type by the caller's scopes, each resource by its compartment
			continue
		}
		keys = append(keys, k)
	}
	// The focus resource first, then by type and id.
	focusKey := typ + "/" + id
	sort.Slice(keys, func(i, j int) bool {
		if (keys[i] == focusKey) != (keys[j] == focusKey) {
			return keys[i] == focusKey
		}
		return keys[i] < keys[j]
	})
	start := 0
	if cursor != "" {
		start = sort.Search(len(keys), func(i int) bool { return keys[i] != focusKey && keys[i] > cursor })
		if cursor == focusKey {
			start = 1
		}
	}
	end := min(start+count, len(keys))
	page := keys[start:end]

	link := func(rel, cur string) map[string]any {
		v := url.Values{"_count": {strconv.Itoa(count)}}
		if s := ps.str("_since"); s != "" {
			v.Set("_since", s)
		}
		if t := ps.str("_type"); t != "" {
			v.Set("_type", t)
		}
		if cur != "" {
			v.Set("_cursor", cur)
		}
		return map[string]any{"relation": rel, "url": fmt.Sprintf("%s/%s/%s/$everything?%s", o.api.baseURL(), typ, id, v.Encode())}
	}
	links := []any{link("self", cursor)}
	if end < len(keys) {
		links = append(links, link("next", page[len(page)-1]))
	}
	if cursor != "" {
		links = append(links, link("first", ""))
	}
	entries := make([]any, 0, len(page))
	for _, k := range page {
		r := found[k]
		entries = append(entries, map[string]any{
			"fullUrl":  fmt.Sprintf("%s/%s/%s", o.api.baseURL(), r.Type, r.ID),
			"resource": json.RawMessage(r.JSON),
			"search":   map[string]any{"mode": "match"},
		})
	}
	b := map[string]any{"resourceType": "Bundle", "type": "searchset", "total": len(keys), "link": links}
	if len(entries) > 0 {
		b["entry"] = entries
	}
	return writeValue(c, http.StatusOK, b)
}

// everythingQueries are the searches that find the resources linked to
// the focus: for a Patient its compartment, for an Encounter every
// reference parameter that may point at an Encounter.
func everythingQueries(typ, id string) []store.SearchQuery {
	var out []store.SearchQuery
	add := func(t, param string) {
		out = append(out, store.SearchQuery{Type: t, Count: store.MaxCount, Filters: []store.Filter{{
			Param: param, Type: store.ParamReference, Values: []store.FilterValue{{RefType: typ, RefID: id}},
		}}})
	}
	for _, t := range model.ResourceTypes() {
		if mt := model.LookupType(t); mt == nil || mt.Abstract {
			continue
		}
		if typ == "Patient" {
			for _, p := range model.PatientCompartment(t) {
				if p != "{def}" {
					add(t, p)
				}
			}
			continue
		}
		seen := map[string]bool{}
		for _, sp := range model.SearchParams(t) {
			if sp.Type != "reference" || seen[sp.Code] || !contains(sp.Target, typ) ||
				len(sp.Base) > 0 && (sp.Base[0] == "Resource" || sp.Base[0] == "DomainResource") {
				continue
			}
			seen[sp.Code] = true
			add(t, sp.Code)
		}
	}
	return out
}

// gather runs q through every page and adds the matches to found.
func gather(ctx context.Context, se store.Searcher, q store.SearchQuery, found map[string]*store.Resource) error {
	for {
		page, err := se.Search(ctx, q)
		if err != nil {
			return fmt.Errorf("fhirapi: $everything: search %s?%s: %w", q.Type, q.Filters[0].Param, err)
		}
		for _, r := range page.Entries {
			found[r.Type+"/"+r.ID] = r
		}
		if len(found) > MaxEverything {
			return &fhir.Error{Kind: fhir.KindBusy, Msg: "fhirapi: $everything: too many resources",
				Issues: []fhir.Issue{{Severity: fhir.SeverityError, Code: "too-costly",
					Diagnostic: fmt.Sprintf("the record holds more than %d resources; narrow it with _type or _since", MaxEverything)}}}
		}
		if page.Next == "" {
			return nil
		}
		q.Cursor = page.Next
	}
}
