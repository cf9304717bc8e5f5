package auth_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"yigong/server"
	"yigong/server/servertest"
)

// TestMasterEverythingByInstitution (issue 8: "$everything on the master
// covers all linked records, subject to the caller's institution rights"):
// two township centres register the same man; the EMPI links both records
// under a master Patient owned by the hub. The county hospital's
// $everything on the master holds both records and their Observations; a
// township centre cannot see the master (it would show the other centre's
// record), and its own patient's $everything holds only its own data.
func TestMasterEverythingByInstitution(t *testing.T) {
	t.Parallel()
	h := servertest.Start(t, servertest.SMART, func(c *server.Config) { c.EMPI.Enabled = true })
	tok := func(id, inst string) rawClient {
		key := h.AddBackend(t, id, inst, "system/*.cruds")
		return rawClient{client{t, h, h.BackendToken(t, id, key, "system/*.cruds")}}
	}
	county, a, b := tok("his-county", "default"), tok("his-a", "th-a"), tok("his-b", "th-b")
	const residentID = "33012719880721421X"
	man := func(card, given string) string {
		return `{"resourceType":"Patient","identifier":[{"system":"http://yigong.cn/fhir/sid/org/` + card + `/card","value":"` + card + `"},
		 {"system":"urn:oid:2.16.156.10011.1.3","value":"` + residentID + `"}],"name":[{"family":"王","given":["` + given + `"]}],
		 "gender":"male","birthDate":"1988-07-21","telecom":[{"system":"phone","value":"13905710001"}]}`
	}
	obs := func(p, text string) string {
		return `{"resourceType":"Observation","status":"final","code":{"text":"` + text + `"},"subject":{"reference":"Patient/` + p + `"}}`
	}
	pa := a.create("Patient", man("ka", "小东"))
	oa := a.create("Observation", obs(pa, "血压"))
	pb := b.create("Patient", man("kb", "小東"))
	ob := b.create("Observation", obs(pb, "血糖"))

	var master string
	for i := 0; master == ""; i++ { // the EMPI links from the change outbox: poll
		_, body := county.do("GET", "/fhir/Patient?link="+url.QueryEscape("Patient/"+pa)+"&_elements=id", "")
		if j := strings.Index(body, `"id":"`); j >= 0 {
			master = body[j+6 : j+6+strings.Index(body[j+6:], `"`)]
		}
		if i == 200 && master == "" {
			t.Fatalf("no master links Patient/%s: %s", pa, body)
		}
		if master == "" {
			waitALittle()
		}
	}
	st, body := county.do("GET", "/fhir/Patient/"+master+"/$everything", "")
	for _, id := range []string{pa, pb, oa, ob} {
		if st != http.StatusOK || !strings.Contains(body, id) {
			t.Errorf("county $everything on the master lacks %s: %d %s", id, st, trim(body))
		}
	}
	if st, body := a.do("GET", "/fhir/Patient/"+master+"/$everything", ""); st != http.StatusNotFound || strings.Contains(body, pb) || strings.Contains(body, ob) {
		t.Errorf("township $everything on the master: %d %s, want 404 and nothing of th-b", st, trim(body))
	}
	st, body = a.do("GET", "/fhir/Patient/"+pa+"/$everything", "")
	if st != http.StatusOK || !strings.Contains(body, oa) || strings.Contains(body, pb) || strings.Contains(body, ob) {
		t.Errorf("township $everything on its own patient: %d %s, want %s and nothing of th-b", st, trim(body), oa)
	}
	// $match answers only what the caller may see.
	match := `{"resourceType":"Parameters","parameter":[{"name":"resource","resource":` + man("kz", "小东") + `}]}`
	st, body = a.do("POST", "/fhir/Patient/$match", match)
	if st != http.StatusOK || strings.Contains(body, pb) || strings.Contains(body, master) || !strings.Contains(body, pa) {
		t.Errorf("township $match: %d %s, want its own %s only", st, trim(body), pa)
	}
}
