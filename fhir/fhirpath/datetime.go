package fhirpath

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Precision is the precision of a Date, DateTime or Time value.
type Precision uint8

// Precisions, coarsest first.
const (
	PrecisionYear Precision = iota + 1
	PrecisionMonth
	PrecisionDay
	PrecisionHour
	PrecisionMinute
	PrecisionSecond
	PrecisionMillisecond
)

// temporal holds the fields shared by Date, DateTime and Time. Fields finer
// than prec are zero (month and day are 1 when absent).
type temporal struct {
	year, month, day     int
	hour, minute, second int
	nanos                int    // fraction of a second
	frac                 string // the fractional digits as written (printing)
	prec                 Precision
	hasTZ                bool
	tzMin                int // offset east of UTC in minutes
}

// Date is a FHIRPath System.Date (year, month or day precision).
type Date struct{ t temporal }

// DateTime is a FHIRPath System.DateTime with a precision from year to
// millisecond and an optional time-zone offset.
type DateTime struct{ t temporal }

// Time is a FHIRPath System.Time (hour to millisecond precision, no offset).
type Time struct{ t temporal }

// ParseDate parses a FHIR/FHIRPath date: YYYY, YYYY-MM or YYYY-MM-DD.
func ParseDate(s string) (Date, bool) {
	t, rest, ok := parseDatePart(s)
	if !ok || rest != "" {
		return Date{}, false
	}
	return Date{t}, true
}

// ParseDateTime parses a FHIR/FHIRPath dateTime: a date optionally followed
// by T, a time (hour precision allowed) and an offset (Z or ±hh:mm). A
// trailing "T" with no time is accepted, as in FHIRPath literals (@2015T).
func ParseDateTime(s string) (DateTime, bool) {
	t, rest, ok := parseDatePart(s)
	if !ok {
		return DateTime{}, false
	}
	if rest == "" {
		return DateTime{t}, true
	}
	if rest[0] != 'T' {
		return DateTime{}, false
	}
	rest = rest[1:]
	if rest == "" {
		return DateTime{t}, true
	}
	if t.prec != PrecisionDay {
		return DateTime{}, false
	}
	rest, ok = parseTimePart(&t, rest)
	if !ok {
		return DateTime{}, false
	}
	if rest != "" {
		if !parseTZ(&t, rest) {
			return DateTime{}, false
		}
	}
	return DateTime{t}, true
}

// ParseTime parses a time: hh, hh:mm, hh:mm:ss or hh:mm:ss.fff (no offset).
func ParseTime(s string) (Time, bool) {
	var t temporal
	rest, ok := parseTimePart(&t, s)
	if !ok || rest != "" {
		return Time{}, false
	}
	t.year, t.month, t.day = 0, 1, 1
	return Time{t}, true
}

func digits(s string, n int) (int, bool) {
	if len(s) < n {
		return 0, false
	}
	v := 0
	for i := 0; i < n; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func parseDatePart(s string) (temporal, string, bool) {
	t := temporal{month: 1, day: 1}
	y, ok := digits(s, 4)
	if !ok {
		return t, s, false
	}
	t.year, t.prec = y, PrecisionYear
	s = s[4:]
	if len(s) > 0 && s[0] == '-' {
		m, ok := digits(s[1:], 2)
		if !ok || m < 1 || m > 12 {
			return t, s, false
		}
		t.month, t.prec = m, PrecisionMonth
		s = s[3:]
		if len(s) > 0 && s[0] == '-' {
			d, ok := digits(s[1:], 2)
			if !ok || d < 1 || d > daysIn(t.year, t.month) {
				return t, s, false
			}
			t.day, t.prec = d, PrecisionDay
			s = s[3:]
		}
	}
	return t, s, true
}

func parseTimePart(t *temporal, s string) (string, bool) {
	h, ok := digits(s, 2)
	if !ok || h > 23 {
		return s, false
	}
	t.hour, t.prec = h, PrecisionHour
	s = s[2:]
	if len(s) == 0 || s[0] != ':' {
		return s, true
	}
	m, ok := digits(s[1:], 2)
	if !ok || m > 59 {
		return s, false
	}
	t.minute, t.prec = m, PrecisionMinute
	s = s[3:]
	if len(s) == 0 || s[0] != ':' {
		return s, true
	}
	sec, ok := digits(s[1:], 2)
	if !ok || sec > 60 {
		return s, false
	}
	t.second, t.prec = sec, PrecisionSecond
	s = s[3:]
	if len(s) > 1 && s[0] == '.' && s[1] >= '0' && s[1] <= '9' {
		i := 1
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		t.frac = s[1:i]
		f := t.frac
		if len(f) > 9 {
			f = f[:9]
		}
		n, _ := strconv.Atoi(f + strings.Repeat("0", 9-len(f)))
		t.nanos = n
		t.prec = PrecisionMillisecond
		s = s[i:]
	}
	return s, true
}

func parseTZ(t *temporal, s string) bool {
	if s == "Z" {
		t.hasTZ, t.tzMin = true, 0
		return true
	}
	if len(s) != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' {
		return false
	}
	h, ok1 := digits(s[1:], 2)
	m, ok2 := digits(s[4:], 2)
	if !ok1 || !ok2 || h > 14 || m > 59 {
		return false
	}
	t.hasTZ, t.tzMin = true, h*60+m
	if s[0] == '-' {
		t.tzMin = -t.tzMin
	}
	return true
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func (t temporal) dateString() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%04d", t.year)
	if t.prec >= PrecisionMonth {
		fmt.Fprintf(&b, "-%02d", t.month)
	}
	if t.prec >= PrecisionDay {
		fmt.Fprintf(&b, "-%02d", t.day)
	}
	return b.String()
}

func (t temporal) timeString() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%02d", t.hour)
	if t.prec >= PrecisionMinute {
		fmt.Fprintf(&b, ":%02d", t.minute)
	}
	if t.prec >= PrecisionSecond {
		fmt.Fprintf(&b, ":%02d", t.second)
	}
	if t.prec >= PrecisionMillisecond {
		f := t.frac
		if f == "" {
			f = fmt.Sprintf("%03d", t.nanos/1e6)
		}
		b.WriteByte('.')
		b.WriteString(f)
	}
	return b.String()
}

func (t temporal) tzString() string {
	if !t.hasTZ {
		return ""
	}
	if t.tzMin == 0 {
		return "Z"
	}
	m := t.tzMin
	sign := '+'
	if m < 0 {
		sign, m = '-', -m
	}
	return fmt.Sprintf("%c%02d:%02d", sign, m/60, m%60)
}

// String returns the date in ISO 8601 form at its precision.
func (d Date) String() string { return d.t.dateString() }

// String returns the date-time in ISO 8601 form at its precision.
func (d DateTime) String() string {
	if d.t.prec <= PrecisionDay {
		return d.t.dateString()
	}
	return d.t.dateString() + "T" + d.t.timeString() + d.t.tzString()
}

// String returns the time as hh:mm:ss.fff at its precision.
func (t Time) String() string { return t.t.timeString() }

// Precision returns the precision of the value.
func (d Date) Precision() Precision { return d.t.prec }

// Precision returns the precision of the value.
func (d DateTime) Precision() Precision { return d.t.prec }

// Precision returns the precision of the value.
func (t Time) Precision() Precision { return t.t.prec }

// Time returns the instant (for values without an offset, in loc), filling
// missing fields with their lowest values.
func (d DateTime) Time(loc *time.Location) time.Time {
	return d.t.goTime(loc)
}

func (t temporal) goTime(loc *time.Location) time.Time {
	if t.hasTZ {
		loc = time.FixedZone("", t.tzMin*60)
	}
	if loc == nil {
		loc = time.UTC
	}
	return time.Date(t.year, time.Month(t.month), t.day, t.hour, t.minute, t.second, t.nanos, loc)
}

func fromGoTime(g time.Time, prec Precision, keepTZ bool, fracDigits int) temporal {
	t := temporal{year: g.Year(), month: int(g.Month()), day: g.Day(), prec: prec}
	if prec >= PrecisionHour {
		t.hour, t.minute, t.second, t.nanos = g.Hour(), g.Minute(), g.Second(), g.Nanosecond()
		if keepTZ {
			_, off := g.Zone()
			t.hasTZ, t.tzMin = true, off/60
		}
	}
	if prec >= PrecisionMillisecond {
		if fracDigits < 3 {
			fracDigits = 3
		}
		f := fmt.Sprintf("%09d", t.nanos)
		t.frac = f[:min(fracDigits, 9)]
	}
	t.truncate()
	return t
}

// truncate zeroes the fields finer than the precision.
func (t *temporal) truncate() {
	if t.prec < PrecisionMonth {
		t.month = 1
	}
	if t.prec < PrecisionDay {
		t.day = 1
	}
	if t.prec < PrecisionHour {
		t.hour, t.hasTZ, t.tzMin = 0, false, 0
	}
	if t.prec < PrecisionMinute {
		t.minute = 0
	}
	if t.prec < PrecisionSecond {
		t.second = 0
	}
	if t.prec < PrecisionMillisecond {
		t.nanos, t.frac = 0, ""
	}
}

// shifted converts a value with a time part, read at offset offMin, to UTC.
func (t temporal) shifted(offMin int) temporal {
	if t.prec < PrecisionHour {
		return t
	}
	g := time.Date(t.year, time.Month(t.month), t.day, t.hour, t.minute, t.second, t.nanos, time.FixedZone("", offMin*60)).UTC()
	u := t
	u.year, u.month, u.day, u.hour, u.minute, u.second = g.Year(), int(g.Month()), g.Day(), g.Hour(), g.Minute(), g.Second()
	u.hasTZ, u.tzMin = true, 0
	return u
}

// compareTemporal compares a and b field by field down to the coarser of
// their precisions (seconds and milliseconds count as one precision). It
// returns the order and ok=false when the result is uncertain because the
// precisions differ and the common fields are equal, or because only one
// side has an offset and the answer depends on it.
func compareTemporal(a, b temporal) (int, bool) {
	if a.prec >= PrecisionHour && b.prec >= PrecisionHour {
		switch {
		case a.hasTZ && b.hasTZ:
			a, b = a.shifted(a.tzMin), b.shifted(b.tzMin)
		case a.hasTZ != b.hasTZ:
			// The missing offset could be anything from -12:00 to +14:00.
			var c1, c2 int
			var ok1, ok2 bool
			if a.hasTZ {
				c1, ok1 = compareFields(a.shifted(a.tzMin), b.shifted(14*60))
				c2, ok2 = compareFields(a.shifted(a.tzMin), b.shifted(-12*60))
			} else {
				c1, ok1 = compareFields(a.shifted(14*60), b.shifted(b.tzMin))
				c2, ok2 = compareFields(a.shifted(-12*60), b.shifted(b.tzMin))
			}
			if ok1 && ok2 && c1 == c2 {
				return c1, true
			}
			return 0, false
		}
	}
	return compareFields(a, b)
}

func compareFields(a, b temporal) (int, bool) {
	pa, pb := a.prec, b.prec
	if pa == PrecisionMillisecond {
		pa = PrecisionSecond
	}
	if pb == PrecisionMillisecond {
		pb = PrecisionSecond
	}
	p := min(pa, pb)
	fa := [...]int{a.year, a.month, a.day, a.hour, a.minute, a.second*1e9 + a.nanos}
	fb := [...]int{b.year, b.month, b.day, b.hour, b.minute, b.second*1e9 + b.nanos}
	for i := 0; i < int(p); i++ { // Time values have equal (zero) date fields
		if fa[i] != fb[i] {
			if fa[i] < fb[i] {
				return -1, true
			}
			return 1, true
		}
	}
	if pa != pb {
		return 0, false
	}
	return 0, true
}

// add adds n units (a calendar unit name: year, month, week, day,
// hour, minute, second, millisecond) to t.
func (t temporal) add(n int64, unit string, isTime bool) (temporal, error) {
	g := t.goTime(time.UTC)
	if t.hasTZ {
		g = t.goTime(nil)
	}
	switch unit {
	case "year":
		g = addMonths(g, n*12)
	case "month":
		if t.prec < PrecisionMonth {
			g = addMonths(g, (n/12)*12)
		} else {
			g = addMonths(g, n)
		}
	case "week":
		if t.prec >= PrecisionDay {
			g = g.AddDate(0, 0, int(n*7))
		}
	case "day":
		if t.prec >= PrecisionDay {
			g = g.AddDate(0, 0, int(n))
		}
	case "hour":
		if t.prec >= PrecisionHour {
			g = g.Add(time.Duration(n) * time.Hour)
		}
	case "minute":
		if t.prec >= PrecisionMinute {
			g = g.Add(time.Duration(n) * time.Minute)
		}
	case "second":
		if t.prec >= PrecisionSecond {
			g = g.Add(time.Duration(n) * time.Second)
		}
	case "millisecond":
		if t.prec >= PrecisionMillisecond {
			g = g.Add(time.Duration(n) * time.Millisecond)
		} else if t.prec >= PrecisionSecond {
			g = g.Add(time.Duration(n/1000) * time.Second)
		}
	default:
		return t, fmt.Errorf("fhirpath: cannot add unit %q to a date/time", unit)
	}
	r := fromGoTime(g, t.prec, t.hasTZ, len(t.frac))
	if isTime {
		r.year, r.month, r.day = 0, 1, 1
	}
	return r, nil
}

func addMonths(g time.Time, n int64) time.Time {
	y, m, d := g.Date()
	total := int64(y)*12 + int64(m-1) + n
	ny, nm := int(total/12), time.Month(total%12+1)
	if dim := daysIn(ny, int(nm)); d > dim {
		d = dim
	}
	return time.Date(ny, nm, d, g.Hour(), g.Minute(), g.Second(), g.Nanosecond(), g.Location())
}

// boundary returns the lowest (high=false) or highest value t could stand
// for, at the given precision in FHIRPath digits (4 year, 6 month, 8 day,
// 10 hour, 12 minute, 14 second, 17 millisecond; for Time 2, 4, 6, 9).
func (t temporal) boundary(high bool, digits int, isTime, isDateTime bool) (temporal, bool) {
	var target Precision
	if isTime {
		switch digits {
		case 2:
			target = PrecisionHour
		case 4:
			target = PrecisionMinute
		case 6:
			target = PrecisionSecond
		case 9:
			target = PrecisionMillisecond
		default:
			return t, false
		}
	} else {
		switch digits {
		case 4:
			target = PrecisionYear
		case 6:
			target = PrecisionMonth
		case 8:
			target = PrecisionDay
		case 10:
			target = PrecisionHour
		case 12:
			target = PrecisionMinute
		case 14:
			target = PrecisionSecond
		case 17:
			target = PrecisionMillisecond
		default:
			return t, false
		}
		if !isDateTime && target > PrecisionDay {
			return t, false
		}
	}
	r := t
	if r.prec == PrecisionHour {
		r.prec = PrecisionMinute // hh alone is not a legal FHIR time: read as hh:00
	}
	for p := r.prec + 1; p <= target; p++ {
		switch p {
		case PrecisionMonth:
			r.month = pick(high, 1, 12)
		case PrecisionDay:
			r.day = pick(high, 1, daysIn(r.year, r.month))
		case PrecisionHour:
			r.hour = pick(high, 0, 23)
		case PrecisionMinute:
			r.minute = pick(high, 0, 59)
		case PrecisionSecond:
			r.second = pick(high, 0, 59)
		case PrecisionMillisecond:
			r.nanos = pick(high, 0, 999_000_000)
			r.frac = fmt.Sprintf("%03d", r.nanos/1e6)
		}
	}
	if r.prec == PrecisionMillisecond && target == PrecisionMillisecond && len(r.frac) != 3 {
		r.frac = fmt.Sprintf("%03d", r.nanos/1e6)
	}
	r.prec = target
	if isDateTime && target >= PrecisionHour && !r.hasTZ {
		r.hasTZ = true
		r.tzMin = pick(high, 14*60, -12*60)
	}
	r.truncate()
	return r, true
}

func pick(high bool, lo, hi int) int {
	if high {
		return hi
	}
	return lo
}

// precisionDigits returns FHIRPath's precision() of a temporal value.
func (t temporal) precisionDigits(isTime bool) int {
	if isTime {
		return [...]int{0, 0, 0, 0, 2, 4, 6, 9}[t.prec]
	}
	return [...]int{0, 4, 6, 8, 10, 12, 14, 17}[t.prec]
}
