package fhirapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"yigong/fhir"
	"yigong/fhir/fhirjson"
	"yigong/fhir/model"
	"yigong/fhir/store"
	"yigong/fhir/transaction"
)

// Access control of batch and transaction entries
// (http://hl7.org/fhir/R4/http.html#transaction): every entry is checked
// before anything is written, as the interaction it stands for, so a
// transaction is refused as a whole (403) when one entry is not the
// caller's to make. A patient-context or query-restricted caller may not
// PATCH in a Bundle (the result cannot be checked before it is written) or
// search in one (the page would be filtered after the fact); its reads are
// checked after execution and replaced by a 403 outcome when they fail.

// entryTarget splits request.url into type, id and query.
func entryTarget(rawURL string) (typ, id, query string) {
	path, query, _ := strings.Cut(rawURL, "?")
	path = strings.TrimPrefix(path, "/")
	parts := strings.Split(path, "/")
	typ = parts[0]
	if len(parts) > 1 {
		id = parts[1]
	}
	return typ, id, query
}

// checkEntries answers the access questions of a Bundle's entries.
func (a *API) checkEntries(ctx context.Context, g *guard, b *fhir.Node) error {
	if g.checker == nil {
		return nil
	}
	for i, e := range b.ChildrenNamed("entry") {
		if err := a.checkEntry(ctx, g, e); err != nil {
			return &fhir.Error{Kind: fhir.KindOf(err), Msg: fmt.Sprintf("Bundle.entry[%d]: %v", i, err), Err: err,
				Issues: []fhir.Issue{{Severity: fhir.SeverityError, Code: "forbidden", Expression: fmt.Sprintf("Bundle.entry[%d]", i),
					Diagnostic: err.Error()}}}
		}
	}
	return nil
}

func (a *API) checkEntry(ctx context.Context, g *guard, e *fhir.Node) error {
	var method, rawURL string
	if req := e.Child("request"); req != nil {
		method, rawURL = req.ChildValue("method"), req.ChildValue("url")
	}
	typ, id, query := entryTarget(rawURL)
	if typ == "" || strings.HasPrefix(typ, "$") || strings.HasPrefix(typ, "_") {
		return g.requireSystem("search-type") // system-level entries: searches, operations
	}
	if !model.IsResourceType(typ) {
		return nil // the processor reports it as invalid
	}
	var interaction string
	switch method {
	case http.MethodGet, http.MethodHead:
		interaction = "read"
		if id == "" {
			interaction = "search-type"
		}
	case http.MethodPost:
		interaction = "create"
	case http.MethodPut:
		interaction = "update"
	case http.MethodPatch:
		interaction = "patch"
	case http.MethodDelete:
		interaction = "delete"
	default:
		return nil // invalid: the processor says so
	}
	if _, err := g.decide(typ, interaction); err != nil {
		return err
	}
	restricted := g.restricted(typ, interaction)
	switch {
	case !restricted:
		return nil
	case interaction == "search-type" || interaction == "patch" || strings.HasPrefix(id, "$"):
		return &fhir.Error{Kind: fhir.KindForbidden, Msg: "auth: a caller limited to one patient or a query cannot " +
			interaction + " " + typ + " inside a Bundle"}
	case interaction == "read":
		return nil // checked on the answer
	}
	if res := e.Child("resource"); res != nil && (interaction == "create" || interaction == "update") {
		data, err := fhirjson.Marshal(res)
		if err != nil {
			return err
		}
		if err := g.check(typ, interaction, data); err != nil {
			return err
		}
	}
	if interaction == "create" {
		return nil
	}
	// update and delete: what they replace must be the caller's too.
	var targets []*store.Resource
	if query != "" {
		var err error
		if targets, err = a.match(ctx, typ, query); err != nil {
			return err
		}
	} else if id != "" {
		r, err := a.store.Read(ctx, store.Ref{Type: typ, ID: id})
		if err == nil {
			targets = append(targets, r)
		}
	}
	for _, r := range targets {
		if err := g.check(typ, interaction, r.JSON); err != nil {
			return err
		}
	}
	return nil
}

// checkAnswers replaces the answers to GET entries the caller may not see.
func checkAnswers(g *guard, resps []transaction.Response) {
	if g.checker == nil {
		return
	}
	for i := range resps {
		r := &resps[i]
		if len(r.Resource) == 0 {
			continue
		}
		var head struct {
			ResourceType string `json:"resourceType"`
		}
		if json.Unmarshal(r.Resource, &head) != nil || head.ResourceType == "" || head.ResourceType == "Bundle" {
			continue
		}
		if err := g.check(head.ResourceType, "read", r.Resource); err != nil {
			*r = transaction.Response{Status: http.StatusForbidden, Outcome: []fhir.Issue{{Severity: fhir.SeverityError,
				Code: "forbidden", Diagnostic: err.Error()}}}
		}
	}
}
