package scpecg

import (
	"errors"
	"fmt"
)

// huffCode is one code structure of EN 1064 §5.5 (section 2): a prefix of
// prefixBits bits; when mode is 1 the value is base when totalBits equals
// prefixBits, otherwise the (totalBits−prefixBits) bits after the prefix
// are the value, two's complement, most significant bit first. When mode is
// 0 the code switches to table number base (1-based).
type huffCode struct {
	prefixBits int
	totalBits  int
	mode       int
	base       int
	code       uint32 // the prefix, first bit in bit prefixBits-1
}

type huffTable []huffCode

// defaultTable is the default Huffman table of EN 1064 (section 2 holding
// 19999 as the number of tables): ±8 in codes of 1 to 10 bits, then an
// escape to an 8-bit and one to a 16-bit value.
var defaultTable = huffTable{
	{1, 1, 1, 0, 0b0},
	{3, 3, 1, 1, 0b100},
	{3, 3, 1, -1, 0b101},
	{4, 4, 1, 2, 0b1100},
	{4, 4, 1, -2, 0b1101},
	{5, 5, 1, 3, 0b11100},
	{5, 5, 1, -3, 0b11101},
	{6, 6, 1, 4, 0b111100},
	{6, 6, 1, -4, 0b111101},
	{7, 7, 1, 5, 0b1111100},
	{7, 7, 1, -5, 0b1111101},
	{8, 8, 1, 6, 0b11111100},
	{8, 8, 1, -6, 0b11111101},
	{9, 9, 1, 7, 0b111111100},
	{9, 9, 1, -7, 0b111111101},
	{10, 10, 1, 8, 0b1111111100},
	{10, 10, 1, -8, 0b1111111101},
	{10, 18, 1, 0, 0b1111111110},
	{10, 26, 1, 0, 0b1111111111},
}

// huffSet is the tables of section 2; nil means data is not Huffman coded
// (section 2 absent): samples are then 16-bit little-endian values.
type huffSet []huffTable

const defaultTableMarker = 19999

// parseHuffman parses the body of section 2.
func parseHuffman(b []byte) (huffSet, error) {
	if len(b) < 2 {
		return nil, errors.New("section 2: too short")
	}
	n := int(le16(b))
	if n == defaultTableMarker {
		return huffSet{defaultTable}, nil
	}
	if n == 0 || n > 256 {
		return nil, fmt.Errorf("section 2: %d tables", n)
	}
	p := 2
	set := make(huffSet, 0, n)
	for t := range n {
		if p+2 > len(b) {
			return nil, fmt.Errorf("section 2: table %d: truncated", t+1)
		}
		nc := int(le16(b[p:]))
		p += 2
		if nc == 0 || nc > 1024 || p+9*nc > len(b) {
			return nil, fmt.Errorf("section 2: table %d: %d code structures do not fit", t+1, nc)
		}
		tab := make(huffTable, nc)
		for i := range tab {
			c := b[p : p+9]
			p += 9
			h := huffCode{prefixBits: int(c[0]), totalBits: int(c[1]), mode: int(c[2]), base: int(int16(le16(c[3:]))), code: le32(c[5:])}
			if h.prefixBits < 1 || h.prefixBits > 32 || h.totalBits < h.prefixBits || h.totalBits-h.prefixBits > 32 {
				return nil, fmt.Errorf("section 2: table %d code %d: %d prefix bits, %d total", t+1, i, h.prefixBits, h.totalBits)
			}
			// The base code is stored with the first transmitted bit in
			// the least significant position; turn it round so that the
			// first bit is the most significant of prefixBits.
			var r uint32
			for k := range h.prefixBits {
				r = r<<1 | (h.code>>k)&1
			}
			h.code = r
			tab[i] = h
		}
		set = append(set, tab)
	}
	return set, nil
}

// bitReader reads bits most significant first.
type bitReader struct {
	b   []byte
	pos int // bit position
}

func (r *bitReader) bit() (uint32, bool) {
	if r.pos >= 8*len(r.b) {
		return 0, false
	}
	v := uint32(r.b[r.pos>>3]>>(7-r.pos&7)) & 1
	r.pos++
	return v, true
}

func (r *bitReader) bits(n int) (uint32, bool) {
	var v uint32
	for range n {
		b, ok := r.bit()
		if !ok {
			return 0, false
		}
		v = v<<1 | b
	}
	return v, true
}

var errShortData = errors.New("data ends before the last sample")

// decodeHuffman decodes n values from b with the table set, starting with
// table 1.
func decodeHuffman(set huffSet, b []byte, n int) ([]int32, error) {
	if n < 0 || (set != nil && n > 8*len(b)) || (set == nil && 2*n > len(b)) {
		return nil, errShortData // every code takes at least one bit
	}
	out := make([]int32, 0, n)
	if set == nil {
		if len(b) < 2*n {
			return nil, errShortData
		}
		for i := range n {
			out = append(out, int32(int16(le16(b[2*i:]))))
		}
		return out, nil
	}
	maxPrefix := 0
	for _, t := range set {
		for _, c := range t {
			maxPrefix = max(maxPrefix, c.prefixBits)
		}
	}
	if maxPrefix > 16 {
		return decodeSlow(set, b, n, out, maxPrefix)
	}
	// A lookup table per Huffman table: the next maxPrefix bits index the
	// code whose prefix they start with.
	luts := make([][]int16, len(set))
	for ti, t := range set {
		lut := make([]int16, 1<<maxPrefix)
		for i := range lut {
			lut[i] = -1
		}
		for ci, c := range t {
			shift := maxPrefix - c.prefixBits
			first := int(c.code) << shift
			for k := range 1 << shift {
				if lut[first+k] < 0 {
					lut[first+k] = int16(ci)
				}
			}
		}
		luts[ti] = lut
	}
	cur := 0
	pos, total := 0, 8*len(b)
	// peek returns the k bits at pos, zero-padded past the end.
	peek := func(k int) uint32 {
		var v uint32
		p := pos
		for k > 0 {
			byteI := p >> 3
			var c byte
			if byteI < len(b) {
				c = b[byteI]
			}
			avail := 8 - p&7
			take := min(avail, k)
			bits := uint32(c>>(avail-take)) & (1<<take - 1)
			v = v<<take | bits
			k -= take
			p += take
		}
		return v
	}
	for len(out) < n {
		if pos >= total {
			return out, errShortData
		}
		ci := luts[cur][peek(maxPrefix)]
		if ci < 0 {
			return out, fmt.Errorf("no Huffman code matches at bit %d", pos)
		}
		c := set[cur][ci]
		if pos+c.totalBits > total {
			return out, errShortData
		}
		pos += c.prefixBits
		if c.mode == 0 {
			if c.base < 1 || c.base > len(set) {
				return out, fmt.Errorf("switch to table %d of %d", c.base, len(set))
			}
			cur = c.base - 1
			continue
		}
		if extra := c.totalBits - c.prefixBits; extra > 0 {
			sv := int64(peek(extra))
			pos += extra
			if sv>>(extra-1)&1 == 1 {
				sv -= 1 << extra
			}
			out = append(out, int32(sv))
		} else {
			out = append(out, int32(c.base))
		}
	}
	return out, nil
}

// decodeSlow decodes bit by bit, for tables with prefixes over 16 bits.
func decodeSlow(set huffSet, b []byte, n int, out []int32, maxPrefix int) ([]int32, error) {
	tab := set[0]
	r := bitReader{b: b}
	for len(out) < n {
		var code uint32
		found := false
		for nb := 1; nb <= maxPrefix && !found; nb++ {
			bit, ok := r.bit()
			if !ok {
				return out, errShortData
			}
			code = code<<1 | bit
			for _, c := range tab {
				if c.prefixBits != nb || c.code != code {
					continue
				}
				found = true
				if c.mode == 0 {
					if c.base < 1 || c.base > len(set) {
						return out, fmt.Errorf("switch to table %d of %d", c.base, len(set))
					}
					tab = set[c.base-1]
					break
				}
				if extra := c.totalBits - c.prefixBits; extra > 0 {
					v, ok := r.bits(extra)
					if !ok {
						return out, errShortData
					}
					// Two's complement of extra bits.
					sv := int64(v)
					if sv>>(extra-1)&1 == 1 {
						sv -= 1 << extra
					}
					out = append(out, int32(sv))
				} else {
					out = append(out, int32(c.base))
				}
				break
			}
		}
		if !found {
			return out, fmt.Errorf("no Huffman code matches at bit %d", r.pos)
		}
	}
	return out, nil
}
