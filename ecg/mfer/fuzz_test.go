package mfer

import "testing"

// FuzzRead checks that no input makes the reader panic.
func FuzzRead(f *testing.F) {
	b, _ := bigEndian12()
	f.Add(b)
	f.Add(cat(preamble(), tlv(tagByteOrder, 1), tlv(tagInterval, 1, 0xfd, 2, 0), tlv(tagResolution, 0, 0xf9, 25), attr(1, tlv(tagLead, 3)), tlv(tagWaveform, 1, 2, 3, 4)))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = Decode(b)
	})
}
