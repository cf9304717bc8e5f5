package pinyin

import (
	"sort"
	"strings"
	"sync"
	"unicode/utf8"
)

// Syl is a toneless pinyin syllable, numbered from 1 in alphabetical order;
// 0 is no syllable.
type Syl uint16

// String returns the syllable as lower-case ASCII ("" for 0).
func (s Syl) String() string {
	t := table()
	if int(s) >= len(t.names) {
		return ""
	}
	return t.names[s]
}

// Readings holds up to three readings of one character, the most common
// first, packed in 30 bits.
type Readings uint32

const sylBits = 10

// Len returns the number of readings (0 for a character without one).
func (r Readings) Len() int {
	n := 0
	for x := r; x != 0 && n < 3; x >>= sylBits {
		n++
	}
	return n
}

// At returns reading i (0 ≤ i < Len()).
func (r Readings) At(i int) Syl { return Syl(r >> (sylBits * uint(i)) & (1<<sylBits - 1)) }

// Primary returns the most common reading (0 when none).
func (r Readings) Primary() Syl { return r.At(0) }

// Has reports whether s is one of the readings.
func (r Readings) Has(s Syl) bool {
	for i := 0; i < 3; i++ {
		if x := r.At(i); x == 0 {
			return false
		} else if x == s {
			return true
		}
	}
	return false
}

// With returns r with s added as a reading (replacing the last of three
// readings when full); r itself when s is already one.
func (r Readings) With(s Syl) Readings {
	if s == 0 || r.Has(s) {
		return r
	}
	n := r.Len()
	if n == 3 {
		n = 2
		r &^= (1<<sylBits - 1) << (2 * sylBits)
	}
	return r | Readings(s)<<(sylBits*uint(n))
}

// Overlaps reports whether the two characters share a reading: they are
// homophones (tones ignored).
func (r Readings) Overlaps(o Readings) bool {
	for i := 0; i < 3; i++ {
		x := r.At(i)
		if x == 0 {
			return false
		}
		if o.Has(x) {
			return true
		}
	}
	return false
}

type tables struct {
	names   []string       // Syl → syllable
	ids     map[string]Syl // syllable → Syl
	basic   []Readings     // U+4E00.. U+9FFF
	ling    Readings       // U+3007
	t2s     map[rune]rune
	s2t     map[rune]rune
	byPrime map[Syl][]rune // characters by primary reading, for homophone generation
}

var (
	tablesOnce sync.Once
	tablesVal  *tables
)

const (
	basicFirst = 0x4E00
	basicLast  = 0x9FFF
)

func table() *tables {
	tablesOnce.Do(func() {
		t := &tables{ids: map[string]Syl{}, basic: make([]Readings, basicLast-basicFirst+1)}
		set := map[string]bool{}
		for _, g := range genPrimary {
			set[g.syllable] = true
		}
		for _, g := range genOther {
			set[g.syllable] = true
		}
		for _, s := range surnameExtra {
			set[s] = true
		}
		t.names = append(t.names, "")
		for s := range set {
			t.names = append(t.names, s)
		}
		sort.Strings(t.names[1:])
		for i, s := range t.names {
			t.ids[s] = Syl(i)
		}
		add := func(r rune, s Syl) {
			p := t.slot(r)
			if p == nil || p.Has(s) {
				return
			}
			n := p.Len()
			if n < 3 {
				*p |= Readings(s) << (sylBits * uint(n))
			}
		}
		for _, g := range genPrimary {
			for _, r := range g.chars {
				add(r, t.ids[g.syllable])
			}
		}
		for _, g := range genOther {
			for _, r := range g.chars {
				add(r, t.ids[g.syllable])
			}
		}
		t.t2s = make(map[rune]rune, utf8.RuneCountInString(genTrad))
		t.s2t = make(map[rune]rune, len(t.t2s))
		simp := []rune(genSimp)
		for i, tr := range []rune(genTrad) {
			t.t2s[tr] = simp[i]
			if _, ok := t.s2t[simp[i]]; !ok {
				t.s2t[simp[i]] = tr
			}
		}
		tablesVal = t
	})
	return tablesVal
}

func (t *tables) slot(r rune) *Readings {
	switch {
	case r >= basicFirst && r <= basicLast:
		return &t.basic[r-basicFirst]
	case r == 0x3007:
		return &t.ling
	}
	return nil
}

// Lookup returns the readings of r; zero Readings for a character the table
// does not cover (or that is not Hanzi).
func Lookup(r rune) Readings {
	if p := table().slot(r); p != nil {
		return *p
	}
	return 0
}

// SylOf returns the Syl of a toneless syllable ("wang"), 0 if unknown.
func SylOf(s string) Syl { return table().ids[s] }

// Syllable returns the most common toneless reading of r, "" when unknown.
func Syllable(r rune) string { return Lookup(r).Primary().String() }

// FoldRune returns the simplified form of a traditional character, r itself
// otherwise.
func FoldRune(r rune) rune {
	if s, ok := table().t2s[r]; ok {
		return s
	}
	return r
}

// Fold folds each traditional character of s to its simplified form.
func Fold(s string) string {
	t := table()
	for i, r := range s {
		if _, ok := t.t2s[r]; ok {
			var b strings.Builder
			b.Grow(len(s))
			b.WriteString(s[:i])
			for _, r := range s[i:] {
				if x, ok := t.t2s[r]; ok {
					r = x
				}
				b.WriteRune(r)
			}
			return b.String()
		}
	}
	return s
}

// Traditional returns a traditional form of the simplified character r, and
// whether it has one (used to make test data with traditional characters).
func Traditional(r rune) (rune, bool) {
	t, ok := table().s2t[r]
	return t, ok
}

// Syllables returns the primary reading of each character of s; a character
// without a reading contributes itself (a Latin letter lower-cased, other
// characters verbatim), spaces and the middle dot (·, used in the names of
// some ethnic minorities) are dropped.
func Syllables(s string) []string {
	out := make([]string, 0, utf8.RuneCountInString(s))
	for _, r := range s {
		out = appendRune(out, r, 0)
	}
	return out
}

func appendRune(out []string, r rune, reading Syl) []string {
	if reading == 0 {
		reading = Lookup(FoldRune(r)).Primary()
	}
	switch {
	case reading != 0:
		return append(out, reading.String())
	case r == ' ' || r == '\u3000' || r == '·' || r == '•' || r == '・' || r == '.' || r == '-':
		return out
	case r >= 'A' && r <= 'Z':
		return append(out, string(r+'a'-'A'))
	case r >= 'Ａ' && r <= 'Ｚ':
		return append(out, string(r-'Ａ'+'a'))
	case r >= 'ａ' && r <= 'ｚ':
		return append(out, string(r-'ａ'+'a'))
	}
	return append(out, string(r))
}

// Name returns the syllables of a surname and a given name, reading the
// surname with its surname reading (单 shan, 曾 zeng, 欧阳 ouyang, 尉迟 yuchi).
func Name(family, given string) (fam, giv []string) {
	fam = SurnameSyllables(family)
	giv = Syllables(given)
	return fam, giv
}

// SurnameSyllables returns the syllables of a surname with surname readings.
func SurnameSyllables(family string) []string {
	family = Fold(strings.TrimSpace(family))
	if c, ok := genCompoundSurname[family]; ok {
		return []string{c[0], c[1]}
	}
	out := make([]string, 0, 2)
	for _, r := range family {
		out = appendRune(out, r, surnameReading(r))
	}
	return out
}

func surnameReading(r rune) Syl {
	if s, ok := surnameExtra[r]; ok {
		return SylOf(s)
	}
	if s, ok := genSurname[r]; ok {
		return SylOf(s)
	}
	return 0
}

// Split splits a full name written without a space into surname and given
// name: a known compound surname (欧阳, 司马 ...) takes two characters,
// otherwise the surname is the first character. Names with a space or a
// middle dot are split there.
func Split(full string) (family, given string) {
	full = strings.TrimSpace(full)
	if i := strings.IndexAny(full, " \u3000"); i > 0 {
		return full[:i], strings.TrimSpace(full[i:])
	}
	if i := strings.IndexRune(full, '·'); i > 0 {
		return full[:i], full[i+len("·"):]
	}
	if utf8.RuneCountInString(full) >= 3 {
		_, n1 := utf8.DecodeRuneInString(full)
		_, n2 := utf8.DecodeRuneInString(full[n1:])
		if _, ok := genCompoundSurname[Fold(full[:n1+n2])]; ok {
			return full[:n1+n2], full[n1+n2:]
		}
	}
	_, n := utf8.DecodeRuneInString(full)
	return full[:n], full[n:]
}

// IsCompoundSurname reports whether s (simplified or traditional) is a known
// two-character surname.
func IsCompoundSurname(s string) bool {
	_, ok := genCompoundSurname[Fold(s)]
	return ok
}

// Join concatenates syllable lists without separators: "wangxiaodong".
func Join(parts ...[]string) string {
	var b strings.Builder
	for _, p := range parts {
		for _, s := range p {
			b.WriteString(s)
		}
	}
	return b.String()
}

// Initials returns the first letter of each syllable: "wxd".
func Initials(parts ...[]string) string {
	var b strings.Builder
	for _, p := range parts {
		for _, s := range p {
			if s != "" {
				r, _ := utf8.DecodeRuneInString(s)
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

// Homophones returns characters whose primary reading is s, in code point
// order (for generating test data; the list includes rare characters).
func Homophones(s Syl) []rune {
	t := table()
	if s == 0 || int(s) >= len(t.names) {
		return nil
	}
	name := t.names[s]
	i := sort.Search(len(genPrimary), func(i int) bool { return genPrimary[i].syllable >= name })
	if i < len(genPrimary) && genPrimary[i].syllable == name {
		return []rune(genPrimary[i].chars)
	}
	return nil
}
