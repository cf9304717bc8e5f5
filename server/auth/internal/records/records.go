// Package records keeps typed JSON values in a store.AuthRecords table, with
// compare-and-swap updates.
package records

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"yigong/fhir/store"
)

// Table is one kind of record holding values of type T.
type Table[T any] struct {
	R    store.AuthRecords
	Kind string
}

// Get returns the value under key and its version; errors wrap
// store.ErrNotFound when absent.
func (t Table[T]) Get(ctx context.Context, key string) (*T, int64, error) {
	rec, err := t.R.GetAuthRecord(ctx, t.Kind, key)
	if err != nil {
		return nil, 0, err
	}
	v := new(T)
	if err := json.Unmarshal(rec.Value, v); err != nil {
		return nil, 0, fmt.Errorf("auth: %s %q: %w", t.Kind, key, err)
	}
	return v, rec.Version, nil
}

// Put writes v if the stored version is ifVersion (0: new).
func (t Table[T]) Put(ctx context.Context, key, institution string, v *T, expires time.Time, ifVersion int64) (int64, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return 0, err
	}
	return t.R.PutAuthRecord(ctx, store.AuthRecord{Kind: t.Kind, Key: key, Institution: institution, Value: data, Expires: expires}, ifVersion)
}

// Update reads the value under key, applies fn and writes the result,
// retrying on a concurrent change. fn may return an error to abort; its
// result (possibly modified) is written only when fn returns nil.
func (t Table[T]) Update(ctx context.Context, key string, fn func(v *T) (institution string, expires time.Time, err error)) (*T, error) {
	for range 20 {
		v, ver, err := t.Get(ctx, key)
		if err != nil {
			return nil, err
		}
		inst, exp, err := fn(v)
		if err != nil {
			return v, err
		}
		if _, err := t.Put(ctx, key, inst, v, exp, ver); err != nil {
			if errors.Is(err, store.ErrConflict) {
				continue
			}
			return nil, err
		}
		return v, nil
	}
	return nil, fmt.Errorf("auth: %s %q: too many concurrent updates", t.Kind, key)
}

// Delete removes key.
func (t Table[T]) Delete(ctx context.Context, key string) error {
	return t.R.DeleteAuthRecord(ctx, t.Kind, key, 0)
}

// List returns every live value, in key order.
func (t Table[T]) List(ctx context.Context) ([]T, error) {
	var out []T
	after := ""
	for {
		recs, err := t.R.ListAuthRecords(ctx, t.Kind, after, 500)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			var v T
			if err := json.Unmarshal(r.Value, &v); err != nil {
				return nil, fmt.Errorf("auth: %s %q: %w", t.Kind, r.Key, err)
			}
			out = append(out, v)
		}
		if len(recs) < 500 {
			return out, nil
		}
		after = recs[len(recs)-1].Key
	}
}
