package v2fhir

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// ID names this adapter in the host's registry (a dotted namespace, as
// Caddy module IDs are).
const ID = "adapters.hl7v2.fhir"

// Identifier systems this package knows by heart.
const (
	// ResidentIDSystem is the GB 11643 resident identity card number
	// (居民身份证号) as WS/T 500 and the 互联互通 standards name it.
	ResidentIDSystem = "urn:oid:2.16.156.10011.1.3"
	// ResidentIDSystemHL7China is the same identifier system under the OID
	// used in HL7 China work; identifiers sent under it are normalised to
	// ResidentIDSystem so that one conditional search finds one patient.
	ResidentIDSystemHL7China = "urn:oid:2.16.840.1.113883.2.23.1.19.1"
	// DefaultLocalSystemBase prefixes the systems this package derives for
	// names that Config does not map (see Config.LocalSystemBase).
	DefaultLocalSystemBase = "urn:yigong:v2:"
	// DefaultInstitutionSystem is the meta.tag system carrying the sender's
	// institution (the partition key).
	DefaultInstitutionSystem = "urn:yigong:institution"
	// TagSystem is the meta.tag system of the flags this package sets;
	// TagCritical marks an Observation whose OBX-8 is a critical
	// (panic) flag: HH, LL or AA (HL7 table 0078).
	TagSystem   = "urn:yigong:v2fhir:tag"
	TagCritical = "critical"
)

// UnmappedPolicy says what the caller should do with a message type outside
// the mapped list. Map returns an error matching ErrNotMapped either way;
// [Error.AckCode] reflects the policy.
type UnmappedPolicy string

// Unmapped message policies.
const (
	// UnmappedAccept: the caller stores the original message and
	// acknowledges AA (the default: nothing a sender sends is refused).
	UnmappedAccept UnmappedPolicy = "accept"
	// UnmappedReject: the caller acknowledges AR with ERR code 200
	// (unsupported message type).
	UnmappedReject UnmappedPolicy = "reject"
)

// Config is the plain data a Mapper is built from, filled from the hub's
// configuration file. Validate it once at start-up.
type Config struct {
	// Authorities maps an identifier's assigning authority (CX-4, EI-2..4:
	// the namespace ID, or the universal ID) to a FHIR identifier system
	// URI, e.g. "HIS1" → "http://hospital.example/fhir/mrn" or
	// "urn:oid:1.2.156.112604.1.2.3". A value of ResidentIDSystem (or its
	// HL7 China OID) marks that authority as the resident ID.
	Authorities map[string]string
	// ResidentIDAuthorities are further authority names meaning the GB
	// 11643 resident ID, e.g. "SFZ", "身份证", "IDCARD". Matching ignores
	// case.
	ResidentIDAuthorities []string
	// CodeSystems maps local coding-system names (CWE-3) to URIs, on top of
	// the built-in table (LN, SCT, I10, UCUM, HL7nnnn, ...).
	CodeSystems map[string]string
	// Senders maps a sending facility (MSH-4.1; MSH-3.1 when MSH-4 is
	// empty) to its settings.
	Senders map[string]Sender
	// DefaultInstitution is the institution of senders not in Senders;
	// empty leaves their resources untagged.
	DefaultInstitution string
	// InstitutionSystem is the meta.tag system for institutions; empty
	// means DefaultInstitutionSystem.
	InstitutionSystem string
	// LocalSystemBase prefixes the URIs derived for unmapped authorities
	// ("<base>id:<name>"), unknown coding systems ("<base>cs:<name>"),
	// locations ("<base>loc:<institution>") and keys made for resources
	// without a business identifier ("<base>key:<type>"). Empty means
	// DefaultLocalSystemBase. It must be an absolute URI.
	LocalSystemBase string
	// RejectUnmappedAuthority makes an identifier whose assigning authority
	// is not in Authorities an error (ACK AE) instead of a warning.
	RejectUnmappedAuthority bool
	// Unmapped is the policy for message types outside the mapped list;
	// empty means UnmappedAccept.
	Unmapped UnmappedPolicy
}

// Sender is the per-sender part of Config.
type Sender struct {
	// Institution is the sender's institution code (the partition key),
	// written to every resource as meta.tag.
	Institution string
}

var (
	oidURN     = regexp.MustCompile(`^urn:oid:[0-2](\.(0|[1-9][0-9]*))+$`)
	uuidURN    = regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	codeLexeme = regexp.MustCompile(`^[^\s]+( [^\s]+)*$`)
)

// checkSystemURI reports whether s can be an identifier or code system: an
// absolute URI without white space; urn:oid and urn:uuid must be well
// formed.
func checkSystemURI(s string) error {
	if s == "" || strings.ContainsAny(s, " \t\r\n") {
		return errors.New("must be a non-empty URI without spaces")
	}
	switch {
	case strings.HasPrefix(s, "urn:oid:"):
		if !oidURN.MatchString(s) {
			return errors.New("malformed urn:oid")
		}
	case strings.HasPrefix(s, "urn:uuid:"):
		if !uuidURN.MatchString(s) {
			return errors.New("malformed urn:uuid")
		}
	default:
		u, err := url.Parse(s)
		if err != nil {
			return err
		}
		if u.Scheme == "" {
			return errors.New("not an absolute URI")
		}
	}
	return nil
}

// Validate checks the configuration; Mapper construction calls it, so a bad
// mapping stops start-up. All problems are reported together.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("v2fhir: config: "+format, args...))
	}
	for _, k := range slices.Sorted(maps.Keys(c.Authorities)) {
		if strings.TrimSpace(k) == "" {
			bad("authorities: empty authority name")
			continue
		}
		if err := checkSystemURI(c.Authorities[k]); err != nil {
			bad("authorities[%q] = %q: %v", k, c.Authorities[k], err)
		}
	}
	for _, a := range c.ResidentIDAuthorities {
		if strings.TrimSpace(a) == "" {
			bad("residentIDAuthorities: empty name")
			continue
		}
		if sys, ok := c.Authorities[a]; ok && !isResidentSystem(sys) {
			bad("authority %q is both a resident ID authority and mapped to %q", a, sys)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(c.CodeSystems)) {
		if strings.TrimSpace(k) == "" {
			bad("codeSystems: empty name")
			continue
		}
		if err := checkSystemURI(c.CodeSystems[k]); err != nil {
			bad("codeSystems[%q] = %q: %v", k, c.CodeSystems[k], err)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(c.Senders)) {
		inst := c.Senders[k].Institution
		if strings.TrimSpace(k) == "" {
			bad("senders: empty facility name")
		}
		if !codeLexeme.MatchString(inst) {
			bad("senders[%q]: institution %q must be a code (no leading, trailing or repeated spaces)", k, inst)
		}
	}
	if c.DefaultInstitution != "" && !codeLexeme.MatchString(c.DefaultInstitution) {
		bad("defaultInstitution %q must be a code", c.DefaultInstitution)
	}
	if c.InstitutionSystem != "" {
		if err := checkSystemURI(c.InstitutionSystem); err != nil {
			bad("institutionSystem %q: %v", c.InstitutionSystem, err)
		}
	}
	if c.LocalSystemBase != "" {
		if err := checkSystemURI(c.LocalSystemBase); err != nil {
			bad("localSystemBase %q: %v", c.LocalSystemBase, err)
		}
	}
	switch c.Unmapped {
	case "", UnmappedAccept, UnmappedReject:
	default:
		bad("unmapped policy %q: want %q or %q", c.Unmapped, UnmappedAccept, UnmappedReject)
	}
	return errors.Join(errs...)
}

func isResidentSystem(s string) bool { return s == ResidentIDSystem || s == ResidentIDSystemHL7China }
