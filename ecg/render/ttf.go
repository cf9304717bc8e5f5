package render

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"
)

// FontPaths are where [FindFont] looks for a font with Chinese glyphs, in
// order: the Debian packages fonts-wqy-microhei and fonts-wqy-zenhei
// (TrueType outlines; the CFF-outline Noto CJK fonts cannot be used).
var FontPaths = []string{
	"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
	"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
}

// ErrNoFont is returned by [FindFont] when no font is at [FontPaths].
var ErrNoFont = errors.New("render: no CJK font")

// Font is a TrueType font (glyf outlines, from a .ttf or the first font
// of a .ttc) that the PDF embeds (a subset) and the PNG rasterises for
// text outside Latin-1. It is read-only once loaded and safe for
// concurrent use.
type Font struct {
	name       string // PostScript name
	data       []byte // the file
	tables     map[string][]byte
	unitsPerEm float64
	numGlyphs  int
	numHMetric int
	locaLong   bool
	ascent     int16
	descent    int16
	bbox       [4]int16
	cmap4      []byte // format 4 subtable, or nil
	cmap12     []byte // format 12 subtable, or nil
}

// FindFont loads the first font found at [FontPaths].
func FindFont() (*Font, error) {
	p, err := FindFontPath()
	if err != nil {
		return nil, err
	}
	return LoadFont(p)
}

// FindFontPath returns the first of [FontPaths] that names a file, without
// reading it: a caller may load the font (megabytes) only when it first
// draws text that needs it.
func FindFontPath() (string, error) {
	for _, p := range FontPaths {
		st, err := os.Stat(p)
		if err == nil && !st.IsDir() {
			return p, nil
		}
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("render: font: %w", err)
		}
	}
	return "", fmt.Errorf("%w at %s (install fonts-wqy-microhei)", ErrNoFont, strings.Join(FontPaths, ", "))
}

// LoadFont reads a TrueType font or collection from path.
func LoadFont(path string) (*Font, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("render: font: %w", err)
	}
	f, err := ParseFont(b)
	if err != nil {
		return nil, fmt.Errorf("render: font %s: %w", path, err)
	}
	return f, nil
}

// ParseFont reads a TrueType font, or the first font of a collection.
func ParseFont(b []byte) (*Font, error) {
	be := binary.BigEndian
	off := 0
	if len(b) >= 16 && string(b[:4]) == "ttcf" {
		if be.Uint32(b[8:]) == 0 {
			return nil, errors.New("empty collection")
		}
		off = int(be.Uint32(b[12:]))
	}
	if off < 0 || off+12 > len(b) {
		return nil, errors.New("truncated table directory")
	}
	switch be.Uint32(b[off:]) {
	case 0x00010000, 0x74727565: // 1.0, 'true'
	case 0x4F54544F: // 'OTTO'
		return nil, fmt.Errorf("CFF outlines: %w", errors.ErrUnsupported)
	default:
		return nil, errors.New("not a TrueType font")
	}
	n := int(be.Uint16(b[off+4:]))
	f := &Font{data: b, tables: map[string][]byte{}}
	for i := range n {
		r := off + 12 + 16*i
		if r+16 > len(b) {
			return nil, errors.New("truncated table directory")
		}
		tag := string(b[r : r+4])
		o, l := int(be.Uint32(b[r+8:])), int(be.Uint32(b[r+12:]))
		if o < 0 || l < 0 || o+l > len(b) || o+l < o {
			return nil, fmt.Errorf("table %q outside the file", tag)
		}
		f.tables[tag] = b[o : o+l]
	}
	for _, t := range []string{"head", "hhea", "maxp", "hmtx", "loca", "glyf", "cmap"} {
		if f.tables[t] == nil {
			return nil, fmt.Errorf("no %s table", t)
		}
	}
	head, hhea, maxp := f.tables["head"], f.tables["hhea"], f.tables["maxp"]
	if len(head) < 54 || len(hhea) < 36 || len(maxp) < 6 {
		return nil, errors.New("short head, hhea or maxp")
	}
	f.unitsPerEm = float64(be.Uint16(head[18:]))
	if f.unitsPerEm < 16 {
		return nil, errors.New("bad unitsPerEm")
	}
	for i := range f.bbox {
		f.bbox[i] = int16(be.Uint16(head[36+2*i:]))
	}
	f.locaLong = be.Uint16(head[50:]) == 1
	f.ascent, f.descent = int16(be.Uint16(hhea[4:])), int16(be.Uint16(hhea[6:]))
	f.numHMetric = int(be.Uint16(hhea[34:]))
	f.numGlyphs = int(be.Uint16(maxp[4:]))
	if f.numHMetric == 0 || 4*f.numHMetric > len(f.tables["hmtx"]) {
		return nil, errors.New("bad hmtx")
	}
	per := 2
	if f.locaLong {
		per = 4
	}
	if len(f.tables["loca"]) < per*(f.numGlyphs+1) {
		return nil, errors.New("short loca")
	}
	if err := f.readCmap(); err != nil {
		return nil, err
	}
	f.name = f.postScriptName()
	return f, nil
}

func (f *Font) readCmap() error {
	be := binary.BigEndian
	c := f.tables["cmap"]
	if len(c) < 4 {
		return errors.New("short cmap")
	}
	n := int(be.Uint16(c[2:]))
	for i := range n {
		r := 4 + 8*i
		if r+8 > len(c) {
			break
		}
		pid, eid, o := be.Uint16(c[r:]), be.Uint16(c[r+2:]), int(be.Uint32(c[r+4:]))
		if !(pid == 3 && (eid == 1 || eid == 10)) && pid != 0 {
			continue
		}
		if o+8 > len(c) {
			continue
		}
		switch be.Uint16(c[o:]) {
		case 4:
			l := int(be.Uint16(c[o+2:]))
			if o+l <= len(c) && l >= 14 {
				f.cmap4 = c[o : o+l]
			}
		case 12:
			if o+16 > len(c) {
				continue
			}
			l := int(be.Uint32(c[o+4:]))
			if o+l <= len(c) && l >= 16 {
				f.cmap12 = c[o : o+l]
			}
		}
	}
	if f.cmap4 == nil && f.cmap12 == nil {
		return errors.New("no Unicode cmap")
	}
	return nil
}

func (f *Font) postScriptName() string {
	be := binary.BigEndian
	nt := f.tables["name"]
	if len(nt) >= 6 {
		count, strOff := int(be.Uint16(nt[2:])), int(be.Uint16(nt[4:]))
		for i := range count {
			r := 6 + 12*i
			if r+12 > len(nt) {
				break
			}
			pid, nameID := be.Uint16(nt[r:]), be.Uint16(nt[r+6:])
			l, o := int(be.Uint16(nt[r+8:])), strOff+int(be.Uint16(nt[r+10:]))
			if nameID != 6 || o+l > len(nt) {
				continue
			}
			s := nt[o : o+l]
			var name []byte
			if pid == 3 || pid == 0 {
				for j := 0; j+1 < len(s); j += 2 {
					name = append(name, s[j+1])
				}
			} else {
				name = s
			}
			clean := strings.Map(func(r rune) rune {
				if r > ' ' && r < 0x7f && !strings.ContainsRune("[](){}<>/%#", r) {
					return r
				}
				return -1
			}, string(name))
			if clean != "" {
				return clean
			}
		}
	}
	return "CJKFont"
}

// Name is the font's PostScript name.
func (f *Font) Name() string { return f.name }

// GlyphIndex maps r to a glyph, 0 (.notdef) when the font lacks it.
func (f *Font) GlyphIndex(r rune) uint16 {
	be := binary.BigEndian
	if c := f.cmap12; c != nil {
		n := int(be.Uint32(c[12:]))
		lo, hi := 0, n
		for lo < hi {
			m := (lo + hi) / 2
			g := c[16+12*m:]
			if len(g) < 12 {
				return 0
			}
			start, end := rune(be.Uint32(g)), rune(be.Uint32(g[4:]))
			switch {
			case r < start:
				hi = m
			case r > end:
				lo = m + 1
			default:
				gid := int(be.Uint32(g[8:])) + int(r-start)
				if gid >= f.numGlyphs {
					return 0
				}
				return uint16(gid)
			}
		}
		return 0
	}
	c := f.cmap4
	if r > 0xffff {
		return 0
	}
	segX2 := int(be.Uint16(c[6:]))
	if 14+4*segX2+2 > len(c) {
		return 0
	}
	ends, starts, deltas, offs := c[14:], c[16+segX2:], c[16+2*segX2:], c[16+3*segX2:]
	for i := 0; i < segX2; i += 2 {
		end := rune(be.Uint16(ends[i:]))
		if r > end {
			continue
		}
		start := rune(be.Uint16(starts[i:]))
		if r < start {
			return 0
		}
		delta, ro := be.Uint16(deltas[i:]), int(be.Uint16(offs[i:]))
		if ro == 0 {
			return uint16(r) + delta
		}
		p := 16 + 3*segX2 + i + ro + 2*int(r-start)
		if p+2 > len(c) {
			return 0
		}
		g := be.Uint16(c[p:])
		if g == 0 {
			return 0
		}
		return g + delta
	}
	return 0
}

// advance is the advance width of g in font units.
func (f *Font) advance(g uint16) int {
	h := f.tables["hmtx"]
	i := min(int(g), f.numHMetric-1)
	return int(binary.BigEndian.Uint16(h[4*i:]))
}

// glyphData is the glyf entry of g (nil for an empty glyph).
func (f *Font) glyphData(g uint16) []byte {
	if int(g) >= f.numGlyphs {
		return nil
	}
	be := binary.BigEndian
	loca, glyf := f.tables["loca"], f.tables["glyf"]
	var a, b int
	if f.locaLong {
		a, b = int(be.Uint32(loca[4*int(g):])), int(be.Uint32(loca[4*int(g)+4:]))
	} else {
		a, b = 2*int(be.Uint16(loca[2*int(g):])), 2*int(be.Uint16(loca[2*int(g)+2:]))
	}
	if a >= b || b > len(glyf) {
		return nil
	}
	return glyf[a:b]
}

// components lists the glyphs a composite glyph refers to.
func (f *Font) components(d []byte) []uint16 {
	be := binary.BigEndian
	if len(d) < 10 || int16(be.Uint16(d)) >= 0 {
		return nil
	}
	var out []uint16
	for p := 10; p+4 <= len(d); {
		flags, g := be.Uint16(d[p:]), be.Uint16(d[p+2:])
		out = append(out, g)
		p += 4 + compositeArgs(flags)
		if flags&0x20 == 0 { // MORE_COMPONENTS
			break
		}
	}
	return out
}

// compositeArgs is the size of a component's arguments and transform.
func compositeArgs(flags uint16) int {
	n := 2
	if flags&1 != 0 { // ARG_1_AND_2_ARE_WORDS
		n = 4
	}
	switch {
	case flags&0x08 != 0: // WE_HAVE_A_SCALE
		n += 2
	case flags&0x40 != 0: // WE_HAVE_AN_X_AND_Y_SCALE
		n += 4
	case flags&0x80 != 0: // WE_HAVE_A_TWO_BY_TWO
		n += 8
	}
	return n
}

// fpoint is an outline point in font units.
type fpoint struct {
	x, y float64
	on   bool
}

// outline returns the contours of g, composites resolved (depth-limited).
func (f *Font) outline(g uint16, depth int) [][]fpoint {
	d := f.glyphData(g)
	if len(d) < 10 || depth > 8 {
		return nil
	}
	be := binary.BigEndian
	nc := int16(be.Uint16(d))
	if nc < 0 {
		var out [][]fpoint
		for p := 10; p+4 <= len(d); {
			flags, cg := be.Uint16(d[p:]), be.Uint16(d[p+2:])
			p += 4
			var dx, dy float64
			a, b, c, e := 1.0, 0.0, 0.0, 1.0
			if flags&1 != 0 {
				if p+4 > len(d) {
					return out
				}
				dx, dy = float64(int16(be.Uint16(d[p:]))), float64(int16(be.Uint16(d[p+2:])))
				p += 4
			} else {
				if p+2 > len(d) {
					return out
				}
				dx, dy = float64(int8(d[p])), float64(int8(d[p+1]))
				p += 2
			}
			f2 := func() float64 { v := float64(int16(be.Uint16(d[p:]))) / 16384; p += 2; return v }
			switch {
			case flags&0x08 != 0 && p+2 <= len(d):
				a = f2()
				e = a
			case flags&0x40 != 0 && p+4 <= len(d):
				a, e = f2(), f2()
			case flags&0x80 != 0 && p+8 <= len(d):
				a, b, c, e = f2(), f2(), f2(), f2()
			}
			if flags&2 == 0 { // point matching: not supported, place at origin
				dx, dy = 0, 0
			}
			for _, ct := range f.outline(cg, depth+1) {
				t := make([]fpoint, len(ct))
				for i, pt := range ct {
					t[i] = fpoint{a*pt.x + c*pt.y + dx, b*pt.x + e*pt.y + dy, pt.on}
				}
				out = append(out, t)
			}
			if flags&0x20 == 0 {
				break
			}
		}
		return out
	}
	p := 10
	if p+2*int(nc)+2 > len(d) {
		return nil
	}
	ends := make([]int, nc)
	for i := range ends {
		ends[i] = int(be.Uint16(d[p+2*i:]))
	}
	p += 2 * int(nc)
	if nc == 0 {
		return nil
	}
	np := ends[nc-1] + 1
	p += 2 + int(be.Uint16(d[p:])) // instructions
	flags := make([]byte, 0, np)
	for len(flags) < np && p < len(d) {
		fl := d[p]
		p++
		flags = append(flags, fl)
		if fl&8 != 0 && p < len(d) {
			rep := int(d[p])
			p++
			for range rep {
				flags = append(flags, fl)
			}
		}
	}
	if len(flags) < np {
		return nil
	}
	flags = flags[:np]
	coords := func(short, same byte) []float64 {
		v := make([]float64, np)
		var acc float64
		for i, fl := range flags {
			switch {
			case fl&short != 0:
				if p >= len(d) {
					return nil
				}
				dv := float64(d[p])
				p++
				if fl&same == 0 {
					dv = -dv
				}
				acc += dv
			case fl&same == 0:
				if p+2 > len(d) {
					return nil
				}
				acc += float64(int16(be.Uint16(d[p:])))
				p += 2
			}
			v[i] = acc
		}
		return v
	}
	xs := coords(0x02, 0x10)
	ys := coords(0x04, 0x20)
	if xs == nil || ys == nil {
		return nil
	}
	var out [][]fpoint
	start := 0
	for _, e := range ends {
		if e < start || e >= np {
			return out
		}
		ct := make([]fpoint, 0, e-start+1)
		for i := start; i <= e; i++ {
			ct = append(ct, fpoint{xs[i], ys[i], flags[i]&1 != 0})
		}
		out = append(out, ct)
		start = e + 1
	}
	return out
}
