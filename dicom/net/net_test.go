package net_test

import (
	"bytes"
	"context"
	"errors"
	stdnet "net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"yigong/dicom"
	"yigong/dicom/dimse"
	dnet "yigong/dicom/net"
	"yigong/dicom/pdu"
	"yigong/dicom/uid"
)

// TestFindCancel: stopping the iteration sends C-CANCEL; the SCP's yield
// returns false and the operation ends with Cancel, long before the
// handler's 100000 matches.
func TestFindCancel(t *testing.T) {
	t.Parallel()
	var yielded atomic.Int64
	var final atomic.Bool
	srv := &dnet.Server{Find: dnet.FindHandlerFunc(func(ctx context.Context, req *dnet.FindRequest, yield func(*dicom.Dataset) bool) dimse.Status {
		for i := range 100000 {
			ds := dicom.New()
			_ = ds.SetInts(dicom.TagInstanceNumber, dicom.IS, int64(i))
			yielded.Add(1)
			if !yield(ds) {
				final.Store(true)
				return dimse.Cancel
			}
		}
		return dimse.Success
	})}
	c := pipeClient(t, srv, []dnet.Proposal{{AbstractSyntax: uid.PatientRootQueryRetrieveInformationModelFind}})
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	q := dicom.New()
	_ = q.SetStrings(dicom.NewTag(0x0008, 0x0052), dicom.CS, "PATIENT")
	n := 0
	for _, err := range c.Find(ctx, uid.PatientRootQueryRetrieveInformationModelFind, q) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 3 {
			break
		}
	}
	if err := c.Echo(ctx); err != nil {
		t.Fatal(err)
	}
	if !final.Load() || yielded.Load() >= 100000 {
		t.Fatalf("handler was not cancelled (yielded %d)", yielded.Load())
	}
	if err := c.Release(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestCommitSameAssociation: N-ACTION, then the N-EVENT-REPORT with the
// committed and failed references on the same association.
func TestCommitSameAssociation(t *testing.T) {
	t.Parallel()
	srv := &dnet.Server{Commit: dnet.CommitHandlerFunc(func(ctx context.Context, req *dnet.CommitRequest) dnet.CommitResult {
		var r dnet.CommitResult
		for _, ref := range req.References {
			if strings.HasSuffix(ref.SOPInstanceUID, ".2") {
				ref.FailureReason = uint16(dimse.NoSuchSOPInstance)
				r.Failed = append(r.Failed, ref)
			} else {
				r.Committed = append(r.Committed, ref)
			}
		}
		return r
	})}
	c := pipeClient(t, srv, []dnet.Proposal{{AbstractSyntax: uid.StorageCommitmentPushModel}})
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	refs := []dnet.SOPReference{{SOPClassUID: uid.CTImageStorage, SOPInstanceUID: "1.2.3.1"}, {SOPClassUID: uid.CTImageStorage, SOPInstanceUID: "1.2.3.2"}}
	res, err := c.Commit(ctx, "2.25.99", refs)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Committed) != 1 || res.Committed[0].SOPInstanceUID != "1.2.3.1" || len(res.Failed) != 1 || res.Failed[0].FailureReason != uint16(dimse.NoSuchSOPInstance) {
		t.Fatalf("result %+v", res)
	}
	if err := c.Release(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestNilHandlerRejects: without a Store handler storage contexts are
// rejected at association, and C-STORE fails with ErrNoContext.
func TestNilHandlerRejects(t *testing.T) {
	t.Parallel()
	c := pipeClient(t, &dnet.Server{}, []dnet.Proposal{{AbstractSyntax: uid.CTImageStorage}, {AbstractSyntax: uid.StudyRootQueryRetrieveInformationModelFind}})
	for _, pc := range c.Contexts() {
		if pc.AbstractSyntax != uid.Verification {
			t.Errorf("context %s accepted", pc.AbstractSyntax)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if _, err := c.Store(ctx, dnet.Instance{SOPClassUID: uid.CTImageStorage, TransferSyntax: uid.ExplicitVRLittleEndian}); !errors.Is(err, dnet.ErrNoContext) {
		t.Errorf("Store: %v", err)
	}
}

type denyFilter struct{}

func (denyFilter) AllowAssociation(ctx context.Context, info *dnet.AssociationInfo) error {
	if info.CallingAE != "GOOD" {
		return errors.New("unknown calling AE")
	}
	return nil
}

func (denyFilter) AcceptTransferSyntax(info *dnet.AssociationInfo, as, ts string) bool {
	return ts != uid.ImplicitVRLittleEndian
}

var _ dnet.AssociationFilter = denyFilter{}

func TestFilter(t *testing.T) {
	t.Parallel()
	srv := &dnet.Server{Filter: denyFilter{}, Store: &recorder{dir: t.TempDir()}}
	host, port := startServer(t, srv)
	addr := stdnet.JoinHostPort(host, itoa(port))
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	_, err := dnet.Dial(ctx, addr, dnet.ClientConfig{CallingAE: "BAD"})
	var rj *dnet.RejectError
	if !errors.As(err, &rj) || rj.Reason != pdu.ReasonCallingAENotRecognized || !errors.Is(err, dnet.ErrRejected) {
		t.Fatalf("BAD: %v", err)
	}
	c, err := dnet.Dial(ctx, addr, dnet.ClientConfig{CallingAE: "GOOD", Contexts: []dnet.Proposal{
		{AbstractSyntax: uid.CTImageStorage, TransferSyntaxes: []string{uid.ImplicitVRLittleEndian, uid.ExplicitVRLittleEndian}},
		{AbstractSyntax: uid.MRImageStorage, TransferSyntaxes: []string{uid.ImplicitVRLittleEndian}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Abort()
	got := map[string]string{}
	for _, pc := range c.Contexts() {
		got[pc.AbstractSyntax] = pc.TransferSyntax.UID
	}
	if got[uid.CTImageStorage] != uid.ExplicitVRLittleEndian || got[uid.MRImageStorage] != "" {
		t.Errorf("contexts %v", got)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestHostilePDULength: a P-DATA-TF header announcing 4 GiB gets an
// A-ABORT, with nothing allocated for it.
func TestHostilePDULength(t *testing.T) {
	t.Parallel()
	cc, sc := stdnet.Pipe()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	srv := &dnet.Server{}
	done := make(chan error, 1)
	go func() { done <- srv.ServeConn(ctx, sc) }()
	rq, _ := (&pdu.AssociateRQ{CalledAE: "YIGONG", CallingAE: "EVIL", PresentationContexts: []pdu.PresentationContextRQ{{ID: 1, AbstractSyntax: uid.Verification, TransferSyntaxes: []string{uid.ImplicitVRLittleEndian}}}}).Encode(nil)
	go func() {
		_, _ = cc.Write(rq)
		_, _ = cc.Write([]byte{4, 0, 0xFF, 0xFF, 0xFF, 0xF0})
	}()
	r := pdu.NewReader(cc, 0)
	if p, err := r.Next(); err != nil || p.Type() != pdu.TypeAssociateAC {
		t.Fatalf("want A-ASSOCIATE-AC: %v %v", p, err)
	}
	p, err := r.Next()
	if err != nil || p.Type() != pdu.TypeAbort {
		t.Fatalf("want A-ABORT: %v %v", p, err)
	}
	if err := <-done; !errors.Is(err, pdu.ErrTooLong) {
		t.Fatalf("server: %v", err)
	}
}

// TestTraceAndFragmentation: a small maximum PDU length on both sides
// fragments a 39 KiB data set; the trace shows every PDU.
func TestTraceAndFragmentation(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var trace bytes.Buffer
	rec := &recorder{dir: t.TempDir()}
	srv := &dnet.Server{Store: rec, MaxPDULength: 4096, Trace: func(stdnet.Addr) ioWriter { return lockedWriter{&mu, &trace} }}
	cc, sc := stdnet.Pipe()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.ServeConn(ctx, sc) }()
	var ctrace bytes.Buffer
	c, err := dnet.NewClient(ctx, cc, dnet.ClientConfig{MaxPDULength: 4096, Trace: &ctrace, Contexts: []dnet.Proposal{{AbstractSyntax: uid.CTImageStorage}}})
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte{0x10, 0, 0x10, 0, 'L', 'O', 2, 0, 'A', ' '}, 4000)
	if st, err := c.Store(ctx, dnet.Instance{SOPClassUID: uid.CTImageStorage, SOPInstanceUID: "1.2.3", TransferSyntax: uid.ExplicitVRLittleEndian, Data: data}); err != nil || !st.IsSuccess() {
		t.Fatal(st, err)
	}
	if err := c.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("server: %v", err)
	}
	if got := rec.list(); len(got) != 1 || !bytes.Equal(got[0].req.Data, data) {
		t.Fatal("data set not received intact")
	}
	mu.Lock()
	st := trace.String()
	mu.Unlock()
	if n := strings.Count(st, "< P-DATA-TF pc=1 data"); n < 10 {
		t.Errorf("%d data PDUs traced, want >= 10 (max 4096):\n%s", n, st)
	}
	for _, want := range []string{"< A-ASSOCIATE-RQ", "> A-ASSOCIATE-AC", "C-STORE-RQ", "> A-RELEASE-RP"} {
		if !strings.Contains(st, want) {
			t.Errorf("server trace lacks %q", want)
		}
	}
	if !strings.Contains(ctrace.String(), "> A-RELEASE-RQ") {
		t.Errorf("client trace lacks A-RELEASE-RQ:\n%s", ctrace.String())
	}
}

// TestShutdownAbortsIdle: Shutdown aborts an idle association and returns.
func TestShutdownAbortsIdle(t *testing.T) {
	t.Parallel()
	srv := &dnet.Server{}
	l, err := stdnet.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := dnet.Dial(ctx, l.Addr().String(), dnet.ClientConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Echo(ctx); err != nil {
		t.Fatal(err)
	}
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-served; err != dnet.ErrServerClosed {
		t.Fatalf("Serve: %v", err)
	}
	if err := c.Echo(ctx); !errors.Is(err, dnet.ErrAborted) && err == nil {
		t.Fatalf("Echo after shutdown: %v", err)
	}
}

// TestContextAborts: a cancelled context aborts the association.
func TestContextAborts(t *testing.T) {
	t.Parallel()
	block := make(chan struct{})
	srv := &dnet.Server{Echo: echoFunc(func() dimse.Status { <-block; return dimse.Success })}
	c := pipeClient(t, srv, nil)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- c.Echo(ctx) }()
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Echo: %v", err)
		}
	case <-time.After(testTimeout):
		t.Fatal("Echo did not return")
	}
	close(block)
}

type echoFunc func() dimse.Status

func (f echoFunc) HandleEcho(context.Context, *dnet.EchoRequest) dimse.Status { return f() }
