package mllp_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"yigong/conformance/corpus"
	"yigong/conformance/peer"
	"yigong/hl7v2"
	"yigong/hl7v2/mllp"
)

// ackHandler parses each message and answers AA (AR with ERR when it does
// not parse), the way a real handler would after storing the message.
func ackHandler() mllp.Handler {
	return mllp.HandlerFunc(func(ctx context.Context, msg []byte, meta mllp.Meta) ([]byte, error) {
		req, err := hl7v2.Parse(msg)
		if err != nil {
			return nil, err
		}
		ack, err := hl7v2.NewACK(req, hl7v2.AckOptions{Code: hl7v2.AckAccept, Text: "stored " + req.ControlID()})
		if err != nil {
			return nil, err
		}
		return ack.Encode()
	})
}

// startServer serves on a port-0 TCP listener and shuts down at cleanup.
func startServer(t *testing.T, srv *mllp.Server) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-done; !errors.Is(err, mllp.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return l.Addr().String()
}

func checkACK(t *testing.T, ackBytes []byte, req *hl7v2.Message) {
	t.Helper()
	ack, err := hl7v2.Parse(ackBytes)
	if err != nil {
		t.Fatalf("parse ACK: %v\n%q", err, ackBytes)
	}
	_, trigger, _ := req.Type()
	msh := ack.Header()
	want := "ACK^" + trigger + "^ACK"
	switch req.Version() {
	case "2.1", "2.2", "2.3":
		want = "ACK^" + trigger // MSG.3 (structure) exists from v2.3.1
	}
	if got := msh.Field(9).Raw(); got != want {
		t.Errorf("ACK MSH-9 = %q, want %q", got, want)
	}
	if got, want := msh.Field(3).Raw(), req.Header().Field(5).Raw(); got != want {
		t.Errorf("ACK MSH-3 = %q, want request MSH-5 %q", got, want)
	}
	if got, want := msh.Field(5).Raw(), req.Header().Field(3).Raw(); got != want {
		t.Errorf("ACK MSH-5 = %q, want request MSH-3 %q", got, want)
	}
	msa := ack.Segment("MSA")
	if msa == nil {
		t.Fatalf("ACK has no MSA: %q", ackBytes)
	}
	if got := msa.Field(1).String(); got != "AA" {
		t.Errorf("MSA-1 = %q, want AA", got)
	}
	if got, want := msa.Field(2).String(), req.ControlID(); got != want {
		t.Errorf("MSA-2 = %q, want %q", got, want)
	}
}

// TestMLLPSendPeer has python3-hl7's mllp_send deliver every corpus message
// to the server over one connection and checks each ACK it prints.
func TestMLLPSendPeer(t *testing.T) {
	t.Parallel()
	bin := peer.Require(t, "mllp_send")
	dir := corpus.Path(t, "hl7v2", "messages")
	files, err := filepath.Glob(filepath.Join(dir, "*.hl7"))
	if err != nil || len(files) == 0 {
		t.Fatalf("corpus: %v", err)
	}
	var all bytes.Buffer
	var reqs []*hl7v2.Message
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// mllp_send --loose splits at "MSH|^~\&|" and turns LF into CR; a
		// BOM would become a message of its own.
		data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
		data = bytes.TrimRight(data, "\r\n ")
		all.Write(data)
		all.WriteString("\n")
		m, err := hl7v2.Parse(bytes.ReplaceAll(data, []byte("\n"), []byte("\r")))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		reqs = append(reqs, m)
	}
	in := filepath.Join(t.TempDir(), "all.hl7")
	if err := os.WriteFile(in, all.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	var received atomic.Int64
	h := ackHandler()
	srv := &mllp.Server{
		Handler: mllp.HandlerFunc(func(ctx context.Context, msg []byte, meta mllp.Meta) ([]byte, error) {
			received.Add(1)
			return h.Handle(ctx, msg, meta)
		}),
		IdleTimeout: 30 * time.Second,
	}
	addr := startServer(t, srv)
	host, port, _ := net.SplitHostPort(addr)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "--loose", "-f", in, "-p", port, host).Output()
	if err != nil {
		t.Fatalf("mllp_send: %v", err)
	}
	// stdout holds each reply frame followed by "\n".
	r := mllp.NewReader(bytes.NewReader(out), 0)
	for i, req := range reqs {
		ack, err := r.ReadFrame()
		if err != nil {
			t.Fatalf("reply %d: %v (output %q)", i+1, err, out)
		}
		checkACK(t, ack, req)
	}
	if got := received.Load(); got != int64(len(reqs)) {
		t.Errorf("handler saw %d messages, want %d", got, len(reqs))
	}
}

func sampleMessage(id string) []byte {
	return []byte("MSH|^~\\&|LIS|LAB|HIS|HOSP|20240101120000||ORU^R01^ORU_R01|" + id + "|P|2.5.1\rPID|1||123^^^HOSP^MR||王^小东\rOBR|1\rOBX|1|NM|718-7^Hemoglobin^LN||13.2|g/dL\r")
}

func TestServerOverPipe(t *testing.T) {
	t.Parallel()
	srv := &mllp.Server{Handler: ackHandler()}
	c1, c2 := net.Pipe()
	l := newPipeListener(c1)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	client := mllp.NewClient(c2, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for i := range 3 {
		id := fmt.Sprintf("P%d", i)
		ack, err := client.Send(ctx, sampleMessage(id))
		if err != nil {
			t.Fatal(err)
		}
		req, _ := hl7v2.Parse(sampleMessage(id))
		checkACK(t, ack, req)
	}
	client.Close()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, mllp.ErrServerClosed) {
		t.Fatalf("Serve: %v", err)
	}
}

// pipeListener hands out one net.Pipe end, then blocks until closed.
type pipeListener struct {
	ch     chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newPipeListener(c net.Conn) *pipeListener {
	l := &pipeListener{ch: make(chan net.Conn, 1), closed: make(chan struct{})}
	l.ch <- c
	return l
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

func TestServerConcurrentTCP(t *testing.T) {
	t.Parallel()
	addr := startServer(t, &mllp.Server{Handler: ackHandler(), IdleTimeout: 10 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for c := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl, err := mllp.Dial(ctx, addr, nil, 0)
			if err != nil {
				errs <- err
				return
			}
			defer cl.Close()
			for i := range 10 {
				id := fmt.Sprintf("C%d-%d", c, i)
				ack, err := cl.Send(ctx, sampleMessage(id))
				if err != nil {
					errs <- err
					return
				}
				m, err := hl7v2.Parse(ack)
				if err != nil {
					errs <- err
					return
				}
				if got := m.Segment("MSA").Field(2).String(); got != id {
					errs <- fmt.Errorf("MSA-2 = %q, want %q", got, id)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestShutdownDrains checks that Shutdown waits for a message being handled
// and that its ACK is written before the connection closes.
func TestShutdownDrains(t *testing.T) {
	t.Parallel()
	entered := make(chan struct{})
	release := make(chan struct{})
	h := ackHandler()
	srv := &mllp.Server{Handler: mllp.HandlerFunc(func(ctx context.Context, msg []byte, meta mllp.Meta) ([]byte, error) {
		close(entered)
		<-release
		return h.Handle(ctx, msg, meta)
	})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl, err := mllp.Dial(ctx, l.Addr().String(), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	// an idle second connection must be closed by Shutdown
	idle, err := mllp.Dial(ctx, l.Addr().String(), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	acked := make(chan error, 1)
	go func() {
		ack, err := cl.Send(ctx, sampleMessage("DRAIN"))
		if err == nil && !bytes.Contains(ack, []byte("MSA|AA|DRAIN")) {
			err = fmt.Errorf("unexpected ACK %q", ack)
		}
		acked <- err
	}()
	<-entered
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(ctx) }()
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v while a message was in flight", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if err := <-acked; err != nil {
		t.Fatalf("in-flight message: %v", err)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-served; !errors.Is(err, mllp.ErrServerClosed) {
		t.Fatalf("Serve: %v", err)
	}
	if _, err := idle.Send(ctx, sampleMessage("LATE")); err == nil {
		t.Fatal("idle connection still served after Shutdown")
	}
}

func TestShutdownDeadline(t *testing.T) {
	t.Parallel()
	entered := make(chan struct{})
	srv := &mllp.Server{Handler: mllp.HandlerFunc(func(ctx context.Context, msg []byte, meta mllp.Meta) ([]byte, error) {
		close(entered)
		<-ctx.Done() // a handler that only stops when cancelled
		return nil, ctx.Err()
	})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	ctx := context.Background()
	cl, err := mllp.Dial(ctx, l.Addr().String(), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	sent := make(chan error, 1)
	go func() {
		_, err := cl.Send(ctx, sampleMessage("STUCK"))
		sent <- err
	}()
	<-entered
	sctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if err := srv.Shutdown(sctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want deadline exceeded", err)
	}
	if err := <-sent; err == nil {
		t.Fatal("message acknowledged although its handler was cancelled")
	}
	if err := <-served; !errors.Is(err, mllp.ErrServerClosed) {
		t.Fatalf("Serve: %v", err)
	}
}

func TestIdleTimeout(t *testing.T) {
	t.Parallel()
	var reported atomic.Int64
	srv := &mllp.Server{Handler: ackHandler(), IdleTimeout: 50 * time.Millisecond,
		ErrorFunc: func(mllp.Meta, error) { reported.Add(1) }}
	addr := startServer(t, srv)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 1)
	if _, err := c.Read(buf); err == nil {
		t.Fatal("read data from an idle connection")
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("server did not close the idle connection")
	}
}

func TestHandlerErrorClosesWithoutACK(t *testing.T) {
	t.Parallel()
	srv := &mllp.Server{Handler: mllp.HandlerFunc(func(context.Context, []byte, mllp.Meta) ([]byte, error) {
		return nil, errors.New("store unavailable")
	})}
	addr := startServer(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cl, err := mllp.Dial(ctx, addr, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if ack, err := cl.Send(ctx, sampleMessage("X")); err == nil {
		t.Fatalf("got ACK %q although the handler failed", ack)
	}
}

func TestClientDeadline(t *testing.T) {
	t.Parallel()
	// a peer that reads but never answers
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 4096)
		for {
			if _, err := c.Read(buf); err != nil {
				return
			}
		}
	}()
	cl, err := mllp.Dial(context.Background(), l.Addr().String(), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = cl.Send(ctx, sampleMessage("SLOW"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	if time.Since(start) > 3*time.Second {
		t.Fatalf("Send took %v", time.Since(start))
	}
}

func TestServerTLS(t *testing.T) {
	t.Parallel()
	cert, pool := selfSigned(t)
	srv := &mllp.Server{Handler: ackHandler(), TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}}
	addr := startServer(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cl, err := mllp.Dial(ctx, addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ack, err := cl.Send(ctx, sampleMessage("TLS1"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ack), "MSA|AA|TLS1") {
		t.Errorf("ACK %q", ack)
	}
}

func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mllp test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}
