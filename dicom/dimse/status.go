package dimse

import "fmt"

// Status is a DIMSE status code (0000,0900).
type Status uint16

// Kind classifies a status (PS3.7 Annex C).
type Kind uint8

// Status kinds.
const (
	KindFailure Kind = iota
	KindSuccess
	KindPending
	KindCancel
	KindWarning
)

func (k Kind) String() string {
	return [...]string{"failure", "success", "pending", "cancel", "warning"}[k]
}

// Statuses used by yigong (PS3.7 Annex C; PS3.4 Annexes B, C, J, K).
const (
	Success Status = 0x0000

	Pending                   Status = 0xFF00
	PendingOptionalKeysNotSup Status = 0xFF01
	Cancel                    Status = 0xFE00

	WarningAttributeList            Status = 0x0107
	WarningAttributeValueOutOfRange Status = 0x0116
	WarningCoercion                 Status = 0xB000 // C-STORE: coercion of data elements; C-MOVE/C-GET: sub-operations complete, one or more failures
	WarningElementsDiscarded        Status = 0xB006
	WarningDataSetDoesNotMatch      Status = 0xB007

	NoSuchAttribute          Status = 0x0105
	InvalidAttributeValue    Status = 0x0106
	ProcessingFailure        Status = 0x0110
	DuplicateSOPInstance     Status = 0x0111
	NoSuchSOPInstance        Status = 0x0112
	NoSuchEventType          Status = 0x0113
	NoSuchArgument           Status = 0x0114
	InvalidArgumentValue     Status = 0x0115
	InvalidObjectInstance    Status = 0x0117
	NoSuchSOPClass           Status = 0x0118
	ClassInstanceConflict    Status = 0x0119
	MissingAttribute         Status = 0x0120
	MissingAttributeValue    Status = 0x0121
	SOPClassNotSupported     Status = 0x0122
	NoSuchAction             Status = 0x0123
	NotAuthorized            Status = 0x0124
	DuplicateInvocation      Status = 0x0210
	UnrecognizedOperation    Status = 0x0211
	MistypedArgument         Status = 0x0212
	ResourceLimitation       Status = 0x0213
	OutOfResources           Status = 0xA700
	OutOfResourcesMatches    Status = 0xA701
	OutOfResourcesSubOps     Status = 0xA702
	MoveDestinationUnknown   Status = 0xA801
	DataSetDoesNotMatchClass Status = 0xA900
	CannotUnderstand         Status = 0xC000
	UnableToProcess          Status = 0xC001
)

type statusInfo struct {
	name string
	kind Kind
}

// table is THE status table: every name and kind comes from here.
var table = map[Status]statusInfo{
	Success:                         {"Success", KindSuccess},
	Pending:                         {"Pending", KindPending},
	PendingOptionalKeysNotSup:       {"Pending: optional keys not supported", KindPending},
	Cancel:                          {"Cancel", KindCancel},
	WarningAttributeList:            {"Warning: attribute list error", KindWarning},
	WarningAttributeValueOutOfRange: {"Warning: attribute value out of range", KindWarning},
	WarningCoercion:                 {"Warning: coercion of data elements, or sub-operations complete with failures", KindWarning},
	WarningElementsDiscarded:        {"Warning: elements discarded", KindWarning},
	WarningDataSetDoesNotMatch:      {"Warning: data set does not match SOP class", KindWarning},
	0x0001:                          {"Warning: requested optional attributes are not supported", KindWarning},
	NoSuchAttribute:                 {"Failure: no such attribute", KindFailure},
	InvalidAttributeValue:           {"Failure: invalid attribute value", KindFailure},
	ProcessingFailure:               {"Failure: processing failure", KindFailure},
	DuplicateSOPInstance:            {"Failure: duplicate SOP instance", KindFailure},
	NoSuchSOPInstance:               {"Failure: no such SOP instance", KindFailure},
	NoSuchEventType:                 {"Failure: no such event type", KindFailure},
	NoSuchArgument:                  {"Failure: no such argument", KindFailure},
	InvalidArgumentValue:            {"Failure: invalid argument value", KindFailure},
	InvalidObjectInstance:           {"Failure: invalid object instance", KindFailure},
	NoSuchSOPClass:                  {"Failure: no such SOP class", KindFailure},
	ClassInstanceConflict:           {"Failure: class-instance conflict", KindFailure},
	MissingAttribute:                {"Failure: missing attribute", KindFailure},
	MissingAttributeValue:           {"Failure: missing attribute value", KindFailure},
	SOPClassNotSupported:            {"Refused: SOP class not supported", KindFailure},
	NoSuchAction:                    {"Failure: no such action", KindFailure},
	NotAuthorized:                   {"Refused: not authorized", KindFailure},
	DuplicateInvocation:             {"Failure: duplicate invocation", KindFailure},
	UnrecognizedOperation:           {"Failure: unrecognized operation", KindFailure},
	MistypedArgument:                {"Failure: mistyped argument", KindFailure},
	ResourceLimitation:              {"Failure: resource limitation", KindFailure},
	OutOfResources:                  {"Refused: out of resources", KindFailure},
	OutOfResourcesMatches:           {"Refused: out of resources, unable to calculate number of matches", KindFailure},
	OutOfResourcesSubOps:            {"Refused: out of resources, unable to perform sub-operations", KindFailure},
	MoveDestinationUnknown:          {"Refused: move destination unknown", KindFailure},
	DataSetDoesNotMatchClass:        {"Error: data set does not match SOP class", KindFailure},
	CannotUnderstand:                {"Error: cannot understand", KindFailure},
	UnableToProcess:                 {"Error: unable to process", KindFailure},
}

// Lookup returns the name and kind of s from the table. Codes not in the
// table are classified by range: Bxxx warning, Cxxx "cannot understand",
// A7xx out of resources, A9xx data set does not match, others failure.
func Lookup(s Status) (name string, kind Kind, known bool) {
	if in, ok := table[s]; ok {
		return in.name, in.kind, true
	}
	switch s >> 12 {
	case 0xB:
		return "Warning", KindWarning, false
	case 0xC:
		return "Error: cannot understand", KindFailure, false
	}
	switch s >> 8 {
	case 0xA7:
		return "Refused: out of resources", KindFailure, false
	case 0xA9:
		return "Error: data set does not match SOP class", KindFailure, false
	}
	return "Failure", KindFailure, false
}

// Name returns the status name from the table.
func (s Status) Name() string { n, _, _ := Lookup(s); return n }

// Kind returns the status kind.
func (s Status) Kind() Kind { _, k, _ := Lookup(s); return k }

// IsSuccess, IsPending, IsWarning and IsFailure classify s.
func (s Status) IsSuccess() bool { return s == Success }

// IsPending reports a pending status (FF00, FF01).
func (s Status) IsPending() bool { return s.Kind() == KindPending }

// IsWarning reports a warning status.
func (s Status) IsWarning() bool { return s.Kind() == KindWarning }

// IsFailure reports a failure, refusal or error status.
func (s Status) IsFailure() bool { return s.Kind() == KindFailure }

// String returns "A700H Refused: out of resources".
func (s Status) String() string { return fmt.Sprintf("%04XH %s", uint16(s), s.Name()) }

// Error wraps a non-success status as an error.
type Error struct {
	Status  Status
	Command string // "C-STORE" ...
	Comment string // Error Comment (0000,0902), if any
}

func (e *Error) Error() string {
	if e.Comment != "" {
		return fmt.Sprintf("dicom/dimse: %s: %s (%s)", e.Command, e.Status, e.Comment)
	}
	return fmt.Sprintf("dicom/dimse: %s: %s", e.Command, e.Status)
}
