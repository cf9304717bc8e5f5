package render

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"sort"
	"unicode/utf16"
)

// needsFont reports whether s has characters Helvetica with WinAnsiEncoding
// cannot show.
func needsFont(s string) bool {
	_, rep := latin(s)
	return rep
}

// pdfFont collects the glyphs a PDF page draws with the CJK font.
type pdfFont struct {
	f    *Font
	used map[uint16]rune
}

// hex is s as a hex string of 2-byte glyph ids (Identity-H, §5.6.4 and
// §5.9); missing reports characters the font lacks (drawn as .notdef).
func (pf *pdfFont) hex(s string) (string, bool) {
	var b bytes.Buffer
	missing := false
	b.WriteByte('<')
	for _, r := range s {
		g := pf.f.GlyphIndex(r)
		if g == 0 {
			missing = true
		} else if _, ok := pf.used[g]; !ok {
			pf.used[g] = r
		}
		fmt.Fprintf(&b, "%04X", g)
	}
	b.WriteByte('>')
	return b.String(), missing
}

// objects returns the PDF objects of the font, numbered from first: the
// Type0 font (§5.6.5), its CIDFontType2 descendant (§5.6.3) with widths,
// the font descriptor (§5.7), the embedded subset (FontFile2, §5.8) and the
// ToUnicode CMap (§5.9.2) that lets readers extract the text.
func (pf *pdfFont) objects(first int, deflate func([]byte) ([]byte, error)) ([][]byte, error) {
	f := pf.f
	gids := make([]uint16, 0, len(pf.used))
	for g := range pf.used {
		gids = append(gids, g)
	}
	slices.Sort(gids)
	h := fnv.New32a()
	for _, g := range gids {
		h.Write([]byte{byte(g >> 8), byte(g)})
	}
	sum := h.Sum32()
	tag := make([]byte, 6)
	for i := range tag {
		tag[i] = 'A' + byte(sum%26)
		sum /= 26
	}
	name := string(tag) + "+" + f.name
	k := 1000 / f.unitsPerEm
	var w bytes.Buffer
	w.WriteString("[")
	for _, g := range gids {
		fmt.Fprintf(&w, " %d [%d]", g, int(math.Round(float64(f.advance(g))*k)))
	}
	w.WriteString(" ]")
	used := map[uint16]bool{}
	for _, g := range gids {
		used[g] = true
	}
	file := f.subset(used)
	zfile, err := deflate(file)
	if err != nil {
		return nil, err
	}
	var cm bytes.Buffer
	cm.WriteString("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
	for i := 0; i < len(gids); i += 100 {
		chunk := gids[i:min(i+100, len(gids))]
		fmt.Fprintf(&cm, "%d beginbfchar\n", len(chunk))
		for _, g := range chunk {
			fmt.Fprintf(&cm, "<%04X> <", g)
			for _, u := range utf16.Encode([]rune{pf.used[g]}) {
				fmt.Fprintf(&cm, "%04X", u)
			}
			cm.WriteString(">\n")
		}
		cm.WriteString("endbfchar\n")
	}
	cm.WriteString("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
	zcm, err := deflate(cm.Bytes())
	if err != nil {
		return nil, err
	}
	s := func(v int16) int { return int(math.Round(float64(v) * k)) }
	return [][]byte{
		fmt.Appendf(nil, "<< /Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H /DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>", name, first+1, first+4),
		fmt.Appendf(nil, "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /%s /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor %d 0 R /DW 1000 /W %s /CIDToGIDMap /Identity >>", name, first+2, w.String()),
		fmt.Appendf(nil, "<< /Type /FontDescriptor /FontName /%s /Flags 4 /FontBBox [%d %d %d %d] /ItalicAngle 0 /Ascent %d /Descent %d /CapHeight %d /StemV 80 /FontFile2 %d 0 R >>",
			name, s(f.bbox[0]), s(f.bbox[1]), s(f.bbox[2]), s(f.bbox[3]), s(f.ascent), s(f.descent), s(f.ascent), first+3),
		append(append(fmt.Appendf(nil, "<< /Length %d /Length1 %d /Filter /FlateDecode >>\nstream\n", len(zfile), len(file)), zfile...), "\nendstream"...),
		append(append(fmt.Appendf(nil, "<< /Length %d /Filter /FlateDecode >>\nstream\n", len(zcm)), zcm...), "\nendstream"...),
	}, nil
}

// ttfText draws s with the font: the glyph outlines filled with
// anti-aliasing (4 sub-scanlines, exact horizontal coverage, non-zero
// winding); bold is drawn twice, offset by a twentieth of the size.
// missing reports characters the font lacks.
func (r *raster) ttfText(l label, s string, f *Font) (missing bool) {
	px := l.size * r.s // pixels per em: the label size is the font size
	scale := px / f.unitsPerEm
	x := l.x * r.s
	base := l.y * r.s
	for _, c := range s {
		g := f.GlyphIndex(c)
		if g == 0 && c != ' ' {
			missing = true
		}
		cs := f.outline(g, 0)
		r.fill(cs, scale, x, base, l.color)
		if l.bold {
			r.fill(cs, scale, x+max(1, px/20), base, l.color)
		}
		x += float64(f.advance(g)) * scale
	}
	return missing
}

type edge struct{ x0, y0, x1, y1 float64 }

// fill rasterises contours (font units, y up) placed with origin (ox, oy)
// in pixels (y down).
func (r *raster) fill(cs [][]fpoint, scale, ox, oy float64, col rgb) {
	var edges []edge
	minY, maxY, minX, maxX := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	add := func(a, b [2]float64) {
		if a[1] != b[1] {
			edges = append(edges, edge{a[0], a[1], b[0], b[1]})
		}
		minY, maxY = min(minY, a[1], b[1]), max(maxY, a[1], b[1])
		minX, maxX = min(minX, a[0], b[0]), max(maxX, a[0], b[0])
	}
	tr := func(p fpoint) [2]float64 { return [2]float64{ox + p.x*scale, oy - p.y*scale} }
	for _, ct := range cs {
		if len(ct) < 2 {
			continue
		}
		// Start on an on-curve point, or the midpoint of two off-curve ones.
		start := -1
		for i, p := range ct {
			if p.on {
				start = i
				break
			}
		}
		var pts []fpoint
		if start < 0 {
			m := fpoint{(ct[0].x + ct[1].x) / 2, (ct[0].y + ct[1].y) / 2, true}
			pts = append([]fpoint{m}, ct[1:]...)
			pts = append(pts, ct[0])
		} else {
			pts = append(slices.Clone(ct[start:]), ct[:start]...)
		}
		pts = append(pts, pts[0])
		cur := tr(pts[0])
		var ctrl *fpoint
		for _, p := range pts[1:] {
			if !p.on {
				if ctrl != nil {
					mid := fpoint{(ctrl.x + p.x) / 2, (ctrl.y + p.y) / 2, true}
					cur = quad(cur, tr(*ctrl), tr(mid), add)
				}
				pp := p
				ctrl = &pp
				continue
			}
			if ctrl != nil {
				cur = quad(cur, tr(*ctrl), tr(p), add)
				ctrl = nil
			} else {
				next := tr(p)
				add(cur, next)
				cur = next
			}
		}
		if ctrl != nil {
			quad(cur, tr(*ctrl), tr(pts[0]), add)
		}
	}
	if len(edges) == 0 {
		return
	}
	b := r.img.Rect
	y0, y1 := max(b.Min.Y, int(math.Floor(minY))), min(b.Max.Y, int(math.Ceil(maxY)))
	x0, x1 := max(b.Min.X, int(math.Floor(minX))), min(b.Max.X, int(math.Ceil(maxX))+1)
	if y0 >= y1 || x0 >= x1 {
		return
	}
	const sub = 4
	cov := make([]float64, x1-x0)
	type cross struct {
		x   float64
		dir int
	}
	var xs []cross
	for y := y0; y < y1; y++ {
		clear(cov)
		for j := range sub {
			sy := float64(y) + (float64(j)+0.5)/sub
			xs = xs[:0]
			for _, e := range edges {
				lo, hi, dir := e.y0, e.y1, 1
				if lo > hi {
					lo, hi, dir = hi, lo, -1
				}
				if sy < lo || sy >= hi {
					continue
				}
				xs = append(xs, cross{e.x0 + (sy-e.y0)*(e.x1-e.x0)/(e.y1-e.y0), dir})
			}
			sort.Slice(xs, func(a, b int) bool { return xs[a].x < xs[b].x })
			wind := 0
			for i, c := range xs {
				wind += c.dir
				if wind == 0 || i+1 >= len(xs) {
					continue
				}
				a, bb := max(c.x, float64(x0)), min(xs[i+1].x, float64(x1))
				for p := int(math.Floor(a)); p < x1 && float64(p) < bb; p++ {
					o := min(bb, float64(p+1)) - max(a, float64(p))
					if o > 0 && p >= x0 {
						cov[p-x0] += o / sub
					}
				}
			}
		}
		for i, v := range cov {
			if v > 0.02 {
				r.blend(x0+i, y, col, min(1, v))
			}
		}
	}
}

// quad flattens the quadratic Bézier a–c–b into lines and returns b.
func quad(a, c, b [2]float64, add func(a, b [2]float64)) [2]float64 {
	const n = 6
	prev := a
	for i := 1; i <= n; i++ {
		t := float64(i) / n
		u := 1 - t
		p := [2]float64{u*u*a[0] + 2*u*t*c[0] + t*t*b[0], u*u*a[1] + 2*u*t*c[1] + t*t*b[1]}
		add(prev, p)
		prev = p
	}
	return b
}
