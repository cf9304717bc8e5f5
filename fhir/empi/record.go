package empi

import (
	"strings"
	"unicode"

	"yigong/profiles/cn"
	"yigong/profiles/cn/pinyin"
)

// Record is one registration of a person at one institution: what matching
// compares. Identifier systems are canonicalised when the record is indexed
// or matched (cn.CanonicalSystem), so aliases of a system compare equal.
type Record struct {
	ID          string // the record's key (Patient id, or institution|local id)
	Source      string // institution code
	Family      string // surname in Hanzi (or Latin letters)
	Given       string // given name; if Family is empty, Given holds the full name
	BirthDate   cn.Date
	Sex         cn.Sex // "" unknown
	Phones      []string
	Region      string // GB/T 2260 county code of the address, six digits
	Identifiers []Identifier
}

// Identifier is a system and a value.
type Identifier struct{ System, Value string }

// Sex codes inside a compiled record.
const (
	sexUnknown byte = iota
	sexMale
	sexFemale
)

// compiled is the matching form of a Record, computed once.
type compiled struct {
	name     []rune            // folded (simplified) characters, no spaces
	readings []pinyin.Readings // per character
	syl      []pinyin.Syl      // per character: primary reading (surname reading for the surname)
	famLen   int               // characters of the surname
	py       string            // toneless pinyin, no spaces
	pyFam    string            // toneless pinyin of the surname
	pyGiven  string            // toneless pinyin of the given name
	initials string            // first letters
	dob      int32             // yyyymmdd, 0 unknown
	sex      byte              // sexUnknown, sexMale, sexFemale
	phones   []string          // normalised 11-digit mobiles or digits
	region   uint32            // six digits as a number, 0 unknown
	rid      string            // valid 18-digit resident ID (15-digit upgraded)
	ridRaw   string            // normalised resident ID that did not validate
	ridOK    bool              // rid consistent with dob and sex of the record
	yb       string            // 医保 number
	hc       string            // 电子健康卡
	passport string            // system|value
	locals   map[string]string // other systems → value
}

func compile(r *Record) compiled {
	var c compiled
	fam, giv := strings.TrimSpace(r.Family), strings.TrimSpace(r.Given)
	if fam == "" && giv != "" && hasHan(giv) {
		fam, giv = pinyin.Split(giv)
	}
	fam, giv = pinyin.Fold(cleanName(fam)), pinyin.Fold(cleanName(giv))
	c.name = []rune(fam + giv)
	c.famLen = len([]rune(fam))
	famSyl := pinyin.SurnameSyllables(fam)
	givSyl := pinyin.Syllables(giv)
	c.readings = make([]pinyin.Readings, len(c.name))
	c.syl = make([]pinyin.Syl, len(c.name))
	for i, ch := range c.name {
		c.readings[i] = pinyin.Lookup(ch)
		c.syl[i] = c.readings[i].Primary()
	}
	if len(famSyl) == c.famLen {
		for i, s := range famSyl {
			if id := pinyin.SylOf(s); id != 0 {
				c.syl[i] = id
				c.readings[i] = c.readings[i].With(id)
			}
		}
	}
	c.pyFam = pinyin.Join(famSyl)
	c.pyGiven = pinyin.Join(givSyl)
	c.py = c.pyFam + c.pyGiven
	c.initials = pinyin.Initials(famSyl, givSyl)
	if !r.BirthDate.IsZero() && cn.ValidDate(r.BirthDate) {
		c.dob = int32(r.BirthDate.Year*10000 + r.BirthDate.Month*100 + r.BirthDate.Day)
	}
	switch r.Sex {
	case cn.Male:
		c.sex = sexMale
	case cn.Female:
		c.sex = sexFemale
	}
	for _, p := range r.Phones {
		if n := normalizePhone(p); n != "" {
			c.phones = append(c.phones, n)
		}
	}
	if cn.CheckRegion(r.Region) != cn.RegionInvalid {
		for i := 0; i < 6; i++ {
			c.region = c.region*10 + uint32(r.Region[i]-'0')
		}
	}
	for _, id := range r.Identifiers {
		sys := cn.CanonicalSystem(id.System)
		v := strings.TrimSpace(id.Value)
		if v == "" {
			continue
		}
		switch {
		case sys == cn.SystemResidentID:
			if c.rid != "" {
				continue
			}
			p, err := cn.ParseResidentID(v)
			if err != nil {
				c.ridRaw = cn.NormalizeResidentID(v)
				continue
			}
			c.rid = p.Number
			c.ridRaw = ""
			d := int32(p.Birth.Year*10000 + p.Birth.Month*100 + p.Birth.Day)
			sexOK := c.sex == sexUnknown || (c.sex == sexMale) == (p.Sex == cn.Male)
			c.ridOK = sexOK && (c.dob == 0 || c.dob == d || dateLevel(c.dob, d) == dobTransposed)
		case sys == cn.SystemMedicalInsurance:
			c.yb = strings.ToUpper(v)
		case sys == cn.SystemHealthCard:
			c.hc = strings.ToUpper(v)
		case cn.TypeCode(sys) == "PPN":
			c.passport = sys + "|" + strings.ToUpper(v)
		default:
			if c.locals == nil {
				c.locals = map[string]string{}
			}
			c.locals[sys] = v
		}
	}
	return c
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// cleanName drops spaces, the middle dots of minority names and
// punctuation, and folds full-width Latin letters and digits. Digits stay:
// hospitals name newborn twins 李梅之子1 and 李梅之子2, and temporary
// registrations 无名氏3, so a digit is what tells two people apart.
func cleanName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'Ａ' && r <= 'Ｚ':
			r = r - 'Ａ' + 'a'
		case r >= 'ａ' && r <= 'ｚ':
			r = r - 'ａ' + 'a'
		case r >= 'A' && r <= 'Z':
			r = r - 'A' + 'a'
		case r >= '０' && r <= '９':
			r = r - '０' + '0'
		}
		if unicode.IsLetter(r) || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// normalizePhone keeps digits (full-width folded), drops a +86/0086 prefix;
// numbers shorter than 7 digits are dropped.
func normalizePhone(p string) string {
	var b []byte
	for _, r := range p {
		switch {
		case r >= '0' && r <= '9':
			b = append(b, byte(r))
		case r >= '０' && r <= '９':
			b = append(b, byte(r-'０'+'0'))
		}
	}
	s := string(b)
	if len(s) == 13 && strings.HasPrefix(s, "86") {
		s = s[2:]
	} else if len(s) == 15 && strings.HasPrefix(s, "0086") {
		s = s[4:]
	}
	if len(s) < 7 {
		return ""
	}
	return s
}
