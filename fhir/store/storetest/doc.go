// Package storetest is the test suite every fhir/store engine must pass,
// written once and called from each engine's tests, as testing/fstest.TestFS
// checks any fs.FS:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return openEmpty(t) })
//	}
//
// open must return a new, empty store opened with [Indexer], and arrange
// (t.Cleanup) for it to be closed and removed. Run calls it once per test, in
// parallel subtests.
package storetest
