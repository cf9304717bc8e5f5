package accounts_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"yigong/server/auth/accounts"
	"yigong/server/auth/authtest"
)

// clock is a settable clock for tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func newClock() *clock               { return &clock{t: time.Now()} }
func fastPolicy() accounts.Policy {
	return accounts.Policy{Argon2: accounts.Argon2{Memory: 1024, Time: 1, Threads: 1}}
}
func svc(t *testing.T, c *clock) *accounts.Service {
	return accounts.New(authtest.SQLite(t), fastPolicy(), c.Now)
}

const goodPassword = "Correct-Horse-9"

func TestPasswordHash(t *testing.T) {
	t.Parallel()
	a := accounts.Argon2{Memory: 1024, Time: 1, Threads: 1}
	h, err := a.Hash("密码Secret1!")
	if err != nil || !strings.HasPrefix(h, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("%s %v", h, err)
	}
	if ok, err := accounts.VerifyPassword(h, "密码Secret1!"); !ok || err != nil {
		t.Fatal("right password refused")
	}
	if ok, _ := accounts.VerifyPassword(h, "密码Secret1?"); ok {
		t.Fatal("wrong password accepted")
	}
	if _, err := accounts.VerifyPassword("$2y$10$abc", "x"); err == nil {
		t.Fatal("foreign hash accepted")
	}
}

func TestPasswordPolicy(t *testing.T) {
	t.Parallel()
	p := accounts.Policy{}
	for pw, ok := range map[string]bool{
		"short1A!":              false,
		"alllowercaseletters":   false,
		"lowercase-and-digits1": true,
		"NoDigitsOrSymbolsHere": false,
		"zhangsan-Password1":    false, // contains the user name
		"医共体-Hub-2025":          true,
	} {
		if err := p.CheckPassword("zhangsan", pw); (err == nil) != ok {
			t.Errorf("%q: %v", pw, err)
		}
	}
	for range 20 {
		if pw := accounts.RandomPassword(20); p.CheckPassword("admin", pw) != nil {
			t.Fatalf("random password %q fails the policy", pw)
		}
	}
}

func TestLockout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClock()
	s := svc(t, c)
	if _, err := s.Create(ctx, nil, accounts.NewUser{ID: "doctor", Institution: "th-01", Password: goodPassword}); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := s.Authenticate(ctx, "doctor", "wrong", ""); !errors.Is(err, accounts.ErrBadCredentials) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	// Locked: even the right password is refused.
	if _, err := s.Authenticate(ctx, "doctor", goodPassword, ""); !errors.Is(err, accounts.ErrLocked) {
		t.Fatalf("after 5 failures: %v, want ErrLocked", err)
	}
	c.Add(16 * time.Minute)
	if _, err := s.Authenticate(ctx, "doctor", goodPassword, ""); err != nil {
		t.Fatalf("after the lockout: %v", err)
	}
	// A success resets the count: four failures do not lock.
	for range 4 {
		s.Authenticate(ctx, "doctor", "wrong", "")
	}
	if _, err := s.Authenticate(ctx, "doctor", goodPassword, ""); err != nil {
		t.Fatal(err)
	}
	// Unknown users fail the same way.
	if _, err := s.Authenticate(ctx, "nobody", "x", ""); !errors.Is(err, accounts.ErrBadCredentials) {
		t.Fatal(err)
	}
	// Concurrent failures are all counted (compare-and-swap).
	if _, err := s.Create(ctx, nil, accounts.NewUser{ID: "nurse", Institution: "th-01", Password: goodPassword}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() { defer wg.Done(); s.Authenticate(ctx, "nurse", "wrong", "") }()
	}
	wg.Wait()
	if _, err := s.Authenticate(ctx, "nurse", goodPassword, ""); !errors.Is(err, accounts.ErrLocked) {
		t.Fatalf("after 5 concurrent failures: %v, want ErrLocked", err)
	}
}

func TestAdminMFA(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClock()
	s := svc(t, c)
	if _, err := s.Create(ctx, nil, accounts.NewUser{ID: "admin", Institution: "county", Password: goodPassword, Admin: accounts.SystemAdmin}); err != nil {
		t.Fatal(err)
	}
	l, err := s.Authenticate(ctx, "admin", goodPassword, "")
	if err != nil || !l.EnrolTOTP {
		t.Fatalf("first admin login must demand enrolment: %+v %v", l, err)
	}
	tp, err := s.BeginTOTP(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ConfirmTOTP(ctx, "admin", "000000"); !errors.Is(err, accounts.ErrMFABad) && tp.Code(c.Now()) != "000000" {
		t.Fatalf("bad confirmation: %v", err)
	}
	if err := s.ConfirmTOTP(ctx, "admin", tp.Code(c.Now())); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, "admin", goodPassword, ""); !errors.Is(err, accounts.ErrMFARequired) {
		t.Fatalf("no code: %v, want ErrMFARequired", err)
	}
	c.Add(30 * time.Second)
	code := tp.Code(c.Now())
	if l, err := s.Authenticate(ctx, "admin", goodPassword, code); err != nil || l.EnrolTOTP {
		t.Fatalf("with code: %+v %v", l, err)
	}
	if _, err := s.Authenticate(ctx, "admin", goodPassword, code); !errors.Is(err, accounts.ErrMFABad) {
		t.Fatalf("replayed code: %v, want ErrMFABad", err)
	}
	if _, err := s.BeginTOTP(ctx, "admin"); err == nil {
		t.Fatal("re-enrolment over an active factor must be refused")
	}
}

func TestPasswordExpiry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClock()
	s := svc(t, c)
	s.Create(ctx, nil, accounts.NewUser{ID: "clerk", Institution: "th-01", Password: goodPassword})
	c.Add(91 * 24 * time.Hour)
	l, err := s.Authenticate(ctx, "clerk", goodPassword, "")
	if err != nil || !l.ChangePassword {
		t.Fatalf("expired password: %+v %v", l, err)
	}
	if err := s.SetPassword(ctx, "clerk", goodPassword, false); err == nil {
		t.Fatal("reusing the old password accepted")
	}
	if err := s.SetPassword(ctx, "clerk", "Another-Good-Pass-2", false); err != nil {
		t.Fatal(err)
	}
	if l, err := s.Authenticate(ctx, "clerk", "Another-Good-Pass-2", ""); err != nil || l.ChangePassword {
		t.Fatalf("%+v %v", l, err)
	}
}

func TestIdleTimeout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClock()
	s := svc(t, c)
	ss, err := s.StartSession(ctx, "u", true)
	if err != nil {
		t.Fatal(err)
	}
	c.Add(14 * time.Minute)
	if _, err := s.Touch(ctx, ss.ID); err != nil {
		t.Fatalf("active session: %v", err)
	}
	c.Add(14 * time.Minute) // 28 min after start, 14 after the last use
	if _, err := s.Touch(ctx, ss.ID); err != nil {
		t.Fatalf("used 14 min ago: %v", err)
	}
	c.Add(15 * time.Minute)
	if _, err := s.Touch(ctx, ss.ID); !errors.Is(err, accounts.ErrSessionExpired) {
		t.Fatalf("idle 15 min: %v, want ErrSessionExpired", err)
	}
	if _, err := s.Touch(ctx, "nope"); !errors.Is(err, accounts.ErrSessionExpired) {
		t.Fatal(err)
	}
}

// TestSeparationOfDuties proves 三员分立: no administrative role combines
// user management with the audit trail, no account holds two roles, the
// system administrator cannot mint administrators, and the security
// administrator cannot promote itself.
func TestSeparationOfDuties(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	roles := []accounts.AdminRole{accounts.SystemAdmin, accounts.SecurityAdmin, accounts.AuditAdmin}
	for _, r := range roles {
		if accounts.Incompatible(r.Privileges()) {
			t.Errorf("%s alone breaks the separation", r)
		}
	}
	if !accounts.Incompatible(append(accounts.SystemAdmin.Privileges(), accounts.AuditAdmin.Privileges()...)) {
		t.Error("users + audit must be incompatible")
	}
	c := newClock()
	s := svc(t, c)
	sys, _ := s.Create(ctx, nil, accounts.NewUser{ID: "sys", Institution: "county", Password: goodPassword, Admin: accounts.SystemAdmin})
	sec, _ := s.Create(ctx, nil, accounts.NewUser{ID: "sec", Institution: "county", Password: goodPassword, Admin: accounts.SecurityAdmin})
	aud, _ := s.Create(ctx, nil, accounts.NewUser{ID: "aud", Institution: "county", Password: goodPassword, Admin: accounts.AuditAdmin})

	// The system administrator creates accounts, but not administrators.
	if _, err := s.Create(ctx, sys, accounts.NewUser{ID: "x", Institution: "county", Password: goodPassword, Admin: accounts.AuditAdmin}); !errors.Is(err, accounts.ErrForbidden) {
		t.Fatalf("sys creating an audit admin: %v", err)
	}
	if _, err := s.Create(ctx, sys, accounts.NewUser{ID: "x", Institution: "county", Password: goodPassword}); err != nil {
		t.Fatal(err)
	}
	// Nobody but the security administrator creates accounts... and it cannot.
	for _, a := range []*accounts.User{sec, aud} {
		if _, err := s.Create(ctx, a, accounts.NewUser{ID: "y" + a.ID, Institution: "county", Password: goodPassword}); !errors.Is(err, accounts.ErrForbidden) {
			t.Fatalf("%s creating an account: %v", a.ID, err)
		}
	}
	// Only the security administrator assigns administrative roles, never to itself.
	for _, a := range []*accounts.User{sys, aud} {
		for _, r := range roles {
			if _, err := s.SetAdmin(ctx, a, a.ID, r); !errors.Is(err, accounts.ErrForbidden) {
				t.Fatalf("%s self-assigning %s: %v", a.ID, r, err)
			}
			if _, err := s.SetAdmin(ctx, a, "x", r); !errors.Is(err, accounts.ErrForbidden) {
				t.Fatalf("%s assigning %s: %v", a.ID, r, err)
			}
		}
	}
	if _, err := s.SetAdmin(ctx, sec, "sec", accounts.AuditAdmin); !errors.Is(err, accounts.ErrForbidden) {
		t.Fatalf("sec self-assigning: %v", err)
	}
	// Assigning replaces: "sys" given the audit role loses user management.
	u, err := s.SetAdmin(ctx, sec, "sys", accounts.AuditAdmin)
	if err != nil || u.Admin != accounts.AuditAdmin || u.Admin.Has(accounts.ManageUsers) {
		t.Fatalf("%+v %v", u, err)
	}
	// Every account, whatever happened, holds a compatible set.
	all, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range all {
		if accounts.Incompatible(u.Admin.Privileges()) {
			t.Errorf("account %s holds incompatible privileges", u.ID)
		}
	}
}
