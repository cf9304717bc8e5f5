package net

import (
	"bytes"
	"context"

	"yigong/dicom"
	"yigong/dicom/dimse"
	"yigong/dicom/part10"
	"yigong/dicom/uid"
)

var tagQueryRetrieveLevel = dicom.NewTag(0x0008, 0x0052)

// query parses the identifier of a C-FIND, C-MOVE or C-GET request.
func (sa *scpAssociation) query(m *message) (*QueryRequest, error) {
	if m.data == nil {
		return nil, errNoIdentifier
	}
	ds, err := part10.ReadDataset(bytes.NewReader(m.data), m.pc.TransferSyntax, nil)
	if err != nil {
		return nil, err
	}
	r := &QueryRequest{AssociationInfo: sa.info, MessageID: m.cmd.MessageID, Priority: m.cmd.Priority, SOPClassUID: m.cmd.AffectedSOPClassUID, Identifier: ds}
	if r.SOPClassUID == "" {
		r.SOPClassUID = m.pc.AbstractSyntax
	}
	r.Level = levelOf(r)
	return r, nil
}

type constErr string

func (e constErr) Error() string { return string(e) }

const errNoIdentifier = constErr("request without identifier")

// encode writes ds in the context's transfer syntax.
func encode(ds *dicom.Dataset, ts uid.TransferSyntax) ([]byte, error) {
	var buf bytes.Buffer
	if err := part10.WriteDataset(&buf, ds, ts); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// find runs C-FIND (PS3.4 C.4.1, K.4): a pending response per match, then
// the final status; a C-CANCEL ends it with Cancel.
func (sa *scpAssociation) find(ctx context.Context, in inbound) error {
	m := in.m
	h := sa.s.Find
	if m.pc.AbstractSyntax == uid.ModalityWorklistInformationModelFind {
		h = sa.s.Worklist
	}
	if h == nil {
		return sa.respond(ctx, m, dimse.SOPClassNotSupported, nil, nil)
	}
	req, err := sa.query(m)
	if err != nil {
		return sa.respond(ctx, m, dimse.CannotUnderstand, nil, func(c *dimse.Command) { c.ErrorComment = truncate(err.Error(), 64) })
	}
	var sendErr error
	yield := func(match *dicom.Dataset) bool {
		if sendErr != nil || in.ctx.Err() != nil {
			return false
		}
		b, err := encode(match, m.pc.TransferSyntax)
		if err != nil {
			sendErr = err
			return false
		}
		sendErr = sa.respond(ctx, m, dimse.Pending, b, nil)
		return sendErr == nil
	}
	st := h.HandleFind(in.ctx, req, yield)
	if sendErr != nil {
		return sendErr
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if in.ctx.Err() != nil {
		st = dimse.Cancel
	} else if st.IsPending() {
		st = dimse.Success
	}
	return sa.respond(ctx, m, st, nil, nil)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
