package fhirv2

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"yigong/adapters/v2fhir"
	"yigong/fhir/r4"
	"yigong/hl7v2"
)

// ID names this adapter in the host's registry.
const ID = "adapters.fhir.hl7v2"

// Version is MSH-12 of every message built here.
const Version = "2.5.1"

// Charset is MSH-18 of every message built here.
const Charset = "UNICODE UTF-8"

// Config is the plain data an Encoder is built from. Its mapping fields
// are those of v2fhir.Config (fill both from the same configuration), so
// that an identifier or code goes out under the name it comes in by.
type Config struct {
	// Application and Facility fill MSH-3 and MSH-4: the hub.
	Application string
	Facility    string
	// Authorities maps an assigning authority name to an identifier system
	// (v2fhir.Config.Authorities); read here from system to name. When two
	// names map to one system, the first in sorted order goes out.
	Authorities map[string]string
	// ResidentIDAuthorities are names meaning the GB 11643 resident ID; the
	// first is the authority resident IDs go out under.
	ResidentIDAuthorities []string
	// CodeSystems maps local coding-system names to URIs
	// (v2fhir.Config.CodeSystems); read here from URI to name.
	CodeSystems map[string]string
	// LocalSystemBase is v2fhir's base of derived systems; empty means
	// v2fhir.DefaultLocalSystemBase.
	LocalSystemBase string
	// Clock gives MSH-7 and EVN-2 when a Header has no Time (nil:
	// time.Now).
	Clock func() time.Time
}

// Header is what differs per message: the receiver (MSH-5, MSH-6), the
// control ID (MSH-10, unique per message) and the time (MSH-7).
type Header struct {
	ReceivingApplication string
	ReceivingFacility    string
	// SendingApplication and SendingFacility, when set, fill MSH-3 and
	// MSH-4 instead of Config.Application and Config.Facility (a
	// subscription whose receiver knows the hub under another name).
	SendingApplication string
	SendingFacility    string
	ControlID          string
	Time               time.Time // zero: Config.Clock
	// ProcessingID is MSH-11: P (production, the default), D or T.
	ProcessingID string
}

// Encoder builds messages. It is immutable and safe for concurrent use.
type Encoder struct {
	cfg          Config
	d            hl7v2.Delimiters
	authOf       map[string]string // system → authority name
	residentAuth string            // "" = the OID as universal ID
	codeNameOf   map[string]string // code system URI → table 0396 or local name
	base         string
	now          func() time.Time
}

// New validates cfg and returns an Encoder.
func New(cfg Config) (*Encoder, error) {
	var errs []error
	if strings.TrimSpace(cfg.Application) == "" {
		errs = append(errs, errors.New("fhirv2: config: application (MSH-3) is required"))
	}
	for _, k := range slices.Sorted(maps.Keys(cfg.Authorities)) {
		if strings.TrimSpace(k) == "" || strings.TrimSpace(cfg.Authorities[k]) == "" {
			errs = append(errs, fmt.Errorf("fhirv2: config: authorities[%q] = %q: empty name or system", k, cfg.Authorities[k]))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	e := &Encoder{cfg: cfg, d: hl7v2.DefaultDelimiters, authOf: map[string]string{}, codeNameOf: map[string]string{},
		base: cfg.LocalSystemBase, now: cfg.Clock}
	if e.base == "" {
		e.base = v2fhir.DefaultLocalSystemBase
	}
	if e.now == nil {
		e.now = time.Now
	}
	for _, a := range cfg.ResidentIDAuthorities {
		if a = strings.TrimSpace(a); a != "" {
			e.residentAuth = a
			break
		}
	}
	for _, k := range slices.Sorted(maps.Keys(cfg.Authorities)) {
		sys := cfg.Authorities[k]
		if isResident(sys) {
			if e.residentAuth == "" {
				e.residentAuth = k
			}
			continue
		}
		if _, ok := e.authOf[sys]; !ok {
			e.authOf[sys] = k
		}
	}
	for uri, name := range codeSystemNames0396 {
		e.codeNameOf[uri] = name
	}
	// A configured local name wins over the built-in table (it is what
	// the alliance's systems send and expect); the first in sorted order
	// when several name one URI.
	local := map[string]bool{}
	for _, k := range slices.Sorted(maps.Keys(cfg.CodeSystems)) {
		if uri := cfg.CodeSystems[k]; !local[uri] {
			e.codeNameOf[uri], local[uri] = k, true
		}
	}
	return e, nil
}

func isResident(s string) bool {
	return s == v2fhir.ResidentIDSystem || s == v2fhir.ResidentIDSystemHL7China
}

// newPatientMessage starts a message whose PID follows the MSH at once
// (the order and result messages), with the PID from p.
func (e *Encoder) newPatientMessage(h Header, code, trigger, structure string, p *r4.Patient) (*hl7v2.Message, error) {
	m, _, err := e.newMessage(h, code, trigger, structure)
	if err != nil {
		return nil, err
	}
	pid, err := e.pid(p)
	if err != nil {
		return nil, err
	}
	m.Add("PID", pid...)
	return m, nil
}

// newMessage starts a message with its MSH: the hub as sender, h's
// receiver, control ID and time, message type code^trigger^structure.
func (e *Encoder) newMessage(h Header, code, trigger, structure string) (*hl7v2.Message, time.Time, error) {
	if strings.TrimSpace(h.ControlID) == "" {
		return nil, time.Time{}, errors.New("fhirv2: header: control ID (MSH-10) is required")
	}
	ts := h.Time
	if ts.IsZero() {
		ts = e.now()
	}
	pid := h.ProcessingID
	if pid == "" {
		pid = "P"
	}
	app, fac := e.cfg.Application, e.cfg.Facility
	if strings.TrimSpace(h.SendingApplication) != "" {
		app = h.SendingApplication
	}
	if strings.TrimSpace(h.SendingFacility) != "" {
		fac = h.SendingFacility
	}
	m := hl7v2.NewMessage(e.d, Charset)
	c := string(e.d.Component)
	m.Add("MSH",
		e.esc(app), e.esc(fac), e.esc(h.ReceivingApplication), e.esc(h.ReceivingFacility), // MSH-3..6
		hl7v2.FormatTS(ts, hl7v2.PrecisionSecond), // MSH-7
		"",                         // MSH-8 security
		code+c+trigger+c+structure, // MSH-9
		e.esc(h.ControlID),         // MSH-10
		e.esc(pid),                 // MSH-11
		Version,                    // MSH-12
		"", "", "", "",             // MSH-13..16: original acknowledgment mode
		"CHN",   // MSH-17 country
		Charset, // MSH-18
	)
	return m, ts, nil
}

func (e *Encoder) esc(s string) string { return hl7v2.Escape(strings.TrimSpace(s), e.d) }

// join joins already escaped parts with sep, dropping trailing empty ones.
func join(sep byte, parts ...string) string {
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return strings.Join(parts, string(sep))
}

// authority returns the HD of an identifier system as (namespace ID,
// universal ID, universal ID type), unescaped; resident reports the resident
// ID system. ok is false for the internal keys v2fhir derives, which are
// not sent.
func (e *Encoder) authority(system string) (ns, uid, uidType string, resident, ok bool) {
	system = strings.TrimSpace(system)
	switch {
	case system == "":
		return "", "", "", false, true
	case isResident(system):
		if e.residentAuth != "" {
			return e.residentAuth, "", "", true, true
		}
		return "", strings.TrimPrefix(v2fhir.ResidentIDSystem, "urn:oid:"), "ISO", true, true
	}
	if name, found := e.authOf[system]; found {
		return name, "", "", false, true
	}
	if rest, found := strings.CutPrefix(system, e.base); found {
		switch {
		case strings.HasPrefix(rest, "key:"), strings.HasPrefix(rest, "msg:"):
			return "", "", "", false, false
		case strings.HasPrefix(rest, "id:"):
			// A name v2fhir derived a system for; the same name maps back
			// to it (uriPart is url.PathEscape).
			if name, err := url.PathUnescape(rest[3:]); err == nil && url.PathEscape(name) == rest[3:] {
				return name, "", "", false, true
			}
		}
	}
	switch {
	case strings.HasPrefix(system, "urn:oid:"):
		return "", system[len("urn:oid:"):], "ISO", false, true
	case strings.HasPrefix(system, "urn:uuid:"):
		return "", system[len("urn:uuid:"):], "UUID", false, true
	}
	return "", system, "URI", false, true
}

// codeSystemName returns CWE-3 for a code system URI.
func (e *Encoder) codeSystemName(uri string) string {
	uri = strings.TrimSpace(uri)
	if uri == "" {
		return ""
	}
	if n, ok := e.codeNameOf[uri]; ok {
		return n
	}
	if t, ok := strings.CutPrefix(uri, "http://terminology.hl7.org/CodeSystem/v2-"); ok && len(t) == 4 && allDigits(t) {
		return "HL7" + t
	}
	if name, ok := strings.CutPrefix(uri, e.base+"cs:"); ok {
		if n, err := url.PathUnescape(name); err == nil {
			return n
		}
	}
	return uri
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
