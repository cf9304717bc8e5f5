package fhirpath

import (
	"math/big"
	"sort"
	"strconv"
	"strings"
)

// Quantity is a FHIRPath System.Quantity: a decimal value and a unit, which
// is a UCUM code ("mg", "[lb_av]", "1") or a calendar duration keyword
// ("year", "months", "day"...).
type Quantity struct {
	Value Decimal
	Unit  string
}

// String renders the quantity as in FHIRPath: 4 'mg', 1 week.
func (q Quantity) String() string {
	if isCalendarUnit(q.Unit) {
		return q.Value.String() + " " + q.Unit
	}
	return q.Value.String() + " '" + q.Unit + "'"
}

// calendarUnits maps FHIRPath calendar duration keywords to their singular.
var calendarUnits = map[string]string{
	"year": "year", "years": "year", "month": "month", "months": "month",
	"week": "week", "weeks": "week", "day": "day", "days": "day",
	"hour": "hour", "hours": "hour", "minute": "minute", "minutes": "minute",
	"second": "second", "seconds": "second", "millisecond": "millisecond", "milliseconds": "millisecond",
}

func isCalendarUnit(u string) bool { _, ok := calendarUnits[u]; return ok }

// ucumForCalendar gives the UCUM unit a calendar keyword equals in
// comparisons; years and months have none (1 year is not 1 'a').
var ucumForCalendar = map[string]string{
	"week": "wk", "day": "d", "hour": "h", "minute": "min", "second": "s", "millisecond": "ms",
}

// calendarForUCUM gives the calendar keyword a UCUM time unit stands for in
// date/time arithmetic.
var calendarForUCUM = map[string]string{
	"wk": "week", "d": "day", "h": "hour", "min": "minute", "s": "second", "ms": "millisecond",
}

// dims is a UCUM dimension vector over the base units m, g, s, rad, K, C,
// cd, plus named arbitrary units (such as [iU] or unknown atoms) that are
// only commensurable with themselves.
type dims struct {
	v     [7]int8
	other string // canonical "name^exp" list of arbitrary units
}

type unitVal struct {
	factor *big.Rat // size in base units
	d      dims
}

func (u unitVal) mul(o unitVal, sign int8) unitVal {
	r := unitVal{factor: new(big.Rat)}
	if sign > 0 {
		r.factor.Mul(u.factor, o.factor)
	} else {
		r.factor.Quo(u.factor, o.factor)
	}
	for i := range r.d.v {
		r.d.v[i] = u.d.v[i] + sign*o.d.v[i]
	}
	r.d.other = mergeOther(u.d.other, o.d.other, sign)
	return r
}

func (u unitVal) pow(n int) unitVal {
	r := unitVal{factor: big.NewRat(1, 1)}
	for i := 0; i < abs(n); i++ {
		r.factor.Mul(r.factor, u.factor)
	}
	if n < 0 {
		r.factor.Inv(r.factor)
	}
	for i := range r.d.v {
		r.d.v[i] = u.d.v[i] * int8(n)
	}
	if u.d.other != "" {
		m := parseOther(u.d.other)
		for k := range m {
			m[k] *= n
		}
		r.d.other = formatOther(m)
	}
	return r
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func parseOther(s string) map[string]int {
	m := map[string]int{}
	if s == "" {
		return m
	}
	for _, p := range strings.Split(s, " ") {
		i := strings.LastIndexByte(p, '^')
		n, _ := strconv.Atoi(p[i+1:])
		m[p[:i]] += n
	}
	return m
}

func formatOther(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k, v := range m {
		if v != 0 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "^" + strconv.Itoa(m[k])
	}
	return strings.Join(parts, " ")
}

func mergeOther(a, b string, sign int8) string {
	if b == "" {
		return a
	}
	m := parseOther(a)
	for k, v := range parseOther(b) {
		m[k] += int(sign) * v
	}
	return formatOther(m)
}

// UCUM base dimensions.
const (
	dimM = iota
	dimG
	dimS
	dimRad
	dimK
	dimC
	dimCd
)

type atomDef struct {
	metric bool   // accepts SI prefixes
	factor string // size in terms of def ("" means 1)
	def    string // UCUM expression of the defining unit; "" for a base unit
	base   int    // base dimension index when def == "" and factor == ""
}

// ucumAtoms is the subset of UCUM atoms yigong understands: SI base and
// derived units, clinical time, volume, mass and pressure units, and the
// customary units seen in US data. Units outside it are treated as opaque
// and compare only with themselves.
var ucumAtoms = map[string]atomDef{
	"m": {metric: true, base: dimM}, "g": {metric: true, base: dimG}, "s": {metric: true, base: dimS},
	"rad": {metric: true, base: dimRad}, "K": {metric: true, base: dimK}, "C": {metric: true, base: dimC},
	"cd":  {metric: true, base: dimCd},
	"10*": {factor: "10", def: "1"}, "10^": {factor: "10", def: "1"},
	"%": {factor: "1/100", def: "1"}, "[ppth]": {factor: "1/1000", def: "1"},
	"[ppm]": {factor: "1/1000000", def: "1"}, "[ppb]": {factor: "1/1000000000", def: "1"},
	"[pi]": {factor: "3.1415926535897932384626433832795028841971693993751058209749445923", def: "1"},
	"mol":  {metric: true, factor: "602213670000000000000000", def: "1"},
	"sr":   {metric: true, def: "rad2"}, "Hz": {metric: true, def: "s-1"},
	"N": {metric: true, def: "kg.m/s2"}, "Pa": {metric: true, def: "N/m2"},
	"J": {metric: true, def: "N.m"}, "W": {metric: true, def: "J/s"},
	"A": {metric: true, def: "C/s"}, "V": {metric: true, def: "J/C"},
	"F": {metric: true, def: "C/V"}, "Ohm": {metric: true, def: "V/A"},
	"S": {metric: true, def: "Ohm-1"}, "Wb": {metric: true, def: "V.s"},
	"T": {metric: true, def: "Wb/m2"}, "H": {metric: true, def: "Wb/A"},
	"lm": {metric: true, def: "cd.sr"}, "lx": {metric: true, def: "lm/m2"},
	"Bq": {metric: true, def: "s-1"}, "Gy": {metric: true, def: "J/kg"}, "Sv": {metric: true, def: "J/kg"},
	"gon": {factor: "9/10", def: "deg"}, "deg": {factor: "0.0174532925199432957692369076848861271344287188854172545609719144", def: "rad"},
	"'": {factor: "1/60", def: "deg"}, "''": {factor: "1/60", def: "'"},
	"l": {metric: true, def: "dm3"}, "L": {metric: true, def: "l"},
	"ar":  {metric: true, factor: "100", def: "m2"},
	"min": {factor: "60", def: "s"}, "h": {factor: "60", def: "min"}, "d": {factor: "24", def: "h"},
	"a_t": {factor: "365.24219", def: "d"}, "a_j": {factor: "365.25", def: "d"}, "a_g": {factor: "365.2425", def: "d"},
	"a": {def: "a_j"}, "wk": {factor: "7", def: "d"},
	"mo_s": {factor: "29.53059", def: "d"}, "mo_j": {factor: "1/12", def: "a_j"}, "mo_g": {factor: "1/12", def: "a_g"},
	"mo": {def: "mo_j"},
	"t":  {metric: true, factor: "1000", def: "kg"}, "bar": {metric: true, factor: "100000", def: "Pa"},
	"u":   {metric: true, factor: "0.0000000000000000000000016605402", def: "g"},
	"eV":  {metric: true, factor: "0.00000000000000000016021766208", def: "J"},
	"atm": {factor: "101325", def: "Pa"},
	"cal": {metric: true, factor: "4.184", def: "J"}, "[Cal]": {def: "kcal"},
	"eq": {metric: true, def: "mol"}, "osm": {metric: true, def: "mol"},
	"kat": {metric: true, def: "mol/s"}, "U": {metric: true, def: "umol/min"},
	"g%":     {metric: true, def: "g/dl"},
	"m[H2O]": {metric: true, factor: "9.80665", def: "kPa"}, "m[Hg]": {metric: true, factor: "133.3220", def: "kPa"},
	"[in_i]": {factor: "2.54", def: "cm"}, "[ft_i]": {factor: "12", def: "[in_i]"},
	"[yd_i]": {factor: "3", def: "[ft_i]"}, "[mi_i]": {factor: "5280", def: "[ft_i]"},
	"[in_i'H2O]": {factor: "1", def: "m[H2O].[in_i]/m"}, "[in_i'Hg]": {factor: "1", def: "m[Hg].[in_i]/m"},
	"[lb_av]": {factor: "453.59237", def: "g"}, "[oz_av]": {factor: "1/16", def: "[lb_av]"},
	"[gr]": {factor: "64.79891", def: "mg"}, "[ston_av]": {factor: "2000", def: "[lb_av]"},
	"[psi]": {factor: "1", def: "[lbf_av]/[in_i]2"}, "[lbf_av]": {factor: "1", def: "[lb_av].[g]"},
	"[g]":      {factor: "9.80665", def: "m/s2"},
	"[foz_us]": {factor: "1/16", def: "[pt_us]"}, "[pt_us]": {factor: "1/2", def: "[qt_us]"},
	"[qt_us]": {factor: "1/4", def: "[gal_us]"}, "[gal_us]": {factor: "231", def: "[in_i]3"},
	"[cup_us]": {factor: "16", def: "[tbs_us]"}, "[tbs_us]": {factor: "1/2", def: "[foz_us]"},
	"[tsp_us]": {factor: "1/3", def: "[tbs_us]"},
	"[drp]":    {factor: "1/20", def: "ml"},
	"[mesh_i]": {factor: "1", def: "/[in_i]"},
	"[car_m]":  {factor: "1/5", def: "g"},
	"[hp'_X]":  {factor: "1", def: "1"}, "[hp'_C]": {factor: "1", def: "1"},
	"[hp_X]": {factor: "1", def: "1"}, "[hp_C]": {factor: "1", def: "1"},
	"[degF]": {factor: "5/9", def: "K"}, "Cel": {factor: "1", def: "K"},
	"b":  {metric: true, factor: "1/10000000000000000000000000000", def: "m2"},
	"Ao": {factor: "1/10", def: "nm"}, "[mil_i]": {factor: "1/1000", def: "[in_i]"},
	"[nmi_i]": {factor: "1852", def: "m"}, "[kn_i]": {factor: "1", def: "[nmi_i]/h"},
	"dyn": {metric: true, def: "g.cm/s2"}, "erg": {metric: true, def: "dyn.cm"},
	"P": {metric: true, def: "dyn.s/cm2"}, "St": {metric: true, def: "cm2/s"},
	"G": {metric: true, factor: "1/10000", def: "T"}, "Mx": {metric: true, factor: "1/100000000", def: "Wb"},
	"Ci": {metric: true, factor: "37000000000", def: "Bq"}, "R": {metric: true, factor: "0.000258", def: "C/kg"},
	"RAD": {metric: true, factor: "100", def: "erg/g"}, "REM": {metric: true, def: "RAD"},
	"B": {metric: true, def: "1"}, "bit": {metric: true, def: "1"}, "By": {metric: true, factor: "8", def: "bit"},
	"Bd":    {metric: true, def: "/s"},
	"[HPF]": {def: "1"}, "[LPF]": {factor: "100", def: "1"},
}

// siPrefixes are the UCUM prefixes with their powers of ten.
var siPrefixes = map[string]int{
	"Y": 24, "Z": 21, "E": 18, "P": 15, "T": 12, "G": 9, "M": 6, "k": 3, "h": 2, "da": 1,
	"d": -1, "c": -2, "m": -3, "u": -6, "n": -9, "p": -12, "f": -15, "a": -18, "z": -21, "y": -24,
}

// unitMaxDepth bounds the recursion through atom definitions.
const unitMaxDepth = 12

// parseUnit evaluates a UCUM unit expression (or a calendar keyword).
func parseUnit(s string) (unitVal, bool) {
	return parseUnitDepth(s, 0)
}

func parseUnitDepth(s string, depth int) (unitVal, bool) {
	if depth > unitMaxDepth {
		return unitVal{}, false
	}
	if c, ok := calendarUnits[s]; ok {
		if u, ok := ucumForCalendar[c]; ok {
			return parseUnitDepth(u, depth+1)
		}
		f := int64(1)
		if c == "year" {
			f = 12
		}
		return unitVal{factor: big.NewRat(f, 1), d: dims{other: "{calendar-month}^1"}}, true
	}
	p := &unitParser{s: s, depth: depth}
	u, ok := p.term()
	if !ok || p.i != len(p.s) {
		return unitVal{}, false
	}
	return u, true
}

type unitParser struct {
	s     string
	i     int
	depth int
}

func one() unitVal { return unitVal{factor: big.NewRat(1, 1)} }

func (p *unitParser) term() (unitVal, bool) {
	u := one()
	sign := int8(1)
	if p.i < len(p.s) && p.s[p.i] == '/' {
		sign = -1
		p.i++
	}
	for {
		c, ok := p.component()
		if !ok {
			return u, false
		}
		u = u.mul(c, sign)
		if p.i >= len(p.s) || p.s[p.i] == ')' {
			return u, true
		}
		switch p.s[p.i] {
		case '.':
			sign = 1
		case '/':
			sign = -1
		default:
			return u, false
		}
		p.i++
	}
}

func (p *unitParser) component() (unitVal, bool) {
	if p.i >= len(p.s) {
		return unitVal{}, false
	}
	switch p.s[p.i] {
	case '(':
		p.i++
		u, ok := p.term()
		if !ok || p.i >= len(p.s) || p.s[p.i] != ')' {
			return u, false
		}
		p.i++
		p.annotation()
		return u, true
	case '{':
		if !p.annotation() {
			return unitVal{}, false
		}
		return one(), true
	}
	// A simple unit: characters up to '.', '/', '(', ')', '{' outside brackets,
	// followed by an optional exponent.
	start := p.i
	depth := 0
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '[' {
			depth++
		} else if c == ']' {
			depth--
		} else if depth == 0 && (c == '.' || c == '/' || c == '(' || c == ')' || c == '{') {
			break
		}
		p.i++
	}
	tok := p.s[start:p.i]
	if tok == "" {
		return unitVal{}, false
	}
	// Split off a trailing exponent (digits with optional sign), unless the
	// whole token is a number or a 10* / 10^ factor keeps it.
	body, exp := splitExponent(tok)
	u, ok := p.simple(body)
	if !ok {
		return unitVal{}, false
	}
	p.annotation()
	if exp != 1 {
		u = u.pow(exp)
	}
	return u, true
}

func splitExponent(tok string) (string, int) {
	if allDigits(tok) {
		return tok, 1
	}
	j := len(tok)
	for j > 0 && tok[j-1] >= '0' && tok[j-1] <= '9' {
		j--
	}
	if j == len(tok) {
		return tok, 1
	}
	k := j
	if k > 0 && (tok[k-1] == '-' || tok[k-1] == '+') {
		k--
	}
	if k == 0 {
		return tok, 1
	}
	n, err := strconv.Atoi(tok[k:])
	if err != nil || n > 24 || n < -24 {
		return tok, 1
	}
	return tok[:k], n
}

func (p *unitParser) annotation() bool {
	if p.i >= len(p.s) || p.s[p.i] != '{' {
		return false
	}
	end := strings.IndexByte(p.s[p.i:], '}')
	if end < 0 {
		p.i = len(p.s) + 1 // force failure
		return false
	}
	p.i += end + 1
	return true
}

func (p *unitParser) simple(tok string) (unitVal, bool) {
	if allDigits(tok) {
		n, ok := new(big.Rat).SetString(tok)
		if !ok || n.Sign() == 0 {
			return unitVal{}, false
		}
		return unitVal{factor: n}, true
	}
	if a, ok := ucumAtoms[tok]; ok {
		return p.atom(tok, a)
	}
	for _, plen := range []int{2, 1} {
		if len(tok) <= plen {
			continue
		}
		pre, rest := tok[:plen], tok[plen:]
		e, ok := siPrefixes[pre]
		if !ok {
			continue
		}
		if a, ok := ucumAtoms[rest]; ok && a.metric {
			u, ok := p.atom(rest, a)
			if !ok {
				return u, false
			}
			f := new(big.Rat).SetInt(pow10(abs(e)))
			if e < 0 {
				f.Inv(f)
			}
			u.factor = new(big.Rat).Mul(u.factor, f)
			return u, true
		}
	}
	if strings.ContainsAny(tok, " \t'\"") {
		return unitVal{}, false
	}
	// An atom we do not know: commensurable only with itself.
	return unitVal{factor: big.NewRat(1, 1), d: dims{other: tok + "^1"}}, true
}

func (p *unitParser) atom(name string, a atomDef) (unitVal, bool) {
	if a.def == "" && a.factor == "" {
		u := one()
		u.d.v[a.base] = 1
		return u, true
	}
	u := one()
	if a.def != "" && a.def != "1" {
		var ok bool
		u, ok = parseUnitDepth(a.def, p.depth+1)
		if !ok {
			return u, false
		}
	}
	if a.factor != "" {
		f, ok := new(big.Rat).SetString(a.factor)
		if !ok {
			return u, false
		}
		u.factor = new(big.Rat).Mul(u.factor, f)
	}
	return u, true
}

// comparableUnits reports whether two units measure the same dimension.
func comparableUnits(a, b string) bool {
	ua, ok1 := parseUnit(a)
	ub, ok2 := parseUnit(b)
	return ok1 && ok2 && ua.d == ub.d
}

// baseValue returns q's value in base units as a rational, with its unit.
func (q Quantity) baseValue() (*big.Rat, unitVal, bool) {
	u, ok := parseUnit(q.Unit)
	if !ok {
		return nil, u, false
	}
	r := new(big.Rat).SetFrac(q.Value.big(), pow10(q.Value.scale))
	return r.Mul(r, u.factor), u, true
}

// baseScale estimates the number of significant fractional digits of a
// value scaled by factor (exact for powers of ten).
func baseScale(scale int, factor *big.Rat) int {
	f, _ := factor.Float64()
	if f <= 0 {
		return scale
	}
	n := 0
	for f < 0.999999 && n < 40 {
		f *= 10
		n++
	}
	for f >= 10 && n > -40 {
		f /= 10
		n--
	}
	return scale + n
}

// quantityCompare compares two quantities after unit conversion. ok is false
// when the units are not commensurable (or one is a calendar year/month and
// the other a UCUM unit).
func quantityCompare(a, b Quantity) (int, bool) {
	ra, ua, ok1 := a.baseValue()
	rb, ub, ok2 := b.baseValue()
	if !ok1 || !ok2 || ua.d != ub.d {
		return 0, false
	}
	return ra.Cmp(rb), true
}

// quantityEquivalent compares at the precision of the less precise operand.
func quantityEquivalent(a, b Quantity) (bool, bool) {
	ra, ua, ok1 := a.baseValue()
	rb, ub, ok2 := b.baseValue()
	if !ok1 || !ok2 || ua.d != ub.d {
		return false, false
	}
	s := min(baseScale(a.Value.scale, ua.factor), baseScale(b.Value.scale, ub.factor))
	if s < 0 {
		s = 0
	}
	return ratToDecimal(ra, s).Cmp(ratToDecimal(rb, s)) == 0, true
}

// convertQuantity expresses q in unit to (which must be commensurable).
func convertQuantity(q Quantity, to string) (Quantity, bool) {
	if q.Unit == to {
		return q, true
	}
	r, u, ok := q.baseValue()
	if !ok {
		return q, false
	}
	ut, ok := parseUnit(to)
	if !ok || ut.d != u.d {
		return q, false
	}
	r.Quo(r, ut.factor)
	d := ratToDecimal(r, divScale).trimZeros(0)
	if d.scale < q.Value.scale {
		d = d.rescale(q.Value.scale)
	}
	return Quantity{Value: d, Unit: to}, true
}

// normalizeCalendar maps calendar keywords with UCUM equivalents to them for
// arithmetic results ("7 days" + "1 'd'").
func unitForArith(u string) string {
	if c, ok := calendarUnits[u]; ok {
		if x, ok := ucumForCalendar[c]; ok {
			return x
		}
	}
	return u
}

// canonBase names the base units of dims.v, in order.
var canonBase = [7]string{"m", "g", "s", "rad", "K", "C", "cd"}

// CanonicalUnit returns, for a UCUM unit code, the factor that converts a
// value in that unit to base units and the canonical code of those base
// units ("mg" → 0.001, "g"; "mmol/L" → 1, "mol.m-3" style codes), so that
// quantities in commensurable units compare by value: search indexing stores
// 2000 mg as 2 g and finds it for gt1|http://unitsofmeasure.org|g. ok is
// false for codes this package cannot parse.
func CanonicalUnit(code string) (factor float64, canonical string, ok bool) {
	u, ok := parseUnit(code)
	if !ok {
		return 0, "", false
	}
	f, _ := u.factor.Float64()
	var parts []string
	for i, e := range u.d.v {
		switch {
		case e == 0:
		case e == 1:
			parts = append(parts, canonBase[i])
		default:
			parts = append(parts, canonBase[i]+strconv.Itoa(int(e)))
		}
	}
	if u.d.other != "" {
		parts = append(parts, u.d.other)
	}
	if len(parts) == 0 {
		return f, "1", true
	}
	return f, strings.Join(parts, "."), true
}
