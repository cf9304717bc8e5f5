package sqlstore

import (
	"context"
	"time"

	"yigong/fhir"
	"yigong/fhir/store"
)

// The authorization server's records (store.AuthRecords, table auth_records
// of migration 0040) and the audit chain (store.AuditLog, tables
// audit_events and audit_anchor of migration 0041).

var (
	_ store.AuthRecords = (*Engine)(nil)
	_ store.AuditLog    = (*Engine)(nil)
)

func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func (e *Engine) micros0(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return e.fromMicros(us)
}

func conflict(format string, args ...any) error {
	return kerr(fhir.KindConflict, store.ErrConflict, format, args...)
}

// GetAuthRecord implements store.AuthRecords.
func (e *Engine) GetAuthRecord(ctx context.Context, kind, key string) (*store.AuthRecord, error) {
	op := "store: auth get " + kind
	r := store.AuthRecord{Kind: kind, Key: key}
	var exp, upd int64
	err := e.b.Reader().QueryRow(ctx, `SELECT institution, value, version, expires_at, updated_at FROM auth_records
WHERE kind = $1 AND key = $2 AND (expires_at = 0 OR expires_at > $3)`, kind, key, e.now().UnixMicro()).
		Scan(&r.Institution, &r.Value, &r.Version, &exp, &upd)
	if err != nil {
		if e.d.IsNoRows(err) {
			return nil, e.wrap(op, notFound())
		}
		return nil, e.wrap(op, err)
	}
	r.Expires, r.Updated = e.micros0(exp), e.fromMicros(upd)
	return &r, nil
}

// PutAuthRecord implements store.AuthRecords.
func (e *Engine) PutAuthRecord(ctx context.Context, rec store.AuthRecord, ifVersion int64) (int64, error) {
	op := "store: auth put " + rec.Kind
	if rec.Kind == "" || rec.Key == "" {
		return 0, e.wrap(op, kerr(fhir.KindInvalid, nil, "kind and key are required"))
	}
	inst := rec.Institution
	if inst == "" {
		inst = "*"
	}
	if rec.Value == nil {
		rec.Value = []byte{}
	}
	now := e.now().UnixMicro()
	var v int64
	err := e.inTx(ctx, op, func(t *Tx) error {
		return e.putAuth(ctx, t.c, rec, inst, now, ifVersion, &v)
	})
	if err != nil {
		if e.d.IsNoRows(err) {
			return 0, e.wrap(op, conflict("%s %q: version is not %d", rec.Kind, rec.Key, ifVersion))
		}
		return 0, e.wrap(op, err)
	}
	return v, nil
}

func (e *Engine) putAuth(ctx context.Context, c Querier, rec store.AuthRecord, inst string, now, ifVersion int64, v *int64) error {
	var err error
	if ifVersion == 0 {
		// Insert, or replace a record that has expired.
		err = c.QueryRow(ctx, `INSERT INTO auth_records (kind, key, institution, value, version, expires_at, updated_at)
VALUES ($1, $2, $3, $4, 1, $5, $6)
ON CONFLICT (kind, key) DO UPDATE SET institution = excluded.institution, value = excluded.value,
  version = auth_records.version + 1, expires_at = excluded.expires_at, updated_at = excluded.updated_at
WHERE auth_records.expires_at <> 0 AND auth_records.expires_at <= $6
RETURNING version`, rec.Kind, rec.Key, inst, rec.Value, micros(rec.Expires), now).Scan(v)
	} else {
		err = c.QueryRow(ctx, `UPDATE auth_records SET institution = $3, value = $4, version = version + 1,
  expires_at = $5, updated_at = $6
WHERE kind = $1 AND key = $2 AND version = $7 AND (expires_at = 0 OR expires_at > $6)
RETURNING version`, rec.Kind, rec.Key, inst, rec.Value, micros(rec.Expires), now, ifVersion).Scan(v)
	}
	return err
}

// DeleteAuthRecord implements store.AuthRecords.
func (e *Engine) DeleteAuthRecord(ctx context.Context, kind, key string, ifVersion int64) error {
	op := "store: auth delete " + kind
	return e.inTx(ctx, op, func(t *Tx) error {
		if ifVersion <= 0 {
			_, err := t.c.Exec(ctx, `DELETE FROM auth_records WHERE kind = $1 AND key = $2`, kind, key)
			return e.wrap(op, err)
		}
		n, err := t.c.Exec(ctx, `DELETE FROM auth_records WHERE kind = $1 AND key = $2 AND version = $3`, kind, key, ifVersion)
		if err != nil {
			return e.wrap(op, err)
		}
		if n == 0 {
			var one int
			if err := t.c.QueryRow(ctx, `SELECT 1 FROM auth_records WHERE kind = $1 AND key = $2`, kind, key).Scan(&one); err == nil {
				return e.wrap(op, conflict("%s %q: version is not %d", kind, key, ifVersion))
			}
		}
		return nil
	})
}

// ListAuthRecords implements store.AuthRecords.
func (e *Engine) ListAuthRecords(ctx context.Context, kind, after string, limit int) ([]store.AuthRecord, error) {
	op := "store: auth list " + kind
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	rows, err := e.b.Reader().Query(ctx, `SELECT key, institution, value, version, expires_at, updated_at FROM auth_records
WHERE kind = $1 AND key > $2 AND (expires_at = 0 OR expires_at > $3) ORDER BY key LIMIT $4`, kind, after, e.now().UnixMicro(), limit)
	if err != nil {
		return nil, e.wrap(op, err)
	}
	defer rows.Close()
	var out []store.AuthRecord
	for rows.Next() {
		r := store.AuthRecord{Kind: kind}
		var exp, upd int64
		if err := rows.Scan(&r.Key, &r.Institution, &r.Value, &r.Version, &exp, &upd); err != nil {
			return nil, e.wrap(op, err)
		}
		r.Expires, r.Updated = e.micros0(exp), e.fromMicros(upd)
		out = append(out, r)
	}
	return out, e.wrap(op, rows.Err())
}

// PurgeAuthRecords implements store.AuthRecords.
func (e *Engine) PurgeAuthRecords(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	err := e.inTx(ctx, "store: auth purge", func(t *Tx) (err error) {
		n, err = t.c.Exec(ctx, `DELETE FROM auth_records WHERE expires_at <> 0 AND expires_at <= $1`, now.UnixMicro())
		return e.wrap("store: auth purge", err)
	})
	return n, err
}

// AppendAudit implements store.AuditLog. The chain's continuity is checked
// inside the write transaction (on SQLite the single writer serialises
// appenders; on PostgreSQL a second appender of the same seq fails on the
// primary key and gets ErrConflict).
func (e *Engine) AppendAudit(ctx context.Context, entries []store.AuditEntry) error {
	const op = "store: audit append"
	if len(entries) == 0 {
		return nil
	}
	return e.inTx(ctx, op, func(t *Tx) error {
		var last int64
		err := t.c.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM audit_events`).Scan(&last)
		if err != nil {
			return e.wrap(op, err)
		}
		if last == 0 {
			if err := t.c.QueryRow(ctx, `SELECT seq FROM audit_anchor WHERE id = 1`).Scan(&last); err != nil {
				return e.wrap(op, err)
			}
		}
		for i, en := range entries {
			if en.Seq != last+1+int64(i) {
				return e.wrap(op, conflict("entry %d has seq %d, the chain continues at %d", i, en.Seq, last+1+int64(i)))
			}
			if en.Institution == "" {
				en.Institution = "*"
			}
			if _, err := t.c.Exec(ctx, `INSERT INTO audit_events (seq, institution, recorded_at, action, outcome, agent, event, prev_hash, hash)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, en.Seq, en.Institution, en.Recorded.UnixMicro(), en.Action, en.Outcome, en.Agent,
				en.Event, orEmpty(en.PrevHash), orEmpty(en.Hash)); err != nil {
				return e.wrap(op, err)
			}
		}
		return nil
	})
}

func orEmpty(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

const auditCols = `seq, institution, recorded_at, action, outcome, agent, event, prev_hash, hash`

func (e *Engine) scanAudit(rows Rows) ([]store.AuditEntry, error) {
	defer rows.Close()
	var out []store.AuditEntry
	for rows.Next() {
		var en store.AuditEntry
		var rec int64
		if err := rows.Scan(&en.Seq, &en.Institution, &rec, &en.Action, &en.Outcome, &en.Agent, &en.Event, &en.PrevHash, &en.Hash); err != nil {
			return nil, err
		}
		en.Recorded = time.UnixMicro(rec).UTC()
		out = append(out, en)
	}
	return out, rows.Err()
}

// LastAudit implements store.AuditLog.
func (e *Engine) LastAudit(ctx context.Context) (*store.AuditEntry, error) {
	const op = "store: audit last"
	rows, err := e.b.Reader().Query(ctx, `SELECT `+auditCols+` FROM audit_events ORDER BY seq DESC LIMIT 1`)
	if err != nil {
		return nil, e.wrap(op, err)
	}
	out, err := e.scanAudit(rows)
	if err != nil || len(out) == 0 {
		return nil, e.wrap(op, err)
	}
	return &out[0], nil
}

// ScanAudit implements store.AuditLog.
func (e *Engine) ScanAudit(ctx context.Context, after int64, limit int) ([]store.AuditEntry, error) {
	const op = "store: audit scan"
	if limit <= 0 || limit > 10000 {
		limit = 10000
	}
	rows, err := e.b.Reader().Query(ctx, `SELECT `+auditCols+` FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2`, after, limit)
	if err != nil {
		return nil, e.wrap(op, err)
	}
	out, err := e.scanAudit(rows)
	return out, e.wrap(op, err)
}

// AuditAnchor implements store.AuditLog.
func (e *Engine) AuditAnchor(ctx context.Context) (store.AuditAnchor, error) {
	var a store.AuditAnchor
	var at int64
	err := e.b.Reader().QueryRow(ctx, `SELECT seq, hash, purged_at FROM audit_anchor WHERE id = 1`).Scan(&a.Seq, &a.Hash, &at)
	if err != nil {
		return a, e.wrap("store: audit anchor", err)
	}
	if at != 0 {
		a.PurgedAt = time.UnixMicro(at).UTC()
	}
	return a, nil
}

// PurgeAudit implements store.AuditLog: a prefix of the chain, with the
// anchor moved to the last entry deleted in the same transaction.
func (e *Engine) PurgeAudit(ctx context.Context, cutoff time.Time) (n int64, err error) {
	const op = "store: audit purge"
	err = e.inTx(ctx, op, func(t *Tx) error {
		// The prefix ends before the first entry recorded at or after the
		// cutoff, so that a clock step backwards never punches a hole.
		var end int64
		if err := t.c.QueryRow(ctx, `SELECT COALESCE(MIN(seq), -1) FROM audit_events WHERE recorded_at >= $1`, cutoff.UnixMicro()).Scan(&end); err != nil {
			return e.wrap(op, err)
		}
		if end == -1 { // everything is older
			if err := t.c.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM audit_events`).Scan(&end); err != nil {
				return e.wrap(op, err)
			}
		}
		var seq int64
		var hash []byte
		err := t.c.QueryRow(ctx, `SELECT seq, hash FROM audit_events WHERE seq < $1 ORDER BY seq DESC LIMIT 1`, end).Scan(&seq, &hash)
		if e.d.IsNoRows(err) {
			return nil
		}
		if err != nil {
			return e.wrap(op, err)
		}
		if n, err = t.c.Exec(ctx, `DELETE FROM audit_events WHERE seq <= $1`, seq); err != nil {
			return e.wrap(op, err)
		}
		_, err = t.c.Exec(ctx, `UPDATE audit_anchor SET seq = $1, hash = $2, purged_at = $3 WHERE id = 1`, seq, hash, e.now().UnixMicro())
		return e.wrap(op, err)
	})
	return n, err
}
