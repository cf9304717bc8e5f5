package auth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"yigong/fhir"
)

// Verifier turns a bearer token into a Principal (package smart's Server
// implements it: signature, expiry, audience, revocation).
type Verifier interface {
	Verify(ctx context.Context, token string) (*Principal, error)
}

// MiddlewareOptions configure Middleware.
type MiddlewareOptions struct {
	Verifier Verifier
	// Public lists path prefixes served without a token (metadata, the
	// SMART configuration, health).
	Public []string
	// DevMode lets every request through as a KindDev principal. Only
	// allowed when the listener is on a loopback address (CheckDevMode).
	DevMode bool
	// OnFailure, when set, is told of every rejected token (for the audit
	// trail's authentication-failure events).
	OnFailure func(c echo.Context, err error)
}

// ErrNoToken is returned (as KindUnauthorized) when a request carries no
// bearer token.
var ErrNoToken = errors.New("auth: bearer token required")

// Middleware authenticates bearer tokens and puts the Principal in the
// request context (FromContext). Failures are *fhir.Error of
// KindUnauthorized, rendered by the server's one error handler with a
// WWW-Authenticate header.
func Middleware(o MiddlewareOptions) echo.MiddlewareFunc {
	dev := &Principal{Kind: KindDev, Subject: "dev"}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			for _, p := range o.Public {
				if strings.HasPrefix(req.URL.Path, p) {
					return next(c)
				}
			}
			if o.DevMode {
				c.SetRequest(req.WithContext(WithPrincipal(req.Context(), dev)))
				return next(c)
			}
			h := req.Header.Get(echo.HeaderAuthorization)
			tok, ok := strings.CutPrefix(h, "Bearer ")
			if !ok || tok == "" {
				c.Response().Header().Set("WWW-Authenticate", `Bearer realm="yigong"`)
				return &fhir.Error{Kind: fhir.KindUnauthorized, Msg: ErrNoToken.Error(), Err: ErrNoToken}
			}
			p, err := o.Verifier.Verify(req.Context(), strings.TrimSpace(tok))
			if err != nil {
				if o.OnFailure != nil {
					o.OnFailure(c, err)
				}
				c.Response().Header().Set("WWW-Authenticate", `Bearer realm="yigong", error="invalid_token"`)
				return &fhir.Error{Kind: fhir.KindUnauthorized, Msg: "auth: invalid token", Err: err}
			}
			c.SetRequest(req.WithContext(WithPrincipal(req.Context(), p)))
			return next(c)
		}
	}
}

// CheckDevMode refuses development mode (no authentication) unless the
// HTTP listener address is a loopback address: 127.0.0.0/8, ::1 or
// "localhost". An empty host (":8080", all interfaces) is refused.
func CheckDevMode(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("auth: dev mode: %w", err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("auth: development mode (no authentication) is only allowed on a loopback address, not %q", addr)
}

// Status maps auth errors for handlers that do not use the FHIR error path.
func Status(err error) int {
	switch fhir.KindOf(err) {
	case fhir.KindUnauthorized:
		return http.StatusUnauthorized
	case fhir.KindForbidden:
		return http.StatusForbidden
	}
	return http.StatusInternalServerError
}
