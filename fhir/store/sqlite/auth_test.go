package sqlite_test

import (
	"testing"

	"yigong/fhir/store"
	"yigong/fhir/store/storetest"
)

func TestSecurity(t *testing.T) {
	t.Parallel()
	storetest.RunSecurity(t, func(t *testing.T) store.Store { return open(t) })
}
