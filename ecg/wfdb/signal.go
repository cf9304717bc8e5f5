package wfdb

import (
	"errors"
	"fmt"
)

// MaxSignalSize caps one signal (.dat) file: 1 GiB.
const MaxSignalSize = 1 << 30

// group is a run of signals stored interleaved in one file.
type group struct {
	file    string
	signals []int // indexes into Header.Signals
}

func groups(h *Header) []group {
	var gs []group
	for i, s := range h.Signals {
		if n := len(gs); n > 0 && gs[n-1].file == s.FileName {
			gs[n-1].signals = append(gs[n-1].signals, i)
			continue
		}
		gs = append(gs, group{file: s.FileName, signals: []int{i}})
	}
	return gs
}

// DecodeSignals decodes the raw ADC samples of every signal of h. data maps
// each signal file name to its contents. The result has one slice per
// signal, all of the same length (the shortest complete frame count, capped
// by h.NumSamples when given).
func DecodeSignals(h *Header, data map[string][]byte) ([][]int32, error) {
	out := make([][]int32, len(h.Signals))
	n := -1
	for _, g := range groups(h) {
		b, ok := data[g.file]
		if !ok {
			return nil, fmt.Errorf("wfdb: signal file %q: missing", g.file)
		}
		if len(b) > MaxSignalSize {
			return nil, fmt.Errorf("wfdb: signal file %q: %d bytes exceeds %d", g.file, len(b), MaxSignalSize)
		}
		first := h.Signals[g.signals[0]]
		for _, i := range g.signals {
			s := h.Signals[i]
			if s.Format != first.Format {
				return nil, fmt.Errorf("wfdb: signal file %q: mixed formats %d and %d", g.file, first.Format, s.Format)
			}
			if s.SamplesPerFrame != 1 || s.Skew != 0 {
				return nil, fmt.Errorf("wfdb: signal %d: samples per frame %d, skew %d: %w", i, s.SamplesPerFrame, s.Skew, errors.ErrUnsupported)
			}
		}
		off := first.ByteOffset
		if off > int64(len(b)) {
			return nil, fmt.Errorf("wfdb: signal file %q: byte offset %d beyond %d bytes", g.file, off, len(b))
		}
		init := make([]int32, len(g.signals))
		for k, i := range g.signals {
			init[k] = int32(h.Signals[i].InitVal)
		}
		cols, err := decodeFormat(first.Format, b[off:], len(g.signals), h.NumSamples, init)
		if err != nil {
			return nil, fmt.Errorf("wfdb: signal file %q: %w", g.file, err)
		}
		for k, i := range g.signals {
			out[i] = cols[k]
			if n < 0 || len(cols[k]) < n {
				n = len(cols[k])
			}
		}
	}
	for i := range out {
		out[i] = out[i][:max(n, 0)]
	}
	return out, nil
}

// decodeFormat de-interleaves nsig signals stored in one of the supported
// formats. limit, when positive, caps the number of frames.
func decodeFormat(format int, b []byte, nsig int, limit int64, init []int32) ([][]int32, error) {
	var frames int64
	switch format {
	case 16, 61:
		frames = int64(len(b)) / int64(2*nsig)
	case 80, 8:
		frames = int64(len(b)) / int64(nsig)
	case 212:
		frames = int64(len(b)) * 2 / 3 / int64(nsig)
	default:
		return nil, fmt.Errorf("format %d: %w", format, errors.ErrUnsupported)
	}
	if limit > 0 && limit < frames {
		frames = limit
	}
	cols := make([][]int32, nsig)
	for k := range cols {
		cols[k] = make([]int32, frames)
	}
	total := frames * int64(nsig)
	switch format {
	case 16:
		for i := range total {
			cols[i%int64(nsig)][i/int64(nsig)] = int32(int16(uint16(b[2*i]) | uint16(b[2*i+1])<<8))
		}
	case 61:
		for i := range total {
			cols[i%int64(nsig)][i/int64(nsig)] = int32(int16(uint16(b[2*i+1]) | uint16(b[2*i])<<8))
		}
	case 80:
		for i := range total {
			cols[i%int64(nsig)][i/int64(nsig)] = int32(b[i]) - 128
		}
	case 8:
		acc := append([]int32(nil), init...)
		for i := range total {
			k := i % int64(nsig)
			acc[k] += int32(int8(b[i]))
			cols[k][i/int64(nsig)] = acc[k]
		}
	case 212:
		// Each pair of samples occupies three bytes: the first sample's low
		// eight bits, then its high four bits in the low nibble and the
		// second sample's high four bits in the high nibble, then the
		// second sample's low eight bits.
		for i := int64(0); i < total; i++ {
			p := i / 2 * 3
			var v int32
			if i%2 == 0 {
				v = int32(b[p]) | int32(b[p+1]&0x0f)<<8
			} else {
				v = int32(b[p+2]) | int32(b[p+1]&0xf0)<<4
			}
			if v >= 2048 {
				v -= 4096
			}
			cols[i%int64(nsig)][i/int64(nsig)] = v
		}
	}
	return cols, nil
}
