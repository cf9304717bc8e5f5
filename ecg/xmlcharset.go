package ecg

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// XMLCharsetReader is an encoding/xml Decoder.CharsetReader for the
// encodings cart XML exports declare besides UTF-8: the GB family (read
// as GB18030, its superset) from domestic carts, and Latin-1 (also when
// labelled windows-1252 or ASCII) from older Western ones.
func XMLCharsetReader(label string, in io.Reader) (io.Reader, error) {
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "gb18030", "gbk", "gb2312", "cp936", "x-gbk":
		return simplifiedchinese.GB18030.NewDecoder().Reader(in), nil
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "windows-1252", "cp1252", "us-ascii", "ascii":
		b, err := io.ReadAll(in)
		if err != nil {
			return nil, fmt.Errorf("ecg: read %s text: %w", label, err)
		}
		out := make([]byte, 0, len(b))
		for _, c := range b {
			out = utf8.AppendRune(out, rune(c))
		}
		return strings.NewReader(string(out)), nil
	}
	return nil, fmt.Errorf("ecg: XML encoding %q: %w", label, errors.ErrUnsupported)
}
