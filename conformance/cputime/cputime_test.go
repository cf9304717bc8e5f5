//go:build unix

package cputime

import (
	"testing"
	"time"
)

// TestUsedGrows: keeping a core busy shows as CPU time used (however
// loaded the machine: the loop runs until it does, or ten seconds pass).
func TestUsedGrows(t *testing.T) {
	before := Used()
	turns := 0
	for deadline := time.Now().Add(10 * time.Second); Used()-before < 5*time.Millisecond; turns++ {
		if time.Now().After(deadline) {
			t.Fatalf("CPU time grew %v after 10 s of spinning (%d turns)", Used()-before, turns)
		}
		for i := 0; i < 100000; i++ {
			turns += i & 1 // keeping a core busy
		}
	}
}
