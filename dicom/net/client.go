package net

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"iter"
	"net"
	"time"

	"yigong/dicom"
	"yigong/dicom/dimse"
	"yigong/dicom/part10"
	"yigong/dicom/pdu"
	"yigong/dicom/uid"
)

// Proposal is a presentation context to propose.
type Proposal struct {
	AbstractSyntax string
	// TransferSyntaxes in order of preference; empty proposes Explicit
	// then Implicit VR Little Endian.
	TransferSyntaxes []string
	// SCPRole asks that we may act as SCP on this SOP class (role
	// selection, PS3.7 §D.3.3.4): storage classes of a C-GET.
	SCPRole bool
}

// ClientConfig configures an association requested by Dial or NewClient.
type ClientConfig struct {
	CallingAE string // our AE title; "YIGONG" when empty
	CalledAE  string // the peer's; "ANY-SCP" when empty
	// Contexts to propose; at most 128. Verification is added when absent.
	Contexts []Proposal
	// MaxPDULength we accept (DefaultMaxPDULength when 0).
	MaxPDULength uint32
	// MaxDataSetLength caps a received data set (DefaultMaxDataSetLength).
	MaxDataSetLength int64
	// Identity is sent as User Identity Negotiation, when set.
	Identity *pdu.UserIdentity
	// Timeouts; zero means the Default* constant. ReadTimeout bounds the
	// wait for each response.
	ARTIMTimeout, ReadTimeout, WriteTimeout time.Duration
	// Trace, when set, receives a line per PDU.
	Trace io.Writer
}

// Client is an association we requested (an SCU, like Orthanc's
// DicomControlUserConnection and DicomStoreUserConnection in one). Its
// methods run one operation at a time: a Client is not safe for concurrent
// use. A context that ends during an operation aborts the association.
type Client struct {
	a    *association
	info *AssociationInfo
	ac   *pdu.AssociateAC
}

// Dial connects to addr ("host:port") over TCP and requests an association.
func Dial(ctx context.Context, addr string, cfg ClientConfig) (*Client, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dicom/net: associate with %s: %w", addr, err)
	}
	c, err := NewClient(ctx, conn, cfg)
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	return c, nil
}

// NewClient requests an association over conn.
func NewClient(ctx context.Context, conn net.Conn, cfg ClientConfig) (*Client, error) {
	if cfg.CallingAE == "" {
		cfg.CallingAE = "YIGONG"
	}
	if cfg.CalledAE == "" {
		cfg.CalledAE = "ANY-SCP"
	}
	maxRecv := cfg.MaxPDULength
	if maxRecv == 0 {
		maxRecv = DefaultMaxPDULength
	}
	a := newAssociation(conn, maxRecv, timeouts{artim: cfg.ARTIMTimeout, read: cfg.ReadTimeout, write: cfg.WriteTimeout}, newTracer(cfg.Trace, conn.RemoteAddr().String()))
	a.cfg.idle = a.cfg.read
	if cfg.MaxDataSetLength > 0 {
		a.maxDS = cfg.MaxDataSetLength
	}
	a.local, a.remote = cfg.CallingAE, cfg.CalledAE
	stop := a.watch(ctx)
	defer stop()
	rq := &pdu.AssociateRQ{
		ProtocolVersion: 1, CalledAE: cfg.CalledAE, CallingAE: cfg.CallingAE, ApplicationContext: pdu.ApplicationContext,
		UserInfo: pdu.UserInfo{MaxLength: maxRecv, ImplementationClassUID: part10.ImplementationClassUID, ImplementationVersionName: part10.ImplementationVersionName, Identity: cfg.Identity},
	}
	props := cfg.Contexts
	hasVerification := false
	for _, p := range props {
		hasVerification = hasVerification || p.AbstractSyntax == uid.Verification
	}
	if !hasVerification {
		props = append(props[:len(props):len(props)], Proposal{AbstractSyntax: uid.Verification})
	}
	if len(props) > 128 {
		return nil, fmt.Errorf("dicom/net: associate with %s: %d presentation contexts, at most 128", conn.RemoteAddr(), len(props))
	}
	byID := map[uint8]Proposal{}
	roled := map[string]bool{}
	for i, p := range props {
		id := uint8(2*i + 1)
		ts := p.TransferSyntaxes
		if len(ts) == 0 {
			ts = []string{uid.ExplicitVRLittleEndian, uid.ImplicitVRLittleEndian}
		}
		rq.PresentationContexts = append(rq.PresentationContexts, pdu.PresentationContextRQ{ID: id, AbstractSyntax: p.AbstractSyntax, TransferSyntaxes: ts})
		byID[id] = p
		if p.SCPRole && !roled[p.AbstractSyntax] {
			roled[p.AbstractSyntax] = true
			rq.UserInfo.RoleSelections = append(rq.UserInfo.RoleSelections, pdu.RoleSelection{SOPClassUID: p.AbstractSyntax, SCU: false, SCP: true})
		}
	}
	fail := func(err error) (*Client, error) {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", ctx.Err(), err)
		}
		return nil, fmt.Errorf("dicom/net: associate with %s (%q): %w", conn.RemoteAddr(), cfg.CalledAE, err)
	}
	if err := a.writePDU(rq); err != nil {
		return fail(err)
	}
	p, err := a.readPDU(a.cfg.artim, false)
	if err != nil {
		return fail(err)
	}
	switch p := p.(type) {
	case *pdu.AssociateRJ:
		_ = conn.Close()
		return fail(&RejectError{p.Result, p.Source, p.Reason})
	case *pdu.Abort:
		_ = conn.Close()
		return fail(&AbortError{p.Source, p.Reason})
	case *pdu.AssociateAC:
		c := &Client{a: a, ac: p, info: &AssociationInfo{CallingAE: cfg.CallingAE, CalledAE: cfg.CalledAE, RemoteAddr: conn.RemoteAddr(), LocalAddr: conn.LocalAddr(),
			ImplementationClassUID: p.UserInfo.ImplementationClassUID, ImplementationVersionName: p.UserInfo.ImplementationVersionName}}
		roles := map[string]pdu.RoleSelection{}
		for _, rs := range p.UserInfo.RoleSelections {
			roles[rs.SOPClassUID] = rs
		}
		for _, r := range p.PresentationContexts {
			prop, ok := byID[r.ID]
			if !ok || r.Result != pdu.Acceptance {
				continue
			}
			ts, ok := uid.LookupTransferSyntax(r.TransferSyntax)
			if !ok {
				continue
			}
			pc := &PresentationContext{ID: r.ID, AbstractSyntax: prop.AbstractSyntax, TransferSyntax: ts, SCU: true}
			if rs, ok := roles[prop.AbstractSyntax]; ok && prop.SCPRole {
				pc.SCU, pc.SCP = rs.SCU, rs.SCP
			}
			a.contexts[r.ID] = pc
		}
		a.maxSend = p.UserInfo.MaxLength
		return c, nil
	default:
		a.abort(pdu.AbortServiceUser, 0)
		return fail(fmt.Errorf("unexpected %s: %w", p.Type(), ErrProtocol))
	}
}

// Contexts returns the accepted presentation contexts.
func (c *Client) Contexts() []PresentationContext {
	out := make([]PresentationContext, 0, len(c.a.contexts))
	for id := uint8(1); id != 0 && len(out) < len(c.a.contexts); id += 2 {
		if pc, ok := c.a.contexts[id]; ok {
			out = append(out, *pc)
		}
	}
	return out
}

// MaxSendLength returns the peer's maximum P-DATA-TF length (0: none).
func (c *Client) MaxSendLength() uint32 { return c.a.maxSend }

// Info describes the association.
func (c *Client) Info() *AssociationInfo { return c.info }

func (c *Client) fail(op string, err error) error {
	if errors.Is(err, ErrNoContext) {
		return fmt.Errorf("dicom/net: %s with %q: %w", op, c.a.remote, err)
	}
	c.a.abort(pdu.AbortServiceUser, 0)
	return fmt.Errorf("dicom/net: %s with %q: %w", op, c.a.remote, err)
}

// await reads the next message, handling the peer's release or abort.
func (c *Client) await(ctx context.Context) (*message, error) {
	m, err := c.a.readMessage(c.a.cfg.read, false)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w (%w)", ctx.Err(), err)
		}
		var ctl *control
		if errors.As(err, &ctl) {
			if ab, ok := ctl.p.(*pdu.Abort); ok {
				c.a.close()
				return nil, &AbortError{ab.Source, ab.Reason}
			}
			return nil, fmt.Errorf("unexpected %s: %w", ctl.p.Type(), ErrProtocol)
		}
		return nil, err
	}
	return m, nil
}

// awaitResponse reads until the response to id arrives.
func (c *Client) awaitResponse(ctx context.Context, field, id uint16) (*message, error) {
	m, err := c.await(ctx)
	if err != nil {
		return nil, err
	}
	if m.cmd.CommandField != field || m.cmd.MessageIDBeingRespondedTo != id {
		return nil, fmt.Errorf("got %s for message %d, want %s for %d: %w", dimse.CommandName(m.cmd.CommandField), m.cmd.MessageIDBeingRespondedTo, dimse.CommandName(field), id, ErrProtocol)
	}
	return m, nil
}

func statusErr(op string, cmd *dimse.Command) error {
	if cmd.Status.IsFailure() {
		return &dimse.Error{Status: cmd.Status, Command: op, Comment: cmd.ErrorComment}
	}
	return nil
}

// Echo sends C-ECHO (PS3.7 §9.1.5).
func (c *Client) Echo(ctx context.Context) error {
	stop := c.a.watch(ctx)
	defer stop()
	pc := c.a.contextFor(uid.Verification, "")
	if pc == nil {
		return c.fail("C-ECHO", fmt.Errorf("Verification: %w", ErrNoContext))
	}
	id := c.a.messageID()
	if err := c.a.sendMessage(ctx, pc, &dimse.Command{CommandField: dimse.CEchoRQ, MessageID: id, AffectedSOPClassUID: uid.Verification}, nil); err != nil {
		return c.fail("C-ECHO", err)
	}
	m, err := c.awaitResponse(ctx, dimse.CEchoRSP, id)
	if err != nil {
		return c.fail("C-ECHO", err)
	}
	return statusErr("C-ECHO", &m.cmd)
}

// Store sends in as C-STORE (PS3.7 §9.1.1) on a context accepted for its
// SOP class and its own transfer syntax: the instance goes as stored.
// When no such context was accepted, a context in Explicit or Implicit VR
// Little Endian gets the instance converted by dicom/codec (RLE and JPEG
// Baseline decoded); with neither it fails with ErrNoContext. A failure
// status is returned with an error wrapping *dimse.Error.
func (c *Client) Store(ctx context.Context, in Instance) (dimse.Status, error) {
	stop := c.a.watch(ctx)
	defer stop()
	return c.store(ctx, in, nil)
}

type moveOrigin struct {
	ae string
	id uint16
}

func (c *Client) store(ctx context.Context, in Instance, origin *moveOrigin) (dimse.Status, error) {
	pc := c.a.sendContext(in, func(*PresentationContext) bool { return true })
	if pc == nil {
		return dimse.SOPClassNotSupported, fmt.Errorf("dicom/net: C-STORE %s with %q: %s in %s or a lossless native syntax: %w",
			in.SOPInstanceUID, c.a.remote, uid.Name(in.SOPClassUID), uid.Name(in.TransferSyntax), ErrNoContext)
	}
	data, err := in.bytes(ctx)
	if err != nil {
		return dimse.ProcessingFailure, fmt.Errorf("dicom/net: C-STORE %s: load: %w", in.SOPInstanceUID, err)
	}
	if data, err = convert(data, in, pc); err != nil {
		return dimse.ProcessingFailure, &dimse.Error{Status: dimse.ProcessingFailure, Command: "C-STORE", Comment: truncate(err.Error(), 64)}
	}
	if data == nil {
		data = []byte{}
	}
	id := c.a.messageID()
	cmd := &dimse.Command{CommandField: dimse.CStoreRQ, MessageID: id, AffectedSOPClassUID: in.SOPClassUID, AffectedSOPInstanceUID: in.SOPInstanceUID}
	if origin != nil {
		cmd.HasMoveOriginator, cmd.MoveOriginatorAE, cmd.MoveOriginatorMessageID = true, origin.ae, origin.id
	}
	if err := c.a.sendMessage(ctx, pc, cmd, data); err != nil {
		return dimse.ProcessingFailure, c.fail("C-STORE "+in.SOPInstanceUID, err)
	}
	m, err := c.awaitResponse(ctx, dimse.CStoreRSP, id)
	if err != nil {
		return dimse.ProcessingFailure, c.fail("C-STORE "+in.SOPInstanceUID, err)
	}
	return m.cmd.Status, statusErr("C-STORE", &m.cmd)
}

// Find sends C-FIND (PS3.7 §9.1.2) with identifier on information model
// model and yields each match. Stopping the iteration early sends C-CANCEL
// and drains the remaining responses. A failure status is yielded as an
// error wrapping *dimse.Error.
func (c *Client) Find(ctx context.Context, model string, identifier *dicom.Dataset) iter.Seq2[*dicom.Dataset, error] {
	return func(yield func(*dicom.Dataset, error) bool) {
		stop := c.a.watch(ctx)
		defer stop()
		pc := c.a.contextFor(model, "")
		if pc == nil {
			yield(nil, c.fail("C-FIND", fmt.Errorf("%s: %w", uid.Name(model), ErrNoContext)))
			return
		}
		b, err := encode(identifier, pc.TransferSyntax)
		if err != nil {
			yield(nil, fmt.Errorf("dicom/net: C-FIND: encode identifier: %w", err))
			return
		}
		id := c.a.messageID()
		if err := c.a.sendMessage(ctx, pc, &dimse.Command{CommandField: dimse.CFindRQ, MessageID: id, AffectedSOPClassUID: model}, b); err != nil {
			yield(nil, c.fail("C-FIND", err))
			return
		}
		cancelled := false
		for {
			m, err := c.awaitResponse(ctx, dimse.CFindRSP, id)
			if err != nil {
				if !cancelled {
					yield(nil, c.fail("C-FIND", err))
				}
				return
			}
			if !m.cmd.Status.IsPending() {
				if err := statusErr("C-FIND", &m.cmd); err != nil && !cancelled {
					yield(nil, err)
				}
				return
			}
			if cancelled {
				continue
			}
			var match *dicom.Dataset
			if m.data != nil {
				match, err = part10.ReadDataset(bytes.NewReader(m.data), pc.TransferSyntax, nil)
			}
			if !yield(match, err) {
				cancelled = true
				if err := c.a.sendMessage(ctx, pc, &dimse.Command{CommandField: dimse.CCancelRQ, MessageIDBeingRespondedTo: id}, nil); err != nil {
					_ = c.fail("C-CANCEL", err)
					return
				}
			}
		}
	}
}

// RetrieveResult is the outcome of a C-MOVE or C-GET.
type RetrieveResult struct {
	Status                                dimse.Status
	Remaining, Completed, Failed, Warning int
}

// Move sends C-MOVE (PS3.7 §9.1.4): the peer sends the matching instances
// to destination. progress, when not nil, sees each pending response.
func (c *Client) Move(ctx context.Context, model, destination string, identifier *dicom.Dataset, progress func(RetrieveResult)) (RetrieveResult, error) {
	stop := c.a.watch(ctx)
	defer stop()
	return c.retrieve(ctx, dimse.CMoveRQ, model, destination, identifier, progress, nil)
}

// Get sends C-GET (PS3.7 §9.1.3): the peer sends the matching instances
// back as C-STORE on this association, each handed to store. Propose the
// storage SOP classes with SCPRole set.
func (c *Client) Get(ctx context.Context, model string, identifier *dicom.Dataset, store StoreHandler, progress func(RetrieveResult)) (RetrieveResult, error) {
	stop := c.a.watch(ctx)
	defer stop()
	return c.retrieve(ctx, dimse.CGetRQ, model, "", identifier, progress, store)
}

func (c *Client) retrieve(ctx context.Context, field uint16, model, dest string, identifier *dicom.Dataset, progress func(RetrieveResult), store StoreHandler) (RetrieveResult, error) {
	op := dimse.CommandName(field)[:5]
	pc := c.a.contextFor(model, "")
	if pc == nil {
		return RetrieveResult{}, c.fail(op, fmt.Errorf("%s: %w", uid.Name(model), ErrNoContext))
	}
	b, err := encode(identifier, pc.TransferSyntax)
	if err != nil {
		return RetrieveResult{}, fmt.Errorf("dicom/net: %s: encode identifier: %w", op, err)
	}
	id := c.a.messageID()
	if err := c.a.sendMessage(ctx, pc, &dimse.Command{CommandField: field, MessageID: id, AffectedSOPClassUID: model, MoveDestination: dest}, b); err != nil {
		return RetrieveResult{}, c.fail(op, err)
	}
	for {
		m, err := c.await(ctx)
		if err != nil {
			return RetrieveResult{}, c.fail(op, err)
		}
		if m.cmd.CommandField == dimse.CStoreRQ && store != nil {
			if err := c.handleStore(ctx, m, store); err != nil {
				return RetrieveResult{}, c.fail(op, err)
			}
			continue
		}
		if m.cmd.CommandField != field|0x8000 || m.cmd.MessageIDBeingRespondedTo != id {
			return RetrieveResult{}, c.fail(op, fmt.Errorf("unexpected %s: %w", dimse.CommandName(m.cmd.CommandField), ErrProtocol))
		}
		r := RetrieveResult{Status: m.cmd.Status, Remaining: int(m.cmd.Remaining), Completed: int(m.cmd.Completed), Failed: int(m.cmd.Failed), Warning: int(m.cmd.Warning)}
		if m.cmd.Status.IsPending() {
			if progress != nil {
				progress(r)
			}
			continue
		}
		return r, statusErr(op, &m.cmd)
	}
}

// handleStore answers a C-STORE sub-operation of a C-GET.
func (c *Client) handleStore(ctx context.Context, m *message, store StoreHandler) error {
	st := dimse.CannotUnderstand
	if m.data != nil {
		req := &StoreRequest{AssociationInfo: c.info, MessageID: m.cmd.MessageID, Priority: m.cmd.Priority,
			SOPClassUID: m.cmd.AffectedSOPClassUID, SOPInstanceUID: m.cmd.AffectedSOPInstanceUID, TransferSyntax: m.pc.TransferSyntax, Data: m.data}
		st = store.HandleStore(ctx, req)
	}
	return c.a.sendMessage(ctx, m.pc, &dimse.Command{CommandField: dimse.CStoreRSP, MessageIDBeingRespondedTo: m.cmd.MessageID,
		AffectedSOPClassUID: m.cmd.AffectedSOPClassUID, AffectedSOPInstanceUID: m.cmd.AffectedSOPInstanceUID, Status: st}, nil)
}

// Release releases the association (A-RELEASE-RQ/RP, PS3.8 §7.2) and
// closes the connection.
func (c *Client) Release(ctx context.Context) error {
	stop := c.a.watch(ctx)
	defer stop()
	defer c.a.close()
	if err := c.a.writePDU(&pdu.ReleaseRQ{}); err != nil {
		return fmt.Errorf("dicom/net: release association with %q: %w", c.a.remote, err)
	}
	for {
		p, err := c.a.readPDU(c.a.cfg.artim, false)
		if err != nil {
			return fmt.Errorf("dicom/net: release association with %q: %w", c.a.remote, err)
		}
		switch p := p.(type) {
		case *pdu.ReleaseRP:
			return nil
		case *pdu.ReleaseRQ: // release collision (PS3.8 §7.2.3): the requestor answers
			if err := c.a.writePDU(&pdu.ReleaseRP{}); err != nil {
				return err
			}
		case *pdu.Abort:
			return fmt.Errorf("dicom/net: release association with %q: %w", c.a.remote, &AbortError{p.Source, p.Reason})
		case *pdu.PData:
			// Late responses of a cancelled operation: ignore.
		default:
			return fmt.Errorf("dicom/net: release association with %q: unexpected %s: %w", c.a.remote, p.Type(), ErrProtocol)
		}
	}
}

// Abort aborts the association (A-ABORT) and closes the connection.
func (c *Client) Abort() { c.a.abort(pdu.AbortServiceUser, 0) }

// ReadInstance reads a Part 10 file (or a bare data set, whose syntax is
// sniffed) and returns it as an Instance whose Data are the file's data
// set bytes, unchanged, ready for Client.Store.
func ReadInstance(b []byte) (Instance, error) {
	f, err := part10.Read(bytes.NewReader(b), &part10.Options{StopAt: dicom.NewTag(0x0008, 0x0019)})
	if err != nil {
		return Instance{}, fmt.Errorf("dicom/net: read instance: %w", err)
	}
	// The data set's own UIDs are authoritative (the meta group may be stale).
	in := Instance{
		SOPClassUID:    f.Dataset.Text(dicom.TagSOPClassUID),
		SOPInstanceUID: f.Dataset.Text(dicom.TagSOPInstanceUID),
		TransferSyntax: f.TransferSyntax.UID,
	}
	if in.SOPClassUID == "" {
		in.SOPClassUID = f.Meta.Text(dicom.TagMediaStorageSOPClassUID)
	}
	if in.SOPInstanceUID == "" {
		in.SOPInstanceUID = f.Meta.Text(dicom.TagMediaStorageSOPInstanceUID)
	}
	start := DataSetOffset(b)
	if start == 0 && f.Meta.Len() == 0 && f.Dataset.Len() > 0 {
		// No meta group: the reader may have skipped stray leading bytes.
		if off := f.Dataset.Elements()[0].Offset; off > 0 && off < 4 {
			start = int(off)
		}
	}
	if start < 0 {
		return Instance{}, fmt.Errorf("dicom/net: read instance %s: cannot find where the data set starts", in.SOPInstanceUID)
	}
	in.Data = b[start:]
	return in, nil
}

// DataSetOffset returns where the data set of a Part 10 file begins: after
// the preamble, "DICM" and the meta group, whose length is read from
// (0002,0000) or, lacking it, by walking the group 0002 elements. Input
// without "DICM" and meta group starts at 0. It returns -1 on damage.
func DataSetOffset(b []byte) int {
	off := 0
	switch {
	case len(b) >= 132 && string(b[128:132]) == "DICM":
		off = 132
	case len(b) >= 4 && string(b[:4]) == "DICM":
		off = 4
	}
	for off+8 <= len(b) && binary.LittleEndian.Uint16(b[off:]) == 0x0002 {
		el := binary.LittleEndian.Uint16(b[off+2:])
		vr := string(b[off+4 : off+6])
		if el == 0 && vr == "UL" && off+12 <= len(b) {
			gl := int(binary.LittleEndian.Uint32(b[off+8:]))
			if off+12+gl > len(b) {
				return -1
			}
			return off + 12 + gl
		}
		var n, h int
		switch vr {
		case "OB", "OW", "OF", "SQ", "UT", "UN", "UC", "UR", "OD", "OL", "OV", "SV", "UV":
			if off+12 > len(b) {
				return -1
			}
			n, h = int(binary.LittleEndian.Uint32(b[off+8:])), 12
		default:
			n, h = int(binary.LittleEndian.Uint16(b[off+6:])), 8
		}
		if off+h+n > len(b) {
			return -1
		}
		off += h + n
	}
	return off
}
