package search

import (
	"context"
	"encoding/json"
	"fmt"

	"yigong/fhir"
	"yigong/fhir/terminology"
)

// Subsumption returns the CodeHierarchy of a terminology service: the
// code and its ancestors (above: the "generalizes" filter) or descendants
// (below: "is-a") in one of the bundled code systems. A code system the
// service does not bundle (SNOMED CT, LOINC...) is fhir.KindNotSupported.
func Subsumption(ctx context.Context, terms *terminology.Service) CodeHierarchy {
	return func(system, code string, above bool) ([]string, error) {
		if !terms.HasCodeSystem(system) {
			return nil, fhir.Errorf(fhir.KindNotSupported, "the code system %q is not available to this server (bundled code systems only)", system)
		}
		op := "is-a"
		if above {
			op = "generalizes"
		}
		vs, err := json.Marshal(map[string]any{"resourceType": "ValueSet", "status": "active",
			"compose": map[string]any{"include": []any{map[string]any{"system": system,
				"filter": []any{map[string]any{"property": "concept", "op": op, "value": code}}}}}})
		if err != nil {
			return nil, fmt.Errorf("search: subsumption value set: %w", err)
		}
		v, err := terminology.ParseValueSet(vs)
		if err != nil {
			return nil, err
		}
		exp, err := terms.Expand(ctx, v, terminology.ExpandOptions{})
		if err != nil {
			return nil, fmt.Errorf("search: subsumption of %s|%s: %w", system, code, err)
		}
		out := make([]string, 0, len(exp.Contains))
		for _, e := range exp.Contains {
			if e.System == system {
				out = append(out, e.Code)
			}
		}
		return out, nil
	}
}
