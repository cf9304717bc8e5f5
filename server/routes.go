package server

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// routes builds the HTTP router. Each API lives in its own file and adds its
// routes here.
func (s *Server) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.handleError
	e.GET("/healthz", s.health)
	fhirAPI := e.Group("/fhir")
	fhirAPI.GET("/metadata", s.capabilityStatement)
	s.api.Register(fhirAPI)
	s.registerDICOMweb(e)
	s.hl7Routes(e.Group("/admin/hl7"))
	s.registerECG(e)
	return e
}

func (s *Server) health(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok", "version": s.info.Version})
}
