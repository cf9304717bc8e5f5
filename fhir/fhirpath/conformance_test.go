package fhirpath_test

import (
	"bufio"
	"context"
	"encoding/xml"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"yigong/conformance/corpus"
	"yigong/fhir"
	"yigong/fhir/fhirjson"
	"yigong/fhir/fhirpath"
)

var updateKnown = flag.Bool("update-known", false, "rewrite testdata/known-failures.txt from the current failures")

// The official FHIRPath R4 test suite (tests-fhir-r4.xml).
type suiteFile struct {
	Groups []suiteGroup `xml:"group"`
}

type suiteGroup struct {
	Name  string      `xml:"name,attr"`
	Tests []suiteTest `xml:"test"`
}

type suiteTest struct {
	Name       string `xml:"name,attr"`
	InputFile  string `xml:"inputfile,attr"`
	Predicate  string `xml:"predicate,attr"`
	Mode       string `xml:"mode,attr"`
	Ordered    string `xml:"ordered,attr"`
	Expression struct {
		Text    string `xml:",chardata"`
		Invalid string `xml:"invalid,attr"`
	} `xml:"expression"`
	Outputs []struct {
		Type string `xml:"type,attr"`
		Text string `xml:",chardata"`
	} `xml:"output"`
}

// suiteNow is the clock of the suite run: fixed, so results are stable.
var suiteNow = time.Date(2026, 3, 14, 9, 26, 53, 589_000_000, time.FixedZone("", 8*3600))

func loadSuite(t *testing.T) (dir string, tests []suiteTest, names []string) {
	t.Helper()
	dir = corpus.Path(t, "fhir", "fhirpath")
	data, err := os.ReadFile(filepath.Join(dir, "tests-fhir-r4.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var sf suiteFile
	if err := xml.Unmarshal(data, &sf); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, g := range sf.Groups {
		for _, tc := range g.Tests {
			name := tc.Name
			if name == "" {
				name = g.Name
			}
			seen[name]++
			if seen[name] > 1 {
				name = fmt.Sprintf("%s#%d", name, seen[name])
			}
			tests = append(tests, tc)
			names = append(names, name)
		}
	}
	return dir, tests, names
}

// inputLoader maps the suite's XML input names to the JSON versions of the
// same resources and decodes each once.
type inputLoader struct {
	dirs  []string
	cache map[string]*fhir.Node
}

func (l *inputLoader) load(name string) (*fhir.Node, error) {
	if n, ok := l.cache[name]; ok {
		return n, nil
	}
	base := strings.TrimSuffix(strings.TrimSuffix(name, ".xml"), ".json") + ".json"
	for _, d := range l.dirs {
		data, err := os.ReadFile(filepath.Join(d, base))
		if err != nil || len(data) == 0 {
			continue
		}
		n, err := fhirjson.Unmarshal(data)
		if err != nil {
			return nil, fmt.Errorf("decode %s: %w", base, err)
		}
		l.cache[name] = n
		return n, nil
	}
	return nil, fmt.Errorf("no JSON input for %s", name)
}

func TestOfficialSuite(t *testing.T) {
	dir, tests, names := loadSuite(t)
	loader := &inputLoader{
		dirs:  []string{"testdata/inputs", filepath.Join(filepath.Dir(dir), "fhirpath-yaml", "resources"), filepath.Join(dir, "input")},
		cache: map[string]*fhir.Node{},
	}
	known := readKnownFailures(t)
	failures := map[string]string{}
	pass := 0
	for i, tc := range tests {
		if msg := runSuiteTest(loader, tc); msg != "" {
			failures[names[i]] = msg
		} else {
			pass++
		}
	}
	t.Logf("official FHIRPath R4 suite: %d/%d pass", pass, len(tests))
	if *updateKnown {
		writeKnownFailures(t, failures, known)
		return
	}
	for _, name := range names {
		msg, failed := failures[name]
		_, listed := known[name]
		switch {
		case failed && !listed:
			t.Errorf("%s: %s", name, msg)
		case !failed && listed:
			t.Errorf("%s passes now: remove it from testdata/known-failures.txt", name)
		}
	}
}

func runSuiteTest(l *inputLoader, tc suiteTest) (fail string) {
	defer func() {
		if r := recover(); r != nil {
			fail = fmt.Sprintf("panic: %v", r)
		}
	}()
	src := tc.Expression.Text
	invalid := tc.Expression.Invalid != ""
	var input *fhir.Node
	if tc.InputFile != "" {
		n, err := l.load(tc.InputFile)
		if err != nil {
			return err.Error()
		}
		input = n
	}
	e, err := fhirpath.Parse(src)
	if err != nil {
		if invalid {
			return ""
		}
		return "parse: " + err.Error()
	}
	env := fhirpath.Env{Now: func() time.Time { return suiteNow }, Strict: tc.Mode == "strict"}
	got, err := e.Evaluate(context.Background(), input, env)
	if err != nil {
		if invalid {
			return ""
		}
		return "evaluate: " + err.Error()
	}
	if invalid {
		return fmt.Sprintf("expected an error (%s), got %s", tc.Expression.Invalid, render(got))
	}
	if tc.Predicate == "true" {
		got = fhirpath.Collection{fhirpath.ValueItem(fhirpath.Boolean(len(got) > 0))}
	}
	var want, have []string
	for _, o := range tc.Outputs {
		want = append(want, normType(o.Type)+"|"+normValue(o.Type, strings.TrimSpace(o.Text)))
	}
	for i, it := range got {
		typ := ""
		if i < len(tc.Outputs) {
			typ = tc.Outputs[i].Type
		}
		if tc.Ordered == "false" && len(tc.Outputs) > 0 {
			typ = tc.Outputs[0].Type
		}
		have = append(have, itemKey(it, typ))
	}
	if tc.Ordered == "false" {
		sort.Strings(want)
		sort.Strings(have)
	}
	if !slices.Equal(want, have) {
		return fmt.Sprintf("want %v, got %v", want, have)
	}
	return ""
}

func normType(t string) string {
	if t == "" {
		return "?"
	}
	return t
}

func normValue(typ, v string) string {
	switch {
	case strings.HasPrefix(v, "@T"):
		return v[2:]
	case strings.HasPrefix(v, "@"):
		return v[1:]
	}
	return v
}

// itemKey renders an item as "type|value" using the suite's type names;
// when the expected output has no type, the type is not compared.
func itemKey(it fhirpath.Item, wantType string) string {
	ti := it.Type()
	typ := ti.Name
	if ti.Namespace == "System" {
		switch ti.Name {
		case "Quantity":
			typ = "Quantity"
		case "DateTime":
			typ = "dateTime"
		default:
			typ = strings.ToLower(ti.Name[:1]) + ti.Name[1:]
		}
	}
	if wantType == "" {
		typ = "?"
	}
	return typ + "|" + it.String()
}

func render(c fhirpath.Collection) string {
	return "[" + strings.Join(c.Strings(), ", ") + "]"
}

const knownFile = "testdata/known-failures.txt"

// readKnownFailures reads "name<TAB>reason" lines; # starts a comment.
func readKnownFailures(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(knownFile)
	if os.IsNotExist(err) {
		return map[string]string{}
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, reason, _ := strings.Cut(line, "\t")
		m[strings.TrimSpace(name)] = strings.TrimSpace(reason)
	}
	return m
}

func writeKnownFailures(t *testing.T, failures, known map[string]string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("# Tests of the official FHIRPath R4 suite (tests-fhir-r4.xml) that yigong's\n")
	b.WriteString("# engine does not pass, one per line: test name, a tab, the reason.\n")
	b.WriteString("# TestOfficialSuite fails when a test not listed here fails and when a\n")
	b.WriteString("# listed test passes. Regenerate with: go test -run TestOfficialSuite -update-known\n")
	var names []string
	for n := range failures {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		reason := known[n]
		if reason == "" {
			reason = failures[n]
		}
		fmt.Fprintf(&b, "%s\t%s\n", n, strings.ReplaceAll(reason, "\n", " "))
	}
	if err := os.WriteFile(knownFile, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
