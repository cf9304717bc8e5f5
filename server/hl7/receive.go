package hl7

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"yigong/adapters/v2fhir"
	"yigong/fhir/store"
	"yigong/hl7v2"
	"yigong/hl7v2/mllp"
)

// Queue names.
const (
	QueueInbox  = "hl7.in"  // received messages, partitioned by sender
	QueueOutbox = "hl7.out" // messages to send, partitioned by destination
)

// itemMeta is what an inbox item records besides the raw bytes.
type itemMeta struct {
	ControlID  string    `json:"control_id,omitempty"`
	Charset    string    `json:"charset,omitempty"` // the sender rule's override, used again to parse
	Listener   string    `json:"listener,omitempty"`
	Remote     string    `json:"remote,omitempty"`
	AcceptAck  string    `json:"accept_ack,omitempty"` // MSH-15
	AppAck     string    `json:"app_ack,omitempty"`    // MSH-16
	ReturnAddr string    `json:"return_addr,omitempty"`
	Received   time.Time `json:"received"`
	// Outbox items: where to, and what.
	Destination string `json:"destination,omitempty"`
	Kind        string `json:"kind,omitempty"` // "app-ack", "notification"
}

// listener is one bound MLLP port.
type listener struct {
	cfg     Listener
	name    string
	maxSize int
	srv     *mllp.Server
	ln      net.Listener
}

func (l *listener) addr() net.Addr { return l.ln.Addr() }

// match returns the first sender rule matching the listener and the
// sender (MSH-3.1, MSH-4.1); the zero rule when none does.
func (s *Service) match(listener, app, facility string) Sender {
	for _, r := range s.cfg.Senders {
		if (r.Listener == "" || r.Listener == listener) &&
			(r.Application == "" || strings.EqualFold(r.Application, app)) &&
			(r.Facility == "" || strings.EqualFold(r.Facility, facility)) {
			return r
		}
	}
	return Sender{}
}

func (r Sender) allows(code, trigger string) bool {
	if len(r.AllowedTypes) == 0 {
		return true
	}
	for _, t := range r.AllowedTypes {
		t = strings.ToUpper(strings.TrimSpace(t))
		if t == code || t == code+"^"+trigger {
			return true
		}
	}
	return false
}

// senderKey identifies the sender the way v2fhir does in
// Result.MessageKey: MSH-3.1 "^" MSH-4.1 (MSH-4.2, then MSH-3.1, when
// MSH-4.1 is empty). It is the inbox partition and, with MSH-10, the
// deduplication key.
func senderKey(h hl7v2.MSH) (key, app, facility string) {
	a, f := h.SendingApplication(), h.SendingFacility()
	app = strings.TrimSpace(a.NamespaceID)
	facility = strings.TrimSpace(f.NamespaceID)
	if facility == "" {
		facility = strings.TrimSpace(f.UniversalID)
	}
	if facility == "" {
		facility = app
	}
	return app + "^" + facility, app, facility
}

// contentKey digests what follows the MSH segment. A re-sent message has
// the same sender, MSH-10, type and content (its MSH-7 may be new); two
// different messages that reuse a control ID (the public example corpus
// does this 24 times) differ in type or content and are both kept.
func contentKey(raw []byte) string {
	rest := []byte(nil)
	if i := bytes.IndexAny(raw, "\r\n"); i >= 0 {
		rest = bytes.TrimSpace(raw[i+1:])
	}
	sum := sha256.Sum256(rest)
	return hex.EncodeToString(sum[:8])
}

// receive handles one frame: parse, decide, commit to the inbox, ACK.
// The ACK is returned (and written by the mllp.Server) only after the
// inbox commit; an error sends nothing and closes the connection.
func (s *Service) receive(ctx context.Context, l *listener, raw []byte, mm mllp.Meta) ([]byte, error) {
	var rule Sender
	ruled := false
	opts := hl7v2.DecodeOptions{MaxMessageSize: l.maxSize, Charset: func(snd hl7v2.Sender, _ string) string {
		rule, ruled = s.match(l.name, snd.Application, snd.Facility), true
		return rule.Charset
	}}
	meta := itemMeta{Listener: l.name, Remote: addrString(mm.RemoteAddr), Received: mm.Received}
	msg, perr := opts.Parse(raw)
	if perr != nil || msg.Header() == nil || msg.Header().Name() != "MSH" {
		if perr == nil {
			perr = errors.New("hl7: not a message (no MSH)")
		}
		return s.receiveUnparseable(ctx, l, raw, meta, rule, perr)
	}
	h := hl7v2.MSH{Segment: msg.Header()}
	sender, app, facility := senderKey(h)
	if !ruled {
		rule = s.match(l.name, app, facility)
	}
	code, trigger, _ := msg.Type()
	code, trigger = strings.ToUpper(strings.TrimSpace(code)), strings.ToUpper(strings.TrimSpace(trigger))
	typ := code + "^" + trigger
	ctl := msg.ControlID()
	meta.ControlID = ctl
	meta.Charset = rule.Charset
	meta.AcceptAck = strings.ToUpper(strings.TrimSpace(h.AcceptAcknowledgmentType().String()))
	meta.AppAck = strings.ToUpper(strings.TrimSpace(h.ApplicationAcknowledgmentType().String()))
	meta.ReturnAddr = rule.ReturnAddr
	inst := rule.Institution
	if inst == "" {
		inst = s.institution
	}
	log := s.log.With("sender", sender, "control_id", ctl, "message_type", typ)
	s.stats.add(sender, typ, func(c *counter) { c.Received++ })

	item := store.QueueInput{Queue: QueueInbox, Institution: inst, Partition: sender, Type: typ, Body: raw}
	if strings.TrimSpace(ctl) != "" {
		item.DedupeKey = sender + "|" + ctl + "|" + typ + "|" + contentKey(raw)
	}
	var reject *hl7v2.ErrorDetail
	switch {
	case !rule.allows(code, trigger):
		reject = &hl7v2.ErrorDetail{Segment: "MSH", Sequence: 1, Field: 9, Code: "200",
			Message: fmt.Sprintf("message type %s is not accepted from sender %s", typ, sender)}
	case s.rejectUnmapped:
		if _, err := s.mapper(inst).Map(ctx, msg); errors.Is(err, v2fhir.ErrNotMapped) {
			d := v2fhir.ErrorDetail(err)
			reject = &d
		}
	}
	if reject != nil {
		// Kept for inspection (state error), acknowledged AR.
		item.Error = "rejected: " + reject.Message
	}
	item.Meta, _ = json.Marshal(meta)
	res, err := s.commit.submit(ctx, item)
	if err != nil {
		log.Warn("hl7 inbox commit failed: no ACK", "err", err)
		return nil, err
	}
	if res.Duplicate {
		s.stats.add(sender, typ, func(c *counter) { c.Duplicates++ })
		log.Info("hl7 duplicate message", "inbox_id", res.ID, "state", res.State)
	} else {
		log.Debug("hl7 message stored", "inbox_id", res.ID)
	}
	enhanced := meta.AcceptAck != "" || meta.AppAck != ""
	var ackCode string
	var errs []hl7v2.ErrorDetail
	switch {
	case reject != nil && enhanced:
		ackCode, errs = hl7v2.AckCommitRej, []hl7v2.ErrorDetail{*reject}
	case reject != nil:
		ackCode, errs = hl7v2.AckReject, []hl7v2.ErrorDetail{*reject}
	case enhanced:
		ackCode = hl7v2.AckCommit
	default:
		ackCode = hl7v2.AckAccept
	}
	if reject != nil {
		s.stats.add(sender, typ, func(c *counter) { c.Rejected++ })
	}
	if enhanced && s.cfg.StrictAcceptAck && !wantAck(meta.AcceptAck, reject == nil) {
		return nil, nil // MSH-15 NE, or ER/SU not met: no commit ACK
	}
	out, err := s.ack(msg, ackCode, errs)
	if err != nil {
		return nil, err
	}
	s.stats.add(sender, typ, func(c *counter) { c.Acked++ })
	s.stats.ackLatency(time.Since(mm.Received))
	return out, nil
}

// wantAck applies MSH-15/MSH-16 (HL7 table 0155): AL always, NE never, ER
// only on error, SU only on success; empty means AL.
func wantAck(mode string, success bool) bool {
	switch mode {
	case "NE":
		return false
	case "ER":
		return !success
	case "SU":
		return success
	}
	return true
}

func (s *Service) ack(req *hl7v2.Message, code string, errs []hl7v2.ErrorDetail) ([]byte, error) {
	a, err := hl7v2.NewACK(req, hl7v2.AckOptions{Code: code, Errors: errs, ControlID: s.nextControlID(), Time: time.Now()})
	if err != nil {
		return nil, fmt.Errorf("hl7: ack: %w", err)
	}
	out, err := a.Encode()
	if err != nil {
		return nil, fmt.Errorf("hl7: ack: %w", err)
	}
	return out, nil
}

// receiveUnparseable stores the raw bytes in the error state (visible and
// replayable) and answers AR with the parse error's location.
func (s *Service) receiveUnparseable(ctx context.Context, l *listener, raw []byte, meta itemMeta, rule Sender, perr error) ([]byte, error) {
	inst := rule.Institution
	if inst == "" {
		inst = s.institution
	}
	partition := "unparsed@" + l.name
	s.stats.add(partition, "?", func(c *counter) { c.Received++; c.Rejected++ })
	meta.Charset = rule.Charset
	mb, _ := json.Marshal(meta)
	item := store.QueueInput{Queue: QueueInbox, Institution: inst, Partition: partition, Type: "?", Meta: mb, Body: raw,
		Error: "unparseable: " + perr.Error()}
	if _, err := s.commit.submit(ctx, item); err != nil {
		return nil, err
	}
	s.log.Warn("hl7 unparseable message stored in error state", "listener", l.name, "remote", meta.Remote, "err", perr)
	req := headerOnly(raw, rule.Charset)
	out, err := s.ack(req, hl7v2.AckReject, []hl7v2.ErrorDetail{hl7v2.ErrorDetailFrom(perr)})
	if err != nil {
		return nil, err
	}
	s.stats.add(partition, "?", func(c *counter) { c.Acked++ })
	return out, nil
}

// headerOnly parses the MSH of an otherwise unparseable message, so the
// AR can echo MSH-10 in the sender's delimiters; failing that, a minimal
// v2.5.1 header stands in.
func headerOnly(raw []byte, charset string) *hl7v2.Message {
	line := raw
	if i := bytes.IndexAny(raw, "\r\n"); i >= 0 {
		line = raw[:i]
	}
	opts := hl7v2.DecodeOptions{Charset: func(hl7v2.Sender, string) string { return charset }}
	if m, err := opts.Parse(line); err == nil && m.Header() != nil && m.Header().Name() == "MSH" {
		return m
	}
	m, _ := hl7v2.Parse([]byte("MSH|^~\\&|||||||ACK|UNKNOWN|P|2.5.1\r"))
	return m
}

func addrString(a interface{ String() string }) string {
	if a == nil {
		return ""
	}
	return a.String()
}
