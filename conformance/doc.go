// Package conformance holds cross-cutting tests of the whole tree: the
// dependency rules between packages, and (in subpackages) the helpers that
// let any package's tests read the shared real-data corpus.
package conformance
