package postgres_test

import (
	"testing"

	"yigong/fhir/store"
	"yigong/fhir/store/postgres"
	"yigong/fhir/store/storetest"
)

func BenchmarkStore(b *testing.B) {
	storetest.Benchmark(b, func(b *testing.B) store.Store {
		return open(b, postgres.Options{Indexer: storetest.Indexer()})
	})
}
