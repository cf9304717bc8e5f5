package hl7

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"yigong/adapters/fhirv2"
	"yigong/fhir/r4"
	"yigong/fhir/store"
	"yigong/hl7v2"
)

// Notifications: subscriptions turn the store's change outbox into HL7 v2
// messages in the delivery outbox (QueueOutbox), from where deliver sends
// them like every other outbound message.
//
// Each subscription keeps its own position in the change outbox (cursor
// "hl7.notify.<name>" in queue_cursors). A batch of changes is read once
// for all subscriptions, each change is turned into the messages due, and
// those messages and every subscription's new position commit in one
// store transaction: a change gives each subscription its message exactly
// once, in commit order, whatever crashes in between (each item also
// carries the dedupe key "notify|<name>|<seq>", a second guard). A new
// subscription (no cursor yet) starts at the head of the change outbox:
// it is told about changes from then on, not about the past.
//
// Events:
//   - patient-update: a Patient version that is not a deletion → ADT^A08.
//   - report-final: a DiagnosticReport version whose status is final,
//     amended or corrected while the version before it was not (or there
//     was none, or it was deleted) → ORU^R01 with the report's result
//     Observations and Patient as they are when the change is processed.
//     Each version is compared with its own predecessor (vread), so one
//     finalisation gives one message however late it is processed; a
//     correction of a final report gives none.
//   - order-placed: a ServiceRequest's first version whose performer is
//     another institution than the one owning it → OML^O21. The performer
//     (ServiceRequest.performer: "Organization/<code>", or an identifier
//     with system urn:yigong:institution) rather than the requester's
//     organisation, because the performer is who the order is placed
//     for and is on the resource itself (the requester's organisation
//     needs a PractitionerRole read). A subscription's Institution filter
//     is matched against that performing institution: the downstream
//     system of an institution subscribes to the orders placed for it.
//     For the other events it is matched against the owning institution.
//
// Echo suppression: a downstream system is not told about what its own
// HL7 messages wrote. A subscription's receiver sends as the sender
// Application^Facility (MSH-3.1^MSH-4.1, the inbox partition; Sender
// overrides it), and each processed inbox item records the versions it
// wrote (Type/id/_history/n) as its outcome; a change whose version is in
// the outcome of a message of that sender is skipped for that
// subscription. The notifier reads those outcomes from the inbox as it
// goes (by item id per sender); an item completed out of id order (a
// replayed message) is not seen, and its echo is sent: suppression fails
// open, a notification is never lost to it.
//
// A notification that cannot be built (no Patient to send, a report
// without a code) is stored directly in the error state (dead letter) with
// the reason, visible in the stats; store errors are retried.

// notifyBatch is how many changes one notifier transaction covers.
const notifyBatch = 200

// institutionSystem is the identifier system of institution codes in
// references (the v2fhir meta.tag system).
const institutionSystem = "urn:yigong:institution"

// notifier is the change consumer of the subscriptions.
type notifier struct {
	s    *Service
	enc  *fhirv2.Encoder
	subs []Subscription
	log  *slog.Logger
	pos  []int64 // per subscription: the last change it has been given
	own  map[string]*ownIndex
}

// ownIndex holds the versions written by one sender's inbox messages that
// the notifier has not met yet.
type ownIndex struct {
	after    int64 // last inbox item id read
	since    time.Time
	versions map[string]bool
}

func newNotifier(s *Service, institution string) (*notifier, error) {
	app, fac := s.cfg.SendingApplication, s.cfg.SendingFacility
	if strings.TrimSpace(app) == "" {
		app = DefaultSendingApplication
	}
	if strings.TrimSpace(fac) == "" {
		fac = institution
	}
	enc, err := fhirv2.New(fhirv2.Config{Application: app, Facility: fac,
		Authorities: s.cfg.Mapping.Authorities, ResidentIDAuthorities: s.cfg.Mapping.ResidentIDAuthorities,
		CodeSystems: s.cfg.Mapping.CodeSystems, LocalSystemBase: s.cfg.Mapping.LocalSystemBase})
	if err != nil {
		return nil, fmt.Errorf("hl7: notifications: %w", err)
	}
	return &notifier{s: s, enc: enc, subs: s.cfg.Subscriptions, log: s.log.With("component", "hl7-notify"),
		own: map[string]*ownIndex{}}, nil
}

func (sub Subscription) name() string {
	if sub.Name != "" {
		return sub.Name
	}
	return sub.Destination
}

func (sub Subscription) cursorName() string { return "hl7.notify." + sub.name() }

// senderKey is the inbox partition of the receiver's own messages ("" when
// unknown).
func (sub Subscription) senderKey() string {
	if sub.Sender != "" {
		return sub.Sender
	}
	if sub.Application == "" {
		return ""
	}
	f := sub.Facility
	if f == "" {
		f = sub.Application
	}
	return sub.Application + "^" + f
}

// run loads the positions (unless loaded), then consumes the change
// outbox until ctx ends. Failures are retried with backoff; no change is
// skipped.
func (n *notifier) run(ctx context.Context, loaded bool) {
	backoff := idlePoll
	for !loaded && ctx.Err() == nil {
		if err := n.load(ctx); err == nil {
			break
		} else if ctx.Err() == nil {
			n.log.Warn("hl7 notifications: loading positions", "err", err, "retry_in", backoff)
		}
		sleepCtx(ctx, backoff)
		backoff = min(2*backoff, 30*time.Second)
	}
	backoff = idlePoll
	for ctx.Err() == nil {
		k, err := n.sync(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			n.log.Warn("hl7 notifications: processing changes", "err", err, "retry_in", backoff)
			sleepCtx(ctx, backoff)
			backoff = min(2*backoff, 30*time.Second)
		case k == 0:
			backoff = idlePoll
			sleepCtx(ctx, idlePoll)
		default:
			backoff = idlePoll
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// load reads every subscription's position; a subscription without one
// starts at the head of the change outbox, stored at once (-1 for an
// empty outbox: 0 reads as "never set").
func (n *notifier) load(ctx context.Context) error {
	tx, err := n.s.store.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	qt, ok := tx.(store.QueueTx)
	if !ok {
		return errors.New("hl7: the store's transactions cannot keep cursors")
	}
	pos := make([]int64, len(n.subs))
	var head int64 = -2
	for i, sub := range n.subs {
		v, err := qt.Cursor(ctx, sub.cursorName())
		if err != nil {
			return err
		}
		if v == 0 {
			if head == -2 {
				if head, err = changesHead(ctx, n.s.store); err != nil {
					return err
				}
			}
			v = head
			if v == 0 {
				v = -1
			}
			if err := qt.SetCursor(ctx, sub.cursorName(), v); err != nil {
				return err
			}
			n.log.Info("hl7 subscription starts at the head of the change outbox", "subscription", sub.name(), "seq", max(v, 0))
		}
		pos[i] = max(v, 0)
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	n.pos = pos
	return nil
}

// changesHead returns the sequence number of the last committed change
// (0 when there is none): dense numbers allow an exponential then binary
// search with Changes(n-1, 1), a few queries whatever the outbox's size.
func changesHead(ctx context.Context, st store.Store) (int64, error) {
	exists := func(seq int64) (bool, error) {
		c, err := st.Changes(ctx, seq-1, 1)
		return len(c) > 0, err
	}
	lo, step := int64(0), int64(1)
	for {
		ok, err := exists(lo + step)
		if err != nil {
			return 0, err
		}
		if !ok {
			break
		}
		lo += step
		step *= 2
	}
	hi := lo + step // lo exists (or is 0), hi does not
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		ok, err := exists(mid)
		if err != nil {
			return 0, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, nil
}

// sync turns the next batch of changes into outbox items and commits them
// with the new positions; it returns how many changes it read.
func (n *notifier) sync(ctx context.Context) (int, error) {
	after := n.pos[0]
	for _, p := range n.pos {
		after = min(after, p)
	}
	changes, err := n.s.store.Changes(ctx, after, notifyBatch)
	if err != nil || len(changes) == 0 {
		return 0, err
	}
	var items []store.QueueInput
	for _, c := range changes {
		its, err := n.notifications(ctx, c)
		if err != nil {
			return 0, err
		}
		items = append(items, its...)
		n.forget(c)
	}
	last := changes[len(changes)-1].Seq
	tx, done, err := n.s.beginWrite(ctx)
	if err != nil {
		return 0, err
	}
	defer done()
	defer tx.Rollback(ctx)
	qt, ok := tx.(store.QueueTx)
	if !ok {
		return 0, errors.New("hl7: the store's transactions cannot enqueue")
	}
	if len(items) > 0 {
		if _, err := qt.QueueEnqueue(ctx, items); err != nil {
			return 0, err
		}
	}
	for i, sub := range n.subs {
		if n.pos[i] < last {
			if err := qt.SetCursor(ctx, sub.cursorName(), last); err != nil {
				return 0, err
			}
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, err
	}
	for i := range n.pos {
		n.pos[i] = max(n.pos[i], last)
	}
	if len(items) > 0 {
		n.s.wake(n.s.wakeOutbox, 1)
		n.log.Debug("hl7 notifications queued", "messages", len(items), "through_seq", last)
	}
	return len(changes), nil
}

// event is what one change means to subscriptions.
type event struct {
	name        string // EventPatientUpdate, ...
	institution string // matched against Subscription.Institution
	typ         string // message type, for the outbox counts
	build       func(h fhirv2.Header) (*hl7v2.Message, error)
	fail        error // the message cannot be built: dead letter
}

// notifications returns the outbox items change c gives the
// subscriptions that have not had it yet.
func (n *notifier) notifications(ctx context.Context, c store.Change) ([]store.QueueInput, error) {
	due := false
	for i, sub := range n.subs {
		if n.pos[i] < c.Seq && (sub.Institution == "" || c.Type == "ServiceRequest" || sub.Institution == c.Institution) {
			due = true
		}
	}
	if !due || c.Op == store.OpDelete {
		return nil, nil
	}
	ev, err := n.classify(ctx, c)
	if err != nil || ev == nil {
		return nil, err
	}
	version := fmt.Sprintf("%s/%s/_history/%d", c.Type, c.ID, c.Version)
	var items []store.QueueInput
	for i, sub := range n.subs {
		if n.pos[i] >= c.Seq || !slices.Contains(sub.Events, ev.name) || (sub.Institution != "" && sub.Institution != ev.institution) {
			continue
		}
		if sk := sub.senderKey(); sk != "" {
			own, err := n.ownedBy(ctx, sk, version, c.Committed)
			if err != nil {
				return nil, err
			}
			if own {
				n.log.Debug("hl7 notification not sent back to its source", "subscription", sub.name(), "version", version)
				continue
			}
		}
		ctl := "YGN" + strconv.FormatInt(c.Seq, 36) + "." + strconv.Itoa(i)
		meta, _ := json.Marshal(itemMeta{ControlID: ctl, Destination: sub.Destination, Kind: "notification", Received: time.Now()})
		item := store.QueueInput{Queue: QueueOutbox, Institution: c.Institution, Partition: sub.Destination, Type: ev.typ,
			DedupeKey: "notify|" + sub.name() + "|" + strconv.FormatInt(c.Seq, 10), Meta: meta}
		err := ev.fail
		if err == nil {
			var msg *hl7v2.Message
			msg, err = ev.build(fhirv2.Header{ReceivingApplication: sub.Application, ReceivingFacility: sub.Facility, ControlID: ctl,
				SendingApplication: sub.SendingApplication, SendingFacility: sub.SendingFacility})
			if err == nil {
				item.Body, err = msg.Encode()
			}
		}
		if err != nil {
			item.Error = fmt.Sprintf("notification %s of %s not built: %v", ev.typ, version, err)
			item.Body = []byte(item.Error)
			n.log.Error("hl7 notification cannot be built: dead letter", "subscription", sub.name(), "version", version, "err", err)
		}
		items = append(items, item)
	}
	return items, nil
}

// classify reads the changed version and decides its event (nil: none).
// Store failures are returned (retried); content that cannot be sent
// becomes an event with fail set.
func (n *notifier) classify(ctx context.Context, c store.Change) (*event, error) {
	ref := store.Ref{Institution: c.Institution, Type: c.Type, ID: c.ID}
	switch c.Type {
	case "Patient":
		var p r4.Patient
		if ok, err := n.vread(ctx, ref, c.Version, &p); !ok || err != nil {
			return nil, err
		}
		return &event{name: EventPatientUpdate, institution: c.Institution, typ: "ADT^A08",
			build: func(h fhirv2.Header) (*hl7v2.Message, error) { return n.enc.PatientUpdate(h, &p) }}, nil
	case "DiagnosticReport":
		var dr r4.DiagnosticReport
		if ok, err := n.vread(ctx, ref, c.Version, &dr); !ok || err != nil {
			return nil, err
		}
		if !finalStatus(dr.Status) {
			return nil, nil
		}
		if c.Version > 1 {
			var prev r4.DiagnosticReport
			ok, err := n.vread(ctx, ref, c.Version-1, &prev)
			if err != nil {
				return nil, err
			}
			if ok && finalStatus(prev.Status) {
				return nil, nil // already notified when it became final
			}
		}
		ev := &event{name: EventReportFinal, institution: c.Institution, typ: "ORU^R01"}
		p, err := n.patient(ctx, dr.Subject)
		if err != nil {
			return nil, err
		}
		var obs []*r4.Observation
		for _, r := range dr.Result {
			var o r4.Observation
			ok, err := n.readRef(ctx, r, "Observation", &o)
			if err != nil {
				return nil, err
			}
			if ok {
				obs = append(obs, &o)
			}
		}
		if p == nil {
			ev.fail = errors.New("the report's subject is not a Patient in the store")
		}
		ev.build = func(h fhirv2.Header) (*hl7v2.Message, error) { return n.enc.ReportFinal(h, &dr, obs, p) }
		return ev, nil
	case "ServiceRequest":
		if c.Version != 1 {
			return nil, nil
		}
		var sr r4.ServiceRequest
		if ok, err := n.vread(ctx, ref, c.Version, &sr); !ok || err != nil {
			return nil, err
		}
		target := ""
		for _, pf := range sr.Performer {
			if inst := institutionOf(pf); inst != "" {
				target = inst
				break
			}
		}
		if target == "" || target == c.Institution {
			return nil, nil
		}
		ev := &event{name: EventOrderPlaced, institution: target, typ: "OML^O21"}
		p, err := n.patient(ctx, sr.Subject)
		if err != nil {
			return nil, err
		}
		if p == nil {
			ev.fail = errors.New("the order's subject is not a Patient in the store")
		}
		ev.build = func(h fhirv2.Header) (*hl7v2.Message, error) { return n.enc.OrderPlaced(h, &sr, p) }
		return ev, nil
	}
	return nil, nil
}

func finalStatus(s string) bool { return s == "final" || s == "amended" || s == "corrected" }

// institutionOf returns the institution code a performer reference names:
// Organization/<code> (the institution is the Organization's id) or an
// identifier in the institution system.
func institutionOf(r r4.Reference) string {
	if r.Identifier != nil && r.Identifier.System == institutionSystem {
		return strings.TrimSpace(r.Identifier.Value)
	}
	typ, id, _ := splitRef(r.Reference)
	if typ == "Organization" {
		return id
	}
	return ""
}

// splitRef reads "Type/id", "Type/id/_history/n" or an absolute URL
// ending so.
func splitRef(ref string) (typ, id string, version int64) {
	parts := strings.Split(strings.TrimSpace(ref), "/")
	if len(parts) >= 4 && parts[len(parts)-2] == "_history" {
		version, _ = strconv.ParseInt(parts[len(parts)-1], 10, 64)
		parts = parts[:len(parts)-2]
	}
	if len(parts) < 2 {
		return "", "", 0
	}
	return parts[len(parts)-2], parts[len(parts)-1], version
}

// vread decodes one version into v; ok is false when it is a deletion or
// does not exist.
func (n *notifier) vread(ctx context.Context, ref store.Ref, version int64, v any) (bool, error) {
	r, err := n.s.store.VRead(ctx, ref, version)
	switch {
	case errors.Is(err, store.ErrGone), errors.Is(err, store.ErrNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("hl7: notifications: vread %s/_history/%d: %w", ref, version, err)
	case r.Deleted:
		return false, nil
	}
	if err := json.Unmarshal(r.JSON, v); err != nil {
		n.log.Error("hl7 notifications: stored resource not decodable", "ref", ref.String(), "err", err)
		return false, nil
	}
	return true, nil
}

// readRef reads what reference r points to (the version it names, else
// the current one) when it is of type typ; ok is false otherwise.
func (n *notifier) readRef(ctx context.Context, r r4.Reference, typ string, v any) (bool, error) {
	t, id, version := splitRef(r.Reference)
	if t != typ || id == "" {
		return false, nil
	}
	ref := store.Ref{Type: t, ID: id}
	if version > 0 {
		return n.vread(ctx, ref, version, v)
	}
	res, err := n.s.store.Read(ctx, ref)
	switch {
	case errors.Is(err, store.ErrGone), errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrConflict):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("hl7: notifications: read %s/%s: %w", t, id, err)
	}
	if err := json.Unmarshal(res.JSON, v); err != nil {
		return false, nil
	}
	return true, nil
}

func (n *notifier) patient(ctx context.Context, r *r4.Reference) (*r4.Patient, error) {
	if r == nil {
		return nil, nil
	}
	var p r4.Patient
	ok, err := n.readRef(ctx, *r, "Patient", &p)
	if !ok || err != nil {
		return nil, err
	}
	return &p, nil
}

// forget drops a change's version from the senders' indexes once it has
// been met: each version has one change.
func (n *notifier) forget(c store.Change) {
	v := fmt.Sprintf("%s/%s/_history/%d", c.Type, c.ID, c.Version)
	for _, ix := range n.own {
		delete(ix.versions, v)
	}
}

// ownedBy reports whether version was written by an inbox message of
// sender, reading the sender's newly processed messages first. Messages
// completed well before the first change asked about are not remembered
// (their changes are behind the subscription's position).
func (n *notifier) ownedBy(ctx context.Context, sender, version string, committed time.Time) (bool, error) {
	ix := n.own[sender]
	if ix == nil {
		ix = &ownIndex{since: committed.Add(-time.Minute), versions: map[string]bool{}}
		n.own[sender] = ix
	}
	if !ix.versions[version] {
		for {
			items, err := n.s.q.List(ctx, store.QueueListQuery{Queue: QueueInbox, State: store.QueueDone, Partition: sender,
				AfterID: ix.after, Limit: store.MaxCount})
			if err != nil {
				return false, fmt.Errorf("hl7: notifications: inbox of %s: %w", sender, err)
			}
			for _, it := range items {
				ix.after = it.ID
				if it.Updated.Before(ix.since) {
					continue
				}
				for _, loc := range strings.Fields(it.Outcome) {
					if strings.Contains(loc, "/_history/") {
						ix.versions[loc] = true
					}
				}
			}
			if len(items) < store.MaxCount {
				break
			}
		}
	}
	return ix.versions[version], nil
}
