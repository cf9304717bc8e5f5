package server

import (
	"strings"

	"github.com/labstack/echo/v4"

	"yigong/server/fhirapi"
)

// handleError renders every error returned by a handler: an OperationOutcome
// under /fhir, a small JSON object elsewhere. Internal errors are logged with
// their cause and shown to the client without it.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	if strings.HasPrefix(c.Request().URL.Path, "/fhir") {
		fhirapi.HandleError(c, err, s.log)
		return
	}
	status, issues, internal := fhirapi.ErrorResponse(err)
	if internal {
		s.log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	}
	_ = c.JSON(status, map[string]any{"error": issues[0].Diagnostic})
}
