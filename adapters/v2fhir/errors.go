package v2fhir

import (
	"errors"
	"strconv"
	"strings"

	"yigong/hl7v2"
)

// ErrNotMapped reports a message type outside the mapped list. The caller
// stores the original and acknowledges per Config.Unmapped; errors.Is finds
// it inside the *Error that Map returns.
var ErrNotMapped = errors.New("v2fhir: message type not mapped")

// Error is a mapping failure located in the message, so that the caller can
// build an ACK (AE or AR) with an ERR segment pointing at the fault. It
// implements error and unwraps to its cause (ErrNotMapped for unmapped
// types).
type Error struct {
	// Segment is the segment ID ("PID"); Sequence its 1-based occurrence
	// among segments of that ID; Field, Component the 1-based positions
	// (0 when not applicable).
	Segment   string
	Sequence  int
	Field     int
	Component int
	// Code is the HL7 error code (table 0357): "101" required field
	// missing, "102" data type error, "200" unsupported message type,
	// "201" unsupported event code, "207" application internal error.
	Code string
	// Msg says what is wrong, for ERR-8 and logs.
	Msg string
	// Err is the cause, if any.
	Err error
	// reject is set when Config.Unmapped is UnmappedReject.
	reject bool
}

// Interface guards.
var (
	_ error                         = (*Error)(nil)
	_ interface{ Unwrap() error }   = (*Error)(nil)
	_ interface{ Validate() error } = Config{}
)

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("v2fhir: ")
	if e.Segment != "" {
		b.WriteString(e.Segment)
		if e.Sequence > 1 {
			b.WriteString("[" + strconv.Itoa(e.Sequence) + "]")
		}
		if e.Field > 0 {
			b.WriteString("-" + strconv.Itoa(e.Field))
			if e.Component > 0 {
				b.WriteString("." + strconv.Itoa(e.Component))
			}
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Err != nil && !errors.Is(e.Err, ErrNotMapped) {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// AckCode is the MSA-1 an original-mode ACK should carry: AR for an
// unmapped type under UnmappedReject, AA for an unmapped type under
// UnmappedAccept (after the caller stored the original), AE otherwise.
func (e *Error) AckCode() string {
	switch {
	case errors.Is(e.Err, ErrNotMapped) && e.reject:
		return hl7v2.AckReject
	case errors.Is(e.Err, ErrNotMapped):
		return hl7v2.AckAccept
	}
	return hl7v2.AckError
}

// ErrorDetail converts the error to an ERR segment description.
func (e *Error) ErrorDetail() hl7v2.ErrorDetail {
	seq := e.Sequence
	if e.Segment != "" && seq == 0 {
		seq = 1
	}
	return hl7v2.ErrorDetail{
		Segment: e.Segment, Sequence: seq, Field: e.Field, Component: e.Component,
		Code: e.Code, Message: e.Error(),
	}
}

// ErrorDetail converts any error from Map into an ERR segment description:
// an *Error keeps its location; a parse error from hl7v2 keeps its own;
// anything else becomes code 207.
func ErrorDetail(err error) hl7v2.ErrorDetail {
	var e *Error
	if errors.As(err, &e) {
		return e.ErrorDetail()
	}
	return hl7v2.ErrorDetailFrom(err)
}

// errAt builds an *Error at seg's position.
func errAt(loc segLoc, field, comp int, code, msg string) *Error {
	return &Error{Segment: loc.name, Sequence: loc.seq, Field: field, Component: comp, Code: code, Msg: msg}
}
