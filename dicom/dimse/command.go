package dimse

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// ErrMalformed reports a command set that breaks PS3.7 §6.3.1.
var ErrMalformed = errors.New("malformed command set")

// CommandField values (PS3.7 Annex E).
const (
	CStoreRQ        uint16 = 0x0001
	CStoreRSP       uint16 = 0x8001
	CGetRQ          uint16 = 0x0010
	CGetRSP         uint16 = 0x8010
	CFindRQ         uint16 = 0x0020
	CFindRSP        uint16 = 0x8020
	CMoveRQ         uint16 = 0x0021
	CMoveRSP        uint16 = 0x8021
	CEchoRQ         uint16 = 0x0030
	CEchoRSP        uint16 = 0x8030
	NEventReportRQ  uint16 = 0x0100
	NEventReportRSP uint16 = 0x8100
	NGetRQ          uint16 = 0x0110
	NGetRSP         uint16 = 0x8110
	NSetRQ          uint16 = 0x0120
	NSetRSP         uint16 = 0x8120
	NActionRQ       uint16 = 0x0130
	NActionRSP      uint16 = 0x8130
	NCreateRQ       uint16 = 0x0140
	NCreateRSP      uint16 = 0x8140
	NDeleteRQ       uint16 = 0x0150
	NDeleteRSP      uint16 = 0x8150
	CCancelRQ       uint16 = 0x0FFF
)

// commandNames is read-only.
var commandNames = map[uint16]string{
	CStoreRQ: "C-STORE-RQ", CStoreRSP: "C-STORE-RSP", CGetRQ: "C-GET-RQ", CGetRSP: "C-GET-RSP",
	CFindRQ: "C-FIND-RQ", CFindRSP: "C-FIND-RSP", CMoveRQ: "C-MOVE-RQ", CMoveRSP: "C-MOVE-RSP",
	CEchoRQ: "C-ECHO-RQ", CEchoRSP: "C-ECHO-RSP", NEventReportRQ: "N-EVENT-REPORT-RQ",
	NEventReportRSP: "N-EVENT-REPORT-RSP", NGetRQ: "N-GET-RQ", NGetRSP: "N-GET-RSP",
	NSetRQ: "N-SET-RQ", NSetRSP: "N-SET-RSP", NActionRQ: "N-ACTION-RQ", NActionRSP: "N-ACTION-RSP",
	NCreateRQ: "N-CREATE-RQ", NCreateRSP: "N-CREATE-RSP", NDeleteRQ: "N-DELETE-RQ",
	NDeleteRSP: "N-DELETE-RSP", CCancelRQ: "C-CANCEL-RQ",
}

// CommandName returns the DIMSE name of a command field ("C-STORE-RQ").
func CommandName(f uint16) string {
	if n, ok := commandNames[f]; ok {
		return n
	}
	return fmt.Sprintf("command 0x%04X", f)
}

// Priorities (PS3.7 §9.3.1.1).
const (
	PriorityMedium uint16 = 0x0000
	PriorityHigh   uint16 = 0x0001
	PriorityLow    uint16 = 0x0002
)

// noDataSet is the Command Data Set Type meaning "no data set follows".
const noDataSet = 0x0101

// Command element numbers in group 0000 (PS3.7 Annex E).
const (
	tagGroupLength        = 0x0000
	tagAffectedSOPClass   = 0x0002
	tagRequestedSOPClass  = 0x0003
	tagCommandField       = 0x0100
	tagMessageID          = 0x0110
	tagMessageIDResponded = 0x0120
	tagMoveDestination    = 0x0600
	tagPriority           = 0x0700
	tagDataSetType        = 0x0800
	tagStatus             = 0x0900
	tagOffendingElement   = 0x0901
	tagErrorComment       = 0x0902
	tagErrorID            = 0x0903
	tagAffectedSOPInst    = 0x1000
	tagRequestedSOPInst   = 0x1001
	tagEventTypeID        = 0x1002
	tagAttributeIDList    = 0x1005
	tagActionTypeID       = 0x1008
	tagRemaining          = 0x1020
	tagCompleted          = 0x1021
	tagFailed             = 0x1022
	tagWarning            = 0x1023
	tagMoveOriginatorAE   = 0x1030
	tagMoveOriginatorID   = 0x1031
)

// Command is a DIMSE command set (group 0000). Zero strings and absent
// optional numbers are not encoded; Has* flags mark numbers whose presence
// matters.
type Command struct {
	CommandField              uint16
	MessageID                 uint16
	MessageIDBeingRespondedTo uint16
	AffectedSOPClassUID       string
	RequestedSOPClassUID      string
	AffectedSOPInstanceUID    string
	RequestedSOPInstanceUID   string
	Priority                  uint16
	// HasDataSet says whether a data set follows (Command Data Set Type
	// other than 0101H).
	HasDataSet      bool
	MoveDestination string
	// Status is meaningful in responses.
	Status       Status
	ErrorComment string
	ErrorID      uint16
	HasErrorID   bool
	// OffendingElements are (0000,0901) and AttributeIdentifiers (0000,1005),
	// as tags gggg<<16|eeee.
	OffendingElements    []uint32
	AttributeIdentifiers []uint32
	EventTypeID          uint16
	ActionTypeID         uint16
	HasEventTypeID       bool
	HasActionTypeID      bool
	// Sub-operation counts of C-MOVE and C-GET responses.
	HasSubOperations bool
	Remaining        uint16
	Completed        uint16
	Failed           uint16
	Warning          uint16
	// Move originator of a C-STORE sub-operation.
	MoveOriginatorAE        string
	MoveOriginatorMessageID uint16
	HasMoveOriginator       bool
}

// IsResponse reports whether the command field is a response.
func (c *Command) IsResponse() bool { return c.CommandField&0x8000 != 0 }

func (c *Command) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s id=%d", CommandName(c.CommandField), c.MessageID)
	if c.IsResponse() {
		fmt.Fprintf(&b, " responding-to=%d status=%s", c.MessageIDBeingRespondedTo, c.Status)
	}
	if c.AffectedSOPClassUID != "" {
		fmt.Fprintf(&b, " class=%s", c.AffectedSOPClassUID)
	}
	if c.AffectedSOPInstanceUID != "" {
		fmt.Fprintf(&b, " instance=%s", c.AffectedSOPInstanceUID)
	}
	if c.MoveDestination != "" {
		fmt.Fprintf(&b, " destination=%s", c.MoveDestination)
	}
	if c.HasSubOperations {
		fmt.Fprintf(&b, " remaining=%d completed=%d failed=%d warning=%d", c.Remaining, c.Completed, c.Failed, c.Warning)
	}
	if c.HasDataSet {
		b.WriteString(" +dataset")
	}
	return b.String()
}

type enc struct{ b []byte }

func (e *enc) hdr(el uint16, n int) {
	e.b = binary.LittleEndian.AppendUint16(e.b, 0)
	e.b = binary.LittleEndian.AppendUint16(e.b, el)
	e.b = binary.LittleEndian.AppendUint32(e.b, uint32(n))
}

func (e *enc) us(el, v uint16) {
	e.hdr(el, 2)
	e.b = binary.LittleEndian.AppendUint16(e.b, v)
}

func (e *enc) str(el uint16, s string, pad byte) {
	if s == "" {
		return
	}
	n := len(s) + len(s)%2
	e.hdr(el, n)
	e.b = append(e.b, s...)
	if len(s)%2 == 1 {
		e.b = append(e.b, pad)
	}
}

func (e *enc) tags(el uint16, ts []uint32) {
	if len(ts) == 0 {
		return
	}
	e.hdr(el, 4*len(ts))
	for _, t := range ts {
		e.b = binary.LittleEndian.AppendUint16(e.b, uint16(t>>16))
		e.b = binary.LittleEndian.AppendUint16(e.b, uint16(t))
	}
}

// Encode appends the command set, implicit VR little endian with its
// Command Group Length first, to dst.
func (c *Command) Encode(dst []byte) ([]byte, error) {
	if len(c.ErrorComment) > 64 {
		return nil, fmt.Errorf("dicom/dimse: encode %s: error comment longer than 64 characters", CommandName(c.CommandField))
	}
	start := len(dst)
	e := enc{b: append(dst, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0)}
	e.str(tagAffectedSOPClass, c.AffectedSOPClassUID, 0)
	e.str(tagRequestedSOPClass, c.RequestedSOPClassUID, 0)
	e.us(tagCommandField, c.CommandField)
	if c.IsResponse() || c.CommandField == CCancelRQ {
		e.us(tagMessageIDResponded, c.MessageIDBeingRespondedTo)
	} else {
		e.us(tagMessageID, c.MessageID)
	}
	e.str(tagMoveDestination, c.MoveDestination, ' ')
	if c.CommandField == CStoreRQ || c.CommandField == CFindRQ || c.CommandField == CMoveRQ || c.CommandField == CGetRQ {
		e.us(tagPriority, c.Priority)
	}
	if c.HasDataSet {
		e.us(tagDataSetType, 0x0000)
	} else {
		e.us(tagDataSetType, noDataSet)
	}
	if c.IsResponse() {
		e.us(tagStatus, uint16(c.Status))
	}
	e.tags(tagOffendingElement, c.OffendingElements)
	e.str(tagErrorComment, c.ErrorComment, ' ')
	if c.HasErrorID {
		e.us(tagErrorID, c.ErrorID)
	}
	e.str(tagAffectedSOPInst, c.AffectedSOPInstanceUID, 0)
	e.str(tagRequestedSOPInst, c.RequestedSOPInstanceUID, 0)
	if c.HasEventTypeID {
		e.us(tagEventTypeID, c.EventTypeID)
	}
	e.tags(tagAttributeIDList, c.AttributeIdentifiers)
	if c.HasActionTypeID {
		e.us(tagActionTypeID, c.ActionTypeID)
	}
	if c.HasSubOperations {
		e.us(tagRemaining, c.Remaining)
		e.us(tagCompleted, c.Completed)
		e.us(tagFailed, c.Failed)
		e.us(tagWarning, c.Warning)
	}
	if c.HasMoveOriginator {
		e.str(tagMoveOriginatorAE, c.MoveOriginatorAE, ' ')
		e.us(tagMoveOriginatorID, c.MoveOriginatorMessageID)
	}
	binary.LittleEndian.PutUint32(e.b[start+8:], uint32(len(e.b)-start-12))
	return e.b, nil
}

// Decode parses a command set (implicit VR little endian, group 0000 only).
// The Command Group Length, when present, must match; unknown elements of
// group 0000 are skipped.
func (c *Command) Decode(b []byte) error {
	*c = Command{}
	var hasField, hasStatus bool
	dataSetType := uint16(noDataSet)
	for off := 0; off < len(b); {
		if len(b)-off < 8 {
			return fmt.Errorf("dicom/dimse: decode command: %d trailing bytes at offset %d: %w", len(b)-off, off, ErrMalformed)
		}
		g := binary.LittleEndian.Uint16(b[off:])
		el := binary.LittleEndian.Uint16(b[off+2:])
		n := binary.LittleEndian.Uint32(b[off+4:])
		if g != 0 {
			return fmt.Errorf("dicom/dimse: decode command: element (%04X,%04X) at offset %d is not in group 0000: %w", g, el, off, ErrMalformed)
		}
		if uint64(n) > uint64(len(b)-off-8) {
			return fmt.Errorf("dicom/dimse: decode command: element (0000,%04X) length %d exceeds the %d bytes left: %w", el, n, len(b)-off-8, ErrMalformed)
		}
		v := b[off+8 : off+8+int(n)]
		off += 8 + int(n)
		us := func() (uint16, error) {
			if len(v) != 2 {
				return 0, fmt.Errorf("dicom/dimse: decode command: (0000,%04X) US of %d bytes: %w", el, len(v), ErrMalformed)
			}
			return binary.LittleEndian.Uint16(v), nil
		}
		str := func() string { return strings.TrimRight(string(v), " \x00") }
		tags := func() []uint32 {
			out := make([]uint32, 0, len(v)/4)
			for i := 0; i+4 <= len(v); i += 4 {
				out = append(out, uint32(binary.LittleEndian.Uint16(v[i:]))<<16|uint32(binary.LittleEndian.Uint16(v[i+2:])))
			}
			return out
		}
		var err error
		switch el {
		case tagGroupLength:
			if len(v) != 4 {
				return fmt.Errorf("dicom/dimse: decode command: group length of %d bytes: %w", len(v), ErrMalformed)
			}
			gl := binary.LittleEndian.Uint32(v)
			if uint64(gl) != uint64(len(b)-off) {
				return fmt.Errorf("dicom/dimse: decode command: group length %d but %d bytes follow: %w", gl, len(b)-off, ErrMalformed)
			}
		case tagAffectedSOPClass:
			c.AffectedSOPClassUID = str()
		case tagRequestedSOPClass:
			c.RequestedSOPClassUID = str()
		case tagCommandField:
			c.CommandField, err = us()
			hasField = true
		case tagMessageID:
			c.MessageID, err = us()
		case tagMessageIDResponded:
			c.MessageIDBeingRespondedTo, err = us()
		case tagMoveDestination:
			c.MoveDestination = strings.TrimSpace(str())
		case tagPriority:
			c.Priority, err = us()
		case tagDataSetType:
			dataSetType, err = us()
		case tagStatus:
			var s uint16
			s, err = us()
			c.Status = Status(s)
			hasStatus = true
		case tagOffendingElement:
			c.OffendingElements = tags()
		case tagErrorComment:
			c.ErrorComment = strings.TrimSpace(str())
		case tagErrorID:
			c.ErrorID, err = us()
			c.HasErrorID = true
		case tagAffectedSOPInst:
			c.AffectedSOPInstanceUID = str()
		case tagRequestedSOPInst:
			c.RequestedSOPInstanceUID = str()
		case tagEventTypeID:
			c.EventTypeID, err = us()
			c.HasEventTypeID = true
		case tagAttributeIDList:
			c.AttributeIdentifiers = tags()
		case tagActionTypeID:
			c.ActionTypeID, err = us()
			c.HasActionTypeID = true
		case tagRemaining:
			c.Remaining, err = us()
			c.HasSubOperations = true
		case tagCompleted:
			c.Completed, err = us()
			c.HasSubOperations = true
		case tagFailed:
			c.Failed, err = us()
			c.HasSubOperations = true
		case tagWarning:
			c.Warning, err = us()
			c.HasSubOperations = true
		case tagMoveOriginatorAE:
			c.MoveOriginatorAE = strings.TrimSpace(str())
			c.HasMoveOriginator = true
		case tagMoveOriginatorID:
			c.MoveOriginatorMessageID, err = us()
			c.HasMoveOriginator = true
		}
		if err != nil {
			return err
		}
	}
	if !hasField {
		return fmt.Errorf("dicom/dimse: decode command: no Command Field (0000,0100): %w", ErrMalformed)
	}
	if c.IsResponse() && !hasStatus {
		return fmt.Errorf("dicom/dimse: decode %s: no Status (0000,0900): %w", CommandName(c.CommandField), ErrMalformed)
	}
	c.HasDataSet = dataSetType != noDataSet
	return nil
}
