package wfdb

import (
	"encoding/binary"
	"fmt"
)

// MaxAnnotationSize caps an annotation file: 256 MiB.
const MaxAnnotationSize = 256 << 20

// Annotation is one MIT-format annotation.
type Annotation struct {
	// Sample is the time in samples from the start of the record.
	Sample int64
	// Code is the annotation code (ecgcodes.h), 1..49.
	Code    int
	SubType int
	Chan    int
	Num     int
	Aux     string
}

// Mnemonic returns the annotation's one-character mnemonic ("N", "V", "+").
func (a Annotation) Mnemonic() string { return Mnemonic(a.Code) }

// Pseudo-annotation codes of the MIT format.
const (
	codeSkip = 59
	codeNum  = 60
	codeSub  = 61
	codeChn  = 62
	codeAux  = 63
)

// mnemonics is the annotation code table of ecgcodes.h.
var mnemonics = [...]string{
	0: "", 1: "N", 2: "L", 3: "R", 4: "a", 5: "V", 6: "F", 7: "J", 8: "A", 9: "S",
	10: "E", 11: "j", 12: "/", 13: "Q", 14: "~", 15: "", 16: "|", 17: "", 18: "s", 19: "T",
	20: "*", 21: "D", 22: "\"", 23: "=", 24: "p", 25: "B", 26: "^", 27: "t", 28: "+", 29: "u",
	30: "?", 31: "!", 32: "[", 33: "]", 34: "e", 35: "x", 36: "f", 37: "(", 38: ")", 39: "r",
	40: "", 41: "n", 42: "", 43: "", 44: "", 45: "", 46: "", 47: "", 48: "", 49: "",
}

// Mnemonic returns the mnemonic of an annotation code, or "[n]" for codes
// without one.
func Mnemonic(code int) string {
	if code >= 0 && code < len(mnemonics) && mnemonics[code] != "" {
		return mnemonics[code]
	}
	return fmt.Sprintf("[%d]", code)
}

// IsBeat reports whether an annotation code labels a QRS complex (the WFDB
// isqrs table): N L R a V F J A S E j / Q e n f r B ?. These are the beat
// labels ANSI/AAMI EC57 counts for QRS detection; rhythm (+), noise (~),
// artefact (|), waves (p t u), notes (") and the others are not beats.
func IsBeat(code int) bool {
	switch code {
	case 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 25, 30, 34, 35, 36, 39, 41:
		return true
	}
	return false
}

// ReadAnnotations decodes an MIT-format annotation file.
func ReadAnnotations(b []byte) ([]Annotation, error) {
	if len(b) > MaxAnnotationSize {
		return nil, fmt.Errorf("wfdb: annotations: %d bytes exceeds %d", len(b), MaxAnnotationSize)
	}
	var (
		out        []Annotation
		t          int64
		chan_, num int
		cur        *Annotation
	)
	for p := 0; ; {
		if p+2 > len(b) {
			if p == len(b) {
				return out, nil // end without the 0 word: tolerated
			}
			return nil, fmt.Errorf("wfdb: annotations: truncated word at byte %d", p)
		}
		w := binary.LittleEndian.Uint16(b[p:])
		p += 2
		code, n := int(w>>10), int(w&0x3ff)
		switch {
		case code == 0 && n == 0:
			return out, nil
		case code == codeSkip:
			if p+4 > len(b) {
				return nil, fmt.Errorf("wfdb: annotations: truncated SKIP at byte %d", p)
			}
			// The 32-bit interval is stored as two PDP-11 words: high
			// word first, each little-endian.
			hi := uint32(binary.LittleEndian.Uint16(b[p:]))
			lo := uint32(binary.LittleEndian.Uint16(b[p+2:]))
			t += int64(int32(hi<<16 | lo))
			p += 4
		case code == codeNum:
			num = int(int16(n<<6) >> 6)
			if cur != nil {
				cur.Num = num
			}
		case code == codeSub:
			if cur != nil {
				cur.SubType = n
			}
		case code == codeChn:
			chan_ = n
			if cur != nil {
				cur.Chan = chan_
			}
		case code == codeAux:
			if p+n > len(b) {
				return nil, fmt.Errorf("wfdb: annotations: truncated AUX of %d bytes at byte %d", n, p)
			}
			if cur != nil {
				aux := b[p : p+n]
				for i, c := range aux {
					if c == 0 {
						aux = aux[:i]
						break
					}
				}
				cur.Aux = string(aux)
			}
			p += n + n%2
		case code >= 50:
			// Reserved pseudo-annotation codes 50..58: skip.
		default:
			t += int64(n)
			out = append(out, Annotation{Sample: t, Code: code, Chan: chan_, Num: num})
			cur = &out[len(out)-1]
		}
	}
}
