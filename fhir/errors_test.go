package fhir

import (
	"errors"
	"testing"
)

func TestErrorf(t *testing.T) {
	t.Parallel()
	cause := errors.New("disk full")
	err := Errorf(KindBusy, "store: write Patient/1: %w", cause)
	if got, want := err.Error(), "fhir: store: write Patient/1: disk full"; got != want {
		t.Errorf("Error() = %q, want %q (the cause printed once)", got, want)
	}
	if !errors.Is(err, cause) || KindOf(err) != KindBusy {
		t.Errorf("errors.Is = %v, KindOf = %v", errors.Is(err, cause), KindOf(err))
	}
	wrapped := &Error{Kind: KindNotFound, Msg: "read", Err: cause, Issues: []Issue{{Severity: SeverityError, Code: "not-found", Diagnostic: "gone", Expression: "Patient.id"}}}
	if got, want := wrapped.Error(), "fhir: read; error at Patient.id: gone: disk full"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if is := IssuesOf(errors.New("plain")); len(is) != 1 || is[0].Code != "exception" {
		t.Errorf("IssuesOf(plain) = %v", is)
	}
	if KindOf(errors.New("plain")) != KindInternal {
		t.Error("an unclassified error must be internal")
	}
}

func TestKindStatus(t *testing.T) {
	t.Parallel()
	for k, want := range map[Kind]int{KindInternal: 500, KindInvalid: 400, KindNotFound: 404, KindGone: 410,
		KindConflict: 409, KindPrecondition: 412, KindForbidden: 403, KindUnauthorized: 401,
		KindNotSupported: 501, KindBusy: 503, Kind(99): 500} {
		if got := k.Status(); got != want {
			t.Errorf("%v.Status() = %d, want %d", k, got, want)
		}
	}
}
