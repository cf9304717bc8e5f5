package empi

import (
	"strings"
	"unicode"

	"yigong/fhir/r4"
	"yigong/profiles/cn"
	"yigong/profiles/cn/pinyin"
)

// ExtRegionCode is the extension on Address carrying the GB/T 2260 code of
// the county (valueCode, six digits).
const ExtRegionCode = "http://yigong.cn/fhir/StructureDefinition/address-region-code"

// FromPatient reads a matching record from a Patient: identifiers with
// their systems canonicalised (both resident-ID OIDs fold to one), the
// official Hanzi name (else the first name), gender, birth date, phone
// numbers and the county code of the home address (the ExtRegionCode
// extension, else Address.district/city/state looked up in GB/T 2260).
// source is the institution the record comes from.
func FromPatient(p *r4.Patient, source string) Record {
	rec := Record{ID: p.ID, Source: source}
	for _, id := range p.Identifier {
		if id.Value == "" || id.Use == "old" {
			continue
		}
		rec.Identifiers = append(rec.Identifiers, Identifier{System: cn.CanonicalSystem(id.System), Value: id.Value})
	}
	if n := pickName(p.Name); n != nil {
		rec.Family = n.Family
		rec.Given = strings.Join(n.Given, "")
		if rec.Family == "" && rec.Given == "" {
			rec.Given = n.Text
		}
	}
	switch p.Gender {
	case "male":
		rec.Sex = cn.Male
	case "female":
		rec.Sex = cn.Female
	}
	if d, ok := parseDate(p.BirthDate); ok {
		rec.BirthDate = d
	}
	for _, t := range p.Telecom {
		if (t.System == "phone" || t.System == "sms") && t.Value != "" {
			rec.Phones = append(rec.Phones, t.Value)
		}
	}
	for _, a := range p.Address {
		if a.Use == "old" {
			continue
		}
		if code := regionOf(&a); code != "" {
			rec.Region = code
			break
		}
	}
	return rec
}

// pickName prefers an official name written in Hanzi, then any Hanzi name,
// then the first.
func pickName(names []r4.HumanName) *r4.HumanName {
	var best *r4.HumanName
	score := -1
	for i := range names {
		n := &names[i]
		s := 0
		if hasHan(n.Family + strings.Join(n.Given, "") + n.Text) {
			s += 2
		}
		if n.Use == "official" || n.Use == "" || n.Use == "usual" {
			s++
		}
		if n.Use == "old" {
			s -= 3
		}
		if s > score {
			best, score = n, s
		}
	}
	return best
}

func parseDate(s string) (cn.Date, bool) {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return cn.Date{}, false
	}
	d := cn.Date{Year: atoiSafe(s[:4]), Month: atoiSafe(s[5:7]), Day: atoiSafe(s[8:10])}
	return d, cn.ValidDate(d)
}

func atoiSafe(s string) int {
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return -1
		}
		n = n*10 + int(r-'0')
	}
	return n
}

func regionOf(a *r4.Address) string {
	for _, e := range a.Extension {
		if e.Url == ExtRegionCode && cn.CheckRegion(e.ValueCode) != cn.RegionInvalid {
			return e.ValueCode
		}
	}
	if a.District != "" {
		return cn.FindRegion(a.State, a.City, a.District)
	}
	return ""
}

// ToPatient writes a record as a Patient (for tests and for the $match
// input of clients that only have demographics).
func ToPatient(r Record) *r4.Patient {
	p := &r4.Patient{ID: r.ID}
	for _, id := range r.Identifiers {
		sys := cn.CanonicalSystem(id.System)
		ident := r4.Identifier{System: sys, Value: id.Value}
		if tc := cn.TypeCode(sys); tc != "" {
			ident.Type = &r4.CodeableConcept{Coding: []r4.Coding{{System: cn.TypeCodeSystem, Code: tc}}}
		}
		p.Identifier = append(p.Identifier, ident)
	}
	if r.Family != "" || r.Given != "" {
		fam, giv := r.Family, r.Given
		if fam == "" && hasHan(giv) {
			fam, giv = pinyin.Split(giv)
		}
		n := r4.HumanName{Use: "official", Family: fam, Text: fam + giv}
		if giv != "" {
			n.Given = []string{giv}
		}
		p.Name = append(p.Name, n)
	}
	p.Gender = string(r.Sex)
	if !r.BirthDate.IsZero() {
		p.BirthDate = r.BirthDate.String()
	}
	for _, ph := range r.Phones {
		p.Telecom = append(p.Telecom, r4.ContactPoint{System: "phone", Value: ph, Use: "mobile"})
	}
	if r.Region != "" {
		a := r4.Address{Use: "home", Extension: []r4.Extension{{Url: ExtRegionCode, ValueCode: r.Region}}}
		if n, ok := cn.RegionName(r.Region); ok {
			a.District = n
		}
		p.Address = append(p.Address, a)
	}
	return p
}

// PhoneticKeys returns the strings the R4 `phonetic` search parameter of
// Patient indexes for one HumanName: the toneless pinyin of a Hanzi name
// without spaces ("wangxiaodong"), surname readings applied (单 shan), and
// the variants a polyphonic given-name character allows (at most four
// keys). A name without Hanzi yields its letters lower-cased without spaces
// ("john smith" → "johnsmith"). Search values go through [PhoneticQuery]
// and match a key exactly (or as a prefix, for a search engine that
// prefers it).
func PhoneticKeys(n r4.HumanName) []string {
	fam, giv := n.Family, strings.Join(n.Given, "")
	if fam == "" && giv == "" {
		fam, giv = pinyin.Split(n.Text)
		if !hasHan(n.Text) {
			fam, giv = n.Text, ""
		}
	}
	if !hasHan(fam + giv) {
		if k := PhoneticQuery(fam + giv); k != "" {
			return []string{k}
		}
		return nil
	}
	famPy := pinyin.Join(pinyin.SurnameSyllables(fam))
	keys := []string{famPy}
	for _, r := range pinyin.Fold(giv) {
		rd := pinyin.Lookup(r)
		if rd.Len() == 0 {
			if unicode.IsLetter(r) {
				for i := range keys {
					keys[i] += string(unicode.ToLower(r))
				}
			}
			continue
		}
		var next []string
		for _, k := range keys {
			for i := 0; i < rd.Len(); i++ {
				if len(next) < 4 || i == 0 {
					next = append(next, k+rd.At(i).String())
				}
			}
		}
		if len(next) > 4 {
			next = next[:4]
		}
		keys = next
	}
	return keys
}

// PhoneticQuery normalises a phonetic search value: lower case, tones and
// spaces, apostrophes and hyphens removed, ü (or u:) as v; Hanzi in the
// value are turned into pinyin. "Wáng Xiǎo-dōng" → "wangxiaodong".
func PhoneticQuery(q string) string {
	q = strings.ReplaceAll(strings.ToLower(q), "u:", "v")
	var b strings.Builder
	for _, r := range q {
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteRune(r)
		case unicode.Is(unicode.Han, r):
			b.WriteString(pinyin.Syllable(pinyin.FoldRune(r)))
		default:
			if f, ok := toneFold[r]; ok {
				b.WriteString(f)
			}
		}
	}
	return b.String()
}

var toneFold = map[rune]string{
	'ā': "a", 'á': "a", 'ǎ': "a", 'à': "a",
	'ē': "e", 'é': "e", 'ě': "e", 'è': "e", 'ê': "e",
	'ī': "i", 'í': "i", 'ǐ': "i", 'ì': "i",
	'ō': "o", 'ó': "o", 'ǒ': "o", 'ò': "o",
	'ū': "u", 'ú': "u", 'ǔ': "u", 'ù': "u",
	'ü': "v", 'ǖ': "v", 'ǘ': "v", 'ǚ': "v", 'ǜ': "v",
}
