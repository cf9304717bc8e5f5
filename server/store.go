package server

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"yigong/fhir/store"
	"yigong/fhir/store/sqlite"
)

// OpenStore opens the store named by a validated DSN: "sqlite:PATH" (the
// folder is created) or a postgres:// URL, with indexer filling its search
// index. serve, import and the audit tools open stores the same way.
func OpenStore(ctx context.Context, dsn string, indexer store.Indexer) (store.Store, error) {
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(dsn, "sqlite:")
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, fmt.Errorf("server: store folder: %w", err)
		}
		db, err := sqlite.Open(ctx, path, sqlite.Options{Indexer: indexer})
		if err != nil {
			return nil, fmt.Errorf("server: open store: %w", err)
		}
		return db, nil
	default:
		return openPostgres(ctx, dsn, indexer)
	}
}
