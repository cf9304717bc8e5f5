package fhirapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"yigong/fhir"
	"yigong/fhir/store"
	"yigong/fhir/transaction"
)

// processor executes batch and transaction Bundles for the API and for the
// adapters, with conditional matching by search.
func (a *API) processor(ctx context.Context) *transaction.Processor {
	return &transaction.Processor{
		Store:       a.store,
		Institution: a.owner(ctx),
		Matcher:     transaction.MatcherFunc(a.match),
		MatchIn: func(ctx context.Context, tx store.Tx, typ, query string) ([]*store.Resource, error) {
			se, ok := tx.(store.Searcher)
			if !ok {
				return nil, fhir.Errorf(fhir.KindNotSupported, "fhirapi: match: the store's transactions cannot search")
			}
			return a.matchWith(ctx, se, typ, query)
		},
	}
}

// Processor returns the Bundle executor the API uses, for adapters that
// write through the same transaction rules (HL7 v2 and DICOM mappings).
func (a *API) Processor() *transaction.Processor { return a.processor(context.Background()) }

// transaction serves POST [base] with a batch or transaction Bundle
// (http://hl7.org/fhir/R4/http.html#transaction): a transaction commits all
// entries or none; a batch reports each entry's own outcome.
func (a *API) transaction(c echo.Context) error {
	p := parsePrefer(c)
	b, _, err := decodeResource(c, "Bundle", p)
	if err != nil {
		return err
	}
	kind := b.ChildValue("type")
	g := a.guard(c)
	if err := a.checkEntries(c.Request().Context(), g, b); err != nil {
		return err
	}
	resps, err := a.processor(c.Request().Context()).Execute(c.Request().Context(), b)
	if err != nil {
		return err
	}
	checkAnswers(g, resps)
	return writeValue(c, http.StatusOK, a.responseBundle(kind+"-response", resps, p))
}

func (a *API) responseBundle(kind string, resps []transaction.Response, p prefer) map[string]any {
	entries := make([]any, 0, len(resps))
	for _, r := range resps {
		resp := map[string]any{"status": fmt.Sprintf("%d %s", r.Status, http.StatusText(r.Status))}
		if r.Location != "" {
			resp["location"] = r.Location
		}
		if r.ETag != "" {
			resp["etag"] = r.ETag
		}
		if !r.LastModified.IsZero() {
			resp["lastModified"] = r.LastModified.Format(time.RFC3339Nano)
		}
		if len(r.Outcome) > 0 {
			resp["outcome"] = OperationOutcome(r.Outcome)
		}
		e := map[string]any{"response": resp}
		if r.Resource != nil && p.ret != "minimal" {
			e["resource"] = json.RawMessage(r.Resource)
			if r.Location != "" {
				parts := strings.SplitN(r.Location, "/", 3)
				e["fullUrl"] = a.baseURL() + "/" + parts[0] + "/" + parts[1]
			}
		}
		entries = append(entries, e)
	}
	out := map[string]any{"resourceType": "Bundle", "type": kind}
	if len(entries) > 0 {
		out["entry"] = entries
	}
	return out
}

// conditionalTarget resolves the target of a conditional update, patch or
// delete ([type]?criteria): the matching resources, by search.
func (a *API) conditionalTarget(ctx context.Context, typ, query string) ([]*store.Resource, error) {
	if query == "" {
		return nil, fhir.Errorf(fhir.KindInvalid, "a conditional %s needs search criteria", typ)
	}
	return a.match(ctx, typ, query)
}
