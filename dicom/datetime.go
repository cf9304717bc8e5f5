package dicom

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// defaultZone is the zone for DA, TM and DT values that carry no offset:
// China Standard Time, +08:00. Callers in other zones pass their own.
var defaultZone = time.FixedZone("CST", 8*3600)

// DefaultZone returns +08:00, the zone yigong assumes for local times.
func DefaultZone() *time.Location { return defaultZone }

// Precision tells which components a partial date or time carries.
type Precision uint8

// Precisions from year to fraction of a second.
const (
	PrecisionYear Precision = iota + 1
	PrecisionMonth
	PrecisionDay
	PrecisionHour
	PrecisionMinute
	PrecisionSecond
	PrecisionFraction
)

// DateTime is a parsed DA, TM or DT value with the precision it was given
// in and whether it carried a UTC offset.
type DateTime struct {
	Time      time.Time
	Precision Precision
	HasOffset bool
}

// ParseDate parses a DA value "YYYYMMDD" (also the ACR-NEMA "YYYY.MM.DD").
func ParseDate(s string, loc *time.Location) (DateTime, error) {
	s = strings.TrimSpace(s)
	if len(s) == 10 && s[4] == '.' && s[7] == '.' {
		s = s[:4] + s[5:7] + s[8:]
	}
	if len(s) != 8 {
		return DateTime{}, fmt.Errorf("dicom: parse DA %q: want YYYYMMDD", s)
	}
	return parseDT(s, loc)
}

// ParseTime parses a TM value "HH[MM[SS[.F{1,6}]]]" (also "HH:MM:SS") on
// 0000-01-01 in loc.
func ParseTime(s string, loc *time.Location) (DateTime, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ":", "")
	if len(s) < 2 {
		return DateTime{}, fmt.Errorf("dicom: parse TM %q: too short", s)
	}
	d, err := parseDT("00000101"+s, loc)
	if err != nil {
		return DateTime{}, fmt.Errorf("dicom: parse TM %q: %w", s, err)
	}
	return d, nil
}

// ParseDateTime parses a DT value "YYYY[MM[DD[HH[MM[SS[.F{1,6}]]]]]][&ZZXX]".
func ParseDateTime(s string, loc *time.Location) (DateTime, error) {
	return parseDT(strings.TrimSpace(s), loc)
}

func parseDT(s string, loc *time.Location) (DateTime, error) {
	if loc == nil {
		loc = defaultZone
	}
	orig := s
	var dt DateTime
	if i := strings.IndexAny(s, "+-"); i >= 0 {
		off := s[i:]
		s = s[:i]
		if len(off) != 5 {
			return dt, fmt.Errorf("dicom: parse DT %q: bad offset", orig)
		}
		hh, err1 := strconv.Atoi(off[1:3])
		mm, err2 := strconv.Atoi(off[3:5])
		if err1 != nil || err2 != nil {
			return dt, fmt.Errorf("dicom: parse DT %q: bad offset", orig)
		}
		secs := hh*3600 + mm*60
		if off[0] == '-' {
			secs = -secs
		}
		loc = time.FixedZone(off, secs)
		dt.HasOffset = true
	}
	frac := 0
	if i := strings.IndexByte(s, '.'); i >= 0 {
		f := s[i+1:]
		s = s[:i]
		if len(f) == 0 || len(f) > 6 || len(s) != 14 {
			return dt, fmt.Errorf("dicom: parse DT %q: bad fraction", orig)
		}
		v, err := strconv.Atoi(f)
		if err != nil {
			return dt, fmt.Errorf("dicom: parse DT %q: bad fraction", orig)
		}
		for k := len(f); k < 9; k++ {
			v *= 10
		}
		frac = v
		dt.Precision = PrecisionFraction
	}
	widths := []int{4, 2, 2, 2, 2, 2}
	vals := []int{0, 1, 1, 0, 0, 0}
	pos := 0
	for i, w := range widths {
		if pos == len(s) {
			break
		}
		if pos+w > len(s) {
			return dt, fmt.Errorf("dicom: parse DT %q: truncated component", orig)
		}
		v, err := strconv.Atoi(s[pos : pos+w])
		if err != nil || v < 0 {
			return dt, fmt.Errorf("dicom: parse DT %q: not a number", orig)
		}
		vals[i] = v
		pos += w
		if dt.Precision != PrecisionFraction {
			dt.Precision = Precision(i + 1)
		}
	}
	if pos != len(s) || pos == 0 {
		return dt, fmt.Errorf("dicom: parse DT %q: bad length", orig)
	}
	if vals[1] < 1 || vals[1] > 12 || vals[2] < 1 || vals[2] > 31 || vals[3] > 23 || vals[4] > 59 || vals[5] > 60 {
		return dt, fmt.Errorf("dicom: parse DT %q: component out of range", orig)
	}
	dt.Time = time.Date(vals[0], time.Month(vals[1]), vals[2], vals[3], vals[4], vals[5], frac, loc)
	if dt.Time.Day() != vals[2] {
		return dt, fmt.Errorf("dicom: parse DT %q: no such day", orig)
	}
	return dt, nil
}

// Range is a DA/TM/DT range match value "A-B" as used in queries (PS3.4
// C.2.2.2.5); an open end is nil.
type Range struct {
	From, To *DateTime
}

// ParseRange parses a range query value of vr (DA, TM or DT): "A-B", "A-",
// "-B" or a single value (From == To).
func ParseRange(vr VR, s string, loc *time.Location) (Range, error) {
	parse := func(x string) (DateTime, error) {
		switch vr {
		case DA:
			return ParseDate(x, loc)
		case TM:
			return ParseTime(x, loc)
		case DT:
			return ParseDateTime(x, loc)
		}
		return DateTime{}, fmt.Errorf("dicom: parse range: %s is not DA, TM or DT", vr)
	}
	s = strings.TrimSpace(s)
	// A DT may contain a "-" offset: split on the "-" that separates two
	// values, found by trying each.
	idx := -1
	if vr == DT {
		for i := 0; i < len(s); i++ {
			if s[i] != '-' {
				continue
			}
			a, b := s[:i], s[i+1:]
			if (a == "" || validDT(a)) && (b == "" || validDT(b)) {
				idx = i
				break
			}
		}
	} else {
		idx = strings.IndexByte(s, '-')
	}
	var r Range
	if idx < 0 {
		d, err := parse(s)
		if err != nil {
			return r, err
		}
		r.From, r.To = &d, &d
		return r, nil
	}
	if a := s[:idx]; a != "" {
		d, err := parse(a)
		if err != nil {
			return r, err
		}
		r.From = &d
	}
	if b := s[idx+1:]; b != "" {
		d, err := parse(b)
		if err != nil {
			return r, err
		}
		r.To = &d
	}
	if r.From == nil && r.To == nil {
		return r, fmt.Errorf("dicom: parse range %q: both ends open", s)
	}
	return r, nil
}

func validDT(s string) bool {
	_, err := ParseDateTime(s, nil)
	return err == nil
}

// Contains reports whether t falls in the range, an open end matching
// everything on its side. A To with less than full precision includes its
// whole period (To "20240131" includes the whole day).
func (r Range) Contains(t time.Time) bool {
	if r.From != nil && t.Before(r.From.Time) {
		return false
	}
	if r.To != nil && !t.Before(r.To.End()) {
		return false
	}
	return true
}

// End returns the first instant after the period the value denotes.
func (d DateTime) End() time.Time {
	t := d.Time
	switch d.Precision {
	case PrecisionYear:
		return t.AddDate(1, 0, 0)
	case PrecisionMonth:
		return t.AddDate(0, 1, 0)
	case PrecisionDay:
		return t.AddDate(0, 0, 1)
	case PrecisionHour:
		return t.Add(time.Hour)
	case PrecisionMinute:
		return t.Add(time.Minute)
	case PrecisionSecond:
		return t.Add(time.Second)
	}
	return t.Add(time.Microsecond)
}

// DateTime parses the first value of a DA, TM or DT element.
func (e *Element) DateTime(loc *time.Location) (DateTime, error) {
	s := e.String()
	if s == "" {
		return DateTime{}, fmt.Errorf("dicom: element %s: %w", e.Tag, ErrNoValue)
	}
	var d DateTime
	var err error
	switch e.ValueVR() {
	case DA:
		d, err = ParseDate(s, loc)
	case TM:
		d, err = ParseTime(s, loc)
	case DT:
		d, err = ParseDateTime(s, loc)
	default:
		return d, fmt.Errorf("dicom: element %s: %s is not DA, TM or DT", e.Tag, e.VR)
	}
	if err != nil {
		return d, fmt.Errorf("dicom: element %s: %w", e.Tag, err)
	}
	return d, nil
}
