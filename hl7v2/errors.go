package hl7v2

import (
	"errors"
	"fmt"
	"strings"
)

// SyntaxError reports malformed HL7 v2 input with the position of the fault
// in HL7 terms, so that an ERR segment (ERR-2, error location) can point at
// it. Positions are 1-based; zero means "not applicable".
type SyntaxError struct {
	Msg          string // what is wrong, lower case
	Segment      int    // index of the segment in the message (MSH is 1)
	SegmentName  string // segment ID when known ("MSH", "PID")
	Sequence     int    // occurrence of SegmentName in the message (second OBX is 2), as in ERR-2.2
	Field        int
	Repetition   int
	Component    int
	SubComponent int
	// Offset is the byte offset in the decoder's input of the start of the
	// message (Decoder) or 0 (Parse).
	Offset int64
	Err    error // underlying cause, if any
}

func (e *SyntaxError) Error() string {
	var b strings.Builder
	b.WriteString("hl7v2: ")
	if e.Segment > 0 || e.SegmentName != "" {
		b.WriteString("segment ")
		if e.Segment > 0 {
			fmt.Fprintf(&b, "%d", e.Segment)
		}
		if e.SegmentName != "" {
			if e.Segment > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(e.SegmentName)
		}
		if e.Field > 0 {
			fmt.Fprintf(&b, " field %d", e.Field)
			if e.Component > 0 {
				fmt.Fprintf(&b, ".%d", e.Component)
				if e.SubComponent > 0 {
					fmt.Fprintf(&b, ".%d", e.SubComponent)
				}
			}
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *SyntaxError) Unwrap() error { return e.Err }

// Location returns the error location as ERR-2 (ERL) components:
// segment ID, segment sequence, field, field repetition, component,
// sub-component, with empty trailing parts omitted.
func (e *SyntaxError) Location() []string {
	parts := []string{e.SegmentName, itoaPos(e.Sequence), itoaPos(e.Field), itoaPos(e.Repetition), itoaPos(e.Component), itoaPos(e.SubComponent)}
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

func itoaPos(n int) string {
	if n <= 0 {
		return ""
	}
	return fmt.Sprint(n)
}

// Errors callers branch on.
var (
	// ErrTooLarge reports input over a configured size cap.
	ErrTooLarge = errors.New("hl7v2: input exceeds size limit")
	// ErrUnsupportedCharset reports a configured charset that cannot be used.
	ErrUnsupportedCharset = errors.New("hl7v2: unsupported character set")
)
