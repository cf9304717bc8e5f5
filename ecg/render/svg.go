package render

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"yigong/ecg"
)

// SVG writes the tracing of rec as an SVG 1.1 document (UTF-8). The page is
// 297 mm × 210 mm; one user unit is 1/DPI inch (96 by default, the CSS
// pixel), so a 1 mm grid square is DPI/25.4 units wide. Grid lines are
// <line> elements of class "minor" or "major"; each lead segment is a
// <polyline class="trace"> with a data-lead attribute (class "trace
// rhythm" for the rhythm strip) and each calibration pulse a <polyline
// class="cal">.
func SVG(w io.Writer, rec *ecg.Record, o Options) error {
	p, err := layout(rec, o)
	if err != nil {
		return err
	}
	dpi := o.DPI
	if dpi == 0 {
		dpi = 96
	}
	s := dpi / 25.4
	var b strings.Builder
	num := func(v float64) {
		b.WriteString(strconv.FormatFloat(v*s, 'f', 3, 64))
	}
	attr := func(name string, v float64) {
		b.WriteString(" " + name + `="`)
		num(v)
		b.WriteByte('"')
	}
	hex := func(c rgb) string { return fmt.Sprintf("#%02x%02x%02x", c.r, c.g, c.b) }

	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="%gmm" height="%gmm" viewBox="0 0 %s %s">`+"\n",
		pageW, pageH, strconv.FormatFloat(pageW*s, 'f', 3, 64), strconv.FormatFloat(pageH*s, 'f', 3, 64))
	b.WriteString(`<rect width="100%" height="100%" fill="#ffffff"/>` + "\n")
	b.WriteString(`<defs><clipPath id="grid-area"><rect`)
	attr("x", p.grid.x)
	attr("y", p.grid.y)
	attr("width", p.grid.w)
	attr("height", p.grid.h)
	b.WriteString("/></clipPath></defs>\n")

	for _, major := range []bool{false, true} {
		cls, c, wd := "minor", colMinor, minorLnM
		if major {
			cls, c, wd = "major", colMajor, majorLnM
		}
		fmt.Fprintf(&b, `<g id="grid-%s" stroke="%s" stroke-width="%s">`+"\n", cls, hex(c), strconv.FormatFloat(wd*s, 'f', 3, 64))
		for _, l := range p.lines {
			if l.major != major {
				continue
			}
			b.WriteString(`<line class="` + cls + `"`)
			attr("x1", l.x1)
			attr("y1", l.y1)
			attr("x2", l.x2)
			attr("y2", l.y2)
			b.WriteString("/>\n")
		}
		b.WriteString("</g>\n")
	}

	fmt.Fprintf(&b, `<g id="traces" fill="none" stroke="%s" stroke-width="%s" stroke-linejoin="round" stroke-linecap="round" clip-path="url(#grid-area)">`+"\n",
		hex(colTrace), strconv.FormatFloat(traceMM*s, 'f', 3, 64))
	for _, t := range p.traces {
		switch {
		case t.cal:
			b.WriteString(`<polyline class="cal" points="`)
		case t.rhythm:
			b.WriteString(`<polyline class="trace rhythm" data-lead="` + esc(t.lead) + `" points="`)
		default:
			b.WriteString(`<polyline class="trace" data-lead="` + esc(t.lead) + `" points="`)
		}
		for i, pt := range t.pts {
			if i > 0 {
				b.WriteByte(' ')
			}
			num(pt.x)
			b.WriteByte(',')
			num(pt.y)
		}
		b.WriteString(`"/>` + "\n")
	}
	for _, m := range p.marks {
		b.WriteString(`<line class="separator"`)
		attr("x1", m.x1)
		attr("y1", m.y1)
		attr("x2", m.x2)
		attr("y2", m.y2)
		b.WriteString("/>\n")
	}
	b.WriteString("</g>\n")

	b.WriteString(`<g id="text" font-family="Helvetica, Arial, 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif">` + "\n")
	for _, l := range p.labels {
		b.WriteString(`<text class="` + l.class + `"`)
		attr("x", l.x)
		attr("y", l.y)
		attr("font-size", l.size)
		if l.bold {
			b.WriteString(` font-weight="bold"`)
		}
		if l.color != colText {
			b.WriteString(` fill="` + hex(l.color) + `"`)
		}
		b.WriteString(">" + esc(l.s) + "</text>\n")
	}
	b.WriteString("</g>\n</svg>\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("render: write SVG: %w", err)
	}
	return nil
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
