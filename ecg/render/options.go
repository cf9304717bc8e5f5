package render

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"yigong/ecg"
)

// Layout is the arrangement of the leads on the page.
type Layout int

// Layouts. The zero value is the 3×4 layout with a rhythm strip.
const (
	// Layout3x4 is 3 rows × 4 columns (I, II, III | aVR, aVL, aVF |
	// V1, V2, V3 | V4, V5, V6), each column a quarter of the span, and a
	// rhythm strip.
	Layout3x4 Layout = iota
	// Layout6x2 is 6 rows × 2 columns (limb leads | precordial leads), each
	// column half of the span, and a rhythm strip.
	Layout6x2
	// Layout12x1 is one row per lead over the whole span, no rhythm strip.
	Layout12x1
)

func (l Layout) String() string {
	switch l {
	case Layout3x4:
		return "3x4"
	case Layout6x2:
		return "6x2"
	case Layout12x1:
		return "12x1"
	}
	return "Layout(" + strconv.Itoa(int(l)) + ")"
}

// Options control a rendering. The zero value is a 3×4 tracing with a lead II
// rhythm strip at 25 mm/s and 10 mm/mV, 150 dpi for PNG, the header taken
// from the record unmasked and the record's own measurements.
type Options struct {
	Layout Layout
	// GainMMPerMV is 5, 10 or 20 mm/mV; zero means 10.
	GainMMPerMV float64
	// SpeedMMPerS is 25 or 50 mm/s; zero means 25.
	SpeedMMPerS float64
	// DPI is the resolution of a PNG (pixels per inch) and the size of an
	// SVG user unit (1/DPI inch); zero means 150 for PNG and 96 (CSS
	// pixels) for SVG. The PDF is vector, in points.
	DPI float64
	// Rhythm is the rhythm-strip lead, "" for II. NoRhythm drops the strip.
	Rhythm   string
	NoRhythm bool

	// Header overrides the header taken from the record ([HeaderOf]).
	Header *Header
	// Mask masks the name, the identifiers and the phone number.
	Mask bool
	// Measurements are shown in the header; nil means the record's own.
	// Pass analysis.Report.Measurements to show computed values.
	Measurements []ecg.Measurement
	// Findings are the quality and critical findings to list.
	Findings []ecg.Finding

	// Font draws the text that Helvetica and the built-in bitmap font
	// cannot (Chinese) in the PDF (embedded as a subset) and the PNG; see
	// [FindFont]. Without it such characters become "?" with a note.
	Font *Font
}

func (o Options) withDefaults() (Options, error) {
	switch o.GainMMPerMV {
	case 0:
		o.GainMMPerMV = 10
	case 5, 10, 20:
	default:
		return o, fmt.Errorf("render: gain %v mm/mV is not 5, 10 or 20", o.GainMMPerMV)
	}
	switch o.SpeedMMPerS {
	case 0:
		o.SpeedMMPerS = 25
	case 25, 50:
	default:
		return o, fmt.Errorf("render: speed %v mm/s is not 25 or 50", o.SpeedMMPerS)
	}
	if o.Layout < Layout3x4 || o.Layout > Layout12x1 {
		return o, fmt.Errorf("render: unknown layout %d", int(o.Layout))
	}
	if o.DPI < 0 || o.DPI > 1200 {
		return o, fmt.Errorf("render: resolution %v dpi outside 0–1200", o.DPI)
	}
	if o.Rhythm == "" {
		o.Rhythm = "II"
	}
	return o, nil
}

// Header is the text at the top of the page. Fields are shown as given;
// empty fields are left out.
type Header struct {
	Name string
	// NameLatin is a transliteration of Name (pinyin) used by the PDF and
	// PNG when they have no [Options.Font] to draw Chinese; empty means
	// Name with its non-Latin characters replaced.
	NameLatin   string
	Sex         string
	Age         string
	ID          string
	Phone       string
	Time        string
	Device      string
	Institution string
}

// HeaderOf takes the header from the record: the name (family and given
// names joined, without a space when they are Chinese), sex, age (as stated
// by the file, else from the birth date and the acquisition time), patient
// ID, acquisition time with its offset, device and institution.
func HeaderOf(rec *ecg.Record) Header {
	p := rec.Patient
	h := Header{ID: p.ID}
	switch {
	case p.Name != "":
		h.Name = p.Name
	case p.FamilyName != "" || p.GivenName != "":
		sep := " "
		if isHan(p.FamilyName) || isHan(p.GivenName) {
			sep = ""
		}
		h.Name = strings.TrimSpace(p.FamilyName + sep + p.GivenName)
	}
	switch p.Sex {
	case ecg.SexMale:
		h.Sex = "M"
	case ecg.SexFemale:
		h.Sex = "F"
	case ecg.SexUnspecified:
		h.Sex = "U"
	}
	switch {
	case p.Age.Value > 0:
		u := map[string]string{"a": "y", "yr": "y", "Y": "y", "mo": "mo", "wk": "wk", "d": "d", "h": "h"}[p.Age.Unit]
		if u == "" {
			u = p.Age.Unit
		}
		h.Age = strings.TrimSpace(strconv.FormatFloat(p.Age.Value, 'f', -1, 64) + " " + u)
	case !p.BirthDate.IsZero() && !rec.Start.IsZero():
		if y := years(p.BirthDate, rec.Start); y >= 0 {
			h.Age = strconv.Itoa(y) + " y"
		}
	}
	if !rec.Start.IsZero() {
		h.Time = rec.Start.Format("2006-01-02 15:04:05 -07:00")
	}
	d := rec.Device
	var dev []string
	for _, s := range []string{d.Manufacturer, d.Model} {
		if s = strings.TrimSpace(s); s != "" {
			dev = append(dev, s)
		}
	}
	if d.Serial != "" {
		dev = append(dev, "SN "+d.Serial)
	}
	if d.Software != "" {
		dev = append(dev, "SW "+d.Software)
	}
	h.Device = strings.Join(dev, " ")
	h.Institution = d.Institution
	return h
}

// years is the completed years from birth to t.
func years(birth, t time.Time) int {
	y := t.Year() - birth.Year()
	if t.Month() < birth.Month() || t.Month() == birth.Month() && t.Day() < birth.Day() {
		y--
	}
	return y
}

func isHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// masked returns h with identity masked.
func (h Header) masked() Header {
	h.Name = MaskName(h.Name)
	h.NameLatin = MaskName(h.NameLatin)
	h.ID = MaskResidentID(h.ID)
	h.Phone = MaskPhone(h.Phone)
	return h
}
