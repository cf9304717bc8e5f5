//go:build race

package storetest

// raceEnabled shrinks the load tests under the race detector, which slows
// the pure-Go SQLite engine some thirty-fold.
const raceEnabled = true
