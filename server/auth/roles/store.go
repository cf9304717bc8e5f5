package roles

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"yigong/fhir/store"
	"yigong/server/auth/internal/records"
	"yigong/server/auth/scope"
)

// Store keeps roles in the authorization records (kind "role", keyed by
// role id, partitioned by the creator's institution) and checks every
// change against the delegator's permissions.
type Store struct {
	t         records.Table[Role]
	hierarchy func(ctx context.Context) (Hierarchy, error)
}

// NewStore returns a store over rs; hierarchy returns the current
// institution hierarchy (institution.Directory.Tree) that Scope.Descendants
// is read against.
func NewStore(rs store.AuthRecords, hierarchy func(ctx context.Context) (Hierarchy, error)) *Store {
	return &Store{t: records.Table[Role]{R: rs, Kind: "role"}, hierarchy: hierarchy}
}

// Hierarchy returns the current institution hierarchy.
func (s *Store) Hierarchy(ctx context.Context) (Hierarchy, error) {
	h, err := s.hierarchy(ctx)
	if err != nil {
		return nil, fmt.Errorf("roles: hierarchy: %w", err)
	}
	return h, nil
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ErrInvalid is wrapped when a role is malformed.
var ErrInvalid = errors.New("roles: invalid role")

// Create stores r, a new role, after Delegate has accepted it against held
// (the creator's effective permissions; an empty held grants nothing). r.CreatedBy and r.Institution
// name the creator; an existing id is a conflict (store.ErrConflict).
func (s *Store) Create(ctx context.Context, held []Permission, r Role) (*Role, error) {
	if held == nil {
		held = []Permission{}
	}
	return s.create(ctx, held, r)
}

func (s *Store) create(ctx context.Context, held []Permission, r Role) (*Role, error) {
	if !idPattern.MatchString(r.ID) {
		return nil, fmt.Errorf("%w: id %q: want 1-64 of A-Z a-z 0-9 . _ -", ErrInvalid, r.ID)
	}
	if len(r.Permissions) == 0 {
		return nil, fmt.Errorf("%w: role %q has no permissions", ErrInvalid, r.ID)
	}
	for i, p := range r.Permissions {
		if len(p.Types) == 0 || p.Perm == 0 || p.Perm&^scope.All != 0 || p.Scope.Institution == "" {
			return nil, fmt.Errorf("%w: role %q permission %d needs types, perm (c r u d s) and scope.institution", ErrInvalid, r.ID, i)
		}
	}
	if held != nil {
		h, err := s.Hierarchy(ctx)
		if err != nil {
			return nil, err
		}
		if err := Delegate(h, held, r); err != nil {
			return nil, err
		}
	}
	if _, err := s.t.Put(ctx, r.ID, r.Institution, &r, time.Time{}, 0); err != nil {
		return nil, fmt.Errorf("roles: create %q: %w", r.ID, err)
	}
	return &r, nil
}

// Define stores a new role without a delegation check: for the hub itself
// (bootstrap, configuration, tests), never for a request.
func (s *Store) Define(ctx context.Context, r Role) (*Role, error) { return s.create(ctx, nil, r) }

// Get returns a role; errors wrap store.ErrNotFound when absent.
func (s *Store) Get(ctx context.Context, id string) (*Role, error) {
	r, _, err := s.t.Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("roles: role %q: %w", id, err)
	}
	return r, nil
}

// List returns every role in id order.
func (s *Store) List(ctx context.Context) ([]Role, error) {
	rs, err := s.t.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("roles: list: %w", err)
	}
	return rs, nil
}

// Delete removes a role that held could have created (Delegate); users
// that had it keep its id, which then grants nothing.
func (s *Store) Delete(ctx context.Context, held []Permission, id string) error {
	r, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	h, err := s.Hierarchy(ctx)
	if err != nil {
		return err
	}
	if err := Delegate(h, held, *r); err != nil {
		return err
	}
	if err := s.t.Delete(ctx, id); err != nil {
		return fmt.Errorf("roles: delete %q: %w", id, err)
	}
	return nil
}

// Roles returns the roles of ids that exist (a deleted role grants
// nothing), in the order given.
func (s *Store) Roles(ctx context.Context, ids []string) ([]Role, error) {
	out := make([]Role, 0, len(ids))
	for _, id := range slices.Compact(slices.Sorted(slices.Values(ids))) {
		r, _, err := s.t.Get(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("roles: role %q: %w", id, err)
		}
		out = append(out, *r)
	}
	return out, nil
}

// Permissions returns the effective permissions of the roles ids (the
// authorization server's RoleResolver).
func (s *Store) Permissions(ctx context.Context, ids []string) ([]Permission, error) {
	rs, err := s.Roles(ctx, ids)
	if err != nil {
		return nil, err
	}
	return Effective(rs), nil
}
