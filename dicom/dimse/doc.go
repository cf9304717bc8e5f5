// Package dimse encodes and decodes DIMSE command sets and names their
// status codes (PS3.7).
//
// It sits between dicom/pdu (the wire) and dicom/net (associations): a
// [Command] is the group 0000 command set of one DIMSE message, always
// encoded in implicit VR little endian with its Command Group Length
// (PS3.7 §6.3.1, §9.3, §10.3). Data sets that follow a command are not
// touched here; dicom/net hands them to dicom/part10.
//
// # Usage
//
//	cmd := &dimse.Command{CommandField: dimse.CStoreRQ, MessageID: 1,
//		AffectedSOPClassUID: cls, AffectedSOPInstanceUID: inst, HasDataSet: true}
//	b, err := cmd.Encode(nil)
//	var got dimse.Command
//	err = got.Decode(b)
//	st := dimse.Status(0xA700) // st.Name() == "Refused: Out of Resources"
//
// Statuses come from one table ([Lookup]), with a name and a [Kind]
// (success, pending, cancel, warning, failure) each.
//
// # Concurrency
//
// Commands are plain values; the status table is read-only.
//
// # Spec sections
//
// PS3.7 §9.1-§9.3 (C-STORE, C-FIND, C-GET, C-MOVE, C-ECHO and C-CANCEL
// parameters and command fields), §10.1-§10.3 (N-EVENT-REPORT, N-ACTION),
// Annex C (status type encoding), Annex E (command dictionary); PS3.4
// Annexes B, C, J, K (status codes of the storage, query/retrieve, storage
// commitment and worklist services).
package dimse
