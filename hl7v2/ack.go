package hl7v2

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Acknowledgment codes (HL7 table 0008).
const (
	AckAccept      = "AA" // original mode: application accept
	AckError       = "AE" // original mode: application error
	AckReject      = "AR" // original mode: application reject
	AckCommit      = "CA" // enhanced mode: commit accept
	AckCommitError = "CE" // enhanced mode: commit error
	AckCommitRej   = "CR" // enhanced mode: commit reject
)

// Severity values for ERR-4 (HL7 table 0516).
const (
	SeverityError       = "E"
	SeverityWarning     = "W"
	SeverityInformation = "I"
	SeverityFatal       = "F"
)

// ErrorDetail is one ERR segment of an acknowledgment.
type ErrorDetail struct {
	// Location (ERR-2, ERL; and ERR-1 before v2.7): segment ID, its
	// sequence among segments of that ID, field, repetition, component,
	// sub-component. Zero positions are left empty.
	Segment      string
	Sequence     int
	Field        int
	Repetition   int
	Component    int
	SubComponent int
	// Code is the HL7 error code (table 0357: "100" segment sequence
	// error, "101" required field missing, "102" data type error, "103"
	// table value not found, "200" unsupported message type, "201"
	// unsupported event code, "203" unsupported version, "207" application
	// internal error). Empty means "207".
	Code string
	// Severity is ERR-4 (E, W, I, F); empty means E.
	Severity string
	// Message is ERR-8, the user message (plain text; escaped on encode).
	Message string
}

// ErrorDetailFrom turns a parse error into an ERR detail: a *SyntaxError
// keeps its position (code 102), anything else becomes 207.
func ErrorDetailFrom(err error) ErrorDetail {
	var se *SyntaxError
	if errors.As(err, &se) {
		return ErrorDetail{Segment: se.SegmentName, Sequence: se.Sequence, Field: se.Field, Repetition: se.Repetition,
			Component: se.Component, SubComponent: se.SubComponent, Code: "102", Message: se.Error()}
	}
	return ErrorDetail{Code: "207", Message: err.Error()}
}

var codeText = map[string]string{
	"0": "Message accepted", "100": "Segment sequence error", "101": "Required field missing",
	"102": "Data type error", "103": "Table value not found", "104": "Value too long",
	"200": "Unsupported message type", "201": "Unsupported event code", "202": "Unsupported processing id",
	"203": "Unsupported version id", "204": "Unknown key identifier", "205": "Duplicate key identifier",
	"206": "Application record locked", "207": "Application internal error",
}

// AckOptions say what an acknowledgment reports.
type AckOptions struct {
	// Code is MSA-1: AA, AE, AR (original mode) or CA, CE, CR (enhanced
	// mode). Empty means AA.
	Code string
	// Text is MSA-3, the text message (deprecated from v2.4 but still read
	// by many receivers); plain text.
	Text string
	// ControlID is the ACK's own MSH-10; empty means the request's control
	// ID with "-ACK" appended... callers with a sequence should set it.
	ControlID string
	// Time is MSH-7; the zero time means time.Now().
	Time time.Time
	// Errors become ERR segments.
	Errors []ErrorDetail
}

// NewACK builds the acknowledgment of req: MSH with sending and receiving
// application and facility swapped, MSH-9 ACK^<trigger>^ACK (ACK^<trigger>
// before v2.3.1), the request's processing ID, version and MSH-18, then MSA
// with MSA-2 echoing the request's MSH-10, then one ERR per error. The ACK
// uses the request's delimiters and charset, so Encode gives bytes the
// sender can read.
func NewACK(req *Message, o AckOptions) (*Message, error) {
	h := req.Header()
	if h == nil || h.Name() != "MSH" {
		return nil, errors.New("hl7v2: ack: request has no MSH")
	}
	code := o.Code
	if code == "" {
		code = AckAccept
	}
	switch code {
	case AckAccept, AckError, AckReject, AckCommit, AckCommitError, AckCommitRej:
	default:
		return nil, fmt.Errorf("hl7v2: ack: invalid acknowledgment code %q", code)
	}
	d := req.Delims
	ack := NewMessage(d, req.Charset)
	version := h.Field(12).Raw()
	ver := versionNumber(h.Field(12).Component(1).String())
	trigger := h.Field(9).Component(2).Raw()
	msgType := "ACK"
	if trigger != "" {
		msgType += string(d.Component) + trigger
		if ver >= 231 {
			msgType += string(d.Component) + "ACK"
		}
	}
	ts := o.Time
	if ts.IsZero() {
		ts = time.Now()
	}
	ctl := o.ControlID
	if ctl == "" {
		ctl = Escape(req.ControlID()+"-ACK", d)
	} else {
		ctl = Escape(ctl, d)
	}
	fields := []string{
		h.Field(5).Raw(), h.Field(6).Raw(), h.Field(3).Raw(), h.Field(4).Raw(), // MSH-3..6 swapped
		FormatTS(ts, PrecisionSecond), // MSH-7
		"",                            // MSH-8
		msgType,                       // MSH-9
		ctl,                           // MSH-10
		h.Field(11).Raw(),             // MSH-11
		version,                       // MSH-12
	}
	if cs := h.Field(18).Raw(); cs != "" {
		// MSH-13..17 empty except MSH-17 country code; MSH-18 charset echoed.
		fields = append(fields, "", "", "", "", h.Field(17).Raw(), cs)
	}
	ack.Add("MSH", fields...)
	msa := []string{code, h.Field(10).Raw()}
	if o.Text != "" {
		msa = append(msa, Escape(o.Text, d))
	}
	ack.Add("MSA", msa...)
	for _, e := range o.Errors {
		ack.Add("ERR", errFields(e, d, ver)...)
	}
	return ack, nil
}

func errFields(e ErrorDetail, d Delimiters, ver int) []string {
	code := e.Code
	if code == "" {
		code = "207"
	}
	sev := e.Severity
	if sev == "" {
		sev = SeverityError
	}
	pos := func(n int) string {
		if n <= 0 {
			return ""
		}
		return strconv.Itoa(n)
	}
	cs := string(d.Component)
	ss := string(d.SubComponent)
	text := Escape(codeText[code], d)
	// CWE for ERR-3; as sub-components inside ERR-1.4.
	cwe := code + cs + text + cs + "HL70357"
	var f []string
	if ver < 270 {
		// ERR-1 (ELD): segment ID^sequence^field position^code (CE as
		// sub-components). Required before v2.5, kept for compatibility.
		eld := trimEmpty([]string{Escape(e.Segment, d), pos(e.Sequence), pos(e.Field), code + ss + strings.ReplaceAll(text, ss, "") + ss + "HL70357"}, cs)
		f = append(f, eld)
	} else {
		f = append(f, "")
	}
	if ver > 0 && ver < 250 {
		return f
	}
	erl := trimEmpty([]string{Escape(e.Segment, d), pos(e.Sequence), pos(e.Field), pos(e.Repetition), pos(e.Component), pos(e.SubComponent)}, cs)
	if e.Segment == "" {
		erl = ""
	}
	f = append(f, erl, cwe, sev, "", "", "", Escape(e.Message, d))
	return f
}

func trimEmpty(parts []string, sep string) string {
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return strings.Join(parts, sep)
}

// versionNumber turns "2.5.1" into 251, "2.3" into 230, "2.8.2" into 282;
// 0 when unknown.
func versionNumber(v string) int {
	parts := strings.Split(strings.TrimSpace(v), ".")
	if len(parts) < 2 || parts[0] != "2" {
		return 0
	}
	n := 200
	if m, err := strconv.Atoi(parts[1]); err == nil && m < 10 {
		n += m * 10
	} else {
		return 0
	}
	if len(parts) > 2 {
		if m, err := strconv.Atoi(parts[2]); err == nil && m < 10 {
			n += m
		}
	}
	return n
}
