package transaction_test

import (
	"context"
	"encoding/json"
	"testing"

	"yigong/fhir/store"
	"yigong/fhir/transaction"
)

// A POST with ifNoneExist that matches an existing resource keeps that
// resource's id, and other entries' references to its fullUrl are
// rewritten to it, not to a fresh id that is never written.
func TestIfNoneExistMatchedIsReferenced(t *testing.T) {
	t.Parallel()
	const b = `{"resourceType":"Bundle","type":"transaction","entry":[
 {"fullUrl":"urn:uuid:33333333-3333-3333-3333-333333333333",
  "resource":{"resourceType":"Patient","identifier":[{"system":"urn:example:mrn","value":"7"}]},
  "request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=urn:example:mrn|7"}},
 {"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"urn:uuid:33333333-3333-3333-3333-333333333333"}},
  "request":{"method":"POST","url":"Observation"}}]}`
	forEachEngine(t, func(t *testing.T, _ store.Store, p *transaction.Processor) {
		ctx := context.Background()
		var ids []string
		for i := range 2 {
			resp, err := p.Execute(ctx, bundle(t, b))
			if err != nil {
				t.Fatal(err)
			}
			var pat, obs struct {
				ID      string `json:"id"`
				Subject struct {
					Reference string `json:"reference"`
				} `json:"subject"`
			}
			json.Unmarshal(resp[0].Resource, &pat)
			json.Unmarshal(resp[1].Resource, &obs)
			if obs.Subject.Reference != "Patient/"+pat.ID {
				t.Errorf("run %d: subject %s, want Patient/%s", i, obs.Subject.Reference, pat.ID)
			}
			ids = append(ids, pat.ID)
		}
		if ids[0] != ids[1] {
			t.Errorf("two patients: %v", ids)
		}
	})
}
