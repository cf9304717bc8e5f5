package smart

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"yigong/fhir/store"
	"yigong/server/auth/scope"
)

// refreshToken is a stored refresh token (by the hash of its value).
type refreshToken struct {
	grant
	Family string `json:"family"`
	Used   bool   `json:"used,omitempty"` // rotated: presenting it again is reuse
}

// family ties the refresh tokens descended from one authorization; reuse of
// a rotated token revokes the family, and with it the newest token.
type family struct {
	Revoked bool      `json:"revoked,omitempty"`
	Created time.Time `json:"created"`
}

// oauthError is an RFC 6749 §5.2 error response.
type oauthError struct {
	Status int
	Code   string
	Desc   string
}

func (e *oauthError) Error() string { return "smart: " + e.Code + ": " + e.Desc }

func oerr(code, format string, args ...any) *oauthError {
	st := http.StatusBadRequest
	if code == "invalid_client" {
		st = http.StatusUnauthorized
	}
	return &oauthError{Status: st, Code: code, Desc: fmt.Sprintf(format, args...)}
}

func (s *Server) token(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().Header().Set("Pragma", "no-cache")
	resp, err := s.tokenGrant(c)
	if err != nil {
		var oe *oauthError
		if errors.As(err, &oe) {
			s.audit(c.Request().Context(), Event{Action: "auth-failure", Client: c.FormValue("client_id"), Address: clientIP(c),
				Detail: "token " + c.FormValue("grant_type") + ": " + oe.Code})
			return c.JSON(oe.Status, map[string]string{"error": oe.Code, "error_description": oe.Desc})
		}
		return err
	}
	return c.JSON(http.StatusOK, resp)
}

func (s *Server) tokenGrant(c echo.Context) (map[string]any, error) {
	ctx := c.Request().Context()
	switch gt := c.FormValue("grant_type"); gt {
	case "authorization_code":
		return s.codeGrant(c)
	case "refresh_token":
		return s.refreshGrant(ctx, c)
	case "client_credentials":
		cl, err := s.authenticateClient(ctx, c)
		if err != nil {
			return nil, err
		}
		if cl == nil || cl.Type != Backend {
			return nil, oerr("unauthorized_client", "client_credentials needs a backend client with private_key_jwt")
		}
		requested, err := scope.ParseSet(c.FormValue("scope"))
		if err != nil {
			return nil, oerr("invalid_scope", "%v", err)
		}
		allowed, _ := scope.ParseSet(cl.Scopes)
		granted := grantedScopes(requested, allowed)
		if len(granted) == 0 {
			return nil, oerr("invalid_scope", "none of the requested scopes is registered for this client")
		}
		g := grant{Client: cl.ID, Institution: cl.Institution, Scopes: granted.String()}
		s.audit(ctx, Event{Action: "login", Agent: cl.ID, Client: cl.ID, Address: clientIP(c), Success: true, Detail: "client_credentials"})
		return s.respond(ctx, g, "", false)
	default:
		return nil, oerr("unsupported_grant_type", "grant_type %q", gt)
	}
}

// authenticateClient authenticates a confidential or backend client by a
// client assertion (private_key_jwt, RFC 7523 §2.2, SMART Backend Services):
// iss = sub = client_id, aud = the token URL, exp within 5 minutes, jti not
// seen before, signed by a key of the client's JWKS. A request without an
// assertion is a public client (nil, nil) identified by client_id.
func (s *Server) authenticateClient(ctx context.Context, c echo.Context) (*Client, error) {
	assertion := c.FormValue("client_assertion")
	if assertion == "" {
		if _, _, ok := c.Request().BasicAuth(); ok {
			return nil, oerr("invalid_client", "client secrets are not supported; use private_key_jwt")
		}
		return nil, nil
	}
	if c.FormValue("client_assertion_type") != AssertionTypeJWT {
		return nil, oerr("invalid_client", "client_assertion_type must be jwt-bearer")
	}
	unverified, err := jwt.ParseString(assertion, jwt.WithVerify(false), jwt.WithValidate(false))
	if err != nil {
		return nil, oerr("invalid_client", "client_assertion: %v", err)
	}
	id := unverified.Issuer()
	if id == "" || unverified.Subject() != id || (c.FormValue("client_id") != "" && c.FormValue("client_id") != id) {
		return nil, oerr("invalid_client", "client_assertion iss and sub must be the client_id")
	}
	cl, _, err := s.clients.Get(ctx, id)
	if err != nil || cl.Disabled || cl.Type == Public {
		return nil, oerr("invalid_client", "unknown client")
	}
	set, err := cl.keySet(ctx, s.o.HTTPClient)
	if err != nil {
		return nil, oerr("invalid_client", "client keys: %v", err)
	}
	tok, err := jwt.ParseString(assertion, jwt.WithKeySet(set, jws.WithInferAlgorithmFromKey(true), jws.WithRequireKid(false)),
		jwt.WithValidate(true), jwt.WithAudience(s.tokenURL()), jwt.WithClock(jwt.ClockFunc(s.o.Now)),
		jwt.WithAcceptableSkew(30*time.Second))
	if err != nil {
		return nil, oerr("invalid_client", "client_assertion: %v", err)
	}
	if tok.Expiration().IsZero() || tok.Expiration().Sub(s.o.Now()) > 5*time.Minute+30*time.Second {
		return nil, oerr("invalid_client", "client_assertion exp must be at most 5 minutes ahead")
	}
	if tok.JwtID() == "" {
		return nil, oerr("invalid_client", "client_assertion needs a jti")
	}
	if _, err := s.jtis.Put(ctx, cl.ID+" "+tok.JwtID(), cl.Institution, &struct{}{}, tok.Expiration().Add(time.Minute), 0); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, oerr("invalid_client", "client_assertion jti was already used")
		}
		return nil, err
	}
	return cl, nil
}

func (s *Server) codeGrant(c echo.Context) (map[string]any, error) {
	ctx := c.Request().Context()
	code := c.FormValue("code")
	key := hashKey(code)
	rec, err := s.o.Records.GetAuthRecord(ctx, "code", key)
	if err != nil {
		return nil, oerr("invalid_grant", "unknown, used or expired code")
	}
	// Single use: whoever deletes this version owns the code.
	if err := s.o.Records.DeleteAuthRecord(ctx, "code", key, rec.Version); err != nil {
		return nil, oerr("invalid_grant", "code already used")
	}
	ac, _, err := decodeCode(rec.Value)
	if err != nil {
		return nil, err
	}
	cl, err := s.authenticateClient(ctx, c)
	if err != nil {
		return nil, err
	}
	if cl == nil {
		if c.FormValue("client_id") != ac.Req.Client {
			return nil, oerr("invalid_grant", "code was issued to another client")
		}
		pub, _, err := s.clients.Get(ctx, ac.Req.Client)
		if err != nil || pub.Type != Public {
			return nil, oerr("invalid_client", "client authentication required")
		}
	} else if cl.ID != ac.Req.Client {
		return nil, oerr("invalid_grant", "code was issued to another client")
	}
	if c.FormValue("redirect_uri") != ac.Req.RedirectURI {
		return nil, oerr("invalid_grant", "redirect_uri differs from the authorization request")
	}
	verifier := c.FormValue("code_verifier")
	sum := sha256.Sum256([]byte(verifier))
	if len(verifier) < 43 || len(verifier) > 128 ||
		subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(ac.Req.Challenge)) != 1 {
		return nil, oerr("invalid_grant", "code_verifier does not match the code_challenge (PKCE S256)")
	}
	set, _ := scope.ParseSet(ac.Grant.Scopes)
	return s.respond(ctx, ac.Grant, "", set.Has("offline_access") || set.Has("online_access"))
}

// respond issues the access token (and id_token, refresh token) for g.
// family continues a refresh-token family ("" starts one when refresh).
func (s *Server) respond(ctx context.Context, g grant, fam string, refresh bool) (map[string]any, error) {
	access, _, exp, err := s.issueAccess(g)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": int(time.Until(exp).Seconds() + 0.5),
		"scope": g.Scopes}
	if g.User == "" {
		out["expires_in"] = int(s.o.AccessTTL.Seconds())
	} else {
		out["expires_in"] = int(exp.Sub(s.o.Now()).Seconds())
	}
	set, _ := scope.ParseSet(g.Scopes)
	if g.Patient != "" {
		out["patient"] = g.Patient
		out["need_patient_banner"] = true
	}
	if g.Encounter != "" {
		out["encounter"] = g.Encounter
	}
	if g.User != "" && set.Has("fhirUser") && g.FHIRUser != "" {
		out["fhirUser"] = s.o.FHIRBase() + "/" + g.FHIRUser
	}
	if g.User != "" && set.Has("openid") {
		idt, err := s.issueID(g)
		if err != nil {
			return nil, err
		}
		out["id_token"] = idt
	}
	if refresh && g.User != "" {
		if fam == "" {
			fam = randomToken(12)
			if _, err := s.families.Put(ctx, fam, g.Institution, &family{Created: s.o.Now()}, s.o.Now().Add(s.o.RefreshTTL), 0); err != nil {
				return nil, err
			}
		}
		rt := "rt." + randomToken(32)
		if _, err := s.refresh.Put(ctx, hashKey(rt), g.Institution, &refreshToken{grant: g, Family: fam}, s.o.Now().Add(s.o.RefreshTTL), 0); err != nil {
			return nil, err
		}
		out["refresh_token"] = rt
	}
	return out, nil
}

// refreshGrant rotates a refresh token: the presented one is marked used
// (compare-and-swap, so two concurrent uses cannot both win) and a new one
// of the same family issued. Presenting a used token again is reuse (RFC
// 9700 §4.14.2): the family is revoked, so the thief's and the owner's
// newest tokens both stop working.
func (s *Server) refreshGrant(ctx context.Context, c echo.Context) (map[string]any, error) {
	key := hashKey(c.FormValue("refresh_token"))
	rt, ver, err := s.refresh.Get(ctx, key)
	if err != nil {
		return nil, oerr("invalid_grant", "unknown or expired refresh token")
	}
	cl, err := s.authenticateClient(ctx, c)
	if err != nil {
		return nil, err
	}
	if (cl == nil && c.FormValue("client_id") != rt.Client) || (cl != nil && cl.ID != rt.Client) {
		return nil, oerr("invalid_grant", "refresh token was issued to another client")
	}
	fam, _, err := s.families.Get(ctx, rt.Family)
	if err != nil || fam.Revoked {
		return nil, oerr("invalid_grant", "refresh token revoked")
	}
	if rt.Used {
		s.revokeFamily(ctx, rt.Family)
		s.audit(ctx, Event{Action: "auth-failure", Agent: rt.User, Client: rt.Client, Address: clientIP(c), Detail: "refresh token reuse: family revoked"})
		return nil, oerr("invalid_grant", "refresh token reuse detected; the token family is revoked")
	}
	rt.Used = true
	if _, err := s.refresh.Put(ctx, key, rt.Institution, rt, s.o.Now().Add(s.o.RefreshTTL), ver); err != nil {
		if errors.Is(err, store.ErrConflict) { // a concurrent use won: that is reuse too
			s.revokeFamily(ctx, rt.Family)
			return nil, oerr("invalid_grant", "refresh token reuse detected; the token family is revoked")
		}
		return nil, err
	}
	g := rt.grant
	if sc := c.FormValue("scope"); sc != "" { // narrowing only (RFC 6749 §6)
		req, err := scope.ParseSet(sc)
		if err != nil {
			return nil, oerr("invalid_scope", "%v", err)
		}
		have, _ := scope.ParseSet(g.Scopes)
		if !scope.Within(req, have) {
			return nil, oerr("invalid_scope", "a refresh cannot widen the scopes")
		}
		g.Scopes = req.String()
	}
	// Roles may have changed since the login: take the account's current state.
	if u, err := s.o.Accounts.Get(ctx, g.User); err != nil || u.Disabled {
		return nil, oerr("invalid_grant", "account unavailable")
	} else {
		g.Roles, g.Admin, g.Institution = u.Roles, string(u.Admin), u.Institution
	}
	return s.respond(ctx, g, rt.Family, true)
}

func (s *Server) revokeFamily(ctx context.Context, id string) {
	s.families.Update(ctx, id, func(f *family) (string, time.Time, error) {
		f.Revoked = true
		return "", s.o.Now().Add(s.o.RefreshTTL), nil
	})
}

// revoke implements RFC 7009: a refresh token revokes its family; an access
// token's jti is listed until it expires. Unknown tokens are not an error.
func (s *Server) revoke(c echo.Context) error {
	ctx := c.Request().Context()
	tok := c.FormValue("token")
	if rt, _, err := s.refresh.Get(ctx, hashKey(tok)); err == nil {
		if rt.Client != c.FormValue("client_id") {
			if cl, err := s.authenticateClient(ctx, c); err != nil || cl == nil || cl.ID != rt.Client {
				return c.JSON(http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
			}
		}
		s.revokeFamily(ctx, rt.Family)
		return c.NoContent(http.StatusOK)
	}
	if p, err := s.Verify(ctx, tok); err == nil {
		if p.ClientID != c.FormValue("client_id") {
			if cl, err := s.authenticateClient(ctx, c); err != nil || cl == nil || cl.ID != p.ClientID {
				return c.JSON(http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
			}
		}
		if _, err := s.revoked.Put(ctx, p.TokenID, p.Institution, &struct{}{}, p.Expires.Add(time.Minute), 0); err != nil && !errors.Is(err, store.ErrConflict) {
			return err
		}
	}
	return c.NoContent(http.StatusOK)
}

// introspect implements RFC 7662 for resource servers (DICOMweb viewers,
// other hubs): the caller authenticates with a bearer token of its own
// carrying a system/ scope, or with a client assertion.
func (s *Server) introspect(c echo.Context) error {
	ctx := c.Request().Context()
	authed := false
	if h, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer "); ok {
		if p, err := s.Verify(ctx, h); err == nil && p.Kind != "" {
			for _, sc := range p.Scopes {
				authed = authed || sc.Context == scope.System
			}
		}
	}
	if !authed {
		if cl, err := s.authenticateClient(ctx, c); err == nil && cl != nil {
			authed = true
		}
	}
	if !authed {
		return c.JSON(http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
	}
	p, err := s.Verify(ctx, c.FormValue("token"))
	if err != nil {
		return c.JSON(http.StatusOK, map[string]any{"active": false})
	}
	out := map[string]any{"active": true, "scope": p.Scopes.String(), "client_id": p.ClientID, "sub": p.Subject,
		"exp": p.Expires.Unix(), "iss": s.o.Issuer(), "token_type": "Bearer"}
	for k, v := range map[string]string{"patient": p.Patient, "encounter": p.Encounter, "fhirUser": p.FHIRUser} {
		if v != "" {
			out[k] = v
		}
	}
	return c.JSON(http.StatusOK, out)
}

// launch registers an EHR launch context. The caller is an EHR with a
// bearer token of a user or a backend client.
func (s *Server) launch(c echo.Context) error {
	ctx := c.Request().Context()
	h, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
	if !ok {
		return c.JSON(http.StatusUnauthorized, map[string]string{"error": "invalid_token"})
	}
	if _, err := s.Verify(ctx, h); err != nil {
		return c.JSON(http.StatusUnauthorized, map[string]string{"error": "invalid_token"})
	}
	var l Launch
	if err := c.Bind(&l); err != nil || l.Patient == "" {
		return c.JSON(http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "patient is required"})
	}
	id, err := s.CreateLaunch(ctx, l)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]string{"launch": id, "iss": s.o.FHIRBase()})
}
