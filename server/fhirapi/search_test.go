package fhirapi_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"yigong/server/servertest"
)

func TestSearch(t *testing.T) {
	t.Parallel()
	for _, st := range servertest.Stores() {
		t.Run(st.Name, func(t *testing.T) {
			t.Parallel()
			testSearch(t, st.Start(t))
		})
	}
}

// searchFixture creates the resources the search tests expect and returns
// their ids by key.
func searchFixture(t *testing.T, c client) map[string]string {
	t.Helper()
	ids := map[string]string{}
	post := func(key, body string) {
		t.Helper()
		for k, id := range ids {
			body = strings.ReplaceAll(body, "{"+k+"}", id)
		}
		typ := strings.SplitN(key, "-", 2)[0]
		r := c.do("POST", "/"+typ, body)
		if r.status != 201 {
			t.Fatalf("create %s: %d %s", key, r.status, r.raw)
		}
		ids[key] = r.body["id"].(string)
	}
	post("Patient-1", `{"resourceType":"Patient","meta":{"tag":[{"system":"urn:tag","code":"vip"}]},
		"identifier":[{"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"NNCHN"}]},"system":"urn:oid:2.16.156.10011.1.3","value":"110101199003078515"}],
		"name":[{"family":"王","given":["小东"]}],"gender":"male","birthDate":"1990-03-07",
		"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">王小东 高血压随访</div>"}}`)
	post("Patient-2", `{"resourceType":"Patient","identifier":[{"system":"urn:x","value":"B2"}],"name":[{"text":"王 小东"}],"birthDate":"2001-02-03"}`)
	post("Patient-3", `{"resourceType":"Patient","identifier":[{"system":"urn:x","value":"C3"}],"name":[{"family":"Müller","given":["Hans"]}],"birthDate":"1985","active":false}`)
	post("Encounter-1", `{"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/{Patient-1}"}}`)
	post("Encounter-2", `{"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/{Patient-3}"}}`)
	obs := func(key, code, display, when, value, unit, subject string) {
		post(key, fmt.Sprintf(`{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":%q,"display":%q}]},
			"subject":{"reference":"Patient/{%s}"},"encounter":{"reference":"Encounter/{Encounter-1}"},"effectiveDateTime":%q,
			"valueQuantity":{"value":%s,"unit":%q,"system":"http://unitsofmeasure.org","code":%q}}`, code, display, subject, when, value, unit, unit))
	}
	obs("Observation-1", "8867-4", "Heart rate", "2024-05-01T08:30:00+08:00", "2000", "mg", "Patient-1")
	obs("Observation-2", "8310-5", "Body temperature", "2023-12-31T23:00:00+08:00", "99.5", "g", "Patient-1")
	obs("Observation-3", "8310-5", "Body temperature", "2022-06-01", "100", "g", "Patient-3")
	obs("Observation-4", "29463-7", "Body weight", "2021", "0.5", "g", "Patient-3")
	return ids
}

func testSearch(t *testing.T, hub *servertest.Hub) {
	c := client{t, hub.URL("/fhir")}
	ids := searchFixture(t, c)
	ref := func(k string) string { return url.QueryEscape(ids[k]) }

	tests := []struct {
		query string
		want  []string // keys of matches
	}{
		// string: normalised prefix, CJK whitespace, accents, :exact, :contains
		{"Patient?name=王小东", []string{"Patient-1", "Patient-2"}},
		{"Patient?name=王", []string{"Patient-1", "Patient-2"}},
		{"Patient?name=muller", []string{"Patient-3"}},
		{"Patient?name:exact=Müller", []string{"Patient-3"}},
		{"Patient?name:exact=müller", nil},
		{"Patient?name:contains=小东", []string{"Patient-1", "Patient-2"}},
		{"Patient?name:contains=ull", []string{"Patient-3"}},
		{"Patient?family:missing=true", []string{"Patient-2"}},
		// token
		{"Patient?identifier=urn:oid:2.16.156.10011.1.3|110101199003078515", []string{"Patient-1"}},
		{"Patient?identifier=110101199003078515", []string{"Patient-1"}},
		{"Patient?identifier=|110101199003078515", nil},
		{"Patient?identifier=urn:x|", []string{"Patient-2", "Patient-3"}},
		{"Patient?identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|NNCHN|110101199003078515", []string{"Patient-1"}},
		{"Patient?gender=male", []string{"Patient-1"}},
		{"Patient?gender:not=male", []string{"Patient-2", "Patient-3"}},
		{"Patient?gender:missing=false", []string{"Patient-1"}},
		{"Patient?active=false", []string{"Patient-3"}},
		{"Patient?gender:in=http://hl7.org/fhir/ValueSet/administrative-gender", []string{"Patient-1"}},
		{"Patient?_tag=urn:tag|vip", []string{"Patient-1"}},
		{"Observation?code=http://loinc.org|8310-5,http://loinc.org|29463-7", []string{"Observation-2", "Observation-3", "Observation-4"}},
		{"Observation?code:text=heart", []string{"Observation-1"}},
		{"Observation?code:not=8310-5", []string{"Observation-1", "Observation-4"}},
		// date: precision, zone, every prefix
		{"Patient?birthdate=1990", []string{"Patient-1"}},
		{"Patient?birthdate=1985-06", nil}, // 1985 is wider than June
		{"Patient?birthdate=lt1990-03-07", []string{"Patient-3"}},
		{"Patient?birthdate=le1990-03-07", []string{"Patient-1", "Patient-3"}},
		{"Patient?birthdate=gt1990-03-07", []string{"Patient-2"}},
		{"Patient?birthdate=ge1990-03-07", []string{"Patient-1", "Patient-2"}},
		{"Patient?birthdate=ne1990-03-07", []string{"Patient-2", "Patient-3"}},
		{"Observation?date=2024", []string{"Observation-1"}},
		{"Observation?date=2023", []string{"Observation-2"}}, // 23:00 +08:00 is still 2023 here
		{"Observation?date=2024-05-01T08:30:00%2B08:00", []string{"Observation-1"}},
		{"Observation?date=2024-05-01T00:30:00Z", []string{"Observation-1"}},
		{"Observation?date=sa2023", []string{"Observation-1"}},
		{"Observation?date=eb2022", []string{"Observation-4"}},
		{"Observation?date=eb2022-06-01", []string{"Observation-4"}},
		{"Observation?date=ap2024-05-01", []string{"Observation-1"}},
		{"Observation?date=ge2023-12-31&date=lt2024-06", []string{"Observation-1", "Observation-2"}},
		// quantity and number: precision ranges, UCUM
		{"Observation?value-quantity=100", []string{"Observation-2", "Observation-3"}},
		{"Observation?value-quantity=100.0", []string{"Observation-3"}},
		{"Observation?value-quantity=gt99.5", []string{"Observation-1", "Observation-3"}},
		{"Observation?value-quantity=ge99.5||g", []string{"Observation-2", "Observation-3"}},
		{"Observation?value-quantity=gt1|http://unitsofmeasure.org|g", []string{"Observation-1", "Observation-2", "Observation-3"}},
		{"Observation?value-quantity=2|http://unitsofmeasure.org|g", []string{"Observation-1"}},
		{"Observation?value-quantity=lt1000|http://unitsofmeasure.org|mg", []string{"Observation-4"}},
		{"Observation?value-quantity=ap110|http://unitsofmeasure.org|g", []string{"Observation-2", "Observation-3"}},
		// reference, :type, :identifier, chains, _has
		{"Observation?subject=Patient/" + ref("Patient-1"), []string{"Observation-1", "Observation-2"}},
		{"Observation?subject=" + ref("Patient-1"), []string{"Observation-1", "Observation-2"}},
		{"Observation?subject:Patient=" + ref("Patient-3"), []string{"Observation-3", "Observation-4"}},
		{"Observation?patient=" + url.QueryEscape(hub.URL("/fhir/Patient/"+ids["Patient-3"])), []string{"Observation-3", "Observation-4"}},
		{"Encounter?subject.family=王", []string{"Encounter-1"}},
		{"Encounter?subject:Patient.birthdate=lt1990", []string{"Encounter-2"}},
		{"Observation?encounter.subject.name=王小东", []string{"Observation-1", "Observation-2", "Observation-3", "Observation-4"}},
		{"Observation?subject:Patient.name=王小东&code=8310-5", []string{"Observation-2"}},
		{"Patient?_has:Observation:patient:code=8867-4", []string{"Patient-1"}},
		{"Patient?_has:Observation:patient:_has:Observation:encounter:code=bogus", nil},
		{"Encounter?_has:Observation:encounter:_has:Observation:subject:code=8867-4", nil},
		{"Patient?_has:Encounter:subject:_has:Observation:encounter:code=29463-7", []string{"Patient-1"}},
		// composite
		{"Observation?code-value-quantity=http://loinc.org|8867-4$gt1|http://unitsofmeasure.org|g", []string{"Observation-1"}},
		{"Observation?code-value-quantity=http://loinc.org|8867-4$lt1|http://unitsofmeasure.org|g", nil},
		// _id, _lastUpdated, _text, _content, _list
		{"Patient?_id=" + ref("Patient-2") + "," + ref("Patient-3"), []string{"Patient-2", "Patient-3"}},
		{"Patient?_lastUpdated=gt2000-01-01", []string{"Patient-1", "Patient-2", "Patient-3"}},
		{"Patient?_lastUpdated=lt2000-01-01", nil},
		{"Patient?_text=高血压", []string{"Patient-1"}},
		{"Patient?_content=hans", []string{"Patient-3"}},
		// system search
		{"?_type=Patient,Encounter&_id=" + ref("Patient-1") + "," + ref("Encounter-2"), []string{"Patient-1", "Encounter-2"}},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			for _, count := range []string{"", "&_count=1"} {
				got := searchAll(t, c, "/"+tc.query+count)
				var want []string
				for _, k := range tc.want {
					want = append(want, ids[k])
				}
				slices.Sort(want)
				slices.Sort(got)
				if !slices.Equal(got, want) {
					t.Fatalf("%s: got %v, want %v (%v)", count, keysOf(ids, got), tc.want, got)
				}
			}
		})
	}

	t.Run("sort", func(t *testing.T) {
		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"Observation?_sort=-date", []string{"Observation-1", "Observation-2", "Observation-3", "Observation-4"}},
			{"Observation?_sort=date", []string{"Observation-4", "Observation-3", "Observation-2", "Observation-1"}},
			{"Observation?_sort=code,-value-quantity", []string{"Observation-4", "Observation-3", "Observation-2", "Observation-1"}},
			{"Patient?_sort=family", []string{"Patient-3", "Patient-1", "Patient-2"}}, // müller < 王; no family last
			{"Patient?_sort=-birthdate", []string{"Patient-2", "Patient-1", "Patient-3"}},
		} {
			for _, count := range []string{"", "&_count=1", "&_count=3"} {
				got := searchAll(t, c, "/"+tc.query+count)
				var want []string
				for _, k := range tc.want {
					want = append(want, ids[k])
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s%s: got %v, want %v", tc.query, count, keysOf(ids, got), tc.want)
				}
			}
		}
	})

	t.Run("bundle", func(t *testing.T) {
		r := c.get("/Observation?code=8310-5&_count=1&_total=accurate")
		if r.status != 200 || r.body["type"] != "searchset" || r.body["total"] != float64(2) {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		entry := r.body["entry"].([]any)[0].(map[string]any)
		if entry["search"].(map[string]any)["mode"] != "match" || !strings.HasPrefix(entry["fullUrl"].(string), hub.URL("/fhir/Observation/")) {
			t.Errorf("entry %v", entry)
		}
		next := link(r, "next")
		if !strings.Contains(next, "code=8310-5") || !strings.Contains(next, "_count=1") || !strings.Contains(next, "_cursor=") {
			t.Errorf("next link %q lacks the query", next)
		}
		// A write between pages does not shift the next page.
		c.do("POST", "/Observation", `{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8310-5"}]}}`)
		first := entry["resource"].(map[string]any)["id"]
		r2 := c.get(strings.TrimPrefix(next, hub.URL("/fhir")))
		if r2.status != 200 || len(r2.body["entry"].([]any)) != 1 {
			t.Fatalf("page 2: %d %s", r2.status, r2.raw)
		}
		if id := r2.body["entry"].([]any)[0].(map[string]any)["resource"].(map[string]any)["id"]; id == first {
			t.Errorf("page 2 repeats %v", id)
		}
	})

	t.Run("summary count", func(t *testing.T) {
		r := c.get("/Observation?code=8310-5&_summary=count")
		if r.status != 200 || r.body["total"] == nil || r.body["entry"] != nil {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})

	t.Run("elements and summary", func(t *testing.T) {
		r := c.get("/Patient?_id=" + ref("Patient-1") + "&_elements=gender")
		res := r.body["entry"].([]any)[0].(map[string]any)["resource"].(map[string]any)
		if res["gender"] != "male" || res["name"] != nil || !strings.Contains(string(r.raw), "SUBSETTED") {
			t.Errorf("_elements: %s", r.raw)
		}
		r = c.get("/Patient?_id=" + ref("Patient-1") + "&_summary=true")
		res = r.body["entry"].([]any)[0].(map[string]any)["resource"].(map[string]any)
		if res["name"] == nil || res["text"] != nil {
			t.Errorf("_summary=true: %s", r.raw)
		}
		r = c.get("/Patient?_id=" + ref("Patient-1") + "&_summary=text")
		res = r.body["entry"].([]any)[0].(map[string]any)["resource"].(map[string]any)
		if res["text"] == nil || res["name"] != nil {
			t.Errorf("_summary=text: %s", r.raw)
		}
	})

	t.Run("include and revinclude", func(t *testing.T) {
		modes := func(r reply) map[string]string {
			out := map[string]string{}
			es, _ := r.body["entry"].([]any)
			for _, e := range es {
				e := e.(map[string]any)
				res := e["resource"].(map[string]any)
				out[keysOf(ids, []string{res["id"].(string)})[0]] = e["search"].(map[string]any)["mode"].(string)
			}
			return out
		}
		r := c.get("/Encounter?subject=Patient/" + ref("Patient-1") + "&_revinclude=Observation:encounter")
		got := modes(r)
		if len(got) != 5 || got["Encounter-1"] != "match" || got["Observation-1"] != "include" || got["Observation-4"] != "include" {
			t.Errorf("_revinclude: %v", got)
		}
		r = c.get("/Observation?code=8867-4&_include=Observation:subject&_include:iterate=Patient:general-practitioner")
		got = modes(r)
		if len(got) != 2 || got["Patient-1"] != "include" {
			t.Errorf("_include: %v", got)
		}
		r = c.get("/Observation?code=8867-4&_include=*")
		got = modes(r)
		if got["Patient-1"] != "include" || got["Encounter-1"] != "include" {
			t.Errorf("_include=*: %v", got)
		}
		r = c.get("/Observation?code=8867-4&_include=Observation:encounter&_include:iterate=Encounter:subject")
		got = modes(r)
		if got["Encounter-1"] != "include" || got["Patient-1"] != "include" {
			t.Errorf("_include:iterate: %v", got)
		}
	})

	t.Run("POST _search", func(t *testing.T) {
		r := c.do("POST", "/Patient/_search?gender=male", "name=%E7%8E%8B", "Content-Type", "application/x-www-form-urlencoded")
		if r.status != 200 || r.body["total"] != float64(1) {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})

	t.Run("errors", func(t *testing.T) {
		for _, tc := range []struct{ query, param string }{
			{"Patient?foo=bar", "foo"},
			{"Patient?birthdate=xx2024", "birthdate"},
			{"Patient?birthdate=2024-13-01", "birthdate"},
			{"Observation?value-quantity=abc", "value-quantity"},
			{"Patient?name:below=x", "name:below"},
			{"Patient?gender:missing=maybe", "gender:missing"},
			{"Patient?_sort=foo", "_sort"},
			{"Patient?_count=-1", "_count"},
			{"Patient?_summary=all", "_summary"},
			{"Patient?_include=Observation:subject", "_include"},
			{"Patient?general-practitioner.foo=1", "general-practitioner.foo"},
			{"Patient?_has:Observation:nope:code=1", "_has:Observation:nope:code"},
			{"Patient?gender:in=http://example.org/unknown-vs", "gender:in"},
			{"Patient?_cursor=!!", ""},
		} {
			r := c.get("/" + tc.query)
			if r.status != 400 || r.body["resourceType"] != "OperationOutcome" {
				t.Errorf("%s: %d %s", tc.query, r.status, r.raw)
				continue
			}
			if tc.param != "" && r.issueExpression() != tc.param {
				t.Errorf("%s: location %q, want %q", tc.query, r.issueExpression(), tc.param)
			}
		}
		r := c.get("/Patient?foo=bar&gender=male", "Prefer", "handling=lenient")
		if r.status != 200 || r.body["total"] != float64(1) {
			t.Fatalf("lenient: %d %s", r.status, r.raw)
		}
		es := r.body["entry"].([]any)
		last := es[len(es)-1].(map[string]any)
		if last["search"].(map[string]any)["mode"] != "outcome" || !strings.Contains(string(r.raw), "foo") {
			t.Errorf("lenient outcome entry: %s", r.raw)
		}
		if strings.Contains(link(r, "self"), "foo") {
			t.Errorf("self link keeps the ignored parameter: %s", link(r, "self"))
		}
	})

	t.Run("SearchParameter over REST", func(t *testing.T) {
		sp := `{"resourceType":"SearchParameter","url":"http://yigong.example/SearchParameter/patient-nationality","name":"nationality","status":"active",
			"description":"nationality extension","code":"nationality","base":["Patient"],"type":"token",
			"expression":"Patient.extension.where(url='http://yigong.example/nationality').value"}`
		if r := c.do("POST", "/SearchParameter", sp); r.status != 201 {
			t.Fatalf("create SearchParameter: %d %s", r.status, r.raw)
		}
		r := c.do("POST", "/Patient", `{"resourceType":"Patient","extension":[{"url":"http://yigong.example/nationality","valueCode":"han"}]}`)
		newID := r.body["id"].(string)
		got := searchAll(t, c, "/Patient?nationality=han")
		if !slices.Equal(got, []string{newID}) {
			t.Fatalf("nationality=han: %v, want [%s]", got, newID)
		}
		// Reindex backfills: every resource is visited, batch by batch.
		rr := c.do("POST", "/$reindex?_type=Patient", "")
		if rr.status != 200 || !strings.Contains(string(rr.raw), `"total"`) {
			t.Fatalf("$reindex: %d %s", rr.status, rr.raw)
		}
	})
}

// searchAll follows next links and returns the ids of the match entries.
func searchAll(t *testing.T, c client, path string) []string {
	t.Helper()
	var ids []string
	for range 50 {
		r := c.get(path)
		if r.status != 200 {
			t.Fatalf("GET %s: %d %s", path, r.status, r.raw)
		}
		es, _ := r.body["entry"].([]any)
		for _, e := range es {
			e := e.(map[string]any)
			if e["search"].(map[string]any)["mode"] == "match" {
				ids = append(ids, e["resource"].(map[string]any)["id"].(string))
			}
		}
		next := link(r, "next")
		if next == "" {
			return ids
		}
		path = next[strings.Index(next, "/fhir")+len("/fhir"):]
	}
	t.Fatal("paging does not end")
	return nil
}

func link(r reply, rel string) string {
	ls, _ := r.body["link"].([]any)
	for _, l := range ls {
		l := l.(map[string]any)
		if l["relation"] == rel {
			return l["url"].(string)
		}
	}
	return ""
}

func keysOf(ids map[string]string, got []string) []string {
	var out []string
	for _, g := range got {
		k := g
		for key, id := range ids {
			if id == g {
				k = key
			}
		}
		out = append(out, k)
	}
	return out
}

func (c client) get(path string, headers ...string) reply {
	c.t.Helper()
	return c.do("GET", path, "", headers...)
}
