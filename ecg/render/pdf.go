package render

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"strconv"

	"yigong/ecg"
)

// PDF writes the tracing of rec as a one-page PDF 1.4 document (ISO
// 32000-1 is PDF 1.7; this writes the subset of the PDF Reference, 3rd
// edition, that 1.4 readers accept): an A4 landscape page (MediaBox
// 841.89 × 595.28 pt, §3.6.2), its content stream Flate-compressed
// (§3.3.3), the grid and traces as stroked vector paths (§4.4) with the
// traces clipped to the grid (§4.4.3), and text in the standard Type 1
// fonts Helvetica and Helvetica-Bold with WinAnsiEncoding (§5.5.1, §5.5.5,
// appendix D), which need no embedding. Text with characters outside
// WinAnsi (Chinese) is drawn with [Options.Font], embedded as a subset;
// without a font such characters are written as "?" with a note on the
// page (see the package documentation). The cross-reference table
// (§3.4.3) gives the byte offset of every object.
func PDF(w io.Writer, rec *ecg.Record, o Options) error {
	p, err := layout(rec, o)
	if err != nil {
		return err
	}
	const k = 72 / 25.4 // points per millimetre
	var c bytes.Buffer
	n := func(v float64) { c.WriteString(strconv.FormatFloat(v, 'f', 2, 64)) }
	xy := func(pt point) {
		n(pt.x * k)
		c.WriteByte(' ')
		n((pageH - pt.y) * k)
	}
	color := func(col rgb, op string) {
		fmt.Fprintf(&c, "%.3f %.3f %.3f %s\n", float64(col.r)/255, float64(col.g)/255, float64(col.b)/255, op)
	}
	for _, major := range []bool{false, true} {
		col, wd := colMinor, minorLnM
		if major {
			col, wd = colMajor, majorLnM
		}
		color(col, "RG")
		n(wd * k)
		c.WriteString(" w\n")
		for _, l := range p.lines {
			if l.major == major {
				xy(point{l.x1, l.y1})
				c.WriteString(" m ")
				xy(point{l.x2, l.y2})
				c.WriteString(" l\n")
			}
		}
		c.WriteString("S\n")
	}
	c.WriteString("q\n")
	n(p.grid.x * k)
	c.WriteByte(' ')
	n((pageH - p.grid.y - p.grid.h) * k)
	c.WriteByte(' ')
	n(p.grid.w * k)
	c.WriteByte(' ')
	n(p.grid.h * k)
	c.WriteString(" re W n\n1 J 1 j\n")
	color(colTrace, "RG")
	n(traceMM * k)
	c.WriteString(" w\n")
	for _, t := range p.traces {
		for i, pt := range t.pts {
			xy(pt)
			if i == 0 {
				c.WriteString(" m\n")
			} else {
				c.WriteString(" l\n")
			}
		}
		c.WriteString("S\n")
	}
	for _, m := range p.marks {
		xy(point{m.x1, m.y1})
		c.WriteString(" m ")
		xy(point{m.x2, m.y2})
		c.WriteString(" l S\n")
	}
	c.WriteString("Q\n")
	replaced := false
	text := func(l label, s string) {
		font := "/F1"
		if l.bold {
			font = "/F2"
		}
		c.WriteString("BT " + font + " ")
		n(l.size * k)
		c.WriteString(" Tf ")
		color(l.color, "rg")
		c.WriteString("1 0 0 1 ")
		xy(point{l.x, l.y})
		c.WriteString(" Tm ")
		c.WriteString(pdfString(s))
		c.WriteString(" Tj ET\n")
	}
	var cjk *pdfFont
	if o.Font != nil {
		cjk = &pdfFont{f: o.Font, used: map[uint16]rune{}}
	}
	for i, l := range p.labels {
		if cjk != nil && needsFont(l.s) {
			h, missing := cjk.hex(l.s)
			replaced = replaced || missing
			c.WriteString("BT /F3 ")
			n(l.size * k)
			c.WriteString(" Tf ")
			color(l.color, "rg")
			if l.bold { // fill and stroke: the font has no bold face
				color(l.color, "RG")
				c.WriteString("2 Tr ")
				n(l.size * k / 30)
				c.WriteString(" w ")
			}
			c.WriteString("1 0 0 1 ")
			xy(point{l.x, l.y})
			c.WriteString(" Tm " + h + " Tj ET\n")
			continue
		}
		s := l.s
		if t, ok := p.latin[i]; ok {
			s = t
		}
		s, rep := latin(s)
		replaced = replaced || rep
		text(l, s)
	}
	if replaced {
		note := nonLatinNote()
		if cjk != nil {
			note.s = "Note: characters missing from the font are shown as boxes or ?."
		}
		text(note, note.s)
	}

	zc, err := deflate(c.Bytes())
	if err != nil {
		return fmt.Errorf("render: compress PDF content: %w", err)
	}
	var fontObjs [][]byte
	fonts := "/F1 5 0 R /F2 6 0 R"
	if cjk != nil && len(cjk.used) > 0 {
		if fontObjs, err = cjk.objects(7, deflate); err != nil {
			return fmt.Errorf("render: embed font: %w", err)
		}
		fonts += " /F3 7 0 R"
	}

	var f bytes.Buffer
	f.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	var offsets []int
	obj := func(body ...[]byte) {
		offsets = append(offsets, f.Len())
		fmt.Fprintf(&f, "%d 0 obj\n", len(offsets))
		for _, b := range body {
			f.Write(b)
		}
		f.WriteString("\nendobj\n")
	}
	obj([]byte("<< /Type /Catalog /Pages 2 0 R >>"))
	obj([]byte("<< /Type /Pages /Kids [3 0 R] /Count 1 >>"))
	obj(fmt.Appendf(nil, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Resources << /Font << %s >> >> /Contents 4 0 R >>", pageW*k, pageH*k, fonts))
	obj(fmt.Appendf(nil, "<< /Length %d /Filter /FlateDecode >>\nstream\n", len(zc)), zc, []byte("\nendstream"))
	obj([]byte("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"))
	obj([]byte("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"))
	for _, b := range fontObjs {
		obj(b)
	}
	obj([]byte("<< /Producer (yigong ecg/render) /Title (Electrocardiogram) >>"))
	xref := f.Len()
	fmt.Fprintf(&f, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, off := range offsets {
		fmt.Fprintf(&f, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&f, "trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, len(offsets), xref)
	if _, err := w.Write(f.Bytes()); err != nil {
		return fmt.Errorf("render: write PDF: %w", err)
	}
	return nil
}

// pdfString is s (ASCII and Latin-1 only, see latin) as a PDF literal
// string in WinAnsiEncoding (§3.2.3): one byte per character, with
// parentheses and backslashes escaped and other bytes outside printable
// ASCII as octal escapes.
func pdfString(s string) string {
	var b bytes.Buffer
	b.WriteByte('(')
	for _, r := range s {
		switch {
		case r == '(' || r == ')' || r == '\\':
			b.WriteByte('\\')
			b.WriteByte(byte(r))
		case r >= 0x20 && r < 0x7f:
			b.WriteByte(byte(r))
		case r <= 0xff:
			fmt.Fprintf(&b, "\\%03o", r)
		default:
			b.WriteByte('?')
		}
	}
	b.WriteByte(')')
	return b.String()
}

// deflate is b zlib-compressed, for FlateDecode streams (§3.3.3).
func deflate(b []byte) ([]byte, error) {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return z.Bytes(), nil
}
