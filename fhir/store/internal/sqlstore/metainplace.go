package sqlstore

import (
	"context"

	"yigong/fhir"
	"yigong/fhir/store"
)

var _ store.MetaRewriter = (*Engine)(nil)

const updateVersionBodySQL = `UPDATE resource_versions SET body = $5
WHERE institution = $1 AND type = $2 AND id = $3 AND version = $4`

// RewriteMeta implements store.MetaRewriter: in one write transaction it
// locks the resources row (on PostgreSQL; SQLite has one writer), checks
// the version, replaces the version's body (stamped with the same
// versionId and lastUpdated) and rewrites its index rows and idx_mask.
// Nothing goes to the change outbox.
func (e *Engine) RewriteMeta(ctx context.Context, ref store.Ref, version int64, body []byte) (r *store.Resource, err error) {
	op := opName("meta rewrite", ref)
	if v := visibilityOf(ctx); v != nil && !v.SeesInstitution(ref.Institution) {
		// Like every write: only into an institution the caller sees whole.
		return nil, e.wrap(op, kerr(fhir.KindNotFound, store.ErrNotFound, "%s/%s", ref.Type, ref.ID))
	}
	err = e.inTx(ctx, op, func(t *Tx) error {
		c, err := t.lockCurrent(ctx, ref)
		switch {
		case err != nil:
			return t.e.wrap(op, err)
		case c == nil:
			return t.e.wrap(op, kerr(fhir.KindNotFound, store.ErrNotFound, "%s/%s", ref.Type, ref.ID))
		case c.deleted:
			return t.e.wrap(op, kerr(fhir.KindGone, store.ErrGone, "%s/%s is deleted", ref.Type, ref.ID))
		case c.version != version:
			return t.e.wrap(op, kerr(fhir.KindPrecondition, store.ErrPrecondition,
				"%s/%s is at version %d, not %d", ref.Type, ref.ID, c.version, version))
		}
		lu := t.e.fromMicros(c.lu)
		stamped, _, err := stamp(body, ref.Type, ref.ID, ref.Institution, c.version, lu)
		if err != nil {
			return t.e.wrap(op, kerr(fhir.KindInvalid, nil, "%v", err))
		}
		r = &store.Resource{Institution: ref.Institution, Type: ref.Type, ID: ref.ID, Version: c.version, LastUpdated: lu, JSON: stamped}
		entries, mask, err := t.e.indexEntries(ctx, r, nil)
		if err != nil {
			return t.e.wrap(op, err)
		}
		n, err := t.c.Exec(ctx, updateVersionBodySQL, ref.Institution, ref.Type, ref.ID, c.version, stamped)
		if err != nil {
			return t.e.wrap(op, err)
		}
		if n != 1 {
			return t.e.wrap(op, kerr(fhir.KindConflict, store.ErrConflict, "%s/%s version %d: %d rows", ref.Type, ref.ID, c.version, n))
		}
		if err := t.writeIndex(ctx, r, c.mask, entries); err != nil {
			return t.e.wrap(op, err)
		}
		if mask != c.mask {
			if _, err := t.c.Exec(ctx, updateMaskSQL, ref.Institution, ref.Type, ref.ID, mask); err != nil {
				return t.e.wrap(op, err)
			}
		}
		return nil
	})
	return r, err
}
