package dicom

// VR is a value representation (PS3.5 §6.2), stored as its two ASCII
// characters. The zero VR means "none" (items and delimiters).
type VR uint16

// The value representations of PS3.5 Table 6.2-1.
const (
	AE VR = 'A'<<8 | 'E'
	AS VR = 'A'<<8 | 'S'
	AT VR = 'A'<<8 | 'T'
	CS VR = 'C'<<8 | 'S'
	DA VR = 'D'<<8 | 'A'
	DS VR = 'D'<<8 | 'S'
	DT VR = 'D'<<8 | 'T'
	FD VR = 'F'<<8 | 'D'
	FL VR = 'F'<<8 | 'L'
	IS VR = 'I'<<8 | 'S'
	LO VR = 'L'<<8 | 'O'
	LT VR = 'L'<<8 | 'T'
	OB VR = 'O'<<8 | 'B'
	OD VR = 'O'<<8 | 'D'
	OF VR = 'O'<<8 | 'F'
	OL VR = 'O'<<8 | 'L'
	OV VR = 'O'<<8 | 'V'
	OW VR = 'O'<<8 | 'W'
	PN VR = 'P'<<8 | 'N'
	SH VR = 'S'<<8 | 'H'
	SL VR = 'S'<<8 | 'L'
	SQ VR = 'S'<<8 | 'Q'
	SS VR = 'S'<<8 | 'S'
	ST VR = 'S'<<8 | 'T'
	SV VR = 'S'<<8 | 'V'
	TM VR = 'T'<<8 | 'M'
	UC VR = 'U'<<8 | 'C'
	UI VR = 'U'<<8 | 'I'
	UL VR = 'U'<<8 | 'L'
	UN VR = 'U'<<8 | 'N'
	UR VR = 'U'<<8 | 'R'
	US VR = 'U'<<8 | 'S'
	UT VR = 'U'<<8 | 'T'
	UV VR = 'U'<<8 | 'V'
)

// VRFromBytes returns the VR spelt by two bytes, and false when they are not
// a VR of PS3.5 Table 6.2-1.
func VRFromBytes(a, b byte) (VR, bool) {
	v := VR(a)<<8 | VR(b)
	return v, v.Valid()
}

// Valid reports whether v is one of the VRs of PS3.5 Table 6.2-1.
func (v VR) Valid() bool {
	switch v {
	case AE, AS, AT, CS, DA, DS, DT, FD, FL, IS, LO, LT, OB, OD, OF, OL, OV, OW,
		PN, SH, SL, SQ, SS, ST, SV, TM, UC, UI, UL, UN, UR, US, UT, UV:
		return true
	}
	return false
}

// String returns the two-letter VR, or "na" for the zero VR.
func (v VR) String() string {
	if v == 0 {
		return "na"
	}
	return string([]byte{byte(v >> 8), byte(v)})
}

// LongHeader reports whether explicit VR encoding uses the 12-byte header
// (2 reserved bytes and a 32-bit length) for v (PS3.5 §7.1.2).
func (v VR) LongHeader() bool {
	switch v {
	case OB, OD, OF, OL, OV, OW, SQ, UC, UN, UR, UT, SV, UV:
		return true
	}
	return false
}

// IsText reports whether values of v are character strings.
func (v VR) IsText() bool {
	switch v {
	case AE, AS, CS, DA, DS, DT, IS, LO, LT, PN, SH, ST, TM, UC, UI, UR, UT:
		return true
	}
	return false
}

// UsesCharset reports whether v is affected by Specific Character Set
// (0008,0005) (PS3.5 §6.1.2.3): SH, LO, UC, ST, LT, UT and PN.
func (v VR) UsesCharset() bool {
	switch v {
	case SH, LO, UC, ST, LT, UT, PN:
		return true
	}
	return false
}

// IsMultiValued reports whether the backslash separates values of v (every
// text VR except LT, ST, UT and UR, which hold a single value).
func (v VR) IsMultiValued() bool { return v.IsText() && v != LT && v != ST && v != UT && v != UR }

// WordSize returns the byte size of one binary value of v (for byte
// swapping and VM), or 0 for text, SQ, OB and UN.
func (v VR) WordSize() int {
	switch v {
	case US, SS, OW:
		return 2
	case UL, SL, FL, OF, OL, AT:
		return 4
	case FD, OD, SV, UV, OV:
		return 8
	}
	return 0
}

// PadByte returns the byte that pads odd-length values of v to even length:
// NUL for UI and binary VRs, space for other text (PS3.5 §6.2).
func (v VR) PadByte() byte {
	if v.IsText() && v != UI {
		return ' '
	}
	return 0
}
