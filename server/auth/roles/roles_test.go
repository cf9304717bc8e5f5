package roles

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"yigong/server/auth/institution"
	"yigong/server/auth/scope"
)

func tree(t testing.TB) *institution.Tree {
	tr, err := institution.NewTree([]institution.Node{
		{ID: "hc", Kind: institution.HealthCommission},
		{ID: "county", Parent: "hc", Kind: institution.CountyHospital},
		{ID: "mch", Parent: "county"}, {ID: "th-01", Parent: "county"}, {ID: "th-02", Parent: "county"},
		{ID: "th-01-a", Parent: "th-01"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestDelegateTable(t *testing.T) {
	t.Parallel()
	h := tree(t)
	admin := []Permission{
		{Types: []string{"Patient", "Observation"}, Perm: scope.Read | scope.Search, Scope: Scope{"county", true}, Admin: true},
		{Types: []string{"Observation"}, Perm: scope.Create, Scope: Scope{"th-01", false}},
	}
	tests := []struct {
		name string
		p    Permission
		ok   bool
	}{
		{"same", admin[0], true},
		{"narrower type", Permission{Types: []string{"Patient"}, Perm: scope.Read, Scope: Scope{"county", true}}, true},
		{"narrower scope", Permission{Types: []string{"Patient"}, Perm: scope.Read, Scope: Scope{"th-01", true}, Admin: true}, true},
		{"other type", Permission{Types: []string{"Condition"}, Perm: scope.Read, Scope: Scope{"county", false}}, false},
		{"wildcard type", Permission{Types: []string{"*"}, Perm: scope.Read, Scope: Scope{"county", false}}, false},
		{"more letters", Permission{Types: []string{"Patient"}, Perm: scope.Read | scope.Update, Scope: Scope{"county", false}}, false},
		{"wider scope", Permission{Types: []string{"Patient"}, Perm: scope.Read, Scope: Scope{"hc", false}}, false},
		{"create in th-01 only", Permission{Types: []string{"Observation"}, Perm: scope.Create, Scope: Scope{"th-01", false}}, true},
		{"create below th-01", Permission{Types: []string{"Observation"}, Perm: scope.Create, Scope: Scope{"th-01", true}}, false},
		{"create in th-02", Permission{Types: []string{"Observation"}, Perm: scope.Create, Scope: Scope{"th-02", false}}, false},
		// Letters from two permissions combine per atom only where one scope covers.
		{"read+create in th-01", Permission{Types: []string{"Observation"}, Perm: scope.Read | scope.Create, Scope: Scope{"th-01", false}}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Delegate(h, admin, Role{ID: "r", Permissions: []Permission{tc.p}})
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok %v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrEscalation) {
				t.Fatalf("err %v does not wrap ErrEscalation", err)
			}
		})
	}
	// Without admin power nothing can be delegated.
	plain := []Permission{{Types: []string{"*"}, Perm: scope.All, Scope: Scope{"hc", true}}}
	if err := Delegate(h, plain, Role{Permissions: []Permission{{Types: []string{"Patient"}, Perm: scope.Read, Scope: Scope{"th-01", false}}}}); err == nil {
		t.Fatal("delegation without admin power")
	}
	if err := Assign(h, admin, Role{Permissions: admin[:1]}, "hc"); err == nil {
		t.Fatal("assignment to a user outside the administered scope")
	}
}

// TestNoEscalation builds random delegation chains: each link creates a
// role from random permissions (mutations of what it holds, plus random
// wider ones) and assigns it to the next link. Whatever is accepted must be
// covered by the permissions of the chain's root.
func TestNoEscalation(t *testing.T) {
	t.Parallel()
	h := tree(t)
	insts := []string{"hc", "county", "mch", "th-01", "th-02", "th-01-a"}
	types := []string{"*", "Patient", "Observation", "Encounter", "AuditEvent"}
	rng := rand.New(rand.NewPCG(1, 2))
	randPerm := func() Permission {
		n := 1 + rng.IntN(2)
		var ts []string
		for range n {
			ts = append(ts, types[rng.IntN(len(types))])
		}
		return Permission{Types: ts, Perm: scope.Perm(1 + rng.IntN(int(scope.All))), Admin: rng.IntN(3) == 0,
			Scope: Scope{insts[rng.IntN(len(insts))], rng.IntN(2) == 0}}
	}
	accepted := 0
	for trial := range 2000 {
		root := []Permission{randPerm(), randPerm()}
		root[0].Admin = true
		held := root
		for link := range 6 {
			var ps []Permission
			for range 1 + rng.IntN(3) {
				var p Permission
				if len(held) > 0 && rng.IntN(2) == 0 {
					p = held[rng.IntN(len(held))] // mutate something held
					p.Types = append([]string(nil), p.Types...)
					switch rng.IntN(4) {
					case 0:
						p.Perm |= scope.Perm(1 << rng.IntN(5))
					case 1:
						p.Scope.Descendants = true
					case 2:
						p.Types = append(p.Types, types[rng.IntN(len(types))])
					case 3:
						p.Scope.Institution = insts[rng.IntN(len(insts))]
					}
				} else {
					p = randPerm()
				}
				ps = append(ps, p)
			}
			r := Role{ID: fmt.Sprintf("t%d-l%d", trial, link), Permissions: ps}
			if Assign(h, held, r, insts[rng.IntN(len(insts))]) != nil {
				continue // refused: the chain goes on with what it has
			}
			accepted++
			for _, p := range r.Permissions {
				if !Covers(h, root, p) {
					t.Fatalf("trial %d link %d: %+v escalates beyond root %+v", trial, link, p, root)
				}
			}
			held = r.Permissions // the next link holds only the new role
		}
	}
	if accepted < 100 {
		t.Fatalf("only %d delegations accepted: the generator is too strict to prove anything", accepted)
	}
	t.Logf("%d delegations accepted, none escalated", accepted)
}

func TestAllows(t *testing.T) {
	t.Parallel()
	h := tree(t)
	held := []Permission{{Types: []string{"Observation"}, Perm: scope.Read, Scope: Scope{"county", true}}}
	if !Allows(h, held, "Observation", scope.Read, "th-01-a") || Allows(h, held, "Observation", scope.Read, "hc") ||
		Allows(h, held, "Patient", scope.Read, "th-01") || Allows(h, held, "Observation", scope.Delete, "county") {
		t.Fatal("Allows")
	}
}
