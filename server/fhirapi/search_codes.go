package fhirapi

import (
	"context"

	"yigong/fhir/search"
)

// codes returns the code hierarchy token :above and :below search with:
// the bundled code systems of the terminology service (SNOMED CT, LOINC
// and the other code systems not bundled answer not-supported).
func (a *searcher) codes(ctx context.Context) search.CodeHierarchy {
	return search.Subsumption(ctx, a.terms)
}
