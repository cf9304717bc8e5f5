package fhirapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"yigong/fhir"
	"yigong/fhir/empi"
	"yigong/fhir/r4"
	"yigong/fhir/store"
)

// Matcher finds the patients a Patient may be the same person as, best
// first (Candidate.ID is the Patient id, with its score and grade);
// yigong/server/empi.Service implements it.
type Matcher interface {
	MatchPatient(ctx context.Context, p *r4.Patient, onlyCertain bool, count int) ([]empi.Candidate, error)
}

// empiOperations are the EMPI operations, present when the API has a
// Matcher or Merger.
func (a *API) empiOperations() []Operation {
	post := []string{http.MethodPost}
	var ops []Operation
	if a.matcher != nil {
		ops = append(ops, Operation{"match", opDef + "Patient-match", "type", []string{"Patient"}, post, "/:type/$match"})
	}
	if a.merger != nil {
		ops = append(ops,
			Operation{"merge", opDef + "Patient-merge", "type", []string{"Patient"}, post, "/:type/$merge"},
			Operation{"unmerge", "http://yigong.cn/fhir/OperationDefinition/Patient-unmerge", "type", []string{"Patient"}, post, "/:type/$unmerge"})
	}
	return ops
}

// match serves POST [base]/Patient/$match
// (http://hl7.org/fhir/R4/patient-operation-match.html): the Patient in the
// "resource" parameter is matched by the EMPI; the answer is a searchset
// Bundle of current Patients, best first, each entry's search carrying
// mode "match", the score (0..1) and the match-grade extension
// (http://hl7.org/fhir/StructureDefinition/match-grade: certain, probable,
// possible). onlyCertainMatches keeps certain matches; count bounds the
// entries.
func (o *operations) match(c echo.Context) error {
	if _, err := onlyType(c, "match", "Patient"); err != nil {
		return err
	}
	ps, err := readParams(c, false)
	if err != nil {
		return err
	}
	only, err := ps.boolean("onlyCertainMatches")
	if err != nil {
		return err
	}
	count, err := ps.integer("count", 0)
	if err != nil {
		return err
	}
	p, ok := ps.get("resource")
	if !ok || p.Resource == nil {
		return invalidParam("resource", "$match needs the Patient to match in a \"resource\" parameter")
	}
	var head struct {
		ResourceType string `json:"resourceType"`
	}
	var pat r4.Patient
	if json.Unmarshal(p.Resource, &head) != nil || head.ResourceType != "Patient" || json.Unmarshal(p.Resource, &pat) != nil {
		return invalidParam("resource", "the resource to match must be a Patient")
	}
	ctx := c.Request().Context()
	cands, err := o.api.matcher.MatchPatient(ctx, &pat, only, count)
	if err != nil {
		return err
	}
	entries := make([]any, 0, len(cands))
	for _, cand := range cands {
		r, err := o.api.store.Read(ctx, store.Ref{Type: "Patient", ID: cand.ID})
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrGone) {
			continue // deleted since it was indexed
		}
		if err != nil {
			return fmt.Errorf("fhirapi: $match: read Patient/%s: %w", cand.ID, err)
		}
		entries = append(entries, map[string]any{
			"fullUrl":  o.api.baseURL() + "/Patient/" + r.ID,
			"resource": json.RawMessage(r.JSON),
			"search":   empi.SearchEntry(cand),
		})
	}
	b := map[string]any{"resourceType": "Bundle", "type": "searchset", "total": len(entries)}
	if len(entries) > 0 {
		b["entry"] = entries
	}
	return writeValue(c, http.StatusOK, b)
}

// notSupported is the answer of an EMPI operation without its service.
func notSupported(op string) error {
	return fhir.Errorf(fhir.KindNotSupported, "fhirapi: $%s: no EMPI service is configured", op)
}
