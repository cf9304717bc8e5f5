//go:build unix

// Package cputime reads the CPU time the current process has used, for
// benchmarks that report CPU per operation next to wall time: on a shared
// 2-core machine wall time swings with other jobs' load, CPU time much
// less.
package cputime

import (
	"syscall"
	"time"
)

// Used is the user + system CPU time the process has used so far, all
// threads together (the code measured, the GC and the runtime).
func Used() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
