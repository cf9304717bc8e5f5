package net

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"yigong/dicom/dimse"
	"yigong/dicom/uid"
)

// subOps counts C-MOVE/C-GET sub-operations (PS3.4 C.4.2.1.4).
type subOps struct {
	total, completed, failed, warning int
	failedUIDs                        []string
}

func (c *subOps) add(st dimse.Status, err error, inst string) {
	switch {
	case err != nil || st.IsFailure():
		c.failed++
		c.failedUIDs = append(c.failedUIDs, inst)
	case st.IsWarning():
		c.warning++
	default:
		c.completed++
	}
}

func (c *subOps) fill(cmd *dimse.Command) {
	done := c.completed + c.failed + c.warning
	cmd.HasSubOperations = true
	cmd.Remaining = clamp16(c.total - done)
	cmd.Completed = clamp16(c.completed)
	cmd.Failed = clamp16(c.failed)
	cmd.Warning = clamp16(c.warning)
}

func clamp16(n int) uint16 {
	return uint16(min(max(n, 0), 0xFFFF))
}

// final returns the closing status and, with failures, the identifier
// listing the failed instances.
func (c *subOps) final(cancelled bool) dimse.Status {
	switch {
	case cancelled:
		return dimse.Cancel
	case c.failed == 0 && c.warning == 0:
		return dimse.Success
	case c.completed == 0 && c.warning == 0:
		return dimse.OutOfResourcesSubOps
	}
	return dimse.WarningCoercion // B000: sub-operations complete, one or more failures or warnings
}

// retrieveFinal sends the last C-MOVE/C-GET response. The Failed SOP
// Instance UID List is not sent as an identifier: dcmtk's movescu and
// getscu leave a data set on a final response unread and then fail to
// release ("P-Data PDU arrived"), so the counts carry the outcome.
func (sa *scpAssociation) retrieveFinal(ctx context.Context, m *message, c *subOps, cancelled bool) error {
	st := c.final(cancelled)
	return sa.respond(ctx, m, st, nil, func(cmd *dimse.Command) {
		c.fill(cmd)
		if !cancelled {
			cmd.Remaining = 0
		}
	})
}

// move runs C-MOVE (PS3.4 C.4.2): resolve the destination, open an
// association to it and send each instance as a C-STORE sub-operation,
// reporting pending counts.
func (sa *scpAssociation) move(ctx context.Context, in inbound) error {
	m := in.m
	if sa.s.Move == nil {
		return sa.respond(ctx, m, dimse.SOPClassNotSupported, nil, nil)
	}
	q, err := sa.query(m)
	if err != nil {
		return sa.respond(ctx, m, dimse.CannotUnderstand, nil, func(c *dimse.Command) { c.ErrorComment = truncate(err.Error(), 64) })
	}
	dest := strings.TrimSpace(m.cmd.MoveDestination)
	var addr string
	if sa.s.Destinations != nil && dest != "" {
		addr, err = sa.s.Destinations.ResolveAE(in.ctx, dest)
	}
	if addr == "" || err != nil {
		return sa.respond(ctx, m, dimse.MoveDestinationUnknown, nil, func(c *dimse.Command) { c.ErrorComment = truncate("unknown destination "+dest, 64) })
	}
	insts, st := sa.s.Move.HandleMove(in.ctx, &MoveRequest{QueryRequest: *q, Destination: dest})
	if st.IsFailure() || st == dimse.Cancel {
		return sa.respond(ctx, m, st, nil, nil)
	}
	c := &subOps{total: len(insts)}
	if len(insts) == 0 {
		return sa.retrieveFinal(ctx, m, c, false)
	}
	// One context per SOP class and stored transfer syntax, so each
	// instance can go as stored, then one per SOP class proposing the
	// native syntaxes it converts to, for a destination that takes
	// nothing else (a peer picks its own favourite among several syntaxes
	// of one context, so the two are never mixed).
	var props []Proposal
	seen := map[[2]string]bool{}
	for _, inst := range insts {
		k := [2]string{inst.SOPClassUID, inst.TransferSyntax}
		if !seen[k] && len(props) < 127 {
			seen[k] = true
			props = append(props, Proposal{AbstractSyntax: inst.SOPClassUID, TransferSyntaxes: []string{inst.TransferSyntax}})
		}
	}
	for _, inst := range insts {
		k := [2]string{inst.SOPClassUID, "fallback"}
		if alt := storeSyntaxes(inst.TransferSyntax)[1:]; !seen[k] && len(alt) > 0 && len(props) < 127 {
			seen[k] = true
			props = append(props, Proposal{AbstractSyntax: inst.SOPClassUID, TransferSyntaxes: []string{uid.ExplicitVRLittleEndian, uid.ImplicitVRLittleEndian}})
		}
	}
	cfg := ClientConfig{CallingAE: sa.info.CalledAE, CalledAE: dest, Contexts: props, MaxPDULength: sa.s.maxPDU(),
		ARTIMTimeout: sa.s.ARTIMTimeout, ReadTimeout: sa.s.ReadTimeout, WriteTimeout: sa.s.WriteTimeout}
	if sa.s.Trace != nil {
		cfg.Trace = sa.s.Trace(nil)
	}
	sub, err := Dial(in.ctx, addr, cfg)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		c.failed = len(insts)
		for _, inst := range insts {
			c.failedUIDs = append(c.failedUIDs, inst.SOPInstanceUID)
		}
		return sa.respond(ctx, m, dimse.OutOfResourcesSubOps, nil, func(cmd *dimse.Command) {
			c.fill(cmd)
			cmd.Remaining = 0
			cmd.ErrorComment = truncate("cannot associate with "+dest, 64)
		})
	}
	origin := &moveOrigin{ae: sa.info.CallingAE, id: m.cmd.MessageID}
	cancelled := false
	for i, inst := range insts {
		if in.ctx.Err() != nil {
			cancelled = true
			break
		}
		st, err := sub.store(in.ctx, inst, origin)
		if err != nil && !errors.Is(err, ErrNoContext) && !isDIMSE(err) {
			// The sub-association failed: the rest fail too.
			for _, rest := range insts[i:] {
				c.add(0, err, rest.SOPInstanceUID)
			}
			break
		}
		c.add(st, err, inst.SOPInstanceUID)
		if i < len(insts)-1 {
			if err := sa.respond(ctx, m, dimse.Pending, nil, c.fill); err != nil {
				sub.Abort()
				return err
			}
		}
	}
	_ = sub.Release(ctx)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return sa.retrieveFinal(ctx, m, c, cancelled)
}

func isDIMSE(err error) bool {
	var de *dimse.Error
	return errors.As(err, &de)
}

// get runs C-GET (PS3.4 C.4.3): each instance goes back as a C-STORE
// sub-operation on this association, on a context for its SOP class and
// stored transfer syntax (or a native one it converts to without loss)
// where the requestor took the SCP role.
func (sa *scpAssociation) get(ctx context.Context, in inbound) error {
	m := in.m
	if sa.s.Get == nil {
		return sa.respond(ctx, m, dimse.SOPClassNotSupported, nil, nil)
	}
	q, err := sa.query(m)
	if err != nil {
		return sa.respond(ctx, m, dimse.CannotUnderstand, nil, func(c *dimse.Command) { c.ErrorComment = truncate(err.Error(), 64) })
	}
	insts, st := sa.s.Get.HandleGet(in.ctx, q)
	if st.IsFailure() || st == dimse.Cancel {
		return sa.respond(ctx, m, st, nil, nil)
	}
	c := &subOps{total: len(insts)}
	cancelled := false
	for i, inst := range insts {
		if in.ctx.Err() != nil {
			cancelled = true
			break
		}
		st, err := sa.storeBack(ctx, in.ctx, inst)
		if err != nil && !errors.Is(err, ErrNoContext) && !isDIMSE(err) {
			return err
		}
		c.add(st, err, inst.SOPInstanceUID)
		if i < len(insts)-1 {
			if err := sa.respond(ctx, m, dimse.Pending, nil, c.fill); err != nil {
				return err
			}
		}
	}
	return sa.retrieveFinal(ctx, m, c, cancelled)
}

// storeBack sends one C-STORE on this association and waits for its
// response. Errors other than ErrNoContext and *dimse.Error end the
// association.
func (sa *scpAssociation) storeBack(ctx, opCtx context.Context, inst Instance) (dimse.Status, error) {
	pc := sa.a.sendContext(inst, func(p *PresentationContext) bool { return p.SCP })
	if pc == nil {
		return dimse.SOPClassNotSupported, fmt.Errorf("dicom/net: C-GET sub-operation %s: %s in %s: %w", inst.SOPInstanceUID, uid.Name(inst.SOPClassUID), uid.Name(inst.TransferSyntax), ErrNoContext)
	}
	data, err := inst.bytes(opCtx)
	if err == nil {
		data, err = convert(data, inst, pc)
	}
	if err != nil {
		return dimse.ProcessingFailure, &dimse.Error{Status: dimse.ProcessingFailure, Command: "C-STORE", Comment: truncate(err.Error(), 64)}
	}
	if data == nil {
		data = []byte{}
	}
	id := sa.a.messageID()
	cmd := &dimse.Command{CommandField: dimse.CStoreRQ, MessageID: id, AffectedSOPClassUID: inst.SOPClassUID, AffectedSOPInstanceUID: inst.SOPInstanceUID}
	if err := sa.a.sendMessage(ctx, pc, cmd, data); err != nil {
		return 0, err
	}
	rsp, err := sa.awaitResponse(ctx, dimse.CStoreRSP, id)
	if err != nil {
		return 0, err
	}
	return rsp.cmd.Status, statusErr("C-STORE", &rsp.cmd)
}

// awaitResponse takes the next message from the reader, which must be the
// response to id.
func (sa *scpAssociation) awaitResponse(ctx context.Context, field, id uint16) (*message, error) {
	sa.a.setReadDeadline(sa.a.cfg.read, false)
	defer sa.a.setReadDeadline(0, false)
	select {
	case in := <-sa.in:
		if in.err != nil {
			return nil, in.err
		}
		if in.m.cmd.CommandField != field || in.m.cmd.MessageIDBeingRespondedTo != id {
			return nil, fmt.Errorf("got %s for message %d, want %s for %d: %w", dimse.CommandName(in.m.cmd.CommandField), in.m.cmd.MessageIDBeingRespondedTo, dimse.CommandName(field), id, ErrProtocol)
		}
		return in.m, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
