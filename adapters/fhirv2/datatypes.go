package fhirv2

import (
	"strings"
	"time"

	"yigong/fhir/r4"
	"yigong/hl7v2"
)

const v20203 = "http://terminology.hl7.org/CodeSystem/v2-0203"

// Data type maps of the v2-to-FHIR IG ("HL7 Data Type - FHIR R4_ ..."),
// each building the escaped text of one repetition.

// hd returns an HD as components (sep: the component separator for a CX
// authority is the sub-component one).
func (e *Encoder) hd(ns, uid, uidType string, sep byte) string {
	return join(sep, e.esc(ns), e.esc(uid), e.esc(uidType))
}

// identifierType returns the table 0203 code of an Identifier's type.
func identifierType(id r4.Identifier) string {
	if id.Type == nil {
		return ""
	}
	for _, c := range id.Type.Coding {
		if c.System == v20203 && c.Code != "" {
			return c.Code
		}
	}
	return ""
}

// cx maps Identifier → CX (CX[Identifier] reversed): CX.1 value, CX.4
// assigning authority, CX.5 type (defType when the identifier has none;
// NNCHN for the resident ID), CX.7/8 period. ok is false for internal
// keys and identifiers without a value.
func (e *Encoder) cx(id r4.Identifier, defType string) (string, bool) {
	val := strings.TrimSpace(id.Value)
	if val == "" {
		return "", false
	}
	ns, uid, uidType, resident, ok := e.authority(id.System)
	if !ok {
		return "", false
	}
	typ := identifierType(id)
	if typ == "" {
		typ = defType
		if resident {
			typ = "NNCHN"
		}
	}
	var start, end string
	if id.Period != nil {
		start, end = e.dtm(id.Period.Start), e.dtm(id.Period.End)
	}
	c := e.d.Component
	return join(c, e.esc(val), "", "", e.hd(ns, uid, uidType, e.d.SubComponent), e.esc(typ), "", start, end), true
}

// ei maps Identifier → EI (EI.1 entity identifier, EI.2-4 the authority).
func (e *Encoder) ei(id *r4.Identifier) string {
	if id == nil || strings.TrimSpace(id.Value) == "" {
		return ""
	}
	ns, uid, uidType, _, ok := e.authority(id.System)
	if !ok {
		return ""
	}
	return join(e.d.Component, e.esc(id.Value), e.hd(ns, uid, uidType, e.d.Component))
}

// xpn maps HumanName → XPN (XPN[HumanName] reversed): family, given,
// further given names (XPN.3), suffix, prefix, XPN.7 name type (table
// 0200). A name with text only goes out as XPN.1, which is where Chinese
// HIS put an undivided name (王珅).
func (e *Encoder) xpn(n r4.HumanName) string {
	family := strings.TrimSpace(n.Family)
	var given, second string
	if len(n.Given) > 0 {
		given = n.Given[0]
	}
	if len(n.Given) > 1 {
		second = strings.Join(n.Given[1:], " ")
	}
	if family == "" && given == "" {
		family = strings.TrimSpace(n.Text)
	}
	if family == "" && given == "" {
		return ""
	}
	first := func(s []string) string {
		if len(s) > 0 {
			return s[0]
		}
		return ""
	}
	return join(e.d.Component, e.esc(family), e.esc(given), e.esc(second), e.esc(first(n.Suffix)), e.esc(first(n.Prefix)),
		"", nameType0200[n.Use])
}

// xad maps Address → XAD (XAD[Address] reversed): line 1 → XAD.1, further
// lines → XAD.2, city, state (省), postal code, country, XAD.7 type (use,
// else type), XAD.9 district (县/区).
func (e *Encoder) xad(a r4.Address) string {
	var l1, l2 string
	if len(a.Line) > 0 {
		l1 = a.Line[0]
	}
	if len(a.Line) > 1 {
		l2 = strings.Join(a.Line[1:], " ")
	}
	if l1 == "" && a.City == "" && a.State == "" && a.PostalCode == "" && a.Country == "" && a.District == "" {
		l1 = a.Text
	}
	typ := addressType0190[a.Use]
	if typ == "" {
		typ = addressType0190[a.Type]
	}
	out := join(e.d.Component, e.esc(l1), e.esc(l2), e.esc(a.City), e.esc(a.State), e.esc(a.PostalCode), e.esc(a.Country),
		typ, "", e.esc(a.District))
	if strings.Trim(out, string(e.d.Component)) == "" {
		return ""
	}
	return out
}

// xtn maps ContactPoint → XTN (XTN[ContactPoint] reversed): XTN.2 use
// (table 0201), XTN.3 equipment (table 0202), the number in XTN.1 (read by
// every version) or the address in XTN.4 for e-mail. A mobile phone is
// PRS^CP.
func (e *Encoder) xtn(c r4.ContactPoint) string {
	v := strings.TrimSpace(c.Value)
	if v == "" {
		return ""
	}
	use, equip := telecomUse0201[c.Use], telecomEquipment0202[c.System]
	if c.System == "phone" && c.Use == "mobile" {
		equip = "CP"
	}
	if c.System == "email" {
		return join(e.d.Component, "", "NET", equip, e.esc(v))
	}
	if equip == "" {
		return ""
	}
	return join(e.d.Component, e.esc(v), use, equip)
}

// cwe maps CodeableConcept → CWE (CWE[CodeableConcept] reversed): the
// first two codings in CWE.1-3 and CWE.4-6, their versions in CWE.7/8, the
// text in CWE.9 (original text); a concept with text only goes out as
// CWE.2.
func (e *Encoder) cwe(cc *r4.CodeableConcept) string {
	if cc == nil {
		return ""
	}
	var codings []r4.Coding
	for _, c := range cc.Coding {
		if strings.TrimSpace(c.Code) != "" {
			codings = append(codings, c)
		}
	}
	if len(codings) == 0 {
		if t := strings.TrimSpace(cc.Text); t != "" {
			return join(e.d.Component, "", e.esc(t))
		}
		return ""
	}
	parts := make([]string, 9)
	for i, c := range codings[:min(2, len(codings))] {
		parts[3*i], parts[3*i+1], parts[3*i+2] = e.esc(c.Code), e.esc(c.Display), e.esc(e.codeSystemName(c.System))
		parts[6+i] = e.esc(c.Version)
	}
	parts[8] = e.esc(cc.Text)
	return join(e.d.Component, parts...)
}

// xcn maps a Reference to a practitioner → XCN: XCN.1 the identifier
// value, XCN.2 the display (a Chinese name is one string), XCN.9 the
// identifier's authority.
func (e *Encoder) xcn(r *r4.Reference) string {
	if r == nil {
		return ""
	}
	var id, auth string
	if r.Identifier != nil {
		if ns, uid, uidType, _, ok := e.authority(r.Identifier.System); ok {
			id, auth = e.esc(r.Identifier.Value), e.hd(ns, uid, uidType, e.d.SubComponent)
		}
	}
	if id == "" && strings.TrimSpace(r.Display) == "" {
		return ""
	}
	return join(e.d.Component, id, e.esc(r.Display), "", "", "", "", "", "", auth)
}

// fhirTimeLayouts are the FHIR date, dateTime and instant forms, each with
// its precision; a dateTime without offset is read in hl7v2.DefaultZone.
var fhirTimeLayouts = []struct {
	layout string
	p      hl7v2.Precision
	loc    *time.Location
}{
	{"2006", hl7v2.PrecisionYear, time.UTC}, {"2006-01", hl7v2.PrecisionMonth, time.UTC}, {"2006-01-02", hl7v2.PrecisionDay, time.UTC},
	{"2006-01-02T15:04:05Z07:00", hl7v2.PrecisionSecond, time.UTC}, {"2006-01-02T15:04:05.999999999Z07:00", hl7v2.PrecisionMillisecond, time.UTC},
	{"2006-01-02T15:04:05", hl7v2.PrecisionSecond, hl7v2.DefaultZone},
}

// parseFHIRTime reads a FHIR date, dateTime or instant, keeping its
// precision and offset.
func parseFHIRTime(s string) (time.Time, hl7v2.Precision, bool) {
	s = strings.TrimSpace(s)
	for _, l := range fhirTimeLayouts {
		if t, err := time.ParseInLocation(l.layout, s, l.loc); err == nil {
			if l.p == hl7v2.PrecisionSecond && strings.Contains(s, ".") {
				continue
			}
			return t, l.p, true
		}
	}
	return time.Time{}, 0, false
}

// text escapes free text for a repeating TX/FT field: one repetition
// per line.
func (e *Encoder) text(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = hl7v2.Escape(l, e.d)
	}
	return strings.Join(lines, string(e.d.Repetition))
}

// dtm maps a FHIR date/dateTime/instant → DTM with the same precision and
// offset (dateTime[DTM] reversed); "" when s is empty or malformed.
func (e *Encoder) dtm(s string) string {
	t, p, ok := parseFHIRTime(s)
	if !ok {
		return ""
	}
	return hl7v2.FormatTS(t, p)
}
