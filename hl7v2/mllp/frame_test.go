package mllp_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"yigong/hl7v2/mllp"
)

func TestReadFrame(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		max     int
		want    []string
		wantErr error
	}{
		{"one", "\x0bMSH|a\x1c\r", 0, []string{"MSH|a"}, io.EOF},
		{"two", "\x0bA\x1c\r\x0bB\x1c\r", 0, []string{"A", "B"}, io.EOF},
		{"newline between frames", "\x0bA\x1c\r\n\r\n\x0bB\x1c\r", 0, []string{"A", "B"}, io.EOF},
		{"missing CR at end", "\x0bA\x1c", 0, []string{"A"}, io.EOF},
		{"missing CR before next", "\x0bA\x1c\x0bB\x1c\r", 0, []string{"A", "B"}, io.EOF},
		{"empty payload", "\x0b\x1c\r", 0, []string{""}, io.EOF},
		{"empty stream", "", 0, nil, io.EOF},
		{"truncated", "\x0bMSH|", 0, nil, io.ErrUnexpectedEOF},
		{"junk before", "xx\x0bA\x1c\r", 0, nil, mllp.ErrFraming},
		{"junk after EB", "\x0bA\x1cX", 0, nil, mllp.ErrFraming},
		{"SB inside", "\x0bA\x0bB\x1c\r", 0, nil, mllp.ErrFraming},
		{"at cap", "\x0b12345\x1c\r", 5, []string{"12345"}, io.EOF},
		{"over cap", "\x0b123456\x1c\r", 5, nil, mllp.ErrFrameTooLarge},
		{"over cap unterminated", "\x0b" + strings.Repeat("x", 100000), 1000, nil, mllp.ErrFrameTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := mllp.NewReader(strings.NewReader(tc.in), tc.max)
			var got []string
			var err error
			for {
				var p []byte
				p, err = r.ReadFrame()
				if err != nil {
					break
				}
				got = append(got, string(p))
			}
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
				t.Errorf("frames = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestWriteFrame(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w := mllp.NewWriter(&buf)
	if err := w.WriteFrame([]byte("MSH|x\r")); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != "\x0bMSH|x\r\x1c\r" {
		t.Errorf("frame = %q", got)
	}
	if err := w.WriteFrame([]byte("a\x1cb")); !errors.Is(err, mllp.ErrFraming) {
		t.Errorf("payload with EB: err = %v", err)
	}
}

func FuzzFrameReader(f *testing.F) {
	f.Add([]byte("\x0bMSH|^~\\&|A|B\rPID|1\x1c\r"), 0)
	f.Add([]byte("\x0bA\x1c\r\n\x0bB\x1c"), 3)
	f.Add([]byte("\r\n\x0b\x1c\r\x0b"), 1)
	f.Fuzz(func(t *testing.T, data []byte, max int) {
		if max < 0 || max > 1<<16 {
			max = 0
		}
		r := mllp.NewReader(bytes.NewReader(data), max)
		limit := max
		if limit == 0 {
			limit = mllp.DefaultMaxFrameSize
		}
		for i := 0; i <= len(data); i++ {
			p, err := r.ReadFrame()
			if err != nil {
				return
			}
			if len(p) > limit {
				t.Fatalf("payload %d bytes over cap %d", len(p), limit)
			}
			if bytes.IndexByte(p, mllp.StartBlock) >= 0 || bytes.IndexByte(p, mllp.EndBlock) >= 0 {
				t.Fatalf("payload holds a framing byte: %q", p)
			}
			// A payload re-framed reads back identically.
			var buf bytes.Buffer
			if err := mllp.NewWriter(&buf).WriteFrame(p); err != nil {
				t.Fatal(err)
			}
			q, err := mllp.NewReader(&buf, 0).ReadFrame()
			if err != nil || !bytes.Equal(p, q) {
				t.Fatalf("re-framed payload differs: %q vs %q (%v)", p, q, err)
			}
		}
		t.Fatalf("reader returned more frames than input bytes")
	})
}
