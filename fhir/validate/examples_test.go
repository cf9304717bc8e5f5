package validate_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"yigong/conformance/corpus"
	"yigong/conformance/fhirtest"
	"yigong/fhir"
	"yigong/fhir/fhirjson"
	"yigong/fhir/validate"
)

// conformanceTypes are the resource types of the specification's own
// definitions (as opposed to example instances).
var conformanceTypes = map[string]bool{
	"StructureDefinition": true, "ValueSet": true, "CodeSystem": true, "SearchParameter": true,
	"OperationDefinition": true, "CapabilityStatement": true, "CompartmentDefinition": true,
	"ConceptMap": true, "NamingSystem": true, "ImplementationGuide": true, "StructureMap": true,
	"GraphDefinition": true, "MessageDefinition": true, "TerminologyCapabilities": true,
}

func errorsOnly(issues []fhir.Issue) []fhir.Issue {
	var out []fhir.Issue
	for _, is := range issues {
		if is.Severity == fhir.SeverityError || is.Severity == fhir.SeverityFatal {
			out = append(out, is)
		}
	}
	return out
}

// TestValidateExamples validates every JSON example of the official
// examples package; the ones the specification ships broken are listed with
// their reason in testdata/examples-known-failures.txt.
func TestValidateExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("corpus-wide test")
	}
	t.Parallel()
	dir := corpus.NPM(t, "hl7.fhir.r4.examples")
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".json") && e.Name() != "package.json" && !strings.HasPrefix(e.Name(), ".") {
			files = append(files, e.Name())
		}
	}
	sort.Strings(files)
	known := fhirtest.ReadKnownFailures(t, filepath.Join("testdata", "examples-known-failures.txt"))
	v := validate.New()
	problems := make([]string, len(files))
	conformance := make([]bool, len(files))
	var (
		wg         sync.WaitGroup
		mu         sync.Mutex
		processing = map[string]int{} // constraint key -> evaluation failures
		firstMsg   = map[string]string{}
	)
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				b, err := os.ReadFile(filepath.Join(dir, files[i]))
				if err != nil {
					problems[i] = err.Error()
					continue
				}
				n, err := fhirjson.Unmarshal(b)
				if err != nil {
					problems[i] = "decode: " + err.Error()
					continue
				}
				conformance[i] = conformanceTypes[n.Type]
				issues := v.Validate(context.Background(), n)
				for _, is := range issues {
					if is.Code == "processing" {
						mu.Lock()
						processing[is.Constraint]++
						if firstMsg[is.Constraint] == "" {
							firstMsg[is.Constraint] = files[i] + ": " + is.String()
						}
						mu.Unlock()
					}
				}
				if errs := errorsOnly(issues); len(errs) > 0 {
					var parts []string
					for _, is := range errs[:min(len(errs), 3)] {
						parts = append(parts, is.String())
					}
					problems[i] = strings.Join(parts, "; ")
					if len(errs) > 3 {
						problems[i] += "; ..."
					}
				}
			}
		})
	}
	for i := range files {
		next <- i
	}
	close(next)
	wg.Wait()
	var pass, fail, cpass, cfail int
	for i, name := range files {
		reason, isKnown := known[name]
		delete(known, name)
		switch {
		case problems[i] != "" && !isKnown:
			t.Errorf("%s: %s", name, problems[i])
		case problems[i] == "" && isKnown:
			t.Errorf("%s: listed as a known failure (%s) but validates; remove it from the list", name, reason)
		}
		switch {
		case conformance[i] && problems[i] == "":
			cpass++
		case conformance[i]:
			cfail++
		case problems[i] == "":
			pass++
		default:
			fail++
		}
	}
	for name := range known {
		t.Errorf("%s: listed as a known failure but not in the package", name)
	}
	keys := make([]string, 0, len(processing))
	for k := range processing {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("constraint %s could not be evaluated %d times; first: %.400s", k, processing[k], firstMsg[k])
	}
	t.Logf("examples: %d valid, %d known failures; conformance resources: %d valid, %d known failures", pass, fail, cpass, cfail)
}
