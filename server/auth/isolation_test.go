package auth_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"yigong/fhir/store"
	"yigong/server/servertest"
)

// TestInstitutionIsolation is the leak suite of issue 4 §4: two township
// health centres under the hub's county hospital; the first tries to see
// the second's data through every FHIR path and must find nothing, until a
// referral shares one patient with it. Every response body is searched for
// the ids of the second centre's resources.
func TestInstitutionIsolation(t *testing.T) {
	t.Parallel()
	h := servertest.Start(t, servertest.SMART)
	tok := func(id, inst string) rawClient {
		key := h.AddBackend(t, id, inst, "system/*.cruds")
		return rawClient{client{t, h, h.BackendToken(t, id, key, "system/*.cruds")}}
	}
	hub, a, b := tok("his-county", "default"), tok("his-a", "th-a"), tok("his-b", "th-b")

	for _, org := range []string{
		`{"resourceType":"Organization","id":"th-a","name":"甲乡卫生院","partOf":{"reference":"Organization/default"},"type":[{"coding":[{"system":"urn:yigong:institution-kind","code":"township"}]}]}`,
		`{"resourceType":"Organization","id":"th-b","name":"乙乡卫生院","partOf":{"reference":"Organization/default"},"type":[{"coding":[{"system":"urn:yigong:institution-kind","code":"township"}]}]}`,
	} {
		var o struct{ ID string }
		json.Unmarshal([]byte(org), &o)
		hub.must("PUT", "/fhir/Organization/"+o.ID, org, http.StatusCreated)
	}
	patient := func(ident, family string) string {
		return `{"resourceType":"Patient","identifier":[{"system":"urn:test:mrn","value":"` + ident + `"}],"name":[{"family":"` + family + `","given":["小东"]}],"gender":"male","birthDate":"1980-05-17"}`
	}
	observation := func(patient, code string) string {
		return `{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"urn:test:code","code":"` + code + `"}]},"subject":{"reference":"Patient/` + patient + `"}}`
	}
	pa := a.create("Patient", patient("A1", "王"))
	oa := a.create("Observation", observation(pa, "c1"))
	pb := b.create("Patient", patient("B1", "王"))
	ob := b.create("Observation", observation(pb, "c1"))
	eb := b.create("Encounter", `{"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/`+pb+`"}}`)
	obAboutA := b.create("Observation", observation(pa, "c3")) // the second centre's record about the first's patient
	pb2 := b.create("Patient", patient("B2", "王"))
	ob2 := b.create("Observation", observation(pb2, "c1"))
	// A changed body (an unchanged one would write no version 2).
	b.must("PUT", "/fhir/Patient/"+pb, strings.Replace(patient("B1", "王"), `"resourceType":"Patient"`, `"resourceType":"Patient","id":"`+pb+`","active":true`, 1), http.StatusOK)
	secret := []string{pb, ob, eb, obAboutA, pb2, ob2, "B1", "B2", "th-b"}

	t.Run("owner in meta", func(t *testing.T) {
		_, body := a.do("GET", "/fhir/Patient/"+pa, "")
		if !strings.Contains(body, `"system":"`+store.InstitutionTagSystem+`","code":"th-a"`) {
			t.Errorf("Patient of th-a lacks its institution tag: %s", body)
		}
	})

	// leak runs a request as the first centre and checks its status and
	// that no id or identifier of the second centre that the request did
	// not itself name appears in the answer.
	leak := func(name, method, path, body string, want int) {
		t.Run(name, func(t *testing.T) {
			st, got := a.do(method, path, body)
			if want != 0 && st != want {
				t.Errorf("%s %s: status %d, want %d: %s", method, path, st, want, trim(got))
			}
			for _, s := range secret {
				if strings.Contains(path+body, s) {
					continue // an echo of the request (a self link, an error message) tells nothing
				}
				if strings.Contains(got, s) {
					t.Errorf("%s %s: the answer holds %q of th-b: %s", method, path, s, trim(got))
				}
			}
		})
	}
	leak("read", "GET", "/fhir/Patient/"+pb, "", http.StatusNotFound)
	leak("read observation", "GET", "/fhir/Observation/"+ob, "", http.StatusNotFound)
	leak("vread", "GET", "/fhir/Patient/"+pb+"/_history/1", "", http.StatusNotFound)
	leak("search", "GET", "/fhir/Patient?name=王", "", http.StatusOK)
	leak("search by identifier", "GET", "/fhir/Patient?identifier=urn:test:mrn|B1", "", http.StatusOK)
	leak("search with total", "GET", "/fhir/Observation?code=urn:test:code|c1&_total=accurate", "", http.StatusOK)
	leak("count", "GET", "/fhir/Observation?_summary=count", "", http.StatusOK)
	leak("POST _search", "POST", "/fhir/Patient/_search", "", http.StatusOK)
	leak("system search", "GET", "/fhir?_type=Patient,Observation,Encounter", "", http.StatusOK)
	leak("chain", "GET", "/fhir/Observation?subject:Patient.identifier=urn:test:mrn|B1", "", http.StatusOK)
	leak("chain by name", "GET", "/fhir/Encounter?subject:Patient.name=王", "", http.StatusOK)
	leak("reverse chain", "GET", "/fhir/Patient?_has:Observation:subject:code=urn:test:code|c3", "", http.StatusOK)
	leak("reference to a hidden patient", "GET", "/fhir/Observation?subject=Patient/"+pb, "", http.StatusOK)
	leak("_include", "GET", "/fhir/Observation?code=urn:test:code|c1&_include=Observation:subject", "", http.StatusOK)
	leak("_revinclude", "GET", "/fhir/Patient?_id="+pa+"&_revinclude=Observation:subject&_revinclude=Encounter:subject", "", http.StatusOK)
	leak("_revinclude *", "GET", "/fhir/Patient?name=王&_revinclude=*", "", http.StatusOK)
	leak("_tag of the other institution", "GET", "/fhir/Patient?_tag=http://yigong.cn/fhir/CodeSystem/institution|th-b", "", http.StatusOK)
	t.Run("_tag of its own institution", func(t *testing.T) {
		if _, body := a.do("GET", "/fhir/Patient?_tag=http://yigong.cn/fhir/CodeSystem/institution|th-a", ""); !strings.Contains(body, pa) {
			t.Errorf("Patient?_tag=<institution>|th-a lacks %s: %s", pa, trim(body))
		}
	})
	leak("system history", "GET", "/fhir/_history", "", http.StatusOK)
	leak("type history", "GET", "/fhir/Patient/_history", "", http.StatusOK)
	leak("instance history", "GET", "/fhir/Patient/"+pb+"/_history", "", 0)
	leak("$everything of a hidden patient", "GET", "/fhir/Patient/"+pb+"/$everything", "", http.StatusNotFound)
	leak("$everything", "GET", "/fhir/Patient/"+pa+"/$everything", "", http.StatusOK)
	t.Run("conditional create does not find the hidden patient", func(t *testing.T) {
		st, body := a.do("POST", "/fhir/Patient", patient("B1", "王"), "If-None-Exist", "identifier=urn:test:mrn|B1")
		if st != http.StatusCreated || strings.Contains(body, pb) {
			t.Errorf("If-None-Exist on th-b's identifier: %d %s, want a new Patient of th-a", st, trim(body))
		}
	})
	leak("conditional update", "PUT", "/fhir/Patient?identifier=urn:test:mrn|B2", patient("B2", "李"), 0)
	leak("conditional delete", "DELETE", "/fhir/Observation?code=urn:test:code|c3", "", 0)
	leak("update of a hidden id", "PUT", "/fhir/Patient/"+pb2, strings.Replace(patient("B2", "李"), `"resourceType":"Patient"`, `"resourceType":"Patient","id":"`+pb2+`"`, 1), http.StatusConflict)
	leak("delete of a hidden id", "DELETE", "/fhir/Patient/"+pb2, "", 0)
	leak("batch read", "POST", "/fhir", `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Patient/`+pb+`"}},{"request":{"method":"GET","url":"Observation?subject=Patient/`+pb+`"}}]}`, http.StatusOK)
	leak("transaction", "POST", "/fhir", `{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a","resource":`+observation("x", "c9")+`,"request":{"method":"POST","url":"Observation"}},{"resource":{"resourceType":"Patient","id":"`+pb2+`","active":false},"request":{"method":"PUT","url":"Patient/`+pb2+`"}}]}`, 0)
	leak("transaction conditional reference", "POST", "/fhir", `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient?identifier=urn:test:mrn|B2"}},"request":{"method":"POST","url":"Observation"}}]}`, 0)

	t.Run("the first centre sees its own", func(t *testing.T) {
		_, body := a.do("GET", "/fhir/Patient/"+pa+"/$everything", "")
		if !strings.Contains(body, oa) || !strings.Contains(body, pa) {
			t.Errorf("$everything of its own patient lacks %s or %s: %s", pa, oa, trim(body))
		}
	})
	t.Run("the second centre's data is untouched", func(t *testing.T) {
		for _, tc := range []struct{ path, version string }{{"/fhir/Patient/" + pb, "2"}, {"/fhir/Patient/" + pb2, "1"}, {"/fhir/Observation/" + ob, "1"}, {"/fhir/Observation/" + ob2, "1"}} {
			st, body := b.do("GET", tc.path, "")
			if st != http.StatusOK || !strings.Contains(body, `"versionId":"`+tc.version+`"`) {
				t.Errorf("%s as th-b: %d %s, want version %s", tc.path, st, trim(body), tc.version)
			}
		}
	})
	t.Run("the county hospital sees both", func(t *testing.T) {
		_, body := hub.do("GET", "/fhir/Patient?name=王&_count=100", "")
		for _, id := range []string{pa, pb, pb2} {
			if !strings.Contains(body, id) {
				t.Errorf("county search lacks %s", id)
			}
		}
		if st, _ := hub.do("GET", "/fhir/Observation/"+ob, ""); st != http.StatusOK {
			t.Errorf("county read of th-b's Observation: %d", st)
		}
	})
	t.Run("a referral shares one patient", func(t *testing.T) {
		b.create("ServiceRequest", `{"resourceType":"ServiceRequest","status":"active","intent":"order","code":{"text":"转诊"},"subject":{"reference":"Patient/`+pb+`"},"performer":[{"reference":"Organization/th-a"}]}`)
		for _, path := range []string{"/fhir/Patient/" + pb, "/fhir/Observation/" + ob, "/fhir/Encounter/" + eb} {
			if st, body := a.do("GET", path, ""); st != http.StatusOK {
				t.Errorf("referred %s: %d %s", path, st, trim(body))
			}
		}
		_, body := a.do("GET", "/fhir/Patient/"+pb+"/$everything", "")
		for _, id := range []string{pb, ob, eb} {
			if !strings.Contains(body, id) {
				t.Errorf("$everything of the referred patient lacks %s", id)
			}
		}
		for _, id := range []string{pb2, ob2} {
			if strings.Contains(body, id) {
				t.Errorf("$everything of the referred patient holds %s of another patient", id)
			}
		}
		if st, _ := a.do("GET", "/fhir/Patient/"+pb2, ""); st != http.StatusNotFound {
			t.Errorf("another patient of th-b after the referral: %d, want 404", st)
		}
		if st, body := a.do("DELETE", "/fhir/Patient/"+pb, ""); st == http.StatusOK || st == http.StatusNoContent {
			t.Errorf("the referred patient deleted by th-a: %d %s", st, trim(body))
		}
	})
}

// rawClient is a client whose answers are read as text.
type rawClient struct{ client }

func (c rawClient) do(method, path, body string, header ...string) (int, string) {
	c.t.Helper()
	st, _, data := c.raw(method, path, body, header...)
	return st, string(data)
}

func (c rawClient) must(method, path, body string, want int) string {
	c.t.Helper()
	st, got := c.do(method, path, body)
	if st != want {
		c.t.Fatalf("%s %s: %d, want %d: %s", method, path, st, want, trim(got))
	}
	return got
}

func (c rawClient) create(typ, body string) string {
	c.t.Helper()
	var r struct{ ID string }
	json.Unmarshal([]byte(c.must("POST", "/fhir/"+typ, body, http.StatusCreated)), &r)
	if r.ID == "" {
		c.t.Fatalf("create %s: no id", typ)
	}
	return r.ID
}

func trim(s string) string {
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}
