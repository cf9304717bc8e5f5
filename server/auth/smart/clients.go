package smart

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"

	"yigong/server/auth/scope"
)

// ClientType is how a client authenticates at the token endpoint.
type ClientType string

// The client types.
const (
	// Public apps (browser, mobile: fhirclient) authenticate with PKCE only.
	Public ClientType = "public"
	// Confidential apps sign a client assertion (private_key_jwt, RFC 7523)
	// with a key from their registered JWKS.
	Confidential ClientType = "confidential"
	// Backend services (HIS sync, bulk export) use client_credentials with
	// private_key_jwt (SMART Backend Services).
	Backend ClientType = "backend"
)

// Client is a registered client.
type Client struct {
	ID           string     `json:"id"`
	Name         string     `json:"name"`
	Institution  string     `json:"institution"`
	Type         ClientType `json:"type"`
	RedirectURIs []string   `json:"redirectUris,omitempty"`
	// Scopes is the most the client may be granted (space-separated).
	Scopes string `json:"scopes"`
	// JWKS (inline) or JWKSURL (fetched; only loopback hosts are allowed,
	// the hub never fetches keys from elsewhere) hold the client's public keys.
	JWKS     []byte    `json:"jwks,omitempty"`
	JWKSURL  string    `json:"jwksUrl,omitempty"`
	Disabled bool      `json:"disabled,omitempty"`
	Created  time.Time `json:"created"`
}

// Validate checks a registration.
func (c *Client) Validate() error {
	if c.ID == "" || c.Institution == "" {
		return fmt.Errorf("smart: client: id and institution are required")
	}
	switch c.Type {
	case Public:
		if len(c.RedirectURIs) == 0 {
			return fmt.Errorf("smart: client %s: a public client needs redirect URIs", c.ID)
		}
	case Confidential, Backend:
		if len(c.JWKS) == 0 && c.JWKSURL == "" {
			return fmt.Errorf("smart: client %s: jwks or jwksUrl is required for private_key_jwt", c.ID)
		}
		if c.Type == Confidential && len(c.RedirectURIs) == 0 {
			return fmt.Errorf("smart: client %s: a confidential client needs redirect URIs", c.ID)
		}
	default:
		return fmt.Errorf("smart: client %s: type %q: want public, confidential or backend", c.ID, c.Type)
	}
	if len(c.JWKS) > 0 {
		if _, err := jwk.Parse(c.JWKS); err != nil {
			return fmt.Errorf("smart: client %s: jwks: %w", c.ID, err)
		}
	}
	if c.JWKSURL != "" {
		if err := loopbackURL(c.JWKSURL); err != nil {
			return fmt.Errorf("smart: client %s: %w", c.ID, err)
		}
	}
	for _, r := range c.RedirectURIs {
		u, err := url.Parse(r)
		if err != nil || !u.IsAbs() || u.Fragment != "" {
			return fmt.Errorf("smart: client %s: redirect URI %q must be absolute without fragment", c.ID, r)
		}
	}
	set, err := scope.ParseSet(c.Scopes)
	if err != nil {
		return fmt.Errorf("smart: client %s: %w", c.ID, err)
	}
	for _, s := range set {
		if c.Type == Backend && s.IsResource() && s.Context != scope.System {
			return fmt.Errorf("smart: client %s: a backend client has system/ scopes only", c.ID)
		}
	}
	return nil
}

func loopbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("jwks url %q: want http(s)", raw)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("jwks url %q: only loopback hosts (this machine) are allowed", raw)
}

// RedirectAllowed reports whether uri is registered (exact match).
func (c *Client) RedirectAllowed(uri string) bool { return slices.Contains(c.RedirectURIs, uri) }

// keySet returns the client's public keys, fetching jwksUrl (loopback only,
// 64 KiB cap, 5 s timeout) when no inline set is registered.
func (c *Client) keySet(ctx context.Context, hc *http.Client) (jwk.Set, error) {
	if len(c.JWKS) > 0 {
		return jwk.Parse(c.JWKS)
	}
	if err := loopbackURL(c.JWKSURL); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.JWKSURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch jwks: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch jwks: %s", resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, err
	}
	return jwk.Parse(data)
}
