package fhirjson_test

import (
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"testing"

	"yigong/conformance/fhirtest"
	"yigong/fhir/fhirjson"
)

// TestRoundTripExamples decodes every JSON file of the official examples
// package and checks that re-encoding gives an equal JSON tree.
func TestRoundTripExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("corpus-wide test")
	}
	t.Parallel()
	paths := fhirtest.ExampleFiles(t)
	files := make([]string, len(paths))
	for i, p := range paths {
		files[i] = filepath.Base(p)
	}
	known := fhirtest.ReadKnownFailures(t, filepath.Join("testdata", "roundtrip-known-failures.txt"))
	problems := make([]string, len(files))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				b, err := os.ReadFile(paths[i])
				if err != nil {
					problems[i] = err.Error()
					continue
				}
				problems[i] = roundTrip(b)
			}
		})
	}
	for i := range files {
		next <- i
	}
	close(next)
	wg.Wait()
	passed, failed := 0, 0
	for i, name := range files {
		problem := problems[i]
		reason, isKnown := known[name]
		switch {
		case problem != "" && !isKnown:
			t.Errorf("%s: %s", name, problem)
			failed++
		case problem == "" && isKnown:
			t.Errorf("%s: listed as a known failure (%s) but passes; remove it from the list", name, reason)
		case problem == "":
			passed++
		default:
			failed++
		}
		delete(known, name)
	}
	for name := range known {
		t.Errorf("%s: listed as a known failure but not in the package", name)
	}
	t.Logf("round trip: %d of %d files pass, %d known failures", passed, len(files), failed)
}

// roundTrip returns "" when b decodes and re-encodes to an equal JSON tree,
// else what went wrong.
func roundTrip(b []byte) string {
	n, err := fhirjson.Unmarshal(b)
	if err != nil {
		return "decode: " + err.Error()
	}
	out, err := fhirjson.Marshal(n)
	if err != nil {
		return "encode: " + err.Error()
	}
	want, err := fhirtest.DecodeTree(b)
	if err != nil {
		return "encoding/json cannot read the input: " + err.Error()
	}
	got, err := fhirtest.DecodeTree(out)
	if err != nil {
		return "output is not valid JSON: " + err.Error()
	}
	if !reflect.DeepEqual(want, got) {
		return "re-encoded JSON differs: " + firstDiff("", want, got)
	}
	return ""
}

func firstDiff(path string, a, b any) string {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			return path + ": object vs other"
		}
		keys := make([]string, 0, len(av))
		for k := range av {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if _, ok := bv[k]; !ok {
				return path + "." + k + ": missing in output"
			}
			if d := firstDiff(path+"."+k, av[k], bv[k]); d != "" {
				return d
			}
		}
		for k := range bv {
			if _, ok := av[k]; !ok {
				return path + "." + k + ": extra in output"
			}
		}
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			return path + ": array length differs"
		}
		for i := range av {
			if d := firstDiff(path+"["+strconv.Itoa(i)+"]", av[i], bv[i]); d != "" {
				return d
			}
		}
	default:
		if !reflect.DeepEqual(a, b) {
			return path + ": value differs"
		}
	}
	return ""
}
