package fhirapi

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"yigong/fhir"
)

// StatusForKind returns the HTTP status of a fhir error kind ([fhir.Kind.Status]).
func StatusForKind(k fhir.Kind) int { return k.Status() }

// httpError is an error that already has its status (415, 406, 405...).
type httpError struct {
	status int
	issue  fhir.Issue
}

func (e *httpError) Error() string { return e.issue.Diagnostic }

func statusError(status int, code, msg string) error {
	return &httpError{status: status, issue: fhir.Issue{Severity: fhir.SeverityError, Code: code, Diagnostic: msg}}
}

// ErrorResponse returns the status and OperationOutcome issues for err, and
// whether err is internal (its cause must be logged, not shown).
func ErrorResponse(err error) (status int, issues []fhir.Issue, internal bool) {
	var he *httpError
	var ee *echo.HTTPError
	switch {
	case errors.As(err, &he):
		return he.status, []fhir.Issue{he.issue}, false
	case errors.As(err, &ee):
		msg := http.StatusText(ee.Code)
		if m, ok := ee.Message.(string); ok && m != "" {
			msg = m
		}
		return ee.Code, []fhir.Issue{{Severity: fhir.SeverityError, Code: issueCodeForStatus(ee.Code), Diagnostic: msg}}, false
	}
	kind := fhir.KindOf(err)
	if kind == fhir.KindInternal {
		return http.StatusInternalServerError,
			[]fhir.Issue{{Severity: fhir.SeverityFatal, Code: "exception", Diagnostic: "internal error"}}, true
	}
	return StatusForKind(kind), fhir.IssuesOf(err), false
}

func issueCodeForStatus(status int) string {
	switch status {
	case http.StatusNotFound:
		return "not-found"
	case http.StatusMethodNotAllowed, http.StatusNotImplemented:
		return "not-supported"
	case http.StatusUnauthorized:
		return "login"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusRequestEntityTooLarge:
		return "too-costly"
	}
	if status >= 500 {
		return "exception"
	}
	return "invalid"
}

// OperationOutcome renders issues as an OperationOutcome resource.
func OperationOutcome(issues []fhir.Issue) map[string]any {
	out := make([]any, 0, len(issues))
	for _, is := range issues {
		m := map[string]any{"severity": string(is.Severity), "code": is.Code}
		if is.Severity == "" {
			m["severity"] = string(fhir.SeverityError)
		}
		if is.Code == "" {
			m["code"] = "processing"
		}
		if is.Diagnostic != "" {
			m["diagnostics"] = is.Diagnostic
		}
		if is.Expression != "" {
			m["expression"] = []string{is.Expression}
		}
		out = append(out, m)
	}
	return map[string]any{"resourceType": "OperationOutcome", "issue": out}
}
