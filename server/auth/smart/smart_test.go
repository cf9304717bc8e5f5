package smart_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"yigong/server/auth"
	"yigong/server/auth/accounts"
	"yigong/server/auth/authtest"
	"yigong/server/auth/smart"
)

type patients struct{}

func (patients) FindPatients(context.Context, *accounts.User, string) ([]smart.PatientChoice, error) {
	return []smart.PatientChoice{{ID: "p1", Display: "王小东 1980-01-02"}, {ID: "p2", Display: "李四"}}, nil
}

type hub struct {
	srv  *smart.Server
	http *httptest.Server
	acc  *accounts.Service
}

const (
	appRedirect = "http://app.test/callback"
	password    = "Correct-Horse-9"
)

func start(t *testing.T) *hub {
	t.Helper()
	h := startEmpty(t)
	ctx := context.Background()
	if _, err := h.acc.Create(ctx, nil, accounts.NewUser{ID: "doctor", Institution: "th-01", Password: password, FHIRUser: "Practitioner/d1"}); err != nil {
		t.Fatal(err)
	}
	if err := h.srv.RegisterClient(ctx, &smart.Client{ID: "app", Name: "Test app", Institution: "th-01", Type: smart.Public,
		RedirectURIs: []string{appRedirect}, Scopes: "openid fhirUser launch launch/patient offline_access patient/*.rs patient/Observation.rs?category=laboratory"}); err != nil {
		t.Fatal(err)
	}
	return h
}

func startEmpty(t *testing.T) *hub {
	t.Helper()
	st := authtest.SQLite(t)
	acc := accounts.New(st, accounts.Policy{Argon2: accounts.Argon2{Memory: 1024, Time: 1, Threads: 1}}, nil)
	keys, err := smart.LoadKeys(filepath.Join(t.TempDir(), "keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	h := &hub{acc: acc}
	e := echo.New()
	base := func() string { return h.http.URL }
	h.srv, err = smart.New(smart.Options{Issuer: base, FHIRBase: func() string { return base() + "/fhir" }, Records: st,
		Accounts: acc, Keys: keys, Patients: patients{}, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	h.srv.Register(e, e.Group("/fhir"))
	h.http = httptest.NewServer(e)
	t.Cleanup(h.http.Close)
	return h
}

// browser follows redirects within the hub, stopping at the app's redirect URI.
func browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), appRedirect) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
}

func pkce() (verifier, challenge string) {
	b := make([]byte, 32)
	rand.Read(b)
	verifier = base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

var txnRe = regexp.MustCompile(`name="txn" value="([0-9a-f]+)"`)

// launch runs the standalone launch as a browser would, returning the code.
func (h *hub) launch(t *testing.T, b *http.Client, scope, challenge string, extra url.Values) string {
	t.Helper()
	q := url.Values{"response_type": {"code"}, "client_id": {"app"}, "redirect_uri": {appRedirect}, "scope": {scope},
		"state": {"xyz"}, "aud": {h.http.URL + "/fhir"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	for k, v := range extra {
		q[k] = v
	}
	resp, err := b.Get(h.http.URL + "/auth/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	page := readAll(t, resp)
	m := txnRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no txn in %d %s", resp.StatusCode, page)
	}
	if strings.Contains(page, `id="login"`) {
		resp, err = b.PostForm(h.http.URL+"/auth/login", url.Values{"txn": {m[1]}, "username": {"doctor"}, "password": {password}})
		if err != nil {
			t.Fatal(err)
		}
		page = readAll(t, resp)
	}
	if !strings.Contains(page, `id="consent"`) {
		t.Fatalf("no consent page: %s", page)
	}
	form := url.Values{"txn": {m[1]}, "decision": {"approve"}}
	if strings.Contains(page, `class="patient"`) {
		form.Set("patient", "p1")
	}
	resp, err = b.PostForm(h.http.URL+"/auth/consent", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if loc.Query().Get("state") != "xyz" || loc.Query().Get("code") == "" {
		t.Fatalf("redirect %s", loc)
	}
	return loc.Query().Get("code")
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func (h *hub) tokenReq(t *testing.T, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := http.PostForm(h.http.URL+"/auth/token", form)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	json.Unmarshal([]byte(readAll(t, resp)), &out)
	return resp.StatusCode, out
}

func TestStandaloneLaunchPKCE(t *testing.T) {
	t.Parallel()
	h := start(t)
	b := browser()
	verifier, challenge := pkce()
	code := h.launch(t, b, "openid fhirUser launch/patient offline_access patient/Observation.rs?category=laboratory patient/Patient.rs", challenge, nil)

	// A wrong verifier fails, and burns the code.
	st, out := h.tokenReq(t, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {appRedirect},
		"client_id": {"app"}, "code_verifier": {strings.Repeat("a", 43)}})
	if st != 400 || out["error"] != "invalid_grant" {
		t.Fatalf("wrong verifier: %d %v", st, out)
	}
	st, out = h.tokenReq(t, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {appRedirect},
		"client_id": {"app"}, "code_verifier": {verifier}})
	if st != 400 {
		t.Fatalf("code reuse after a failure: %d %v", st, out)
	}

	code = h.launch(t, b, "openid fhirUser launch/patient offline_access patient/Observation.rs?category=laboratory user/Patient.rs", challenge, nil)
	st, out = h.tokenReq(t, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {appRedirect},
		"client_id": {"app"}, "code_verifier": {verifier}})
	if st != 200 {
		t.Fatalf("token: %d %v", st, out)
	}
	if out["patient"] != "p1" || out["fhirUser"] != h.http.URL+"/fhir/Practitioner/d1" || out["id_token"] == nil || out["refresh_token"] == nil {
		t.Fatalf("token response: %v", out)
	}
	// user/Patient.rs is not registered for the client: not granted.
	if sc := out["scope"].(string); strings.Contains(sc, "user/Patient.rs") || !strings.Contains(sc, "category=laboratory") {
		t.Fatalf("granted scope %q", sc)
	}
	p, err := h.srv.Verify(context.Background(), out["access_token"].(string))
	if err != nil || p.Patient != "p1" || p.Subject != "doctor" || p.Institution != "th-01" || p.Kind != auth.KindUser {
		t.Fatalf("verify: %+v %v", p, err)
	}
	// The id_token verifies against /auth/jwks and names the fhirUser.
	set, err := jwk.Fetch(context.Background(), h.http.URL+"/auth/jwks")
	if err != nil {
		t.Fatal(err)
	}
	idt, err := jwt.ParseString(out["id_token"].(string), jwt.WithKeySet(set), jwt.WithAudience("app"))
	if err != nil {
		t.Fatal(err)
	}
	if fu, _ := idt.Get("fhirUser"); fu != h.http.URL+"/fhir/Practitioner/d1" {
		t.Fatalf("id_token fhirUser %v", fu)
	}
	// A plain-method challenge or none is refused.
	resp, _ := b.Get(h.http.URL + "/auth/authorize?" + url.Values{"response_type": {"code"}, "client_id": {"app"},
		"redirect_uri": {appRedirect}, "scope": {"openid"}, "aud": {h.http.URL + "/fhir"}, "code_challenge": {"x"},
		"code_challenge_method": {"plain"}}.Encode())
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); !strings.Contains(loc, "error=invalid_request") {
		t.Fatalf("plain PKCE: %s", loc)
	}
	// An unregistered redirect URI is shown, never redirected to.
	resp, _ = b.Get(h.http.URL + "/auth/authorize?client_id=app&redirect_uri=http://evil.test/cb")
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("unregistered redirect: %d", resp.StatusCode)
	}
}

func TestEHRLaunch(t *testing.T) {
	t.Parallel()
	h := start(t)
	id, err := h.srv.CreateLaunch(context.Background(), smart.Launch{Patient: "p7", Encounter: "e9"})
	if err != nil {
		t.Fatal(err)
	}
	verifier, challenge := pkce()
	code := h.launch(t, browser(), "launch openid patient/*.rs", challenge, url.Values{"launch": {id}})
	st, out := h.tokenReq(t, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {appRedirect},
		"client_id": {"app"}, "code_verifier": {verifier}})
	if st != 200 || out["patient"] != "p7" || out["encounter"] != "e9" {
		t.Fatalf("%d %v", st, out)
	}
}

func TestRefreshRotationAndReuse(t *testing.T) {
	t.Parallel()
	h := start(t)
	verifier, challenge := pkce()
	code := h.launch(t, browser(), "launch/patient offline_access patient/*.rs", challenge, nil)
	_, out := h.tokenReq(t, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {appRedirect},
		"client_id": {"app"}, "code_verifier": {verifier}})
	rt1 := out["refresh_token"].(string)
	refresh := func(rt string) (int, map[string]any) {
		return h.tokenReq(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {"app"}})
	}
	st, out := refresh(rt1)
	if st != 200 || out["refresh_token"] == nil || out["refresh_token"] == rt1 || out["patient"] != "p1" {
		t.Fatalf("rotation: %d %v", st, out)
	}
	rt2 := out["refresh_token"].(string)
	// The attacker replays rt1: refused, and the family dies...
	if st, out := refresh(rt1); st != 400 || !strings.Contains(out["error_description"].(string), "reuse") {
		t.Fatalf("reuse: %d %v", st, out)
	}
	// ...so the legitimate newest token stops working too.
	if st, _ := refresh(rt2); st != 400 {
		t.Fatalf("after reuse the family must be revoked: %d", st)
	}
	// Widening on refresh is refused.
	code = h.launch(t, browser(), "launch/patient offline_access patient/Observation.rs", challenge, nil)
	_, out = h.tokenReq(t, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {appRedirect},
		"client_id": {"app"}, "code_verifier": {verifier}})
	if st, _ := h.tokenReq(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {out["refresh_token"].(string)},
		"client_id": {"app"}, "scope": {"patient/*.rs"}}); st != 400 {
		t.Fatal("widening refresh accepted")
	}
	// Revocation of an access token.
	at := out["access_token"].(string)
	http.PostForm(h.http.URL+"/auth/revoke", url.Values{"token": {at}, "client_id": {"app"}})
	if _, err := h.srv.Verify(context.Background(), at); !errors.Is(err, smart.ErrRevoked) {
		t.Fatalf("revoked token verifies: %v", err)
	}
}

// TestBackendServices runs SMART Backend Services: a client assertion signed
// by a test ES384 key, registered inline, then by a loopback JWKS URL.
func TestBackendServices(t *testing.T) {
	t.Parallel()
	h := start(t)
	ctx := context.Background()
	raw, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	priv, _ := jwk.FromRaw(raw)
	priv.Set(jwk.KeyIDKey, "his-1")
	priv.Set(jwk.AlgorithmKey, jwa.ES384)
	pub, _ := jwk.PublicKeyOf(priv)
	set := jwk.NewSet()
	set.AddKey(pub)
	jwks, _ := json.Marshal(set)
	if err := h.srv.RegisterClient(ctx, &smart.Client{ID: "his", Name: "HIS", Institution: "county", Type: smart.Backend,
		Scopes: "system/Patient.rs system/Observation.cruds", JWKS: jwks}); err != nil {
		t.Fatal(err)
	}
	assertion := func(client, jti string, exp time.Duration) string {
		tok, _ := jwt.NewBuilder().Issuer(client).Subject(client).Audience([]string{h.http.URL + "/auth/token"}).
			JwtID(jti).Expiration(time.Now().Add(exp)).Build()
		s, err := jwt.Sign(tok, jwt.WithKey(jwa.ES384, priv))
		if err != nil {
			t.Fatal(err)
		}
		return string(s)
	}
	form := func(a, sc string) url.Values {
		return url.Values{"grant_type": {"client_credentials"}, "scope": {sc},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {a}}
	}
	st, out := h.tokenReq(t, form(assertion("his", "j1", 4*time.Minute), "system/Patient.rs system/Observation.cud system/Encounter.rs"))
	if st != 200 || out["scope"] != "system/Patient.rs system/Observation.cud" {
		t.Fatalf("%d %v", st, out)
	}
	p, err := h.srv.Verify(ctx, out["access_token"].(string))
	if err != nil || p.Kind != auth.KindClient || p.Institution != "county" {
		t.Fatalf("%+v %v", p, err)
	}
	if st, out := h.tokenReq(t, form(assertion("his", "j1", 4*time.Minute), "system/Patient.rs")); st != 401 {
		t.Fatalf("replayed jti: %d %v", st, out)
	}
	if st, _ := h.tokenReq(t, form(assertion("his", "j2", time.Hour), "system/Patient.rs")); st != 401 {
		t.Fatal("assertion valid for an hour accepted")
	}
	// A key the client did not register.
	other, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	ok2, _ := jwk.FromRaw(other)
	tok, _ := jwt.NewBuilder().Issuer("his").Subject("his").Audience([]string{h.http.URL + "/auth/token"}).JwtID("j3").Expiration(time.Now().Add(time.Minute)).Build()
	forged, _ := jwt.Sign(tok, jwt.WithKey(jwa.ES384, ok2))
	if st, _ := h.tokenReq(t, form(string(forged), "system/Patient.rs")); st != 401 {
		t.Fatal("assertion by an unregistered key accepted")
	}
	// JWKS by URL, served on this machine.
	jwksSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(jwks) }))
	defer jwksSrv.Close()
	if err := h.srv.RegisterClient(ctx, &smart.Client{ID: "lis", Institution: "county", Type: smart.Backend,
		Scopes: "system/Observation.c", JWKSURL: jwksSrv.URL}); err != nil {
		t.Fatal(err)
	}
	if st, out := h.tokenReq(t, form(assertion("lis", "j4", time.Minute), "system/Observation.c")); st != 200 {
		t.Fatalf("jwks url: %d %v", st, out)
	}
	if err := h.srv.RegisterClient(ctx, &smart.Client{ID: "far", Institution: "county", Type: smart.Backend,
		Scopes: "system/Observation.c", JWKSURL: "https://keys.example.com/jwks"}); err == nil {
		t.Fatal("a non-loopback JWKS URL was accepted")
	}
	// Introspection by a backend client.
	resp, _ := http.PostForm(h.http.URL+"/auth/introspect", url.Values{"token": {out["access_token"].(string)},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion("his", "j5", time.Minute)}})
	var intro map[string]any
	json.Unmarshal([]byte(readAll(t, resp)), &intro)
	if intro["active"] != true || intro["client_id"] != "his" {
		t.Fatalf("introspect: %v", intro)
	}
}

func TestConfiguration(t *testing.T) {
	t.Parallel()
	h := start(t)
	resp, err := http.Get(h.http.URL + "/fhir/.well-known/smart-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	json.Unmarshal([]byte(readAll(t, resp)), &cfg)
	if cfg["token_endpoint"] != h.http.URL+"/auth/token" || cfg["code_challenge_methods_supported"].([]any)[0] != "S256" {
		t.Fatalf("%v", cfg)
	}
}

func TestLoginLockoutThroughPage(t *testing.T) {
	t.Parallel()
	h := start(t)
	b := browser()
	_, challenge := pkce()
	q := url.Values{"response_type": {"code"}, "client_id": {"app"}, "redirect_uri": {appRedirect}, "scope": {"patient/*.rs"},
		"aud": {h.http.URL + "/fhir"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	resp, _ := b.Get(h.http.URL + "/auth/authorize?" + q.Encode())
	txn := txnRe.FindStringSubmatch(readAll(t, resp))[1]
	for range 5 {
		resp, _ := b.PostForm(h.http.URL+"/auth/login", url.Values{"txn": {txn}, "username": {"doctor"}, "password": {"nope"}})
		if resp.StatusCode != 401 {
			t.Fatalf("%d", resp.StatusCode)
		}
		resp.Body.Close()
	}
	resp, _ = b.PostForm(h.http.URL+"/auth/login", url.Values{"txn": {txn}, "username": {"doctor"}, "password": {password}})
	if page := readAll(t, resp); resp.StatusCode != 401 || strings.Contains(page, "locked") {
		t.Fatalf("locked account: %d (the page must not say why)", resp.StatusCode)
	}
}
