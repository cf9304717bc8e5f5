package smart

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"yigong/fhir/store"
	"yigong/server/auth"
	"yigong/server/auth/accounts"
	"yigong/server/auth/internal/records"
	"yigong/server/auth/roles"
	"yigong/server/auth/scope"
)

// PatientChoice is one row of the standalone-launch patient picker.
type PatientChoice struct {
	ID      string
	Display string // name, birth date, identifier: shown to the signed-in user only
}

// PatientFinder lists the patients a user may pick at standalone launch
// (the hub searches its store: by name when the user typed one, else the
// first 50; institution visibility is not applied yet).
type PatientFinder interface {
	FindPatients(ctx context.Context, user *accounts.User, query string) ([]PatientChoice, error)
}

// Auditor receives security events (login, logout, failures, token
// issuance); package audit's Recorder implements it through an adapter.
type Auditor interface {
	Security(ctx context.Context, ev Event)
}

// Event is a security event for the audit trail.
type Event struct {
	Action  string // login, logout, auth-failure, token
	Agent   string // user or client id ("" when unknown)
	Client  string
	Address string
	Success bool
	Detail  string // never a secret
}

// Options configure a Server.
type Options struct {
	// Issuer is the base URL of the authorization endpoints
	// ("http://host:8080"), FHIRBase the FHIR base ("http://host:8080/fhir"),
	// the audience of access tokens. Functions, because the port is known
	// only once the listener is bound.
	Issuer   func() string
	FHIRBase func() string
	Records  store.AuthRecords
	Accounts *accounts.Service
	Keys     *Keys
	Patients PatientFinder // nil: standalone launch/patient is refused
	Roles    RoleResolver  // nil: users have no role permissions
	// RoleStore keeps the roles the admin API manages (/admin/auth/roles);
	// nil: that API answers 404.
	RoleStore *roles.Store
	Audit     Auditor // nil: no security events
	Log       *slog.Logger
	Now       func() time.Time
	// Lifetimes; zero means the default given.
	AccessTTL  time.Duration // 1 h
	RefreshTTL time.Duration // 30 days (offline_access) / the session (online_access)
	// SecureCookies marks the session cookie Secure (HTTPS deployments).
	SecureCookies bool
	// HTTPClient fetches client JWKS from loopback URLs (nil: a plain client).
	HTTPClient *http.Client
}

// RoleResolver returns the permissions of role ids.
type RoleResolver interface {
	Permissions(ctx context.Context, roleIDs []string) ([]roles.Permission, error)
}

// Server is the authorization server.
type Server struct {
	o        Options
	clients  records.Table[Client]
	authz    records.Table[authzRequest]
	codes    records.Table[authCode]
	refresh  records.Table[refreshToken]
	families records.Table[family]
	revoked  records.Table[struct{}]
	jtis     records.Table[struct{}]
	launches records.Table[Launch]
}

var _ auth.Verifier = (*Server)(nil)

// New returns a server.
func New(o Options) (*Server, error) {
	if o.Issuer == nil || o.FHIRBase == nil || o.Records == nil || o.Accounts == nil || o.Keys == nil || o.Log == nil {
		return nil, errors.New("smart: Issuer, FHIRBase, Records, Accounts, Keys and Log are required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.AccessTTL == 0 {
		o.AccessTTL = time.Hour
	}
	if o.RefreshTTL == 0 {
		o.RefreshTTL = 30 * 24 * time.Hour
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 5 * time.Second}
	}
	r := o.Records
	return &Server{o: o,
		clients: records.Table[Client]{R: r, Kind: "client"}, authz: records.Table[authzRequest]{R: r, Kind: "authz"},
		codes: records.Table[authCode]{R: r, Kind: "code"}, refresh: records.Table[refreshToken]{R: r, Kind: "refresh"},
		families: records.Table[family]{R: r, Kind: "family"}, revoked: records.Table[struct{}]{R: r, Kind: "revoked"},
		jtis: records.Table[struct{}]{R: r, Kind: "assertion-jti"}, launches: records.Table[Launch]{R: r, Kind: "launch"},
	}, nil
}

// Register adds the routes: the SMART configuration under fhir, the rest
// under root.
func (s *Server) Register(root *echo.Echo, fhir *echo.Group) {
	fhir.GET("/.well-known/smart-configuration", s.configuration)
	a := root.Group("/auth")
	a.GET("/authorize", s.authorize)
	a.GET("/login", s.loginPage)
	a.POST("/login", s.login)
	a.POST("/totp", s.totpEnrol)
	a.POST("/password", s.changePassword)
	a.GET("/consent", s.consentPage)
	a.POST("/consent", s.consent)
	a.POST("/logout", s.logout)
	a.POST("/token", s.token)
	a.POST("/revoke", s.revoke)
	a.POST("/introspect", s.introspect)
	a.GET("/jwks", s.jwks)
	a.POST("/launch", s.launch)
	admin := root.Group("/admin/auth")
	s.registerAdmin(admin)
	s.registerRoleAdmin(admin)
}

func (s *Server) tokenURL() string { return s.o.Issuer() + "/auth/token" }

// TokenURL is the token endpoint (the audience of client assertions).
func (s *Server) TokenURL() string { return s.tokenURL() }

// Issuer is the base URL of the authorization endpoints.
func (s *Server) Issuer() string { return s.o.Issuer() }

// Scopes the server supports, for the configuration document.
var supportedScopes = []string{"openid", "fhirUser", "launch", "launch/patient", "launch/encounter", "offline_access",
	"online_access", "patient/*.rs", "patient/*.cruds", "user/*.rs", "user/*.cruds", "system/*.rs", "system/*.cruds",
	"patient/*.read", "user/*.read", "user/*.write", "system/*.read"}

func (s *Server) configuration(c echo.Context) error {
	iss := s.o.Issuer()
	return c.JSON(http.StatusOK, map[string]any{
		"issuer":                                iss,
		"jwks_uri":                              iss + "/auth/jwks",
		"authorization_endpoint":                iss + "/auth/authorize",
		"token_endpoint":                        iss + "/auth/token",
		"revocation_endpoint":                   iss + "/auth/revoke",
		"introspection_endpoint":                iss + "/auth/introspect",
		"grant_types_supported":                 []string{"authorization_code", "refresh_token", "client_credentials"},
		"token_endpoint_auth_methods_supported": []string{"none", "private_key_jwt"},
		"token_endpoint_auth_signing_alg_values_supported": []string{"RS384", "ES384", "RS256"},
		"scopes_supported":                 supportedScopes,
		"response_types_supported":         []string{"code"},
		"code_challenge_methods_supported": []string{"S256"},
		"capabilities": []string{"launch-ehr", "launch-standalone", "client-public", "client-confidential-asymmetric",
			"context-ehr-patient", "context-ehr-encounter", "context-standalone-patient", "permission-offline",
			"permission-online", "permission-patient", "permission-user", "permission-v1", "permission-v2",
			"sso-openid-connect", "authorize-post"},
	})
}

func (s *Server) jwks(c echo.Context) error {
	set, err := s.o.Keys.Public()
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, set)
}

func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func hashKey(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// grant is what a token stands for: the same for codes, refresh tokens and
// access tokens.
type grant struct {
	Client      string   `json:"client"`
	User        string   `json:"user,omitempty"` // "" for backend services
	Institution string   `json:"institution"`
	Scopes      string   `json:"scopes"`
	Patient     string   `json:"patient,omitempty"`
	Encounter   string   `json:"encounter,omitempty"`
	FHIRUser    string   `json:"fhirUser,omitempty"`
	Roles       []string `json:"roles,omitempty"`
	Admin       string   `json:"admin,omitempty"`
	Nonce       string   `json:"nonce,omitempty"`
	AuthTime    int64    `json:"authTime,omitempty"`
}

// issueAccess signs an access token for g.
func (s *Server) issueAccess(g grant) (string, string, time.Time, error) {
	now := s.o.Now()
	exp := now.Add(s.o.AccessTTL)
	jti := randomToken(16)
	b := jwt.NewBuilder().Issuer(s.o.Issuer()).Audience([]string{s.o.FHIRBase()}).IssuedAt(now).
		NotBefore(now.Add(-30*time.Second)).Expiration(exp).JwtID(jti).
		Claim("client_id", g.Client).Claim("scope", g.Scopes).Claim("inst", g.Institution)
	if g.User != "" {
		b = b.Subject(g.User)
	} else {
		b = b.Subject(g.Client)
	}
	for k, v := range map[string]string{"patient": g.Patient, "encounter": g.Encounter, "fhirUser": g.FHIRUser, "adm": g.Admin} {
		if v != "" {
			b = b.Claim(k, v)
		}
	}
	if len(g.Roles) > 0 {
		b = b.Claim("roles", g.Roles)
	}
	tok, err := b.Build()
	if err != nil {
		return "", "", time.Time{}, err
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.RS256, s.o.Keys.Signing()))
	return string(signed), jti, exp, err
}

// issueID signs an OpenID Connect id_token for g (aud = client).
func (s *Server) issueID(g grant) (string, error) {
	now := s.o.Now()
	b := jwt.NewBuilder().Issuer(s.o.Issuer()).Subject(g.User).Audience([]string{g.Client}).IssuedAt(now).
		Expiration(now.Add(s.o.AccessTTL))
	if g.Nonce != "" {
		b = b.Claim("nonce", g.Nonce)
	}
	if g.AuthTime != 0 {
		b = b.Claim("auth_time", g.AuthTime)
	}
	set, _ := scope.ParseSet(g.Scopes)
	if set.Has("fhirUser") && g.FHIRUser != "" {
		b = b.Claim("fhirUser", s.o.FHIRBase()+"/"+g.FHIRUser)
	}
	tok, err := b.Build()
	if err != nil {
		return "", err
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.RS256, s.o.Keys.Signing()))
	return string(signed), err
}

// ErrRevoked is wrapped by Verify for a revoked access token.
var ErrRevoked = errors.New("smart: token revoked")

// Verify implements auth.Verifier: signature by one of the ring's keys,
// issuer, audience (the FHIR base), expiry, and the revocation list.
func (s *Server) Verify(ctx context.Context, token string) (*auth.Principal, error) {
	set, err := s.o.Keys.Public()
	if err != nil {
		return nil, err
	}
	tok, err := jwt.ParseString(token, jwt.WithKeySet(set), jwt.WithValidate(true), jwt.WithIssuer(s.o.Issuer()),
		jwt.WithAudience(s.o.FHIRBase()), jwt.WithClock(jwt.ClockFunc(s.o.Now)), jwt.WithAcceptableSkew(30*time.Second))
	if err != nil {
		return nil, fmt.Errorf("smart: verify: %w", err)
	}
	if _, _, err := s.revoked.Get(ctx, tok.JwtID()); err == nil {
		return nil, ErrRevoked
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	str := func(k string) string {
		v, _ := tok.Get(k)
		s, _ := v.(string)
		return s
	}
	scopes, err := scope.ParseSet(str("scope"))
	if err != nil {
		return nil, err
	}
	p := &auth.Principal{Kind: auth.KindUser, Subject: tok.Subject(), ClientID: str("client_id"), Institution: str("inst"),
		FHIRUser: str("fhirUser"), Scopes: scopes, Patient: str("patient"), Encounter: str("encounter"),
		TokenID: tok.JwtID(), Expires: tok.Expiration(), Admin: str("adm")}
	if p.Subject == p.ClientID {
		p.Kind = auth.KindClient
	}
	if v, ok := tok.Get("roles"); ok {
		if list, ok := v.([]any); ok {
			for _, r := range list {
				if rs, ok := r.(string); ok {
					p.Roles = append(p.Roles, rs)
				}
			}
		}
	}
	if s.o.Roles != nil && len(p.Roles) > 0 {
		if p.Permissions, err = s.o.Roles.Permissions(ctx, p.Roles); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Launch is an EHR launch context, registered by the EHR before it opens
// the app with ?launch=<id>&iss=<fhir base>.
type Launch struct {
	Patient   string `json:"patient,omitempty"`
	Encounter string `json:"encounter,omitempty"`
	User      string `json:"user,omitempty"` // only this user may use it ("" any)
}

// CreateLaunch stores a launch context for 10 minutes and returns its id.
func (s *Server) CreateLaunch(ctx context.Context, l Launch) (string, error) {
	id := randomToken(12)
	_, err := s.launches.Put(ctx, id, "", &l, s.o.Now().Add(10*time.Minute), 0)
	return id, err
}

// RegisterClient creates or replaces a client (admin API and bootstrap).
func (s *Server) RegisterClient(ctx context.Context, c *Client) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if c.Created.IsZero() {
		c.Created = s.o.Now()
	}
	_, ver, err := s.clients.Get(ctx, c.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	_, err = s.clients.Put(ctx, c.ID, c.Institution, c, time.Time{}, ver)
	return err
}

// Client returns a registered client.
func (s *Server) Client(ctx context.Context, id string) (*Client, error) {
	c, _, err := s.clients.Get(ctx, id)
	return c, err
}

// grantedScopes narrows requested to what the client is registered for;
// SMART lets a server grant fewer scopes than asked.
func grantedScopes(requested, allowed scope.Set) scope.Set {
	var out scope.Set
	for _, r := range requested {
		if scope.Within(scope.Set{r}, allowed) {
			out = append(out, r)
		}
	}
	return out
}

func clientIP(c echo.Context) string { return c.RealIP() }

func (s *Server) audit(ctx context.Context, ev Event) {
	if s.o.Audit != nil {
		s.o.Audit.Security(ctx, ev)
	}
}

func containsFold(list []string, v string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, v) })
}

func decodeCode(data []byte) (*authCode, int64, error) {
	var ac authCode
	if err := json.Unmarshal(data, &ac); err != nil {
		return nil, 0, fmt.Errorf("smart: code: %w", err)
	}
	return &ac, 0, nil
}
