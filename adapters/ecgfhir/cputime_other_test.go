//go:build !unix

package ecgfhir_test

import "time"

// cpuTime is not measured off Unix; the cpu-ms/op metric reads 0.
func cpuTime() time.Duration { return 0 }
