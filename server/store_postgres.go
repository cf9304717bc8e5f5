package server

import (
	"context"
	"fmt"

	"yigong/fhir/store"
	"yigong/fhir/store/postgres"
)

func openPostgres(ctx context.Context, dsn string, indexer store.Indexer) (store.Store, error) {
	db, err := postgres.Open(ctx, dsn, postgres.Options{Indexer: indexer})
	if err != nil {
		return nil, fmt.Errorf("server: open store: %w", err)
	}
	return db, nil
}
