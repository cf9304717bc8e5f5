package smart

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"yigong/fhir/store"
	"yigong/server/auth/accounts"
	"yigong/server/auth/roles"
	"yigong/server/auth/scope"
)

// The role API (issue 4 §3): role administrators define roles and give
// them to users, within what they themselves hold.
//
//	GET    /admin/auth/roles            the roles the caller could grant
//	POST   /admin/auth/roles            a Role {id, name, permissions}: 201, 403 when it grants more than the caller holds
//	GET    /admin/auth/roles/:id
//	DELETE /admin/auth/roles/:id        a role the caller could have created: 204
//	GET    /admin/auth/users/:id/roles
//	PUT    /admin/auth/users/:id/roles  {"roles": ["id", ...]}: replaces the user's roles
//
// A role administrator is either the security administrator (安全管理员,
// accounts.ManageRoles), who may grant anything within its institution and
// everything below it, or a user whose roles carry the Admin power
// (roles.Permission.Admin), who may grant only what its roles cover
// (roles.Delegate, roles.Assign). The caller's permissions are read from
// its account and the role records at the time of the request, not from
// its token. The system and audit administrators administer no roles
// (三员分立). The audit middleware records every call like every other
// /admin request.
func (s *Server) registerRoleAdmin(g *echo.Group) {
	g.GET("/roles", s.adminListRoles)
	g.POST("/roles", s.adminCreateRole)
	g.GET("/roles/:id", s.adminGetRole)
	g.DELETE("/roles/:id", s.adminDeleteRole)
	g.GET("/users/:id/roles", s.adminUserRoles)
	g.PUT("/users/:id/roles", s.adminSetUserRoles)
}

// HeldPermissions returns what u may delegate: the permissions of its
// roles, and for the security administrator everything within its
// institution and below.
func (s *Server) HeldPermissions(ctx context.Context, u *accounts.User) ([]roles.Permission, error) {
	if s.o.RoleStore == nil {
		return nil, errors.New("smart: no role store")
	}
	held, err := s.o.RoleStore.Permissions(ctx, u.Roles)
	if err != nil {
		return nil, err
	}
	if u.Admin.Has(accounts.ManageRoles) {
		held = append(held, roles.Permission{Types: []string{"*"}, Perm: scope.All, Admin: true,
			Scope: roles.Scope{Institution: u.Institution, Descendants: true}})
	}
	return held, nil
}

// roleActor authenticates a role administrator and returns its account and
// the permissions it may delegate.
func (s *Server) roleActor(c echo.Context) (*accounts.User, []roles.Permission, error) {
	if s.o.RoleStore == nil {
		return nil, nil, echo.NewHTTPError(http.StatusNotFound, "roles are not enabled on this hub")
	}
	h, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
	if !ok {
		return nil, nil, echo.NewHTTPError(http.StatusUnauthorized, "bearer token required")
	}
	ctx := c.Request().Context()
	p, err := s.Verify(ctx, h)
	if err != nil || p.Subject == p.ClientID {
		return nil, nil, echo.NewHTTPError(http.StatusUnauthorized, "invalid token")
	}
	u, err := s.o.Accounts.Get(ctx, p.Subject)
	if err != nil || u.Disabled {
		return nil, nil, echo.NewHTTPError(http.StatusUnauthorized, "account unavailable")
	}
	if u.Admin == accounts.SystemAdmin || u.Admin == accounts.AuditAdmin {
		return nil, nil, echo.NewHTTPError(http.StatusForbidden, "the "+string(u.Admin)+" administers no roles (三员分立)")
	}
	held, err := s.HeldPermissions(ctx, u)
	if err != nil {
		return nil, nil, err
	}
	if !slices.ContainsFunc(held, func(q roles.Permission) bool { return q.Admin }) {
		return nil, nil, echo.NewHTTPError(http.StatusForbidden, "requires a role with the admin power or the roles privilege")
	}
	return u, held, nil
}

func roleErr(err error) error {
	switch {
	case errors.Is(err, roles.ErrEscalation):
		return echo.NewHTTPError(http.StatusForbidden, err.Error())
	case errors.Is(err, roles.ErrInvalid):
		return echo.NewHTTPError(http.StatusBadRequest, err.Error())
	}
	return adminErr(err)
}

// administrable reports whether held could have created r.
func (s *Server) administrable(ctx context.Context, held []roles.Permission, r roles.Role) (bool, error) {
	h, err := s.o.RoleStore.Hierarchy(ctx)
	if err != nil {
		return false, err
	}
	return roles.Delegate(h, held, r) == nil, nil
}

func (s *Server) adminListRoles(c echo.Context) error {
	_, held, err := s.roleActor(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	all, err := s.o.RoleStore.List(ctx)
	if err != nil {
		return err
	}
	out := []roles.Role{}
	for _, r := range all {
		if ok, err := s.administrable(ctx, held, r); err != nil {
			return err
		} else if ok {
			out = append(out, r)
		}
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) adminCreateRole(c echo.Context) error {
	actor, held, err := s.roleActor(c)
	if err != nil {
		return err
	}
	var r roles.Role
	if err := c.Bind(&r); err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, err.Error())
	}
	r.CreatedBy, r.Institution = actor.ID, actor.Institution
	out, err := s.o.RoleStore.Create(c.Request().Context(), held, r)
	if err != nil {
		return roleErr(err)
	}
	c.Response().Header().Set(echo.HeaderLocation, "/admin/auth/roles/"+out.ID)
	return c.JSON(http.StatusCreated, out)
}

func (s *Server) adminGetRole(c echo.Context) error {
	_, held, err := s.roleActor(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	r, err := s.o.RoleStore.Get(ctx, c.Param("id"))
	if err != nil {
		return roleErr(err)
	}
	if ok, err := s.administrable(ctx, held, *r); err != nil {
		return err
	} else if !ok {
		return echo.NewHTTPError(http.StatusNotFound, "not found")
	}
	return c.JSON(http.StatusOK, r)
}

func (s *Server) adminDeleteRole(c echo.Context) error {
	_, held, err := s.roleActor(c)
	if err != nil {
		return err
	}
	if err := s.o.RoleStore.Delete(c.Request().Context(), held, c.Param("id")); err != nil {
		return roleErr(err)
	}
	return c.NoContent(http.StatusNoContent)
}

type userRoles struct {
	Roles []string `json:"roles"`
}

func (s *Server) adminUserRoles(c echo.Context) error {
	actor, held, err := s.roleActor(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	u, err := s.o.Accounts.Get(ctx, c.Param("id"))
	if err != nil {
		return adminErr(err)
	}
	h, err := s.o.RoleStore.Hierarchy(ctx)
	if err != nil {
		return err
	}
	if u.ID != actor.ID && !roles.CanAdminister(h, held, roles.Scope{Institution: u.Institution}) {
		return echo.NewHTTPError(http.StatusNotFound, "not found")
	}
	return c.JSON(http.StatusOK, userRoles{Roles: append([]string{}, u.Roles...)})
}

func (s *Server) adminSetUserRoles(c echo.Context) error {
	actor, held, err := s.roleActor(c)
	if err != nil {
		return err
	}
	var body userRoles
	if err := c.Bind(&body); err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, err.Error())
	}
	u, err := s.AssignRoles(c.Request().Context(), actor, held, c.Param("id"), body.Roles)
	if err != nil {
		return roleErr(err)
	}
	return c.JSON(http.StatusOK, userRoles{Roles: append([]string{}, u.Roles...)})
}

// AssignRoles replaces the roles of the account target by ids. actor,
// holding held (HeldPermissions), must be allowed to assign (roles.Assign)
// every role it adds and every role it removes, for a user of target's
// institution; nil actor is the hub itself (bootstrap, tests). A role with
// the admin power is not given to the system or audit administrator
// (三员分立). Unknown role ids are refused.
func (s *Server) AssignRoles(ctx context.Context, actor *accounts.User, held []roles.Permission, target string, ids []string) (*accounts.User, error) {
	if s.o.RoleStore == nil {
		return nil, errors.New("smart: no role store")
	}
	u, err := s.o.Accounts.Get(ctx, target)
	if err != nil {
		return nil, err
	}
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	h, err := s.o.RoleStore.Hierarchy(ctx)
	if err != nil {
		return nil, err
	}
	changed := slices.Clone(ids)
	for _, old := range u.Roles {
		if !slices.Contains(ids, old) {
			changed = append(changed, old)
		}
	}
	for _, id := range changed {
		r, err := s.o.RoleStore.Get(ctx, id)
		if errors.Is(err, store.ErrNotFound) && !slices.Contains(ids, id) {
			continue // removing a deleted role
		}
		if err != nil {
			return nil, fmt.Errorf("%w: role %q", roles.ErrInvalid, id)
		}
		if slices.Contains(ids, id) && (u.Admin == accounts.SystemAdmin || u.Admin == accounts.AuditAdmin) &&
			slices.ContainsFunc(r.Permissions, func(p roles.Permission) bool { return p.Admin }) {
			return nil, fmt.Errorf("%w: the %s may not administer roles (三员分立)", accounts.ErrForbidden, u.Admin)
		}
		if actor == nil {
			continue
		}
		if err := roles.Assign(h, held, *r, u.Institution); err != nil {
			return nil, err
		}
	}
	return s.o.Accounts.SetRoles(ctx, target, ids)
}

// PutRole stores a role without a delegation check: for the hub itself
// (bootstrap, configuration, tests). The admin API goes through
// roles.Store.Create with the caller's permissions.
func (s *Server) PutRole(ctx context.Context, r roles.Role) (*roles.Role, error) {
	if s.o.RoleStore == nil {
		return nil, errors.New("smart: no role store")
	}
	return s.o.RoleStore.Define(ctx, r)
}
