package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"yigong/fhir/search"
	"yigong/fhir/store"
	"yigong/server/audit"
	"yigong/server/auth"
	"yigong/server/auth/accounts"
	"yigong/server/auth/institution"
	"yigong/server/auth/roles"
	"yigong/server/auth/smart"
)

// security is the hub's access control and audit trail, built at Start
// from cfg.Security (nil fields: that part is off).
type security struct {
	checker  *auth.Checker     // always set: dev principals pass every check
	accounts *accounts.Service // nil in dev mode
	smart    *smart.Server     // nil in dev mode
	recorder *audit.Recorder   // nil when security.audit.off
	limiter  *rateLimiter      // nil without security.rate_limit
	// directory answers which institutions' data a caller sees; the
	// middleware hands it to the store as the request's store.Visibility.
	directory *institution.Directory
}

// Paths of the key files in the data folder.
func (s *Server) signingKeyPath() string {
	return filepath.Join(s.cfg.DataDir, "auth", "signing-keys.json")
}

// DemoBackendKeyPath is the private key of the "demo-backend" client that
// `yigong token` signs its client assertion with.
func DemoBackendKeyPath(dataDir string) string {
	return filepath.Join(dataDir, "auth", "demo-backend.jwk")
}

// Issuer is the public base of the authorization endpoints (/auth/...):
// security.issuer, else the scheme and host of the FHIR base URL.
func (s *Server) Issuer() string {
	if s.cfg.Security.Issuer != "" {
		return strings.TrimSuffix(s.cfg.Security.Issuer, "/")
	}
	u, err := url.Parse(s.BaseURL())
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// startSecurity builds the checker, the audit recorder and, in SMART mode,
// the accounts, the signing keys and the authorization server, then runs the
// first-start bootstrap. It returns a cleanup for a failed start.
func (s *Server) startSecurity(ctx context.Context, st store.Store, indexer store.Indexer) error {
	sc := &security{checker: &auth.Checker{Indexer: indexer},
		directory: institution.NewDirectory(st, s.cfg.Institution, 0, nil)}
	cfg := s.cfg.Security
	if cfg.RateLimit > 0 {
		sc.limiter = newRateLimiter(cfg.RateLimit, time.Now)
	}
	if !cfg.Audit.Off {
		al, ok := st.(store.AuditLog)
		if !ok {
			return errors.New("server: the store keeps no audit trail; set security.audit.off to run without one")
		}
		rec, err := audit.Start(ctx, audit.Options{Log: al, Hash: audit.Hash(cfg.Audit.Hash), Observer: "yigong",
			Logger: s.log.With("service", "audit")})
		if err != nil {
			return fmt.Errorf("server: audit: %w", err)
		}
		sc.recorder = rec
	}
	if !cfg.DevMode() {
		ar, ok := st.(store.AuthRecords)
		if !ok {
			s.closeSecurity(ctx, sc)
			return errors.New("server: the store keeps no authorization records")
		}
		p := cfg.Password
		sc.accounts = accounts.New(ar, accounts.Policy{MinLength: p.MinLength, MinClasses: p.MinClasses, MaxAge: p.MaxAge,
			MaxFailures: p.MaxFailures, LockoutFor: p.LockoutFor, IdleTimeout: p.IdleTimeout,
			Argon2: accounts.Argon2{Memory: p.Argon2MemoryKiB, Time: p.Argon2Time, Threads: p.Argon2Threads}}, nil)
		keys, err := smart.LoadKeys(s.signingKeyPath())
		if err != nil {
			s.closeSecurity(ctx, sc)
			return err
		}
		opts := smart.Options{Issuer: s.Issuer, FHIRBase: s.BaseURL, Records: ar, Accounts: sc.accounts, Keys: keys,
			Patients: patientFinder{st: st, dir: sc.directory}, Log: s.log.With("service", "smart"), AccessTTL: cfg.AccessTTL,
			RefreshTTL: cfg.RefreshTTL, SecureCookies: s.cfg.HTTP.TLSCert != ""}
		// Roles (issue 4 §3): kept in the authorization records, read
		// against the institution hierarchy; a user's FHIR access needs a
		// role permission covering the type, the interaction and the
		// data's institution (auth.Checker.Roles), so a user without a
		// role reaches no FHIR data.
		hierarchy := func(ctx context.Context) (roles.Hierarchy, error) {
			t, err := sc.directory.Tree(ctx)
			if err != nil {
				return nil, err
			}
			return t, nil
		}
		roleStore := roles.NewStore(ar, hierarchy)
		opts.Roles, opts.RoleStore = roleStore, roleStore
		sc.checker.Roles = hierarchy
		if sc.recorder != nil {
			opts.Audit = securityAuditor{rec: sc.recorder, institution: s.cfg.Institution}
		}
		if sc.smart, err = smart.New(opts); err != nil {
			s.closeSecurity(ctx, sc)
			return err
		}
		// The only place a secret is written outside the data folder: the
		// first-run console message, never the structured log.
		done, err := smart.Bootstrap{Institution: s.cfg.Institution, KeyPath: DemoBackendKeyPath(s.cfg.DataDir),
			Out: s.console, NoDemo: !cfg.demoClient()}.Run(ctx, sc.smart)
		if err != nil {
			s.closeSecurity(ctx, sc)
			return fmt.Errorf("server: first-start bootstrap: %w", err)
		}
		if done {
			s.log.Info("first start: administrators and demo clients created; credentials printed on the console only")
		}
	} else {
		s.log.Warn("security.mode is dev: every request is allowed without authentication (loopback only)")
	}
	s.mu.Lock()
	s.sec = sc
	s.mu.Unlock()
	return nil
}

// closeSecurity drains the audit recorder.
func (s *Server) closeSecurity(ctx context.Context, sc *security) error {
	if sc == nil || sc.recorder == nil {
		return nil
	}
	if err := sc.recorder.Close(ctx); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	return nil
}

// SMART returns the authorization server (nil in dev mode or before Start).
func (s *Server) SMART() *smart.Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sec == nil {
		return nil
	}
	return s.sec.smart
}

// Accounts returns the account service (nil in dev mode or before Start).
func (s *Server) Accounts() *accounts.Service {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sec == nil {
		return nil
	}
	return s.sec.accounts
}

// AuditStats returns the audit recorder's counters (zero when audit is off).
func (s *Server) AuditStats() audit.Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sec == nil || s.sec.recorder == nil {
		return audit.Stats{}
	}
	return s.sec.recorder.Stats()
}

// securityAuditor turns the authorization server's security events into
// audit events.
type securityAuditor struct {
	rec         *audit.Recorder
	institution string
}

func (a securityAuditor) Security(ctx context.Context, ev smart.Event) {
	action := audit.Login
	switch ev.Action {
	case "logout":
		action = audit.Logout
	case "auth-failure":
		action = audit.AuthFailure
	}
	out := audit.Success
	if !ev.Success && action != audit.Login || action == audit.AuthFailure {
		out = audit.MinorFailure
	}
	typ := "user"
	if ev.Agent != "" && ev.Agent == ev.Client {
		typ = "client"
	}
	_ = a.rec.Record(context.WithoutCancel(ctx), audit.Event{Action: action, Outcome: out, Agent: ev.Agent, AgentType: typ,
		Client: ev.Client, Institution: a.institution, Address: ev.Address, Detail: ev.Detail})
}

// patientFinder lists patients for the standalone-launch picker: by name
// when the user typed one, else the first page; only patients the user's
// institution sees.
type patientFinder struct {
	st  store.Store
	dir *institution.Directory
}

func (f patientFinder) FindPatients(ctx context.Context, u *accounts.User, q string) ([]smart.PatientChoice, error) {
	se, ok := f.st.(store.Searcher)
	if !ok {
		return nil, errors.New("server: patient picker: the store cannot search")
	}
	v, restricted, err := f.dir.Visibility(ctx, u.Institution)
	if err != nil {
		return nil, fmt.Errorf("server: patient picker: %w", err)
	}
	if restricted {
		ctx = store.WithVisibility(ctx, v)
	}
	params := url.Values{"_count": {"50"}}
	if q != "" {
		params.Set("name", q)
	}
	plan, err := search.Parse(search.Builtin{}, "Patient", params, search.ParseOptions{Lenient: true})
	if err != nil {
		return nil, err
	}
	page, err := se.Search(ctx, plan.Query)
	if err != nil {
		return nil, err
	}
	out := make([]smart.PatientChoice, 0, len(page.Entries))
	for _, r := range page.Entries {
		out = append(out, smart.PatientChoice{ID: r.ID, Display: patientDisplay(r.JSON, r.ID)})
	}
	return out, nil
}

// patientDisplay is a picker line: name, birth date, gender.
func patientDisplay(data []byte, id string) string {
	var p struct {
		Name []struct {
			Text   string   `json:"text"`
			Family string   `json:"family"`
			Given  []string `json:"given"`
		} `json:"name"`
		BirthDate string `json:"birthDate"`
		Gender    string `json:"gender"`
	}
	if json.Unmarshal(data, &p) != nil {
		return id
	}
	var parts []string
	if len(p.Name) > 0 {
		n := p.Name[0]
		name := n.Text
		if name == "" {
			name = strings.TrimSpace(n.Family + " " + strings.Join(n.Given, " "))
		}
		parts = append(parts, name)
	}
	for _, v := range []string{p.BirthDate, p.Gender} {
		if v != "" {
			parts = append(parts, v)
		}
	}
	if len(parts) == 0 {
		return id
	}
	return strings.Join(parts, ", ") + " (" + id + ")"
}
