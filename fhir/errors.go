package fhir

import (
	"errors"
	"fmt"
	"strings"
)

// Kind classifies an error by what went wrong, independent of protocol.
type Kind uint8

// Error kinds. The zero value is KindInternal so that an unclassified error is
// never mistaken for the client's fault.
const (
	KindInternal     Kind = iota // a bug or an unexpected failure
	KindInvalid                  // the input is malformed or breaks a rule
	KindNotFound                 // the target does not exist
	KindGone                     // the target existed and was deleted
	KindConflict                 // a version or uniqueness conflict
	KindPrecondition             // a precondition (If-Match, conditional criteria) failed
	KindForbidden                // the caller may not do this
	KindUnauthorized             // the caller is not authenticated
	KindNotSupported             // the request is valid FHIR but not implemented here
	KindBusy                     // a resource limit or timeout; the caller may retry
)

var kindNames = [...]string{"internal", "invalid", "not-found", "gone", "conflict",
	"precondition", "forbidden", "unauthorized", "not-supported", "busy"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// statusOfKind holds the HTTP status each kind stands for.
var statusOfKind = [...]int{
	KindInternal:     500,
	KindInvalid:      400,
	KindNotFound:     404,
	KindGone:         410,
	KindConflict:     409,
	KindPrecondition: 412,
	KindForbidden:    403,
	KindUnauthorized: 401,
	KindNotSupported: 501,
	KindBusy:         503,
}

// Status returns the HTTP status code that stands for the kind. FHIR defines
// its REST answers and Bundle.entry.response.status in HTTP codes, so this
// one table serves the REST edge and transaction responses alike (package
// fhir still knows nothing of net/http).
func (k Kind) Status() int {
	if int(k) < len(statusOfKind) {
		return statusOfKind[k]
	}
	return 500
}

// Severity of an Issue, as OperationOutcome.issue.severity.
type Severity string

// Issue severities (http://hl7.org/fhir/issue-severity).
const (
	SeverityFatal       Severity = "fatal"
	SeverityError       Severity = "error"
	SeverityWarning     Severity = "warning"
	SeverityInformation Severity = "information"
)

// Issue is one problem found in a request or resource; it maps one to one to
// an OperationOutcome.issue.
type Issue struct {
	Severity   Severity
	Code       string // http://hl7.org/fhir/issue-type, e.g. "invalid", "structure", "required", "value", "invariant"
	Diagnostic string // a human message
	Expression string // FHIRPath location, e.g. "Patient.name[0].given[1]"
	Constraint string // the constraint key when Code is "invariant", e.g. "ele-1"
}

func (i Issue) String() string {
	var b strings.Builder
	b.WriteString(string(i.Severity))
	if i.Expression != "" {
		b.WriteString(" at ")
		b.WriteString(i.Expression)
	}
	b.WriteString(": ")
	if i.Constraint != "" {
		b.WriteString(i.Constraint)
		b.WriteString(": ")
	}
	b.WriteString(i.Diagnostic)
	return b.String()
}

// Error is an error with a Kind and optional Issues.
type Error struct {
	Kind   Kind
	Msg    string
	Issues []Issue
	Err    error // the wrapped cause, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("fhir: ")
	b.WriteString(e.Msg)
	for i, is := range e.Issues {
		if i == 3 {
			fmt.Fprintf(&b, "; and %d more", len(e.Issues)-3)
			break
		}
		b.WriteString("; ")
		b.WriteString(is.String())
	}
	// Errorf puts the wrapped error's text in Msg already: print it once.
	if e.Err != nil && !strings.Contains(e.Msg, e.Err.Error()) {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of the given kind with a formatted message. A %w verb
// wraps its operand as usual.
func Errorf(kind Kind, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Kind: kind, Msg: err.Error(), Err: errors.Unwrap(err)}
}

// KindOf returns the Kind of the first *Error in err's chain, or KindInternal.
func KindOf(err error) Kind {
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Kind
	}
	return KindInternal
}

// IssuesOf returns the issues of the first *Error in err's chain. An error
// without issues yields one issue built from its message.
func IssuesOf(err error) []Issue {
	var fe *Error
	if errors.As(err, &fe) && len(fe.Issues) > 0 {
		return fe.Issues
	}
	code := "exception"
	if errors.As(err, &fe) {
		code = issueCodeForKind[fe.Kind]
	}
	return []Issue{{Severity: SeverityError, Code: code, Diagnostic: err.Error()}}
}

var issueCodeForKind = [...]string{
	KindInternal:     "exception",
	KindInvalid:      "invalid",
	KindNotFound:     "not-found",
	KindGone:         "deleted",
	KindConflict:     "conflict",
	KindPrecondition: "conflict",
	KindForbidden:    "forbidden",
	KindUnauthorized: "login",
	KindNotSupported: "not-supported",
	KindBusy:         "throttled",
}
