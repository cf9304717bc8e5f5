package query

import (
	"strings"
	"time"
	"unicode/utf8"

	"yigong/dicom"
)

// Options tunes matching. A nil *Options is the zero value.
type Options struct {
	// FoldCase matches person names without regard to case.
	FoldCase bool
	// Location is the zone of DA, TM and DT values without an offset
	// (dicom.DefaultZone() when nil).
	Location *time.Location
}

var tagQueryRetrieveLevel = dicom.NewTag(0x0008, 0x0052)

// IsKey reports whether t takes part in matching (and not only in the
// protocol): not group 0000 or 0002, Specific Character Set or
// Query/Retrieve Level, nor a group length.
func IsKey(t dicom.Tag) bool {
	g := t.Group()
	return g != 0x0000 && g != 0x0002 && !t.IsGroupLength() && t != dicom.TagSpecificCharacterSet && t != tagQueryRetrieveLevel
}

// Match reports whether candidate matches every key of identifier.
func Match(identifier, candidate *dicom.Dataset, opts *Options) bool {
	if opts == nil {
		opts = &Options{}
	}
	for _, qe := range identifier.Elements() {
		if !IsKey(qe.Tag) {
			continue
		}
		ce, _ := candidate.Get(qe.Tag)
		if !MatchElement(qe, ce, opts) {
			return false
		}
	}
	return true
}

// MatchElement matches one key against a candidate element (nil when the
// candidate lacks it).
func MatchElement(qe, ce *dicom.Element, opts *Options) bool {
	if opts == nil {
		opts = &Options{}
	}
	vr := qe.ValueVR()
	if vr == dicom.SQ || len(qe.Items) > 0 {
		if len(qe.Items) == 0 || qe.Items[0].Len() == 0 {
			return true
		}
		if ce == nil {
			return false
		}
		for _, it := range ce.Items {
			if Match(qe.Items[0], it, opts) {
				return true
			}
		}
		return false
	}
	if len(qe.Raw) == 0 {
		return true // universal
	}
	qs, err := qe.Strings()
	if err != nil || len(qs) == 0 {
		return true
	}
	if len(qs) == 1 && strings.TrimSpace(qs[0]) == "" {
		return true
	}
	if ce == nil {
		return len(qs) == 1 && qs[0] == "*"
	}
	cs, err := ce.Strings()
	if err != nil {
		return false
	}
	loc := opts.Location
	if loc == nil {
		loc = dicom.DefaultZone()
	}
	switch vr {
	case dicom.DA, dicom.TM, dicom.DT:
		q := strings.Join(qs, `\`)
		r, err := dicom.ParseRange(vr, q, loc)
		if err != nil {
			return false
		}
		for _, c := range cs {
			var d dicom.DateTime
			switch vr {
			case dicom.DA:
				d, err = dicom.ParseDate(c, loc)
			case dicom.TM:
				d, err = dicom.ParseTime(c, loc)
			default:
				d, err = dicom.ParseDateTime(c, loc)
			}
			if err == nil && r.Contains(d.Time) {
				return true
			}
		}
		return false
	case dicom.UI:
		for _, q := range qs {
			for _, c := range cs {
				if strings.TrimRight(q, "\x00 ") == strings.TrimRight(c, "\x00 ") {
					return true
				}
			}
		}
		return false
	case dicom.PN:
		for _, q := range qs {
			for _, c := range cs {
				if MatchPersonName(q, c, opts.FoldCase) {
					return true
				}
			}
		}
		return false
	}
	if !vr.IsText() {
		// Binary keys: single value matching on the formatted values.
		for _, q := range qs {
			for _, c := range cs {
				if q == c {
					return true
				}
			}
		}
		return false
	}
	for _, q := range qs {
		for _, c := range cs {
			if Wildcard(strings.TrimSpace(q), strings.TrimSpace(c), false) {
				return true
			}
		}
	}
	return false
}

// MatchPersonName matches a decoded PN query value against a decoded PN
// value, group by group (see the package doc).
func MatchPersonName(pattern, value string, fold bool) bool {
	pg := pnGroups(pattern)
	vg := pnGroups(value)
	if len(pg) == 1 {
		if pg[0] == "" || pg[0] == "*" {
			return true
		}
		for _, v := range vg {
			if Wildcard(pg[0], v, fold) {
				return true
			}
		}
		return false
	}
	for i, p := range pg {
		if p == "" || p == "*" {
			continue
		}
		v := ""
		if i < len(vg) {
			v = vg[i]
		}
		if !Wildcard(p, v, fold) {
			return false
		}
	}
	return true
}

// pnGroups splits a PN value into at most three groups, each trimmed of
// padding and trailing empty components.
func pnGroups(s string) []string {
	g := strings.SplitN(s, "=", 3)
	for i := range g {
		g[i] = strings.TrimRight(strings.TrimSpace(g[i]), "^ ")
	}
	return g
}

// Wildcard matches value against pattern, where "*" matches any run of
// characters and "?" exactly one character (a rune). fold ignores case.
func Wildcard(pattern, value string, fold bool) bool {
	if fold {
		pattern, value = strings.ToLower(pattern), strings.ToLower(value)
	}
	if !strings.ContainsAny(pattern, "*?") {
		return pattern == value
	}
	// Iterative glob with backtracking to the last "*".
	p, v := 0, 0
	starP, starV := -1, 0
	for v < len(value) {
		if p < len(pattern) {
			switch pattern[p] {
			case '*':
				starP, starV = p, v
				p++
				continue
			case '?':
				_, n := utf8.DecodeRuneInString(value[v:])
				p++
				v += n
				continue
			default:
				pr, pn := utf8.DecodeRuneInString(pattern[p:])
				vr, vn := utf8.DecodeRuneInString(value[v:])
				if pr == vr {
					p += pn
					v += vn
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		_, n := utf8.DecodeRuneInString(value[starV:])
		starV += n
		p, v = starP+1, starV
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// Response builds the C-FIND response for a match: every key of the
// identifier with the candidate's value (empty when it has none), the
// candidate's Specific Character Set, and the Query/Retrieve Level of
// the identifier. Elements are shared with candidate, not copied.
func Response(identifier, candidate *dicom.Dataset) *dicom.Dataset {
	out := dicom.New()
	if e, ok := candidate.Get(dicom.TagSpecificCharacterSet); ok {
		out.Set(e)
	}
	for _, qe := range identifier.Elements() {
		switch {
		case qe.Tag == tagQueryRetrieveLevel:
			out.Set(qe)
		case !IsKey(qe.Tag):
		default:
			if ce, ok := candidate.Get(qe.Tag); ok {
				out.Set(ce)
			} else {
				vr := qe.VR
				if vr == dicom.SQ {
					out.Set(dicom.NewSequence(qe.Tag))
				} else {
					out.Set(dicom.NewElement(qe.Tag, vr, nil, nil))
				}
			}
		}
	}
	return out
}
