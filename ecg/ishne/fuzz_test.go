package ishne

import (
	"encoding/binary"
	"testing"
)

// FuzzRead checks that no input makes the reader panic. With fix set the
// header checksum is recomputed so that mutations reach past the CRC
// check.
func FuzzRead(f *testing.F) {
	f.Add(threeLead().build(), false)
	f.Add(threeLead().build()[:headerEnd], true)
	f.Add([]byte("ISHNE1.0"), false)
	f.Fuzz(func(t *testing.T, b []byte, fix bool) {
		if fix && len(b) >= headerEnd {
			b = append([]byte(nil), b...)
			end := headerEnd + int(binary.LittleEndian.Uint32(b[10:]))
			if end >= headerEnd && end <= len(b) {
				binary.LittleEndian.PutUint16(b[8:], crcCCITT(b[headerStart:end]))
			}
		}
		_, _ = Decode(b)
	})
}
