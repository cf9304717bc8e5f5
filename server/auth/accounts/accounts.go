package accounts

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"yigong/fhir/store"
	"yigong/server/auth/internal/records"
)

// User is a local account.
type User struct {
	ID          string    `json:"id"` // the login name
	Institution string    `json:"institution"`
	Name        string    `json:"name,omitempty"`
	FHIRUser    string    `json:"fhirUser,omitempty"` // "Practitioner/123": the id_token's fhirUser
	Hash        string    `json:"hash"`
	PasswordSet time.Time `json:"passwordSet"`
	MustChange  bool      `json:"mustChange,omitempty"`
	Disabled    bool      `json:"disabled,omitempty"`
	Admin       AdminRole `json:"admin,omitempty"`
	Roles       []string  `json:"roles,omitempty"` // ids of package roles' roles
	Failures    int       `json:"failures,omitempty"`
	LockedUntil time.Time `json:"lockedUntil,omitzero"`
	TOTPSecret  []byte    `json:"totpSecret,omitempty"`
	TOTPActive  bool      `json:"totpActive,omitempty"` // enrolment confirmed by a first code
	TOTPStep    int64     `json:"totpStep,omitempty"`   // last step used (replay guard)
	LastLogin   time.Time `json:"lastLogin,omitzero"`
}

// NeedsMFA reports whether the account must present a second factor.
func (u *User) NeedsMFA() bool { return u.Admin != NoAdmin || u.TOTPActive }

// Errors of Authenticate; the login page shows one message for all of
// ErrBadCredentials, ErrLocked and ErrDisabled so as not to tell an attacker
// which accounts exist.
var (
	ErrBadCredentials  = errors.New("accounts: wrong user name or password")
	ErrLocked          = errors.New("accounts: account locked")
	ErrDisabled        = errors.New("accounts: account disabled")
	ErrMFARequired     = errors.New("accounts: second factor required")
	ErrMFABad          = errors.New("accounts: wrong second factor")
	ErrMFAEnrol        = errors.New("accounts: second factor enrolment required")
	ErrPasswordExpired = errors.New("accounts: password must be changed")
	ErrForbidden       = errors.New("accounts: not allowed")
	ErrSessionExpired  = errors.New("accounts: session expired")
)

// Service manages accounts and sessions.
type Service struct {
	users    records.Table[User]
	sessions records.Table[Session]
	policy   Policy
	now      func() time.Time
	// dummyHash makes a login of an unknown user cost as much as a real one.
	dummyHash string
}

// New returns a service over rs; now may be nil (time.Now).
func New(rs store.AuthRecords, policy Policy, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	p := policy.WithDefaults()
	dummy, _ := p.Argon2.Hash(RandomPassword(16))
	return &Service{users: records.Table[User]{R: rs, Kind: "user"}, sessions: records.Table[Session]{R: rs, Kind: "session"},
		policy: p, now: now, dummyHash: dummy}
}

// Policy returns the effective policy.
func (s *Service) Policy() Policy { return s.policy }

// NewUser describes an account to create.
type NewUser struct {
	ID, Institution, Name, FHIRUser, Password string
	Admin                                     AdminRole
	MustChange                                bool
}

// Create creates an account. actor is the administrator doing it (nil at
// bootstrap): only a system administrator creates accounts, and an
// administrative role other than none is given by the security
// administrator through SetAdmin, except at bootstrap.
func (s *Service) Create(ctx context.Context, actor *User, nu NewUser) (*User, error) {
	if actor != nil {
		if !actor.Admin.Has(ManageUsers) {
			return nil, fmt.Errorf("%w: %s cannot create accounts", ErrForbidden, actor.ID)
		}
		if nu.Admin != NoAdmin {
			return nil, fmt.Errorf("%w: administrative roles are assigned by the security administrator", ErrForbidden)
		}
	}
	if nu.ID == "" || nu.Institution == "" {
		return nil, errors.New("accounts: id and institution are required")
	}
	if !nu.Admin.Valid() {
		return nil, fmt.Errorf("accounts: unknown administrative role %q", nu.Admin)
	}
	if err := s.policy.CheckPassword(nu.ID, nu.Password); err != nil {
		return nil, err
	}
	h, err := s.policy.Argon2.Hash(nu.Password)
	if err != nil {
		return nil, err
	}
	u := &User{ID: nu.ID, Institution: nu.Institution, Name: nu.Name, FHIRUser: nu.FHIRUser, Hash: h,
		PasswordSet: s.now(), MustChange: nu.MustChange, Admin: nu.Admin}
	if _, err := s.users.Put(ctx, u.ID, u.Institution, u, time.Time{}, 0); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, fmt.Errorf("accounts: user %q exists: %w", nu.ID, err)
		}
		return nil, err
	}
	return u, nil
}

// Get returns an account.
func (s *Service) Get(ctx context.Context, id string) (*User, error) {
	u, _, err := s.users.Get(ctx, id)
	return u, err
}

// List returns every account.
func (s *Service) List(ctx context.Context) ([]User, error) { return s.users.List(ctx) }

// SetAdmin gives target an administrative role. Only the security
// administrator may, never to its own account, and an account keeps at most
// one role (the new one replaces the old).
func (s *Service) SetAdmin(ctx context.Context, actor *User, target string, role AdminRole) (*User, error) {
	if actor == nil || !CanAssignAdmin(actor.Admin, role) {
		return nil, fmt.Errorf("%w: only the security administrator assigns administrative roles", ErrForbidden)
	}
	if actor.ID == target {
		return nil, fmt.Errorf("%w: no account changes its own administrative role", ErrForbidden)
	}
	return s.users.Update(ctx, target, func(u *User) (string, time.Time, error) {
		u.Admin = role
		return u.Institution, time.Time{}, nil
	})
}

// SetRoles replaces the (non-administrative) roles of target; the caller
// (package roles) has checked the delegation.
func (s *Service) SetRoles(ctx context.Context, target string, roleIDs []string) (*User, error) {
	return s.users.Update(ctx, target, func(u *User) (string, time.Time, error) {
		u.Roles = roleIDs
		return u.Institution, time.Time{}, nil
	})
}

// SetDisabled disables or enables an account (system administrator).
func (s *Service) SetDisabled(ctx context.Context, actor *User, target string, disabled bool) (*User, error) {
	if actor == nil || !actor.Admin.Has(ManageUsers) || actor.ID == target {
		return nil, fmt.Errorf("%w: cannot change this account", ErrForbidden)
	}
	return s.users.Update(ctx, target, func(u *User) (string, time.Time, error) {
		u.Disabled = disabled
		return u.Institution, time.Time{}, nil
	})
}

// Unlock clears a lockout (security administrator).
func (s *Service) Unlock(ctx context.Context, actor *User, target string) (*User, error) {
	if actor == nil || !actor.Admin.Has(ManagePolicy) {
		return nil, fmt.Errorf("%w: only the security administrator unlocks accounts", ErrForbidden)
	}
	return s.users.Update(ctx, target, func(u *User) (string, time.Time, error) {
		u.Failures, u.LockedUntil = 0, time.Time{}
		return u.Institution, time.Time{}, nil
	})
}

// SetPassword changes the password of id after checking the policy. The
// caller has authenticated the user (old password) or is a system
// administrator resetting it (then mustChange is set).
func (s *Service) SetPassword(ctx context.Context, id, password string, mustChange bool) error {
	if err := s.policy.CheckPassword(id, password); err != nil {
		return err
	}
	h, err := s.policy.Argon2.Hash(password)
	if err != nil {
		return err
	}
	_, err = s.users.Update(ctx, id, func(u *User) (string, time.Time, error) {
		if ok, _ := VerifyPassword(u.Hash, password); ok && !mustChange {
			return "", time.Time{}, fmt.Errorf("%w: the new password must differ from the old", ErrWeakPassword)
		}
		u.Hash, u.PasswordSet, u.MustChange = h, s.now(), mustChange
		return u.Institution, time.Time{}, nil
	})
	return err
}

// BeginTOTP starts (or restarts) TOTP enrolment and returns the secret to
// show; the factor is active once ConfirmTOTP accepts a first code.
func (s *Service) BeginTOTP(ctx context.Context, id string) (TOTP, error) {
	secret := NewTOTPSecret()
	_, err := s.users.Update(ctx, id, func(u *User) (string, time.Time, error) {
		if u.TOTPActive {
			return "", time.Time{}, fmt.Errorf("%w: a second factor is already enrolled", ErrForbidden)
		}
		u.TOTPSecret, u.TOTPStep = secret, 0
		return u.Institution, time.Time{}, nil
	})
	return TOTP{Secret: secret}, err
}

// ConfirmTOTP activates the pending factor if code is valid now.
func (s *Service) ConfirmTOTP(ctx context.Context, id, code string) error {
	_, err := s.users.Update(ctx, id, func(u *User) (string, time.Time, error) {
		if len(u.TOTPSecret) == 0 {
			return "", time.Time{}, ErrMFAEnrol
		}
		step, ok := TOTP{Secret: u.TOTPSecret}.Verify(code, s.now(), u.TOTPStep)
		if !ok {
			return "", time.Time{}, ErrMFABad
		}
		u.TOTPActive, u.TOTPStep = true, step
		return u.Institution, time.Time{}, nil
	})
	return err
}

// Login is the outcome of a successful Authenticate.
type Login struct {
	User *User
	// EnrolTOTP: the account must enrol a second factor before anything
	// else (an administrator's first login); ChangePassword: the password
	// expired or was reset.
	EnrolTOTP      bool
	ChangePassword bool
}

// Authenticate checks a password and, where the account has or needs one,
// a TOTP code. Every failure counts towards the lockout; MaxFailures in a
// row lock the account for LockoutFor. An administrator without an enrolled
// factor gets a Login with EnrolTOTP set: the caller must complete
// enrolment before granting anything.
func (s *Service) Authenticate(ctx context.Context, id, password, code string) (*Login, error) {
	now := s.now()
	u, _, err := s.users.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		VerifyPassword(s.dummyHash, password) // same cost as a real account
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, ErrDisabled
	}
	if now.Before(u.LockedUntil) {
		return nil, ErrLocked
	}
	ok, err := VerifyPassword(u.Hash, password)
	if err != nil {
		return nil, err
	}
	var fail error
	var step int64
	switch {
	case !ok:
		fail = ErrBadCredentials
	case u.TOTPActive && code == "":
		// Password right, factor missing: not a failure yet, ask for it.
		return nil, ErrMFARequired
	case u.TOTPActive:
		var good bool
		if step, good = (TOTP{Secret: u.TOTPSecret}).Verify(code, now, u.TOTPStep); !good {
			fail = ErrMFABad
		}
	}
	var out *User
	out, err = s.users.Update(ctx, id, func(u *User) (string, time.Time, error) {
		if fail != nil {
			u.Failures++
			if u.Failures >= s.policy.MaxFailures {
				u.LockedUntil, u.Failures = now.Add(s.policy.LockoutFor), 0
			}
			return u.Institution, time.Time{}, nil
		}
		if step != 0 {
			if step <= u.TOTPStep { // a concurrent login used this code
				return "", time.Time{}, ErrMFABad
			}
			u.TOTPStep = step
		}
		u.Failures, u.LastLogin = 0, now
		return u.Institution, time.Time{}, nil
	})
	if err != nil {
		return nil, err
	}
	if fail != nil {
		return nil, fail
	}
	l := &Login{User: out}
	l.EnrolTOTP = out.Admin != NoAdmin && !out.TOTPActive
	l.ChangePassword = out.MustChange || (s.policy.MaxAge > 0 && now.Sub(out.PasswordSet) > s.policy.MaxAge)
	return l, nil
}

// Session is a login session of the authorization pages (login, consent,
// patient picker); it ends after the policy's idle timeout.
type Session struct {
	ID       string    `json:"id"`
	User     string    `json:"user"`
	Created  time.Time `json:"created"`
	LastSeen time.Time `json:"lastSeen"`
	// Complete is false while a step is outstanding (TOTP enrolment,
	// password change): such a session can only finish that step.
	Complete bool `json:"complete"`
}

// StartSession creates a session for user.
func (s *Service) StartSession(ctx context.Context, user string, complete bool) (*Session, error) {
	var b [24]byte
	rand.Read(b[:])
	now := s.now()
	ss := &Session{ID: hex.EncodeToString(b[:]), User: user, Created: now, LastSeen: now, Complete: complete}
	if _, err := s.sessions.Put(ctx, ss.ID, "", ss, now.Add(s.policy.IdleTimeout), 0); err != nil {
		return nil, err
	}
	return ss, nil
}

// Touch returns the live session id and extends it; an idle one is gone
// (ErrSessionExpired).
func (s *Service) Touch(ctx context.Context, id string) (*Session, error) {
	now := s.now()
	ss, err := s.sessions.Update(ctx, id, func(ss *Session) (string, time.Time, error) {
		if now.Sub(ss.LastSeen) >= s.policy.IdleTimeout {
			return "", time.Time{}, ErrSessionExpired
		}
		ss.LastSeen = now
		return "", now.Add(s.policy.IdleTimeout), nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrSessionExpired
	}
	return ss, err
}

// CompleteSession marks the outstanding step of a session done.
func (s *Service) CompleteSession(ctx context.Context, id string) error {
	now := s.now()
	_, err := s.sessions.Update(ctx, id, func(ss *Session) (string, time.Time, error) {
		ss.Complete, ss.LastSeen = true, now
		return "", now.Add(s.policy.IdleTimeout), nil
	})
	return err
}

// EndSession logs out.
func (s *Service) EndSession(ctx context.Context, id string) error { return s.sessions.Delete(ctx, id) }
