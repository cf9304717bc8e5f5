package hl7v2_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"yigong/hl7v2"
)

// trapMessage holds the GBK trap vectors: 珅 is GBK AB 7C ('|'), 乗 is
// 81 5C ('\'), 區 is 85 5E ('^'); 璡 sits beside a component separator.
func trapMessage(msh4, msh18 string) string {
	return "MSH|^~\\&|HIS|" + msh4 + "|LIS|县医院|20240102030405||ADT^A01^ADT_A01|CTL-1|P|2.5.1|||AL|NE|CHN|" + msh18 + "\r" +
		"PID|1||4401~440102^^^HOSP^MR||王珅^^^^^^L~张^璡||19800101|M|||區乗路1号^^广州^^510000\r" +
		"NTE|1||乗客說明 \\T\\ 區\r"
}

func gbkBytes(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gb18030Bytes(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTrapBytesCollide(t *testing.T) {
	t.Parallel()
	// The premise of the test: these characters really contain delimiter
	// bytes in GBK and GB18030.
	for _, tc := range []struct {
		s    string
		want []byte
	}{{"珅", []byte{0xAB, 0x7C}}, {"乗", []byte{0x81, 0x5C}}, {"區", []byte{0x85, 0x5E}}} {
		if got := gbkBytes(t, tc.s); !bytes.Equal(got, tc.want) {
			t.Errorf("GBK %s = % X, want % X", tc.s, got, tc.want)
		}
		if got := gb18030Bytes(t, tc.s); !bytes.Equal(got, tc.want) {
			t.Errorf("GB18030 %s = % X, want % X", tc.s, got, tc.want)
		}
	}
}

func TestCharsetTraps(t *testing.T) {
	t.Parallel()
	perSender := func(s hl7v2.Sender, declared string) string {
		if s.Application == "HIS" {
			return "GBK"
		}
		return ""
	}
	tests := []struct {
		name        string
		text        string
		encode      func(*testing.T, string) []byte
		opts        hl7v2.DecodeOptions
		wantCharset string
	}{
		{"GBK, MSH-18 empty, default GBK", trapMessage("HOSP", ""), gbkBytes, hl7v2.DecodeOptions{DefaultCharset: "GBK"}, "GBK"},
		{"GBK, MSH-18 GBK", trapMessage("HOSP", "GBK"), gbkBytes, hl7v2.DecodeOptions{}, "GBK"},
		{"GB18030, MSH-18 GB 18030-2000", trapMessage("HOSP", "GB 18030-2000"), gb18030Bytes, hl7v2.DecodeOptions{}, "GB 18030-2000"},
		{"GB18030, MSH-18 GB18030", trapMessage("HOSP", "GB18030"), gb18030Bytes, hl7v2.DecodeOptions{}, "GB 18030-2000"},
		{"GB18030, MSH-18 empty, default GB18030", trapMessage("HOSP", ""), gb18030Bytes, hl7v2.DecodeOptions{DefaultCharset: "GB18030"}, "GB 18030-2000"},
		{"GBK name with 珅 in MSH-4, default GBK", trapMessage("珅院", ""), gbkBytes, hl7v2.DecodeOptions{DefaultCharset: "GBK"}, "GBK"},
		{"GBK name with 珅 in MSH-4, MSH-18 GBK", trapMessage("珅院", "GBK"), gbkBytes, hl7v2.DecodeOptions{}, "GBK"},
		{"GBK bytes, MSH-18 lies UNICODE UTF-8, per-sender GBK", trapMessage("HOSP", "UNICODE UTF-8"), gbkBytes, hl7v2.DecodeOptions{Charset: perSender}, "GBK"},
		{"UTF-8, MSH-18 UNICODE UTF-8", trapMessage("HOSP", "UNICODE UTF-8"), func(_ *testing.T, s string) []byte { return []byte(s) }, hl7v2.DecodeOptions{}, "UNICODE UTF-8"},
		{"UTF-8, MSH-18 empty", trapMessage("珅院", ""), func(_ *testing.T, s string) []byte { return []byte(s) }, hl7v2.DecodeOptions{}, "ASCII"},
		{"UTF-8, MSH-18 UNICODE", trapMessage("HOSP", "UNICODE"), func(_ *testing.T, s string) []byte { return []byte(s) }, hl7v2.DecodeOptions{DefaultCharset: "GBK"}, "UNICODE UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			raw := tc.encode(t, tc.text)
			for _, via := range []string{"Parse", "Decoder"} {
				var m *hl7v2.Message
				var err error
				if via == "Parse" {
					m, err = tc.opts.Parse(raw)
				} else {
					m, err = tc.opts.NewDecoder(bytes.NewReader(raw)).Decode()
				}
				if err != nil {
					t.Fatalf("%s: %v", via, err)
				}
				if m.Charset != tc.wantCharset {
					t.Errorf("%s: Charset = %q, want %q", via, m.Charset, tc.wantCharset)
				}
				pid := m.Segment("PID")
				names := pid.Field(5).Repetitions()
				if len(names) != 2 {
					t.Fatalf("%s: PID-5 has %d repetitions, want 2 (%q)", via, len(names), pid.Field(5).Raw())
				}
				if got := names[0].Component(1).String(); got != "王珅" {
					t.Errorf("%s: PID-5[1].1 = %q, want 王珅", via, got)
				}
				if got, got2 := names[1].Component(1).String(), names[1].Component(2).String(); got != "张" || got2 != "璡" {
					t.Errorf("%s: PID-5[2] = %q^%q, want 张^璡", via, got, got2)
				}
				if got := pid.Field(11).Component(1).String(); got != "區乗路1号" {
					t.Errorf("%s: PID-11.1 = %q", via, got)
				}
				if got := pid.Field(11).Component(3).String(); got != "广州" {
					t.Errorf("%s: PID-11.3 = %q", via, got)
				}
				if got := m.Segment("NTE").Field(3).String(); got != "乗客說明 & 區" {
					t.Errorf("%s: NTE-3 = %q", via, got)
				}
				if m.String() != tc.text {
					t.Errorf("%s: decoded text differs:\n got %q\nwant %q", via, m.String(), tc.text)
				}
				back, err := m.Encode()
				if err != nil {
					t.Fatalf("%s: Encode: %v", via, err)
				}
				if !bytes.Equal(back, raw) {
					t.Errorf("%s: Encode gives different bytes", via)
				}
			}
		})
	}
}

// TestCharsetTrapWithoutConfig shows why per-sender configuration exists:
// GBK bytes read as UTF-8 split 王珅 at its trail byte.
func TestCharsetTrapWithoutConfig(t *testing.T) {
	t.Parallel()
	raw := gbkBytes(t, trapMessage("HOSP", ""))
	m, err := hl7v2.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Segment("PID").Field(5).Component(1).String(); got == "王珅" {
		t.Fatalf("expected the unconfigured parse to corrupt the name, got %q", got)
	}
	// Still a byte-exact round trip: nothing is lost.
	if back, _ := m.Encode(); !bytes.Equal(back, raw) {
		t.Errorf("round trip differs")
	}
}

func TestCharsetErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts hl7v2.DecodeOptions
	}{
		{"unknown default", hl7v2.DecodeOptions{DefaultCharset: "EBCDIC"}},
		{"unknown per-sender", hl7v2.DecodeOptions{Charset: func(hl7v2.Sender, string) string { return "KOI8" }}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := tc.opts.Parse([]byte(trapMessage("HOSP", "")))
			if !errors.Is(err, hl7v2.ErrUnsupportedCharset) {
				t.Fatalf("err = %v, want ErrUnsupportedCharset", err)
			}
			var se *hl7v2.SyntaxError
			if !errors.As(err, &se) || se.Field != 18 {
				t.Errorf("want *SyntaxError at MSH-18, got %#v", err)
			}
		})
	}
}

func TestCanonicalCharset(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", "ASCII"}, {"ASCII", "ASCII"}, {"8859/1", "8859/1"}, {"UNICODE UTF-8", "UNICODE UTF-8"},
		{"utf-8", "UNICODE UTF-8"}, {"UNICODE", "UNICODE UTF-8"}, {"GB 18030-2000", "GB 18030-2000"},
		{"GB18030", "GB 18030-2000"}, {"gbk", "GBK"}, {"GB2312", "GBK"}, {"BIG-5", "BIG-5"},
	}
	for _, tc := range tests {
		got, ok := hl7v2.CanonicalCharset(tc.in)
		if !ok || got != tc.want {
			t.Errorf("CanonicalCharset(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
	if _, ok := hl7v2.CanonicalCharset("UNICODE UTF-16"); ok {
		t.Errorf("UTF-16 must be unsupported")
	}
}

func TestDecoderGBKStream(t *testing.T) {
	t.Parallel()
	one := gbkBytes(t, trapMessage("HOSP", ""))
	stream := append(append(append([]byte{}, one...), '\n'), one...)
	dec := hl7v2.DecodeOptions{DefaultCharset: "GBK"}.NewDecoder(bytes.NewReader(stream))
	n := 0
	for {
		m, err := dec.Decode()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		if got := m.Segment("PID").Field(5).Component(1).String(); got != "王珅" {
			t.Errorf("message %d: name %q", n, got)
		}
		if !strings.HasPrefix(m.String(), "MSH|") {
			t.Errorf("message %d does not start with MSH", n)
		}
	}
	if n != 2 {
		t.Fatalf("decoded %d messages, want 2", n)
	}
}
