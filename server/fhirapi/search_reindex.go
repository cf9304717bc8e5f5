package fhirapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"yigong/fhir"
	"yigong/fhir/store"
)

// reindexStart serves POST [base]/$reindex[?_type=A,B][&_cursor=c]: it
// re-indexes one batch of resources with the current search parameters (a
// SearchParameter created meanwhile included) and answers a Parameters
// resource with done (this batch), total, and the cursor of the next batch
// ("" when finished). Clients (and `yigong reindex`) call it until the
// cursor is empty; each batch is one short write transaction, so a reindex
// never holds the writer for long and can stop and resume at any batch.
func (a *API) reindexStart(c echo.Context) error {
	ri, ok := a.store.(store.Reindexer)
	if !ok || ri.Indexer() == nil {
		return fhir.Errorf(fhir.KindNotSupported, "fhirapi: $reindex: the store has no indexer")
	}
	ctx := c.Request().Context()
	types := typesParam(c)
	total, err := ri.ReindexCount(ctx, types)
	if err != nil {
		return err
	}
	n, next, err := ri.Reindex(ctx, types, c.QueryParam("_cursor"), 500)
	if err != nil {
		return err
	}
	return writeValue(c, http.StatusOK, reindexParameters(int64(n), total, next))
}

// reindexStatus serves GET [base]/$reindex: the number of resources a
// reindex would visit.
func (a *API) reindexStatus(c echo.Context) error {
	ri, ok := a.store.(store.Reindexer)
	if !ok {
		return fhir.Errorf(fhir.KindNotSupported, "fhirapi: $reindex: the store has no indexer")
	}
	total, err := ri.ReindexCount(c.Request().Context(), typesParam(c))
	if err != nil {
		return err
	}
	return writeValue(c, http.StatusOK, reindexParameters(0, total, ""))
}

func typesParam(c echo.Context) []string {
	var types []string
	for _, v := range c.QueryParams()["_type"] {
		for _, t := range splitComma(v) {
			types = append(types, t)
		}
	}
	return types
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}

func reindexParameters(done, total int64, next string) map[string]any {
	ps := []any{
		map[string]any{"name": "done", "valueInteger": done},
		map[string]any{"name": "total", "valueInteger": total},
	}
	if next != "" {
		ps = append(ps, map[string]any{"name": "cursor", "valueString": next})
	}
	return map[string]any{"resourceType": "Parameters", "parameter": ps}
}
