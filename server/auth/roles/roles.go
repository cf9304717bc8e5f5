// Package roles models permissions as resource types × interactions ×
// institution scope, roles as sets of permissions, and delegation: a role
// administrator creates sub-roles and assigns them, but can grant only what
// they themselves hold.
//
// # Why no chain escalates
//
// A permission is covered by a holder when each of its atoms (one resource
// type, one permission letter, one institution scope) is covered by one
// permission the holder has (Covers). Delegate and Assign refuse anything
// not covered by the delegator's effective permissions at that moment.
// Coverage is transitive (an atom covered by a permission that is itself
// covered is covered by the latter's coverer), so whatever a chain of
// delegations produces is covered by the permissions of its first link.
// TestNoEscalation checks this over random trees and chains.
package roles

import (
	"errors"
	"fmt"
	"slices"

	"yigong/server/auth/scope"
)

// Scope is the institution part of a permission: one institution, or it and
// every institution below it.
type Scope struct {
	Institution string `json:"institution"`
	Descendants bool   `json:"descendants,omitempty"`
}

// Hierarchy answers whether an institution is (at or) below another;
// *institution.Tree implements it.
type Hierarchy interface {
	IsWithin(id, ancestor string) bool
}

func (s Scope) covers(h Hierarchy, o Scope) bool {
	if s.Institution == o.Institution {
		return s.Descendants || !o.Descendants
	}
	return s.Descendants && h.IsWithin(o.Institution, s.Institution)
}

// Permission is resource types × interactions × an institution scope.
type Permission struct {
	Types []string   `json:"types"` // resource types; "*" = all
	Perm  scope.Perm `json:"perm"`  // c r u d s
	Scope Scope      `json:"scope"`
	// Admin lets the holder create sub-roles and assign them (within what
	// it holds); it is itself a delegable power.
	Admin bool `json:"admin,omitempty"`
}

// Role is a named set of permissions.
type Role struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	Permissions []Permission `json:"permissions"`
	CreatedBy   string       `json:"createdBy,omitempty"`   // the account that created it
	Institution string       `json:"institution,omitempty"` // the creator's institution
}

func typeCovered(held []string, t string) bool {
	return slices.Contains(held, "*") || slices.Contains(held, t)
}

// Covers reports whether held covers p: every (type, letter) atom of p, and
// its admin flag, are covered by one permission of held whose scope covers
// p's scope.
func Covers(h Hierarchy, held []Permission, p Permission) bool {
	for _, t := range p.Types {
		for bit := scope.Create; bit <= scope.Search; bit <<= 1 {
			if p.Perm&bit == 0 {
				continue
			}
			if !slices.ContainsFunc(held, func(q Permission) bool {
				return q.Perm&bit != 0 && typeCovered(q.Types, t) && q.Scope.covers(h, p.Scope) && (q.Admin || !p.Admin)
			}) {
				return false
			}
		}
	}
	if p.Admin && !slices.ContainsFunc(held, func(q Permission) bool { return q.Admin && q.Scope.covers(h, p.Scope) }) {
		return false
	}
	return true
}

// ErrEscalation is wrapped when a delegation would grant more than the
// delegator holds.
var ErrEscalation = errors.New("roles: cannot grant a permission one does not hold")

// Effective returns the union of the permissions of roles.
func Effective(roles []Role) []Permission {
	var out []Permission
	for _, r := range roles {
		out = append(out, r.Permissions...)
	}
	return out
}

// CanAdminister reports whether held includes the admin power over scope s.
func CanAdminister(h Hierarchy, held []Permission, s Scope) bool {
	return slices.ContainsFunc(held, func(q Permission) bool { return q.Admin && q.Scope.covers(h, s) })
}

// Delegate checks that a delegator holding held may create (or change)
// role r: it administers every scope r touches and covers each permission.
func Delegate(h Hierarchy, held []Permission, r Role) error {
	for i, p := range r.Permissions {
		if len(p.Types) == 0 || p.Perm == 0 || p.Scope.Institution == "" {
			return fmt.Errorf("roles: role %q permission %d is empty", r.ID, i)
		}
		if !CanAdminister(h, held, p.Scope) {
			return fmt.Errorf("%w: no role administration over %s", ErrEscalation, p.Scope.Institution)
		}
		if !Covers(h, held, p) {
			return fmt.Errorf("%w: role %q permission %d (%v %s on %s)", ErrEscalation, r.ID, i, p.Types, p.Perm, p.Scope.Institution)
		}
	}
	return nil
}

// Assign checks that a delegator holding held may give role r to a user of
// institution userInst: the same test as Delegate, and the user must be
// inside a scope the delegator administers.
func Assign(h Hierarchy, held []Permission, r Role, userInst string) error {
	if !CanAdminister(h, held, Scope{Institution: userInst}) {
		return fmt.Errorf("%w: no role administration over %s", ErrEscalation, userInst)
	}
	return Delegate(h, held, r)
}

// Grants reports whether held permits perm on resourceType in some
// institution: the type-level question, asked before the data (and so its
// institution) is at hand.
func Grants(held []Permission, resourceType string, perm scope.Perm) bool {
	for bit := scope.Create; bit <= scope.Search; bit <<= 1 {
		if perm&bit != 0 && !slices.ContainsFunc(held, func(q Permission) bool {
			return q.Perm&bit != 0 && typeCovered(q.Types, resourceType)
		}) {
			return false
		}
	}
	return true
}

// Allows reports whether held permits perm on resourceType for data owned
// by institution.
func Allows(h Hierarchy, held []Permission, resourceType string, perm scope.Perm, institution string) bool {
	return Covers(h, held, Permission{Types: []string{resourceType}, Perm: perm, Scope: Scope{Institution: institution}})
}
