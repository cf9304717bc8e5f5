package net

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"yigong/dicom/dimse"
	"yigong/dicom/pdu"
)

// tracer dumps PDUs to a writer, one line each, like libpq's PQtrace and
// pgx's Frontend.Trace: direction (">" sent, "<" received), PDU type,
// length and the fields that matter. Data set bytes are never dumped. A nil
// tracer does nothing.
type tracer struct {
	mu   sync.Mutex
	w    io.Writer
	peer string
	now  func() time.Time
}

func newTracer(w io.Writer, peer string) *tracer {
	if w == nil {
		return nil
	}
	return &tracer{w: w, peer: peer, now: time.Now}
}

func (t *tracer) printf(sent bool, format string, args ...any) {
	if t == nil {
		return
	}
	dir := "<"
	if sent {
		dir = ">"
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(t.w, "%s %s %s %s\n", t.now().Format("15:04:05.000000"), t.peer, dir, fmt.Sprintf(format, args...))
}

func (t *tracer) pdu(sent bool, p pdu.PDU, n int) {
	if t == nil {
		return
	}
	t.printf(sent, "%s", describe(p))
}

func (t *tracer) pdata(sent bool, id uint8, command, last bool, n int) {
	if t == nil {
		return
	}
	kind := "data"
	if command {
		kind = "command"
	}
	l := ""
	if last {
		l = " last"
	}
	t.printf(sent, "P-DATA-TF pc=%d %s%s len=%d", id, kind, l, n)
}

func (t *tracer) command(sent bool, id uint8, c *dimse.Command) {
	if t == nil {
		return
	}
	t.printf(sent, "  %s pc=%d", c, id)
}

// describe formats a non-data PDU for a trace.
func describe(p pdu.PDU) string {
	var b strings.Builder
	switch p := p.(type) {
	case *pdu.AssociateRQ:
		fmt.Fprintf(&b, "A-ASSOCIATE-RQ called=%q calling=%q max=%d impl=%s %s", p.CalledAE, p.CallingAE, p.UserInfo.MaxLength, p.UserInfo.ImplementationClassUID, p.UserInfo.ImplementationVersionName)
		for _, pc := range p.PresentationContexts {
			fmt.Fprintf(&b, "\n    pc=%d %s %v", pc.ID, pc.AbstractSyntax, pc.TransferSyntaxes)
		}
		for _, rs := range p.UserInfo.RoleSelections {
			fmt.Fprintf(&b, "\n    role %s scu=%v scp=%v", rs.SOPClassUID, rs.SCU, rs.SCP)
		}
		if id := p.UserInfo.Identity; id != nil {
			fmt.Fprintf(&b, "\n    user identity type=%d (value not traced)", id.Type)
		}
	case *pdu.AssociateAC:
		fmt.Fprintf(&b, "A-ASSOCIATE-AC max=%d impl=%s %s", p.UserInfo.MaxLength, p.UserInfo.ImplementationClassUID, p.UserInfo.ImplementationVersionName)
		for _, pc := range p.PresentationContexts {
			fmt.Fprintf(&b, "\n    pc=%d %s %s", pc.ID, pc.Result, pc.TransferSyntax)
		}
		for _, rs := range p.UserInfo.RoleSelections {
			fmt.Fprintf(&b, "\n    role %s scu=%v scp=%v", rs.SOPClassUID, rs.SCU, rs.SCP)
		}
	case *pdu.AssociateRJ:
		b.WriteString(p.String())
	case *pdu.Abort:
		b.WriteString(p.String())
	default:
		b.WriteString(p.Type().String())
	}
	return b.String()
}
