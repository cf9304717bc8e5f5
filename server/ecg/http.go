package ecg

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"yigong/fhir"
	"yigong/server/blobs"
	"yigong/server/fhirapi"
)

// Register adds the ECG routes to e:
//
//	POST /ingest/ecg              the file as the body (format sniffed)
//	GET  /ecg/originals/{sha256}  an original file, verbatim
func (s *Service) Register(e *echo.Echo) {
	e.POST("/ingest/ecg", s.upload)
	e.GET(OriginalsPath+":key", s.original)
}

// upload answers POST /ingest/ecg: 201 with the DiagnosticReport and its
// Location (200 when the same file was ingested before), 415 for bytes of
// no supported format, 422 for a corrupt file, 413 beyond the size cap,
// each with an OperationOutcome.
func (s *Service) upload(c echo.Context) error {
	req := c.Request()
	body := http.MaxBytesReader(c.Response(), req.Body, s.opts.MaxSize)
	raw, err := io.ReadAll(body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return outcome(c, http.StatusRequestEntityTooLarge, "too-costly", "ecg: the file is larger than the cap of the intake")
		}
		return outcome(c, http.StatusBadRequest, "exception", "ecg: reading the body: "+err.Error())
	}
	res, err := s.Ingest(req.Context(), raw)
	if err != nil {
		return s.ingestError(c, err)
	}
	status := http.StatusOK
	if res.Created {
		status = http.StatusCreated
	}
	c.Response().Header().Set(echo.HeaderLocation, strings.TrimSuffix(s.opts.BaseURL(), "/")+"/"+res.Location)
	return c.Blob(status, "application/fhir+json; charset=utf-8", res.Report)
}

// ingestError renders a pipeline error as an OperationOutcome.
func (s *Service) ingestError(c echo.Context, err error) error {
	switch {
	case errors.Is(err, ErrUnsupported):
		return outcome(c, http.StatusUnsupportedMediaType, "not-supported", err.Error())
	case errors.Is(err, ErrUnreadable):
		return outcome(c, http.StatusUnprocessableEntity, "structure", err.Error())
	}
	status, issues, internal := fhirapi.ErrorResponse(err)
	if internal {
		s.log.Error("ecg ingest failed", "err", err)
	}
	return writeOutcome(c, status, issues)
}

func outcome(c echo.Context, status int, code, msg string) error {
	return writeOutcome(c, status, []fhir.Issue{{Severity: fhir.SeverityError, Code: code, Diagnostic: msg}})
}

func writeOutcome(c echo.Context, status int, issues []fhir.Issue) error {
	b, err := json.Marshal(fhirapi.OperationOutcome(issues))
	if err != nil {
		return err
	}
	return c.Blob(status, "application/fhir+json; charset=utf-8", b)
}

// original serves an original file from the blob store.
func (s *Service) original(c echo.Context) error {
	key := c.Param("key")
	if s.opts.Blobs == nil || !blobs.ValidKey(key) {
		return outcome(c, http.StatusNotFound, "not-found", "ecg: no such original")
	}
	f, err := s.opts.Blobs.Open(c.Request().Context(), key)
	if err != nil {
		if errors.Is(err, blobs.ErrNotFound) {
			return outcome(c, http.StatusNotFound, "not-found", "ecg: no such original")
		}
		return err
	}
	defer f.Close()
	return c.Stream(http.StatusOK, "application/octet-stream", f)
}
