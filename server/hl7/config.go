package hl7

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"yigong/adapters/v2fhir"
	"yigong/hl7v2"
)

// Config is the MLLP section of the hub's configuration: plain data,
// validated once at start.
type Config struct {
	// Listeners are the MLLP ports; none disables HL7 v2 intake.
	Listeners []Listener `yaml:"listeners"`
	// Senders are per-sender settings, the first matching rule wins.
	Senders []Sender `yaml:"senders"`
	// Mapping is the v2 → FHIR mapping: identifier authorities, code
	// systems, the unmapped-type policy.
	Mapping Mapping `yaml:"mapping"`
	// Workers process the inbox (0: 2; -1: none, intake only, e.g. to
	// measure acknowledgement alone). Messages of one sender are processed
	// in order whatever the number.
	Workers int `yaml:"workers"`
	// MaxAttempts before a message goes to the error state (0: 5).
	MaxAttempts int `yaml:"max_attempts"`
	// Backoff after the first failed attempt, doubled per attempt up to
	// MaxBackoff (0: 1 s and 5 min).
	Backoff    time.Duration `yaml:"backoff"`
	MaxBackoff time.Duration `yaml:"max_backoff"`
	// GroupCommit bounds how many received messages one inbox commit
	// takes (0: 256). The committer never waits for more: messages of
	// concurrent connections gather while the previous commit runs.
	GroupCommit int `yaml:"group_commit"`
	// StrictAcceptAck follows MSH-15 literally in enhanced mode: NE sends
	// no commit ACK, ER only a CE/CR, SU only a CA. By default every
	// message gets its commit ACK on the connection, because MLLP senders
	// (mllp_send, most interface engines) block until a reply arrives.
	StrictAcceptAck bool `yaml:"strict_accept_ack"`
	// Subscriptions send v2 notifications to downstream systems.
	Subscriptions []Subscription `yaml:"subscriptions"`
	// SendingApplication and SendingFacility fill MSH-3 and MSH-4 of the
	// notifications the hub sends (default "YIGONG" and the hub's
	// institution); a subscription may override them.
	SendingApplication string `yaml:"sending_application"`
	SendingFacility    string `yaml:"sending_facility"`
	// Delivery settings of the outbound MLLP client.
	Outbound Outbound `yaml:"outbound"`
}

// Listener is one MLLP port.
type Listener struct {
	Name string `yaml:"name"` // for sender rules and logs; default the address
	Addr string `yaml:"addr"` // "127.0.0.1:2575"; port 0 picks a free port
	// TLSCert and TLSKey (PEM files) turn on TLS.
	TLSCert string `yaml:"tls_cert"`
	TLSKey  string `yaml:"tls_key"`
	// MaxMessageSize caps one message in bytes (0: 16 MiB).
	MaxMessageSize int `yaml:"max_message_size"`
	// IdleTimeout closes a connection that sends nothing for this long
	// (0: 5 min).
	IdleTimeout time.Duration `yaml:"idle_timeout"`
}

// Sender is a per-sender rule, matched on MSH-3.1 (Application), MSH-4.1
// (Facility) and the listener's name; an empty field matches anything.
type Sender struct {
	Application string `yaml:"application"`
	Facility    string `yaml:"facility"`
	Listener    string `yaml:"listener"`
	// Charset overrides MSH-18 ("GBK", "GB18030", "UNICODE UTF-8"...).
	Charset string `yaml:"charset"`
	// Institution owns what the sender's messages write (the partition
	// key); default the hub's institution.
	Institution string `yaml:"institution"`
	// AllowedTypes, when set, lists the message types accepted
	// ("ADT^A01", or "ADT" for every event); others are rejected (AR).
	AllowedTypes []string `yaml:"allowed_types"`
	// ReturnAddr is host:port where enhanced-mode application ACKs are
	// sent with the MLLP client; without it they cannot be delivered and
	// are counted as such.
	ReturnAddr string `yaml:"return_addr"`
}

// Mapping is the configurable part of the v2 → FHIR adapter
// (v2fhir.Config minus the senders, which come from Senders).
type Mapping struct {
	Authorities             map[string]string `yaml:"authorities"`
	ResidentIDAuthorities   []string          `yaml:"resident_id_authorities"`
	CodeSystems             map[string]string `yaml:"code_systems"`
	LocalSystemBase         string            `yaml:"local_system_base"`
	RejectUnmappedAuthority bool              `yaml:"reject_unmapped_authority"`
	// Unmapped is "accept" (store, ACK AA; the default) or "reject" (AR).
	Unmapped string `yaml:"unmapped"`
}

// Subscription sends notifications of one institution's changes to a
// downstream system.
type Subscription struct {
	// Name keys the subscription's position in the change outbox
	// (default: the destination); renaming one starts it afresh.
	Name        string   `yaml:"name"`
	Destination string   `yaml:"destination"` // host:port of the receiver's MLLP listener
	Institution string   `yaml:"institution"` // whose changes; "" = every institution
	Events      []string `yaml:"events"`      // "report-final" (ORU^R01), "patient-update" (ADT^A08), "order-placed" (OML^O21)
	// Application and Facility fill MSH-5/MSH-6 of the messages sent.
	Application string `yaml:"application"`
	Facility    string `yaml:"facility"`
	// SendingApplication and SendingFacility fill MSH-3/MSH-4 of the
	// messages sent, when the receiver knows the hub by another name than
	// Config.SendingApplication/SendingFacility; empty: those.
	SendingApplication string `yaml:"sending_application"`
	SendingFacility    string `yaml:"sending_facility"`
	// Sender is the inbox partition (MSH-3.1^MSH-4.1) of the receiver's
	// own messages, whose writes it is not told about; default
	// Application^Facility (Application^Application without a facility).
	Sender string `yaml:"sender"`
}

// Outbound configures delivery by the MLLP client.
type Outbound struct {
	// Timeout bounds one send and its ACK (0: 30 s).
	Timeout time.Duration `yaml:"timeout"`
	// MaxAttempts before a message is dead-lettered (0: 10).
	MaxAttempts int `yaml:"max_attempts"`
}

// Event names of subscriptions.
const (
	EventReportFinal   = "report-final"
	EventPatientUpdate = "patient-update"
	EventOrderPlaced   = "order-placed"
)

// DefaultSendingApplication is MSH-3 of notifications unless configured.
const DefaultSendingApplication = "YIGONG"

// DefaultAddr is the MLLP port `make run` listens on.
const DefaultAddr = "127.0.0.1:2575"

// Validate checks the configuration, the mapping included (a bad mapping
// stops boot), and reports every problem.
func (c *Config) Validate(institution string) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("mllp: "+format, args...)) }
	names := map[string]bool{}
	for i, l := range c.Listeners {
		if _, _, err := net.SplitHostPort(l.Addr); err != nil {
			bad("listeners[%d].addr %q: %v", i, l.Addr, err)
		}
		if (l.TLSCert == "") != (l.TLSKey == "") {
			bad("listeners[%d]: tls_cert and tls_key go together", i)
		}
		if l.MaxMessageSize < 0 || l.IdleTimeout < 0 {
			bad("listeners[%d]: negative limit", i)
		}
		n := l.name()
		if names[n] {
			bad("listeners[%d]: duplicate name %q", i, n)
		}
		names[n] = true
	}
	for i, s := range c.Senders {
		if s.Charset != "" {
			if _, ok := hl7v2.CanonicalCharset(s.Charset); !ok {
				bad("senders[%d].charset %q: not a supported character set", i, s.Charset)
			}
		}
		if s.Listener != "" && !names[s.Listener] {
			bad("senders[%d].listener %q: no such listener", i, s.Listener)
		}
		if s.ReturnAddr != "" {
			if _, _, err := net.SplitHostPort(s.ReturnAddr); err != nil {
				bad("senders[%d].return_addr %q: %v", i, s.ReturnAddr, err)
			}
		}
		for _, t := range s.AllowedTypes {
			if strings.TrimSpace(t) == "" {
				bad("senders[%d].allowed_types: empty type", i)
			}
		}
	}
	subNames := map[string]bool{}
	for i, s := range c.Subscriptions {
		if n := s.name(); subNames[n] {
			bad("subscriptions[%d]: duplicate name %q (name, else destination, keys its position)", i, n)
		} else {
			subNames[n] = true
		}
		if _, _, err := net.SplitHostPort(s.Destination); err != nil {
			bad("subscriptions[%d].destination %q: %v", i, s.Destination, err)
		}
		if len(s.Events) == 0 {
			bad("subscriptions[%d]: no events", i)
		}
		for _, f := range []struct{ name, v string }{{"sending_application", s.SendingApplication}, {"sending_facility", s.SendingFacility}} {
			if hasControl(f.v) {
				bad("subscriptions[%d].%s %q: control characters", i, f.name, f.v)
			}
		}
		for _, e := range s.Events {
			switch e {
			case EventReportFinal, EventPatientUpdate, EventOrderPlaced:
			default:
				bad("subscriptions[%d]: unknown event %q (want %s, %s or %s)", i, e, EventReportFinal, EventPatientUpdate, EventOrderPlaced)
			}
		}
	}
	for _, f := range []struct{ name, v string }{{"sending_application", c.SendingApplication}, {"sending_facility", c.SendingFacility}} {
		if hasControl(f.v) {
			bad("%s %q: control characters", f.name, f.v)
		}
	}
	if c.Workers < -1 || c.MaxAttempts < 0 || c.GroupCommit < 0 || c.Backoff < 0 || c.MaxBackoff < 0 {
		bad("negative workers, attempts, backoff or group commit")
	}
	if _, err := c.mapperConfig(institution); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (l Listener) name() string {
	if l.Name != "" {
		return l.Name
	}
	return l.Addr
}

// mapperConfig builds and validates the v2fhir configuration of the
// senders of one institution.
func (c *Config) mapperConfig(institution string) (v2fhir.Config, error) {
	mc := v2fhir.Config{
		Authorities:             c.Mapping.Authorities,
		ResidentIDAuthorities:   c.Mapping.ResidentIDAuthorities,
		CodeSystems:             c.Mapping.CodeSystems,
		LocalSystemBase:         c.Mapping.LocalSystemBase,
		RejectUnmappedAuthority: c.Mapping.RejectUnmappedAuthority,
		Unmapped:                v2fhir.UnmappedPolicy(c.Mapping.Unmapped),
		DefaultInstitution:      institution,
	}
	// One mapper per institution, whose DefaultInstitution tags every
	// resource: the meta.tag then always equals the store partition the
	// sender rule chose (v2fhir's own Senders map keys on MSH-4 only).
	if err := mc.Validate(); err != nil {
		return mc, fmt.Errorf("mllp: mapping: %w", err)
	}
	return mc, nil
}

// withDefaults fills the zero settings.
func (c Config) withDefaults() Config {
	switch c.Workers {
	case 0:
		c.Workers = 2
	case -1:
		c.Workers = 0
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = 5
	}
	if c.Backoff == 0 {
		c.Backoff = time.Second
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = 5 * time.Minute
	}
	if c.GroupCommit == 0 {
		c.GroupCommit = 256
	}
	if c.Outbound.Timeout == 0 {
		c.Outbound.Timeout = 30 * time.Second
	}
	if c.Outbound.MaxAttempts == 0 {
		c.Outbound.MaxAttempts = 10
	}
	return c
}

// hasControl reports whether s holds a control character, which no MSH
// field may carry (a CR would end the segment).
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}
