package fhirapi

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"yigong/fhir"
	"yigong/fhir/search"
	"yigong/fhir/store"
	"yigong/fhir/terminology"
)

// searchInteractions lists the search interactions registerSearch adds, for
// Interactions and the CapabilityStatement.
func (a *API) searchInteractions() []Interaction {
	return []Interaction{
		{"search-type", "type", http.MethodGet, "/:type"},
		{"search-type", "type", http.MethodPost, "/:type/_search"},
		{"search-system", "system", http.MethodGet, ""},
		{"search-system", "system", http.MethodPost, "/_search"},
		{"search-type", "type", http.MethodGet, "/:type/:id/:ctype"},
		{"search-type", "type", http.MethodPost, "/:type/:id/:ctype/_search"},
	}
}

// registerSearch adds the search routes (search-type, search-system,
// POST _search, compartment searches) and the reindex operation.
func (a *API) registerSearch(g *echo.Group) {
	s := &searcher{API: a, terms: terminology.New()}
	g.GET("/:type", s.searchType, a.checkFormat)
	g.POST("/:type/_search", s.searchType, a.checkFormat)
	g.GET("", s.searchSystem, a.checkFormat)
	g.GET("/", s.searchSystem, a.checkFormat)
	g.POST("/_search", s.searchSystem, a.checkFormat)
	g.GET("/:type/:id/:ctype", s.searchCompartment, a.checkFormat)
	g.POST("/:type/:id/:ctype/_search", s.searchCompartment, a.checkFormat)
	// $reindex: RegisterReindex (search_reindex.go), called by the server with its job registry.
}

// searcher serves the search interactions: the API and the terminology
// service token :above and :below expand codes with (loaded on first use).
type searcher struct {
	*API
	terms *terminology.Service
}

// match returns the current resources of resourceType matching a search
// query string ("identifier=http://x|1&active=true"), for conditional
// create, update, patch and delete and for conditional references in
// transactions. It matches exactly as GET [type]?query does, with strict
// handling (an unknown or malformed parameter is a KindInvalid error, never
// ignored), over all institutions; result parameters (_count, _sort,
// _include...) are ignored. At most store.MaxCount matches are returned:
// callers only distinguish none, one and several.
func (a *API) match(ctx context.Context, resourceType, query string) ([]*store.Resource, error) {
	se, ok := a.store.(store.Searcher)
	if !ok {
		return nil, fhir.Errorf(fhir.KindNotSupported, "fhirapi: match: the store cannot search")
	}
	return a.matchWith(ctx, se, resourceType, query)
}

// matchWith is match on a given Searcher (a store.Tx that can search, so a
// transaction sees its own writes).
func (a *API) matchWith(ctx context.Context, se store.Searcher, resourceType, query string) ([]*store.Resource, error) {
	ps, err := a.searchParams(ctx)
	if err != nil {
		return nil, err
	}
	return search.Match(ctx, se, ps, resourceType, query, a.baseURL())
}

// searchParams returns the parameter definitions searches are parsed with:
// the store's production indexer (core parameters and SearchParameter
// resources, loaded from the store before the first search), else the core
// parameters.
func (a *API) searchParams(ctx context.Context) (search.Params, error) {
	ix := a.indexer()
	if ix == nil {
		return search.Builtin{}, nil
	}
	if err := ix.LoadSearchParameters(ctx, a.listSearchParameters); err != nil {
		return nil, err
	}
	return ix, nil
}

// indexer returns the store's *search.Indexer, if it has one.
func (a *API) indexer() *search.Indexer {
	ri, ok := a.store.(store.Reindexer)
	if !ok {
		return nil
	}
	ix, _ := ri.Indexer().(*search.Indexer)
	return ix
}

// listSearchParameters returns the JSON of every stored SearchParameter.
func (a *API) listSearchParameters(ctx context.Context) ([][]byte, error) {
	se, ok := a.store.(store.Searcher)
	if !ok {
		return nil, nil
	}
	var out [][]byte
	q := store.SearchQuery{Type: "SearchParameter", Count: store.MaxCount}
	for {
		page, err := se.Search(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, r := range page.Entries {
			out = append(out, r.JSON)
		}
		if page.Next == "" {
			return out, nil
		}
		q.Cursor = page.Next
	}
}
