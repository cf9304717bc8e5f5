package smart

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"yigong/fhir/store"
	"yigong/server/auth/accounts"
)

// The admin API: JSON over HTTP for the three administrators, each
// authenticated by a bearer token whose account holds the matching
// administrative role (accounts.AdminRole, carried in the token as "adm").
//
//	GET  /admin/auth/users                 system-admin, security-admin
//	POST /admin/auth/users                 system-admin: {id, institution, name, fhirUser, password}
//	POST /admin/auth/users/:id/disable     system-admin
//	POST /admin/auth/users/:id/admin       security-admin: {"role": "audit-admin"}
//	POST /admin/auth/users/:id/unlock      security-admin
//	GET  /admin/auth/clients               system-admin
//	PUT  /admin/auth/clients/:id           system-admin: a Client
//
// and the role API of roles_admin.go (/admin/auth/roles, /admin/auth/users/:id/roles).
func (s *Server) registerAdmin(g *echo.Group) {
	g.GET("/users", s.adminListUsers)
	g.POST("/users", s.adminCreateUser)
	g.POST("/users/:id/disable", s.adminDisable)
	g.POST("/users/:id/admin", s.adminSetAdmin)
	g.POST("/users/:id/unlock", s.adminUnlock)
	g.GET("/clients", s.adminListClients)
	g.PUT("/clients/:id", s.adminPutClient)
}

// adminActor authenticates the caller and loads its account.
func (s *Server) adminActor(c echo.Context, need accounts.Privilege) (*accounts.User, error) {
	h, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
	if !ok {
		return nil, echo.NewHTTPError(http.StatusUnauthorized, "bearer token required")
	}
	p, err := s.Verify(c.Request().Context(), h)
	if err != nil || p.Subject == p.ClientID {
		return nil, echo.NewHTTPError(http.StatusUnauthorized, "invalid token")
	}
	u, err := s.o.Accounts.Get(c.Request().Context(), p.Subject)
	if err != nil || u.Disabled {
		return nil, echo.NewHTTPError(http.StatusUnauthorized, "account unavailable")
	}
	if !u.Admin.Has(need) { // the account's current role, not the token's
		return nil, echo.NewHTTPError(http.StatusForbidden, "requires the "+string(need)+" privilege")
	}
	return u, nil
}

func adminErr(err error) error {
	switch {
	case errors.Is(err, accounts.ErrForbidden):
		return echo.NewHTTPError(http.StatusForbidden, err.Error())
	case errors.Is(err, store.ErrNotFound):
		return echo.NewHTTPError(http.StatusNotFound, "not found")
	case errors.Is(err, store.ErrConflict):
		return echo.NewHTTPError(http.StatusConflict, err.Error())
	case errors.Is(err, accounts.ErrWeakPassword):
		return echo.NewHTTPError(http.StatusBadRequest, err.Error())
	}
	return err
}

type userView struct {
	ID          string   `json:"id"`
	Institution string   `json:"institution"`
	Name        string   `json:"name,omitempty"`
	FHIRUser    string   `json:"fhirUser,omitempty"`
	Admin       string   `json:"admin,omitempty"`
	Disabled    bool     `json:"disabled,omitempty"`
	Locked      bool     `json:"locked,omitempty"`
	MFA         bool     `json:"mfa"`
	Roles       []string `json:"roles,omitempty"`
}

func (s *Server) view(u *accounts.User) userView { // never the hash or the TOTP secret
	return userView{ID: u.ID, Institution: u.Institution, Name: u.Name, FHIRUser: u.FHIRUser, Admin: string(u.Admin),
		Disabled: u.Disabled, Locked: s.o.Now().Before(u.LockedUntil), MFA: u.TOTPActive, Roles: u.Roles}
}

func (s *Server) adminListUsers(c echo.Context) error {
	if _, err := s.adminActor(c, accounts.ManageUsers); err != nil {
		if _, err2 := s.adminActor(c, accounts.ManageRoles); err2 != nil {
			return err
		}
	}
	us, err := s.o.Accounts.List(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]userView, len(us))
	for i := range us {
		out[i] = s.view(&us[i])
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) adminCreateUser(c echo.Context) error {
	actor, err := s.adminActor(c, accounts.ManageUsers)
	if err != nil {
		return err
	}
	var nu accounts.NewUser
	if err := c.Bind(&nu); err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, err.Error())
	}
	nu.MustChange = true // the administrator knows it: the user changes it at first login
	u, err := s.o.Accounts.Create(c.Request().Context(), actor, nu)
	if err != nil {
		return adminErr(err)
	}
	return c.JSON(http.StatusCreated, s.view(u))
}

func (s *Server) adminDisable(c echo.Context) error {
	actor, err := s.adminActor(c, accounts.ManageUsers)
	if err != nil {
		return err
	}
	u, err := s.o.Accounts.SetDisabled(c.Request().Context(), actor, c.Param("id"), c.QueryParam("enable") == "")
	if err != nil {
		return adminErr(err)
	}
	return c.JSON(http.StatusOK, s.view(u))
}

func (s *Server) adminSetAdmin(c echo.Context) error {
	actor, err := s.adminActor(c, accounts.ManageRoles)
	if err != nil {
		return err
	}
	var body struct {
		Role accounts.AdminRole `json:"role"`
	}
	if err := c.Bind(&body); err != nil || !body.Role.Valid() {
		return echo.NewHTTPError(http.StatusBadRequest, "role: want system-admin, security-admin, audit-admin or \"\"")
	}
	u, err := s.o.Accounts.SetAdmin(c.Request().Context(), actor, c.Param("id"), body.Role)
	if err != nil {
		return adminErr(err)
	}
	return c.JSON(http.StatusOK, s.view(u))
}

func (s *Server) adminUnlock(c echo.Context) error {
	actor, err := s.adminActor(c, accounts.ManagePolicy)
	if err != nil {
		return err
	}
	u, err := s.o.Accounts.Unlock(c.Request().Context(), actor, c.Param("id"))
	if err != nil {
		return adminErr(err)
	}
	return c.JSON(http.StatusOK, s.view(u))
}

func (s *Server) adminListClients(c echo.Context) error {
	if _, err := s.adminActor(c, accounts.ManageClients); err != nil {
		return err
	}
	cs, err := s.clients.List(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, cs)
}

func (s *Server) adminPutClient(c echo.Context) error {
	if _, err := s.adminActor(c, accounts.ManageClients); err != nil {
		return err
	}
	var cl Client
	if err := c.Bind(&cl); err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, err.Error())
	}
	cl.ID = c.Param("id")
	if err := s.RegisterClient(c.Request().Context(), &cl); err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, err.Error())
	}
	return c.JSON(http.StatusOK, cl)
}
