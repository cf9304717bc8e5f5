package net

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"yigong/dicom/dimse"
	"yigong/dicom/pdu"
	"yigong/dicom/uid"
)

// Defaults for Server and Client fields left zero.
const (
	// DefaultMaxPDULength is the largest P-DATA-TF body we accept (PS3.8
	// §D.1), and the fragment size we send when the peer sets no limit.
	DefaultMaxPDULength = 128 << 10
	// DefaultARTIMTimeout bounds association negotiation and release.
	DefaultARTIMTimeout = 30 * time.Second
	// DefaultIdleTimeout closes an association with no message for this long.
	DefaultIdleTimeout = 5 * time.Minute
	// DefaultReadTimeout bounds waiting for the next PDU of a message or
	// for a response.
	DefaultReadTimeout = 2 * time.Minute
	// DefaultWriteTimeout bounds writing one PDU.
	DefaultWriteTimeout = time.Minute
	// DefaultMaxDataSetLength caps one received data set held in memory.
	DefaultMaxDataSetLength = 2 << 30
	// maxCommandLength caps one received command set.
	maxCommandLength = 64 << 10
)

// Errors callers may branch on.
var (
	// ErrAborted reports an association the peer (or the provider) aborted.
	ErrAborted = errors.New("association aborted")
	// ErrReleased reports that the peer released the association.
	ErrReleased = errors.New("association released by peer")
	// ErrRejected reports an A-ASSOCIATE-RJ; the error is a *RejectError.
	ErrRejected = errors.New("association rejected")
	// ErrNoContext reports that no accepted presentation context fits.
	ErrNoContext = errors.New("no accepted presentation context")
	// ErrProtocol reports a peer that broke PS3.7 or PS3.8.
	ErrProtocol = errors.New("protocol violation")
	// ErrTooLong reports a data set over the configured maximum.
	ErrTooLong = errors.New("data set exceeds maximum length")
)

// RejectError is an A-ASSOCIATE-RJ received or to be sent.
type RejectError struct {
	Result, Source, Reason uint8
}

func (e *RejectError) Error() string {
	return fmt.Sprintf("dicom/net: association rejected (result %d, source %d, reason %d)", e.Result, e.Source, e.Reason)
}

// Is makes errors.Is(err, ErrRejected) true.
func (e *RejectError) Is(target error) bool { return target == ErrRejected }

// AbortError is an A-ABORT received.
type AbortError struct {
	Source, Reason uint8
}

func (e *AbortError) Error() string {
	return fmt.Sprintf("dicom/net: association aborted (source %d, reason %d)", e.Source, e.Reason)
}

// Is makes errors.Is(err, ErrAborted) true.
func (e *AbortError) Is(target error) bool { return target == ErrAborted }

// PresentationContext is an accepted presentation context.
type PresentationContext struct {
	ID             uint8
	AbstractSyntax string
	TransferSyntax uid.TransferSyntax
	// SCU and SCP are the roles the association requestor may play on
	// this context (PS3.7 §D.3.3.4); without role selection the
	// requestor is SCU only.
	SCU, SCP bool
}

// message is one DIMSE message: a command and its data set, if any.
type message struct {
	pc   *PresentationContext
	cmd  dimse.Command
	data []byte
}

// association is the state both sides share once negotiated: the
// connection, PDU reader, accepted contexts and the peer's maximum length.
type association struct {
	conn   net.Conn
	r      *pdu.Reader
	tr     *tracer
	cfg    timeouts
	maxDS  int64
	local  string // our AE title
	remote string // the peer's AE title

	wmu  sync.Mutex
	wbuf []byte

	// maxSend is the peer's maximum P-DATA-TF body (0: none, use ours).
	maxSend  uint32
	contexts map[uint8]*PresentationContext

	// dmu guards read deadlines against races between the reader and the
	// operation that marks itself busy; lock order: dmu before wmu.
	dmu    sync.Mutex
	busy   bool
	closed bool

	// storeBuf, when set, returns an empty buffer (to reuse) for the data
	// set of a C-STORE request.
	storeBuf func() []byte

	// pending keeps PDVs that arrived after the end of a message in the
	// same P-DATA-TF.
	pending []pdu.PDV

	nextID uint16
}

type timeouts struct {
	artim, idle, read, write time.Duration
}

func (t *timeouts) fill() {
	if t.artim <= 0 {
		t.artim = DefaultARTIMTimeout
	}
	if t.idle <= 0 {
		t.idle = DefaultIdleTimeout
	}
	if t.read <= 0 {
		t.read = DefaultReadTimeout
	}
	if t.write <= 0 {
		t.write = DefaultWriteTimeout
	}
}

func newAssociation(conn net.Conn, maxRecv uint32, cfg timeouts, tr *tracer) *association {
	cfg.fill()
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	return &association{conn: conn, r: pdu.NewReader(conn, maxRecv), tr: tr, cfg: cfg, contexts: map[uint8]*PresentationContext{}, maxDS: DefaultMaxDataSetLength}
}

// messageID returns the next Message ID for a request we send.
func (a *association) messageID() uint16 {
	a.nextID++
	if a.nextID == 0 {
		a.nextID = 1
	}
	return a.nextID
}

// setReadDeadline arms the read deadline: d from now, or none when d is 0
// or an operation is running and idle is asked for.
func (a *association) setReadDeadline(d time.Duration, idle bool) {
	a.dmu.Lock()
	defer a.dmu.Unlock()
	if a.closed {
		return
	}
	if idle && a.busy || d <= 0 {
		_ = a.conn.SetReadDeadline(time.Time{})
		return
	}
	_ = a.conn.SetReadDeadline(time.Now().Add(d))
}

// setBusy marks an operation running (no idle timeout) or finished.
func (a *association) setBusy(b bool) {
	a.dmu.Lock()
	a.busy = b
	a.dmu.Unlock()
	if !b {
		a.setReadDeadline(a.cfg.idle, true)
	} else {
		a.setReadDeadline(0, true)
	}
}

// writePDU encodes p into the association's buffer and writes it with one
// Write call.
func (a *association) writePDU(p pdu.PDU) error {
	a.wmu.Lock()
	defer a.wmu.Unlock()
	b, err := p.Encode(a.wbuf[:0])
	if err != nil {
		return err
	}
	a.wbuf = b
	a.tr.pdu(true, p, len(b)-pdu.HeaderLength)
	return a.write(b)
}

func (a *association) write(b []byte) error {
	_ = a.conn.SetWriteDeadline(time.Now().Add(a.cfg.write))
	_, err := a.conn.Write(b)
	return err
}

// fragment returns the largest PDV data size per P-DATA-TF we may send.
func (a *association) fragment() int {
	n := int(a.maxSend)
	if n == 0 || n > DefaultMaxPDULength*8 {
		n = DefaultMaxPDULength * 8
	}
	n -= pdu.PDVHeaderLength
	n &^= 1 // even fragments: peers reject odd ones
	if n < 2 {
		n = 2
	}
	return n
}

// sendMessage sends a command and, when data is not nil, its data set on
// context pc, fragmented to the peer's maximum length; each P-DATA-TF is
// one Write.
func (a *association) sendMessage(ctx context.Context, pc *PresentationContext, cmd *dimse.Command, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	cmd.HasDataSet = data != nil
	cb, err := cmd.Encode(nil)
	if err != nil {
		return err
	}
	a.tr.command(true, pc.ID, cmd)
	if err := a.sendFragments(pc.ID, true, cb); err != nil {
		return err
	}
	if data != nil {
		if len(data)%2 == 1 {
			// Only a deflated data set can be odd; PS3.5 §A.5 pads it
			// with a trailing NUL, and peers reject odd fragments.
			data = append(data[:len(data):len(data)], 0)
		}
		return a.sendFragments(pc.ID, false, data)
	}
	return nil
}

func (a *association) sendFragments(id uint8, command bool, b []byte) error {
	a.wmu.Lock()
	defer a.wmu.Unlock()
	max := a.fragment()
	for first := true; first || len(b) > 0; first = false {
		n := min(len(b), max)
		last := n == len(b)
		buf := pdu.AppendPDataHeader(a.wbuf[:0], id, command, last, n)
		buf = append(buf, b[:n]...)
		a.wbuf = buf
		a.tr.pdata(true, id, command, last, n)
		if err := a.write(buf); err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// control is a non-P-DATA PDU received where a message was expected.
type control struct{ p pdu.PDU }

func (c *control) Error() string { return "dicom/net: received " + c.p.Type().String() }

// readPDU reads one PDU with deadline d (idle policy when idle is set).
func (a *association) readPDU(d time.Duration, idle bool) (pdu.PDU, error) {
	a.setReadDeadline(d, idle)
	p, err := a.r.Next()
	if err != nil {
		return nil, err
	}
	n := 0
	if pd, ok := p.(*pdu.PData); ok {
		for _, v := range pd.PDVs {
			n += len(v.Data) + pdu.PDVHeaderLength
		}
		for _, v := range pd.PDVs {
			a.tr.pdata(false, v.ContextID, v.Command, v.Last, len(v.Data))
		}
	} else {
		a.tr.pdu(false, p, n)
	}
	return p, nil
}

// readMessage reads PDUs until one DIMSE message is complete. A release
// request, release reply or abort comes back as a *control error; other
// PDUs are protocol errors.
func (a *association) readMessage(wait time.Duration, idle bool) (*message, error) {
	var m *message
	var cmdBuf []byte
	var cmdDone bool
	first := true
	for {
		var pdvs []pdu.PDV
		if len(a.pending) > 0 {
			pdvs, a.pending = a.pending, nil
		} else {
			d := a.cfg.read
			if first {
				d = wait
			}
			p, err := a.readPDU(d, idle && first)
			if err != nil {
				return nil, err
			}
			first = false
			pd, ok := p.(*pdu.PData)
			if !ok {
				switch p.(type) {
				case *pdu.ReleaseRQ, *pdu.ReleaseRP, *pdu.Abort:
					if m != nil || len(cmdBuf) > 0 {
						return nil, fmt.Errorf("dicom/net: %s in the middle of a message: %w", p.Type(), ErrProtocol)
					}
					return nil, &control{p}
				}
				return nil, fmt.Errorf("dicom/net: unexpected %s: %w", p.Type(), ErrProtocol)
			}
			pdvs = pd.PDVs
		}
		for i, v := range pdvs {
			pc, ok := a.contexts[v.ContextID]
			if !ok {
				return nil, fmt.Errorf("dicom/net: PDV on presentation context %d, which was not accepted: %w", v.ContextID, ErrProtocol)
			}
			if m == nil {
				m = &message{pc: pc}
			} else if m.pc != pc {
				return nil, fmt.Errorf("dicom/net: message switched from presentation context %d to %d: %w", m.pc.ID, pc.ID, ErrProtocol)
			}
			if v.Command {
				if cmdDone {
					return nil, fmt.Errorf("dicom/net: command fragment after the command ended: %w", ErrProtocol)
				}
				if len(cmdBuf)+len(v.Data) > maxCommandLength {
					return nil, fmt.Errorf("dicom/net: command set over %d bytes: %w", maxCommandLength, ErrProtocol)
				}
				cmdBuf = append(cmdBuf, v.Data...)
				if !v.Last {
					continue
				}
				cmdDone = true
				if err := m.cmd.Decode(cmdBuf); err != nil {
					return nil, fmt.Errorf("dicom/net: %w", err)
				}
				a.tr.command(false, pc.ID, &m.cmd)
				if m.cmd.HasDataSet {
					if a.storeBuf != nil && m.cmd.CommandField == dimse.CStoreRQ {
						m.data = a.storeBuf()
					} else {
						m.data = []byte{}
					}
					continue
				}
			} else {
				if !cmdDone || !m.cmd.HasDataSet {
					return nil, fmt.Errorf("dicom/net: data set fragment without a command announcing one: %w", ErrProtocol)
				}
				if int64(len(m.data))+int64(len(v.Data)) > a.maxDS {
					return nil, fmt.Errorf("dicom/net: %s data set over %d bytes: %w", dimse.CommandName(m.cmd.CommandField), a.maxDS, ErrTooLong)
				}
				m.data = append(m.data, v.Data...)
				if !v.Last {
					continue
				}
			}
			// The message is complete; keep what follows for the next one.
			if rest := pdvs[i+1:]; len(rest) > 0 {
				a.pending = make([]pdu.PDV, len(rest))
				for j, r := range rest {
					r.Data = append([]byte(nil), r.Data...)
					a.pending[j] = r
				}
			}
			return m, nil
		}
	}
}

// abort sends A-ABORT (best effort) and closes the connection.
func (a *association) abort(source, reason uint8) {
	a.dmu.Lock()
	if a.closed {
		a.dmu.Unlock()
		return
	}
	a.closed = true
	a.dmu.Unlock()
	a.wmu.Lock()
	_ = a.conn.SetWriteDeadline(time.Now().Add(time.Second))
	b, _ := (&pdu.Abort{Source: source, Reason: reason}).Encode(nil)
	a.tr.pdu(true, &pdu.Abort{Source: source, Reason: reason}, 4)
	_, _ = a.conn.Write(b)
	a.wmu.Unlock()
	_ = a.conn.Close()
}

// close closes the connection without a PDU.
func (a *association) close() {
	a.dmu.Lock()
	a.closed = true
	a.dmu.Unlock()
	_ = a.conn.Close()
}

// watch aborts the association when ctx is done; stop undoes it and
// reports whether it fired.
func (a *association) watch(ctx context.Context) (stop func() bool) {
	return context.AfterFunc(ctx, func() { a.abort(pdu.AbortServiceUser, 0) })
}

// contextFor finds an accepted context for abstract syntax as, preferring
// transfer syntax ts when not empty (which must then match).
func (a *association) contextFor(as, ts string) *PresentationContext {
	var best *PresentationContext
	for _, pc := range a.contexts {
		if pc.AbstractSyntax != as {
			continue
		}
		if ts != "" && pc.TransferSyntax.UID != ts {
			continue
		}
		if best == nil || pc.ID < best.ID {
			best = pc
		}
	}
	return best
}
