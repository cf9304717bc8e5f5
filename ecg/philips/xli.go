package philips

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// XLI stream constants.
const (
	codeBits   = 10
	lastEntry  = 1<<codeBits - 2 // 1022, the last dictionary entry
	endCode    = 1<<codeBits - 1 // 1023
	headerSize = 8
	// deltaBias is added to every stored second-difference term.
	deltaBias = 64
)

// ErrXLI is wrapped by every XLI decoding error.
var ErrXLI = errors.New("philips: XLI")

// dictionary is the LZW string table: each entry is a prefix entry plus
// one byte, with its length and first byte cached.
type dictionary struct {
	prefix [lastEntry + 1]uint16
	suffix [lastEntry + 1]byte
	first  [lastEntry + 1]byte
	length [lastEntry + 1]uint16
	next   int
}

func (d *dictionary) reset() {
	for i := range 256 {
		d.suffix[i], d.first[i], d.length[i] = byte(i), byte(i), 1
	}
	d.next = 256
}

// appendString appends the string of code to dst.
func (d *dictionary) appendString(dst []byte, code int) []byte {
	n := int(d.length[code])
	start := len(dst)
	dst = append(dst, make([]byte, n)...)
	for i := start + n - 1; i >= start; i-- {
		dst[i] = d.suffix[code]
		code = int(d.prefix[code])
	}
	return dst
}

// lzwDecode appends the decompressed bytes of src to dst. It stops at the
// end code, when fewer than 10 bits remain, or once limit bytes have been
// appended (further output is dropped).
func lzwDecode(dst, src []byte, limit int, d *dictionary) ([]byte, error) {
	d.reset()
	base := len(dst)
	var acc uint32
	nbits, pos, prev := 0, 0, -1
	for len(dst)-base < limit {
		for nbits < codeBits && pos < len(src) {
			acc = acc<<8 | uint32(src[pos])
			pos++
			nbits += 8
		}
		if nbits < codeBits {
			break
		}
		nbits -= codeBits
		code := int(acc>>nbits) & endCode
		switch {
		case code == endCode:
			return dst, nil
		case code < d.next:
			if prev >= 0 && d.next <= lastEntry {
				d.add(prev, d.first[code])
			}
		case code == d.next && prev >= 0:
			// The string being defined: the previous one plus its own
			// first byte.
			d.add(prev, d.first[prev])
		default:
			return dst, fmt.Errorf("%w: code %d at byte %d before it is defined (next %d)", ErrXLI, code, pos, d.next)
		}
		if room := limit - (len(dst) - base); int(d.length[code]) > room {
			dst = d.appendString(dst, code)[:base+limit]
			return dst, nil
		}
		dst = d.appendString(dst, code)
		prev = code
	}
	return dst, nil
}

func (d *dictionary) add(prefix int, b byte) {
	n := d.next
	d.prefix[n] = uint16(prefix)
	d.suffix[n] = b
	d.first[n] = d.first[prefix]
	d.length[n] = d.length[prefix] + 1
	d.next++
}

// DecodeXLI decodes an XLI stream of at most maxLeads chunks, each lead of
// n samples, into one slice of samples (in resolution units) per chunk. A
// chunk whose data yields fewer than 2n bytes gives a shorter lead. The
// limb-lead corrections are not undone here; see [restoreLimbLeads].
func DecodeXLI(data []byte, n, maxLeads int) ([][]int32, error) {
	if n <= 0 || n > maxSamples {
		return nil, fmt.Errorf("%w: %d samples per lead", ErrXLI, n)
	}
	var (
		leads [][]int32
		d     dictionary
		buf   = make([]byte, 0, 2*n)
	)
	for off := 0; off < len(data); {
		if len(leads) == maxLeads {
			return nil, fmt.Errorf("%w: more than %d chunks", ErrXLI, maxLeads)
		}
		if len(data)-off < headerSize {
			return nil, fmt.Errorf("%w: chunk %d: %d-byte header", ErrXLI, len(leads)+1, len(data)-off)
		}
		size := binary.LittleEndian.Uint32(data[off:])
		first := int32(int16(binary.LittleEndian.Uint16(data[off+6:])))
		off += headerSize
		if uint64(size) > uint64(len(data)-off) {
			return nil, fmt.Errorf("%w: chunk %d: %d bytes declared, %d left", ErrXLI, len(leads)+1, size, len(data)-off)
		}
		var err error
		buf, err = lzwDecode(buf[:0], data[off:off+int(size)], 2*n, &d)
		if err != nil {
			return nil, fmt.Errorf("chunk %d: %w", len(leads)+1, err)
		}
		off += int(size)
		leads = append(leads, unpredict(buf, first))
	}
	if len(leads) == 0 {
		return nil, fmt.Errorf("%w: no chunks", ErrXLI)
	}
	return leads, nil
}

// unpredict joins the high-byte and low-byte halves of b into 16-bit terms
// and rebuilds the samples from them.
func unpredict(b []byte, first int32) []int32 {
	m := len(b) / 2
	s := make([]int32, m)
	for i := range s {
		s[i] = int32(int16(uint16(b[i])<<8 | uint16(b[m+i])))
	}
	if m < 3 {
		return s
	}
	last := first
	x, y := s[0], s[1]
	for i := 2; i < m; i++ {
		z := 2*y - x - last
		last = s[i] - deltaBias
		s[i] = z
		x, y = y, z
	}
	return s
}

// restoreLimbLeads undoes the corrections stored for III, aVR, aVL and aVF
// (leads 2–5) from I and II (leads 0 and 1), in place.
func restoreLimbLeads(l [][]int32) {
	i, ii, iii, avr, avl, avf := l[0], l[1], l[2], l[3], l[4], l[5]
	n := min(len(i), len(ii), len(iii), len(avr), len(avl), len(avf))
	for k := range n {
		iii[k] = ii[k] - i[k] - iii[k]
		avr[k] = -avr[k] - floorHalf(i[k]+ii[k])
		avl[k] = floorHalf(i[k]-iii[k]) - avl[k]
		avf[k] = floorHalf(ii[k]+iii[k]) - avf[k]
	}
}

// floorHalf is ⌊v/2⌋.
func floorHalf(v int32) int32 { return v >> 1 }
