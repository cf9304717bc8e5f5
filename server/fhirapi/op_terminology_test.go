package fhirapi_test

import (
	"net/url"
	"slices"
	"testing"

	"yigong/server/servertest"
)

// param returns the value[x] of the named output parameter.
func (r reply) param(name string) any {
	ps, _ := r.body["parameter"].([]any)
	for _, p := range ps {
		m := p.(map[string]any)
		if m["name"] != name {
			continue
		}
		for k, v := range m {
			if len(k) > 5 && k[:5] == "value" {
				return v
			}
		}
	}
	return nil
}

// properties returns the code → values of the property parts of a $lookup answer.
func (r reply) properties() map[string][]any {
	out := map[string][]any{}
	ps, _ := r.body["parameter"].([]any)
	for _, p := range ps {
		m := p.(map[string]any)
		if m["name"] != "property" {
			continue
		}
		var code string
		var value any
		for _, part := range m["part"].([]any) {
			pm := part.(map[string]any)
			for k, v := range pm {
				if k == "valueCode" && pm["name"] == "code" {
					code = v.(string)
				} else if len(k) > 5 && k[:5] == "value" {
					value = v
				}
			}
		}
		out[code] = append(out[code], value)
	}
	return out
}

func (r reply) expansionCodes() []string {
	exp, _ := r.body["expansion"].(map[string]any)
	var out []string
	cs, _ := exp["contains"].([]any)
	for _, c := range cs {
		out = append(out, c.(map[string]any)["code"].(string))
	}
	return out
}

func TestTerminologyOperations(t *testing.T) {
	t.Parallel()
	hub := servertest.Start(t) // terminology does not touch the store
	c := client{t, hub.URL("/fhir")}
	const (
		gender    = "http://hl7.org/fhir/ValueSet/administrative-gender"
		genderCS  = "http://hl7.org/fhir/administrative-gender"
		actCode   = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
		encounter = "http://terminology.hl7.org/ValueSet/v3-ActEncounterCode"
	)
	q := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return "?" + v.Encode()
	}
	tests := []struct {
		name, method, path, body string
		wantStatus               int
		check                    func(t *testing.T, r reply)
	}{
		{name: "expand administrative-gender", method: "GET", path: "/ValueSet/$expand" + q("url", gender), wantStatus: 200,
			check: func(t *testing.T, r reply) {
				exp := r.body["expansion"].(map[string]any)
				if got := r.expansionCodes(); !slices.Equal(got, []string{"male", "female", "other", "unknown"}) || exp["total"] != 4.0 {
					t.Errorf("codes %v total %v", got, exp["total"])
				}
				if r.body["url"] != gender || r.body["resourceType"] != "ValueSet" {
					t.Errorf("answer: %s", r.raw)
				}
			}},
		{name: "expand instance by bundled id", method: "GET", path: "/ValueSet/administrative-gender/$expand", wantStatus: 200,
			check: func(t *testing.T, r reply) {
				if len(r.expansionCodes()) != 4 {
					t.Errorf("codes %v", r.expansionCodes())
				}
			}},
		{name: "expand filter=fem", method: "GET", path: "/ValueSet/$expand" + q("url", gender, "filter", "fem"), wantStatus: 200,
			check: func(t *testing.T, r reply) {
				if got := r.expansionCodes(); !slices.Equal(got, []string{"female"}) {
					t.Errorf("codes %v", got)
				}
			}},
		{name: "expand is-a hierarchy, paged", method: "GET", path: "/ValueSet/$expand" + q("url", encounter, "count", "3", "offset", "1"), wantStatus: 200,
			check: func(t *testing.T, r reply) {
				exp := r.body["expansion"].(map[string]any)
				if got := r.expansionCodes(); len(got) != 3 || got[0] != "EMER" || exp["total"] != 11.0 || exp["offset"] != 1.0 {
					t.Errorf("codes %v total %v offset %v", got, exp["total"], exp["offset"])
				}
			}},
		{name: "expand POST with an inline value set", method: "POST", path: "/ValueSet/$expand",
			body:       `{"resourceType":"Parameters","parameter":[{"name":"valueSet","resource":{"resourceType":"ValueSet","status":"active","compose":{"include":[{"system":"` + actCode + `","filter":[{"property":"concept","op":"is-a","value":"_ActEncounterCode"}]}]}}},{"name":"filter","valueString":"amb"}]}`,
			wantStatus: 200, check: func(t *testing.T, r reply) {
				if got := r.expansionCodes(); !slices.Contains(got, "AMB") || slices.Contains(got, "EMER") {
					t.Errorf("codes %v", got)
				}
			}},
		{name: "expand SNOMED set is not supported", method: "GET", path: "/ValueSet/$expand" + q("url", "http://hl7.org/fhir/ValueSet/clinical-findings"), wantStatus: 501,
			check: func(t *testing.T, r reply) {
				if is := r.body["issue"].([]any)[0].(map[string]any); is["code"] != "not-supported" {
					t.Errorf("outcome %s", r.raw)
				}
			}},
		{name: "expand unknown value set", method: "GET", path: "/ValueSet/$expand" + q("url", "http://example.org/none"), wantStatus: 404,
			check: func(t *testing.T, r reply) {
				if r.issueExpression() != "url" {
					t.Errorf("location %q", r.issueExpression())
				}
			}},
		{name: "expand without url", method: "GET", path: "/ValueSet/$expand", wantStatus: 400,
			check: func(t *testing.T, r reply) {
				if r.issueExpression() != "url" {
					t.Errorf("location %q", r.issueExpression())
				}
			}},
		{name: "expand bad count", method: "GET", path: "/ValueSet/$expand" + q("url", gender, "count", "x"), wantStatus: 400,
			check: func(t *testing.T, r reply) {
				if r.issueExpression() != "count" {
					t.Errorf("location %q", r.issueExpression())
				}
			}},
		{name: "expand on Patient", method: "GET", path: "/Patient/$expand", wantStatus: 404},
		{name: "lookup female", method: "GET", path: "/CodeSystem/$lookup" + q("system", genderCS, "code", "female"), wantStatus: 200,
			check: func(t *testing.T, r reply) {
				if r.param("display") != "Female" || r.param("name") != "AdministrativeGender" || r.param("version") != "4.0.1" {
					t.Errorf("lookup %s", r.raw)
				}
			}},
		{name: "lookup POST coding with parent and child", method: "POST", path: "/CodeSystem/$lookup",
			body:       `{"resourceType":"Parameters","parameter":[{"name":"coding","valueCoding":{"system":"` + actCode + `","code":"_ActEncounterCode"}}]}`,
			wantStatus: 200, check: func(t *testing.T, r reply) {
				props := r.properties()
				if !slices.Contains(props["child"], any("AMB")) || !slices.Contains(props["notSelectable"], any(true)) {
					t.Errorf("properties %v", props)
				}
			}},
		{name: "lookup unknown code", method: "GET", path: "/CodeSystem/$lookup" + q("system", genderCS, "code", "f"), wantStatus: 404,
			check: func(t *testing.T, r reply) {
				if r.issueExpression() != "code" {
					t.Errorf("location %q", r.issueExpression())
				}
			}},
		{name: "lookup without system", method: "GET", path: "/CodeSystem/$lookup" + q("code", "female"), wantStatus: 400,
			check: func(t *testing.T, r reply) {
				if r.issueExpression() != "system" {
					t.Errorf("location %q", r.issueExpression())
				}
			}},
		{name: "validate-code true", method: "GET", path: "/ValueSet/$validate-code" + q("url", gender, "system", genderCS, "code", "female"), wantStatus: 200,
			check: func(t *testing.T, r reply) {
				if r.param("result") != true || r.param("display") != "Female" {
					t.Errorf("%s", r.raw)
				}
			}},
		{name: "validate-code false", method: "GET", path: "/ValueSet/$validate-code" + q("url", gender, "system", genderCS, "code", "woman"), wantStatus: 200,
			check: func(t *testing.T, r reply) {
				if r.param("result") != false || r.param("message") == nil {
					t.Errorf("%s", r.raw)
				}
			}},
		{name: "validate-code wrong system", method: "GET", path: "/ValueSet/$validate-code" + q("url", gender, "system", "http://snomed.info/sct", "code", "female"), wantStatus: 200,
			check: func(t *testing.T, r reply) {
				if r.param("result") != false {
					t.Errorf("%s", r.raw)
				}
			}},
		{name: "validate-code wrong display", method: "GET", path: "/ValueSet/$validate-code" + q("url", gender, "system", genderCS, "code", "female", "display", "Male"), wantStatus: 200,
			check: func(t *testing.T, r reply) {
				if r.param("result") != false {
					t.Errorf("%s", r.raw)
				}
			}},
		{name: "validate-code CodeableConcept", method: "POST", path: "/ValueSet/$validate-code",
			body:       `{"resourceType":"Parameters","parameter":[{"name":"url","valueUri":"` + encounter + `"},{"name":"codeableConcept","valueCodeableConcept":{"coding":[{"system":"http://x","code":"y"},{"system":"` + actCode + `","code":"IMP"}]}}]}`,
			wantStatus: 200, check: func(t *testing.T, r reply) {
				if r.param("result") != true || r.param("display") != "inpatient encounter" {
					t.Errorf("%s", r.raw)
				}
			}},
		{name: "validate-code Coding outside hierarchy", method: "POST", path: "/ValueSet/$validate-code",
			body:       `{"resourceType":"Parameters","parameter":[{"name":"url","valueUri":"` + encounter + `"},{"name":"coding","valueCoding":{"system":"` + actCode + `","code":"CASH"}}]}`,
			wantStatus: 200, check: func(t *testing.T, r reply) {
				if r.param("result") != false {
					t.Errorf("%s", r.raw)
				}
			}},
		{name: "validate-code without code", method: "GET", path: "/ValueSet/$validate-code" + q("url", gender), wantStatus: 400,
			check: func(t *testing.T, r reply) {
				if r.issueExpression() != "code" {
					t.Errorf("location %q", r.issueExpression())
				}
			}},
		{name: "CodeSystem validate-code true", method: "GET", path: "/CodeSystem/$validate-code" + q("url", genderCS, "code", "other"), wantStatus: 200,
			check: func(t *testing.T, r reply) {
				if r.param("result") != true || r.param("display") != "Other" {
					t.Errorf("%s", r.raw)
				}
			}},
		{name: "CodeSystem validate-code false", method: "GET", path: "/CodeSystem/$validate-code" + q("url", genderCS, "code", "F"), wantStatus: 200,
			check: func(t *testing.T, r reply) {
				if r.param("result") != false {
					t.Errorf("%s", r.raw)
				}
			}},
		{name: "subsumes", method: "GET", path: "/CodeSystem/$subsumes" + q("system", actCode, "codeA", "_ActEncounterCode", "codeB", "AMB"), wantStatus: 200,
			check: func(t *testing.T, r reply) {
				if r.param("outcome") != "subsumes" {
					t.Errorf("%s", r.raw)
				}
			}},
		{name: "subsumed-by (POST codings)", method: "POST", path: "/CodeSystem/$subsumes",
			body:       `{"resourceType":"Parameters","parameter":[{"name":"codingA","valueCoding":{"system":"` + actCode + `","code":"AMB"}},{"name":"codingB","valueCoding":{"system":"` + actCode + `","code":"_ActEncounterCode"}}]}`,
			wantStatus: 200, check: func(t *testing.T, r reply) {
				if r.param("outcome") != "subsumed-by" {
					t.Errorf("%s", r.raw)
				}
			}},
		{name: "not-subsumed", method: "GET", path: "/CodeSystem/$subsumes" + q("system", actCode, "codeA", "AMB", "codeB", "EMER"), wantStatus: 200,
			check: func(t *testing.T, r reply) {
				if r.param("outcome") != "not-subsumed" {
					t.Errorf("%s", r.raw)
				}
			}},
		{name: "equivalent", method: "GET", path: "/CodeSystem/$subsumes" + q("system", actCode, "codeA", "AMB", "codeB", "AMB"), wantStatus: 200,
			check: func(t *testing.T, r reply) {
				if r.param("outcome") != "equivalent" {
					t.Errorf("%s", r.raw)
				}
			}},
		{name: "subsumes without codeB", method: "GET", path: "/CodeSystem/$subsumes" + q("system", actCode, "codeA", "AMB"), wantStatus: 400,
			check: func(t *testing.T, r reply) {
				if r.issueExpression() != "codeB" {
					t.Errorf("location %q", r.issueExpression())
				}
			}},
		{name: "Parameters body required", method: "POST", path: "/CodeSystem/$subsumes", body: `{"resourceType":"Patient"}`, wantStatus: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := c.do(tt.method, tt.path, tt.body)
			if r.status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", r.status, tt.wantStatus, r.raw)
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}
