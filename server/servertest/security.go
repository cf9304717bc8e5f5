package servertest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"

	"yigong/server"
	"yigong/server/auth/accounts"
	"yigong/server/auth/smart"
)

// SMART is a Start option: the hub authenticates every FHIR, DICOMweb, ECG
// and admin request with tokens of its built-in authorization server (the
// production mode), with a cheap argon2id cost so that tests stay fast.
// The default of Start is development mode on loopback (no tokens).
func SMART(c *server.Config) {
	c.Security.Mode = "smart"
	c.Security.Password.Argon2MemoryKiB = 64
	c.Security.Password.Argon2Time = 1
	c.Security.Password.Argon2Threads = 1
}

// TestPassword satisfies the default password policy.
const TestPassword = "Correct-Horse-9-Battery"

// AddUser creates an account with TestPassword (admin: an administrative
// role of 三员分立, or accounts.NoAdmin).
func (h *Hub) AddUser(tb testing.TB, id, institution, fhirUser string, admin accounts.AdminRole) {
	tb.Helper()
	acc := h.Accounts()
	if acc == nil {
		tb.Fatal("servertest: AddUser needs a SMART hub (servertest.SMART)")
	}
	if _, err := acc.Create(context.Background(), nil, accounts.NewUser{ID: id, Institution: institution,
		FHIRUser: fhirUser, Password: TestPassword, Admin: admin}); err != nil {
		tb.Fatalf("servertest: add user %s: %v", id, err)
	}
}

// AppRedirect is the redirect URI of the apps AddApp registers; nothing
// listens there: the test's browser stops at the redirect.
const AppRedirect = "http://127.0.0.1:1/callback"

// AddApp registers a public SMART app allowed scopes.
func (h *Hub) AddApp(tb testing.TB, id, institution, scopes string) {
	tb.Helper()
	if err := h.SMART().RegisterClient(context.Background(), &smart.Client{ID: id, Name: id, Institution: institution,
		Type: smart.Public, RedirectURIs: []string{AppRedirect}, Scopes: scopes}); err != nil {
		tb.Fatalf("servertest: add app %s: %v", id, err)
	}
}

// AddBackend registers a backend service client with a fresh ES384 key and
// returns the path of its private JWK (for smart.ClientAssertion).
func (h *Hub) AddBackend(tb testing.TB, id, institution, scopes string) string {
	tb.Helper()
	raw, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	priv, _ := jwk.FromRaw(raw)
	priv.Set(jwk.KeyIDKey, id+"-1")
	priv.Set(jwk.AlgorithmKey, jwa.ES384)
	pub, _ := jwk.PublicKeyOf(priv)
	set := jwk.NewSet()
	set.AddKey(pub)
	jwks, _ := json.Marshal(set)
	path := filepath.Join(tb.TempDir(), id+".jwk")
	privJSON, _ := json.Marshal(priv)
	if err := os.WriteFile(path, privJSON, 0o600); err != nil {
		tb.Fatal(err)
	}
	if err := h.SMART().RegisterClient(context.Background(), &smart.Client{ID: id, Name: id, Institution: institution,
		Type: smart.Backend, Scopes: scopes, JWKS: jwks}); err != nil {
		tb.Fatalf("servertest: add backend %s: %v", id, err)
	}
	return path
}

// BackendToken gets an access token by client_credentials with a client
// assertion signed by the key at keyPath (SMART Backend Services).
func (h *Hub) BackendToken(tb testing.TB, id, keyPath, scope string) string {
	tb.Helper()
	tokenURL := h.SMART().TokenURL()
	assertion, err := smart.ClientAssertion(keyPath, id, tokenURL)
	if err != nil {
		tb.Fatal(err)
	}
	st, out := postToken(tb, tokenURL, smart.ClientCredentialsForm(assertion, scope))
	if st != http.StatusOK {
		tb.Fatalf("servertest: backend token: %d %v", st, out)
	}
	return out["access_token"].(string)
}

// Launch describes a standalone launch for UserToken.
type Launch struct {
	User, Password string // Password "" means TestPassword
	App            string
	Scope          string
	Patient        string // picked on the consent page when launch/patient is asked
}

var (
	txnRe    = regexp.MustCompile(`name="txn" value="([0-9a-f]+)"`)
	secretRe = regexp.MustCompile(`<code id="secret">([A-Z2-7]+)</code>`)
)

// UserToken runs a standalone launch as a browser would (authorize, login
// with a TOTP enrolment for administrators, consent with the patient
// picker, PKCE code exchange) and returns the token response.
func (h *Hub) UserToken(tb testing.TB, l Launch) map[string]any {
	tb.Helper()
	if l.Password == "" {
		l.Password = TestPassword
	}
	jar, _ := cookiejar.New(nil)
	b := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), AppRedirect) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	v := make([]byte, 32)
	rand.Read(v)
	verifier := base64.RawURLEncoding.EncodeToString(v)
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{"response_type": {"code"}, "client_id": {l.App}, "redirect_uri": {AppRedirect}, "scope": {l.Scope},
		"state": {"s1"}, "aud": {h.BaseURL()}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"}}
	iss := h.SMART().Issuer()
	page, resp := get(tb, b, iss+"/auth/authorize?"+q.Encode())
	m := txnRe.FindStringSubmatch(page)
	if m == nil {
		tb.Fatalf("servertest: authorize: %d %s", resp.StatusCode, page)
	}
	txn := m[1]
	page, _ = post(tb, b, iss+"/auth/login", url.Values{"txn": {txn}, "username": {l.User}, "password": {l.Password}})
	if sm := secretRe.FindStringSubmatch(page); sm != nil { // an administrator enrols TOTP
		secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(sm[1])
		if err != nil {
			tb.Fatal(err)
		}
		code := accounts.TOTP{Secret: secret}.Code(time.Now())
		page, _ = post(tb, b, iss+"/auth/totp", url.Values{"txn": {txn}, "totp": {code}})
	}
	if !strings.Contains(page, `id="consent"`) {
		tb.Fatalf("servertest: no consent page after login: %s", page)
	}
	form := url.Values{"txn": {txn}, "decision": {"approve"}}
	if l.Patient != "" {
		form.Set("patient", l.Patient)
	}
	resp, err := b.PostForm(iss+"/auth/consent", form)
	if err != nil {
		tb.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	code := loc.Query().Get("code")
	if code == "" {
		tb.Fatalf("servertest: consent: %d %s %s", resp.StatusCode, loc, body)
	}
	st, out := postToken(tb, iss+"/auth/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {AppRedirect}, "client_id": {l.App}, "code_verifier": {verifier}})
	if st != http.StatusOK {
		tb.Fatalf("servertest: token: %d %v", st, out)
	}
	return out
}

func get(tb testing.TB, c *http.Client, u string) (string, *http.Response) {
	tb.Helper()
	resp, err := c.Get(u)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp
}

func post(tb testing.TB, c *http.Client, u string, form url.Values) (string, *http.Response) {
	tb.Helper()
	resp, err := c.PostForm(u, form)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp
}

func postToken(tb testing.TB, u string, form url.Values) (int, map[string]any) {
	tb.Helper()
	resp, err := http.PostForm(u, form)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}
