package fhirapi_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"yigong/fhir/store"
	"yigong/server/servertest"
)

func TestResourceOperations(t *testing.T) {
	t.Parallel()
	for _, st := range servertest.Stores() {
		t.Run(st.Name, func(t *testing.T) {
			t.Parallel()
			hub := st.Start(t)
			c := client{t, hub.URL("/fhir")}
			t.Run("everything", func(t *testing.T) { t.Parallel(); testEverything(t, c) })
			t.Run("validate", func(t *testing.T) { t.Parallel(); testValidate(t, c) })
			t.Run("meta", func(t *testing.T) { t.Parallel(); testMeta(t, c) })
		})
	}
}

func (c client) create(body string) string {
	c.t.Helper()
	r := c.do("POST", "/"+strings.Split(strings.Split(body, `"resourceType":"`)[1], `"`)[0], body)
	if r.status != 201 {
		c.t.Fatalf("create: %d %s", r.status, r.raw)
	}
	return r.body["id"].(string)
}

// entryRefs lists the Type/id of a Bundle's entries.
func (r reply) entryRefs() []string {
	var out []string
	es, _ := r.body["entry"].([]any)
	for _, e := range es {
		res := e.(map[string]any)["resource"].(map[string]any)
		out = append(out, res["resourceType"].(string)+"/"+res["id"].(string))
	}
	return out
}

func (r reply) nextLink() string {
	ls, _ := r.body["link"].([]any)
	for _, l := range ls {
		if m := l.(map[string]any); m["relation"] == "next" {
			return m["url"].(string)
		}
	}
	return ""
}

func testEverything(t *testing.T, c client) {
	pat := c.create(patient)
	other := c.create(`{"resourceType":"Patient","name":[{"family":"李"}]}`)
	var want []string
	want = append(want, "Patient/"+pat)
	enc := c.create(fmt.Sprintf(`{"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/%s"}}`, pat))
	want = append(want, "Encounter/"+enc)
	var encObs []string
	for i := range 5 {
		id := c.create(fmt.Sprintf(`{"resourceType":"Observation","status":"final","code":{"text":"hr %d"},"subject":{"reference":"Patient/%s"},"encounter":{"reference":"Encounter/%s"}}`, i, pat, enc))
		want = append(want, "Observation/"+id)
		encObs = append(encObs, "Observation/"+id)
	}
	want = append(want, "Condition/"+c.create(fmt.Sprintf(`{"resourceType":"Condition","subject":{"reference":"Patient/%s"}}`, pat)))
	// The other patient's data must not appear.
	otherEnc := c.create(fmt.Sprintf(`{"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/%s"}}`, other))
	otherObs := c.create(fmt.Sprintf(`{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/%s"}}`, other))

	// Page through with _count=3.
	var got []string
	path := "/Patient/" + pat + "/$everything?_count=3"
	for pages := 0; path != ""; pages++ {
		if pages > 10 {
			t.Fatal("paging does not end")
		}
		r := c.do("GET", path, "")
		if r.status != 200 || r.body["type"] != "searchset" {
			t.Fatalf("$everything: %d %s", r.status, r.raw)
		}
		if r.body["total"] != float64(len(want)) {
			t.Errorf("total = %v, want %d", r.body["total"], len(want))
		}
		refs := r.entryRefs()
		if len(refs) > 3 {
			t.Errorf("page of %d entries", len(refs))
		}
		got = append(got, refs...)
		path = strings.TrimPrefix(r.nextLink(), c.base)
	}
	if got[0] != "Patient/"+pat {
		t.Errorf("first entry %s, want the patient", got[0])
	}
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	if !slices.Equal(g, w) {
		t.Errorf("$everything =\n%v\nwant\n%v", g, w)
	}
	for _, bad := range []string{"Patient/" + other, "Encounter/" + otherEnc, "Observation/" + otherObs} {
		if slices.Contains(got, bad) {
			t.Errorf("$everything leaks %s of another patient", bad)
		}
	}

	// _type narrows; POST works too.
	r := c.do("POST", "/Patient/"+pat+"/$everything?_type=Encounter", "")
	if refs := r.entryRefs(); r.status != 200 || !slices.Equal(refs, []string{"Encounter/" + enc}) {
		t.Errorf("_type=Encounter: %d %v", r.status, refs)
	}
	// Encounter/$everything: the encounter and what references it.
	r = c.do("GET", "/Encounter/"+enc+"/$everything?_count=100", "")
	refs := r.entryRefs()
	if r.status != 200 || refs[0] != "Encounter/"+enc || len(refs) != 1+len(encObs) {
		t.Errorf("Encounter $everything: %d %v", r.status, refs)
	}
	for _, bad := range []struct{ path, loc string }{
		{"/Patient/" + pat + "/$everything?_count=x", "_count"},
		{"/Patient/" + pat + "/$everything?_since=yesterday", "_since"},
		{"/Patient/" + pat + "/$everything?_type=Nope", "_type"},
	} {
		if r := c.do("GET", bad.path, ""); r.status != 400 || r.issueExpression() != bad.loc {
			t.Errorf("%s: %d location %q", bad.path, r.status, r.issueExpression())
		}
	}
	if r := c.do("GET", "/Patient/nope/$everything", ""); r.status != 404 {
		t.Errorf("unknown patient: %d", r.status)
	}
	if r := c.do("GET", "/Observation/x/$everything", ""); r.status != 404 {
		t.Errorf("Observation $everything: %d", r.status)
	}
}

func testValidate(t *testing.T, c client) {
	outcome := func(r reply) (errors int, locs []string) {
		for _, is := range r.body["issue"].([]any) {
			m := is.(map[string]any)
			if m["severity"] == "error" || m["severity"] == "fatal" {
				errors++
			}
			if ex, ok := m["expression"].([]any); ok {
				locs = append(locs, ex[0].(string))
			}
		}
		return errors, locs
	}
	tests := []struct {
		name, path, body string
		wantStatus       int
		wantErrors       bool
		wantLoc          string
	}{
		{"valid bare Patient", "/Patient/$validate", patient, 200, false, ""},
		{"valid in Parameters", "/Patient/$validate", `{"resourceType":"Parameters","parameter":[{"name":"resource","resource":` + patient + `}]}`, 200, false, ""},
		{"bad gender code", "/Patient/$validate", `{"resourceType":"Patient","gender":"woman"}`, 200, true, "Patient.gender"},
		{"unknown element", "/Patient/$validate", `{"resourceType":"Patient","name":[{"family":"王","givn":["x"]}]}`, 200, true, "Patient.name[0]"},
		{"invariant", "/Patient/$validate", `{"resourceType":"Patient","contact":[{"gender":"male"}]}`, 200, true, "Patient.contact[0]"},
		{"with profile", "/Observation/$validate", `{"resourceType":"Parameters","parameter":[{"name":"resource","resource":{"resourceType":"Observation","status":"final","code":{"text":"w"}}},{"name":"profile","valueUri":"http://hl7.org/fhir/StructureDefinition/bodyweight"}]}`, 200, true, "Observation"},
		{"unknown profile", "/Patient/$validate", `{"resourceType":"Parameters","parameter":[{"name":"resource","resource":` + patient + `},{"name":"profile","valueUri":"http://example.org/none"}]}`, 400, true, "profile"},
		{"type mismatch", "/Observation/$validate", patient, 400, true, "resource"},
		{"no resource", "/Patient/$validate", `{"resourceType":"Parameters","parameter":[{"name":"mode","valueCode":"create"}]}`, 400, true, "resource"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.do("POST", tt.path, tt.body)
			if r.status != tt.wantStatus || r.body["resourceType"] != "OperationOutcome" {
				t.Fatalf("status %d, want %d: %s", r.status, tt.wantStatus, r.raw)
			}
			n, locs := outcome(r)
			if (n > 0) != tt.wantErrors {
				t.Errorf("errors = %d: %s", n, r.raw)
			}
			if tt.wantLoc != "" && !slices.ContainsFunc(locs, func(l string) bool { return strings.HasPrefix(l, tt.wantLoc) }) {
				t.Errorf("locations %v, want one at %s: %s", locs, tt.wantLoc, r.raw)
			}
		})
	}
	id := c.create(patient)
	if r := c.do("POST", "/Patient/"+id+"/$validate", ""); r.status != 200 {
		t.Errorf("instance $validate of the stored resource: %d %s", r.status, r.raw)
	} else if n, _ := outcome(r); n != 0 {
		t.Errorf("stored patient invalid: %s", r.raw)
	}
}

func testMeta(t *testing.T, c client) {
	id := c.create(`{"resourceType":"Patient","meta":{"tag":[{"system":"http://x/tags","code":"keep"}]},"name":[{"family":"张"}]}`)
	metaOf := func(r reply) map[string]any {
		t.Helper()
		if r.status != 200 || r.body["resourceType"] != "Parameters" {
			t.Fatalf("meta answer: %d %s", r.status, r.raw)
		}
		return r.param("return").(map[string]any)
	}
	codes := func(m map[string]any, key string) []string {
		var out []string
		l, _ := m[key].([]any)
		for _, x := range l {
			if s, ok := x.(string); ok {
				out = append(out, s)
			} else if c := x.(map[string]any); c["system"] != store.InstitutionTagSystem { // the owner, always there
				out = append(out, c["code"].(string))
			}
		}
		return out
	}
	add := `{"resourceType":"Parameters","parameter":[{"name":"meta","valueMeta":{
		"tag":[{"system":"http://x/tags","code":"vip"},{"system":"http://x/tags","code":"keep"}],
		"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}],
		"profile":["http://example.org/p"]}}]}`
	m := metaOf(c.do("POST", "/Patient/"+id+"/$meta-add", add))
	if got := codes(m, "tag"); !slices.Equal(got, []string{"keep", "vip"}) || !slices.Equal(codes(m, "security"), []string{"R"}) || !slices.Equal(codes(m, "profile"), []string{"http://example.org/p"}) {
		t.Errorf("after $meta-add: %v", m)
	}
	// The resource carries it; the rest of it is untouched.
	r := c.do("GET", "/Patient/"+id, "")
	if meta := r.body["meta"].(map[string]any); !slices.Equal(codes(meta, "tag"), []string{"keep", "vip"}) || r.body["name"] == nil {
		t.Errorf("read after $meta-add: %s", r.raw)
	}
	version := r.body["meta"].(map[string]any)["versionId"]
	// Adding again changes nothing and writes nothing.
	metaOf(c.do("POST", "/Patient/"+id+"/$meta-add", add))
	if v := c.do("GET", "/Patient/"+id, "").body["meta"].(map[string]any)["versionId"]; v != version {
		t.Errorf("an idempotent $meta-add wrote version %v (was %v)", v, version)
	}
	m = metaOf(c.do("GET", "/Patient/"+id+"/$meta", ""))
	if !slices.Equal(codes(m, "tag"), []string{"keep", "vip"}) {
		t.Errorf("$meta: %v", m)
	}
	del := `{"resourceType":"Parameters","parameter":[{"name":"meta","valueMeta":{"tag":[{"system":"http://x/tags","code":"vip"}],"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}],"profile":["http://example.org/p"]}}]}`
	m = metaOf(c.do("POST", "/Patient/"+id+"/$meta-delete", del))
	if !slices.Equal(codes(m, "tag"), []string{"keep"}) || len(codes(m, "security")) != 0 || len(codes(m, "profile")) != 0 {
		t.Errorf("after $meta-delete: %v", m)
	}
	r = c.do("GET", "/Patient/"+id, "")
	if meta := r.body["meta"].(map[string]any); !slices.Equal(codes(meta, "tag"), []string{"keep"}) || meta["security"] != nil {
		t.Errorf("read after $meta-delete: %s", r.raw)
	}
	if !strings.Contains(string(r.raw), `{"system":"`+store.InstitutionTagSystem+`","code":"default"}`) {
		t.Errorf("the owning institution's tag is gone: %s", r.raw)
	}
	// Type and system level list what is in use.
	if m := metaOf(c.do("GET", "/Patient/$meta", "")); !slices.Contains(codes(m, "tag"), "keep") {
		t.Errorf("Patient/$meta: %v", m)
	}
	if m := metaOf(c.do("GET", "/$meta", "")); !slices.Contains(codes(m, "tag"), "keep") {
		t.Errorf("$meta: %v", m)
	}
	if r := c.do("POST", "/Patient/"+id+"/$meta-add", `{"resourceType":"Parameters","parameter":[{"name":"meta","valueString":"x"}]}`); r.status != 400 || r.issueExpression() != "meta" {
		t.Errorf("bad meta: %d %q", r.status, r.issueExpression())
	}
	if r := c.do("POST", "/Patient/nope/$meta-add", add); r.status != 404 {
		t.Errorf("unknown resource: %d", r.status)
	}
}
