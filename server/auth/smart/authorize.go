package smart

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"yigong/fhir/store"
	"yigong/server/auth/accounts"
	"yigong/server/auth/scope"
)

// authzRequest is a pending authorization, between /authorize and the code.
type authzRequest struct {
	Client      string `json:"client"`
	RedirectURI string `json:"redirectUri"`
	State       string `json:"state"`
	Scopes      string `json:"scopes"` // granted subset of the request
	Challenge   string `json:"challenge"`
	Nonce       string `json:"nonce,omitempty"`
	Patient     string `json:"patient,omitempty"` // from an EHR launch
	Encounter   string `json:"encounter,omitempty"`
	LaunchUser  string `json:"launchUser,omitempty"`
}

// authCode is an issued authorization code (by its hash).
type authCode struct {
	Req   authzRequest `json:"req"`
	Grant grant        `json:"grant"`
}

const sessionCookie = "yigong_session"

// authorize validates the request (RFC 6749 §4.1.1, PKCE S256 required) and
// continues to the login or consent page. Errors about the client or the
// redirect URI are shown, never redirected (§4.1.2.1).
func (s *Server) authorize(c echo.Context) error {
	ctx := c.Request().Context()
	q := c.Request().URL.Query()
	if c.Request().Method == http.MethodPost {
		q = mustForm(c)
	}
	cl, _, err := s.clients.Get(ctx, q.Get("client_id"))
	if err != nil || cl.Disabled || cl.Type == Backend {
		return s.page(c, http.StatusBadRequest, "error", pageData{Error: "未知的客户端 / unknown client"})
	}
	redirect := q.Get("redirect_uri")
	if !cl.RedirectAllowed(redirect) {
		return s.page(c, http.StatusBadRequest, "error", pageData{Error: "redirect_uri 未注册 / redirect_uri is not registered"})
	}
	fail := func(code, desc string) error {
		u, _ := url.Parse(redirect)
		v := u.Query()
		v.Set("error", code)
		v.Set("error_description", desc)
		if st := q.Get("state"); st != "" {
			v.Set("state", st)
		}
		u.RawQuery = v.Encode()
		return c.Redirect(http.StatusFound, u.String())
	}
	if q.Get("response_type") != "code" {
		return fail("unsupported_response_type", "response_type must be code")
	}
	if q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256" {
		return fail("invalid_request", "PKCE with code_challenge_method=S256 is required")
	}
	if aud := q.Get("aud"); aud != s.o.FHIRBase() {
		return fail("invalid_request", "aud must be the FHIR base URL "+s.o.FHIRBase())
	}
	requested, err := scope.ParseSet(q.Get("scope"))
	if err != nil {
		return fail("invalid_scope", err.Error())
	}
	allowed, _ := scope.ParseSet(cl.Scopes)
	granted := grantedScopes(requested, allowed)
	ar := authzRequest{Client: cl.ID, RedirectURI: redirect, State: q.Get("state"), Scopes: granted.String(),
		Challenge: q.Get("code_challenge"), Nonce: q.Get("nonce")}
	if l := q.Get("launch"); l != "" {
		launch, _, err := s.launches.Get(ctx, l)
		if err != nil {
			return fail("invalid_request", "unknown or expired launch")
		}
		ar.Patient, ar.Encounter, ar.LaunchUser = launch.Patient, launch.Encounter, launch.User
	}
	txn := randomToken(16)
	if _, err := s.authz.Put(ctx, txn, cl.Institution, &ar, s.o.Now().Add(10*time.Minute), 0); err != nil {
		return err
	}
	if _, err := s.session(c); err == nil {
		return c.Redirect(http.StatusFound, "/auth/consent?txn="+txn)
	}
	return c.Redirect(http.StatusFound, "/auth/login?txn="+txn)
}

func mustForm(c echo.Context) url.Values {
	v, err := c.FormParams()
	if err != nil {
		return url.Values{}
	}
	return v
}

// session returns the signed-in, complete session of the request.
func (s *Server) session(c echo.Context) (*accounts.Session, error) {
	ck, err := c.Cookie(sessionCookie)
	if err != nil {
		return nil, accounts.ErrSessionExpired
	}
	ss, err := s.o.Accounts.Touch(c.Request().Context(), ck.Value)
	if err != nil {
		return nil, err
	}
	return ss, nil
}

func (s *Server) setSession(c echo.Context, id string) {
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: id, Path: "/auth", HttpOnly: true, Secure: s.o.SecureCookies,
		SameSite: http.SameSiteLaxMode})
}

func (s *Server) loginPage(c echo.Context) error {
	return s.page(c, http.StatusOK, "login", pageData{Txn: c.QueryParam("txn")})
}

func (s *Server) login(c echo.Context) error {
	ctx := c.Request().Context()
	txn, user, pw, code := c.FormValue("txn"), c.FormValue("username"), c.FormValue("password"), c.FormValue("totp")
	l, err := s.o.Accounts.Authenticate(ctx, user, pw, code)
	ev := Event{Action: "login", Agent: user, Address: clientIP(c), Success: err == nil}
	switch {
	case errors.Is(err, accounts.ErrMFARequired):
		return s.page(c, http.StatusOK, "login", pageData{Txn: txn, User: user, NeedTOTP: true})
	case err != nil:
		ev.Action, ev.Detail = "auth-failure", "login"
		s.audit(ctx, ev)
		msg := "用户名或密码错误 / wrong user name or password"
		if errors.Is(err, accounts.ErrMFABad) {
			msg = "动态口令错误 / wrong one-time code"
		}
		return s.page(c, http.StatusUnauthorized, "login", pageData{Txn: txn, User: user, Error: msg, NeedTOTP: code != ""})
	}
	s.audit(ctx, ev)
	ss, err := s.o.Accounts.StartSession(ctx, l.User.ID, !l.EnrolTOTP && !l.ChangePassword)
	if err != nil {
		return err
	}
	s.setSession(c, ss.ID)
	if l.ChangePassword {
		return s.page(c, http.StatusOK, "password", pageData{Txn: txn})
	}
	if l.EnrolTOTP {
		return s.enrolPage(c, txn, l.User.ID, "")
	}
	return c.Redirect(http.StatusFound, "/auth/consent?txn="+url.QueryEscape(txn))
}

// rawSession returns the session even when a step is outstanding.
func (s *Server) rawSession(c echo.Context) (*accounts.Session, error) { return s.session(c) }

func (s *Server) enrolPage(c echo.Context, txn, user, msg string) error {
	tp, err := s.o.Accounts.BeginTOTP(c.Request().Context(), user)
	if err != nil {
		return err
	}
	return s.page(c, http.StatusOK, "totp", pageData{Txn: txn, Secret: accounts.EncodeSecret(tp.Secret),
		URI: tp.ProvisioningURI("yigong", user), Error: msg})
}

func (s *Server) totpEnrol(c echo.Context) error {
	ctx := c.Request().Context()
	ss, err := s.rawSession(c)
	if err != nil {
		return c.Redirect(http.StatusFound, "/auth/login?txn="+url.QueryEscape(c.FormValue("txn")))
	}
	if err := s.o.Accounts.ConfirmTOTP(ctx, ss.User, c.FormValue("totp")); err != nil {
		return s.enrolPage(c, c.FormValue("txn"), ss.User, "动态口令错误 / wrong code, scan the new secret")
	}
	if err := s.o.Accounts.CompleteSession(ctx, ss.ID); err != nil {
		return err
	}
	return c.Redirect(http.StatusFound, "/auth/consent?txn="+url.QueryEscape(c.FormValue("txn")))
}

func (s *Server) changePassword(c echo.Context) error {
	ctx := c.Request().Context()
	ss, err := s.rawSession(c)
	if err != nil {
		return c.Redirect(http.StatusFound, "/auth/login?txn="+url.QueryEscape(c.FormValue("txn")))
	}
	if err := s.o.Accounts.SetPassword(ctx, ss.User, c.FormValue("password"), false); err != nil {
		return s.page(c, http.StatusOK, "password", pageData{Txn: c.FormValue("txn"), Error: err.Error()})
	}
	u, err := s.o.Accounts.Get(ctx, ss.User)
	if err != nil {
		return err
	}
	if u.Admin != accounts.NoAdmin && !u.TOTPActive {
		return s.enrolPage(c, c.FormValue("txn"), u.ID, "")
	}
	if err := s.o.Accounts.CompleteSession(ctx, ss.ID); err != nil {
		return err
	}
	return c.Redirect(http.StatusFound, "/auth/consent?txn="+url.QueryEscape(c.FormValue("txn")))
}

func (s *Server) logout(c echo.Context) error {
	if ck, err := c.Cookie(sessionCookie); err == nil {
		ss, _ := s.o.Accounts.Touch(c.Request().Context(), ck.Value)
		s.o.Accounts.EndSession(c.Request().Context(), ck.Value)
		if ss != nil {
			s.audit(c.Request().Context(), Event{Action: "logout", Agent: ss.User, Address: clientIP(c), Success: true})
		}
	}
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: "", Path: "/auth", MaxAge: -1})
	return s.page(c, http.StatusOK, "error", pageData{Error: "已退出 / signed out"})
}

// consentData loads what the consent page and its POST need.
func (s *Server) consentData(c echo.Context, txn string) (*authzRequest, *accounts.User, *Client, error) {
	ctx := c.Request().Context()
	ss, err := s.session(c)
	if err != nil || !ss.Complete {
		return nil, nil, nil, accounts.ErrSessionExpired
	}
	ar, _, err := s.authz.Get(ctx, txn)
	if err != nil {
		return nil, nil, nil, err
	}
	u, err := s.o.Accounts.Get(ctx, ss.User)
	if err != nil {
		return nil, nil, nil, err
	}
	cl, _, err := s.clients.Get(ctx, ar.Client)
	if err != nil {
		return nil, nil, nil, err
	}
	return ar, u, cl, nil
}

func (s *Server) consentPage(c echo.Context) error {
	txn := c.QueryParam("txn")
	ar, u, cl, err := s.consentData(c, txn)
	if errors.Is(err, accounts.ErrSessionExpired) {
		return c.Redirect(http.StatusFound, "/auth/login?txn="+url.QueryEscape(txn))
	}
	if err != nil {
		return s.page(c, http.StatusBadRequest, "error", pageData{Error: "授权请求已过期 / the authorization request expired"})
	}
	d := pageData{Txn: txn, User: u.ID, ClientName: cl.Name, Scopes: ar.Scopes, Patient: ar.Patient,
		RedirectOrigin: origin(ar.RedirectURI)}
	set, _ := scope.ParseSet(ar.Scopes)
	if set.Has("launch/patient") && ar.Patient == "" {
		if s.o.Patients == nil {
			return s.page(c, http.StatusBadRequest, "error", pageData{Error: "patient picker not available"})
		}
		d.Choices, err = s.o.Patients.FindPatients(c.Request().Context(), u, c.QueryParam("q"))
		if err != nil {
			return err
		}
		d.Pick = true
	}
	return s.page(c, http.StatusOK, "consent", d)
}

func (s *Server) consent(c echo.Context) error {
	ctx := c.Request().Context()
	txn := c.FormValue("txn")
	ar, u, cl, err := s.consentData(c, txn)
	if errors.Is(err, accounts.ErrSessionExpired) {
		return c.Redirect(http.StatusFound, "/auth/login?txn="+url.QueryEscape(txn))
	}
	if err != nil {
		return s.page(c, http.StatusBadRequest, "error", pageData{Error: "授权请求已过期 / the authorization request expired"})
	}
	if err := s.authz.Delete(ctx, txn); err != nil { // one decision per request
		return err
	}
	back, _ := url.Parse(ar.RedirectURI)
	v := back.Query()
	if ar.State != "" {
		v.Set("state", ar.State)
	}
	if c.FormValue("decision") != "approve" || (ar.LaunchUser != "" && ar.LaunchUser != u.ID) {
		v.Set("error", "access_denied")
		back.RawQuery = v.Encode()
		return c.Redirect(http.StatusFound, back.String())
	}
	set, _ := scope.ParseSet(ar.Scopes)
	if set.Has("launch/patient") && ar.Patient == "" {
		pick := c.FormValue("patient")
		choices, err := s.o.Patients.FindPatients(ctx, u, "")
		if err != nil {
			return err
		}
		ok := false
		for _, ch := range choices {
			ok = ok || ch.ID == pick
		}
		if !ok { // only a patient the picker offered
			return s.page(c, http.StatusBadRequest, "error", pageData{Error: "请选择患者 / choose a patient"})
		}
		ar.Patient = pick
	}
	g := grant{Client: cl.ID, User: u.ID, Institution: u.Institution, Scopes: ar.Scopes, Patient: ar.Patient,
		Encounter: ar.Encounter, FHIRUser: u.FHIRUser, Roles: u.Roles, Admin: string(u.Admin), Nonce: ar.Nonce,
		AuthTime: s.o.Now().Unix()}
	code := randomToken(24)
	if _, err := s.codes.Put(ctx, hashKey(code), u.Institution, &authCode{Req: *ar, Grant: g}, s.o.Now().Add(time.Minute), 0); err != nil {
		return err
	}
	v.Set("code", code)
	back.RawQuery = v.Encode()
	return c.Redirect(http.StatusFound, back.String())
}

var _ = store.ErrNotFound

// pageData fills the server-rendered pages.
type pageData struct {
	Txn, User, Error   string
	NeedTOTP           bool
	Secret, URI        string
	ClientName, Scopes string
	Patient            string
	Pick               bool
	Choices            []PatientChoice
	// RedirectOrigin is the app's origin, where the consent form's answer
	// redirects: browsers apply CSP form-action to that redirect too.
	RedirectOrigin string
}

// origin returns scheme://host of a URL ("" when it has none).
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

func (s *Server) page(c echo.Context, status int, name string, d pageData) error {
	c.Response().Header().Set("Content-Type", "text/html; charset=utf-8")
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().Header().Set("X-Frame-Options", "DENY")
	formAction := "'self'"
	if d.RedirectOrigin != "" {
		formAction += " " + d.RedirectOrigin
	}
	c.Response().Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action "+formAction)
	c.Response().WriteHeader(status)
	return pages.ExecuteTemplate(c.Response(), name, d)
}

var pages = template.Must(template.New("").Parse(`
{{define "head"}}<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>医共 yigong</title>
<style>body{font-family:sans-serif;max-width:28em;margin:3em auto}label{display:block;margin:.6em 0}.err{color:#b00}</style></head><body>
<h1>医共 yigong</h1>{{if .Error}}<p class="err" id="error">{{.Error}}</p>{{end}}{{end}}
{{define "error"}}{{template "head" .}}</body></html>{{end}}
{{define "login"}}{{template "head" .}}
<form method="post" action="/auth/login" id="login">
<input type="hidden" name="txn" value="{{.Txn}}">
<label>用户名 User <input name="username" id="username" value="{{.User}}" autocomplete="username" required></label>
<label>密码 Password <input type="password" name="password" id="password" autocomplete="current-password" required></label>
{{if .NeedTOTP}}<label>动态口令 One-time code <input name="totp" id="totp" inputmode="numeric" autocomplete="one-time-code"></label>{{end}}
<button type="submit" id="submit">登录 Sign in</button></form></body></html>{{end}}
{{define "totp"}}{{template "head" .}}
<p>管理员账户须启用动态口令。Administrator accounts need a second factor: add this key to an authenticator app.</p>
<p><code id="secret">{{.Secret}}</code></p><p><small>{{.URI}}</small></p>
<form method="post" action="/auth/totp"><input type="hidden" name="txn" value="{{.Txn}}">
<label>动态口令 Code <input name="totp" id="totp" inputmode="numeric" required></label>
<button type="submit" id="submit">确认 Confirm</button></form></body></html>{{end}}
{{define "password"}}{{template "head" .}}
<p>密码已过期，请设置新密码。Your password must be changed.</p>
<form method="post" action="/auth/password"><input type="hidden" name="txn" value="{{.Txn}}">
<label>新密码 New password <input type="password" name="password" id="password" autocomplete="new-password" required></label>
<button type="submit" id="submit">保存 Save</button></form></body></html>{{end}}
{{define "consent"}}{{template "head" .}}
<p><b>{{.ClientName}}</b> 请求访问 / asks for access as <b>{{.User}}</b>:</p><p><code id="scopes">{{.Scopes}}</code></p>
<form method="post" action="/auth/consent" id="consent"><input type="hidden" name="txn" value="{{.Txn}}">
{{if .Pick}}<fieldset><legend>选择患者 Choose a patient</legend>
{{range .Choices}}<label><input type="radio" name="patient" value="{{.ID}}" class="patient"> {{.Display}}</label>{{else}}<p>没有可选患者 / no patients</p>{{end}}
</fieldset>{{else if .Patient}}<p>患者 Patient: {{.Patient}}</p>{{end}}
<button type="submit" name="decision" value="approve" id="approve">同意 Allow</button>
<button type="submit" name="decision" value="deny" id="deny">拒绝 Deny</button></form></body></html>{{end}}
`))
