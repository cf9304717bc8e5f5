package evalgen

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"

	"golang.org/x/text/encoding/simplifiedchinese"

	"yigong/fhir/empi"
	"yigong/profiles/cn"
	"yigong/profiles/cn/pinyin"
)

// Rates are per-record probabilities of each registration error.
type Rates struct {
	MissingID        float64 // no resident ID recorded (adults)
	MissingIDChild   float64 // no resident ID recorded (under 14)
	ID15             float64 // the old 15-digit ID (people born before 1985)
	IDTypo           float64 // one digit mistyped or two adjacent digits swapped
	GuardianID       float64 // a child registered under a parent's ID
	Homophone        float64 // a given-name character replaced by a homophone
	PinyinTypo       float64 // a given-name character from a pinyin typed with an adjacent-key error
	Traditional      float64 // the name written in traditional characters
	SpacedName       float64 // "王 小东" (no effect on matching, realistic formatting)
	DateSwap         float64 // two birth-date digits swapped, or month and day
	DateTypo         float64 // one birth-date digit wrong
	MissingDate      float64
	MissingSex       float64
	WrongSex         float64
	MissingPhone     float64
	ChangedPhone     float64 // a newer (or older) number
	PhoneTypo        float64
	MovedRegion      float64 // another county of the city
	MissingRegion    float64
	MedicalInsurance float64 // share of records that carry the 医保 number
	InsuranceTypo    float64
	HealthCard       float64 // share of records that carry the 电子健康卡 number
}

// DefaultRates are the error rates of the evaluation. They are this
// package's assumptions, in round numbers, not measurements from a
// published audit: IDs missing on one adult record in eight and on three
// child records in ten, a few per cent of homophone and traditional-character
// names and swapped dates, phones missing or changed on about a quarter of
// records. Change them to match an audit of the alliance's own data.
var DefaultRates = Rates{
	MissingID: 0.12, MissingIDChild: 0.30, ID15: 0.05, IDTypo: 0.01, GuardianID: 0.05,
	Homophone: 0.04, PinyinTypo: 0.015, Traditional: 0.03, SpacedName: 0.10,
	DateSwap: 0.02, DateTypo: 0.01, MissingDate: 0.01,
	MissingSex: 0.03, WrongSex: 0.003,
	MissingPhone: 0.12, ChangedPhone: 0.12, PhoneTypo: 0.01,
	MovedRegion: 0.05, MissingRegion: 0.08,
	MedicalInsurance: 0.5, InsuranceTypo: 0.005, HealthCard: 0.2,
}

// Config configures a generation.
type Config struct {
	Records int    // about this many records (whole persons are generated)
	Seed    uint64 // same seed, same data
	// County is the alliance's county (GB/T 2260 code); most people live
	// there, some in other counties of its city, a few elsewhere.
	County string
	Rates  Rates
	// Today is the reference date for ages (default 2025-06-30).
	Today cn.Date
}

// Person is the truth about one person.
type Person struct {
	Family, Given string
	Birth         cn.Date
	Sex           cn.Sex
	ResidentID    string
	Phone         string
	Region        string
	Insurance     string
	HealthCard    string
	Guardian      int // index of a parent (children), -1
}

// Data is a generated evaluation set.
type Data struct {
	Persons []Person
	Records []empi.Record
	Truth   []int // person of each record
}

// Institutions returns the codes of the alliance's 27 institutions: the
// county hospital, the maternal-and-child branch and 25 township health
// centres (made-up 统一社会信用代码-like codes).
func Institutions() []string {
	out := []string{"12330127470000001A", "12330127470000002B"}
	for i := 1; i <= 25; i++ {
		out = append(out, fmt.Sprintf("12330127470001%03dT", i))
	}
	return out
}

type gen struct {
	cfg       Config
	r         *rand.Rand
	surCum    []float64
	counties  []string // the city's other counties
	elsewhere []string
	common    map[rune]bool
	insts     []string
	ids       map[string]bool
}

// Generate makes the data.
func Generate(cfg Config) *Data {
	if cfg.County == "" {
		cfg.County = "330127" // 淳安县, Hangzhou
	}
	if cfg.Today.IsZero() {
		cfg.Today = cn.Date{Year: 2025, Month: 6, Day: 30}
	}
	if cfg.Rates == (Rates{}) {
		cfg.Rates = DefaultRates
	}
	g := &gen{cfg: cfg, r: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)), insts: Institutions(), ids: map[string]bool{}}
	sum := 0.0
	for _, s := range surnames {
		sum += s.permil
		g.surCum = append(g.surCum, sum)
	}
	for _, c := range cn.Counties(cfg.County[:4]) {
		if c != cfg.County {
			g.counties = append(g.counties, c)
		}
	}
	g.elsewhere = cn.Counties("")
	g.common = gb2312Level1()
	d := &Data{}
	for len(d.Records) < cfg.Records {
		for _, p := range g.household(len(d.Persons)) {
			pi := len(d.Persons)
			d.Persons = append(d.Persons, p)
			n := 2 + g.r.IntN(4)
			if left := cfg.Records - len(d.Records); n > left {
				n = max(left, 1)
			}
			for k := 0; k < n; k++ {
				d.Records = append(d.Records, g.record(d, pi, len(d.Records)))
				d.Truth = append(d.Truth, pi)
			}
		}
	}
	return d
}

func (g *gen) surname() string {
	x := g.r.Float64() * g.surCum[len(g.surCum)-1]
	i := sort.SearchFloat64s(g.surCum, x)
	return surnames[min(i, len(surnames)-1)].name
}

// zipf picks an index in [0, n) with popularity falling along the list.
func (g *gen) zipf(n int) int {
	for {
		i := int(float64(n) * g.r.Float64() * g.r.Float64())
		if i < n {
			return i
		}
	}
}

func (g *gen) given(sex cn.Sex, year int) string {
	var pool []rune
	switch {
	case sex == cn.Male && year < 1980:
		pool = []rune(maleOld)
	case sex == cn.Male:
		pool = []rune(maleYoung)
	case year < 1980:
		pool = []rune(femaleOld)
	default:
		pool = []rune(femaleYoung)
	}
	a := pool[g.zipf(len(pool))]
	if g.r.Float64() < 0.2 {
		return string(a)
	}
	b := pool[g.zipf(len(pool))]
	for b == a {
		b = pool[g.r.IntN(len(pool))]
	}
	return string(a) + string(b)
}

func (g *gen) birth(minAge, maxAge int) cn.Date {
	for {
		y := g.cfg.Today.Year - minAge - g.r.IntN(maxAge-minAge+1)
		d := cn.Date{Year: y, Month: 1 + g.r.IntN(12), Day: 1 + g.r.IntN(31)}
		if cn.ValidDate(d) {
			return d
		}
	}
}

func (g *gen) phone() string {
	prefixes := []string{"130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155", "157", "158", "159", "166", "173", "176", "177", "180", "181", "182", "183", "186", "187", "188", "189", "191", "198", "199"}
	return prefixes[g.r.IntN(len(prefixes))] + fmt.Sprintf("%08d", g.r.IntN(100000000))
}

func (g *gen) homeRegion() string {
	x := g.r.Float64()
	switch {
	case x < 0.85:
		return g.cfg.County
	case x < 0.97 && len(g.counties) > 0:
		return g.counties[g.r.IntN(len(g.counties))]
	}
	return g.elsewhere[g.r.IntN(len(g.elsewhere))]
}

func (g *gen) residentID(region string, birth cn.Date, sex cn.Sex) string {
	for {
		seq := g.r.IntN(500) * 2 // even: women
		if sex == cn.Male {
			seq++
		}
		id := cn.MakeResidentID(region, birth, seq)
		if !g.ids[id] {
			g.ids[id] = true
			return id
		}
	}
}

func (g *gen) person(family string, birth cn.Date, sex cn.Sex, region, phone string) Person {
	p := Person{Family: family, Birth: birth, Sex: sex, Region: region, Phone: phone, Guardian: -1}
	p.Given = g.given(sex, birth.Year)
	p.ResidentID = g.residentID(region, birth, sex)
	p.Insurance = fmt.Sprintf("33%010d", g.r.Int64N(1e10))
	p.HealthCard = fmt.Sprintf("%016X%016X", g.r.Uint64(), g.r.Uint64())
	return p
}

// household makes one to five people sharing an address and, often, a phone:
// a single adult or an elderly person, a couple, or a couple with children
// (one child in a hundred has a twin).
func (g *gen) household(base int) []Person {
	region := g.homeRegion()
	sex := func() cn.Sex {
		if g.r.IntN(2) == 0 {
			return cn.Male
		}
		return cn.Female
	}
	x := g.r.Float64()
	if x < 0.3 {
		b := g.birth(18, 95)
		return []Person{g.person(g.surname(), b, sex(), region, g.phone())}
	}
	hb := g.birth(22, 90)
	wb := cn.Date{Year: hb.Year + g.r.IntN(7) - 2, Month: 1 + g.r.IntN(12), Day: 1 + g.r.IntN(28)}
	fam := g.surname()
	h := g.person(fam, hb, cn.Male, region, g.phone())
	w := g.person(g.surname(), wb, cn.Female, region, g.phone())
	out := []Person{h, w}
	if x < 0.5 || hb.Year < 1950 {
		return out
	}
	kids := 1 + g.r.IntN(3)
	for k := 0; k < kids; k++ {
		minAge := max(0, g.cfg.Today.Year-hb.Year-45)
		maxAge := g.cfg.Today.Year - hb.Year - 20
		if maxAge < minAge {
			break
		}
		kb := g.birth(minAge, maxAge)
		ks := sex()
		phone := h.Phone
		if g.cfg.Today.Year-kb.Year >= 18 && g.r.Float64() < 0.7 {
			phone = g.phone()
		}
		c := g.person(fam, kb, ks, region, phone)
		// Parents' names are taboo for children; siblings differ too.
		for g.clash(c.Given, out) {
			c.Given = g.given(ks, kb.Year)
		}
		c.Guardian = base + g.r.IntN(2)
		out = append(out, c)
		if g.r.Float64() < 0.01 { // twins: same birth date, names sharing a character
			t := g.person(fam, kb, sex(), region, phone)
			t.Guardian = c.Guardian
			cr := []rune(c.Given)
			if len(cr) == 2 {
				for {
					t.Given = string(cr[0]) + string([]rune(g.given(t.Sex, kb.Year))[0])
					if t.Given != c.Given && !pinyin.Lookup([]rune(t.Given)[1]).Overlaps(pinyin.Lookup(cr[1])) {
						break
					}
				}
			}
			out = append(out, t)
		}
	}
	return out
}

// clash reports whether a given name sounds like a relative's.
func (g *gen) clash(given string, family []Person) bool {
	py := pinyin.Join(pinyin.Syllables(given))
	for _, p := range family {
		if pinyin.Join(pinyin.Syllables(p.Given)) == py {
			return true
		}
	}
	return false
}

// record makes one registration of person pi with errors.
func (g *gen) record(d *Data, pi, ri int) empi.Record {
	p := &d.Persons[pi]
	rt := &g.cfg.Rates
	r := g.r
	inst := g.institution(p)
	rec := empi.Record{ID: fmt.Sprintf("r%07d", ri), Source: inst}
	kind := cn.Outpatient
	if r.Float64() < 0.3 {
		kind = cn.Inpatient
	}
	rec.Identifiers = append(rec.Identifiers, empi.Identifier{System: cn.LocalSystem(inst, kind), Value: fmt.Sprintf("%08d", ri)})
	age := g.cfg.Today.Year - p.Birth.Year
	// Resident ID.
	missID := rt.MissingID
	if age < 14 {
		missID = rt.MissingIDChild
	}
	system := cn.SystemResidentID
	if r.IntN(3) == 0 {
		system = cn.SystemResidentIDHL7China
	}
	switch x := r.Float64(); {
	case x < missID:
	case age < 14 && p.Guardian >= 0 && x < missID+rt.GuardianID:
		rec.Identifiers = append(rec.Identifiers, empi.Identifier{System: system, Value: d.Persons[p.Guardian].ResidentID})
	default:
		id := p.ResidentID
		if id15, ok := cn.Downgrade18(id); ok && p.Birth.Year < 1985 && r.Float64() < rt.ID15 {
			id = id15
		}
		if r.Float64() < rt.IDTypo {
			id = g.digitTypo(id)
		}
		if r.Float64() < 0.05 {
			id = strings.ToLower(id)
		}
		rec.Identifiers = append(rec.Identifiers, empi.Identifier{System: system, Value: id})
	}
	if r.Float64() < rt.MedicalInsurance {
		v := p.Insurance
		if r.Float64() < rt.InsuranceTypo {
			v = g.digitTypo(v)
		}
		rec.Identifiers = append(rec.Identifiers, empi.Identifier{System: cn.SystemMedicalInsurance, Value: v})
	}
	if r.Float64() < rt.HealthCard {
		rec.Identifiers = append(rec.Identifiers, empi.Identifier{System: cn.SystemHealthCard, Value: p.HealthCard})
	}
	// Name.
	given := []rune(p.Given)
	if r.Float64() < rt.Homophone {
		i := r.IntN(len(given))
		given[i] = g.homophone(given[i])
	}
	if r.Float64() < rt.PinyinTypo {
		i := r.IntN(len(given))
		given[i] = g.typo(given[i])
	}
	fam, giv := p.Family, string(given)
	if r.Float64() < rt.Traditional {
		fam, giv = g.traditional(fam), g.traditional(giv)
	}
	if r.Float64() < rt.SpacedName || r.Float64() < 0.5 {
		rec.Family, rec.Given = fam, giv
	} else {
		rec.Given = fam + giv // full name in one field, as many HIS keep it
	}
	if r.Float64() < rt.SpacedName {
		rec.Family, rec.Given = "", fam+" "+giv
	}
	// Birth date.
	b := p.Birth
	switch x := r.Float64(); {
	case x < rt.MissingDate:
		b = cn.Date{}
	case x < rt.MissingDate+rt.DateSwap:
		b = g.dateSwap(b)
	case x < rt.MissingDate+rt.DateSwap+rt.DateTypo:
		b = g.dateTypo(b)
	}
	rec.BirthDate = b
	// Sex.
	switch x := r.Float64(); {
	case x < rt.MissingSex:
	case x < rt.MissingSex+rt.WrongSex:
		if p.Sex == cn.Male {
			rec.Sex = cn.Female
		} else {
			rec.Sex = cn.Male
		}
	default:
		rec.Sex = p.Sex
	}
	// Phone.
	switch x := r.Float64(); {
	case x < rt.MissingPhone:
	case x < rt.MissingPhone+rt.ChangedPhone:
		rec.Phones = []string{g.phone()}
	case x < rt.MissingPhone+rt.ChangedPhone+rt.PhoneTypo:
		rec.Phones = []string{g.digitTypo(p.Phone)}
	default:
		ph := p.Phone
		if r.Float64() < 0.05 {
			ph = "+86 " + ph
		}
		rec.Phones = []string{ph}
	}
	// Region.
	switch x := r.Float64(); {
	case x < rt.MissingRegion:
	case x < rt.MissingRegion+rt.MovedRegion && len(g.counties) > 0:
		rec.Region = g.counties[r.IntN(len(g.counties))]
	default:
		rec.Region = p.Region
	}
	return rec
}

func (g *gen) institution(p *Person) string {
	x := g.r.Float64()
	age := g.cfg.Today.Year - p.Birth.Year
	switch {
	case x < 0.35:
		return g.insts[0]
	case x < 0.45 && (p.Sex == cn.Female || age < 14):
		return g.insts[1]
	}
	// Township health centres: mostly the home one.
	home := 2 + int(hashString(p.ResidentID)%25)
	if g.r.Float64() < 0.75 {
		return g.insts[home]
	}
	return g.insts[2+g.r.IntN(25)]
}

func hashString(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return h
}

func (g *gen) digitTypo(s string) string {
	b := []byte(s)
	for {
		i := g.r.IntN(len(b))
		if b[i] < '0' || b[i] > '9' {
			continue
		}
		if g.r.IntN(2) == 0 && i+1 < len(b) && b[i] != b[i+1] && b[i+1] >= '0' && b[i+1] <= '9' {
			b[i], b[i+1] = b[i+1], b[i]
		} else {
			b[i] = byte('0' + (int(b[i]-'0')+1+g.r.IntN(9))%10)
		}
		return string(b)
	}
}

func (g *gen) dateSwap(d cn.Date) cn.Date {
	for try := 0; try < 20; try++ {
		var n cn.Date
		if g.r.IntN(2) == 0 && d.Day <= 12 && d.Day != d.Month {
			n = cn.Date{Year: d.Year, Month: d.Day, Day: d.Month}
		} else {
			s := []byte(fmt.Sprintf("%04d%02d%02d", d.Year, d.Month, d.Day))
			i := 2 + g.r.IntN(5) // not the century
			if s[i] == s[i+1] {
				continue
			}
			s[i], s[i+1] = s[i+1], s[i]
			n = cn.Date{Year: atoi(s[:4]), Month: atoi(s[4:6]), Day: atoi(s[6:])}
		}
		if cn.ValidDate(n) && n.Year <= g.cfg.Today.Year {
			return n
		}
	}
	return d
}

func (g *gen) dateTypo(d cn.Date) cn.Date {
	for try := 0; try < 20; try++ {
		s := []byte(fmt.Sprintf("%04d%02d%02d", d.Year, d.Month, d.Day))
		i := 3 + g.r.IntN(5)
		s[i] = byte('0' + (int(s[i]-'0')+1+g.r.IntN(9))%10)
		n := cn.Date{Year: atoi(s[:4]), Month: atoi(s[4:6]), Day: atoi(s[6:])}
		if cn.ValidDate(n) && n.Year <= g.cfg.Today.Year {
			return n
		}
	}
	return d
}

func atoi(b []byte) int {
	n := 0
	for _, c := range b {
		n = n*10 + int(c-'0')
	}
	return n
}

// homophone returns another common character with the same primary reading.
func (g *gen) homophone(c rune) rune {
	cands := g.commonWithReading(pinyin.Lookup(c).Primary(), c)
	if len(cands) == 0 {
		return c
	}
	return cands[g.zipf(len(cands))]
}

// typo types the pinyin of c with one letter replaced by a neighbouring key
// and returns a common character of the resulting syllable.
func (g *gen) typo(c rune) rune {
	syl := pinyin.Syllable(c)
	if syl == "" {
		return c
	}
	type option struct {
		s     pinyin.Syl
		chars []rune
	}
	var opts []option
	for i := 0; i < len(syl); i++ {
		for _, k := range neighbours[syl[i]] {
			t := syl[:i] + string(k) + syl[i+1:]
			if s := pinyin.SylOf(t); s != 0 {
				if cs := g.commonWithReading(s, c); len(cs) > 0 {
					opts = append(opts, option{s, cs})
				}
			}
		}
	}
	if len(opts) == 0 {
		return g.homophone(c)
	}
	o := opts[g.r.IntN(len(opts))]
	return o.chars[g.zipf(len(o.chars))]
}

func (g *gen) commonWithReading(s pinyin.Syl, not rune) []rune {
	var out []rune
	for _, h := range pinyin.Homophones(s) {
		if h != not && g.common[h] {
			out = append(out, h)
		}
	}
	return out
}

func (g *gen) traditional(s string) string {
	var b strings.Builder
	for _, c := range s {
		if t, ok := pinyin.Traditional(c); ok {
			c = t
		}
		b.WriteRune(c)
	}
	return b.String()
}

// neighbours are the adjacent keys of each letter on a QWERTY keyboard.
var neighbours = map[byte]string{
	'q': "wa", 'w': "qes", 'e': "wrd", 'r': "etf", 't': "ryg", 'y': "tuh", 'u': "yij", 'i': "uok", 'o': "ipl", 'p': "o",
	'a': "qsz", 's': "awdz", 'd': "sefx", 'f': "drgc", 'g': "fthv", 'h': "gyjb", 'j': "hukn", 'k': "jilm", 'l': "kop",
	'z': "asx", 'x': "zsdc", 'c': "xdfv", 'v': "cfgb", 'b': "vghn", 'n': "bhjm", 'm': "njk",
}

// gb2312Level1 returns the 3,755 level-1 characters of GB 2312 (rows 16–55,
// the most frequent characters), the pool a pinyin input method offers
// first.
func gb2312Level1() map[rune]bool {
	dec := simplifiedchinese.GBK.NewDecoder()
	out := make(map[rune]bool, 3755)
	for hi := 0xB0; hi <= 0xD7; hi++ {
		for lo := 0xA1; lo <= 0xFE; lo++ {
			b, err := dec.Bytes([]byte{byte(hi), byte(lo)})
			if err != nil {
				continue
			}
			for _, r := range string(b) {
				if r != 0xFFFD {
					out[r] = true
				}
			}
		}
	}
	return out
}
