package auth

import (
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"
)

// CORS is a cross-origin policy (the Fetch standard's CORS protocol) for an
// allowlist of origins: an allowed origin is echoed in
// Access-Control-Allow-Origin, never "*", so that requests carrying an
// Authorization header work; any other origin gets no CORS headers (its
// browser then withholds the answer) and its preflight is refused with 403.
// Requests without Origin (not from a browser page) pass unchanged. The FHIR
// API and DICOMweb each have one, with their own methods and headers.
type CORS struct {
	Origins      []string // the allowlist (security.cors)
	Methods      string   // Access-Control-Allow-Methods of a preflight
	AllowHeaders string   // Access-Control-Allow-Headers of a preflight
	Expose       string   // Access-Control-Expose-Headers
}

// Handle applies the policy to c; answered reports that it answered c
// itself (a preflight), so the handler must not run.
func (p CORS) Handle(c echo.Context) (answered bool, err error) {
	req := c.Request()
	origin := req.Header.Get("Origin")
	if origin == "" {
		return false, nil
	}
	preflight := req.Method == http.MethodOptions && req.Header.Get("Access-Control-Request-Method") != ""
	h := c.Response().Header()
	h.Add("Vary", "Origin")
	if !slices.Contains(p.Origins, origin) {
		if preflight {
			return true, c.NoContent(http.StatusForbidden)
		}
		return false, nil
	}
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Expose-Headers", p.Expose)
	if preflight {
		h.Set("Access-Control-Allow-Methods", p.Methods)
		h.Set("Access-Control-Allow-Headers", p.AllowHeaders)
		h.Set("Access-Control-Max-Age", "600")
		return true, c.NoContent(http.StatusNoContent)
	}
	return false, nil
}

// Middleware returns the policy as echo middleware.
func (p CORS) Middleware() echo.MiddlewareFunc {
	p.Origins = slices.Clone(p.Origins)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if answered, err := p.Handle(c); answered {
				return err
			}
			return next(c)
		}
	}
}
