// Package peer locates the real protocol peers that tests run against
// (dcmtk's storescu/findscu/..., python3-hl7's mllp_send, node, chromium).
//
// A missing peer skips the test on a developer machine and fails it when
// CI=true: .ci/run installs every peer, so CI can never pass by not running a
// peer test.
package peer

import (
	"os"
	"os/exec"
	"testing"
)

// Require returns the absolute path of the named executable, or skips (fails
// under CI=true) the test when it is not installed.
func Require(tb testing.TB, name string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("peer: %s is not installed; .ci/run must install it", name)
		}
		tb.Skipf("peer: %s is not installed; this peer test did not run (it runs in CI)", name)
	}
	return p
}
