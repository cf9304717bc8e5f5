package conformance

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// TestDependencyDirection enforces the layering of docs/ARCHITECTURE.md:
// protocol libraries know nothing of FHIR or of each other, fhir/ knows
// nothing of HTTP or protocols, only server/ imports echo.
func TestDependencyDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-json=ImportPath,Deps", "yigong/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	type pkg struct {
		ImportPath string
		Deps       []string
	}
	rules := []struct {
		from      string   // package prefix the rule applies to
		forbidden []string // import prefixes it must not reach, directly or not
	}{
		{"yigong/hl7v2", []string{"yigong/fhir", "yigong/adapters", "yigong/server", "yigong/dicom", "yigong/ecg", "github.com/labstack/echo"}},
		{"yigong/dicom", []string{"yigong/fhir", "yigong/adapters", "yigong/server", "yigong/hl7v2", "yigong/ecg", "github.com/labstack/echo"}},
		{"yigong/ecg", []string{"yigong/fhir", "yigong/adapters", "yigong/server", "yigong/hl7v2", "github.com/labstack/echo"}},
		{"yigong/fhir", []string{"yigong/server", "yigong/adapters", "yigong/hl7v2", "yigong/dicom", "yigong/ecg", "github.com/labstack/echo", "net/http"}},
		{"yigong/adapters", []string{"yigong/server", "github.com/labstack/echo"}},
		{"yigong/profiles", []string{"yigong/server", "github.com/labstack/echo"}},
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	seen := 0
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("decode go list: %v", err)
		}
		if !strings.HasPrefix(p.ImportPath, "yigong/") || strings.HasSuffix(p.ImportPath, ".test") {
			continue
		}
		seen++
		for _, r := range rules {
			if !under(p.ImportPath, r.from) {
				continue
			}
			for _, d := range p.Deps {
				for _, f := range r.forbidden {
					if under(d, f) && !under(d, r.from) {
						t.Errorf("%s depends on %s (forbidden: %s must not reach %s)", p.ImportPath, d, r.from, f)
					}
				}
			}
		}
	}
	if seen < 3 {
		t.Fatalf("go list saw only %d yigong packages", seen)
	}
}

// under reports whether path is pkg or inside it.
func under(path, pkg string) bool {
	return path == pkg || strings.HasPrefix(path, pkg+"/")
}
