package sqlstore

import (
	"context"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"yigong/fhir"
	"yigong/fhir/store"
)

// The queue (store.Queue) over the queue_items table of migration 0010.
//
// Claims run in a write transaction: on SQLite the single writer serialises
// them; on PostgreSQL a transaction-scoped advisory lock per queue does, so
// that two claimers never compute overlapping runs of one partition from
// different snapshots. Claims are short (two statements), so serialising
// them costs little next to the work the items stand for.

var _ store.QueueTx = (*Tx)(nil)

const queueCols = `id, queue, institution, partition_key, dedupe_key, msg_type, state, attempts, next_at, lease_until,
 owner, enqueued_at, updated_at, last_error, outcome, meta`

func (e *Engine) scanItems(rows Rows, withBody bool) ([]store.QueueItem, error) {
	defer rows.Close()
	var out []store.QueueItem
	for rows.Next() {
		var it store.QueueItem
		var state string
		var next, lease, enq, upd int64
		dest := []any{&it.ID, &it.Queue, &it.Institution, &it.Partition, &it.DedupeKey, &it.Type, &state, &it.Attempts,
			&next, &lease, &it.Owner, &enq, &upd, &it.LastError, &it.Outcome, &it.Meta}
		if withBody {
			dest = append(dest, &it.Body)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		it.State = store.QueueState(state)
		it.NextAt, it.Enqueued, it.Updated = e.fromMicros(next), e.fromMicros(enq), e.fromMicros(upd)
		if lease != 0 {
			it.LeaseUntil = e.fromMicros(lease)
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

func checkQueueInput(in store.QueueInput) error {
	switch {
	case in.Queue == "":
		return kerr(fhir.KindInvalid, nil, "no queue name")
	case in.Institution == "":
		return kerr(fhir.KindInvalid, nil, "no institution")
	case in.Partition == "":
		return kerr(fhir.KindInvalid, nil, "no partition")
	}
	return nil
}

// Enqueue implements store.Queue: all items in one transaction.
func (e *Engine) Enqueue(ctx context.Context, items []store.QueueInput) (out []store.Enqueued, err error) {
	err = e.inTx(ctx, "store: queue enqueue", func(t *Tx) error {
		out, err = t.QueueEnqueue(ctx, items)
		return err
	})
	return out, err
}

// QueueEnqueue implements store.QueueTx.
func (t *Tx) QueueEnqueue(ctx context.Context, items []store.QueueInput) ([]store.Enqueued, error) {
	const op = "store: queue enqueue"
	if err := t.closed(op); err != nil {
		return nil, err
	}
	now := t.e.now().UnixMicro()
	out := make([]store.Enqueued, len(items))
	for i, in := range items {
		if err := checkQueueInput(in); err != nil {
			return nil, t.e.wrap(op, err)
		}
		state, lastErr := store.QueuePending, ""
		if in.Error != "" {
			state, lastErr = store.QueueError, in.Error
		}
		next := now
		if !in.NotBefore.IsZero() {
			next = in.NotBefore.UnixMicro()
		}
		var id int64
		err := t.c.QueryRow(ctx, `INSERT INTO queue_items (queue, institution, partition_key, dedupe_key, msg_type, state,
 attempts, next_at, lease_until, owner, enqueued_at, updated_at, last_error, outcome, meta, body)
VALUES ($1, $2, $3, $4, $5, $6, 0, $7, 0, '', $8, $8, $9, '', $10, $11) ON CONFLICT DO NOTHING RETURNING id`,
			in.Queue, in.Institution, in.Partition, in.DedupeKey, in.Type, string(state), next, now, lastErr,
			nullBytes(in.Meta), nullBytes(in.Body)).Scan(&id)
		if err == nil {
			out[i] = store.Enqueued{ID: id, State: state}
			continue
		}
		if !t.e.d.IsNoRows(err) || in.DedupeKey == "" {
			return nil, t.e.wrap(op, err)
		}
		var st string
		if err := t.c.QueryRow(ctx, `SELECT id, state FROM queue_items WHERE queue = $1 AND institution = $2 AND dedupe_key = $3`,
			in.Queue, in.Institution, in.DedupeKey).Scan(&id, &st); err != nil {
			return nil, t.e.wrap(op, err)
		}
		out[i] = store.Enqueued{ID: id, Duplicate: true, State: store.QueueState(st)}
	}
	return out, nil
}

func nullBytes(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

// Claim implements store.Queue.
func (e *Engine) Claim(ctx context.Context, c store.ClaimRequest) (out []store.QueueItem, err error) {
	op := "store: queue claim " + c.Queue
	if c.Queue == "" || c.Owner == "" {
		return nil, e.wrap(op, kerr(fhir.KindInvalid, nil, "queue and owner are required"))
	}
	limit, per, lease := c.Limit, c.PerPartition, c.Lease
	if limit <= 0 {
		limit = 16
	}
	if per <= 0 {
		per = 1
	}
	if lease <= 0 {
		lease = 30 * time.Second
	}
	err = e.inTx(ctx, op, func(t *Tx) error {
		if e.d.Name == "postgres" {
			h := fnv.New64a()
			h.Write([]byte("yigong.queue." + c.Queue))
			if _, err := t.c.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(h.Sum64()>>1)); err != nil {
				return e.wrap(op, err)
			}
		}
		now := e.now().UnixMicro()
		// Heads of partitions: the oldest pending or leased item of each.
		args := []any{c.Queue, now, limit}
		filter := ""
		if len(c.Partitions) > 0 {
			ph := make([]string, len(c.Partitions))
			for i, p := range c.Partitions {
				args = append(args, p)
				ph[i] = fmt.Sprintf("$%d", len(args))
			}
			filter = ` AND partition_key IN (` + strings.Join(ph, ",") + `)`
		}
		rows, err := t.c.Query(ctx, `SELECT q.partition_key, q.id FROM queue_items q JOIN
 (SELECT partition_key AS p, MIN(id) AS head FROM queue_items WHERE queue = $1 AND state IN ('pending', 'leased')`+filter+`
  GROUP BY partition_key) h ON q.id = h.head
WHERE (q.state = 'pending' AND q.next_at <= $2) OR (q.state = 'leased' AND q.lease_until <= $2)
ORDER BY q.id LIMIT $3`, args...)
		if err != nil {
			return e.wrap(op, err)
		}
		type head struct {
			partition string
			id        int64
		}
		var heads []head
		for rows.Next() {
			var h head
			if err := rows.Scan(&h.partition, &h.id); err != nil {
				rows.Close()
				return e.wrap(op, err)
			}
			heads = append(heads, h)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return e.wrap(op, err)
		}
		until := now + lease.Microseconds()
		for _, h := range heads {
			if len(out) >= limit {
				break
			}
			n := min(per, limit-len(out))
			// The run behind the head: consecutive active items, all
			// claimable; the first that is not (waiting for a retry)
			// ends it.
			rows, err := t.c.Query(ctx, `SELECT id, state, next_at, lease_until FROM queue_items
WHERE queue = $1 AND partition_key = $2 AND state IN ('pending', 'leased') AND id >= $3 ORDER BY id LIMIT $4`,
				c.Queue, h.partition, h.id, n)
			if err != nil {
				return e.wrap(op, err)
			}
			var ids []any
			for rows.Next() {
				var id, next, lu int64
				var st string
				if err := rows.Scan(&id, &st, &next, &lu); err != nil {
					rows.Close()
					return e.wrap(op, err)
				}
				if !(st == string(store.QueuePending) && next <= now || st == string(store.QueueLeased) && lu <= now) {
					break
				}
				ids = append(ids, id)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return e.wrap(op, err)
			}
			if len(ids) == 0 {
				continue
			}
			ph := make([]string, len(ids))
			for i := range ids {
				ph[i] = fmt.Sprintf("$%d", i+4)
			}
			rs, err := t.c.Query(ctx, `UPDATE queue_items SET state = 'leased', owner = $1, lease_until = $2, updated_at = $3
WHERE id IN (`+strings.Join(ph, ",")+`) RETURNING `+queueCols+`, body`,
				append([]any{c.Owner, until, now}, ids...)...)
			if err != nil {
				return e.wrap(op, err)
			}
			got, err := e.scanItems(rs, true)
			if err != nil {
				return e.wrap(op, err)
			}
			sortItems(got)
			out = append(out, got...)
		}
		return nil
	})
	return out, err
}

func sortItems(items []store.QueueItem) {
	for i := 1; i < len(items); i++ {
		for j := i; j > 0 && items[j].ID < items[j-1].ID; j-- {
			items[j], items[j-1] = items[j-1], items[j]
		}
	}
}

// Complete implements store.Queue.
func (e *Engine) Complete(ctx context.Context, id int64, owner, outcome string) error {
	return e.inTx(ctx, fmt.Sprintf("store: queue complete %d", id), func(t *Tx) error {
		return t.QueueComplete(ctx, id, owner, outcome)
	})
}

// QueueComplete implements store.QueueTx.
func (t *Tx) QueueComplete(ctx context.Context, id int64, owner, outcome string) error {
	op := fmt.Sprintf("store: queue complete %d", id)
	if err := t.closed(op); err != nil {
		return err
	}
	n, err := t.c.Exec(ctx, `UPDATE queue_items SET state = 'done', owner = '', lease_until = 0, updated_at = $3, outcome = $4
WHERE id = $1 AND state = 'leased' AND owner = $2`, id, owner, t.e.now().UnixMicro(), outcome)
	if err != nil {
		return t.e.wrap(op, err)
	}
	if n == 0 {
		return t.e.wrap(op, kerr(fhir.KindConflict, store.ErrConflict, "%v: not leased to %q", store.ErrQueueLease, owner))
	}
	return nil
}

// Fail implements store.Queue.
func (e *Engine) Fail(ctx context.Context, id int64, f store.QueueFailure) (state store.QueueState, err error) {
	op := fmt.Sprintf("store: queue fail %d", id)
	maxAttempts, backoff, maxBackoff := f.MaxAttempts, f.Backoff, f.MaxBackoff
	if maxAttempts <= 0 {
		maxAttempts = 5
	}
	if backoff <= 0 {
		backoff = time.Second
	}
	if maxBackoff <= 0 {
		maxBackoff = 5 * time.Minute
	}
	err = e.inTx(ctx, op, func(t *Tx) error {
		var attempts int
		if err := t.c.QueryRow(ctx, `SELECT attempts FROM queue_items WHERE id = $1 AND state = 'leased' AND owner = $2`+e.d.ForUpdate,
			id, f.Owner).Scan(&attempts); err != nil {
			if e.d.IsNoRows(err) {
				return e.wrap(op, kerr(fhir.KindConflict, store.ErrConflict, "%v: not leased to %q", store.ErrQueueLease, f.Owner))
			}
			return e.wrap(op, err)
		}
		attempts++
		now := e.now()
		state = store.QueuePending
		delay := backoff
		for i := 1; i < attempts && delay < maxBackoff; i++ {
			delay *= 2
		}
		delay = min(delay, maxBackoff)
		if attempts >= maxAttempts {
			state = store.QueueError
		}
		_, err := t.c.Exec(ctx, `UPDATE queue_items SET state = $2, attempts = $3, next_at = $4, owner = '', lease_until = 0,
 updated_at = $5, last_error = $6 WHERE id = $1`, id, string(state), attempts, now.Add(delay).UnixMicro(), now.UnixMicro(), f.Error)
		if err != nil {
			return e.wrap(op, err)
		}
		return nil
	})
	return state, err
}

// Release implements store.Queue.
func (e *Engine) Release(ctx context.Context, owner string, ids ...int64) error {
	if len(ids) == 0 {
		return nil
	}
	op := "store: queue release"
	return e.inTx(ctx, op, func(t *Tx) error {
		args := []any{owner, e.now().UnixMicro()}
		ph := make([]string, len(ids))
		for i, id := range ids {
			args = append(args, id)
			ph[i] = fmt.Sprintf("$%d", i+3)
		}
		_, err := t.c.Exec(ctx, `UPDATE queue_items SET state = 'pending', owner = '', lease_until = 0, updated_at = $2
WHERE state = 'leased' AND owner = $1 AND id IN (`+strings.Join(ph, ",")+`)`, args...)
		if err != nil {
			return e.wrap(op, err)
		}
		return nil
	})
}

// Get implements store.Queue.
func (e *Engine) Get(ctx context.Context, id int64) (*store.QueueItem, error) {
	op := fmt.Sprintf("store: queue get %d", id)
	rows, err := e.b.Reader().Query(ctx, `SELECT `+queueCols+`, body FROM queue_items WHERE id = $1`, id)
	if err != nil {
		return nil, e.wrap(op, err)
	}
	items, err := e.scanItems(rows, true)
	if err != nil {
		return nil, e.wrap(op, err)
	}
	if len(items) == 0 {
		return nil, e.wrap(op, notFound())
	}
	return &items[0], nil
}

// List implements store.Queue.
func (e *Engine) List(ctx context.Context, q store.QueueListQuery) ([]store.QueueItem, error) {
	op := "store: queue list " + q.Queue
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, store.MaxCount)
	sql := `SELECT ` + queueCols + ` FROM queue_items WHERE queue = $1 AND id > $2`
	args := []any{q.Queue, q.AfterID}
	if q.State != "" {
		args = append(args, string(q.State))
		sql += fmt.Sprintf(" AND state = $%d", len(args))
	}
	if q.Partition != "" {
		args = append(args, q.Partition)
		sql += fmt.Sprintf(" AND partition_key = $%d", len(args))
	}
	args = append(args, limit)
	sql += fmt.Sprintf(" ORDER BY id LIMIT $%d", len(args))
	rows, err := e.b.Reader().Query(ctx, sql, args...)
	if err != nil {
		return nil, e.wrap(op, err)
	}
	items, err := e.scanItems(rows, false)
	if err != nil {
		return nil, e.wrap(op, err)
	}
	return items, nil
}

// Replay implements store.Queue.
func (e *Engine) Replay(ctx context.Context, queue string, ids ...int64) (n int64, err error) {
	op := "store: queue replay " + queue
	err = e.inTx(ctx, op, func(t *Tx) error {
		now := e.now().UnixMicro()
		sql := `UPDATE queue_items SET state = 'pending', attempts = 0, next_at = $2, owner = '', lease_until = 0, updated_at = $2
WHERE queue = $1`
		args := []any{queue, now}
		if len(ids) == 0 {
			sql += ` AND state = 'error'`
		} else {
			ph := make([]string, len(ids))
			for i, id := range ids {
				args = append(args, id)
				ph[i] = fmt.Sprintf("$%d", i+3)
			}
			sql += ` AND state IN ('error', 'done') AND id IN (` + strings.Join(ph, ",") + `)`
		}
		n, err = t.c.Exec(ctx, sql, args...)
		if err != nil {
			return e.wrap(op, err)
		}
		return nil
	})
	return n, err
}

// Counts implements store.Queue.
func (e *Engine) Counts(ctx context.Context, queue string) ([]store.QueueCount, error) {
	op := "store: queue counts " + queue
	q := e.b.Reader()
	rows, err := q.Query(ctx, `SELECT partition_key, institution, msg_type, state, COUNT(*) FROM queue_items WHERE queue = $1
GROUP BY partition_key, institution, msg_type, state ORDER BY partition_key, msg_type, state`, queue)
	if err != nil {
		return nil, e.wrap(op, err)
	}
	var out []store.QueueCount
	for rows.Next() {
		var c store.QueueCount
		var st string
		if err := rows.Scan(&c.Partition, &c.Institution, &c.Type, &st, &c.N); err != nil {
			rows.Close()
			return nil, e.wrap(op, err)
		}
		c.State = store.QueueState(st)
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, e.wrap(op, err)
	}
	// The newest error of each partition and type (items that failed at
	// least once, whatever their state now).
	rows, err = q.Query(ctx, `SELECT i.partition_key, i.msg_type, i.last_error, i.updated_at FROM queue_items i JOIN
 (SELECT MAX(id) AS id FROM queue_items WHERE queue = $1 AND last_error <> '' GROUP BY partition_key, msg_type) m ON i.id = m.id`, queue)
	if err != nil {
		return nil, e.wrap(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var p, typ, msg string
		var at int64
		if err := rows.Scan(&p, &typ, &msg, &at); err != nil {
			return nil, e.wrap(op, err)
		}
		for i := range out {
			if out[i].Partition == p && out[i].Type == typ {
				out[i].LastError, out[i].LastErrorAt = msg, e.fromMicros(at)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, e.wrap(op, err)
	}
	return out, nil
}

// SetCursor implements store.QueueTx.
func (t *Tx) SetCursor(ctx context.Context, name string, value int64) error {
	op := "store: set cursor " + name
	if err := t.closed(op); err != nil {
		return err
	}
	if _, err := t.c.Exec(ctx, `INSERT INTO queue_cursors (name, institution, value) VALUES ($1, '*', $2)
ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value); err != nil {
		return t.e.wrap(op, err)
	}
	return nil
}

// Cursor implements store.QueueTx: 0 when never set.
func (t *Tx) Cursor(ctx context.Context, name string) (int64, error) {
	op := "store: cursor " + name
	if err := t.closed(op); err != nil {
		return 0, err
	}
	var v int64
	if err := t.c.QueryRow(ctx, `SELECT value FROM queue_cursors WHERE name = $1`, name).Scan(&v); err != nil {
		if t.e.d.IsNoRows(err) {
			return 0, nil
		}
		return 0, t.e.wrap(op, err)
	}
	return v, nil
}
