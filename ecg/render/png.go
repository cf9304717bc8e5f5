package render

import (
	"fmt"
	"image"
	"image/png"
	"io"
	"math"

	"yigong/ecg"
)

// PNG writes the tracing of rec as a PNG image of the A4 landscape page at
// Options.DPI (150 by default: 1754 × 1240 pixels). Grid lines and traces
// are anti-aliased: each pixel is covered in proportion to its overlap
// with the line (a box filter), traces at their distance from the
// segment, so a trace keeps its width at any slope. Text uses a built-in
// 5×7 bitmap font, ASCII only; see the package documentation.
func PNG(w io.Writer, rec *ecg.Record, o Options) error {
	img, err := Image(rec, o)
	if err != nil {
		return err
	}
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(w, img); err != nil {
		return fmt.Errorf("render: write PNG: %w", err)
	}
	return nil
}

// Image draws the tracing of rec as [PNG] does and returns the image.
func Image(rec *ecg.Record, o Options) (*image.RGBA, error) {
	p, err := layout(rec, o)
	if err != nil {
		return nil, err
	}
	dpi := o.DPI
	if dpi == 0 {
		dpi = 150
	}
	r := newRaster(dpi)
	for _, major := range []bool{false, true} {
		c, wd := colMinor, minorLnM
		if major {
			c, wd = colMajor, majorLnM
		}
		for _, l := range p.lines {
			if l.major == major {
				r.axisLine(l, wd, c)
			}
		}
	}
	clip := image.Rect(int(math.Floor(p.grid.x*r.s)), int(math.Floor(p.grid.y*r.s)),
		int(math.Ceil((p.grid.x+p.grid.w)*r.s)), int(math.Ceil((p.grid.y+p.grid.h)*r.s))).Intersect(r.img.Rect)
	cov := make([]uint8, len(r.img.Pix)/4)
	hw := max(traceMM*r.s, 1.2) / 2
	for _, t := range p.traces {
		for i := 1; i < len(t.pts); i++ {
			r.segment(cov, clip, t.pts[i-1], t.pts[i], hw)
		}
	}
	for _, m := range p.marks {
		r.segment(cov, clip, point{m.x1, m.y1}, point{m.x2, m.y2}, hw)
	}
	r.composite(cov, colTrace)
	replaced := false
	for i, l := range p.labels {
		if o.Font != nil && needsFont(l.s) {
			replaced = r.ttfText(l, l.s, o.Font) || replaced
			continue
		}
		s := l.s
		if t, ok := p.latin[i]; ok {
			s = t
		}
		s, rep := latin(s)
		replaced = replaced || rep
		r.text(l, s)
	}
	if replaced {
		note := nonLatinNote()
		if o.Font != nil {
			note.s = "Note: characters missing from the font are shown as boxes or ?."
		}
		r.text(note, note.s)
	}
	return r.img, nil
}

// nonLatinNote is the note on pages whose text lost characters.
func nonLatinNote() label {
	return label{x: 150, y: pageH - 5, size: textMM, color: colAlert, class: "note",
		s: "Note: Chinese text is shown as ?; see the SVG rendering."}
}

// latin replaces the characters that Helvetica with WinAnsiEncoding
// cannot show (everything but ASCII and Latin-1) by "?", and reports
// whether it replaced any.
func latin(s string) (string, bool) {
	rep := false
	out := []rune(s)
	for i, c := range out {
		if c < 0x20 || c > 0xff || (c >= 0x7f && c < 0xa0) {
			out[i], rep = '?', true
		}
	}
	return string(out), rep
}

// raster is an RGBA page at s pixels per millimetre.
type raster struct {
	img *image.RGBA
	s   float64
}

func newRaster(dpi float64) *raster {
	s := dpi / 25.4
	w, h := int(math.Round(pageW*s)), int(math.Round(pageH*s))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	return &raster{img: img, s: s}
}

// blend paints colour c over pixel (x, y) with coverage a in [0, 1].
func (r *raster) blend(x, y int, c rgb, a float64) {
	if a <= 0 || !(image.Point{x, y}.In(r.img.Rect)) {
		return
	}
	i := r.img.PixOffset(x, y)
	px := r.img.Pix[i : i+3 : i+3]
	px[0] = uint8(float64(px[0]) + (float64(c.r)-float64(px[0]))*a + 0.5)
	px[1] = uint8(float64(px[1]) + (float64(c.g)-float64(px[1]))*a + 0.5)
	px[2] = uint8(float64(px[2]) + (float64(c.b)-float64(px[2]))*a + 0.5)
}

// axisLine draws a horizontal or vertical grid line, at least one pixel
// wide, covering the pixels it straddles in proportion.
func (r *raster) axisLine(l gridLine, widthMM float64, c rgb) {
	hw := max(widthMM*r.s, 1) / 2
	if l.x1 == l.x2 {
		x := l.x1 * r.s
		y0, y1 := int(math.Round(l.y1*r.s)), int(math.Round(l.y2*r.s))
		for px := int(math.Floor(x - hw)); px <= int(math.Floor(x+hw)); px++ {
			a := overlap(x-hw, x+hw, float64(px), float64(px+1))
			for py := y0; py <= y1; py++ {
				r.blend(px, py, c, a)
			}
		}
		return
	}
	y := l.y1 * r.s
	x0, x1 := int(math.Round(l.x1*r.s)), int(math.Round(l.x2*r.s))
	for py := int(math.Floor(y - hw)); py <= int(math.Floor(y+hw)); py++ {
		a := overlap(y-hw, y+hw, float64(py), float64(py+1))
		for px := x0; px <= x1; px++ {
			r.blend(px, py, c, a)
		}
	}
}

func overlap(a0, a1, b0, b1 float64) float64 { return max(0, min(a1, b1)-max(a0, b0)) }

// segment adds the coverage of a round-capped segment of half width hw
// (pixels) from a to b (millimetres) to cov, within clip: a pixel is
// covered by hw + 0.5 − d, clamped to [0, 1], d being the distance of its
// centre from the segment; cov keeps the maximum so that joints of a
// polyline are not painted twice.
func (r *raster) segment(cov []uint8, clip image.Rectangle, a, b point, hw float64) {
	ax, ay, bx, by := a.x*r.s, a.y*r.s, b.x*r.s, b.y*r.s
	x0 := max(clip.Min.X, int(math.Floor(min(ax, bx)-hw-1)))
	x1 := min(clip.Max.X-1, int(math.Ceil(max(ax, bx)+hw+1)))
	y0 := max(clip.Min.Y, int(math.Floor(min(ay, by)-hw-1)))
	y1 := min(clip.Max.Y-1, int(math.Ceil(max(ay, by)+hw+1)))
	dx, dy := bx-ax, by-ay
	ll := dx*dx + dy*dy
	stride := r.img.Rect.Dx()
	for y := y0; y <= y1; y++ {
		py := float64(y) + 0.5
		for x := x0; x <= x1; x++ {
			px := float64(x) + 0.5
			t := 0.0
			if ll > 0 {
				t = max(0, min(1, ((px-ax)*dx+(py-ay)*dy)/ll))
			}
			ex, ey := px-(ax+t*dx), py-(ay+t*dy)
			c := hw + 0.5 - math.Sqrt(ex*ex+ey*ey)
			if c <= 0 {
				continue
			}
			v := uint8(min(c, 1)*255 + 0.5)
			if i := y*stride + x; v > cov[i] {
				cov[i] = v
			}
		}
	}
}

// composite paints colour c over the image with the coverage in cov.
func (r *raster) composite(cov []uint8, c rgb) {
	w := r.img.Rect.Dx()
	for i, v := range cov {
		if v != 0 {
			r.blend(i%w, i/w, c, float64(v)/255)
		}
	}
}

// text draws s with the 5×7 font scaled so that the 7 rows are three
// quarters of the label's size; bold doubles each column.
func (r *raster) text(l label, s string) {
	k := max(1, int(math.Round(0.75*l.size*r.s/7)))
	x := int(math.Round(l.x * r.s))
	top := int(math.Round(l.y*r.s)) - 7*k
	for _, c := range s {
		g := glyph(c)
		for col, bits := range g {
			for row := range 7 {
				if bits&(1<<row) == 0 {
					continue
				}
				w := k
				if l.bold {
					w += max(1, k/2)
				}
				for dy := range k {
					for dx := range w {
						r.blend(x+col*k+dx, top+row*k+dy, l.color, 1)
					}
				}
			}
		}
		x += 6 * k
		if l.bold {
			x += max(1, k/2)
		}
	}
}
