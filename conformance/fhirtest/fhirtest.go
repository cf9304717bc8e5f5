// Package fhirtest holds what the FHIR packages' tests share: the list of
// official example files, JSON trees compared with their number lexical
// forms, canonical narrative XHTML, and known-failures files that are checked
// both ways (an unlisted failure fails, and so does a listed case that
// passes, so the lists only shrink).
package fhirtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"yigong/conformance/corpus"
)

// ExampleFiles returns the paths of every JSON resource of the official
// hl7.fhir.r4.examples package (~720 examples plus the conformance
// resources), sorted; it skips or fails like corpus.NPM when the package is
// missing.
func ExampleFiles(tb testing.TB) []string {
	tb.Helper()
	dir := corpus.NPM(tb, "hl7.fhir.r4.examples")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		tb.Fatal(err)
	}
	out := files[:0]
	for _, f := range files {
		if filepath.Base(f) != "package.json" {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	if len(out) < 5000 {
		tb.Fatalf("fhirtest: %s holds %d resources, want ~5,300", dir, len(out))
	}
	return out
}

// JSONTree decodes JSON into maps and slices with json.Number, so that two
// trees compare equal only when their numbers are written alike ("1.10" is
// not "1.1").
func JSONTree(tb testing.TB, data []byte) any {
	tb.Helper()
	v, err := DecodeTree(data)
	if err != nil {
		tb.Fatalf("fhirtest: decode JSON: %v", err)
	}
	return v
}

// DecodeTree is JSONTree without a testing.TB.
func DecodeTree(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

var space = regexp.MustCompile(`\s+`)

// CanonicalXHTML renders a narrative div as its token sequence with white
// space collapsed: two serialisations of the same XHTML (indentation,
// entity choices, line ends) compare equal.
func CanonicalXHTML(s string) string {
	dec := xml.NewDecoder(strings.NewReader(s))
	var b strings.Builder
	for {
		tok, err := dec.Token()
		if err != nil {
			return b.String()
		}
		switch t := tok.(type) {
		case xml.StartElement:
			b.WriteString("<" + t.Name.Local)
			for _, a := range t.Attr {
				if a.Name.Local != "xmlns" {
					b.WriteString(" " + a.Name.Local + "=" + a.Value)
				}
			}
			b.WriteString(">")
		case xml.EndElement:
			b.WriteString("</" + t.Name.Local + ">")
		case xml.CharData:
			b.WriteString(strings.TrimSpace(space.ReplaceAllString(string(t), " ")))
		}
	}
}

// CanonicalDivs replaces every "div" string in a JSON tree by its
// CanonicalXHTML form, in place, and returns the tree.
func CanonicalDivs(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			if s, ok := c.(string); ok && k == "div" {
				x[k] = CanonicalXHTML(s)
			} else {
				x[k] = CanonicalDivs(c)
			}
		}
	case []any:
		for i := range x {
			x[i] = CanonicalDivs(x[i])
		}
	}
	return v
}

// ReadKnownFailures reads a known-failures file: one "name: reason" per
// line; blank lines and lines starting with # are ignored.
func ReadKnownFailures(tb testing.TB, path string) map[string]string {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	m := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, reason, ok := strings.Cut(line, ":")
		if !ok {
			tb.Fatalf("fhirtest: %s: malformed line %q", path, line)
		}
		m[strings.TrimSpace(name)] = strings.TrimSpace(reason)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return m
}

// CheckKnownFailures compares the failures of a run with the known list:
// an unlisted failure is an error, and so is a listed name that ran and
// passed. ran reports whether a name was part of this run.
func CheckKnownFailures(tb testing.TB, file string, failures, known map[string]string, ran func(name string) bool) {
	tb.Helper()
	names := make([]string, 0, len(failures))
	for n := range failures {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if _, ok := known[n]; !ok {
			tb.Errorf("%s: %s", n, failures[n])
		}
	}
	listed := make([]string, 0, len(known))
	for n := range known {
		listed = append(listed, n)
	}
	sort.Strings(listed)
	for _, n := range listed {
		if _, failed := failures[n]; !failed && ran(n) {
			tb.Errorf("%s is listed in %s (%s) but passes now: remove it from the list", n, file, known[n])
		}
	}
}
