package store

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// NormalizeString is the form in which string search parameters are indexed
// and matched: compatibility-decomposed (NFKD, so full-width Ａ matches A),
// combining marks removed (é matches e), lower-cased, and white space
// removed, so that "王 小东", "王小东" and "王　小东" (ideographic space) all
// match the search "王小东". The indexer stores it beside the original text.
func NormalizeString(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range norm.NFKD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r), unicode.IsSpace(r):
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}
