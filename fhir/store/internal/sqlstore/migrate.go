package sqlstore

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
)

// Migrate applies the migrations in fsys (files NNNN_name.sql, applied in
// order of NNNN) that schema_migrations does not list, in one transaction,
// and returns how many it applied.
func (e *Engine) Migrate(ctx context.Context, fsys fs.FS) (int, error) {
	const op = "store: migrate"
	files, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return 0, e.wrap(op, err)
	}
	type migration struct {
		version int
		name    string
	}
	var ms []migration
	for _, f := range files {
		num, _, ok := strings.Cut(f, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return 0, e.wrap(op, fmt.Errorf("migration file %q is not NNNN_name.sql", f))
		}
		ms = append(ms, migration{v, f})
	}
	slices.SortFunc(ms, func(a, b migration) int { return a.version - b.version })

	c, err := e.b.Begin(ctx)
	if err != nil {
		return 0, e.wrap(op, err)
	}
	defer c.Rollback(ctx)
	if e.d.MigrationLock != "" {
		if _, err := c.Exec(ctx, e.d.MigrationLock); err != nil {
			return 0, e.wrap(op, err)
		}
	}
	if _, err := c.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  applied_at BIGINT NOT NULL
)`); err != nil {
		return 0, e.wrap(op, err)
	}
	applied := map[int]bool{}
	rows, err := c.Query(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return 0, e.wrap(op, err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return 0, e.wrap(op, err)
		}
		applied[v] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, e.wrap(op, err)
	}
	n := 0
	for _, m := range ms {
		if applied[m.version] {
			continue
		}
		sql, err := fs.ReadFile(fsys, m.name)
		if err != nil {
			return 0, e.wrap(op, err)
		}
		if _, err := c.Exec(ctx, string(sql)); err != nil {
			return 0, e.wrap(op+" "+m.name, err)
		}
		if _, err := c.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
			m.version, m.name, e.now().UnixMicro()); err != nil {
			return 0, e.wrap(op, err)
		}
		n++
	}
	if err := c.Commit(ctx); err != nil {
		return 0, e.wrap(op, err)
	}
	return n, nil
}
