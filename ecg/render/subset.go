package render

import (
	"encoding/binary"
	"slices"
)

// subset returns a TrueType file with the glyph numbering of f but only the
// outlines and advance widths of the glyphs used (plus .notdef and the
// components of composite glyphs); the rest are empty. Keeping the numbers
// lets the PDF map CIDs to glyphs with /CIDToGIDMap /Identity. Tables: the
// required head, hhea, maxp, hmtx, loca (long offsets) and glyf, and the
// hinting tables cvt, fpgm and prep when present (TrueType reference
// manual, ch. 6; PDF 1.4 §5.8 lists what an embedded TrueType font needs).
func (f *Font) subset(used map[uint16]bool) []byte {
	be := binary.BigEndian
	keep := map[uint16]bool{0: true}
	var queue []uint16
	for g := range used {
		queue = append(queue, g)
	}
	for len(queue) > 0 && len(keep) < 65536 {
		g := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		if keep[g] || int(g) >= f.numGlyphs {
			continue
		}
		keep[g] = true
		queue = append(queue, f.components(f.glyphData(g))...)
	}
	var glyf []byte
	loca := make([]byte, 4*(f.numGlyphs+1))
	hmtx := make([]byte, 4*f.numGlyphs)
	for g := 0; g < f.numGlyphs; g++ {
		be.PutUint32(loca[4*g:], uint32(len(glyf)))
		if !keep[uint16(g)] {
			continue
		}
		glyf = append(glyf, f.glyphData(uint16(g))...)
		for len(glyf)%4 != 0 {
			glyf = append(glyf, 0)
		}
		be.PutUint16(hmtx[4*g:], uint16(f.advance(uint16(g))))
		h := f.tables["hmtx"]
		lsb := 4*g + 2 // left side bearing: in the metric, or in the array after them
		if g >= f.numHMetric {
			lsb = 4*f.numHMetric + 2*(g-f.numHMetric)
		}
		if lsb+2 <= len(h) {
			copy(hmtx[4*g+2:4*g+4], h[lsb:lsb+2])
		}
	}
	be.PutUint32(loca[4*f.numGlyphs:], uint32(len(glyf)))

	head := slices.Clone(f.tables["head"])
	be.PutUint32(head[8:], 0)  // checkSumAdjustment, set below
	be.PutUint16(head[50:], 1) // long loca
	hhea := slices.Clone(f.tables["hhea"])
	be.PutUint16(hhea[34:], uint16(f.numGlyphs)) // every glyph has its metric
	tables := map[string][]byte{"head": head, "hhea": hhea, "maxp": f.tables["maxp"], "hmtx": hmtx, "loca": loca, "glyf": glyf}
	for _, t := range []string{"cvt ", "fpgm", "prep"} {
		if b := f.tables[t]; b != nil {
			tables[t] = b
		}
	}
	tags := make([]string, 0, len(tables))
	for t := range tables {
		tags = append(tags, t)
	}
	slices.Sort(tags)

	n := len(tags)
	es := 0
	for 1<<(es+1) <= n {
		es++
	}
	out := make([]byte, 12+16*n)
	be.PutUint32(out, 0x00010000)
	be.PutUint16(out[4:], uint16(n))
	be.PutUint16(out[6:], uint16(16<<es))
	be.PutUint16(out[8:], uint16(es))
	be.PutUint16(out[10:], uint16(16*n-16<<es))
	headAt := 0
	for i, t := range tags {
		b := tables[t]
		r := 12 + 16*i
		copy(out[r:], t)
		be.PutUint32(out[r+4:], checksum(b))
		be.PutUint32(out[r+8:], uint32(len(out)))
		be.PutUint32(out[r+12:], uint32(len(b)))
		if t == "head" {
			headAt = len(out)
		}
		out = append(out, b...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
	}
	be.PutUint32(out[headAt+8:], 0xB1B0AFBA-checksum(out))
	return out
}

// checksum is the TrueType table checksum: the sum of big-endian uint32s,
// the last one zero-padded.
func checksum(b []byte) uint32 {
	var s uint32
	for i := 0; i < len(b); i += 4 {
		var w [4]byte
		copy(w[:], b[i:])
		s += binary.BigEndian.Uint32(w[:])
	}
	return s
}
