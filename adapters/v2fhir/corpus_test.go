package v2fhir_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"yigong/adapters/v2fhir"
	"yigong/conformance/corpus"
	"yigong/fhir/r4"
	"yigong/hl7v2"
)

var update = flag.Bool("update", false, "rewrite testdata/golden files")

// testConfig is the configuration the acceptance tests map with.
func testConfig() v2fhir.Config {
	return v2fhir.Config{
		Authorities: map[string]string{
			"HIS1":                  "http://hospital.example/fhir/mrn",
			"GOOD HEALTH HOSPITAL":  "urn:oid:2.16.840.1.113883.19.5",
			"BCBS":                  "http://bcbs.example/member",
			"IA PHIMS Stage":        "urn:oid:2.16.840.1.114222.4.3.3.5.1.2",
			"NIST-MPI-1":            "urn:oid:2.16.840.1.113883.3.72.5.30.2",
			"2.16.840.1.113883.1.4": "urn:oid:2.16.840.1.113883.1.4",
		},
		ResidentIDAuthorities: []string{"SFZ", "身份证"},
		Senders:               map[string]v2fhir.Sender{"COUNTY": {Institution: "county-hospital"}},
		DefaultInstitution:    "alliance",
	}
}

// messageFiles lists the corpus messages.
func messageFiles(t testing.TB) []string {
	dir := corpus.Path(t, "hl7v2", "messages")
	files, err := filepath.Glob(filepath.Join(dir, "*.hl7"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus messages in %s: %v", dir, err)
	}
	return files
}

// readMessage parses a corpus file: a leading UTF-8 BOM is stripped.
func readMessage(t testing.TB, path string) *hl7v2.Message {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	m, err := hl7v2.Parse(data)
	if err != nil {
		t.Fatalf("parse %s: %v", filepath.Base(path), err)
	}
	return m
}

// mappedTypes is the list of issue 5 §3: anything else must be ErrNotMapped.
var mappedTypes = map[string]bool{
	"ADT^A01": true, "ADT^A02": true, "ADT^A03": true, "ADT^A04": true, "ADT^A05": true, "ADT^A06": true,
	"ADT^A07": true, "ADT^A08": true, "ADT^A11": true, "ADT^A12": true, "ADT^A13": true, "ADT^A28": true,
	"ADT^A31": true, "ADT^A40": true, "ADT^A47": true, "ORM^O01": true, "OML^O21": true, "OML^O33": true,
	"ORU^R01": true, "OUL^R22": true, "RDE^O11": true, "RDE^O25": true, "RDS^O13": true, "SIU^S12": true,
	"SIU^S13": true, "SIU^S14": true, "SIU^S15": true, "MDM^T02": true, "VXU^V04": true,
}

// checkStrict asserts that every resource of the Bundle, and the Bundle,
// pass the strict FHIR JSON codec.
func checkStrict(t *testing.T, b *r4.Bundle) {
	t.Helper()
	if b.Type != "transaction" {
		t.Errorf("bundle type %q", b.Type)
	}
	for i, e := range b.Entry {
		if e.Resource == nil || e.Request == nil || !strings.HasPrefix(e.FullUrl, "urn:uuid:") {
			t.Errorf("entry %d: incomplete: %+v", i, e)
			continue
		}
		if _, err := r4.ToNode(e.Resource.Resource); err != nil {
			t.Errorf("entry %d %s: strict FHIR JSON: %v", i, e.Resource.Resource.ResourceType(), err)
		}
	}
	if _, err := r4.ToNode(b); err != nil {
		t.Errorf("bundle: strict FHIR JSON: %v", err)
	}
}

func TestCorpus(t *testing.T) {
	m, err := v2fhir.New(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	mapped := 0
	for _, path := range messageFiles(t) {
		name := strings.TrimSuffix(filepath.Base(path), ".hl7")
		t.Run(name, func(t *testing.T) {
			msg := readMessage(t, path)
			code, trigger, _ := msg.Type()
			typ := code + "^" + trigger
			res, err := m.Map(context.Background(), msg)
			if !mappedTypes[typ] {
				if !errors.Is(err, v2fhir.ErrNotMapped) {
					t.Fatalf("%s: got %v, want ErrNotMapped", typ, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s: %v", typ, err)
			}
			mapped++
			checkStrict(t, res.Bundle)
			// Idempotency: a second mapping gives the same bytes.
			again, err := m.Map(context.Background(), readMessage(t, path))
			if err != nil {
				t.Fatal(err)
			}
			got := golden(t, res)
			if g2 := golden(t, again); !bytes.Equal(got, g2) {
				t.Fatal("mapping the same message twice gave different Bundles")
			}
			file := filepath.Join("testdata", "golden", name+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from golden; run go test ./adapters/v2fhir -update and review the diff", file)
			}
		})
	}
}

// golden renders a Result for a golden file: the Bundle, then warnings.
func golden(t testing.TB, r *v2fhir.Result) []byte {
	var warnings []string
	for _, w := range r.Warnings {
		warnings = append(warnings, w.String())
	}
	out, err := json.MarshalIndent(struct {
		Type       string
		MessageKey string
		Warnings   []string
		Bundle     *r4.Bundle
	}{r.Type, r.MessageKey, warnings, r.Bundle}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}
