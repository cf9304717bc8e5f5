package render

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"yigong/ecg"
)

// Page geometry in millimetres, origin at the top-left corner, y down.
const (
	pageW = 297.0 // A4 landscape (ISO 216)
	pageH = 210.0

	gridX = 10.0 // the grid: 55 × 32 major squares
	gridY = 40.0
	gridW = 275.0
	gridH = 160.0

	minorMM = 1.0 // grid pitch
	majorMM = 5.0

	textMM   = 3.0  // body text height (about 8.5 pt)
	titleMM  = 3.6  // first header line
	traceMM  = 0.25 // trace line width
	minorLnM = 0.08 // grid line widths
	majorLnM = 0.16
)

// rgb is a colour.
type rgb struct{ r, g, b uint8 }

var (
	colMinor = rgb{0xf6, 0xc4, 0xc8}
	colMajor = rgb{0xe3, 0x6f, 0x7b}
	colTrace = rgb{0, 0, 0}
	colText  = rgb{0, 0, 0}
	colAlert = rgb{0xb0, 0, 0}
)

type point struct{ x, y float64 }

type rect struct{ x, y, w, h float64 }

// gridLine is one grid line; major lines are every 5 mm.
type gridLine struct {
	x1, y1, x2, y2 float64
	major          bool
}

// trace is a polyline drawn in trace colour; cal marks a calibration pulse,
// rhythm the rhythm strip.
type trace struct {
	lead   string
	cal    bool
	rhythm bool
	pts    []point
}

// label is a line of text; (x, y) is the left end of its baseline.
type label struct {
	x, y  float64
	size  float64 // cap-to-descender height in mm (the font size)
	s     string
	bold  bool
	color rgb
	class string
}

// page is a tracing laid out in millimetres, drawn by each backend.
type page struct {
	grid   rect
	lines  []gridLine
	traces []trace
	marks  []gridLine // column separators, in trace colour
	labels []label
	// latin holds the header with transliterated names, for backends that
	// cannot draw Chinese.
	latin map[int]string
}

// standard lead order and the columns of each layout.
var (
	cols3x4 = [][]string{{"I", "II", "III"}, {"aVR", "aVL", "aVF"}, {"V1", "V2", "V3"}, {"V4", "V5", "V6"}}
	cols6x2 = [][]string{{"I", "II", "III", "aVR", "aVL", "aVF"}, {"V1", "V2", "V3", "V4", "V5", "V6"}}
	cols121 = [][]string{{"I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"}}
)

// layout builds the page for rec.
func layout(rec *ecg.Record, o Options) (*page, error) {
	if rec == nil || rec.SampleRate <= 0 || len(rec.Leads) == 0 {
		return nil, errors.New("render: record has no leads or no sample rate")
	}
	if math.IsInf(rec.SampleRate, 0) || math.IsNaN(rec.SampleRate) || rec.SampleRate > 1e6 {
		return nil, fmt.Errorf("render: sample rate %v Hz", rec.SampleRate)
	}
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	p := &page{grid: rect{gridX, gridY, gridW, gridH}}
	p.gridLines()

	cols := cols3x4
	rhythm := !o.NoRhythm
	switch o.Layout {
	case Layout6x2:
		cols = cols6x2
	case Layout12x1:
		cols, rhythm = cols121, false
	}
	if !hasStandardLeads(rec) {
		// One row per lead, in file order.
		var names []string
		for _, l := range rec.Leads[:min(len(rec.Leads), 12)] {
			names = append(names, l.Name)
		}
		cols, rhythm = [][]string{names}, false
	}
	if rhythm && rec.Lead(o.Rhythm) == nil {
		rhythm = false
	}
	rows := len(cols[0])
	if rhythm {
		rows++
	}

	speed, gain := o.SpeedMMPerS, o.GainMMPerMV
	pulseW := 0.2 * speed // 0.2 s
	x0 := gridX + 5 + pulseW
	span := math.Floor((gridX+gridW-2-x0)/speed*4) / 4 // seconds, a multiple of 0.25
	span = min(span, 10)
	rowH := gridH / float64(rows)
	colW := span * speed / float64(len(cols))

	for r := range rows {
		base := math.Round(gridY + rowH*(float64(r)+0.6))
		p.traces = append(p.traces, trace{cal: true, pts: []point{
			{gridX + 2, base}, {gridX + 3, base}, {gridX + 3, base - gain},
			{gridX + 3 + pulseW, base - gain}, {gridX + 3 + pulseW, base}, {gridX + 4 + pulseW, base},
		}})
		top := gridY + rowH*float64(r)
		if rhythm && r == rows-1 {
			p.segment(rec, o.Rhythm, 0, span, x0, base, top, speed, gain, true)
			continue
		}
		for c, col := range cols {
			t0 := span * float64(c) / float64(len(cols))
			x := x0 + float64(c)*colW
			if c > 0 {
				p.marks = append(p.marks, gridLine{x, base - 3, x, base + 3, false})
			}
			p.segment(rec, col[r], t0, t0+span/float64(len(cols)), x, base, top, speed, gain, false)
		}
	}
	p.header(rec, o)
	desc := o.Layout.String()
	if rhythm {
		desc += " + rhythm " + o.Rhythm
	}
	p.labels = append(p.labels, label{x: gridX, y: gridY + gridH + 5, size: textMM, color: colText, class: "footer",
		s: fmt.Sprintf("%g mm/s   %g mm/mV   %s   %g Hz   span %g s", speed, gain, desc, rec.SampleRate, span)})
	return p, nil
}

// hasStandardLeads reports whether at least half the 12 standard leads are
// present.
func hasStandardLeads(rec *ecg.Record) bool {
	n := 0
	for _, name := range cols121[0] {
		if rec.Lead(name) != nil {
			n++
		}
	}
	return n >= 6
}

func (p *page) gridLines() {
	g := p.grid
	nx := int(math.Round(g.w / minorMM))
	for i := 0; i <= nx; i++ {
		x := g.x + float64(i)*minorMM
		p.lines = append(p.lines, gridLine{x, g.y, x, g.y + g.h, i%5 == 0})
	}
	ny := int(math.Round(g.h / minorMM))
	for i := 0; i <= ny; i++ {
		y := g.y + float64(i)*minorMM
		p.lines = append(p.lines, gridLine{g.x, y, g.x + g.w, y, i%5 == 0})
	}
}

// segment adds the trace of one lead from t0 to t1 seconds, drawn from x on
// the baseline base, and its label at the top of the row.
func (p *page) segment(rec *ecg.Record, name string, t0, t1, x, base, top, speed, gain float64, rhythm bool) {
	p.labels = append(p.labels, label{x: x + 1, y: top + textMM + 0.8, size: textMM, s: name, bold: true, color: colText, class: "lead"})
	l := rec.Lead(name)
	if l == nil {
		return
	}
	fs := rec.SampleRate
	i0 := int(math.Round(t0 * fs))
	i1 := min(int(math.Round(t1*fs)), len(l.Samples)-1)
	if i0 > i1 {
		return
	}
	pts := make([]point, 0, i1-i0+1)
	for i := i0; i <= i1; i++ {
		v := l.Samples[i]
		if math.IsNaN(v) || math.IsInf(v, 0) {
			v = 0
		}
		// Clamp to ±100 mV: far off the page, and keeps coordinates finite.
		v = max(-1e5, min(1e5, v))
		pts = append(pts, point{x + float64(i-i0)/fs*speed, base - v/1000*gain})
	}
	p.traces = append(p.traces, trace{lead: name, rhythm: rhythm, pts: pts})
}

// header lays out the patient, measurements and findings above the grid.
func (p *page) header(rec *ecg.Record, o Options) {
	h := HeaderOf(rec)
	if o.Header != nil {
		h = *o.Header
	}
	if o.Mask {
		h = h.masked()
	}
	add := func(x, y float64, s string, bold bool, c rgb, class string) int {
		size := textMM
		if bold {
			size = titleMM
		}
		p.labels = append(p.labels, label{x: x, y: y, size: size, s: s, bold: bold, color: c, class: class})
		return len(p.labels) - 1
	}
	const y0, dy = 10.0, 5.0
	// Patient: name, sex, age on the first line.
	first := func(name string) string {
		return joinNonEmpty("   ", name, prefix("Sex ", h.Sex), prefix("Age ", h.Age))
	}
	i := add(gridX, y0, first(h.Name), true, colText, "patient")
	if h.NameLatin != "" {
		p.latin = map[int]string{i: first(h.NameLatin)}
	}
	y := y0 + dy
	for _, s := range []string{joinNonEmpty("   ", prefix("ID ", h.ID), prefix("Phone ", h.Phone)), prefix("Time ", h.Time), prefix("Device ", h.Device), h.Institution} {
		if s != "" {
			add(gridX, y, clip(s, 48), false, colText, "patient")
			y += dy
		}
	}
	// Measurements.
	ms := o.Measurements
	if ms == nil {
		ms = rec.Measurements
	}
	y = y0
	for _, s := range measurementLines(ms) {
		add(110, y, s, false, colText, "measurement")
		y += dy
	}
	// Findings, critical first.
	fs := slices.Clone(o.Findings)
	slices.SortStableFunc(fs, func(a, b ecg.Finding) int {
		switch {
		case a.Critical == b.Critical:
			return 0
		case a.Critical:
			return -1
		}
		return 1
	})
	y = y0
	const maxFindings = 6
	for k, f := range fs {
		if k == maxFindings-1 && len(fs) > maxFindings {
			add(200, y, fmt.Sprintf("... and %d more", len(fs)-k), false, colText, "finding")
			break
		}
		s := f.Code
		if f.Lead != "" {
			s += " (" + f.Lead + ")"
		}
		if f.Text != "" {
			s += ": " + f.Text
		}
		c := colText
		if f.Critical {
			s, c = "CRITICAL "+s, colAlert
		}
		add(200, y, clip(s, 52), f.Critical, c, "finding")
		y += dy
	}
}

// measurementLines formats HR, PR, QRS, QT, QTc (each with its formula)
// and the axes, from the first measurement of each name.
func measurementLines(ms []ecg.Measurement) []string {
	get := func(n ecg.MeasurementName) string {
		for _, m := range ms {
			if m.Name == n {
				return fmt.Sprintf("%.0f %s", m.Value, unit(m.Unit))
			}
		}
		return ""
	}
	axis := func(n ecg.MeasurementName) string {
		for _, m := range ms {
			if m.Name == n {
				return fmt.Sprintf("%.0f°", m.Value)
			}
		}
		return ""
	}
	var qtc []string
	for _, m := range ms {
		if m.Name == ecg.QTc {
			f := m.Method
			if f == "" || f == ecg.UnknownQTcF {
				f = "formula not stated"
			}
			qtc = append(qtc, fmt.Sprintf("%.0f ms (%s)", m.Value, f))
		}
	}
	var out []string
	for _, s := range []string{
		joinNonEmpty("   ", prefix("HR ", get(ecg.HeartRate)), prefix("RR ", get(ecg.RRInterval))),
		joinNonEmpty("   ", prefix("PR ", get(ecg.PRInterval)), prefix("QRS ", get(ecg.QRSDuration)), prefix("P ", get(ecg.PDuration))),
		joinNonEmpty("   ", prefix("QT ", get(ecg.QTInterval)), prefix("QTc ", strings.Join(qtc[:min(len(qtc), 1)], ""))),
	} {
		if s != "" {
			out = append(out, s)
		}
	}
	if len(qtc) > 1 {
		out = append(out, "QTc "+strings.Join(qtc[1:min(len(qtc), 3)], ", "))
	}
	if len(qtc) > 3 {
		out = append(out, "QTc "+strings.Join(qtc[3:min(len(qtc), 5)], ", "))
	}
	if s := joinNonEmpty("  ", prefix("P ", axis(ecg.PAxis)), prefix("QRS ", axis(ecg.QRSAxis)), prefix("T ", axis(ecg.TAxis))); s != "" {
		out = append(out, "Axes "+s)
	}
	return out
}

func unit(u string) string {
	if u == "deg" {
		return "°"
	}
	return u
}

func prefix(p, s string) string {
	if s == "" {
		return ""
	}
	return p + s
}

func joinNonEmpty(sep string, s ...string) string {
	return strings.Join(slices.DeleteFunc(s, func(x string) bool { return x == "" }), sep)
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-3]) + "..."
}
