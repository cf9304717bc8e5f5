package v2fhir

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"yigong/fhir"
	"yigong/fhir/r4"
	"yigong/hl7v2"
)

// Mapper translates HL7 v2 messages into FHIR transaction Bundles. It is
// immutable after New and safe for concurrent use.
type Mapper struct {
	cfg          Config
	authorities  map[string]string // exact names and upper-cased names
	resident     map[string]bool   // upper-cased resident ID authority names
	codeSystems  map[string]string // upper-cased names
	base         string
	instSystem   string
	unmappedRejc bool
}

// Result is the translation of one message.
type Result struct {
	// Bundle is a FHIR transaction Bundle whose entries are idempotent
	// (conditional create/update, deterministic urn:uuid fullUrls).
	Bundle *r4.Bundle
	// Warnings are problems that did not stop the mapping: unmapped
	// fields that matter, bad check digits, values that could not be
	// parsed and were left out.
	Warnings []fhir.Issue
	// MessageKey is "<sender>|<MSH-10>", the key a caller deduplicates
	// re-sent messages by.
	MessageKey string
	// Type is the message type as mapped, e.g. "ADT^A01".
	Type string
	// LookedUp: the mapping consulted MapOptions (the store), so the
	// Bundle is right only against the state it saw then.
	LookedUp bool
}

// New validates cfg and returns a Mapper.
func New(cfg Config) (*Mapper, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &Mapper{
		cfg:          cfg,
		authorities:  make(map[string]string, 2*len(cfg.Authorities)),
		resident:     make(map[string]bool),
		codeSystems:  make(map[string]string, len(cfg.CodeSystems)),
		base:         cfg.LocalSystemBase,
		instSystem:   cfg.InstitutionSystem,
		unmappedRejc: cfg.Unmapped == UnmappedReject,
	}
	if m.base == "" {
		m.base = DefaultLocalSystemBase
	}
	if m.instSystem == "" {
		m.instSystem = DefaultInstitutionSystem
	}
	for k, v := range cfg.Authorities {
		if isResidentSystem(v) {
			m.resident[strings.ToUpper(strings.TrimSpace(k))] = true
			continue
		}
		m.authorities[strings.ToUpper(strings.TrimSpace(k))] = v
	}
	for _, a := range cfg.ResidentIDAuthorities {
		m.resident[strings.ToUpper(strings.TrimSpace(a))] = true
	}
	for k, v := range cfg.CodeSystems {
		m.codeSystems[strings.ToUpper(strings.TrimSpace(k))] = v
	}
	return m, nil
}

// Map translates msg. It returns an *Error (errors.Is ErrNotMapped) for a
// message type outside the mapped list, an *Error located at the fault for
// a message that cannot be mapped, and ctx.Err() when ctx is done.
func (m *Mapper) Map(ctx context.Context, msg *hl7v2.Message) (*Result, error) {
	return m.MapWith(ctx, msg, MapOptions{})
}

// MapOptions are what a mapping may consult besides the message.
type MapOptions struct {
	// PatientExists reports whether a Patient with the identifier exists.
	// A merge (A40, A47) asks it about the prior patient: a known prior
	// is patched (inactive, replaced-by the survivor); an unknown one —
	// the hub never saw it, as when a HIS sends a merge for a patient
	// registered before the interface went live — is created as an
	// inactive record replaced by the survivor, so that the merge still
	// applies and stays visible. Nil: the prior is assumed known.
	PatientExists func(ctx context.Context, system, value string) (bool, error)
}

// MapWith is Map with options.
func (m *Mapper) MapWith(ctx context.Context, msg *hl7v2.Message, o MapOptions) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("v2fhir: %w", err)
	}
	if msg == nil || msg.Header() == nil || msg.Header().Name() != "MSH" {
		return nil, &Error{Segment: "MSH", Sequence: 1, Code: "100", Msg: "message has no MSH"}
	}
	code, trigger, _ := msg.Type()
	code, trigger = strings.ToUpper(strings.TrimSpace(code)), strings.ToUpper(strings.TrimSpace(trigger))
	fn := handlerFor(code, trigger)
	if fn == nil {
		return nil, &Error{Segment: "MSH", Sequence: 1, Field: 9, Code: "200", Err: ErrNotMapped, reject: m.unmappedRejc,
			Msg: fmt.Sprintf("message type %s^%s not mapped", code, trigger)}
	}
	ctl := msg.ControlID()
	if strings.TrimSpace(ctl) == "" {
		return nil, &Error{Segment: "MSH", Sequence: 1, Field: 10, Code: "101", Msg: "MSH-10 message control ID missing: entries could not be made idempotent"}
	}
	b := m.newBuilder(msg, code, trigger, ctl)
	b.ctx, b.opts = ctx, o
	if err := fn(b); err != nil {
		return nil, err
	}
	return &Result{
		Bundle:     &r4.Bundle{Type: "transaction", Entry: b.entries},
		Warnings:   b.warnings,
		MessageKey: b.sender + "|" + ctl,
		Type:       code + "^" + trigger,
		LookedUp:   b.lookedUp,
	}, nil
}

// handlerFor returns the mapping of a message type, or nil.
func handlerFor(code, trigger string) func(*builder) error {
	switch code {
	case "ADT":
		switch trigger {
		case "A01", "A02", "A03", "A04", "A05", "A06", "A07", "A08", "A11", "A12", "A13":
			return mapADT
		case "A28", "A31":
			return mapADTPerson
		case "A40", "A47":
			return mapMerge
		}
	case "ORM":
		if trigger == "O01" {
			return mapOrder
		}
	case "OML":
		if trigger == "O21" || trigger == "O33" {
			return mapOrder
		}
	case "ORU":
		if trigger == "R01" {
			return mapResults
		}
	case "OUL":
		if trigger == "R22" {
			return mapResults
		}
	case "RDE":
		if trigger == "O11" || trigger == "O25" {
			return mapPharmacy
		}
	case "RDS":
		if trigger == "O13" {
			return mapPharmacy
		}
	case "SIU":
		switch trigger {
		case "S12", "S13", "S14", "S15":
			return mapSchedule
		}
	case "MDM":
		if trigger == "T02" {
			return mapDocument
		}
	case "VXU":
		if trigger == "V04" {
			return mapImmunization
		}
	}
	return nil
}

// segLoc is a segment with its occurrence number among segments of its
// name, for error locations and entry positions.
type segLoc struct {
	seg  *hl7v2.Segment
	name string
	seq  int
}

func (l segLoc) String() string { return l.name + "[" + strconv.Itoa(l.seq) + "]" }

// field names a field of the segment for warnings: "OBX[2]-5".
func (l segLoc) field(n int) string { return l.String() + "-" + strconv.Itoa(n) }

// builder accumulates one message's Bundle.
type builder struct {
	m        *Mapper
	msg      *hl7v2.Message
	code     string
	trigger  string
	ctl      string
	sender   string
	inst     string
	segs     []segLoc
	entries  []r4.BundleEntry
	warnings []fhir.Issue

	ctx      context.Context
	opts     MapOptions
	lookedUp bool // an option was consulted: the Bundle depends on the store's state

	patientRef *r4.Reference // the PID patient, once mapped
	patientID  *r4.Identifier
	encounter  *r4.Reference
}

func (m *Mapper) newBuilder(msg *hl7v2.Message, code, trigger, ctl string) *builder {
	h := hl7v2.MSH{Segment: msg.Header()}
	app, fac := h.SendingApplication(), h.SendingFacility()
	facility := strings.TrimSpace(fac.NamespaceID)
	if facility == "" {
		facility = strings.TrimSpace(fac.UniversalID)
	}
	if facility == "" {
		facility = strings.TrimSpace(app.NamespaceID)
	}
	b := &builder{m: m, msg: msg, code: code, trigger: trigger, ctl: ctl,
		sender: strings.TrimSpace(app.NamespaceID) + "^" + facility}
	if s, ok := m.cfg.Senders[facility]; ok {
		b.inst = s.Institution
	} else {
		b.inst = m.cfg.DefaultInstitution
	}
	count := map[string]int{}
	b.segs = make([]segLoc, len(msg.Segments))
	for i, s := range msg.Segments {
		n := s.Name()
		count[n]++
		b.segs[i] = segLoc{seg: s, name: n, seq: count[n]}
	}
	return b
}

// first returns the first segment named name, or ok false.
func (b *builder) first(name string) (segLoc, bool) {
	for _, l := range b.segs {
		if l.name == name {
			return l, true
		}
	}
	return segLoc{}, false
}

func (b *builder) warn(where, expr, format string, args ...any) {
	b.warnings = append(b.warnings, fhir.Issue{Severity: fhir.SeverityWarning, Code: "value",
		Diagnostic: where + ": " + fmt.Sprintf(format, args...), Expression: expr})
}

func (b *builder) notMapped(where, expr, what string) {
	b.warnings = append(b.warnings, fhir.Issue{Severity: fhir.SeverityWarning, Code: "not-supported",
		Diagnostic: where + ": " + what + " is valued but not mapped", Expression: expr})
}

// meta returns the meta every resource carries: the institution tag.
func (b *builder) meta(extra ...r4.Coding) *r4.Meta {
	var tags []r4.Coding
	if b.inst != "" {
		tags = append(tags, r4.Coding{System: b.m.instSystem, Code: b.inst})
	}
	tags = append(tags, extra...)
	if len(tags) == 0 {
		return nil
	}
	return &r4.Meta{Tag: tags}
}

// entry modes: upsert is a conditional update (PUT Type?identifier=...),
// the source of truth replacing what it sent before; ensure is a
// conditional create (POST with ifNoneExist), for resources this message
// only refers to.
const (
	upsert = iota
	ensure
)

// add appends r as an entry keyed by the identifier key and returns a
// reference to it. pos names the entry's position in the message and
// seeds its urn:uuid.
func (b *builder) add(r r4.Resource, pos string, key r4.Identifier, mode int) *r4.Reference {
	full := entryUUID(b.sender, b.ctl, pos)
	rt := r.ResourceType()
	cond := IdentifierQuery(key.System, key.Value)
	req := &r4.BundleEntryRequest{Method: "PUT", Url: rt + "?" + cond}
	if mode == ensure {
		req = &r4.BundleEntryRequest{Method: "POST", Url: rt, IfNoneExist: cond}
	}
	b.entries = append(b.entries, r4.BundleEntry{FullUrl: full, Resource: &r4.AnyResource{Resource: r}, Request: req})
	return &r4.Reference{Reference: full, Type: rt}
}

// derivedKey makes the key of a resource without a business identifier of
// its own from its parent's identifier and local parts, so that the same
// v2 content maps to the same resource across messages (an A08 updates the
// NK1 RelatedPerson an A01 created).
func (b *builder) derivedKey(resourceType string, parent *r4.Identifier, parts ...string) r4.Identifier {
	v := ""
	if parent != nil {
		v = parent.System + "|" + parent.Value
	}
	for _, p := range parts {
		v += "|" + strings.TrimSpace(p)
	}
	return r4.Identifier{System: b.m.base + "key:" + resourceType, Value: strings.TrimPrefix(v, "|")}
}

// messageKey makes a key scoped to this message, for resources that have
// nothing stable to match on: re-sending the message matches; another
// message makes another resource.
func (b *builder) messageKey(pos string) r4.Identifier {
	return r4.Identifier{System: b.m.base + "msg:" + uriPart(b.sender), Value: b.ctl + "/" + pos}
}

// senderSystem is the system of identifiers unique within the sender (its
// institution when configured): "<base>id:<institution>:<kind>".
func (b *builder) senderSystem(kind string) string {
	scope := b.inst
	if scope == "" {
		scope = b.sender
	}
	return b.m.base + "id:" + uriPart(scope) + ":" + kind
}
