package fhirapi_test

import (
	"net/url"
	"testing"

	"yigong/server/servertest"
)

// TestCapabilityOperations walks the operations the CapabilityStatement
// declares and calls each one: what is declared must work.
func TestCapabilityOperations(t *testing.T) {
	t.Parallel()
	hub := servertest.Start(t)
	c := client{t, hub.URL("/fhir")}
	md := c.do("GET", "/metadata", "")
	if md.status != 200 {
		t.Fatalf("metadata: %d", md.status)
	}
	rest := md.body["rest"].([]any)[0].(map[string]any)
	pat := c.create(patient)
	enc := c.create(`{"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/` + pat + `"}}`)
	instances := map[string]string{"Patient": pat, "Encounter": enc}
	other := c.create(`{"resourceType":"Patient","name":[{"family":"李","given":["四"]}],"gender":"female"}`)
	mergeParams := func(preview bool) string {
		return `{"resourceType":"Parameters","parameter":[` +
			`{"name":"source-patient","valueReference":{"reference":"Patient/` + other + `"}},` +
			`{"name":"target-patient","valueReference":{"reference":"Patient/` + pat + `"}}` +
			map[bool]string{true: `,{"name":"preview","valueBoolean":true}`, false: ``}[preview] + `]}`
	}
	meta := `{"resourceType":"Parameters","parameter":[{"name":"meta","valueMeta":{"tag":[{"system":"http://x","code":"y"}]}}]}`
	q := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return "?" + v.Encode()
	}
	type call struct{ method, path, body string }
	// probes returns the calls that exercise operation name on type typ
	// ("" = system level).
	probes := func(typ, name string) []call {
		id := instances[typ]
		switch name {
		case "everything":
			return []call{{"GET", "/" + typ + "/" + id + "/$everything", ""}, {"POST", "/" + typ + "/" + id + "/$everything", ""}}
		case "validate":
			return []call{{"POST", "/" + typ + "/$validate", `{"resourceType":"` + typ + `"}`}}
		case "meta":
			if typ == "" {
				return []call{{"GET", "/$meta", ""}}
			}
			calls := []call{{"GET", "/" + typ + "/$meta", ""}}
			if id != "" {
				calls = append(calls, call{"GET", "/" + typ + "/" + id + "/$meta", ""})
			}
			return calls
		case "meta-add", "meta-delete":
			if id == "" {
				return nil // checked on Patient and Encounter
			}
			return []call{{"POST", "/" + typ + "/" + id + "/$" + name, meta}}
		case "expand":
			return []call{{"GET", "/ValueSet/$expand" + q("url", "http://hl7.org/fhir/ValueSet/administrative-gender"), ""},
				{"GET", "/ValueSet/administrative-gender/$expand", ""}}
		case "lookup":
			return []call{{"GET", "/CodeSystem/$lookup" + q("system", "http://hl7.org/fhir/administrative-gender", "code", "male"), ""}}
		case "validate-code":
			if typ == "CodeSystem" {
				return []call{{"GET", "/CodeSystem/$validate-code" + q("url", "http://hl7.org/fhir/administrative-gender", "code", "male"), ""}}
			}
			return []call{{"GET", "/ValueSet/$validate-code" + q("url", "http://hl7.org/fhir/ValueSet/administrative-gender", "code", "male"), ""},
				{"GET", "/ValueSet/administrative-gender/$validate-code" + q("code", "male"), ""}}
		case "match":
			return []call{{"POST", "/Patient/$match", `{"resourceType":"Parameters","parameter":[{"name":"resource","resource":` + patient + `}]}`}}
		case "merge":
			return []call{{"POST", "/Patient/$merge", mergeParams(true)}}
		case "unmerge":
			return []call{{"POST", "/Patient/$merge", mergeParams(false)}, {"POST", "/Patient/$unmerge", mergeParams(false)}}
		case "subsumes":
			return []call{{"GET", "/CodeSystem/$subsumes" + q("system", "http://terminology.hl7.org/CodeSystem/v3-ActCode", "codeA", "_ActEncounterCode", "codeB", "AMB"), ""}}
		}
		t.Errorf("%s: operation $%s is declared but this test cannot call it", typ, name)
		return nil
	}
	walked := map[string]int{}
	walk := func(typ string, ops []any) {
		for _, o := range ops {
			name := o.(map[string]any)["name"].(string)
			if o.(map[string]any)["definition"] == nil {
				t.Errorf("%s $%s: no definition", typ, name)
			}
			for _, p := range probes(typ, name) {
				r := c.do(p.method, p.path, p.body)
				if r.status != 200 {
					t.Errorf("declared %s $%s: %s %s = %d %s", typ, name, p.method, p.path, r.status, r.raw)
				}
				walked[name]++
			}
		}
	}
	ops, _ := rest["operation"].([]any)
	walk("", ops)
	for _, res := range rest["resource"].([]any) {
		m := res.(map[string]any)
		ops, _ := m["operation"].([]any)
		walk(m["type"].(string), ops)
	}
	for _, name := range []string{"everything", "validate", "meta", "meta-add", "meta-delete", "expand", "lookup", "validate-code", "subsumes"} {
		if walked[name] == 0 {
			t.Errorf("the CapabilityStatement declares no working $%s", name)
		}
	}
}
