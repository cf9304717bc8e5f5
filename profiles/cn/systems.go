package cn

import (
	"net/url"
	"strings"
)

// Identifier systems. The resident ID has two OIDs in use; SystemResidentID is
// the canonical one (the WS/T standards' OID), SystemResidentIDHL7China its
// alias from HL7 China work.
const (
	SystemResidentID         = "urn:oid:2.16.156.10011.1.3"
	SystemResidentIDHL7China = "urn:oid:2.16.840.1.113883.2.23.1.19.1"
	// SystemHealthCard is the 居民健康卡/电子健康卡 number (WS/T 500 OID arc of
	// the National Health Commission).
	SystemHealthCard = "urn:oid:2.16.156.10011.1.19"
	// SystemMedicalInsurance is the national 医保 personal number. No OID is
	// published for it; this yigong-defined URI stands until the provincial
	// platform assigns one (then add the OID to the alias table).
	SystemMedicalInsurance = "http://yigong.cn/fhir/sid/yibao"
	// SystemPassportCN is a passport issued by China: HL7's passport arc
	// 2.16.840.1.113883.4.330 followed by the ISO 3166 numeric country code.
	SystemPassportCN = "urn:oid:2.16.840.1.113883.4.330.156"

	passportArc = "urn:oid:2.16.840.1.113883.4.330."
	localBase   = "http://yigong.cn/fhir/sid/"
)

// aliases maps every known spelling of a system to its canonical URI.
var aliases = map[string]string{
	SystemResidentIDHL7China:        SystemResidentID,
	"2.16.840.1.113883.2.23.1.19.1": SystemResidentID,
	"2.16.156.10011.1.3":            SystemResidentID,
	"urn:oid:2.16.156.10011.1.3.1":  SystemResidentID, // seen in vendor feeds
	"2.16.156.10011.1.19":           SystemHealthCard,
	"2.16.840.1.113883.4.330.156":   SystemPassportCN,
}

// CanonicalSystem returns the canonical URI of an identifier system: aliases
// fold to one URI, bare OIDs gain "urn:oid:"; unknown systems are returned
// trimmed but otherwise unchanged.
func CanonicalSystem(system string) string {
	s := strings.TrimSpace(system)
	if c, ok := aliases[s]; ok {
		return c
	}
	if isOID(s) {
		s = "urn:oid:" + s
		if c, ok := aliases[s]; ok {
			return c
		}
	}
	return s
}

// Aliases returns every spelling that folds to the canonical form of system,
// the canonical first (for search engines that expand a query rather than
// canonicalise the index).
func Aliases(system string) []string {
	c := CanonicalSystem(system)
	out := []string{c}
	for a, to := range aliases {
		if to == c && a != c {
			out = append(out, a)
		}
	}
	return out
}

func isOID(s string) bool {
	if s == "" || s[0] < '0' || s[0] > '2' {
		return false
	}
	dot := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.':
			if dot || i == len(s)-1 {
				return false
			}
			dot = true
		case c >= '0' && c <= '9':
			dot = false
		default:
			return false
		}
	}
	return strings.Contains(s, ".")
}

// PassportSystem returns the system of passports issued by the country with
// ISO 3166-1 numeric code numeric ("156" China, "840" United States).
func PassportSystem(numeric string) string { return passportArc + numeric }

// LocalKind is the kind of an institution's local patient id.
type LocalKind string

// Local id kinds.
const (
	Outpatient LocalKind = "outpatient" // 门诊号
	Inpatient  LocalKind = "inpatient"  // 住院号
	VisitCard  LocalKind = "card"       // 就诊卡号
)

// LocalSystem returns the system of an institution's local ids of one kind:
// http://yigong.cn/fhir/sid/org/<institution code>/<kind>. The institution
// code is its 统一社会信用代码 (or 组织机构代码), path-escaped.
func LocalSystem(institution string, kind LocalKind) string {
	return localBase + "org/" + url.PathEscape(strings.TrimSpace(institution)) + "/" + string(kind)
}

// ParseLocalSystem reports whether system is a local id system and returns
// its institution code and kind.
func ParseLocalSystem(system string) (institution string, kind LocalKind, ok bool) {
	rest, found := strings.CutPrefix(system, localBase+"org/")
	if !found {
		return "", "", false
	}
	i := strings.LastIndexByte(rest, '/')
	if i <= 0 {
		return "", "", false
	}
	inst, err := url.PathUnescape(rest[:i])
	if err != nil {
		return "", "", false
	}
	return inst, LocalKind(rest[i+1:]), true
}

// Identifier type codes (HL7 v2 table 0203,
// http://terminology.hl7.org/CodeSystem/v2-0203) for each system.
const (
	TypeCodeSystem = "http://terminology.hl7.org/CodeSystem/v2-0203"
)

// TypeCode returns the v2-0203 identifier type of a canonical system:
// NNCHN (resident ID), PPN (passport), SN (医保 subscriber number), JHN
// (health card), MR (门诊号, 住院号), PI (就诊卡号); "" when unknown.
func TypeCode(system string) string {
	system = CanonicalSystem(system)
	switch {
	case system == SystemResidentID:
		return "NNCHN"
	case strings.HasPrefix(system, passportArc):
		return "PPN"
	case system == SystemMedicalInsurance:
		return "SN"
	case system == SystemHealthCard:
		return "JHN"
	}
	if _, k, ok := ParseLocalSystem(system); ok {
		if k == VisitCard {
			return "PI"
		}
		return "MR"
	}
	return ""
}
