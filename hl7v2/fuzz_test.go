package hl7v2_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"yigong/conformance/corpus"
	"yigong/hl7v2"
)

func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.hl7"))
	if dir, ok := corpus.Locate(); ok {
		more, _ := filepath.Glob(filepath.Join(dir, "hl7v2", "messages", "*.hl7"))
		seeds = append(seeds, more...)
	}
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b, false)
		}
	}
	f.Add([]byte("MSH|^~\\&|A\r"), true)
	f.Fuzz(func(t *testing.T, data []byte, gbk bool) {
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				panic(fmt.Sprintf("hl7v2 fuzz: hang on %q gbk=%v", data, gbk))
			}
		}()
		opts := hl7v2.DecodeOptions{MaxMessageSize: 1 << 20}
		if gbk {
			opts.DefaultCharset = "GBK"
		}
		// The stream decoder must never panic.
		dec := opts.NewDecoder(bytes.NewReader(data))
		for i := 0; i < 1000 && dec.More(); i++ {
			if _, err := dec.Decode(); err != nil {
				break
			}
		}
		m, err := opts.Parse(data)
		if err != nil {
			return
		}
		// Meaning-level readers must not panic on anything that parses.
		_, _ = hl7v2.Structure(m)
		for _, s := range m.Segments {
			for n := 1; n <= s.Len(); n++ {
				fld := s.Field(n)
				_ = fld.String()
				for _, r := range fld.Repetitions() {
					for _, c := range r.Components() {
						_ = c.Components()
						_, _ = c.DateTime()
					}
					_ = hl7v2.ParseXPN(r)
					_ = hl7v2.ParseCX(r)
				}
				_ = hl7v2.FormatText(fld.Raw(), m.Delims)
			}
		}
		_ = hl7v2.PID{Segment: m.Segment("PID")}.PatientIdentifierList()
		if m.Segment("MSH") != nil {
			if ack, err := hl7v2.NewACK(m, hl7v2.AckOptions{Code: hl7v2.AckAccept}); err == nil {
				if b, err := ack.Encode(); err == nil {
					if _, err := (hl7v2.DecodeOptions{DefaultCharset: opts.DefaultCharset}).Parse(b); err != nil && ack.Charset == hl7v2.CharsetUTF8 {
						t.Fatalf("ACK does not parse: %v\n%q", err, b)
					}
				}
			}
		}
		out, err := m.Encode()
		if err != nil {
			return // a character the charset cannot encode (decoded as U+FFFD)
		}
		switch m.Charset {
		case hl7v2.CharsetASCII, hl7v2.CharsetUTF8:
			if !bytes.Equal(out, data) {
				t.Fatalf("round trip differs:\n in %q\nout %q", data, out)
			}
		default:
			// Decoding may have replaced invalid bytes; encoding must then be
			// a fixed point.
			m2, err := opts.Parse(out)
			if err != nil {
				t.Fatalf("re-parse of encoded message: %v", err)
			}
			out2, err := m2.Encode()
			if err != nil || !bytes.Equal(out, out2) {
				t.Fatalf("encode not stable: %v", err)
			}
		}
	})
}
