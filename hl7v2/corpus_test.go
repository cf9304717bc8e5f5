package hl7v2_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"yigong/conformance/corpus"
	"yigong/hl7v2"
)

func corpusFiles(tb testing.TB) []string {
	tb.Helper()
	dir := corpus.Path(tb, "hl7v2", "messages")
	files, err := filepath.Glob(filepath.Join(dir, "*.hl7"))
	if err != nil {
		tb.Fatal(err)
	}
	if len(files) < 76 {
		tb.Fatalf("corpus: %d messages in %s, want 76", len(files), dir)
	}
	return files
}

// TestCorpusRoundTrip parses every corpus message and checks that encoding
// gives back the same bytes. There is no normalisation: the corpus files use
// LF terminators, some end without one, and 17 start with a UTF-8 BOM; all of
// this is kept.
func TestCorpusRoundTrip(t *testing.T) {
	t.Parallel()
	for _, path := range corpusFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			m, err := hl7v2.Parse(data)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if m.Header().Name() != "MSH" || m.ControlID() == "" {
				t.Errorf("MSH-10 empty or first segment %q", m.Header().Name())
			}
			if code, trigger, _ := m.Type(); code == "" || trigger == "" {
				t.Errorf("MSH-9 = %q^%q", code, trigger)
			}
			got, err := m.Encode()
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("round trip differs:\n got %q\nwant %q", got, data)
			}
			// The decoder yields the same single message from a stream.
			dec := hl7v2.NewDecoder(bytes.NewReader(data))
			m2, err := dec.Decode()
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if m2.String() != m.String() {
				t.Errorf("Decoder and Parse differ")
			}
			if _, err := dec.Decode(); err != io.EOF {
				t.Errorf("second Decode: %v, want io.EOF", err)
			}
			// CR terminators (the wire form) round-trip too.
			cr := strings.ReplaceAll(string(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))), "\n", "\r")
			m3, err := hl7v2.Parse([]byte(cr))
			if err != nil {
				t.Fatalf("Parse CR form: %v", err)
			}
			if got, _ := m3.Encode(); string(got) != cr {
				t.Errorf("CR form round trip differs")
			}
		})
	}
}

// TestCorpusStream concatenates the whole corpus into one stream (CRLF
// between messages) and decodes it message by message.
func TestCorpusStream(t *testing.T) {
	t.Parallel()
	files := corpusFiles(t)
	var stream bytes.Buffer
	var want []string
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
		data = bytes.TrimRight(data, "\r\n")
		stream.Write(data)
		stream.WriteString("\r\n")
		want = append(want, string(data)+"\r\n")
	}
	dec := hl7v2.NewDecoder(&stream)
	var got []string
	for {
		m, err := dec.Decode()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("message %d: %v", len(got)+1, err)
		}
		got = append(got, m.String())
	}
	if len(got) != len(want) {
		t.Fatalf("decoded %d messages, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("message %d (%s) differs", i+1, filepath.Base(files[i]))
		}
	}
}
