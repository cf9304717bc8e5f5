package pdu_test

import (
	"bytes"
	"testing"

	"yigong/dicom/pdu"
)

// FuzzDecode feeds arbitrary bytes to Decode and to the Reader, checking
// only that nothing panics and that whatever decodes re-encodes and
// decodes again.
func FuzzDecode(f *testing.F) {
	for _, p := range samples() {
		b, _ := p.Encode(nil)
		f.Add(b)
	}
	f.Add([]byte{4, 0, 0, 0, 0, 6, 0, 0, 0, 2, 1, 3})
	f.Add([]byte{1, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, _, err := pdu.Decode(b)
		if err == nil {
			enc, err := p.Encode(nil)
			if err != nil {
				t.Fatalf("decoded %s does not re-encode: %v", p.Type(), err)
			}
			if _, _, err := pdu.Decode(enc); err != nil {
				t.Fatalf("re-encoded %s does not decode: %v", p.Type(), err)
			}
		}
		r := pdu.NewReader(bytes.NewReader(b), 4096)
		for range 4 {
			if _, err := r.Next(); err != nil {
				break
			}
		}
	})
}
