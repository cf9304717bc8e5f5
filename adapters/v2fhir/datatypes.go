package v2fhir

import (
	"strings"

	"yigong/fhir/r4"
	"yigong/hl7v2"
	"yigong/profiles/cn"
)

// Data type maps of the v2-to-FHIR IG ("HL7 Data Type - FHIR R4_ ...").

const (
	v20203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
)

// system resolves an assigning authority (HD) to an identifier system:
// Config.Authorities by namespace then universal ID; a resident ID
// authority; an ISO universal ID as urn:oid, a UUID as urn:uuid, a URI as
// itself; else a derived "<base>id:<name>" with a warning (or an error under
// RejectUnmappedAuthority, signalled by ok false).
func (b *builder) system(hd hl7v2.HD, where string) (sys string, resident bool, ok bool) {
	ns, uid := strings.TrimSpace(hd.NamespaceID), strings.TrimSpace(hd.UniversalID)
	for _, k := range []string{ns, uid} {
		if k == "" {
			continue
		}
		if s, found := b.m.cfg.Authorities[k]; found && !isResidentSystem(s) {
			return s, false, true
		}
		u := strings.ToUpper(k)
		if b.m.resident[u] {
			return ResidentIDSystem, true, true
		}
		if s, found := b.m.authorities[u]; found {
			return s, false, true
		}
	}
	if uid != "" {
		switch strings.ToUpper(hd.UniversalIDType) {
		case "ISO":
			if s := "urn:oid:" + uid; oidURN.MatchString(s) {
				return s, isResidentSystem(s), true
			}
		case "UUID":
			if s := "urn:uuid:" + strings.ToLower(uid); uuidURN.MatchString(s) {
				return s, false, true
			}
		case "URI":
			if checkSystemURI(uid) == nil {
				return uid, false, true
			}
		}
	}
	name := ns
	if name == "" {
		name = uid
	}
	if name == "" {
		return "", false, true
	}
	if b.m.cfg.RejectUnmappedAuthority {
		return "", false, false
	}
	b.warn(where, "", "assigning authority %q is not mapped; derived system used", name)
	return b.m.base + "id:" + uriPart(name), false, true
}

// identifierFromCX maps CX → Identifier (CX[Identifier]): CX.1 value, CX.4
// system/assigner, CX.5 type (table 0203), CX.7/8 period. A resident ID
// gets ResidentIDSystem and its check digit verified (warning when wrong).
func (b *builder) identifierFromCX(cx hl7v2.CX, loc segLoc, field int) (*r4.Identifier, error) {
	val := strings.TrimSpace(cx.IDNumber)
	if val == "" {
		return nil, nil
	}
	where := loc.field(field)
	sys, resident, ok := b.system(cx.AssigningAuthority, where)
	if !ok {
		return nil, errAt(loc, field, 4, "103", "assigning authority "+cx.AssigningAuthority.NamespaceID+" is not mapped")
	}
	if !resident && sys == "" && strings.EqualFold(cx.IdentifierTypeCode, "NI") {
		// NI (national unique individual identifier, table 0203) without
		// an authority: the resident ID when it has its shape.
		if _, shape, _ := residentID(val); shape {
			resident = true
		}
	}
	id := &r4.Identifier{System: sys, Value: val}
	if resident {
		b.residentIdentifier(id, where)
	}
	if t := strings.TrimSpace(cx.IdentifierTypeCode); t != "" && codeLexeme.MatchString(t) {
		id.Type = &r4.CodeableConcept{Coding: []r4.Coding{{System: v20203, Code: t}}}
	}
	if cx.AssigningAuthority.NamespaceID != "" && !strings.HasPrefix(sys, b.m.base) {
		id.Assigner = &r4.Reference{Display: cx.AssigningAuthority.NamespaceID}
	}
	start, end := b.dateTime(cx.EffectiveDate, where+".7"), b.dateTime(cx.ExpirationDate, where+".8")
	if start != "" || end != "" {
		id.Period = &r4.Period{Start: start, End: end}
	}
	return id, nil
}

// residentIdentifier sets the resident ID system on id and checks its
// shape and check digit (GB 11643, ISO 7064 MOD 11-2), warning when wrong.
func (b *builder) residentIdentifier(id *r4.Identifier, where string) {
	id.System = ResidentIDSystem
	norm, shape, checkOK := residentID(id.Value)
	switch {
	case !shape:
		b.warn(where, "identifier", "resident ID %q is not 18 (or 15) digits", id.Value)
	case !checkOK:
		id.Value = norm
		b.warn(where, "identifier", "resident ID check digit is wrong (ISO 7064 MOD 11-2 gives %c)", residentCheckChar(norm[:17]))
	default:
		id.Value = norm
	}
	if id.Type == nil {
		id.Type = &r4.CodeableConcept{Coding: []r4.Coding{{System: v20203, Code: "NNCHN"}}, Text: "居民身份证号"}
	}
}

// identifierFromEI maps EI → Identifier (EI[Identifier-Extension]) with a
// table 0203 type code (PLAC, FILL, ...).
func (b *builder) identifierFromEI(ei hl7v2.EI, typ string, where string) *r4.Identifier {
	val := strings.TrimSpace(ei.EntityIdentifier)
	if val == "" {
		return nil
	}
	sys, _, ok := b.system(hl7v2.HD{NamespaceID: ei.NamespaceID, UniversalID: ei.UniversalID, UniversalIDType: ei.UniversalIDType}, where)
	if !ok || sys == "" {
		// Order numbers are unique within the sender: scope by it.
		sys = b.senderSystem("entity")
	}
	id := &r4.Identifier{System: sys, Value: val}
	if typ != "" {
		id.Type = &r4.CodeableConcept{Coding: []r4.Coding{{System: v20203, Code: typ}}}
	}
	return id
}

// humanName maps XPN → HumanName (XPN[HumanName]): XPN.1 family, XPN.2/3
// given, XPN.4/6/14 suffix, XPN.5 prefix, XPN.7 use (table 0200,
// NameType). When family and given are both Han characters the name is
// Chinese: text is family+given without a space (王小东).
func (b *builder) humanName(x hl7v2.XPN) *r4.HumanName {
	family := strings.TrimSpace(x.Family)
	n := &r4.HumanName{Family: family}
	if g := strings.TrimSpace(x.Given); g != "" {
		n.Given = append(n.Given, g)
	}
	if g := strings.TrimSpace(x.SecondNames); g != "" {
		n.Given = append(n.Given, g)
	}
	for _, s := range []string{x.Suffix, x.Degree, x.ProfessionalSuffix} {
		if s = strings.TrimSpace(s); s != "" {
			n.Suffix = append(n.Suffix, s)
		}
	}
	if p := strings.TrimSpace(x.Prefix); p != "" {
		n.Prefix = []string{p}
	}
	n.Use = nameUse0200[strings.ToUpper(strings.TrimSpace(x.NameTypeCode))]
	if cn.IsHanName(family) && len(n.Given) > 0 && cn.IsHanName(strings.Join(n.Given, "")) {
		n.Text = family + strings.Join(n.Given, "")
	}
	if n.Family == "" && len(n.Given) == 0 && n.Text == "" {
		return nil
	}
	return n
}

// address maps XAD → Address (XAD[Address]): XAD.1/2 line, .3 city, .4
// state (省), .5 postal code, .6 country, .7 use/type (AddressType), .9
// district (县/区).
func (b *builder) address(x hl7v2.XAD) *r4.Address {
	a := &r4.Address{City: strings.TrimSpace(x.City), State: strings.TrimSpace(x.State),
		PostalCode: strings.TrimSpace(x.Zip), Country: strings.TrimSpace(x.Country), District: strings.TrimSpace(x.County)}
	for _, l := range []string{x.Street, x.OtherDesignation} {
		if l = strings.TrimSpace(l); l != "" {
			a.Line = append(a.Line, l)
		}
	}
	switch t := strings.ToUpper(strings.TrimSpace(x.AddressType)); t {
	case "M":
		a.Type = "postal"
	case "SH":
		a.Type = "physical"
	default:
		a.Use = addressUse0190[t]
	}
	if len(a.Line) == 0 && a.City == "" && a.State == "" && a.PostalCode == "" && a.Country == "" && a.District == "" {
		return nil
	}
	return a
}

// contactPoint maps XTN → ContactPoint (XTN[ContactPoint]): XTN.2 use
// (table 0201), XTN.3 system (table 0202), value from XTN.4 for Internet,
// else XTN.12, XTN.1, or XTN.5-8 assembled.
func (b *builder) contactPoint(x hl7v2.XTN, defaultUse string) *r4.ContactPoint {
	eq := strings.TrimSpace(x.EquipmentType)
	c := &r4.ContactPoint{Use: telecomUse0201[strings.ToUpper(strings.TrimSpace(x.UseCode))]}
	switch strings.ToUpper(eq) {
	case "INTERNET", "X.400":
		c.System, c.Value = "email", strings.TrimSpace(x.Email)
	default:
		c.System = telecomSystem0202[strings.ToUpper(eq)]
		switch {
		case strings.TrimSpace(x.Unformatted) != "":
			c.Value = strings.TrimSpace(x.Unformatted)
		case strings.TrimSpace(x.LocalNumber) != "":
			v := strings.TrimSpace(x.AreaCode + " " + x.LocalNumber)
			if x.CountryCode != "" {
				v = "+" + strings.TrimSpace(x.CountryCode) + " " + v
			}
			if x.Extension != "" {
				v += " X" + strings.TrimSpace(x.Extension)
			}
			c.Value = v
		default:
			c.Value = strings.TrimSpace(x.TelephoneNumber)
		}
		if c.System == "" && eq == "" {
			if x.Email != "" && c.Value == "" {
				c.System, c.Value = "email", strings.TrimSpace(x.Email)
			} else {
				c.System = "phone"
			}
		}
		if strings.EqualFold(eq, "CP") {
			c.System, c.Use = "phone", "mobile"
		}
	}
	if c.Value == "" {
		return nil
	}
	if c.Use == "" {
		c.Use = defaultUse
	}
	return c
}

// codeable maps CWE → CodeableConcept (CWE[CodeableConcept]): CWE.1-3
// coding[1], CWE.4-6 coding[2], CWE.7/8 versions, CWE.9 text. A CWE with
// only text (CWE.2 without a code) becomes text alone.
func (b *builder) codeable(c hl7v2.CWE) *r4.CodeableConcept {
	cc := &r4.CodeableConcept{}
	if cd := b.coding(c.Identifier, c.Text, c.CodingSystem, c.CodingSystemVersionID); cd != nil {
		cc.Coding = append(cc.Coding, *cd)
	}
	if cd := b.coding(c.AlternateIdentifier, c.AlternateText, c.AlternateCodingSystem, c.AlternateCodingSystemVersionID); cd != nil {
		cc.Coding = append(cc.Coding, *cd)
	}
	cc.Text = strings.TrimSpace(c.OriginalText)
	if cc.Text == "" && len(cc.Coding) == 0 {
		cc.Text = strings.TrimSpace(c.Text)
	}
	if len(cc.Coding) == 0 && cc.Text == "" {
		return nil
	}
	return cc
}

func (b *builder) coding(code, display, system, version string) *r4.Coding {
	code = strings.Join(strings.Fields(code), " ")
	if code == "" {
		return nil
	}
	return &r4.Coding{Code: code, Display: strings.TrimSpace(display), System: b.codeSystem(system),
		Version: strings.TrimSpace(version)}
}

// codeSystem resolves a CWE-3 coding system name (HL7 table 0396) to a URI:
// Config.CodeSystems, the built-in table, HL7nnnn tables, else a derived
// "<base>cs:<name>".
func (b *builder) codeSystem(name string) string {
	name = strings.TrimSpace(name)
	if name == "" {
		return ""
	}
	u := strings.ToUpper(name)
	if s, ok := b.m.codeSystems[u]; ok {
		return s
	}
	if s, ok := codeSystems0396[u]; ok {
		return s
	}
	if len(u) == 8 && strings.HasPrefix(u, "HL7") && allDigits(u[3:]) {
		return "http://terminology.hl7.org/CodeSystem/v2-" + u[4:]
	}
	if checkSystemURI(name) == nil && strings.Contains(name, ":") {
		return name
	}
	return b.m.base + "cs:" + uriPart(name)
}

// dateTime maps DTM/TS → dateTime (DTM[dateTime], TS[dateTime]) keeping
// the sender's precision; a time without an offset is in +08:00. Invalid
// values are left out with a warning.
func (b *builder) dateTime(s, where string) string {
	s = strings.TrimSpace(s)
	if s == "" || s == `""` {
		return ""
	}
	dt, err := hl7v2.ParseDateTime(s)
	if err != nil {
		b.warn(where, "", "invalid date/time %q left out", s)
		return ""
	}
	return formatDateTime(dt)
}

func formatDateTime(dt hl7v2.DateTime) string {
	switch dt.Precision {
	case hl7v2.PrecisionYear:
		return dt.Format("2006")
	case hl7v2.PrecisionMonth:
		return dt.Format("2006-01")
	case hl7v2.PrecisionDay:
		return dt.Format("2006-01-02")
	case hl7v2.PrecisionMillisecond:
		return dt.Format("2006-01-02T15:04:05.000-07:00")
	}
	// Hours and minutes: FHIR dateTime needs seconds once a time is given.
	return dt.Format("2006-01-02T15:04:05-07:00")
}

// date maps a DTM to a FHIR date (the sender's calendar date).
func (b *builder) date(s, where string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	dt, err := hl7v2.ParseDateTime(s)
	if err != nil {
		b.warn(where, "", "invalid date %q left out", s)
		return ""
	}
	switch dt.Precision {
	case hl7v2.PrecisionYear:
		return dt.Format("2006")
	case hl7v2.PrecisionMonth:
		return dt.Format("2006-01")
	}
	return dt.Format("2006-01-02")
}

// instant maps a DTM to a FHIR instant, which needs at least seconds: a
// value given to the minute is completed with :00; coarser values are left
// out with a warning.
func (b *builder) instant(s, where string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	dt, err := hl7v2.ParseDateTime(s)
	if err != nil || dt.Precision < hl7v2.PrecisionMinute {
		b.warn(where, "", "date/time %q is not precise enough for an instant; left out", s)
		return ""
	}
	if dt.Precision == hl7v2.PrecisionMillisecond {
		return dt.Format("2006-01-02T15:04:05.000-07:00")
	}
	return dt.Format("2006-01-02T15:04:05-07:00")
}

// practitioner maps XCN → Reference(Practitioner) as a logical reference
// (identifier and display): Practitioner resources are the provider
// directory's, not created from messages.
func (b *builder) practitioner(x hl7v2.XCN, where string) *r4.Reference {
	ref := &r4.Reference{Type: "Practitioner"}
	if id := strings.TrimSpace(x.IDNumber); id != "" {
		sys, _, ok := b.system(x.AssigningAuthority, where)
		if !ok || sys == "" {
			sys = b.senderSystem("practitioner")
		}
		ref.Identifier = &r4.Identifier{System: sys, Value: id}
	}
	name := b.humanName(hl7v2.XPN{Family: x.Family, Given: x.Given, SecondNames: x.SecondNames, Prefix: x.Prefix})
	if name != nil {
		if name.Text != "" {
			ref.Display = name.Text
		} else {
			ref.Display = strings.TrimSpace(strings.Join(append(append(append([]string{}, name.Prefix...), name.Given...), name.Family), " "))
		}
	}
	if ref.Identifier == nil && ref.Display == "" {
		return nil
	}
	return ref
}

// location maps PL → a Location entry (PL[Location]) and returns a
// reference to it. One Location per distinct PL stands for its most
// specific level (bed, else room, else point of care); its identifier
// joins facility, point of care, room and bed, so the same bed is one
// Location across messages. The IG's hierarchy (partOf chains) is not
// built.
func (b *builder) location(pl hl7v2.PL, pos string) *r4.Reference {
	parts := []string{pl.Facility.NamespaceID, pl.PointOfCare, pl.Room, pl.Bed}
	key := ""
	valued := false
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if i > 0 {
			key += "^"
		}
		key += p
		if p != "" && i > 0 {
			valued = true
		}
	}
	if !valued {
		return nil
	}
	inst := b.inst
	if inst == "" {
		inst = b.sender
	}
	id := r4.Identifier{System: b.m.base + "loc:" + uriPart(inst), Value: key}
	var names []string
	for _, p := range []string{pl.PointOfCare, pl.Room, pl.Bed} {
		if p = strings.TrimSpace(p); p != "" {
			names = append(names, p)
		}
	}
	loc := &r4.Location{Meta: b.meta(), Identifier: []r4.Identifier{id}, Mode: "instance",
		Name: strings.Join(names, " "), Description: strings.TrimSpace(pl.Description)}
	switch {
	case strings.TrimSpace(pl.Bed) != "":
		loc.PhysicalType = physicalType("bd", "Bed")
	case strings.TrimSpace(pl.Room) != "":
		loc.PhysicalType = physicalType("ro", "Room")
	}
	ref := b.add(loc, pos, id, ensure)
	ref.Display = loc.Name
	return ref
}

func physicalType(code, display string) *r4.CodeableConcept {
	return &r4.CodeableConcept{Coding: []r4.Coding{{System: "http://terminology.hl7.org/CodeSystem/location-physical-type", Code: code, Display: display}}}
}

// annotation maps an NTE to an Annotation (NTE[...]: NTE-3 text, NTE-5
// author, NTE-6 time).
func (b *builder) annotation(l segLoc) *r4.Annotation {
	nte := hl7v2.NTE{Segment: l.seg}
	var lines []string
	for _, r := range nte.Comment().Repetitions() {
		lines = append(lines, r.String())
	}
	text := strings.TrimSpace(strings.Join(lines, "\n"))
	if text == "" {
		return nil
	}
	a := &r4.Annotation{Text: text, Time: b.dateTime(nte.EnteredDateTime().Component(1).String(), l.field(6))}
	if p := b.practitioner(nte.EnteredBy(), l.field(5)); p != nil {
		a.AuthorReference = p
	}
	return a
}

// text returns a TX/ST value as plain text; for FT, formatting commands
// become line breaks (\.br\, \.sp\, \.ce\) or are dropped (\H\, \N\, ...).
func (b *builder) text(v hl7v2.Value, formatted bool) string {
	if !formatted {
		return v.String()
	}
	var s strings.Builder
	for _, r := range hl7v2.FormatText(v.Raw(), b.msg.Delims) {
		if r.Escape == "" {
			s.WriteString(r.Text)
		} else if strings.HasPrefix(r.Escape, ".br") || strings.HasPrefix(r.Escape, ".sp") || strings.HasPrefix(r.Escape, ".ce") {
			s.WriteByte('\n')
		}
	}
	return s.String()
}
