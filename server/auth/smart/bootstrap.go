package smart

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"yigong/server/auth/accounts"
)

// Bootstrap is the first-run setup: when no account exists it creates the
// three administrators of 三员分立 (sysadmin, secadmin, auditadmin) with
// random passwords printed once to out (never logged; each must enrol TOTP
// at first login), a demo clinician "demo" (password printed too), the
// public SMART client "demo" and the backend client "demo-backend", whose
// private key is written to keyPath (0600) so that `yigong token` can get a
// token with a client assertion. It does nothing on later starts.
type Bootstrap struct {
	Institution string
	KeyPath     string // e.g. <data>/auth/demo-backend.jwk
	Out         io.Writer
	// NoDemo creates only the three administrators: no demo clinician, no
	// demo clients (security.demo_client: false).
	NoDemo bool
}

// Run performs the bootstrap; done reports whether it did anything.
func (b Bootstrap) Run(ctx context.Context, s *Server) (done bool, err error) {
	users, err := s.o.Accounts.List(ctx)
	if err != nil || len(users) > 0 {
		return false, err
	}
	type cred struct{ id, role, pw string }
	var creds []cred
	for _, a := range []struct {
		id   string
		role accounts.AdminRole
	}{{"sysadmin", accounts.SystemAdmin}, {"secadmin", accounts.SecurityAdmin}, {"auditadmin", accounts.AuditAdmin}, {"demo", accounts.NoAdmin}} {
		if b.NoDemo && a.role == accounts.NoAdmin {
			continue
		}
		pw := accounts.RandomPassword(20)
		if _, err := s.o.Accounts.Create(ctx, nil, accounts.NewUser{ID: a.id, Institution: b.Institution, Password: pw, Admin: a.role}); err != nil {
			return false, err
		}
		creds = append(creds, cred{a.id, string(a.role), pw})
	}
	if b.NoDemo {
		fmt.Fprintln(b.Out, "\n== yigong first start: administrators created (passwords shown ONCE; store them now) ==")
		for _, c := range creds {
			fmt.Fprintf(b.Out, "  %-11s %-16s password: %s\n", c.id, c.role, c.pw)
		}
		fmt.Fprintf(b.Out, "Administrators enrol a TOTP second factor at first login (%s/auth/authorize).\n\n", s.o.Issuer())
		return true, nil
	}
	raw, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		return false, err
	}
	priv, _ := jwk.FromRaw(raw)
	priv.Set(jwk.KeyIDKey, "demo-backend-1")
	priv.Set(jwk.AlgorithmKey, jwa.ES384)
	pub, _ := jwk.PublicKeyOf(priv)
	set := jwk.NewSet()
	set.AddKey(pub)
	jwks, _ := json.Marshal(set)
	privJSON, _ := json.Marshal(priv)
	if err := os.MkdirAll(filepath.Dir(b.KeyPath), 0o700); err != nil {
		return false, err
	}
	if err := os.WriteFile(b.KeyPath, privJSON, 0o600); err != nil {
		return false, err
	}
	if err := s.RegisterClient(ctx, &Client{ID: "demo-backend", Name: "Demo backend service", Institution: b.Institution,
		Type: Backend, Scopes: "system/*.cruds system/*.rs", JWKS: jwks}); err != nil {
		return false, err
	}
	if err := s.RegisterClient(ctx, &Client{ID: "demo", Name: "Demo SMART app", Institution: b.Institution, Type: Public,
		RedirectURIs: []string{"http://127.0.0.1:9090/callback", "http://localhost:9090/callback"},
		Scopes:       "openid fhirUser launch launch/patient offline_access online_access patient/*.rs patient/*.cruds user/*.rs user/*.cruds"}); err != nil {
		return false, err
	}
	fmt.Fprintln(b.Out, "\n== yigong first start: accounts created (passwords shown ONCE; store them now) ==")
	for _, c := range creds {
		role := c.role
		if role == "" {
			role = "clinician (demo)"
		}
		fmt.Fprintf(b.Out, "  %-11s %-16s password: %s\n", c.id, role, c.pw)
	}
	fmt.Fprintf(b.Out, "Administrators enrol a TOTP second factor at first login (%s/auth/authorize).\n", s.o.Issuer())
	fmt.Fprintf(b.Out, "Backend client 'demo-backend' key: %s\nGet a token:\n  TOKEN=$(yigong token --data %s --url %s)\n  curl -H \"Authorization: Bearer $TOKEN\" %s/Patient\n\n",
		b.KeyPath, filepath.Dir(filepath.Dir(b.KeyPath)), s.o.FHIRBase(), s.o.FHIRBase())
	return true, nil
}

// AssertionTypeJWT is the client_assertion_type of a private_key_jwt
// client assertion (RFC 7523).
const AssertionTypeJWT = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// ClientCredentialsForm is the token request of a backend service
// (client_credentials with a client assertion from ClientAssertion).
func ClientCredentialsForm(assertion, scope string) url.Values {
	return url.Values{"grant_type": {"client_credentials"}, "scope": {scope},
		"client_assertion_type": {AssertionTypeJWT}, "client_assertion": {assertion}}
}

// ClientAssertion signs an RFC 7523 client assertion for clientID with the
// private JWK in keyPath, valid for 4 minutes, for tokenURL. `yigong token`
// uses it with the demo backend key.
func ClientAssertion(keyPath, clientID, tokenURL string) (string, error) {
	data, err := os.ReadFile(keyPath)
	if err != nil {
		return "", fmt.Errorf("smart: client key: %w", err)
	}
	key, err := jwk.ParseKey(data)
	if err != nil {
		return "", fmt.Errorf("smart: client key: %w", err)
	}
	tok, err := jwt.NewBuilder().Issuer(clientID).Subject(clientID).Audience([]string{tokenURL}).
		JwtID(randomToken(16)).IssuedAt(time.Now()).Expiration(time.Now().Add(4 * time.Minute)).Build()
	if err != nil {
		return "", err
	}
	alg := jwa.ES384
	if a, ok := key.Get(jwk.AlgorithmKey); ok {
		if sa, ok := a.(jwa.SignatureAlgorithm); ok {
			alg = sa
		}
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(alg, key))
	return string(signed), err
}
