package fhirapi_test

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"

	"yigong/fhir/model"
	"yigong/server/servertest"
)

// TestCapabilitySearchParams walks the CapabilityStatement: every search
// parameter it declares for every resource type is tried, once with
// :missing (which every parameter type takes) and once with a value of its
// type, with strict handling; each must run (200), never be refused as
// unknown or unsupported. A parameter the server cannot serve must not be
// declared.
func TestCapabilitySearchParams(t *testing.T) {
	t.Parallel()
	hub := servertest.Start(t)
	c := client{t, hub.URL("/fhir")}
	md := c.do("GET", "/metadata", "")
	if md.status != 200 {
		t.Fatalf("metadata: %d", md.status)
	}
	rest := md.body["rest"].([]any)[0].(map[string]any)
	values := map[string]string{
		"number":    "1",
		"date":      "ge2020-01-01",
		"string":    "x",
		"token":     "http://example.org|x",
		"reference": "Patient/x",
		"quantity":  "gt1||mg",
		"uri":       "http://example.org/x",
	}
	tried, failed := 0, map[string][]string{}
	for _, r := range rest["resource"].([]any) {
		res := r.(map[string]any)
		typ := res["type"].(string)
		sps, _ := res["searchParam"].([]any)
		for _, sp := range sps {
			p := sp.(map[string]any)
			name, ptype := p["name"].(string), p["type"].(string)
			var queries []string
			if ptype == "composite" {
				// A composite takes a value per component, joined by $.
				queries = append(queries, url.QueryEscape(name)+"="+url.QueryEscape(compositeValue(t, typ, name, values)))
			} else {
				queries = append(queries, url.QueryEscape(name+":missing")+"=true")
			}
			if v, ok := values[ptype]; ok && name != "_text" && name != "_content" && name != "_filter" && name != "_query" {
				queries = append(queries, url.QueryEscape(name)+"="+url.QueryEscape(v))
			}
			for _, q := range queries {
				tried++
				rp := c.do("GET", "/"+typ+"?"+q+"&_count=1", "", "Prefer", "handling=strict")
				if rp.status != 200 {
					failed[fmt.Sprintf("%d %v", rp.status, issueText(rp.body))] = append(failed[fmt.Sprintf("%d %v", rp.status, issueText(rp.body))], typ+"?"+q)
				}
			}
		}
	}
	if tried < 2000 {
		t.Errorf("only %d searches tried: does the CapabilityStatement declare the search parameters?", tried)
	}
	keys := make([]string, 0, len(failed))
	for k := range failed {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		qs := failed[k]
		t.Errorf("%d declared searches fail with %s, e.g. %v", len(qs), k, qs[:min(3, len(qs))])
	}
	t.Logf("%d searches over the declared parameters", tried)
}

// compositeValue is a value for the composite parameter name of typ: one
// part per component, of the component's type, joined by $.
func compositeValue(t *testing.T, typ, name string, values map[string]string) string {
	t.Helper()
	sp := model.LookupSearchParam(typ, name)
	if sp == nil || len(sp.Component) == 0 {
		t.Fatalf("%s?%s: declared composite without components in the model", typ, name)
	}
	byURL := map[string]string{}
	for _, p := range model.AllSearchParams() {
		byURL[p.URL] = p.Type
	}
	parts := make([]string, len(sp.Component))
	for i, c := range sp.Component {
		v := values[byURL[c.Definition]]
		if byURL[c.Definition] == "quantity" || byURL[c.Definition] == "date" {
			v = strings.TrimPrefix(v, "gt") // the prefix belongs to the whole value
		}
		parts[i] = v
	}
	return strings.Join(parts, "$")
}

// issueText is the first issue's diagnostics of an OperationOutcome body.
func issueText(b map[string]any) string {
	is, _ := b["issue"].([]any)
	if len(is) == 0 {
		return ""
	}
	d, _ := is[0].(map[string]any)["diagnostics"].(string)
	return d
}

// TestCompositeWithReference: DocumentReference?relationship is a
// composite of a reference (relatesTo.target) and a token (relatesTo.code);
// both parts must match the same relatesTo.
func TestCompositeWithReference(t *testing.T) {
	t.Parallel()
	hub := servertest.Start(t)
	c := client{t, hub.URL("/fhir")}
	doc := func(relatesTo string) string {
		return c.create(`{"resourceType":"DocumentReference","status":"current","content":[{"attachment":{"contentType":"text/plain","data":"eA=="}}]` + relatesTo + `}`)
	}
	old := doc("")
	other := doc("")
	newer := doc(`,"relatesTo":[{"code":"replaces","target":{"reference":"DocumentReference/` + old + `"}},{"code":"appends","target":{"reference":"DocumentReference/` + other + `"}}]`)
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"relationship=DocumentReference/" + old + "$replaces", []string{newer}},
		{"relationship=DocumentReference/" + other + "$appends", []string{newer}},
		{"relationship=DocumentReference/" + old + "$appends", nil}, // both parts, but of different relatesTo
		{"relationship=" + old + "$replaces", []string{newer}},      // a bare id
		{"relationship=DocumentReference/" + newer + "$replaces", nil},
	} {
		r := c.do("GET", "/DocumentReference?"+strings.ReplaceAll(tc.query, "$", "%24"), "", "Prefer", "handling=strict")
		if r.status != 200 {
			t.Errorf("%s: %d %v", tc.query, r.status, issueText(r.body))
			continue
		}
		var got []string
		entries, _ := r.body["entry"].([]any)
		for _, e := range entries {
			got = append(got, e.(map[string]any)["resource"].(map[string]any)["id"].(string))
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: %v, want %v", tc.query, got, tc.want)
		}
	}
}
