package hl7v2

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Precision is how much of a DTM/TS/DT value was given.
type Precision int

// Precisions, coarsest first.
const (
	PrecisionYear Precision = iota + 1
	PrecisionMonth
	PrecisionDay
	PrecisionHour
	PrecisionMinute
	PrecisionSecond
	PrecisionMillisecond // 1–4 fraction digits; Time keeps them all
)

// DefaultZone is the offset given to times without one: China Standard
// Time, +08:00, as the hub's design requires.
var DefaultZone = time.FixedZone("+0800", 8*3600)

// DateTime is a parsed DTM (or the first component of TS, or DT): the
// instant, how precise the sender was, and whether it carried an offset.
type DateTime struct {
	time.Time
	Precision Precision
	// HasZone is false when the value had no +/-ZZZZ and the zone was
	// assumed (DefaultZone or the caller's).
	HasZone bool
}

// ParseDateTime parses an HL7 DTM (YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]]
// [+/-ZZZZ]) in DefaultZone when it has no offset. A TS value's second
// component (degree of precision) should be removed by the caller;
// [Value.Component](1) does it.
func ParseDateTime(s string) (DateTime, error) { return ParseDateTimeIn(s, DefaultZone) }

// ParseDateTimeIn is ParseDateTime with loc for values without an offset.
func ParseDateTimeIn(s string, loc *time.Location) (DateTime, error) {
	orig := s
	bad := func(why string) (DateTime, error) {
		return DateTime{}, fmt.Errorf("hl7v2: invalid DTM %q: %s", orig, why)
	}
	var dt DateTime
	if i := strings.IndexAny(s, "+-"); i >= 0 {
		z := s[i:]
		s = s[:i]
		if len(z) != 5 {
			return bad("offset must be +/-ZZZZ")
		}
		hh, err1 := strconv.Atoi(z[1:3])
		mm, err2 := strconv.Atoi(z[3:5])
		if err1 != nil || err2 != nil || hh > 14 || mm > 59 {
			return bad("offset must be +/-ZZZZ")
		}
		off := hh*3600 + mm*60
		if z[0] == '-' {
			off = -off
		}
		loc = time.FixedZone(z, off)
		dt.HasZone = true
	}
	frac := 0
	fracDigits := 0
	if i := strings.IndexByte(s, '.'); i >= 0 {
		f := s[i+1:]
		s = s[:i]
		if len(s) != 14 || len(f) == 0 || len(f) > 4 || !allDigits(f) {
			return bad("fraction needs seconds and 1-4 digits")
		}
		frac, _ = strconv.Atoi(f)
		fracDigits = len(f)
	}
	if !allDigits(s) {
		return bad("not digits")
	}
	num := func(a, b int, def int) int {
		if len(s) < b {
			return def
		}
		n, _ := strconv.Atoi(s[a:b])
		return n
	}
	switch len(s) {
	case 4:
		dt.Precision = PrecisionYear
	case 6:
		dt.Precision = PrecisionMonth
	case 8:
		dt.Precision = PrecisionDay
	case 10:
		dt.Precision = PrecisionHour
	case 12:
		dt.Precision = PrecisionMinute
	case 14:
		dt.Precision = PrecisionSecond
	default:
		return bad("wrong length")
	}
	if fracDigits > 0 {
		dt.Precision = PrecisionMillisecond
	}
	y, mo, d := num(0, 4, 0), num(4, 6, 1), num(6, 8, 1)
	h, mi, sec := num(8, 10, 0), num(10, 12, 0), num(12, 14, 0)
	if mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59 {
		return bad("field out of range")
	}
	ns := frac
	for i := fracDigits; i < 9; i++ {
		ns *= 10
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, ns, loc)
	if t.Day() != d {
		return bad("no such day")
	}
	dt.Time = t
	return dt, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// FormatTS formats t as an HL7 DTM to precision p, with its offset
// (YYYYMMDDHHMMSS+ZZZZ at PrecisionSecond). Offsets are written from
// PrecisionHour on.
func FormatTS(t time.Time, p Precision) string {
	var layout string
	switch p {
	case PrecisionYear:
		return t.Format("2006")
	case PrecisionMonth:
		return t.Format("200601")
	case PrecisionDay:
		return t.Format("20060102")
	case PrecisionHour:
		layout = "2006010215"
	case PrecisionMinute:
		layout = "200601021504"
	case PrecisionMillisecond:
		layout = "20060102150405.000"
	default:
		layout = "20060102150405"
	}
	return t.Format(layout + "-0700")
}
