package codec

import (
	"encoding/binary"
	"fmt"
)

// rleHeaderLen is the size of the RLE header: the segment count and 15
// segment offsets, each a 32-bit little-endian unsigned integer (PS3.5
// §G.5).
const rleHeaderLen = 64

// maxRLESegments is the most segments an RLE frame may have (PS3.5 §G.2).
const maxRLESegments = 15

// DecodeRLE decodes one RLE Lossless frame (PS3.5 Annex G) into a native
// frame of im: little endian samples, in im's planar configuration.
func DecodeRLE(frame []byte, im Image) ([]byte, error) {
	if err := im.check(); err != nil {
		return nil, err
	}
	if len(frame) < rleHeaderLen {
		return nil, fmt.Errorf("codec: rle: frame of %d bytes is shorter than its header: %w", len(frame), ErrCorrupt)
	}
	bps := im.BitsAllocated / 8
	nseg := int(binary.LittleEndian.Uint32(frame))
	if want := im.Samples * bps; nseg != want {
		return nil, fmt.Errorf("codec: rle: %d segments, want %d for %d samples of %d bits: %w", nseg, want, im.Samples, im.BitsAllocated, ErrCorrupt)
	}
	if nseg < 1 || nseg > maxRLESegments {
		return nil, fmt.Errorf("codec: rle: %d segments: %w", nseg, ErrCorrupt)
	}
	offs := make([]int, nseg+1)
	for i := range nseg {
		offs[i] = int(binary.LittleEndian.Uint32(frame[4+4*i:]))
	}
	offs[nseg] = len(frame)
	if offs[0] != rleHeaderLen {
		return nil, fmt.Errorf("codec: rle: first segment at %d, want 64: %w", offs[0], ErrCorrupt)
	}
	for i := range nseg {
		if offs[i+1] < offs[i] || offs[i+1] > len(frame) {
			return nil, fmt.Errorf("codec: rle: segment %d spans %d..%d of %d bytes: %w", i+1, offs[i], offs[i+1], len(frame), ErrCorrupt)
		}
	}
	npix := im.Rows * im.Cols
	out := make([]byte, im.FrameSize())
	plane := make([]byte, npix)
	for seg := range nseg {
		n, err := unpackBits(plane, frame[offs[seg]:offs[seg+1]])
		if err != nil {
			return nil, fmt.Errorf("codec: rle: segment %d: %w", seg+1, err)
		}
		if n < npix {
			return nil, fmt.Errorf("codec: rle: segment %d decodes to %d bytes, want %d: %w", seg+1, n, npix, ErrCorrupt)
		}
		start, step := im.segmentLayout(seg)
		for p, v := range plane {
			out[start+p*step] = v
		}
	}
	return out, nil
}

// segmentLayout returns where RLE segment seg's bytes go in a native
// frame of im: the offset of its first byte and the stride between pixels.
// Segments run per sample, most significant byte first (§G.2); the native
// frame is little endian.
func (im Image) segmentLayout(seg int) (start, step int) {
	bps := im.BitsAllocated / 8
	s, byteInSample := seg/bps, bps-1-seg%bps
	if im.Planar == 1 {
		return s*im.Rows*im.Cols*bps + byteInSample, bps
	}
	return s*bps + byteInSample, im.Samples * bps
}

// unpackBits decodes a PackBits segment (PS3.5 §G.3.1) into dst and
// returns how many bytes it wrote. Output beyond dst is an error; trailing
// input after dst is full is ignored (segments are padded to even length).
func unpackBits(dst, src []byte) (int, error) {
	o := 0
	for i := 0; i < len(src) && o < len(dst); {
		n := int(int8(src[i]))
		i++
		switch {
		case n >= 0: // literal run of n+1 bytes
			n++
			if i+n > len(src) {
				return o, fmt.Errorf("literal run of %d bytes past the segment's end: %w", n, ErrCorrupt)
			}
			if o+n > len(dst) {
				return o, fmt.Errorf("literal run past the frame's end: %w", ErrCorrupt)
			}
			copy(dst[o:], src[i:i+n])
			i += n
			o += n
		case n == -128: // no operation
		default: // replicate the next byte -n+1 times
			n = -n + 1
			if i >= len(src) {
				return o, fmt.Errorf("replicate run with no byte: %w", ErrCorrupt)
			}
			if o+n > len(dst) {
				return o, fmt.Errorf("replicate run past the frame's end: %w", ErrCorrupt)
			}
			v := src[i]
			i++
			for k := range n {
				dst[o+k] = v
			}
			o += n
		}
	}
	return o, nil
}

// EncodeRLE encodes one native frame of im as RLE Lossless (PS3.5 Annex
// G): one segment per byte of each sample, most significant first, each
// row encoded separately, segments padded to even length.
func EncodeRLE(frame []byte, im Image) ([]byte, error) {
	if err := im.check(); err != nil {
		return nil, err
	}
	if len(frame) < im.FrameSize() {
		return nil, fmt.Errorf("codec: rle: frame of %d bytes, want %d: %w", len(frame), im.FrameSize(), ErrCorrupt)
	}
	bps := im.BitsAllocated / 8
	nseg := im.Samples * bps
	if nseg > maxRLESegments {
		return nil, fmt.Errorf("codec: rle: %d samples of %d bits need %d segments (at most 15): %w", im.Samples, im.BitsAllocated, nseg, ErrUnsupported)
	}
	npix := im.Rows * im.Cols
	out := make([]byte, rleHeaderLen, rleHeaderLen+im.FrameSize()+im.FrameSize()/64+16)
	binary.LittleEndian.PutUint32(out, uint32(nseg))
	plane := make([]byte, npix)
	for seg := range nseg {
		binary.LittleEndian.PutUint32(out[4+4*seg:], uint32(len(out)))
		start, step := im.segmentLayout(seg)
		for p := range plane {
			plane[p] = frame[start+p*step]
		}
		for r := range im.Rows {
			out = packBits(out, plane[r*im.Cols:(r+1)*im.Cols])
		}
		if len(out)%2 == 1 {
			out = append(out, 0)
		}
	}
	return out, nil
}

// packBits appends the PackBits encoding of src to dst: runs of three or
// more equal bytes are replicated, the rest sent as literals, at most 128
// bytes per run.
func packBits(dst, src []byte) []byte {
	i := 0
	for i < len(src) {
		// Length of the run of equal bytes starting at i.
		r := 1
		for i+r < len(src) && r < 128 && src[i+r] == src[i] {
			r++
		}
		if r >= 3 {
			dst = append(dst, byte(int8(1-r)), src[i])
			i += r
			continue
		}
		// A literal: up to the next run of three or 128 bytes.
		j := i
		for j < len(src) && j-i < 128 {
			if j+2 < len(src) && src[j] == src[j+1] && src[j] == src[j+2] {
				break
			}
			j++
		}
		dst = append(dst, byte(j-i-1))
		dst = append(dst, src[i:j]...)
		i = j
	}
	return dst
}
