package fhirapi_test

import (
	"net/http"
	"net/url"
	"testing"

	"yigong/server/servertest"
)

// TestSearchChineseIdentity: both OIDs of the resident ID find a patient
// stored under either, and the phonetic parameter finds 王小东 by pinyin,
// with or without tones and spaces.
func TestSearchChineseIdentity(t *testing.T) {
	t.Parallel()
	for _, st := range servertest.Stores() {
		t.Run(st.Name, func(t *testing.T) {
			t.Parallel()
			c := client{t: t, base: st.Start(t).URL("/fhir")}
			r := c.do(http.MethodPost, "/Patient", patient) // resident ID under 2.16.156.10011.1.3
			if r.status != http.StatusCreated {
				t.Fatalf("create: %d %s", r.status, r.raw)
			}
			id := r.body["id"].(string)
			other := c.do(http.MethodPost, "/Patient", `{"resourceType":"Patient","identifier":[{"system":"urn:oid:2.16.840.1.113883.2.23.1.19.1","value":"11010119900307851X"}],"name":[{"family":"李","given":["建国"]}]}`)
			otherID := other.body["id"].(string)
			for _, tc := range []struct{ query, want string }{
				{"identifier=" + url.QueryEscape("urn:oid:2.16.840.1.113883.2.23.1.19.1|110101199003078515"), id},
				{"identifier=" + url.QueryEscape("2.16.156.10011.1.3|110101199003078515"), id},
				{"identifier=" + url.QueryEscape("urn:oid:2.16.156.10011.1.3|11010119900307851X"), otherID},
				{"phonetic=wangxiaodong", id},
				{"phonetic=" + url.QueryEscape("Wáng Xiǎodōng"), id},
				{"phonetic=wangxiao", id},
				{"phonetic=lijianguo", otherID},
			} {
				r := c.do(http.MethodGet, "/Patient?"+tc.query, "")
				es, _ := r.body["entry"].([]any)
				if r.status != http.StatusOK || len(es) != 1 || es[0].(map[string]any)["resource"].(map[string]any)["id"] != tc.want {
					t.Errorf("%s: %d, %d entries %s; want %s", tc.query, r.status, len(es), r.raw, tc.want)
				}
			}
		})
	}
}
