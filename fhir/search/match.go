package search

import (
	"context"
	"net/url"

	"yigong/fhir"
	"yigong/fhir/store"
)

// Match returns the current resources of resourceType matching a search
// query string ("identifier=http://x|1&active=true"), for conditional
// create, update, patch and delete and for conditional references in
// transactions. It matches exactly as GET [type]?query does, with strict
// handling (an unknown or malformed parameter is a KindInvalid error, never
// ignored); result parameters (_count, _sort, _include...) are ignored. At
// most store.MaxCount matches are returned: callers only distinguish none,
// one and several. se may be a store.Tx that searches, which then sees its
// own writes.
func Match(ctx context.Context, se store.Searcher, ps Params, resourceType, query, baseURL string) ([]*store.Resource, error) {
	vals, err := url.ParseQuery(query)
	if err != nil {
		return nil, &fhir.Error{Kind: fhir.KindInvalid, Msg: "search: match: criteria " + query, Err: err}
	}
	for _, k := range []string{"_count", "_sort", "_include", "_revinclude", "_total", "_summary", "_elements", "_format", "_pretty", "_cursor"} {
		vals.Del(k)
	}
	if len(vals) == 0 {
		return nil, fhir.Errorf(fhir.KindInvalid, "search: match: criteria %q select nothing", query)
	}
	plan, err := Parse(ps, resourceType, vals, ParseOptions{BaseURL: baseURL})
	if err != nil {
		return nil, err
	}
	plan.Query.Count = store.MaxCount
	page, err := se.Search(ctx, plan.Query)
	if err != nil {
		return nil, err
	}
	return page.Entries, nil
}
