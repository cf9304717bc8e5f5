package net

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"yigong/dicom/dimse"
	"yigong/dicom/part10"
	"yigong/dicom/pdu"
	"yigong/dicom/uid"
)

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("dicom/net: server closed")

// Information models and service classes the server dispatches on.
var (
	findModels = []string{uid.PatientRootQueryRetrieveInformationModelFind, uid.StudyRootQueryRetrieveInformationModelFind, uid.PatientStudyOnlyQueryRetrieveInformationModelFind}
	moveModels = []string{uid.PatientRootQueryRetrieveInformationModelMove, uid.StudyRootQueryRetrieveInformationModelMove, uid.PatientStudyOnlyQueryRetrieveInformationModelMove, uid.CompositeInstanceRootRetrieveMove}
	getModels  = []string{uid.PatientRootQueryRetrieveInformationModelGet, uid.StudyRootQueryRetrieveInformationModelGet, uid.PatientStudyOnlyQueryRetrieveInformationModelGet, uid.CompositeInstanceRootRetrieveGet}
)

func oneOf(s string, list []string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// nativeSyntaxes are the transfer syntaxes accepted for non-storage
// services (commands carry identifiers, never pixel data).
var nativeSyntaxes = []string{uid.ExplicitVRLittleEndian, uid.ImplicitVRLittleEndian, uid.DeflatedExplicitVRLittleEndian, uid.ExplicitVRBigEndian}

// Server is a DICOM SCP: it accepts associations and dispatches each DIMSE
// request to the handler of its service, Orthanc-style. A nil handler
// rejects that service's SOP classes at association; Verification is
// always accepted. Set the fields before Serve and do not change them
// after; a Server must not be copied after first use.
type Server struct {
	// AETitle is the called AE title answered to; "" accepts any.
	AETitle string

	Echo     EchoHandler   // optional; nil answers C-ECHO with Success
	Store    StoreHandler  // every storage SOP class of dicom/uid
	Find     FindHandler   // Patient Root, Study Root, Patient/Study Only FIND
	Move     MoveHandler   // the MOVE models; needs Destinations
	Get      GetHandler    // the GET models; storage contexts with SCP role
	Worklist FindHandler   // Modality Worklist FIND
	Commit   CommitHandler // Storage Commitment Push Model, as performer
	// CommitReports receives Storage Commitment results as requestor, on
	// associations the performer opens with the SCP role (PS3.4 J.3.3).
	CommitReports CommitReportHandler

	// Destinations resolves C-MOVE destinations and storage commitment
	// requestors to addresses.
	Destinations AEResolver
	// Filter, when set, decides who may associate and which transfer
	// syntaxes are accepted.
	Filter AssociationFilter
	// PreferTransferSyntaxes ranks transfer syntaxes: of those proposed in
	// a context, the first in this list is chosen. When none of the list
	// is proposed, or the list is empty, the first syntax the requestor
	// proposed that the server accepts wins, so instances are stored as
	// received.
	PreferTransferSyntaxes []string

	// MaxPDULength is the largest P-DATA-TF body accepted
	// (DefaultMaxPDULength when 0).
	MaxPDULength uint32
	// MaxDataSetLength caps a received data set (DefaultMaxDataSetLength).
	MaxDataSetLength int64
	// ReuseStoreData lets the server reuse the memory of a StoreRequest's
	// Data for later C-STOREs once HandleStore has returned: set it when
	// the Store handler keeps no reference to Data (or to part of it)
	// after returning. For large instances it spares an allocation and
	// its copies as the buffer grows, and the garbage collection they
	// cause.
	ReuseStoreData bool
	// Timeouts; zero means the Default* constant.
	ARTIMTimeout, IdleTimeout, ReadTimeout, WriteTimeout time.Duration

	// Trace, when set, is asked for a writer per accepted connection; a
	// non-nil writer receives a line per PDU sent and received.
	Trace func(remote net.Addr) io.Writer
	// Logger receives association-level events at Debug; nil logs nothing.
	Logger *slog.Logger

	// storeBufs holds *[]byte buffers of C-STORE data sets to reuse
	// (ReuseStoreData).
	storeBufs sync.Pool

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	assocs    map[*scpAssociation]struct{}
	wg        sync.WaitGroup
	shutdown  bool
}

// ListenAndServe listens on the TCP address addr and serves.
func (s *Server) ListenAndServe(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("dicom/net: listen %s: %w", addr, err)
	}
	return s.Serve(l)
}

// Serve accepts connections on l until Shutdown, serving each in its own
// goroutine. It returns ErrServerClosed after Shutdown.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.shutdown {
		s.mu.Unlock()
		_ = l.Close()
		return ErrServerClosed
	}
	if s.listeners == nil {
		s.listeners = map[net.Listener]struct{}{}
	}
	s.listeners[l] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
	}()
	var delay time.Duration
	for {
		conn, err := l.Accept()
		if err != nil {
			if s.closing() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return fmt.Errorf("dicom/net: accept: %w", err)
		}
		delay = 0
		if !s.track(1) {
			_ = conn.Close()
			return ErrServerClosed
		}
		go func() {
			defer s.wg.Done()
			err := s.serve(context.Background(), conn)
			if err != nil && s.Logger != nil {
				s.Logger.Debug("dicom association ended", "remote", conn.RemoteAddr().String(), "err", err)
			}
		}()
	}
}

func (s *Server) closing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.shutdown
}

// track adds n to the wait group unless shut down.
func (s *Server) track(n int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutdown {
		return false
	}
	s.wg.Add(n)
	return true
}

// ServeConn serves one association on conn (any net.Conn: TCP, TLS,
// net.Pipe) and returns when it ends; ctx aborts it. It returns nil after
// an orderly release.
func (s *Server) ServeConn(ctx context.Context, conn net.Conn) error {
	if !s.track(1) {
		_ = conn.Close()
		return ErrServerClosed
	}
	defer s.wg.Done()
	return s.serve(ctx, conn)
}

// Shutdown stops accepting, lets running operations finish, aborts
// associations as they go idle and waits for them all. When ctx ends
// first it aborts the rest and returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.shutdown = true
	for l := range s.listeners {
		_ = l.Close()
	}
	var idle []*scpAssociation
	for sa := range s.assocs {
		idle = append(idle, sa)
	}
	s.mu.Unlock()
	for _, sa := range idle {
		sa.a.dmu.Lock()
		busy := sa.a.busy
		sa.a.dmu.Unlock()
		if !busy {
			sa.a.abort(pdu.AbortServiceProvider, pdu.AbortReasonNotSpecified)
		}
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		for sa := range s.assocs {
			sa.a.abort(pdu.AbortServiceProvider, pdu.AbortReasonNotSpecified)
		}
		s.mu.Unlock()
		<-done
		return ctx.Err()
	}
}

func (s *Server) maxPDU() uint32 {
	if s.MaxPDULength == 0 {
		return DefaultMaxPDULength
	}
	return s.MaxPDULength
}

func (s *Server) serve(ctx context.Context, conn net.Conn) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var tr *tracer
	if s.Trace != nil {
		tr = newTracer(s.Trace(conn.RemoteAddr()), conn.RemoteAddr().String())
	}
	a := newAssociation(conn, s.maxPDU(), timeouts{s.ARTIMTimeout, s.IdleTimeout, s.ReadTimeout, s.WriteTimeout}, tr)
	if s.MaxDataSetLength > 0 {
		a.maxDS = s.MaxDataSetLength
	}
	if s.ReuseStoreData {
		a.storeBuf = s.storeBuf
	}
	stop := a.watch(ctx)
	defer stop()
	info, err := s.negotiate(ctx, a)
	if err != nil {
		a.close()
		return err
	}
	a.local, a.remote = info.CalledAE, info.CallingAE
	sa := &scpAssociation{s: s, a: a, info: info, ops: map[uint16]context.CancelFunc{}}
	s.mu.Lock()
	if s.shutdown {
		s.mu.Unlock()
		a.abort(pdu.AbortServiceProvider, pdu.AbortReasonNotSpecified)
		return ErrServerClosed
	}
	if s.assocs == nil {
		s.assocs = map[*scpAssociation]struct{}{}
	}
	s.assocs[sa] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.assocs, sa)
		s.mu.Unlock()
	}()
	return sa.run(ctx)
}

// negotiate runs the acceptor side of association establishment (PS3.8
// §7.1, ARTIM): read the A-ASSOCIATE-RQ, answer AC or RJ.
func (s *Server) negotiate(ctx context.Context, a *association) (*AssociationInfo, error) {
	p, err := a.readPDU(a.cfg.artim, false)
	if err != nil {
		return nil, fmt.Errorf("dicom/net: wait for A-ASSOCIATE-RQ from %s: %w", a.conn.RemoteAddr(), err)
	}
	rq, ok := p.(*pdu.AssociateRQ)
	if !ok {
		a.abort(pdu.AbortServiceProvider, pdu.AbortReasonUnexpectedPDU)
		return nil, fmt.Errorf("dicom/net: %s sent %s before A-ASSOCIATE-RQ: %w", a.conn.RemoteAddr(), p.Type(), ErrProtocol)
	}
	info := &AssociationInfo{
		CallingAE: rq.CallingAE, CalledAE: rq.CalledAE,
		RemoteAddr: a.conn.RemoteAddr(), LocalAddr: a.conn.LocalAddr(),
		ImplementationClassUID: rq.UserInfo.ImplementationClassUID, ImplementationVersionName: rq.UserInfo.ImplementationVersionName,
		Identity: rq.UserInfo.Identity,
	}
	if rq.UserInfo.Identity != nil {
		id := *rq.UserInfo.Identity // detach from the reader's buffer
		id.Primary = append([]byte(nil), id.Primary...)
		id.Secondary = append([]byte(nil), id.Secondary...)
		info.Identity = &id
	}
	reject := func(rj *RejectError) (*AssociationInfo, error) {
		_ = a.writePDU(&pdu.AssociateRJ{Result: rj.Result, Source: rj.Source, Reason: rj.Reason})
		// Wait briefly for the peer to close (PS3.8 §9.2.3 ARTIM), then close.
		a.setReadDeadline(time.Second, false)
		_, _, _ = a.r.NextRaw()
		return nil, fmt.Errorf("dicom/net: associate with %s (%q to %q): %w", a.conn.RemoteAddr(), rq.CallingAE, rq.CalledAE, rj)
	}
	switch {
	case rq.ProtocolVersion&1 == 0:
		return reject(&RejectError{pdu.RejectPermanent, pdu.SourceServiceProviderACSE, pdu.ReasonProtocolVersionNotSupported})
	case rq.ApplicationContext != pdu.ApplicationContext:
		return reject(&RejectError{pdu.RejectPermanent, pdu.SourceServiceUser, pdu.ReasonApplicationContextNotSupported})
	case s.AETitle != "" && rq.CalledAE != s.AETitle:
		return reject(&RejectError{pdu.RejectPermanent, pdu.SourceServiceUser, pdu.ReasonCalledAENotRecognized})
	}
	if s.Filter != nil {
		if err := s.Filter.AllowAssociation(ctx, info); err != nil {
			var rj *RejectError
			if !errors.As(err, &rj) {
				rj = &RejectError{pdu.RejectPermanent, pdu.SourceServiceUser, pdu.ReasonCallingAENotRecognized}
			}
			return reject(rj)
		}
	}
	ac := &pdu.AssociateAC{
		ProtocolVersion: 1, CalledAE: rq.CalledAE, CallingAE: rq.CallingAE, ApplicationContext: pdu.ApplicationContext,
		UserInfo: pdu.UserInfo{MaxLength: s.maxPDU(), ImplementationClassUID: part10.ImplementationClassUID, ImplementationVersionName: part10.ImplementationVersionName},
	}
	roles := map[string]pdu.RoleSelection{}
	for _, rs := range rq.UserInfo.RoleSelections {
		roles[rs.SOPClassUID] = rs
	}
	answered := map[string]bool{}
	for _, pc := range rq.PresentationContexts {
		res := pdu.PresentationContextAC{ID: pc.ID, Result: pdu.AbstractSyntaxNotSupported}
		rs, hasRole := roles[pc.AbstractSyntax]
		scu, scp, supported := s.supports(pc.AbstractSyntax, rs, hasRole)
		if supported {
			res.Result = pdu.TransferSyntaxesNotSupported
			if ts, ok := s.chooseSyntax(info, pc); ok {
				res.Result, res.TransferSyntax = pdu.Acceptance, ts.UID
				a.contexts[pc.ID] = &PresentationContext{ID: pc.ID, AbstractSyntax: pc.AbstractSyntax, TransferSyntax: ts, SCU: scu, SCP: scp}
				if hasRole && !answered[pc.AbstractSyntax] {
					answered[pc.AbstractSyntax] = true
					ac.UserInfo.RoleSelections = append(ac.UserInfo.RoleSelections, pdu.RoleSelection{SOPClassUID: pc.AbstractSyntax, SCU: scu, SCP: scp})
				}
			}
		}
		ac.PresentationContexts = append(ac.PresentationContexts, res)
	}
	if rq.UserInfo.AsyncOps != nil {
		ac.UserInfo.AsyncOps = &pdu.AsyncOps{Invoked: 1, Performed: 1}
	}
	if id := rq.UserInfo.Identity; id != nil && id.PositiveResponseRequested {
		ac.UserInfo.IdentityResponse = &pdu.UserIdentityResponse{}
	}
	a.maxSend = rq.UserInfo.MaxLength
	if err := a.writePDU(ac); err != nil {
		return nil, fmt.Errorf("dicom/net: associate with %s: send A-ASSOCIATE-AC: %w", a.conn.RemoteAddr(), err)
	}
	return info, nil
}

// supports reports whether the server serves abstract syntax as, and the
// requestor roles it grants (PS3.7 §D.3.3.4).
func (s *Server) supports(as string, rs pdu.RoleSelection, hasRole bool) (scu, scp, ok bool) {
	switch {
	case as == uid.Verification:
		return true, false, true
	case uid.IsStorage(as):
		// The requestor as SCP: C-GET sub-operations come back to it.
		scp = hasRole && rs.SCP && s.Get != nil
		scu = (!hasRole || rs.SCU) && s.Store != nil
		return scu, scp, scu || scp
	case oneOf(as, findModels):
		return true, false, s.Find != nil
	case as == uid.ModalityWorklistInformationModelFind:
		return true, false, s.Worklist != nil
	case oneOf(as, moveModels):
		return true, false, s.Move != nil
	case oneOf(as, getModels):
		return true, false, s.Get != nil
	case as == uid.StorageCommitmentPushModel:
		// The requestor as SCP: it sends us the reports of our requests.
		scp = hasRole && rs.SCP && s.CommitReports != nil
		scu = (!hasRole || rs.SCU) && s.Commit != nil
		return scu, scp, scu || scp
	}
	return false, false, false
}

// chooseSyntax picks the transfer syntax of a proposed context: a preferred
// one if proposed, else the first proposed that is acceptable.
func (s *Server) chooseSyntax(info *AssociationInfo, pc pdu.PresentationContextRQ) (uid.TransferSyntax, bool) {
	acceptable := func(ts string) (uid.TransferSyntax, bool) {
		t, ok := uid.LookupTransferSyntax(ts)
		if !ok {
			return t, false
		}
		if !uid.IsStorage(pc.AbstractSyntax) && !oneOf(ts, nativeSyntaxes) {
			return t, false
		}
		if s.Filter != nil && !s.Filter.AcceptTransferSyntax(info, pc.AbstractSyntax, ts) {
			return t, false
		}
		return t, true
	}
	for _, want := range s.PreferTransferSyntaxes {
		if oneOf(want, pc.TransferSyntaxes) {
			if t, ok := acceptable(want); ok {
				return t, true
			}
		}
	}
	for _, ts := range pc.TransferSyntaxes {
		if t, ok := acceptable(ts); ok {
			return t, true
		}
	}
	return uid.TransferSyntax{}, false
}

// inbound is what the reader goroutine hands the dispatcher.
type inbound struct {
	m   *message
	ctx context.Context // the operation's context (cancelled by C-CANCEL)
	err error
}

// scpAssociation is one accepted association: a reader goroutine feeds
// messages to the dispatcher (run), which alone writes; C-CANCEL is
// handled by the reader by cancelling the operation's context.
type scpAssociation struct {
	s    *Server
	a    *association
	info *AssociationInfo
	in   chan inbound
	done chan struct{}

	opsMu sync.Mutex
	ops   map[uint16]context.CancelFunc

	// pending is a message taken from in ahead of its turn (a release
	// seen while a storage commitment report was due): run handles it next.
	pending *inbound
}

func (sa *scpAssociation) run(ctx context.Context) error {
	sa.in = make(chan inbound)
	sa.done = make(chan struct{})
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		sa.readLoop(ctx)
	}()
	defer func() {
		close(sa.done)
		sa.a.close()
		<-readerDone
		sa.opsMu.Lock()
		for _, c := range sa.ops {
			c()
		}
		sa.opsMu.Unlock()
	}()
	sa.a.setBusy(false)
	for {
		var in inbound
		if sa.pending != nil {
			in, sa.pending = *sa.pending, nil
		} else {
			in = <-sa.in
		}
		if in.err != nil {
			return sa.ended(in.err)
		}
		if err := sa.dispatch(ctx, in); err != nil {
			sa.a.abort(pdu.AbortServiceProvider, pdu.AbortReasonNotSpecified)
			return fmt.Errorf("dicom/net: association with %q at %s: %w", sa.info.CallingAE, sa.info.RemoteAddr, err)
		}
		if sa.s.closing() {
			sa.a.abort(pdu.AbortServiceProvider, pdu.AbortReasonNotSpecified)
			return ErrServerClosed
		}
	}
}

// ended handles the end of the message stream: release, abort or error.
func (sa *scpAssociation) ended(err error) error {
	var c *control
	if errors.As(err, &c) {
		switch p := c.p.(type) {
		case *pdu.ReleaseRQ:
			if werr := sa.a.writePDU(&pdu.ReleaseRP{}); werr != nil {
				return fmt.Errorf("dicom/net: release association with %q: %w", sa.info.CallingAE, werr)
			}
			// The requestor closes the transport after A-RELEASE-RP.
			sa.a.setReadDeadline(sa.a.cfg.artim, false)
			_, _, _ = sa.a.r.NextRaw()
			return nil
		case *pdu.Abort:
			return fmt.Errorf("dicom/net: association with %q: %w", sa.info.CallingAE, &AbortError{p.Source, p.Reason})
		default:
			sa.a.abort(pdu.AbortServiceProvider, pdu.AbortReasonUnexpectedPDU)
			return fmt.Errorf("dicom/net: association with %q: unexpected %s: %w", sa.info.CallingAE, p.Type(), ErrProtocol)
		}
	}
	if errors.Is(err, ErrProtocol) || errors.Is(err, pdu.ErrMalformed) || errors.Is(err, pdu.ErrTooLong) || errors.Is(err, pdu.ErrUnknownType) || errors.Is(err, ErrTooLong) {
		sa.a.abort(pdu.AbortServiceProvider, pdu.AbortReasonInvalidParamValue)
	}
	return fmt.Errorf("dicom/net: association with %q at %s: %w", sa.info.CallingAE, sa.info.RemoteAddr, err)
}

// readLoop reads messages until the stream ends, registering an operation
// context for each request and cancelling it on C-CANCEL.
func (sa *scpAssociation) readLoop(ctx context.Context) {
	for {
		m, err := sa.a.readMessage(sa.a.cfg.idle, true)
		if err != nil {
			if ctx.Err() != nil {
				err = fmt.Errorf("%w (%w)", ctx.Err(), err)
			}
			select {
			case sa.in <- inbound{err: err}:
			case <-sa.done:
			}
			return
		}
		if m.cmd.CommandField == dimse.CCancelRQ {
			sa.opsMu.Lock()
			if c, ok := sa.ops[m.cmd.MessageIDBeingRespondedTo]; ok {
				c()
			}
			sa.opsMu.Unlock()
			continue
		}
		opCtx := ctx
		if !m.cmd.IsResponse() {
			var cancel context.CancelFunc
			opCtx, cancel = context.WithCancel(ctx)
			sa.opsMu.Lock()
			if old, ok := sa.ops[m.cmd.MessageID]; ok {
				old()
			}
			sa.ops[m.cmd.MessageID] = cancel
			sa.opsMu.Unlock()
		}
		select {
		case sa.in <- inbound{m: m, ctx: opCtx}:
		case <-sa.done:
			return
		}
	}
}

func (sa *scpAssociation) finishOp(id uint16) {
	sa.opsMu.Lock()
	if c, ok := sa.ops[id]; ok {
		c()
		delete(sa.ops, id)
	}
	sa.opsMu.Unlock()
}

// respond sends a response to request m with status st.
func (sa *scpAssociation) respond(ctx context.Context, m *message, st dimse.Status, data []byte, fill func(*dimse.Command)) error {
	rsp := &dimse.Command{
		CommandField:              m.cmd.CommandField | 0x8000,
		MessageIDBeingRespondedTo: m.cmd.MessageID,
		AffectedSOPClassUID:       m.cmd.AffectedSOPClassUID,
		AffectedSOPInstanceUID:    m.cmd.AffectedSOPInstanceUID,
		Status:                    st,
	}
	if rsp.AffectedSOPClassUID == "" {
		rsp.AffectedSOPClassUID = m.cmd.RequestedSOPClassUID
	}
	if rsp.AffectedSOPInstanceUID == "" {
		rsp.AffectedSOPInstanceUID = m.cmd.RequestedSOPInstanceUID
	}
	if fill != nil {
		fill(rsp)
	}
	return sa.a.sendMessage(ctx, m.pc, rsp, data)
}

// dispatch runs one request. Errors are association failures; DIMSE
// failures are answered with a status.
func (sa *scpAssociation) dispatch(ctx context.Context, in inbound) error {
	m := in.m
	if m.cmd.IsResponse() {
		return fmt.Errorf("unexpected %s: %w", dimse.CommandName(m.cmd.CommandField), ErrProtocol)
	}
	sa.a.setBusy(true)
	defer sa.a.setBusy(false)
	defer sa.finishOp(m.cmd.MessageID)
	switch m.cmd.CommandField {
	case dimse.CEchoRQ:
		st := dimse.Success
		if sa.s.Echo != nil {
			st = sa.s.Echo.HandleEcho(in.ctx, &EchoRequest{AssociationInfo: sa.info, MessageID: m.cmd.MessageID})
		}
		return sa.respond(ctx, m, st, nil, nil)
	case dimse.CStoreRQ:
		return sa.store(ctx, in)
	case dimse.CFindRQ:
		return sa.find(ctx, in)
	case dimse.CMoveRQ:
		return sa.move(ctx, in)
	case dimse.CGetRQ:
		return sa.get(ctx, in)
	case dimse.NActionRQ:
		return sa.commit(ctx, in)
	case dimse.NEventReportRQ:
		return sa.eventReport(ctx, in)
	}
	return sa.respond(ctx, m, dimse.UnrecognizedOperation, nil, nil)
}

func (sa *scpAssociation) store(ctx context.Context, in inbound) error {
	m := in.m
	if sa.s.Store == nil || !m.pc.SCU {
		return sa.respond(ctx, m, dimse.SOPClassNotSupported, nil, nil)
	}
	if m.data == nil {
		return sa.respond(ctx, m, dimse.CannotUnderstand, nil, func(c *dimse.Command) { c.ErrorComment = "C-STORE-RQ without data set" })
	}
	req := &StoreRequest{
		AssociationInfo: sa.info, MessageID: m.cmd.MessageID, Priority: m.cmd.Priority,
		SOPClassUID: m.cmd.AffectedSOPClassUID, SOPInstanceUID: m.cmd.AffectedSOPInstanceUID,
		TransferSyntax: m.pc.TransferSyntax, Data: m.data,
		MoveOriginatorAE: m.cmd.MoveOriginatorAE, MoveOriginatorMessageID: m.cmd.MoveOriginatorMessageID,
	}
	st := sa.s.Store.HandleStore(in.ctx, req)
	if sa.s.ReuseStoreData {
		sa.s.reuseStoreBuf(m.data)
		m.data, req.Data = nil, nil
	}
	return sa.respond(ctx, m, st, nil, nil)
}

// maxReusedStoreBuf caps the capacity of a data set buffer kept for reuse:
// larger ones (multi-frame instances) are left to the garbage collector.
const maxReusedStoreBuf = 8 << 20

// storeBuf returns an empty buffer for a C-STORE data set.
func (s *Server) storeBuf() []byte {
	if bp, ok := s.storeBufs.Get().(*[]byte); ok {
		return (*bp)[:0]
	}
	return []byte{}
}

func (s *Server) reuseStoreBuf(b []byte) {
	if cap(b) == 0 || cap(b) > maxReusedStoreBuf {
		return
	}
	b = b[:0]
	s.storeBufs.Put(&b)
}

// level returns the trimmed Query/Retrieve Level of an identifier.
func levelOf(r *QueryRequest) string {
	return strings.TrimSpace(r.Identifier.Text(tagQueryRetrieveLevel))
}
