package roles_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"yigong/fhir/store"
	"yigong/server/auth/authtest"
	"yigong/server/auth/institution"
	"yigong/server/auth/roles"
	"yigong/server/auth/scope"
)

func TestStore(t *testing.T) {
	t.Parallel()
	for _, open := range []struct {
		name string
		fn   func(testing.TB) authtest.Store
	}{{"sqlite", authtest.SQLite}, {"postgres", authtest.Postgres}} {
		t.Run(open.name, func(t *testing.T) {
			t.Parallel()
			testStore(t, open.fn(t))
		})
	}
}

func testStore(t *testing.T, rs store.AuthRecords) {
	ctx := context.Background()
	tree, err := institution.NewTree([]institution.Node{{ID: "county", Kind: institution.CountyHospital}, {ID: "th-x", Parent: "county"}})
	if err != nil {
		t.Fatal(err)
	}
	s := roles.NewStore(rs, func(context.Context) (roles.Hierarchy, error) { return tree, nil })
	admin := []roles.Permission{{Types: []string{"Observation"}, Perm: scope.Read | scope.Search, Admin: true,
		Scope: roles.Scope{Institution: "county", Descendants: true}}}
	read := roles.Role{ID: "obs-read", Institution: "county", CreatedBy: "a",
		Permissions: []roles.Permission{{Types: []string{"Observation"}, Perm: scope.Read, Scope: roles.Scope{Institution: "th-x"}}}}
	tests := []struct {
		name string
		held []roles.Permission
		r    roles.Role
		want error // nil, roles.ErrEscalation, roles.ErrInvalid, store.ErrConflict
	}{
		{"within", admin, read, nil},
		{"again", admin, read, store.ErrConflict},
		{"escalation", admin, roles.Role{ID: "obs-write", Permissions: []roles.Permission{{Types: []string{"Observation"},
			Perm: scope.Create, Scope: roles.Scope{Institution: "th-x"}}}}, roles.ErrEscalation},
		{"nothing held", nil, roles.Role{ID: "r2", Permissions: read.Permissions}, roles.ErrEscalation},
		{"bad id", admin, roles.Role{ID: "a/b", Permissions: read.Permissions}, roles.ErrInvalid},
		{"no permissions", admin, roles.Role{ID: "r3"}, roles.ErrInvalid},
		{"unknown letters", admin, roles.Role{ID: "r4", Permissions: []roles.Permission{{Types: []string{"Observation"},
			Perm: 64, Scope: roles.Scope{Institution: "th-x"}}}}, roles.ErrInvalid},
	}
	for _, tc := range tests {
		_, err := s.Create(ctx, tc.held, tc.r)
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := s.Define(ctx, roles.Role{ID: "hub", Permissions: []roles.Permission{{Types: []string{"*"}, Perm: scope.All,
		Scope: roles.Scope{Institution: "county", Descendants: true}}}}); err != nil {
		t.Fatalf("define: %v", err)
	}
	got, err := s.Get(ctx, "obs-read")
	if err != nil || got.CreatedBy != "a" || got.Institution != "county" || len(got.Permissions) != 1 {
		t.Fatalf("get: %+v %v", got, err)
	}
	all, err := s.List(ctx)
	if err != nil || len(all) != 2 {
		t.Fatalf("list: %v %v", all, err)
	}
	ps, err := s.Permissions(ctx, []string{"obs-read", "gone", "obs-read"})
	if err != nil || len(ps) != 1 || !slices.Equal(ps[0].Types, []string{"Observation"}) {
		t.Fatalf("permissions: %v %v", ps, err)
	}
	// Deleting needs what creating needed.
	if err := s.Delete(ctx, admin, "hub"); !errors.Is(err, roles.ErrEscalation) {
		t.Fatalf("delete hub with the admin's permissions: %v", err)
	}
	if err := s.Delete(ctx, admin, "obs-read"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := s.Get(ctx, "obs-read"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("get after delete: %v", err)
	}
	if ps, err := s.Permissions(ctx, []string{"obs-read"}); err != nil || len(ps) != 0 {
		t.Fatalf("a deleted role grants %v (%v)", ps, err)
	}
}
