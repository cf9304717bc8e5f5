package ecg

import (
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// StandardLeads returns the twelve standard leads in their conventional
// order: I, II, III, aVR, aVL, aVF, V1–V6.
func StandardLeads() []string {
	return []string{"I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"}
}

// ParseNumber reads a decimal from cart text (surrounding spaces allowed);
// ok is false for anything else, NaN and infinities included.
func ParseNumber(s string) (v float64, ok bool) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return v, err == nil && !math.IsNaN(v) && !math.IsInf(v, 0)
}

// DecodeBase64 decodes base64 waveform text as cart XML holds it (spaces
// and line breaks anywhere), refusing more than limit bytes of data before
// allocating them.
func DecodeBase64(b []byte, limit int) ([]byte, error) {
	clean := make([]byte, 0, len(b))
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
		default:
			clean = append(clean, c)
		}
	}
	if base64.StdEncoding.DecodedLen(len(clean)) > limit {
		return nil, fmt.Errorf("more than %d bytes of data", limit)
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
	n, err := base64.StdEncoding.Decode(out, clean)
	if err != nil {
		return nil, fmt.Errorf("base64: %w", err)
	}
	return out[:n], nil
}
