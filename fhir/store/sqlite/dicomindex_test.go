package sqlite_test

import (
	"testing"

	"yigong/fhir/store"
	"yigong/fhir/store/storetest"
)

func TestDICOMIndex(t *testing.T) {
	t.Parallel()
	storetest.RunDICOMIndex(t, func(t *testing.T) store.Store { return open(t) })
}
