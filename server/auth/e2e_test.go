package auth_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"yigong/server"
	"yigong/server/auth/accounts"
	"yigong/server/servertest"
)

// These tests boot a whole hub in SMART mode and talk to it over HTTP with
// real tokens: the wiring of auth.Middleware, auth.Checker in every FHIR
// interaction, and the audit trail.

type client struct {
	t     *testing.T
	hub   *servertest.Hub
	token string
}

func (c client) do(method, path, body string, header ...string) (int, http.Header, map[string]any) {
	c.t.Helper()
	st, h, data := c.raw(method, path, body, header...)
	var out map[string]any
	json.Unmarshal(data, &out)
	return st, h, out
}

// raw sends a request with the client's token (header: name, value pairs)
// and returns the answer's status, header and body.
func (c client) raw(method, path, body string, header ...string) (int, http.Header, []byte) {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.hub.URL(path), rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/fhir+json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, data
}

func obs(patient, category string) string {
	return `{"resourceType":"Observation","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"` +
		category + `"}]}],"code":{"text":"test"},"subject":{"reference":"Patient/` + patient + `"}}`
}

// ids lists Type/id of a Bundle's entries.
func ids(b map[string]any) []string {
	var out []string
	entries, _ := b["entry"].([]any)
	for _, e := range entries {
		r, _ := e.(map[string]any)["resource"].(map[string]any)
		if r == nil {
			continue
		}
		out = append(out, r["resourceType"].(string)+"/"+r["id"].(string))
	}
	slices.Sort(out)
	return out
}

// world is a SMART hub with two patients, each with a laboratory and a
// vital-signs Observation and an Encounter, and a backend client that
// wrote them.
type world struct {
	hub                 *servertest.Hub
	system              client
	p1Lab, p1Vital      string
	p2Lab, p2Vital, p2E string
}

func newWorld(t *testing.T) *world { return newWorldOn(t, servertest.Start) }

func newWorldOn(t *testing.T, start func(testing.TB, ...func(*server.Config)) *servertest.Hub) *world {
	t.Helper()
	h := start(t, servertest.SMART)
	key := h.AddBackend(t, "his", "default", "system/*.cruds")
	w := &world{hub: h, system: client{t, h, h.BackendToken(t, "his", key, "system/*.cruds")}}
	for _, p := range []string{"p1", "p2"} {
		if st, _, out := w.system.do("PUT", "/fhir/Patient/"+p, `{"resourceType":"Patient","id":"`+p+`","name":[{"family":"王","given":["`+p+`"]}]}`); st != 201 {
			t.Fatalf("create %s: %d %v", p, st, out)
		}
	}
	create := func(body string) string {
		st, _, out := w.system.do("POST", "/fhir/"+strings.SplitN(body[17:], `"`, 2)[0], body)
		if st != 201 {
			t.Fatalf("create: %d %v", st, out)
		}
		return out["resourceType"].(string) + "/" + out["id"].(string)
	}
	w.p1Lab, w.p1Vital = create(obs("p1", "laboratory")), create(obs("p1", "vital-signs"))
	w.p2Lab, w.p2Vital = create(obs("p2", "laboratory")), create(obs("p2", "vital-signs"))
	w.p2E = create(`{"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/p2"}}`)
	h.AddUser(t, "doctor", "default", "Practitioner/d1", accounts.NoAdmin)
	grantRole(t, h, "doctor", allData("default")) // users reach FHIR data through roles
	h.AddApp(t, "app", "default", "openid fhirUser launch/patient patient/*.rs patient/*.cruds patient/Observation.rs?category=laboratory user/*.rs")
	return w
}

func (w *world) patientToken(t *testing.T, scope string) client {
	t.Helper()
	out := w.hub.UserToken(t, servertest.Launch{User: "doctor", App: "app", Scope: scope, Patient: "p1"})
	if out["patient"] != "p1" {
		t.Fatalf("token response has no patient context: %v", out)
	}
	return client{t, w.hub, out["access_token"].(string)}
}

func TestUnauthenticated(t *testing.T) {
	t.Parallel()
	h := servertest.Start(t, servertest.SMART)
	anon := client{t, h, ""}
	bad := client{t, h, "not-a-jwt"}
	for _, tc := range []struct {
		c      client
		method string
		path   string
		want   int
	}{
		{anon, "GET", "/fhir/Patient", 401},
		{anon, "GET", "/fhir/Patient/p1", 401},
		{anon, "POST", "/fhir", 401},
		{bad, "GET", "/fhir/Observation", 401},
		{anon, "GET", "/dicomweb/studies", 401},
		{anon, "POST", "/ingest/ecg", 401},
		{anon, "GET", "/admin/hl7/stats", 401},
		{anon, "GET", "/fhir/metadata", 200},
		{anon, "GET", "/fhir/.well-known/smart-configuration", 200},
		{anon, "GET", "/healthz", 200},
	} {
		st, hd, out := tc.c.do(tc.method, tc.path, "")
		if st != tc.want {
			t.Errorf("%s %s: %d, want %d (%v)", tc.method, tc.path, st, tc.want, out)
			continue
		}
		if st == 401 {
			if !strings.HasPrefix(hd.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s %s: WWW-Authenticate %q", tc.method, tc.path, hd.Get("WWW-Authenticate"))
			}
			if strings.HasPrefix(tc.path, "/fhir") && out["resourceType"] != "OperationOutcome" {
				t.Errorf("%s %s: body %v, want an OperationOutcome", tc.method, tc.path, out)
			}
		}
	}
}

// TestScopeEnforcement tries to get past narrow scopes through every kind
// of interaction; each must answer 403 or leave the other patient's
// resources out. It runs on both store engines.
func TestScopeEnforcement(t *testing.T) {
	t.Parallel()
	for _, st := range servertest.Stores() {
		t.Run(st.Name, func(t *testing.T) {
			t.Parallel()
			testScopeEnforcement(t, newWorldOn(t, st.Start))
		})
	}
}

func testScopeEnforcement(t *testing.T, w *world) {
	p1 := w.patientToken(t, "launch/patient patient/*.rs")
	lab := w.patientToken(t, "launch/patient patient/Patient.rs patient/Observation.rs?category=laboratory")
	p1w := w.patientToken(t, "launch/patient patient/*.cruds")
	userPat := client{t, w.hub, w.hub.UserToken(t, servertest.Launch{User: "doctor", App: "app", Scope: "user/Patient.rs"})["access_token"].(string)}

	type want struct {
		status int
		ids    []string // exact entry set of a Bundle answer (nil: not checked)
	}
	p2Obs := strings.TrimPrefix(w.p2Lab, "Observation/")
	for _, tc := range []struct {
		name         string
		c            client
		method, path string
		body         string
		want         want
	}{
		{"read own patient", p1, "GET", "/fhir/Patient/p1", "", want{200, nil}},
		{"read other patient", p1, "GET", "/fhir/Patient/p2", "", want{403, nil}},
		{"read other's observation", p1, "GET", "/fhir/" + w.p2Lab, "", want{403, nil}},
		{"vread other's observation", p1, "GET", "/fhir/" + w.p2Lab + "/_history/1", "", want{403, nil}},
		{"history of other's observation", p1, "GET", "/fhir/" + w.p2Lab + "/_history", "", want{404, nil}},
		{"search observations", p1, "GET", "/fhir/Observation", "", want{200, []string{w.p1Lab, w.p1Vital}}},
		{"search observations of p2", p1, "GET", "/fhir/Observation?patient=p2", "", want{200, []string{}}},
		{"search patients", p1, "GET", "/fhir/Patient", "", want{200, []string{"Patient/p1"}}},
		{"search by _id of p2", p1, "GET", "/fhir/Patient?_id=p2", "", want{200, []string{}}},
		{"revinclude", p1, "GET", "/fhir/Patient?_revinclude=Observation:subject&_id=p1,p2", "", want{200, []string{w.p1Lab, w.p1Vital, "Patient/p1"}}},
		{"include", p1, "GET", "/fhir/Observation?_include=Observation:subject&_id=" + p2Obs, "", want{200, []string{}}},
		{"system search", p1, "GET", "/fhir?_type=Observation,Encounter", "", want{200, []string{w.p1Lab, w.p1Vital}}},
		{"type history", p1, "GET", "/fhir/Observation/_history", "", want{200, []string{w.p1Lab, w.p1Vital}}},
		{"everything of p2", p1, "GET", "/fhir/Patient/p2/$everything", "", want{403, nil}},
		{"everything of p1", p1, "GET", "/fhir/Patient/p1/$everything", "", want{200, []string{w.p1Lab, w.p1Vital, "Patient/p1"}}},
		{"encounter everything", p1, "GET", "/fhir/" + w.p2E + "/$everything", "", want{403, nil}},
		{"write with a read scope", p1, "POST", "/fhir/Observation", obs("p1", "laboratory"), want{403, nil}},
		{"transaction write", p1, "POST", "/fhir", `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":` + obs("p2", "laboratory") + `,"request":{"method":"POST","url":"Observation"}}]}`, want{403, nil}},
		{"batch search", p1, "POST", "/fhir", `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Observation?patient=p2"}}]}`, want{403, nil}},
		{"v2 restriction: lab only", lab, "GET", "/fhir/Observation", "", want{200, []string{w.p1Lab}}},
		{"v2 restriction: read vital", lab, "GET", "/fhir/" + w.p1Vital, "", want{403, nil}},
		{"v2 restriction: read lab", lab, "GET", "/fhir/" + w.p1Lab, "", want{200, nil}},
		{"v2 restriction: category search", lab, "GET", "/fhir/Observation?category=vital-signs", "", want{200, []string{}}},
		{"v2 restriction: everything", lab, "GET", "/fhir/Patient/p1/$everything", "", want{200, []string{w.p1Lab, "Patient/p1"}}},
		{"no scope on the type", userPat, "GET", "/fhir/Observation", "", want{403, nil}},
		{"no scope on included type", userPat, "GET", "/fhir/Patient?_revinclude=Observation:subject", "", want{200, []string{"Patient/p1", "Patient/p2"}}},
		{"user scope reads all patients", userPat, "GET", "/fhir/Patient/p2", "", want{200, nil}},
		{"create for another patient", p1w, "POST", "/fhir/Observation", obs("p2", "laboratory"), want{403, nil}},
		{"create for own patient", p1w, "POST", "/fhir/Observation", obs("p1", "laboratory"), want{201, nil}},
		{"move another's observation", p1w, "PUT", "/fhir/" + w.p2Vital, strings.Replace(obs("p1", "vital-signs"), `{"resourceType":"Observation",`, `{"resourceType":"Observation","id":"`+strings.TrimPrefix(w.p2Vital, "Observation/")+`",`, 1), want{403, nil}},
		{"delete another's observation", p1w, "DELETE", "/fhir/" + w.p2Vital, "", want{403, nil}},
		{"conditional delete", p1w, "DELETE", "/fhir/Observation?patient=p2", "", want{403, nil}},
		{"patch another's observation", p1w, "PATCH", "/fhir/" + w.p2Vital, `{"resourceType":"Parameters","parameter":[{"name":"operation","part":[{"name":"type","valueCode":"replace"},{"name":"path","valueString":"Observation.status"},{"name":"value","valueCode":"amended"}]}]}`, want{403, nil}},
		{"transaction for another patient", p1w, "POST", "/fhir", `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":` + obs("p1", "laboratory") + `,"request":{"method":"POST","url":"Observation"}},{"resource":` + obs("p2", "laboratory") + `,"request":{"method":"POST","url":"Observation"}}]}`, want{403, nil}},
		{"batch read of another's", p1w, "POST", "/fhir", `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"` + w.p2Lab + `"}}]}`, want{200, []string{}}},
		{"dicomweb qido in patient context", p1, "GET", "/dicomweb/studies", "", want{204, nil}},
		{"dicomweb stow in patient context", p1, "POST", "/dicomweb/studies", "x", want{403, nil}},
		{"ecg intake in patient context", p1, "POST", "/ingest/ecg", "x", want{403, nil}},
		{"audit trail by a clinician", userPat, "GET", "/fhir/AuditEvent", "", want{403, nil}},
		{"audit trail write by a system client", w.system, "POST", "/fhir/AuditEvent", `{"resourceType":"AuditEvent"}`, want{403, nil}},
		{"audit trail delete", w.system, "DELETE", "/fhir/AuditEvent/1", "", want{403, nil}},
		{"admin API by a system client", w.system, "GET", "/admin/hl7/stats", "", want{403, nil}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.c.t = t
			st, _, out := tc.c.do(tc.method, tc.path, tc.body)
			if st != tc.want.status {
				t.Fatalf("%s %s: %d, want %d: %v", tc.method, tc.path, st, tc.want.status, out)
			}
			if tc.want.ids != nil {
				wantIDs := slices.Sorted(slices.Values(tc.want.ids))
				if got := ids(out); !slices.Equal(got, wantIDs) && !(len(got) == 0 && len(wantIDs) == 0) {
					t.Fatalf("%s %s: entries %v, want %v", tc.method, tc.path, got, wantIDs)
				}
				if _, ok := out["total"]; ok && tc.c.token != userPat.token && tc.method == "GET" && !strings.Contains(tc.path, "$everything") { // $everything counts after the checks
					t.Errorf("%s %s: a restricted search shows the store's total %v", tc.method, tc.path, out["total"])
				}
			}
		})
	}
}

// TestAuditTrail checks that reads, searches, writes, logins and failed
// authentications are recorded, and that only the audit administrator
// reads them.
func TestAuditTrail(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p1 := w.patientToken(t, "launch/patient patient/*.rs")
	p1.do("GET", "/fhir/Patient/p1", "")
	p1.do("GET", "/fhir/Observation?code=test", "")
	p1.do("GET", "/fhir/Patient/p2", "")
	client{t, w.hub, "forged"}.do("GET", "/fhir/Patient/p1", "")
	w.hub.AddUser(t, "auditor", "default", "", accounts.AuditAdmin)
	w.hub.AddApp(t, "console", "default", "openid user/AuditEvent.rs")
	auditor := client{t, w.hub, w.hub.UserToken(t, servertest.Launch{User: "auditor", App: "console", Scope: "openid user/AuditEvent.rs"})["access_token"].(string)}

	want := map[string]bool{"read": false, "search-type": false, "create": false, "update": false, "110122": false}
	var failure, forbidden, patientRead bool
	deadline := 100
	for i := 0; i < deadline; i++ { // the recorder flushes every 50 ms: poll
		st, _, b := auditor.do("GET", "/fhir/AuditEvent?_count=1000", "")
		if st != 200 {
			t.Fatalf("audit administrator: %d %v", st, b)
		}
		entries, _ := b["entry"].([]any)
		for _, e := range entries {
			ev := e.(map[string]any)["resource"].(map[string]any)
			sub := ev["subtype"].([]any)[0].(map[string]any)["code"].(string)
			want[sub] = true
			raw, _ := json.Marshal(ev)
			s := string(raw)
			failure = failure || sub == "110122" && ev["outcome"] == "4"
			forbidden = forbidden || sub == "read" && ev["outcome"] == "4" && strings.Contains(s, "Patient/p2")
			patientRead = patientRead || sub == "read" && ev["outcome"] == "0" && strings.Contains(s, `"reference":"Patient/p1"`)
		}
		done := failure && forbidden && patientRead
		for _, ok := range want {
			done = done && ok
		}
		if done {
			break
		}
		if i == deadline-1 {
			t.Fatalf("audit trail incomplete: subtypes %v, failed auth %v, refused read %v, patient read %v", want, failure, forbidden, patientRead)
		}
		waitALittle()
	}
	if st, _, _ := auditor.do("GET", "/fhir/AuditEvent/1", ""); st != 200 {
		t.Errorf("read AuditEvent/1: %d", st)
	}
	if st, _, _ := auditor.do("PUT", "/fhir/AuditEvent/1", `{"resourceType":"AuditEvent","id":"1"}`); st != 403 {
		t.Errorf("update AuditEvent/1 by the audit administrator: %d, want 403", st)
	}
	// The system administrator manages users but cannot read the trail (三员分立).
	w.hub.AddUser(t, "sys", "default", "", accounts.SystemAdmin)
	w.hub.AddApp(t, "console2", "default", "openid user/*.rs")
	sys := client{t, w.hub, w.hub.UserToken(t, servertest.Launch{User: "sys", App: "console2", Scope: "openid user/*.rs"})["access_token"].(string)}
	if st, _, _ := sys.do("GET", "/fhir/AuditEvent", ""); st != 403 {
		t.Errorf("system administrator reads the audit trail: %d, want 403", st)
	}
}

// TestSecretsNotLogged logs in (successfully and not) and looks for the
// password and the tokens in everything the hub logged.
func TestSecretsNotLogged(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	out := w.hub.UserToken(t, servertest.Launch{User: "doctor", App: "app", Scope: "launch/patient patient/*.rs", Patient: "p1"})
	resp, err := http.PostForm(w.hub.SMART().Issuer()+"/auth/login", map[string][]string{"username": {"doctor"}, "password": {"Wrong-Password-123"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	client{t, w.hub, out["access_token"].(string)}.do("GET", "/fhir/Patient/p1", "")
	log := w.hub.Log.String()
	if !strings.Contains(log, "http listening") {
		t.Fatalf("the hub's log was not captured: %q", log)
	}
	for _, secret := range []string{servertest.TestPassword, "Wrong-Password-123", out["access_token"].(string), w.system.token} {
		if strings.Contains(log, secret) {
			t.Errorf("a secret (%.12s...) appears in the log", secret)
		}
	}
	if bytes.Contains([]byte(log), []byte("password:")) {
		t.Errorf("the generated passwords reached the structured log")
	}
	if !strings.Contains(w.hub.Console.String(), "password:") {
		t.Errorf("the first start printed no credentials on the console: %q", w.hub.Console.String())
	}
}

// waitALittle paces a polling loop.
func waitALittle() { time.Sleep(50 * time.Millisecond) }
