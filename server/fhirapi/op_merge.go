package fhirapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"yigong/fhir"
	"yigong/fhir/store"
	"yigong/profiles/cn"
)

// Merger merges and unmerges patients reversibly; each returns the source
// and target as written, then the Provenance that records the change.
// yigong/server/empi.Service implements it.
type Merger interface {
	Merge(ctx context.Context, source, target store.Ref, preview bool) ([]*store.Resource, error)
	Unmerge(ctx context.Context, source, target store.Ref) ([]*store.Resource, error)
}

// merge serves POST [base]/Patient/$merge, the R5 operation
// (http://hl7.org/fhir/R5/patient-operation-merge.html) on R4 resources:
// source-patient or source-patient-identifier, target-patient or
// target-patient-identifier, preview. The source becomes active=false with
// link replaced-by the target, the target gets link replaces the source,
// and a Provenance records it; references to the source are not rewritten.
// result-patient (replacing the target's content) is not supported. The
// answer is a Parameters with outcome (an OperationOutcome naming the
// Provenance), result (the target) and source (the retired source).
func (o *operations) merge(c echo.Context) error {
	return o.mergeOp(c, "merge")
}

// unmerge serves POST [base]/Patient/$unmerge (yigong's own operation, the
// inverse of $merge, also of an ADT A40 merge): same source and target
// parameters; the links go, the source's active flag and the identifiers
// the merge moved are restored, and a Provenance records it. result is the
// restored source.
func (o *operations) unmerge(c echo.Context) error {
	return o.mergeOp(c, "unmerge")
}

func (o *operations) mergeOp(c echo.Context, op string) error {
	if _, err := onlyType(c, op, "Patient"); err != nil {
		return err
	}
	if o.api.merger == nil {
		return notSupported(op)
	}
	ps, err := readParams(c, false)
	if err != nil {
		return err
	}
	if _, ok := ps.get("result-patient"); ok {
		return invalidParam("result-patient", "not supported: the target keeps its content; update it separately")
	}
	preview, err := ps.boolean("preview")
	if err != nil {
		return err
	}
	if preview && op == "unmerge" {
		return invalidParam("preview", "$unmerge has no preview")
	}
	ctx := c.Request().Context()
	src, err := o.patientParam(ctx, ps, "source-patient")
	if err != nil {
		return err
	}
	tgt, err := o.patientParam(ctx, ps, "target-patient")
	if err != nil {
		return err
	}
	var out []*store.Resource
	if op == "merge" {
		out, err = o.api.merger.Merge(ctx, src, tgt, preview)
	} else {
		out, err = o.api.merger.Unmerge(ctx, src, tgt)
	}
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("Patient/%s merged into Patient/%s; recorded in Provenance/%s", out[0].ID, out[1].ID, out[2].ID)
	if op == "unmerge" {
		msg = fmt.Sprintf("Patient/%s unmerged from Patient/%s; recorded in Provenance/%s", out[0].ID, out[1].ID, out[2].ID)
	}
	if preview {
		msg = "preview, nothing written: " + msg
	}
	result, other := out[1], out[0]
	if op == "unmerge" {
		result, other = out[0], out[1]
	}
	params := []any{
		map[string]any{"name": "outcome", "resource": map[string]any{"resourceType": "OperationOutcome",
			"issue": []any{map[string]any{"severity": "information", "code": "informational", "diagnostics": msg}}}},
		map[string]any{"name": "result", "resource": json.RawMessage(result.JSON)},
		map[string]any{"name": map[bool]string{true: "target", false: "source"}[op == "unmerge"], "resource": json.RawMessage(other.JSON)},
		map[string]any{"name": "provenance", "valueReference": map[string]any{"reference": "Provenance/" + out[2].ID}},
	}
	return writeValue(c, http.StatusOK, map[string]any{"resourceType": "Parameters", "parameter": params})
}

// patientParam resolves name (a Reference) or name-identifier (an
// Identifier that must find exactly one Patient) to a Patient.
func (o *operations) patientParam(ctx context.Context, ps opParams, name string) (store.Ref, error) {
	if p, ok := ps.get(name); ok {
		ref := p.Value
		if p.Complex != nil {
			var r struct{ Reference string }
			if json.Unmarshal(p.Complex, &r) != nil {
				return store.Ref{}, invalidParam(name, "a Reference is required")
			}
			ref = r.Reference
		}
		id, ok := linkedID(ref)
		if !ok {
			return store.Ref{}, invalidParam(name, "%q is not a Patient reference", ref)
		}
		return store.Ref{Type: "Patient", ID: id}, nil
	}
	p, ok := ps.get(name + "-identifier")
	if !ok {
		return store.Ref{}, invalidParam(name, "%s or %s-identifier is required", name, name)
	}
	var id struct{ System, Value string }
	if p.Complex == nil || json.Unmarshal(p.Complex, &id) != nil || id.Value == "" {
		return store.Ref{}, invalidParam(name+"-identifier", "an Identifier with a value is required (valueIdentifier)")
	}
	se, ok := o.api.store.(store.Searcher)
	if !ok {
		return store.Ref{}, fhir.Errorf(fhir.KindNotSupported, "fhirapi: the store cannot search")
	}
	vals := []store.FilterValue{{System: id.System, Code: id.Value, NoSystem: id.System == ""}}
	if id.System != "" {
		vals = vals[:0]
		for _, s := range cn.Aliases(id.System) {
			vals = append(vals, store.FilterValue{System: s, Code: id.Value})
		}
	}
	page, err := se.Search(ctx, store.SearchQuery{Type: "Patient", Count: 2,
		Filters: []store.Filter{{Param: "identifier", Type: store.ParamToken, Values: vals}}})
	if err != nil {
		return store.Ref{}, err
	}
	switch len(page.Entries) {
	case 0:
		return store.Ref{}, fhir.Errorf(fhir.KindNotFound, "fhirapi: $merge: no Patient has %s %s|%s", name+"-identifier", id.System, id.Value)
	case 1:
		return page.Entries[0].Ref(), nil
	}
	return store.Ref{}, fhir.Errorf(fhir.KindConflict, "fhirapi: $merge: more than one Patient has %s %s|%s", name+"-identifier", id.System, id.Value)
}
