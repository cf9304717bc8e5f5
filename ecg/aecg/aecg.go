package aecg

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"yigong/ecg"
)

// MaxSize caps an aECG document: 512 MiB (a 24-hour Holter export is large).
const MaxSize = 512 << 20

// Read reads a whole aECG document from r (at most [MaxSize] bytes).
func Read(r io.Reader) (*ecg.Record, error) {
	b, err := ecg.ReadAll(r, MaxSize)
	if err != nil {
		return nil, fmt.Errorf("aecg: %w", err)
	}
	return Decode(b)
}

// Decode decodes an aECG document held in b.
func Decode(b []byte) (*ecg.Record, error) {
	if len(b) > MaxSize {
		return nil, fmt.Errorf("aecg: %w: %d bytes", ecg.ErrTooLarge, len(b))
	}
	root, err := parseTree(b)
	if err != nil {
		return nil, err
	}
	if root.name != "AnnotatedECG" {
		return nil, fmt.Errorf("aecg: root element is %q, not AnnotatedECG", root.name)
	}
	rec := &ecg.Record{Format: ecg.FormatAECG}
	patient(root, rec)

	var rhythm, median *node
	for _, c := range root.all("component") {
		s := c.child("series")
		if s == nil {
			continue
		}
		code := s.child("code").attr("code")
		if rhythm == nil && (code == "RHYTHM" || code == "") {
			rhythm = s
		}
		for _, d := range s.all("derivation") {
			if ds := d.child("derivedSeries"); ds != nil && median == nil {
				median = ds
			}
		}
	}
	if rhythm == nil {
		return nil, errors.New("aecg: no rhythm series")
	}
	start, rate, leads, err := sequenceSet(rhythm)
	if err != nil {
		return nil, fmt.Errorf("aecg: rhythm series: %w", err)
	}
	rec.Start, rec.SampleRate, rec.Leads = start, rate, leads
	if median != nil {
		if _, rate, leads, err := sequenceSet(median); err == nil {
			rec.MedianSampleRate, rec.Median = rate, leads
		}
	}
	device(rhythm, rec)
	for _, so := range rhythm.all("subjectOf") {
		annotationSet(so.child("annotationSet"), rec)
	}
	return rec, nil
}

func patient(root *node, rec *ecg.Record) {
	ts := root.path("componentOf", "timepointEvent", "componentOf", "subjectAssignment", "subject", "trialSubject")
	p := &rec.Patient
	p.ID = ts.child("id").attr("extension")
	dp := ts.child("subjectDemographicPerson")
	if n := dp.child("name"); n != nil {
		if f := n.child("family"); f != nil {
			p.FamilyName = f.str()
			p.GivenName = n.child("given").str()
		} else {
			p.Name = n.str()
		}
	}
	switch dp.child("administrativeGenderCode").attr("code") {
	case "M":
		p.Sex = ecg.SexMale
	case "F":
		p.Sex = ecg.SexFemale
	case "UN":
		p.Sex = ecg.SexUnspecified
	}
	if t, err := parseTS(dp.child("birthTime").attr("value")); err == nil {
		p.BirthDate = t
	}
	for _, cv := range root.all("controlVariable") {
		ro := cv.child("relatedObservation")
		if ro.child("code").attr("code") == "21612-7" { // LOINC reported age
			v := ro.child("value")
			if f, err := strconv.ParseFloat(v.attr("value"), 64); err == nil {
				p.Age = ecg.Quantity{Value: f, Unit: v.attr("unit")}
			}
		}
	}
}

func device(series *node, rec *ecg.Record) {
	sa := series.path("author", "seriesAuthor")
	d := sa.child("manufacturedSeriesDevice")
	rec.Device.Model = d.child("manufacturerModelName").str()
	rec.Device.Software = d.child("softwareName").str()
	rec.Device.Serial = d.child("id").attr("extension")
	rec.Device.Manufacturer = sa.path("manufacturerOrganization", "name").str()
}

// sequenceSet reads the first sequence set of a series: the time sequence
// (GLIST_TS or GLIST_PQ head and increment) and the lead sequences
// (SLIST_PQ origin, scale and digits; value = origin + scale × digit).
func sequenceSet(series *node) (time.Time, float64, []ecg.Lead, error) {
	ss := series.path("component", "sequenceSet")
	if ss == nil {
		return time.Time{}, 0, nil, errors.New("no sequenceSet")
	}
	var (
		start time.Time
		rate  float64
		leads []ecg.Lead
	)
	for _, c := range ss.all("component") {
		seq := c.child("sequence")
		code := seq.child("code").attr("code")
		v := seq.child("value")
		switch {
		case code == "TIME_ABSOLUTE" || code == "TIME_RELATIVE":
			if code == "TIME_ABSOLUTE" {
				t, err := parseTS(v.child("head").attr("value"))
				if err == nil {
					start = t
				}
			}
			inc := v.child("increment")
			f, err := strconv.ParseFloat(inc.attr("value"), 64)
			if err != nil || f <= 0 {
				return start, 0, nil, fmt.Errorf("time sequence: bad increment %q", inc.attr("value"))
			}
			switch inc.attr("unit") {
			case "s", "":
			case "ms":
				f /= 1000
			case "us":
				f /= 1e6
			default:
				return start, 0, nil, fmt.Errorf("time sequence: increment unit %q", inc.attr("unit"))
			}
			rate = 1 / f
		default:
			name, _ := ecg.LeadFromMDC(code)
			samples, err := slistPQ(v)
			if err != nil {
				return start, 0, nil, fmt.Errorf("sequence %s: %w", code, err)
			}
			leads = append(leads, ecg.Lead{Name: name, Samples: samples})
		}
	}
	if rate == 0 {
		return start, 0, nil, errors.New("no time sequence")
	}
	return start, rate, leads, nil
}

// unitToMicrovolts converts a UCUM voltage unit to a factor to µV.
func unitToMicrovolts(u string) (float64, error) {
	switch u {
	case "uV", "":
		return 1, nil
	case "mV":
		return 1000, nil
	case "nV":
		return 1e-3, nil
	case "V":
		return 1e6, nil
	}
	return 0, fmt.Errorf("unit %q is not a voltage", u)
}

func slistPQ(v *node) ([]float64, error) {
	origin, scale := v.child("origin"), v.child("scale")
	o, err := pq(origin, 0)
	if err != nil {
		return nil, fmt.Errorf("origin: %w", err)
	}
	s, err := pq(scale, 1)
	if err != nil {
		return nil, fmt.Errorf("scale: %w", err)
	}
	digits := v.child("digits")
	if digits == nil {
		return nil, errors.New("no digits")
	}
	txt := digits.text.String()
	out := make([]float64, 0, len(txt)/3)
	for f := range strings.FieldsSeq(txt) {
		if d, ok := smallInt(f); ok {
			out = append(out, o+s*float64(d))
			continue
		}
		d, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			x, ferr := strconv.ParseFloat(f, 64)
			if ferr != nil || math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, fmt.Errorf("digit %q: not a number", f)
			}
			out = append(out, o+s*x)
			continue
		}
		out = append(out, o+s*float64(d))
	}
	return out, nil
}

// smallInt parses an optionally signed decimal of at most 9 digits, the
// form nearly every digit takes; anything else is left to strconv.
func smallInt(f string) (int64, bool) {
	neg := false
	if f != "" && (f[0] == '-' || f[0] == '+') {
		neg = f[0] == '-'
		f = f[1:]
	}
	if f == "" || len(f) > 9 {
		return 0, false
	}
	var v int64
	for i := 0; i < len(f); i++ {
		c := f[i] - '0'
		if c > 9 {
			return 0, false
		}
		v = v*10 + int64(c)
	}
	if neg {
		v = -v
	}
	return v, true
}

// pq reads a PQ element's value in µV; def when the element is absent.
func pq(n *node, def float64) (float64, error) {
	if n == nil {
		return def, nil
	}
	f, err := strconv.ParseFloat(n.attr("value"), 64)
	if err != nil {
		return 0, fmt.Errorf("value %q: not a number", n.attr("value"))
	}
	k, err := unitToMicrovolts(n.attr("unit"))
	if err != nil {
		return 0, err
	}
	return f * k, nil
}

// parseTS parses an HL7 v3 TS: YYYY[MM[DD[HH[MM[SS[.S+]]]]]][+/-ZZZZ].
// A time without an offset is taken as UTC+08:00.
func parseTS(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("empty")
	}
	zone := time.FixedZone("CST", 8*3600)
	if i := strings.IndexAny(s, "+-"); i > 0 {
		z := s[i:]
		s = s[:i]
		if len(z) == 5 {
			h, e1 := strconv.Atoi(z[1:3])
			m, e2 := strconv.Atoi(z[3:5])
			if e1 != nil || e2 != nil {
				return time.Time{}, fmt.Errorf("bad zone %q", z)
			}
			off := (h*60 + m) * 60
			if z[0] == '-' {
				off = -off
			}
			zone = time.FixedZone("", off)
		}
	}
	frac := ""
	if i := strings.IndexByte(s, '.'); i >= 0 {
		frac, s = s[i+1:], s[:i]
	}
	layouts := map[int]string{4: "2006", 6: "200601", 8: "20060102", 10: "2006010215", 12: "200601021504", 14: "20060102150405"}
	l, ok := layouts[len(s)]
	if !ok {
		return time.Time{}, fmt.Errorf("bad timestamp %q", s)
	}
	t, err := time.ParseInLocation(l, s, zone)
	if err != nil {
		return time.Time{}, err
	}
	if frac != "" {
		if len(frac) > 9 {
			frac = frac[:9]
		}
		ns, err := strconv.Atoi(frac + strings.Repeat("0", 9-len(frac)))
		if err != nil {
			return time.Time{}, fmt.Errorf("bad fraction %q", frac)
		}
		t = t.Add(time.Duration(ns))
	}
	return t, nil
}
