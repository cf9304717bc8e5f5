package dimse_test

import (
	"encoding/binary"
	"errors"
	"reflect"
	"testing"

	"yigong/dicom/dimse"
)

func TestCommandRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []dimse.Command{
		{CommandField: dimse.CEchoRQ, MessageID: 1, AffectedSOPClassUID: "1.2.840.10008.1.1"},
		{CommandField: dimse.CEchoRSP, MessageIDBeingRespondedTo: 1, AffectedSOPClassUID: "1.2.840.10008.1.1", Status: dimse.Success},
		{CommandField: dimse.CStoreRQ, MessageID: 7, AffectedSOPClassUID: "1.2.840.10008.5.1.4.1.1.2", AffectedSOPInstanceUID: "1.2.3.4.5", Priority: dimse.PriorityHigh, HasDataSet: true,
			HasMoveOriginator: true, MoveOriginatorAE: "MOVER", MoveOriginatorMessageID: 3},
		{CommandField: dimse.CStoreRSP, MessageIDBeingRespondedTo: 7, AffectedSOPClassUID: "1.2.840.10008.5.1.4.1.1.2", AffectedSOPInstanceUID: "1.2.3.4.5", Status: dimse.OutOfResources, ErrorComment: "disk full"},
		{CommandField: dimse.CFindRQ, MessageID: 2, AffectedSOPClassUID: "1.2.840.10008.5.1.4.1.2.2.1", HasDataSet: true},
		{CommandField: dimse.CFindRSP, MessageIDBeingRespondedTo: 2, AffectedSOPClassUID: "1.2.840.10008.5.1.4.1.2.2.1", Status: dimse.Pending, HasDataSet: true},
		{CommandField: dimse.CMoveRQ, MessageID: 3, AffectedSOPClassUID: "1.2.840.10008.5.1.4.1.2.2.2", MoveDestination: "STORESCP", HasDataSet: true},
		{CommandField: dimse.CMoveRSP, MessageIDBeingRespondedTo: 3, AffectedSOPClassUID: "1.2.840.10008.5.1.4.1.2.2.2", Status: dimse.Pending, HasSubOperations: true, Remaining: 4, Completed: 1},
		{CommandField: dimse.CGetRQ, MessageID: 4, AffectedSOPClassUID: "1.2.840.10008.5.1.4.1.2.2.3", HasDataSet: true},
		{CommandField: dimse.CCancelRQ, MessageIDBeingRespondedTo: 2},
		{CommandField: dimse.NActionRQ, MessageID: 5, RequestedSOPClassUID: "1.2.840.10008.1.20.1", RequestedSOPInstanceUID: "1.2.840.10008.1.20.1.1", HasActionTypeID: true, ActionTypeID: 1, HasDataSet: true},
		{CommandField: dimse.NEventReportRQ, MessageID: 6, AffectedSOPClassUID: "1.2.840.10008.1.20.1", AffectedSOPInstanceUID: "1.2.840.10008.1.20.1.1", HasEventTypeID: true, EventTypeID: 2, HasDataSet: true},
		{CommandField: dimse.NActionRSP, MessageIDBeingRespondedTo: 5, Status: dimse.NoSuchAction, OffendingElements: []uint32{0x00081195}, HasErrorID: true, ErrorID: 9},
	}
	for _, c := range tests {
		t.Run(dimse.CommandName(c.CommandField), func(t *testing.T) {
			b, err := c.Encode(nil)
			if err != nil {
				t.Fatal(err)
			}
			// Command Group Length first, and right.
			if binary.LittleEndian.Uint32(b) != 0 || binary.LittleEndian.Uint32(b[8:]) != uint32(len(b)-12) {
				t.Fatalf("bad group length element: % x", b[:12])
			}
			var got dimse.Command
			if err := got.Decode(b); err != nil {
				t.Fatal(err)
			}
			want := c
			if !want.IsResponse() && want.CommandField != dimse.CCancelRQ {
				want.MessageIDBeingRespondedTo = 0
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	good, _ := (&dimse.Command{CommandField: dimse.CEchoRSP, Status: dimse.Success}).Encode(nil)
	noStatus, _ := (&dimse.Command{CommandField: dimse.CEchoRQ}).Encode(nil)
	binary.LittleEndian.PutUint16(noStatus[12+8+8:], dimse.CEchoRSP) // a response without Status
	tests := map[string][]byte{
		"truncated":       good[:len(good)-1],
		"wrong group len": append(append([]byte(nil), good...), 0, 0, 0x10, 0x01, 2, 0, 0, 0, 1, 0),
		"not group 0":     {8, 0, 0x16, 0, 0, 0, 0, 0},
		"no command":      {0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0},
	}
	for name, b := range tests {
		t.Run(name, func(t *testing.T) {
			var c dimse.Command
			if err := c.Decode(b); !errors.Is(err, dimse.ErrMalformed) {
				t.Errorf("got %v, want ErrMalformed", err)
			}
		})
	}
}

func TestStatusTable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s    dimse.Status
		kind dimse.Kind
		name string
	}{
		{0x0000, dimse.KindSuccess, "Success"},
		{0xFF00, dimse.KindPending, "Pending"},
		{0xFF01, dimse.KindPending, "Pending: optional keys not supported"},
		{0xFE00, dimse.KindCancel, "Cancel"},
		{0xB000, dimse.KindWarning, "Warning: coercion of data elements, or sub-operations complete with failures"},
		{0xB007, dimse.KindWarning, "Warning: data set does not match SOP class"},
		{0xB006, dimse.KindWarning, "Warning: elements discarded"},
		{0xA700, dimse.KindFailure, "Refused: out of resources"},
		{0xA900, dimse.KindFailure, "Error: data set does not match SOP class"},
		{0xC000, dimse.KindFailure, "Error: cannot understand"},
		{0xC123, dimse.KindFailure, "Error: cannot understand"},
		{0x0122, dimse.KindFailure, "Refused: SOP class not supported"},
		{0x0124, dimse.KindFailure, "Refused: not authorized"},
		{0xA801, dimse.KindFailure, "Refused: move destination unknown"},
		{0xB123, dimse.KindWarning, "Warning"},
		{0xA7FF, dimse.KindFailure, "Refused: out of resources"},
	}
	for _, tc := range tests {
		if tc.s.Kind() != tc.kind || tc.s.Name() != tc.name {
			t.Errorf("%04X: %s %q, want %s %q", uint16(tc.s), tc.s.Kind(), tc.s.Name(), tc.kind, tc.name)
		}
	}
	if s := dimse.Status(0xA700).String(); s != "A700H Refused: out of resources" {
		t.Errorf("String = %q", s)
	}
	err := error(&dimse.Error{Status: 0xA700, Command: "C-STORE", Comment: "disk full"})
	var de *dimse.Error
	if !errors.As(err, &de) || de.Status != dimse.OutOfResources {
		t.Error("errors.As")
	}
}

func BenchmarkCommandDecode(b *testing.B) {
	buf, _ := (&dimse.Command{CommandField: dimse.CStoreRQ, MessageID: 7, AffectedSOPClassUID: "1.2.840.10008.5.1.4.1.1.2", AffectedSOPInstanceUID: "1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322", HasDataSet: true}).Encode(nil)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	var c dimse.Command
	for b.Loop() {
		if err := c.Decode(buf); err != nil {
			b.Fatal(err)
		}
	}
}
