//go:build unix

package ecgfhir_test

import (
	"syscall"
	"time"
)

// cpuTime is the user + system CPU time the process has used so far (all
// threads: with -cpu 1 that is the benchmark, the GC and the runtime).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
