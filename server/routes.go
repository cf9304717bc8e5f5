package server

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// routes builds the HTTP router. Each API lives in its own file and adds its
// routes here. Every request passes, in order: CORS (allowlist, answers
// preflights), the audit trail (records the outcome), authentication
// (bearer token → auth.Principal, or the development principal; 401 with
// WWW-Authenticate), the per-client rate limit and the body size limit, then
// the route's access checks (fhirapi per resource; DICOMweb, ECG ingest and
// admin in security_http.go).
func (s *Server) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.handleError
	e.Pre(s.corsMiddleware)
	e.Use(s.auditMiddleware, s.authMiddleware(), s.limitMiddleware)
	e.GET("/healthz", s.health)
	fhirAPI := e.Group("/fhir")
	fhirAPI.GET("/metadata", s.capabilityStatement)
	if sm := s.SMART(); sm != nil {
		sm.Register(e, fhirAPI)
	}
	s.api.Register(fhirAPI)
	s.api.RegisterReindex(fhirAPI, s.jobs) // reindex and EMPI relink jobs (jobroutes.go)
	s.jobRoutes(e, s.jobs)
	s.registerDICOMweb(e)
	s.hl7Routes(e.Group("/admin/hl7"))
	s.registerECG(e)
	return e
}

func (s *Server) health(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok", "version": s.info.Version})
}
