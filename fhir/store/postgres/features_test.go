package postgres_test

import (
	"testing"

	"yigong/fhir/store"
	"yigong/fhir/store/postgres"
	"yigong/fhir/store/storetest"
)

func TestStoreFeatures(t *testing.T) {
	storetest.RunFeatures(t, func(t *testing.T, ix store.Indexer) store.Store {
		return open(t, postgres.Options{Indexer: ix})
	})
}

func BenchmarkStoreFeatures(b *testing.B) {
	storetest.BenchmarkFeatures(b, func(b *testing.B, ix store.Indexer) store.Store {
		return open(b, postgres.Options{Indexer: ix})
	})
}
