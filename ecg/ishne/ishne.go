package ishne

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"yigong/ecg"
)

// MaxSize caps an ISHNE file: 256 MiB (about 24 h of 3 leads at 1 kHz).
const MaxSize = 256 << 20

// ErrCRC is wrapped by the error for a header checksum mismatch.
var ErrCRC = errors.New("CRC mismatch")

// Header offsets (the fixed header starts at byte 10).
const (
	headerStart = 10
	headerEnd   = 522 // 10 + 512
)

// leadNames are the lead specification codes of the ISHNE format (table 2).
var leadNames = [...]string{
	0: "unknown", 1: "bipolar", 2: "X", 3: "Y", 4: "Z",
	5: "I", 6: "II", 7: "III", 8: "aVR", 9: "aVL", 10: "aVF",
	11: "V1", 12: "V2", 13: "V3", 14: "V4", 15: "V5", 16: "V6",
	17: "ES", 18: "AS", 19: "AI",
}

// qualityText is the lead quality code table (table 3).
var qualityText = [...]string{
	0: "unknown", 1: "good", 2: "intermittent noise", 3: "frequent noise",
	4: "intermittent disconnect", 5: "frequent disconnect",
}

// Read reads a whole ISHNE file from r (at most [MaxSize] bytes) and
// decodes it.
func Read(r io.Reader) (*ecg.Record, error) {
	b, err := ecg.ReadAll(r, MaxSize)
	if err != nil {
		return nil, fmt.Errorf("ishne: %w", err)
	}
	return Decode(b)
}

// Decode decodes an ISHNE ECG file held in b.
func Decode(b []byte) (*ecg.Record, error) {
	if len(b) > MaxSize {
		return nil, fmt.Errorf("ishne: %w: %d bytes", ecg.ErrTooLarge, len(b))
	}
	if len(b) < headerEnd {
		return nil, fmt.Errorf("ishne: %d bytes is too short for the 522-byte header", len(b))
	}
	switch string(b[:8]) {
	case "ISHNE1.0":
	case "ANN  1.0":
		return nil, fmt.Errorf("ishne: annotation file: %w", errors.ErrUnsupported)
	default:
		return nil, fmt.Errorf("ishne: bad magic number %q", b[:8])
	}
	u16 := func(off int) int { return int(binary.LittleEndian.Uint16(b[off:])) }
	i16 := func(off int) int { return int(int16(binary.LittleEndian.Uint16(b[off:]))) }
	i32 := func(off int) int64 { return int64(int32(binary.LittleEndian.Uint32(b[off:]))) }

	varLen := i32(10)
	if varLen < 0 || varLen > int64(len(b)-headerEnd) {
		return nil, fmt.Errorf("ishne: variable-length block of %d bytes does not fit in %d", varLen, len(b))
	}
	end := headerEnd + int(varLen)
	if got, want := crcCCITT(b[headerStart:end]), uint16(u16(8)); got != want {
		return nil, fmt.Errorf("ishne: header checksum %#04x, computed %#04x: %w", want, got, ErrCRC)
	}
	nSamples := i32(14)
	ecgOff := i32(22)
	nLeads := i16(156)
	fs := i16(272)
	switch {
	case nLeads < 1 || nLeads > 12:
		return nil, fmt.Errorf("ishne: %d leads, want 1–12", nLeads)
	case fs <= 0:
		return nil, fmt.Errorf("ishne: sampling rate %d Hz", fs)
	case nSamples < 0:
		return nil, fmt.Errorf("ishne: %d samples per lead", nSamples)
	case ecgOff < headerEnd || ecgOff > int64(len(b)):
		return nil, fmt.Errorf("ishne: ECG block offset %d outside the file (%d bytes)", ecgOff, len(b))
	}

	rec := &ecg.Record{Format: ecg.FormatISHNE, SampleRate: float64(fs)}
	rec.Patient = ecg.Patient{
		GivenName:  text(b[28:68]),
		FamilyName: text(b[68:108]),
		ID:         text(b[108:128]),
		BirthDate:  date(i16(136), i16(134), i16(132), 0, 0, 0),
	}
	switch i16(128) {
	case 1:
		rec.Patient.Sex = ecg.SexMale
	case 2:
		rec.Patient.Sex = ecg.SexFemale
	}
	rec.Start = date(i16(142), i16(140), i16(138), i16(150), i16(152), i16(154))
	rec.Device.Model = text(b[232:272])

	data := b[ecgOff:]
	frames := int64(len(data) / (2 * nLeads))
	n := int(min(nSamples, frames))
	rec.Leads = make([]ecg.Lead, nLeads)
	for l := range nLeads {
		spec := i16(158 + 2*l)
		name := fmt.Sprintf("lead %d", spec)
		if spec >= 0 && spec < len(leadNames) {
			name = leadNames[spec]
		}
		resNV := i16(206 + 2*l)
		if resNV <= 0 {
			return nil, fmt.Errorf("ishne: lead %d (%s): resolution %d nV", l+1, name, resNV)
		}
		scale := float64(resNV) / 1000
		s := make([]float64, n)
		for i := range s {
			s[i] = float64(int16(binary.LittleEndian.Uint16(data[2*(i*nLeads+l):]))) * scale
		}
		rec.Leads[l] = ecg.Lead{Name: name, Samples: s}
		if q := i16(182 + 2*l); q > 1 {
			t := fmt.Sprintf("quality code %d", q)
			if q < len(qualityText) {
				t = qualityText[q]
			}
			rec.Annotations = append(rec.Annotations, ecg.Annotation{Code: fmt.Sprintf("ishne-lead-quality-%d", q), Text: t, Channel: l})
		}
	}
	return rec, nil
}

// date builds a time in UTC+08:00 from the ISHNE day/month/year and
// hour/minute/second fields; a zero or invalid date gives the zero time.
func date(year, month, day, hour, minute, sec int) time.Time {
	if year <= 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || sec < 0 || sec > 60 {
		return time.Time{}
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.FixedZone("CST", 8*3600))
}

// text returns a NUL-padded field: UTF-8 when valid, else ISO 8859-1.
func text(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	if utf8.Valid(b) {
		return strings.TrimSpace(string(b))
	}
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return strings.TrimSpace(string(r))
}

// crcCCITT is CRC-CCITT as the ISHNE format specifies it: polynomial
// 0x1021, initial value 0xFFFF, most significant bit first, no final XOR.
func crcCCITT(b []byte) uint16 {
	crc := uint16(0xffff)
	for _, c := range b {
		crc ^= uint16(c) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}
