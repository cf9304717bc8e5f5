package wfdb

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// MaxHeaderSize caps a header file.
const MaxHeaderSize = 1 << 20

// maxSignals caps the number of signals a header may declare.
const maxSignals = 4096

// Header is a parsed .hea file.
type Header struct {
	Name        string
	NumSignals  int
	SampleRate  float64 // frames per second; 250 when absent
	CounterFreq float64
	BaseCounter float64
	// NumSamples is the number of samples per signal; 0 when absent.
	NumSamples int64
	// BaseTime is the base time and date; zero when absent. A base time
	// without a date has year 0.
	BaseTime time.Time
	HasTime  bool
	HasDate  bool
	Signals  []Signal
	// Info holds the "#" lines after the signal lines (without "#").
	Info []string
}

// Signal is one signal line.
type Signal struct {
	FileName        string
	Format          int
	SamplesPerFrame int
	Skew            int
	ByteOffset      int64
	// Gain is ADC units per physical unit (200 when absent).
	Gain     float64
	Baseline int
	Units    string
	ADCRes   int
	ADCZero  int
	InitVal  int
	Checksum int
	// HasInitVal reports whether InitVal was given (it defaults to ADCZero).
	BlockSize   int
	Description string
}

// ParseHeader parses a WFDB header file.
func ParseHeader(b []byte) (*Header, error) {
	if len(b) > MaxHeaderSize {
		return nil, fmt.Errorf("wfdb: header: %d bytes exceeds %d", len(b), MaxHeaderSize)
	}
	var h *Header
	for line := range bytes.Lines(b) {
		s := strings.TrimSpace(string(line))
		if s == "" {
			continue
		}
		if s[0] == '#' {
			if h != nil && len(h.Signals) == h.NumSignals {
				h.Info = append(h.Info, strings.TrimSpace(s[1:]))
			}
			continue
		}
		if h == nil {
			var err error
			if h, err = parseRecordLine(s); err != nil {
				return nil, err
			}
			continue
		}
		if len(h.Signals) == h.NumSignals {
			continue // trailing text that is not a comment: ignore
		}
		sig, err := parseSignalLine(s)
		if err != nil {
			return nil, fmt.Errorf("wfdb: header: signal %d: %w", len(h.Signals), err)
		}
		h.Signals = append(h.Signals, sig)
	}
	if h == nil {
		return nil, errors.New("wfdb: header: no record line")
	}
	if len(h.Signals) != h.NumSignals {
		return nil, fmt.Errorf("wfdb: header: %d signal lines, record line says %d", len(h.Signals), h.NumSignals)
	}
	return h, nil
}

func parseRecordLine(s string) (*Header, error) {
	f := strings.Fields(s)
	if len(f) < 2 {
		return nil, fmt.Errorf("wfdb: header: record line %q: want name and number of signals", s)
	}
	h := &Header{Name: f[0], SampleRate: 250}
	if strings.Contains(f[0], "/") {
		return nil, fmt.Errorf("wfdb: header: multi-segment record %q: %w", f[0], errors.ErrUnsupported)
	}
	n, err := strconv.Atoi(f[1])
	if err != nil || n < 0 || n > maxSignals {
		return nil, fmt.Errorf("wfdb: header: bad number of signals %q", f[1])
	}
	h.NumSignals = n
	if len(f) > 2 {
		fs := f[2]
		if i := strings.IndexByte(fs, '('); i >= 0 {
			j := strings.IndexByte(fs, ')')
			if j < i {
				return nil, fmt.Errorf("wfdb: header: bad base counter in %q", fs)
			}
			if h.BaseCounter, err = strconv.ParseFloat(fs[i+1:j], 64); err != nil {
				return nil, fmt.Errorf("wfdb: header: bad base counter in %q", fs)
			}
			fs = fs[:i]
		}
		if a, b, ok := strings.Cut(fs, "/"); ok {
			if h.CounterFreq, err = strconv.ParseFloat(b, 64); err != nil {
				return nil, fmt.Errorf("wfdb: header: bad counter frequency %q", b)
			}
			fs = a
		}
		if h.SampleRate, err = strconv.ParseFloat(fs, 64); err != nil || !(h.SampleRate > 0 && h.SampleRate < 1e9) {
			return nil, fmt.Errorf("wfdb: header: bad sampling frequency %q", f[2])
		}
	}
	if len(f) > 3 {
		if h.NumSamples, err = strconv.ParseInt(f[3], 10, 64); err != nil || h.NumSamples < 0 {
			return nil, fmt.Errorf("wfdb: header: bad number of samples %q", f[3])
		}
	}
	if len(f) > 4 {
		t, err := parseClock(f[4])
		if err != nil {
			return nil, fmt.Errorf("wfdb: header: base time %q: %w", f[4], err)
		}
		h.BaseTime, h.HasTime = t, true
		if len(f) > 5 {
			d, err := time.Parse("02/01/2006", f[5])
			if err != nil {
				return nil, fmt.Errorf("wfdb: header: base date %q: %w", f[5], err)
			}
			h.BaseTime = time.Date(d.Year(), d.Month(), d.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
			h.HasDate = true
		}
	}
	return h, nil
}

// parseClock parses HH:MM:SS[.sss], MM:SS or SS.
func parseClock(s string) (time.Time, error) {
	parts := strings.Split(s, ":")
	if len(parts) > 3 {
		return time.Time{}, errors.New("too many fields")
	}
	var hms [3]float64
	off := 3 - len(parts)
	for i, p := range parts {
		v, err := strconv.ParseFloat(p, 64)
		if err != nil || v < 0 || v >= 100 {
			return time.Time{}, fmt.Errorf("bad field %q", p)
		}
		hms[off+i] = v
	}
	sec := hms[2]
	ns := int((sec - float64(int(sec))) * 1e9)
	return time.Date(0, 1, 1, int(hms[0]), int(hms[1]), int(sec), ns, time.UTC), nil
}

func parseSignalLine(s string) (Signal, error) {
	f := strings.Fields(s)
	if len(f) < 2 {
		return Signal{}, fmt.Errorf("line %q: want file name and format", s)
	}
	sig := Signal{FileName: f[0], SamplesPerFrame: 1, Gain: 200, Units: "mV", ADCRes: 0}
	fm := f[1]
	if a, b, ok := strings.Cut(fm, "+"); ok {
		v, err := strconv.ParseInt(b, 10, 64)
		if err != nil || v < 0 {
			return sig, fmt.Errorf("bad byte offset %q", b)
		}
		sig.ByteOffset, fm = v, a
	}
	if a, b, ok := strings.Cut(fm, ":"); ok {
		v, err := strconv.Atoi(b)
		if err != nil {
			return sig, fmt.Errorf("bad skew %q", b)
		}
		sig.Skew, fm = v, a
	}
	if a, b, ok := strings.Cut(fm, "x"); ok {
		v, err := strconv.Atoi(b)
		if err != nil || v < 1 {
			return sig, fmt.Errorf("bad samples per frame %q", b)
		}
		sig.SamplesPerFrame, fm = v, a
	}
	var err error
	if sig.Format, err = strconv.Atoi(fm); err != nil {
		return sig, fmt.Errorf("bad format %q", f[1])
	}
	baselineSet := false
	if len(f) > 2 {
		g := f[2]
		if a, b, ok := strings.Cut(g, "/"); ok {
			sig.Units, g = b, a
		}
		if i := strings.IndexByte(g, '('); i >= 0 {
			j := strings.IndexByte(g, ')')
			if j < i {
				return sig, fmt.Errorf("bad baseline in %q", f[2])
			}
			if sig.Baseline, err = strconv.Atoi(g[i+1 : j]); err != nil {
				return sig, fmt.Errorf("bad baseline in %q", f[2])
			}
			baselineSet = true
			g = g[:i]
		}
		if sig.Gain, err = strconv.ParseFloat(g, 64); err != nil || sig.Gain < 0 {
			return sig, fmt.Errorf("bad ADC gain %q", f[2])
		}
		if sig.Gain == 0 {
			sig.Gain = 200 // "0" means uncalibrated; WFDB uses the default
		}
	}
	ints := []*int{&sig.ADCRes, &sig.ADCZero, &sig.InitVal, &sig.Checksum, &sig.BlockSize}
	for i, p := range ints {
		if len(f) <= 3+i {
			break
		}
		if *p, err = strconv.Atoi(f[3+i]); err != nil {
			return sig, fmt.Errorf("bad field %d %q", 4+i, f[3+i])
		}
	}
	if len(f) <= 5 {
		sig.InitVal = sig.ADCZero
	}
	if !baselineSet {
		sig.Baseline = sig.ADCZero
	}
	if len(f) > 8 {
		// The description is the rest of the line, spaces included.
		// (strings.Fields splits on every Unicode space, so skip the
		// same way.)
		rest := s
		for range 8 {
			rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
			i := strings.IndexFunc(rest, unicode.IsSpace)
			if i < 0 {
				rest = ""
				break
			}
			rest = rest[i:]
		}
		sig.Description = strings.TrimSpace(rest)
	}
	return sig, nil
}
