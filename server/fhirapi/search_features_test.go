package fhirapi_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"yigong/server/servertest"
)

// TestSearchFeatures covers compartment searches, paging both ways, token
// :above and :below, near and the in-place $meta-add and $meta-delete, on
// both stores.
func TestSearchFeatures(t *testing.T) {
	t.Parallel()
	for _, st := range servertest.Stores() {
		t.Run(st.Name, func(t *testing.T) {
			t.Parallel()
			hub := st.Start(t)
			c := client{t, hub.URL("/fhir")}
			ids := searchFixture(t, c)
			t.Run("compartment", func(t *testing.T) { testCompartment(t, c, ids) })
			t.Run("previous", func(t *testing.T) { testPrevious(t, c) })
			t.Run("above-below", func(t *testing.T) { testAboveBelow(t, c, ids) })
			t.Run("near", func(t *testing.T) { testNear(t, c) })
			t.Run("meta-in-place", func(t *testing.T) { testMetaInPlace(t, c) })
		})
	}
}

func testCompartment(t *testing.T, c client, ids map[string]string) {
	// Observation-5 is in Patient-1's compartment through performer only.
	r := c.do("POST", "/Observation", fmt.Sprintf(`{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},
		"subject":{"reference":"Patient/%s"},"performer":[{"reference":"Patient/%s"}]}`, ids["Patient-3"], ids["Patient-1"]))
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	ids["Observation-5"] = r.body["id"].(string)
	p1, p3 := ids["Patient-1"], ids["Patient-3"]
	tests := []struct {
		path string
		want []string
	}{
		{"/Patient/" + p1 + "/Observation", []string{"Observation-1", "Observation-2", "Observation-5"}},
		{"/Patient/" + p1 + "/Observation?code=8310-5", []string{"Observation-2"}},
		{"/Patient/" + p1 + "/Observation?code=8867-4&_sort=-_id", []string{"Observation-1", "Observation-5"}},
		{"/Patient/" + p3 + "/Observation", []string{"Observation-3", "Observation-4", "Observation-5"}},
		{"/Patient/" + p1 + "/Encounter", []string{"Encounter-1"}},
		{"/Patient/" + p1 + "/Patient", []string{"Patient-1"}},
		{"/Patient/" + p1 + "/*", []string{"Patient-1", "Encounter-1", "Observation-1", "Observation-2", "Observation-5"}},
		{"/Patient/" + p1 + "/*?_type=Encounter,Organization", []string{"Encounter-1"}},
		{"/Patient/" + p1 + "/*?_lastUpdated=gt2000", []string{"Patient-1", "Encounter-1", "Observation-1", "Observation-2", "Observation-5"}},
		{"/Patient/unknown/Observation", nil},
	}
	for _, tc := range tests {
		for _, count := range []string{"", "_count=1"} {
			path := tc.path
			if count != "" {
				path += map[bool]string{true: "&", false: "?"}[strings.Contains(path, "?")] + count
			}
			got := searchAll(t, c, path)
			var want []string
			for _, k := range tc.want {
				want = append(want, ids[k])
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s: got %v, want %v", path, keysOf(ids, got), tc.want)
			}
		}
	}
	// The paging links stay in the compartment.
	r = c.get("/Patient/" + p1 + "/Observation?_count=1")
	if next := link(r, "next"); !strings.Contains(next, "/fhir/Patient/"+p1+"/Observation?") {
		t.Errorf("next link %q", next)
	}
	// POST _search takes the form.
	r = c.do("POST", "/Patient/"+p1+"/Observation/_search", "code="+url.QueryEscape("http://loinc.org|8310-5"), "Content-Type", "application/x-www-form-urlencoded")
	if es, _ := r.body["entry"].([]any); r.status != 200 || len(es) != 1 {
		t.Errorf("POST _search: %d %s", r.status, r.raw)
	}
	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/Patient/" + p1 + "/Organization", 400},
		{"/Encounter/" + ids["Encounter-1"] + "/Observation", 404},
		{"/Patient/" + p1 + "/Nonsense", 404},
		{"/Patient/" + p1 + "/Observation?bogus=1", 400},
	} {
		if r := c.get(tc.path); r.status != tc.status {
			t.Errorf("%s: %d, want %d: %s", tc.path, r.status, tc.status, r.raw)
		}
	}
}

// testPrevious pages forward to the end through next links and back to the
// start through previous links.
func testPrevious(t *testing.T, c client) {
	for _, query := range []string{"/Observation?_count=2", "/Observation?_count=1&_sort=-date", "/Patient?_count=1&name=王", "/?_type=Patient,Encounter&_count=2"} {
		pageOf := func(path string) (reply, []string) {
			r := c.get(path)
			if r.status != 200 {
				t.Fatalf("GET %s: %d %s", path, r.status, r.raw)
			}
			var ids []string
			es, _ := r.body["entry"].([]any)
			for _, e := range es {
				ids = append(ids, e.(map[string]any)["resource"].(map[string]any)["id"].(string))
			}
			return r, ids
		}
		rel := func(u string) string { return u[strings.Index(u, "/fhir")+len("/fhir"):] }
		r, ids := pageOf(query)
		if link(r, "previous") != "" {
			t.Errorf("%s: the first page has a previous link", query)
		}
		pages := [][]string{ids}
		for link(r, "next") != "" && len(pages) < 20 {
			r, ids = pageOf(rel(link(r, "next")))
			pages = append(pages, ids)
		}
		if len(pages) < 2 {
			t.Fatalf("%s: one page only", query)
		}
		for i := len(pages) - 2; i >= 0; i-- {
			prev := link(r, "previous")
			if prev == "" {
				t.Fatalf("%s: page %d has no previous link", query, i+1)
			}
			r, ids = pageOf(rel(prev))
			if !slices.Equal(ids, pages[i]) {
				t.Fatalf("%s: previous of page %d is %v, want %v", query, i+1, ids, pages[i])
			}
		}
		if link(r, "previous") != "" {
			t.Errorf("%s: back at the first page, still a previous link", query)
		}
	}
}

func testAboveBelow(t *testing.T, c client, ids map[string]string) {
	const actCode = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"/Encounter?class:below=" + url.QueryEscape(actCode+"|_ActEncounterCode"), []string{"Encounter-1", "Encounter-2"}},
		{"/Encounter?class:below=" + url.QueryEscape(actCode+"|AMB"), []string{"Encounter-1", "Encounter-2"}},
		{"/Encounter?class:below=" + url.QueryEscape(actCode+"|IMP"), nil},
		{"/Encounter?class:above=" + url.QueryEscape(actCode+"|AMB"), []string{"Encounter-1", "Encounter-2"}},
		{"/Encounter?class:above=" + url.QueryEscape(actCode+"|_ActEncounterCode"), nil},
		{"/Observation?subject:Patient.gender:below=" + url.QueryEscape("http://hl7.org/fhir/administrative-gender|male"), []string{"Observation-1", "Observation-2"}},
	} {
		got := searchAll(t, c, tc.query)
		var want []string
		for _, k := range tc.want {
			want = append(want, ids[k])
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: got %v, want %v", tc.query, keysOf(ids, got), tc.want)
		}
	}
	// A code system that is not bundled: 400 not-supported, also when lenient.
	for _, prefer := range []string{"handling=strict", "handling=lenient"} {
		r := c.get("/Observation?code:below="+url.QueryEscape("http://loinc.org|8310-5"), "Prefer", prefer)
		if r.status != 400 || !strings.Contains(string(r.raw), `"not-supported"`) {
			t.Errorf("LOINC :below (%s): %d %s", prefer, r.status, r.raw)
		}
	}
}

func testNear(t *testing.T, c client) {
	ids := map[string]string{}
	for name, pos := range map[string]string{
		"tiananmen": `"latitude":39.9087,"longitude":116.3975`,
		"airport":   `"latitude":40.0799,"longitude":116.6031`, // 25.9 km from tiananmen
		"shanghai":  `"latitude":31.2304,"longitude":121.4737`, // 1,067 km
	} {
		r := c.do("POST", "/Location", `{"resourceType":"Location","name":"`+name+`","position":{`+pos+`}}`)
		if r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.raw)
		}
		ids[name] = r.body["id"].(string)
	}
	c.do("POST", "/Location", `{"resourceType":"Location","name":"nowhere"}`)
	for _, tc := range []struct {
		near string
		want []string
	}{
		{"39.9087|116.3975|10|km", []string{"tiananmen"}},
		{"39.9087|116.3975|10", []string{"tiananmen"}},
		{"39.9087|116.3975", []string{"tiananmen"}}, // the default distance
		{"39.9087|116.3975|26|km", []string{"tiananmen", "airport"}},
		{"39.9087|116.3975|25000|m", []string{"tiananmen"}},
		{"39.9087|116.3975|26000|m", []string{"tiananmen", "airport"}},
		{"39.9087|116.3975|17|[mi_i]", []string{"tiananmen", "airport"}},
		{"39.9087|116.3975|1060|km", []string{"tiananmen", "airport"}},
		{"39.9087|116.3975|1070|km", []string{"tiananmen", "airport", "shanghai"}},
		{"31.23|121.47|1|km,40.08|116.60|1|km", []string{"airport", "shanghai"}},
	} {
		got := searchAll(t, c, "/Location?near="+url.QueryEscape(tc.near)+"&_count=1")
		var want []string
		for _, k := range tc.want {
			want = append(want, ids[k])
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("near=%s: got %v, want %v", tc.near, keysOf(ids, got), tc.want)
		}
	}
	if r := c.get("/Location?near=" + url.QueryEscape("91|0|1|km")); r.status != 400 {
		t.Errorf("latitude 91: %d %s", r.status, r.raw)
	}
}

// testMetaInPlace checks that $meta-add and $meta-delete change the
// current version without a new one, and that _tag, _security and
// _profile searches follow.
func testMetaInPlace(t *testing.T, c client) {
	r := c.do("POST", "/Patient", `{"resourceType":"Patient","name":[{"family":"孙"}]}`)
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	id := r.body["id"].(string)
	lastUpdated := r.body["meta"].(map[string]any)["lastUpdated"]
	found := func(query string) bool {
		return slices.Contains(searchAll(t, c, "/Patient?"+query), id)
	}
	const (
		tag      = "_tag=" + "urn%3Ax%7Cfollow-up"
		security = "_security=" + "http%3A%2F%2Fterminology.hl7.org%2FCodeSystem%2Fv3-Confidentiality%7CR"
		profile  = "_profile=" + "http%3A%2F%2Fexample.org%2Fp"
	)
	meta := `{"resourceType":"Parameters","parameter":[{"name":"meta","valueMeta":{"tag":[{"system":"urn:x","code":"follow-up"}],
		"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}],"profile":["http://example.org/p"]}}]}`
	if r := c.do("POST", "/Patient/"+id+"/$meta-add", meta); r.status != 200 {
		t.Fatalf("$meta-add: %d %s", r.status, r.raw)
	}
	r = c.get("/Patient/" + id)
	m := r.body["meta"].(map[string]any)
	if m["versionId"] != "1" || m["lastUpdated"] != lastUpdated || m["security"] == nil || m["profile"] == nil {
		t.Errorf("after $meta-add: %s", r.raw)
	}
	h := c.get("/Patient/" + id + "/_history")
	if es, _ := h.body["entry"].([]any); len(es) != 1 {
		t.Errorf("history after $meta-add has %d entries", len(es))
	}
	for _, q := range []string{tag, security, profile} {
		if !found(q) {
			t.Errorf("%s does not find the patient after $meta-add", q)
		}
	}
	if r := c.do("POST", "/Patient/"+id+"/$meta-delete", meta); r.status != 200 {
		t.Fatalf("$meta-delete: %d %s", r.status, r.raw)
	}
	if v := c.get("/Patient/" + id).body["meta"].(map[string]any)["versionId"]; v != "1" {
		t.Errorf("version %v after $meta-delete", v)
	}
	for _, q := range []string{tag, security, profile} {
		if found(q) {
			t.Errorf("%s still finds the patient after $meta-delete", q)
		}
	}
	if !found("family=孙") {
		t.Error("the other index rows are gone")
	}
}
