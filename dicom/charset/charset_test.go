package charset_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"yigong/dicom/charset"
)

// TestTerms encodes and decodes a sample in every defined term, checking
// the bytes where the vector is known.
func TestTerms(t *testing.T) {
	t.Parallel()
	cases := []struct {
		terms []string
		text  string
		pn    bool
		bytes string // expected encoding, "" to check the round trip only
	}{
		{[]string{"ISO_IR 6"}, "Hello^World", true, "Hello^World"},
		{[]string{"ISO_IR 100"}, "Jörg", false, "J\xf6rg"},
		{[]string{"ISO_IR 101"}, "Łódź", false, "\xa3\xf3d\xbc"},
		{[]string{"ISO_IR 109"}, "Ħ", false, "\xa1"},
		{[]string{"ISO_IR 110"}, "ĸ", false, "\xa2"},
		{[]string{"ISO_IR 144"}, "Иван", false, ""},
		{[]string{"ISO_IR 127"}, "عربي", false, ""},
		{[]string{"ISO_IR 126"}, "Ελλάδα", false, ""},
		{[]string{"ISO_IR 138"}, "שלום", false, ""},
		{[]string{"ISO_IR 148"}, "İstanbul", false, "\xddstanbul"},
		{[]string{"ISO_IR 203"}, "€", false, "\xa4"},
		{[]string{"ISO_IR 166"}, "ไทย", false, ""},
		{[]string{"ISO_IR 13"}, "ﾔﾏﾀﾞ", true, "\xd4\xcf\xc0\xde"},
		{[]string{"ISO_IR 192"}, "Wang^XiaoDong=王^小东=", true, "Wang^XiaoDong=王^小东="},
		{[]string{"GB18030"}, "Wang^XiaoDong=王^小东=", true, "Wang^XiaoDong=\xcd\xf5^\xd0\xa1\xb6\xab="},
		{[]string{"GB18030"}, "𠀀", false, "\x95\x32\x82\x36"},
		{[]string{"GBK"}, "乗", false, "\x81\x5c"},
		{[]string{"ISO 2022 IR 6"}, "ABC", false, "ABC"},
		{[]string{"ISO 2022 IR 100"}, "Jörg", false, "J\xf6rg"}, // G1 designated initially: no escape
		{[]string{"", "ISO 2022 IR 101"}, "Łódź", false, "\x1b-B\xa3\xf3d\xbc"},
		{[]string{"", "ISO 2022 IR 109"}, "Ħ", false, ""},
		{[]string{"", "ISO 2022 IR 110"}, "ĸ", false, ""},
		{[]string{"", "ISO 2022 IR 144"}, "Иван", false, ""},
		{[]string{"", "ISO 2022 IR 127"}, "عربي", false, ""},
		{[]string{"", "ISO 2022 IR 126"}, "Ελλάδα", false, ""},
		{[]string{"", "ISO 2022 IR 138"}, "שלום", false, ""},
		{[]string{"", "ISO 2022 IR 148"}, "İ", false, ""},
		{[]string{"", "ISO 2022 IR 203"}, "€", false, ""},
		{[]string{"", "ISO 2022 IR 166"}, "ไทย", false, ""},
		// PS3.5 Annex H: Japanese with katakana and kanji.
		{[]string{"ISO 2022 IR 13", "ISO 2022 IR 87"}, "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎", true,
			"\xd4\xcf\xc0\xde^\xc0\xdb\xb3=\x1b$B;3ED\x1b(J^\x1b$BB@O:\x1b(J"},
		{[]string{"", "ISO 2022 IR 87"}, "Yamada^Tarou=山田^太郎", true,
			"Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B"},
		{[]string{"", "ISO 2022 IR 87", "ISO 2022 IR 159"}, "丂", false, "\x1b$(D0!\x1b(B"},
		// PS3.5 Annex I: Korean.
		{[]string{"", "ISO 2022 IR 149"}, "Hong^Gildong=洪^吉洞=홍^길동", true,
			"Hong^Gildong=\x1b$)C\xfb\xf3^\x1b$)C\xd1\xce\xd4\xd7=\x1b$)C\xc8\xab^\x1b$)C\xb1\xe6\xb5\xbf"},
		// PS3.5 Annex K: Chinese with code extensions.
		{[]string{"", "ISO 2022 IR 58"}, "Zhang^XiaoDong=张^小东=", true,
			"Zhang^XiaoDong=\x1b$)A\xd5\xc5^\x1b$)A\xd0\xa1\xb6\xab="},
	}
	for _, c := range cases {
		name := strings.Join(c.terms, `\`)
		if name == "" || c.terms[0] == "" {
			name = `\` + strings.Join(c.terms[1:], `\`)
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, err := charset.Parse(c.terms...)
			if err != nil {
				t.Fatal(err)
			}
			enc := s.Encode
			dec := s.Decode
			if c.pn {
				enc, dec = s.EncodePN, s.DecodePN
			}
			b, err := enc(c.text)
			if err != nil {
				t.Fatalf("encode %q: %v", c.text, err)
			}
			if c.bytes != "" && string(b) != c.bytes {
				t.Errorf("encode %q = %q, want %q", c.text, b, c.bytes)
			}
			if got := dec(b); got != c.text {
				t.Errorf("decode %q = %q, want %q", b, got, c.text)
			}
		})
	}
}

// TestEveryTermParses keeps the table and the test in step: every defined
// term resolves.
func TestEveryTermParses(t *testing.T) {
	t.Parallel()
	for _, term := range charset.Terms() {
		t.Run(term, func(t *testing.T) {
			t.Parallel()
			s, err := charset.Parse(term)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Terms(); len(got) != 1 || got[0] != term {
				t.Errorf("Terms() = %q", got)
			}
			if got := s.Decode([]byte("ABC xyz")); got != "ABC xyz" {
				t.Errorf("ASCII decodes to %q", got)
			}
		})
	}
}

// TestGB18030Backslash is the trap: 璡 is AD 5C in GB18030/GBK, and 0x5C is
// the DICOM value separator. Decoding the whole value before splitting keeps
// one value.
func TestGB18030Backslash(t *testing.T) {
	t.Parallel()
	for _, term := range []string{"GB18030", "GBK"} {
		t.Run(term, func(t *testing.T) {
			t.Parallel()
			s, _ := charset.Parse(term)
			raw := []byte("\xd5\xc5^\xad\x5c") // 张^璡
			got := s.DecodePN(raw)
			if got != "张^璡" {
				t.Fatalf("decode = %q", got)
			}
			if n := strings.Count(got, `\`); n != 0 {
				t.Errorf("decoded value has %d backslashes", n)
			}
			back, err := s.EncodePN(got)
			if err != nil || !bytes.Equal(back, raw) {
				t.Errorf("encode = % x, %v; want % x", back, err, raw)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	if _, err := charset.Parse("ISO_IR 999"); !errors.Is(err, charset.ErrUnknownTerm) {
		t.Errorf("unknown term: %v", err)
	}
	if _, err := charset.Default().Encode("王"); !errors.Is(err, charset.ErrNotEncodable) {
		t.Errorf("non-ASCII in default: %v", err)
	}
	s, _ := charset.Parse("", "ISO 2022 IR 58")
	if _, err := s.Encode("홍"); !errors.Is(err, charset.ErrNotEncodable) {
		t.Errorf("Hangul in GB2312: %v", err)
	}
	// Tolerated spellings.
	for _, v := range []string{"ISO_IR_192", "gb18030", "ISO IR 100"} {
		if _, err := charset.Parse(v); err != nil {
			t.Errorf("Parse(%q): %v", v, err)
		}
	}
}
