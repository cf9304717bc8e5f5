package ecg

import (
	"encoding/xml"
	"errors"
	"strings"
	"testing"
)

func TestXMLCharsetReader(t *testing.T) {
	for _, c := range []struct {
		label string
		raw   []byte
		want  string
	}{
		{"GB18030", []byte{0xcd, 0xf5, 0xab, 0x7c}, "王珅"}, // 珅's second byte is '|'
		{"gbk", []byte{0xcd, 0xf5}, "王"},
		{"ISO-8859-1", []byte{'M', 0xfc, 'l', 'l', 'e', 'r'}, "Müller"},
		{"windows-1252", []byte{0xe9}, "é"},
	} {
		doc := append([]byte(`<?xml version="1.0" encoding="`+c.label+`"?><n>`), append(c.raw, []byte(`</n>`)...)...)
		d := xml.NewDecoder(strings.NewReader(string(doc)))
		d.CharsetReader = XMLCharsetReader
		var v struct {
			N string `xml:",chardata"`
		}
		if err := d.Decode(&v); err != nil || v.N != c.want {
			t.Errorf("%s: %q, %v; want %q", c.label, v.N, err, c.want)
		}
	}
	if _, err := XMLCharsetReader("EBCDIC", strings.NewReader("")); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("EBCDIC: %v, want ErrUnsupported", err)
	}
}
