package net

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"yigong/dicom"
	"yigong/dicom/dimse"
	"yigong/dicom/part10"
	"yigong/dicom/pdu"
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
// association, or, when the requestor has released it meanwhile, on a new
// association to it (PS3.4 J.3.3), in the background.
func (sa *scpAssociation) commit(ctx context.Context, in inbound) error {
	m := in.m
	if sa.s.Commit == nil || m.pc.AbstractSyntax != uid.StorageCommitmentPushModel || !m.pc.SCU {
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
	if sa.peekRelease() {
		sa.reportLater(req.TransactionUID, res)
		return nil
	}
	report, err := commitDataset(req.TransactionUID, res.Committed, res.Failed)
	if err != nil {
		return err
	}
	b, err := encode(report, m.pc.TransferSyntax)
	if err != nil {
		return err
	}
	id := sa.a.messageID()
	if err := sa.a.sendMessage(ctx, m.pc, eventReportCommand(id, res), b); err != nil {
		return err
	}
	// The response, or the requestor's A-RELEASE-RQ crossing our report
	// (it released before reading it): then the report goes again on a
	// new association.
	sa.a.setReadDeadline(sa.a.cfg.read, false)
	defer sa.a.setReadDeadline(0, false)
	var next inbound
	select {
	case next = <-sa.in:
	case <-ctx.Done():
		return ctx.Err()
	}
	if isRelease(next.err) {
		sa.pending = &next
		sa.reportLater(req.TransactionUID, res)
		return nil
	}
	if next.err != nil {
		return next.err
	}
	rsp := next.m
	if rsp.cmd.CommandField != dimse.NEventReportRSP || rsp.cmd.MessageIDBeingRespondedTo != id {
		return fmt.Errorf("got %s for message %d, want N-EVENT-REPORT-RSP for %d: %w", dimse.CommandName(rsp.cmd.CommandField), rsp.cmd.MessageIDBeingRespondedTo, id, ErrProtocol)
	}
	if rsp.cmd.Status.IsFailure() {
		return fmt.Errorf("storage commitment report %s: %w", req.TransactionUID, statusErr("N-EVENT-REPORT", &rsp.cmd))
	}
	return nil
}

func eventReportCommand(id uint16, res CommitResult) *dimse.Command {
	event := uint16(commitEventSuccess)
	if len(res.Failed) > 0 {
		event = commitEventFailures
	}
	return &dimse.Command{CommandField: dimse.NEventReportRQ, MessageID: id, AffectedSOPClassUID: uid.StorageCommitmentPushModel,
		AffectedSOPInstanceUID: uid.StorageCommitmentPushModelInstance, HasEventTypeID: true, EventTypeID: event}
}

func isRelease(err error) bool {
	var c *control
	if errors.As(err, &c) {
		_, ok := c.p.(*pdu.ReleaseRQ)
		return ok
	}
	return false
}

// peekRelease reports whether the requestor's next message, if one has
// already arrived, is an A-RELEASE-RQ; whatever arrived is kept for the
// dispatcher.
func (sa *scpAssociation) peekRelease() bool {
	if sa.pending != nil {
		return isRelease(sa.pending.err)
	}
	select {
	case in := <-sa.in:
		sa.pending = &in
		return isRelease(in.err)
	default:
		return false
	}
}

// commitReportAttempts and commitReportRetry bound the delivery of a
// report over a new association.
const (
	commitReportAttempts = 3
	commitReportRetry    = 2 * time.Second
	commitReportDeadline = 5 * time.Minute
)

// reportLater sends a storage commitment result on a new association to
// the requestor (PS3.4 J.3.3), resolved by its AE title through
// Server.Destinations, proposing the Push Model with us in the SCP role.
// The goroutine belongs to the server: Shutdown waits for it.
func (sa *scpAssociation) reportLater(tx string, res CommitResult) {
	s, info := sa.s, sa.info
	log := s.Logger
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), commitReportDeadline)
		defer cancel()
		var err error
		for attempt := range commitReportAttempts {
			if attempt > 0 {
				select {
				case <-time.After(commitReportRetry << (attempt - 1)):
				case <-ctx.Done():
				}
			}
			if err = s.sendReport(ctx, info, tx, res); err == nil || ctx.Err() != nil {
				break
			}
		}
		if log != nil {
			if err != nil {
				log.Warn("dicom storage commitment report not delivered", "aet", info.CallingAE, "transaction_uid", tx, "err", err)
			} else {
				log.Debug("dicom storage commitment report sent on a new association", "aet", info.CallingAE, "transaction_uid", tx)
			}
		}
	}()
}

// sendReport opens an association to the requestor of info and sends the
// N-EVENT-REPORT of transaction tx.
func (s *Server) sendReport(ctx context.Context, info *AssociationInfo, tx string, res CommitResult) error {
	aet := strings.TrimSpace(info.CallingAE)
	if s.Destinations == nil {
		return fmt.Errorf("dicom/net: storage commitment report to %q: no AE resolver", aet)
	}
	addr, err := s.Destinations.ResolveAE(ctx, aet)
	if err != nil || addr == "" {
		return fmt.Errorf("dicom/net: storage commitment report to %q: address unknown: %v", aet, err)
	}
	c, err := Dial(ctx, addr, ClientConfig{CallingAE: strings.TrimSpace(info.CalledAE), CalledAE: aet, MaxPDULength: s.maxPDU(),
		ARTIMTimeout: s.ARTIMTimeout, ReadTimeout: s.ReadTimeout, WriteTimeout: s.WriteTimeout,
		Contexts: []Proposal{{AbstractSyntax: uid.StorageCommitmentPushModel, SCPRole: true}}})
	if err != nil {
		return err
	}
	if err := c.report(ctx, tx, res); err != nil {
		c.Abort()
		return err
	}
	return c.Release(ctx)
}

// report sends one N-EVENT-REPORT as Storage Commitment SCP on a context
// where the peer granted us that role, and waits for its response.
func (c *Client) report(ctx context.Context, tx string, res CommitResult) error {
	stop := c.a.watch(ctx)
	defer stop()
	var pc *PresentationContext
	for _, p := range c.a.contexts {
		if p.AbstractSyntax == uid.StorageCommitmentPushModel && p.SCP {
			pc = p
		}
	}
	if pc == nil {
		return fmt.Errorf("dicom/net: storage commitment report to %q: the SCP role was not granted: %w", c.a.remote, ErrNoContext)
	}
	ds, err := commitDataset(tx, res.Committed, res.Failed)
	if err != nil {
		return err
	}
	b, err := encode(ds, pc.TransferSyntax)
	if err != nil {
		return err
	}
	id := c.a.messageID()
	if err := c.a.sendMessage(ctx, pc, eventReportCommand(id, res), b); err != nil {
		return c.fail("N-EVENT-REPORT", err)
	}
	m, err := c.awaitResponse(ctx, dimse.NEventReportRSP, id)
	if err != nil {
		return c.fail("N-EVENT-REPORT", err)
	}
	return statusErr("N-EVENT-REPORT", &m.cmd)
}

// eventReport receives a Storage Commitment result on an association the
// performer opened to us (PS3.4 J.3.3): we are the requestor, it took the
// SCP role.
func (sa *scpAssociation) eventReport(ctx context.Context, in inbound) error {
	m := in.m
	if sa.s.CommitReports == nil || m.pc.AbstractSyntax != uid.StorageCommitmentPushModel || !m.pc.SCP {
		return sa.respond(ctx, m, dimse.NoSuchSOPClass, nil, nil)
	}
	fill := func(c *dimse.Command) { c.HasEventTypeID, c.EventTypeID = true, m.cmd.EventTypeID }
	if m.data == nil {
		return sa.respond(ctx, m, dimse.MissingAttribute, nil, fill)
	}
	ds, err := part10.ReadDataset(bytes.NewReader(m.data), m.pc.TransferSyntax, nil)
	if err != nil {
		return sa.respond(ctx, m, dimse.InvalidArgumentValue, nil, fill)
	}
	rep := &CommitReport{AssociationInfo: sa.info, TransactionUID: ds.Text(tagTransactionUID),
		CommitResult: CommitResult{Committed: readRefs(ds, tagReferencedSOPSequence), Failed: readRefs(ds, tagFailedSOPSequence)}}
	if rep.TransactionUID == "" {
		return sa.respond(ctx, m, dimse.MissingAttributeValue, nil, fill)
	}
	return sa.respond(ctx, m, sa.s.CommitReports.HandleCommitReport(in.ctx, rep), nil, fill)
}

// RequestCommit sends the Storage Commitment N-ACTION (PS3.4 J.3.2) and
// returns once the peer acknowledged it, without waiting for the result:
// the caller may release, and the peer sends the N-EVENT-REPORT on a new
// association to a Server with CommitReports set. Propose
// uid.StorageCommitmentPushModel.
func (c *Client) RequestCommit(ctx context.Context, transactionUID string, refs []SOPReference) error {
	stop := c.a.watch(ctx)
	defer stop()
	_, err := c.requestCommit(ctx, transactionUID, refs)
	return err
}

func (c *Client) requestCommit(ctx context.Context, transactionUID string, refs []SOPReference) (*PresentationContext, error) {
	pc := c.a.contextFor(uid.StorageCommitmentPushModel, "")
	if pc == nil {
		return nil, c.fail("N-ACTION", fmt.Errorf("%s: %w", uid.Name(uid.StorageCommitmentPushModel), ErrNoContext))
	}
	ds, err := commitDataset(transactionUID, refs, nil)
	if err != nil {
		return nil, err
	}
	b, err := encode(ds, pc.TransferSyntax)
	if err != nil {
		return nil, err
	}
	id := c.a.messageID()
	cmd := &dimse.Command{CommandField: dimse.NActionRQ, MessageID: id, RequestedSOPClassUID: uid.StorageCommitmentPushModel,
		RequestedSOPInstanceUID: uid.StorageCommitmentPushModelInstance, HasActionTypeID: true, ActionTypeID: commitActionRequest}
	if err := c.a.sendMessage(ctx, pc, cmd, b); err != nil {
		return nil, c.fail("N-ACTION", err)
	}
	m, err := c.awaitResponse(ctx, dimse.NActionRSP, id)
	if err != nil {
		return nil, c.fail("N-ACTION", err)
	}
	return pc, statusErr("N-ACTION", &m.cmd)
}

// Commit asks the peer to commit to storing refs (Storage Commitment Push
// Model, PS3.4 J.3) and waits on this association for the N-EVENT-REPORT
// with the result. Propose uid.StorageCommitmentPushModel.
func (c *Client) Commit(ctx context.Context, transactionUID string, refs []SOPReference) (CommitResult, error) {
	stop := c.a.watch(ctx)
	defer stop()
	if _, err := c.requestCommit(ctx, transactionUID, refs); err != nil {
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
