package net

import (
	"bytes"
	"context"
	"fmt"

	"yigong/dicom"
	"yigong/dicom/dimse"
	"yigong/dicom/part10"
	"yigong/dicom/uid"
)

// Storage commitment attributes (PS3.4 Table J.3-1, J.3-2).
var (
	tagTransactionUID           = dicom.NewTag(0x0008, 0x1195)
	tagReferencedSOPSequence    = dicom.NewTag(0x0008, 0x1199)
	tagFailedSOPSequence        = dicom.NewTag(0x0008, 0x1198)
	tagReferencedSOPClassUID    = dicom.NewTag(0x0008, 0x1150)
	tagReferencedSOPInstanceUID = dicom.NewTag(0x0008, 0x1155)
	tagFailureReason            = dicom.NewTag(0x0008, 0x1197)
)

// Storage commitment event types (PS3.4 J.3.3).
const (
	commitEventSuccess  = 1
	commitEventFailures = 2
	commitActionRequest = 1
)

func refItems(parent *dicom.Dataset, refs []SOPReference, failed bool) ([]*dicom.Dataset, error) {
	var items []*dicom.Dataset
	for _, r := range refs {
		it := dicom.NewItem(parent)
		if err := it.SetStrings(tagReferencedSOPClassUID, dicom.UI, r.SOPClassUID); err != nil {
			return nil, err
		}
		if err := it.SetStrings(tagReferencedSOPInstanceUID, dicom.UI, r.SOPInstanceUID); err != nil {
			return nil, err
		}
		if failed {
			reason := r.FailureReason
			if reason == 0 {
				reason = uint16(dimse.ProcessingFailure)
			}
			if err := it.SetInts(tagFailureReason, dicom.US, int64(reason)); err != nil {
				return nil, err
			}
		}
		items = append(items, it)
	}
	return items, nil
}

func readRefs(ds *dicom.Dataset, t dicom.Tag) []SOPReference {
	var out []SOPReference
	for _, it := range ds.Items(t) {
		r := SOPReference{SOPClassUID: it.Text(tagReferencedSOPClassUID), SOPInstanceUID: it.Text(tagReferencedSOPInstanceUID)}
		if v, err := it.Int(tagFailureReason); err == nil {
			r.FailureReason = uint16(v)
		}
		out = append(out, r)
	}
	return out
}

// commitDataset builds the N-ACTION or N-EVENT-REPORT data set.
func commitDataset(tx string, ok, failed []SOPReference) (*dicom.Dataset, error) {
	ds := dicom.New()
	if err := ds.SetStrings(tagTransactionUID, dicom.UI, tx); err != nil {
		return nil, err
	}
	if len(ok) > 0 {
		items, err := refItems(ds, ok, false)
		if err != nil {
			return nil, err
		}
		ds.SetItems(tagReferencedSOPSequence, items...)
	}
	if len(failed) > 0 {
		items, err := refItems(ds, failed, true)
		if err != nil {
			return nil, err
		}
		ds.SetItems(tagFailedSOPSequence, items...)
	}
	return ds, nil
}

// commit runs the Storage Commitment Push Model (PS3.4 J.3): acknowledge
// the N-ACTION, ask the handler, send the N-EVENT-REPORT on this
// association.
func (sa *scpAssociation) commit(ctx context.Context, in inbound) error {
	m := in.m
	if sa.s.Commit == nil || m.pc.AbstractSyntax != uid.StorageCommitmentPushModel {
		return sa.respond(ctx, m, dimse.NoSuchSOPClass, nil, nil)
	}
	if m.cmd.ActionTypeID != commitActionRequest {
		return sa.respond(ctx, m, dimse.NoSuchAction, nil, nil)
	}
	if m.data == nil {
		return sa.respond(ctx, m, dimse.MissingAttribute, nil, nil)
	}
	ds, err := part10.ReadDataset(bytes.NewReader(m.data), m.pc.TransferSyntax, nil)
	if err != nil {
		return sa.respond(ctx, m, dimse.InvalidArgumentValue, nil, nil)
	}
	req := &CommitRequest{AssociationInfo: sa.info, TransactionUID: ds.Text(tagTransactionUID), References: readRefs(ds, tagReferencedSOPSequence)}
	if req.TransactionUID == "" {
		return sa.respond(ctx, m, dimse.MissingAttributeValue, nil, nil)
	}
	if err := sa.respond(ctx, m, dimse.Success, nil, func(c *dimse.Command) {
		c.HasActionTypeID, c.ActionTypeID = true, commitActionRequest
	}); err != nil {
		return err
	}
	res := sa.s.Commit.HandleCommit(in.ctx, req)
	report, err := commitDataset(req.TransactionUID, res.Committed, res.Failed)
	if err != nil {
		return err
	}
	b, err := encode(report, m.pc.TransferSyntax)
	if err != nil {
		return err
	}
	event := uint16(commitEventSuccess)
	if len(res.Failed) > 0 {
		event = commitEventFailures
	}
	id := sa.a.messageID()
	cmd := &dimse.Command{CommandField: dimse.NEventReportRQ, MessageID: id, AffectedSOPClassUID: uid.StorageCommitmentPushModel,
		AffectedSOPInstanceUID: uid.StorageCommitmentPushModelInstance, HasEventTypeID: true, EventTypeID: event}
	if err := sa.a.sendMessage(ctx, m.pc, cmd, b); err != nil {
		return err
	}
	rsp, err := sa.awaitResponse(ctx, dimse.NEventReportRSP, id)
	if err != nil {
		return err
	}
	if rsp.cmd.Status.IsFailure() {
		return fmt.Errorf("storage commitment report %s: %w", req.TransactionUID, statusErr("N-EVENT-REPORT", &rsp.cmd))
	}
	return nil
}

// Commit asks the peer to commit to storing refs (Storage Commitment Push
// Model, PS3.4 J.3) and waits on this association for the N-EVENT-REPORT
// with the result. Propose uid.StorageCommitmentPushModel.
func (c *Client) Commit(ctx context.Context, transactionUID string, refs []SOPReference) (CommitResult, error) {
	stop := c.a.watch(ctx)
	defer stop()
	pc := c.a.contextFor(uid.StorageCommitmentPushModel, "")
	if pc == nil {
		return CommitResult{}, c.fail("N-ACTION", fmt.Errorf("%s: %w", uid.Name(uid.StorageCommitmentPushModel), ErrNoContext))
	}
	ds, err := commitDataset(transactionUID, refs, nil)
	if err != nil {
		return CommitResult{}, err
	}
	b, err := encode(ds, pc.TransferSyntax)
	if err != nil {
		return CommitResult{}, err
	}
	id := c.a.messageID()
	cmd := &dimse.Command{CommandField: dimse.NActionRQ, MessageID: id, RequestedSOPClassUID: uid.StorageCommitmentPushModel,
		RequestedSOPInstanceUID: uid.StorageCommitmentPushModelInstance, HasActionTypeID: true, ActionTypeID: commitActionRequest}
	if err := c.a.sendMessage(ctx, pc, cmd, b); err != nil {
		return CommitResult{}, c.fail("N-ACTION", err)
	}
	m, err := c.awaitResponse(ctx, dimse.NActionRSP, id)
	if err != nil {
		return CommitResult{}, c.fail("N-ACTION", err)
	}
	if err := statusErr("N-ACTION", &m.cmd); err != nil {
		return CommitResult{}, err
	}
	ev, err := c.await(ctx)
	if err != nil {
		return CommitResult{}, c.fail("N-EVENT-REPORT", err)
	}
	if ev.cmd.CommandField != dimse.NEventReportRQ {
		return CommitResult{}, c.fail("N-EVENT-REPORT", fmt.Errorf("unexpected %s: %w", dimse.CommandName(ev.cmd.CommandField), ErrProtocol))
	}
	var res CommitResult
	st := dimse.Success
	if ev.data == nil {
		st = dimse.MissingAttribute
	} else if rds, err := part10.ReadDataset(bytes.NewReader(ev.data), ev.pc.TransferSyntax, nil); err != nil {
		st = dimse.InvalidArgumentValue
	} else {
		res.Committed = readRefs(rds, tagReferencedSOPSequence)
		res.Failed = readRefs(rds, tagFailedSOPSequence)
		if rds.Text(tagTransactionUID) != transactionUID {
			st = dimse.InvalidArgumentValue
		}
	}
	if err := c.a.sendMessage(ctx, ev.pc, &dimse.Command{CommandField: dimse.NEventReportRSP, MessageIDBeingRespondedTo: ev.cmd.MessageID,
		AffectedSOPClassUID: ev.cmd.AffectedSOPClassUID, AffectedSOPInstanceUID: ev.cmd.AffectedSOPInstanceUID,
		HasEventTypeID: true, EventTypeID: ev.cmd.EventTypeID, Status: st}, nil); err != nil {
		return res, c.fail("N-EVENT-REPORT-RSP", err)
	}
	if st != dimse.Success {
		return res, fmt.Errorf("dicom/net: storage commitment %s: report not understood: %s", transactionUID, st)
	}
	return res, nil
}
