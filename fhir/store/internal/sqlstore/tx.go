package sqlstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"yigong/fhir"
	"yigong/fhir/fhirjson"
	"yigong/fhir/store"
)

// Tx implements store.Tx.
type Tx struct {
	e       *Engine
	c       TxConn
	changes []store.Change
	done    bool
	idx     indexQueue // index rows computed but not yet written
}

var (
	_ store.Tx           = (*Tx)(nil)
	_ store.FreshCreator = (*Tx)(nil)
)

func (t *Tx) closed(op string) error {
	if t.done {
		return t.e.wrap(op, kerr(fhir.KindInternal, store.ErrClosed, ""))
	}
	return nil
}

// Commit writes the outbox entries of the transaction and commits it.
//
// The outbox sequence is taken from the single change_counter row, whose row
// lock (UPDATE ... RETURNING) is held until the commit completes: a second
// transaction reaching this point waits until the first has committed and
// then continues the sequence. Sequence order is therefore commit order, and
// because the counter is transactional a rolled-back transaction leaves no
// gap.
func (t *Tx) Commit(ctx context.Context) error {
	const op = "store: commit"
	if err := t.closed(op); err != nil {
		return err
	}
	if err := t.flushIndex(ctx); err != nil {
		t.Rollback(ctx)
		return err
	}
	t.done = true
	t.idx.stop()
	if n := int64(len(t.changes)); n > 0 {
		var last int64
		if err := t.c.QueryRow(ctx, counterSQL, n).Scan(&last); err != nil {
			t.c.Rollback(ctx)
			return t.e.wrap(op, err)
		}
		committed := t.e.now().UnixMicro()
		seq := last - n
		rest := t.changes
		if err := t.copyChanges(ctx, seq, committed); err != errNoCopy {
			if err != nil {
				t.c.Rollback(ctx)
				return t.e.wrap(op, err)
			}
			rest = nil // copied
		}
		var batch []Stmt
		for len(rest) > 0 {
			k := chunkSize(len(rest))
			args := make([]any, 0, 7*k)
			for _, c := range rest[:k] {
				seq++
				args = append(args, seq, c.Institution, c.Type, c.ID, c.Version, string(c.Op), committed)
			}
			batch = append(batch, Stmt{changesInsertSQLs[sizeIndex(k)], args})
			rest = rest[k:]
		}
		if _, err := execBatch(ctx, t.c, batch); err != nil {
			t.c.Rollback(ctx)
			return t.e.wrap(op, err)
		}
	}
	if err := t.c.Commit(ctx); err != nil {
		return t.e.wrap(op, err)
	}
	t.e.noteWrites(len(t.changes))
	return nil
}

const counterSQL = `UPDATE change_counter SET last = last + $1 WHERE one = 1 RETURNING last`

// changesInsertSQLs are the outbox INSERTs of 1, 2, 4, ... maxChunk rows.
var changesInsertSQLs = func() (out []string) {
	for k := 1; k <= maxChunk; k <<= 1 {
		out = append(out, rowsSQL("changes", changesCols, k))
	}
	return out
}()

// Rollback abandons the transaction; after Commit or Rollback it is a no-op.
func (t *Tx) Rollback(ctx context.Context) error {
	if t.done {
		return nil
	}
	t.done = true
	t.idx.stop()
	if err := t.c.Rollback(ctx); err != nil {
		return t.e.wrap("store: rollback", err)
	}
	return nil
}

// Read implements store.Reader inside the transaction.
func (t *Tx) Read(ctx context.Context, ref store.Ref) (*store.Resource, error) {
	if err := t.closed(opName("read", ref)); err != nil {
		return nil, err
	}
	return t.e.read(ctx, t.c, ref)
}

// VRead implements store.Reader inside the transaction.
func (t *Tx) VRead(ctx context.Context, ref store.Ref, version int64) (*store.Resource, error) {
	if err := t.closed(opName("vread", ref)); err != nil {
		return nil, err
	}
	return t.e.vread(ctx, t.c, ref, version)
}

// checkInput checks a write's input; a restricted caller (store.Visibility)
// writes only into institutions it sees whole.
func (t *Tx) checkInput(ctx context.Context, op string, in store.Input, needID bool) error {
	if err := t.closed(op); err != nil {
		return err
	}
	switch {
	case in.Institution == "":
		return t.e.wrap(op, kerr(fhir.KindInvalid, nil, "no institution"))
	case in.Type == "":
		return t.e.wrap(op, kerr(fhir.KindInvalid, nil, "no resource type"))
	case needID && !validID(in.ID):
		return t.e.wrap(op, kerr(fhir.KindInvalid, nil, "invalid id %q", in.ID))
	case len(in.JSON) == 0:
		return t.e.wrap(op, kerr(fhir.KindInvalid, nil, "no content"))
	}
	if v := visibilityOf(ctx); v != nil && !v.SeesInstitution(in.Institution) {
		return t.e.wrap(op, kerr(fhir.KindForbidden, nil, "cannot write into institution %q", in.Institution))
	}
	return nil
}

// Create implements store.Writer.
func (t *Tx) Create(ctx context.Context, in store.Input) (*store.Resource, error) {
	op := opName("create", store.Ref{Type: in.Type})
	if err := t.checkInput(ctx, op, in, false); err != nil {
		return nil, err
	}
	now := t.e.now()
	in.ID = newID(now)
	return t.insertNew(ctx, op, in, now)
}

// CreateFresh implements store.FreshCreator.
func (t *Tx) CreateFresh(ctx context.Context, in store.Input) (*store.Resource, error) {
	op := opName("create", store.Ref{Type: in.Type, ID: in.ID})
	if err := t.checkInput(ctx, op, in, true); err != nil {
		return nil, err
	}
	return t.insertNew(ctx, op, in, t.e.now())
}

func (t *Tx) insertNew(ctx context.Context, op string, in store.Input, now time.Time) (*store.Resource, error) {
	r, node, err := t.newVersion(op, in, 1, now, false)
	if err != nil {
		return nil, err
	}
	if err := t.writeVersion(ctx, op, r, store.OpCreate, nil, node); err != nil {
		return nil, err
	}
	return r, nil
}

// newVersion builds the stored form of a version and, when the caller
// handed its decoded tree (store.Input.Node) and the indexer takes trees,
// the tree to index: in.Node with the id and meta that stamp wrote,
// decoded alone from the head of the stored JSON (it shares the rest of
// in.Node). A nil tree means the indexer decodes r.JSON.
func (t *Tx) newVersion(op string, in store.Input, version int64, lu time.Time, deleted bool) (*store.Resource, *fhir.Node, error) {
	r := &store.Resource{Institution: in.Institution, Type: in.Type, ID: in.ID, Version: version,
		LastUpdated: lu.In(t.e.loc), Deleted: deleted}
	if deleted {
		return r, nil, nil
	}
	body, head, err := stamp(in.JSON, in.Type, in.ID, in.Institution, version, r.LastUpdated)
	if err != nil {
		return nil, nil, t.e.wrap(op, &fhir.Error{Kind: fhir.KindInvalid, Msg: "invalid resource", Err: err})
	}
	r.JSON = body
	if in.Node == nil || in.Node.Type != r.Type {
		return r, nil, nil
	}
	if _, ok := t.e.cfg.Indexer.(nodeIndexer); !ok {
		return r, nil, nil
	}
	h, err := fhirjson.UnmarshalOptions{Lenient: true}.Unmarshal(append(body[:head:head], '}'))
	if err != nil || h.Type != r.Type {
		return r, nil, nil
	}
	n := *in.Node
	n.Children = make([]*fhir.Node, 0, len(in.Node.Children)+len(h.Children))
	n.Children = append(n.Children, h.Children...) // id, meta
	for _, c := range in.Node.Children {
		if c.Name != "id" && c.Name != "meta" {
			n.Children = append(n.Children, c)
		}
	}
	return r, &n, nil
}

// writeVersion writes r: the resources row (inserted when prev is nil, a
// conflict if it exists; else updated), the resource_versions row, the index
// rows, and the change for the outbox. node, when not nil, is r.JSON
// decoded (newVersion), which the indexer takes instead of decoding r.JSON.
func (t *Tx) writeVersion(ctx context.Context, op string, r *store.Resource, what store.Op, prev *current, node *fhir.Node) error {
	// The index rows of a version are computed by the transaction's index
	// worker while this goroutine goes on writing, and written at the next
	// flush (pending.go): SQLite's single writer no longer waits for
	// FHIRPath. The resources row gets its idx_mask then.
	async := t.e.cfg.Indexer != nil && !r.Deleted
	lu := r.LastUpdated.UnixMicro()
	if prev == nil {
		// Alone, before the rest: a conflict must leave nothing behind (on
		// PostgreSQL a failed statement would abort the transaction, and
		// Update retries a concurrent create as an update).
		n, err := t.c.Exec(ctx, insertResourceSQL, r.Institution, r.Type, r.ID, r.Version, lu, r.Deleted, 0)
		if err != nil {
			return t.e.wrap(op, err)
		}
		if n == 0 {
			return t.e.wrap(op, kerr(fhir.KindConflict, store.ErrConflict, "%s/%s exists", r.Type, r.ID))
		}
	}
	var body any
	if !r.Deleted {
		body = r.JSON
	}
	var prevMask int64
	if prev != nil {
		prevMask = prev.mask
	}
	batch := make([]Stmt, 0, 8)
	if prev != nil {
		batch = append(batch, Stmt{updateResourceSQL, []any{r.Institution, r.Type, r.ID, r.Version, lu, r.Deleted, 0}})
	}
	batch = append(batch, Stmt{t.e.insertVersionSQL, []any{r.Institution, r.Type, r.ID, r.Version, lu, r.Deleted, body}})
	batch = t.indexStmts(batch, r, prevMask, nil) // the old rows go now
	if _, err := execBatch(ctx, t.c, batch); err != nil {
		return t.e.wrap(op, err)
	}
	if async {
		t.enqueueIndex(ctx, r, node)
	}
	t.changes = append(t.changes, store.Change{Institution: r.Institution, Type: r.Type, ID: r.ID,
		Version: r.Version, Op: what})
	return nil
}

const (
	insertResourceSQL = `INSERT INTO resources (institution, type, id, version, last_updated, deleted, idx_mask)
VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`
	updateResourceSQL = `UPDATE resources SET version = $4, last_updated = $5, deleted = $6, idx_mask = $7
WHERE institution = $1 AND type = $2 AND id = $3`
	updateMaskSQL = `UPDATE resources SET idx_mask = $4 WHERE institution = $1 AND type = $2 AND id = $3`
)

// insertVersionSQLFor is the resource_versions INSERT of dialect d (kept
// in Engine.insertVersionSQL).
func insertVersionSQLFor(d Dialect) string {
	return `INSERT INTO resource_versions (institution, type, id, version, last_updated, deleted, vseq, body)
VALUES ($1, $2, $3, $4, $5, $6, ` + d.NextVSeq + `, $7)`
}

// current is the resources row of a resource.
type current struct {
	version int64
	lu      int64
	deleted bool
	mask    int64
}

// lockCurrent reads (and on PostgreSQL locks) the resources row.
func (t *Tx) lockCurrent(ctx context.Context, ref store.Ref) (*current, error) {
	if err := t.flushIndexOf(ctx, ref); err != nil {
		return nil, err
	}
	var c current
	err := t.c.QueryRow(ctx, `SELECT version, last_updated, deleted, idx_mask FROM resources
WHERE institution = $1 AND type = $2 AND id = $3`+t.e.d.ForUpdate, ref.Institution, ref.Type, ref.ID).
		Scan(&c.version, &c.lu, &c.deleted, &c.mask)
	if err != nil {
		if t.e.d.IsNoRows(err) {
			return nil, nil
		}
		return nil, err
	}
	return &c, nil
}

const selectCurrentSQL = `SELECT institution, version, last_updated, deleted, idx_mask FROM resources
WHERE type = $1 AND id = $2`

// currentAndOwner reads (and on PostgreSQL locks) the resources rows of
// ref.Type/ref.ID in one statement: the one of ref.Institution, if any, and
// else the institution that owns the id ("" for none).
func (t *Tx) currentAndOwner(ctx context.Context, ref store.Ref) (*current, string, error) {
	if err := t.flushIndexOf(ctx, ref); err != nil {
		return nil, "", err
	}
	rows, err := t.c.Query(ctx, selectCurrentSQL+t.e.d.ForUpdate, ref.Type, ref.ID)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var cur *current
	var others []string
	for rows.Next() {
		var inst string
		var c current
		if err := rows.Scan(&inst, &c.version, &c.lu, &c.deleted, &c.mask); err != nil {
			return nil, "", err
		}
		if inst == ref.Institution {
			cur = &c
		} else {
			others = append(others, inst)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	switch {
	case cur != nil || len(others) == 0:
		return cur, "", nil
	case len(others) > 1:
		return nil, "", kerr(fhir.KindConflict, store.ErrConflict, "id exists in institutions %q and %q", others[0], others[1])
	}
	return nil, others[0], nil
}

// owner finds the institution that owns type/id when the caller did not say
// (among those v sees whole, when v is not nil).
func (t *Tx) owner(ctx context.Context, ref store.Ref, except string, v *store.Visibility) (string, error) {
	rows, err := t.c.Query(ctx, `SELECT institution FROM resources WHERE type = $1 AND id = $2 AND institution <> $3 LIMIT 8`,
		ref.Type, ref.ID, except)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var found []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return "", err
		}
		if v == nil || v.SeesInstitution(s) {
			found = append(found, s)
		}
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	switch len(found) {
	case 0:
		return "", nil
	case 1:
		return found[0], nil
	}
	return "", kerr(fhir.KindConflict, store.ErrConflict, "id exists in institutions %q and %q", found[0], found[1])
}

// nextTime returns the lastUpdated of a new version: now, but always after
// the previous version's.
func (t *Tx) nextTime(prevMicros int64) time.Time {
	now := t.e.now()
	if now.UnixMicro() <= prevMicros {
		now = time.UnixMicro(prevMicros + 1)
	}
	return now
}

// Update implements store.Writer.
func (t *Tx) Update(ctx context.Context, in store.Input) (*store.Resource, bool, error) {
	op := opName("update", store.Ref{Type: in.Type, ID: in.ID})
	if err := t.checkInput(ctx, op, in, true); err != nil {
		return nil, false, err
	}
	ref := store.Ref{Institution: in.Institution, Type: in.Type, ID: in.ID}
	if r, err := t.unchanged(ctx, in); err != nil || r != nil {
		if err != nil {
			return nil, false, t.e.wrap(op, err)
		}
		return r, false, nil
	}
	for attempt := 0; ; attempt++ {
		cur, other, err := t.currentAndOwner(ctx, ref)
		if err != nil {
			return nil, false, t.e.wrap(op, err)
		}
		if cur == nil {
			if in.IfMatch > 0 {
				return nil, false, t.e.wrap(op, kerr(fhir.KindPrecondition, store.ErrPrecondition,
					"If-Match %d but the resource does not exist", in.IfMatch))
			}
			if other != "" {
				if v := visibilityOf(ctx); v != nil {
					if !v.SeesInstitution(other) { // name nothing the caller may not see
						return nil, false, t.e.wrap(op, kerr(fhir.KindConflict, store.ErrConflict, "the id is in use"))
					}
					// The caller sees the owner whole: update it there.
					in.Institution, ref.Institution = other, other
					continue
				}
				return nil, false, t.e.wrap(op, kerr(fhir.KindConflict, store.ErrConflict,
					"the id belongs to institution %q", other))
			}
			r, err := t.insertNew(ctx, op, in, t.e.now())
			if fhir.KindOf(err) == fhir.KindConflict && attempt == 0 {
				continue // created concurrently: now update it
			}
			return r, err == nil, err
		}
		if in.IfMatch > 0 && in.IfMatch != cur.version {
			return nil, false, t.e.wrap(op, kerr(fhir.KindPrecondition, store.ErrPrecondition,
				"If-Match %d, current version %d", in.IfMatch, cur.version))
		}
		r, node, err := t.newVersion(op, in, cur.version+1, t.nextTime(cur.lu), false)
		if err != nil {
			return nil, false, err
		}
		if err := t.writeVersion(ctx, op, r, store.OpUpdate, cur, node); err != nil {
			return nil, false, err
		}
		return r, cur.deleted, nil
	}
}

// unchanged returns the current version of in's resource when in would
// store exactly its bytes (in stamped with the current versionId and
// lastUpdated equals the stored body), and nil otherwise. Such an update
// writes nothing: no version, no index rows, no change in the outbox (a
// feed that repeats a patient's demographics in every message does not
// grow its history or notify subscribers); the caller gets the current
// version, as the store's answer to a no-op update. The comparison is of
// bytes, so content that differs only in formatting or member order is
// still written as a new version.
//
// It reads without a row lock, before the update proper locks the row (on
// PostgreSQL, FOR UPDATE until the commit): the Organizations, Locations
// and Practitioners that every message of a feed names again are not
// serialised between concurrent transactions when nothing changes. A
// concurrent change committed after the read orders this no-op before it.
func (t *Tx) unchanged(ctx context.Context, in store.Input) (*store.Resource, error) {
	var version, micros int64
	var stored []byte
	err := t.c.QueryRow(ctx, selectCurrentBodySQL, in.Institution, in.Type, in.ID).Scan(&version, &micros, &stored)
	if t.e.d.IsNoRows(err) || err == nil && in.IfMatch > 0 && in.IfMatch != version {
		return nil, nil // the update proper creates it or reports the precondition
	}
	if err != nil {
		return nil, err
	}
	lu := t.e.fromMicros(micros)
	body, _, err := stamp(in.JSON, in.Type, in.ID, in.Institution, version, lu)
	if err != nil || !bytes.Equal(body, stored) {
		return nil, nil // newVersion reports a stamp error
	}
	return &store.Resource{Institution: in.Institution, Type: in.Type, ID: in.ID, Version: version,
		LastUpdated: lu, JSON: stored}, nil
}

// selectCurrentBodySQL reads the current version of a resource that is not
// deleted (an IN subquery on resources, as readSQL).
const selectCurrentBodySQL = `SELECT v.version, v.last_updated, v.body FROM resource_versions v
WHERE (v.institution, v.type, v.id, v.version) IN
 (SELECT r.institution, r.type, r.id, r.version FROM resources r
  WHERE r.institution = $1 AND r.type = $2 AND r.id = $3 AND r.deleted = FALSE)`

// Delete implements store.Writer.
func (t *Tx) Delete(ctx context.Context, ref store.Ref, ifMatch int64) (*store.Resource, error) {
	op := opName("delete", ref)
	if err := t.closed(op); err != nil {
		return nil, err
	}
	v := visibilityOf(ctx)
	if ref.Institution == "" {
		inst, err := t.owner(ctx, ref, "", v)
		if err != nil {
			return nil, t.e.wrap(op, err)
		}
		if inst == "" {
			return nil, t.e.wrap(op, notFound())
		}
		ref.Institution = inst
	}
	if v != nil && !v.SeesInstitution(ref.Institution) {
		return nil, t.e.wrap(op, notFound()) // a restricted caller deletes only what it sees whole
	}
	cur, err := t.lockCurrent(ctx, ref)
	if err != nil {
		return nil, t.e.wrap(op, err)
	}
	if cur == nil {
		return nil, t.e.wrap(op, notFound())
	}
	if ifMatch > 0 && ifMatch != cur.version {
		return nil, t.e.wrap(op, kerr(fhir.KindPrecondition, store.ErrPrecondition,
			"If-Match %d, current version %d", ifMatch, cur.version))
	}
	if cur.deleted {
		return &store.Resource{Institution: ref.Institution, Type: ref.Type, ID: ref.ID, Version: cur.version,
			LastUpdated: t.e.fromMicros(cur.lu), Deleted: true}, nil
	}
	in := store.Input{Institution: ref.Institution, Type: ref.Type, ID: ref.ID}
	r, _, err := t.newVersion(op, in, cur.version+1, t.nextTime(cur.lu), true)
	if err != nil {
		return nil, err
	}
	if err := t.writeVersion(ctx, op, r, store.OpDelete, cur, nil); err != nil {
		return nil, err
	}
	if _, err := t.c.Exec(ctx, `DELETE FROM conditional_keys WHERE institution = $1 AND type = $2 AND id = $3`,
		ref.Institution, ref.Type, ref.ID); err != nil {
		return nil, t.e.wrap(op, err)
	}
	return r, nil
}

// CreateIfNoneExist implements store.Writer.
//
// The criteria key row is the serialisation point: conditional_keys has the
// primary key (institution, type, key_hash), and INSERT ... ON CONFLICT DO
// NOTHING either takes the key (we create) or finds it taken (we return the
// holder). On PostgreSQL a second inserter of the same key waits for the
// first transaction to finish, then sees its committed row; on SQLite the
// single writer serialises the two transactions outright.
func (t *Tx) CreateIfNoneExist(ctx context.Context, in store.Input, criteria string) (*store.Resource, bool, error) {
	op := opName("conditional create", store.Ref{Type: in.Type})
	if err := t.checkInput(ctx, op, in, false); err != nil {
		return nil, false, err
	}
	key, err := store.CriteriaKey(criteria)
	if err != nil {
		return nil, false, t.e.wrap(op, err)
	}
	sum := sha256.Sum256([]byte(in.Type + "?" + key))
	hash := hex.EncodeToString(sum[:])
	for attempt := 0; attempt < 3; attempt++ {
		now := t.e.now()
		in.ID = newID(now)
		n, err := t.c.Exec(ctx, `INSERT INTO conditional_keys (institution, type, key_hash, criteria, id)
VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, in.Institution, in.Type, hash, key, in.ID)
		if err != nil {
			return nil, false, t.e.wrap(op, err)
		}
		if n == 1 {
			r, err := t.insertNew(ctx, op, in, now)
			return r, err == nil, err
		}
		var id string
		err = t.c.QueryRow(ctx, `SELECT id FROM conditional_keys WHERE institution = $1 AND type = $2 AND key_hash = $3`,
			in.Institution, in.Type, hash).Scan(&id)
		if err != nil {
			if t.e.d.IsNoRows(err) {
				continue // the holder was deleted meanwhile: try again
			}
			return nil, false, t.e.wrap(op, err)
		}
		r, err := t.e.read(ctx, t.c, store.Ref{Institution: in.Institution, Type: in.Type, ID: id})
		if err != nil {
			return nil, false, t.e.wrap(op, err)
		}
		return r, false, nil
	}
	return nil, false, t.e.wrap(op, kerr(fhir.KindBusy, store.ErrConflict, "criteria key kept changing"))
}
