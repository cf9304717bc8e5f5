package server

import (
	"errors"
	"fmt"
	"time"

	"yigong/server/audit"
	"yigong/server/auth"
)

// Security configures authentication, authorization and the audit trail
// (packages server/auth/... and server/audit).
type Security struct {
	// Mode is "smart" (default: bearer tokens from the built-in
	// authorization server on every FHIR, DICOMweb and admin request) or
	// "dev" (no authentication, every request allowed: refused unless
	// http.addr is a loopback address).
	Mode string `yaml:"mode"`
	// Issuer is the public base of /auth (default: the scheme and host of
	// the FHIR base URL).
	Issuer string `yaml:"issuer"`
	// AccessTTL and RefreshTTL are token lifetimes (1h, 720h).
	AccessTTL  time.Duration `yaml:"access_ttl"`
	RefreshTTL time.Duration `yaml:"refresh_ttl"`
	Password   Password      `yaml:"password"`
	Audit      AuditConfig   `yaml:"audit"`
	// CORS lists the origins allowed to call the API from a browser
	// (SMART apps); empty: none.
	CORS []string `yaml:"cors"`
	// RateLimit is requests per second per client id (0: none); MaxBody
	// caps request bodies in bytes (0: 32 MiB).
	RateLimit float64 `yaml:"rate_limit"`
	MaxBody   int64   `yaml:"max_body"`
	// DemoClient registers the public client "demo" (redirect
	// http://127.0.0.1:9090/callback) on first start; default true.
	DemoClient *bool `yaml:"demo_client"`
}

// Password is the password and session policy (accounts.Policy).
type Password struct {
	MinLength   int           `yaml:"min_length"`   // 12
	MinClasses  int           `yaml:"min_classes"`  // 3
	MaxAge      time.Duration `yaml:"max_age"`      // 2160h (90 days)
	MaxFailures int           `yaml:"max_failures"` // 5
	LockoutFor  time.Duration `yaml:"lockout"`      // 15m
	IdleTimeout time.Duration `yaml:"idle_timeout"` // 15m
}

// AuditConfig configures the audit trail.
type AuditConfig struct {
	Hash      string        `yaml:"hash"`      // sm3 (default) or sha256
	Retention time.Duration `yaml:"retention"` // default and floor: 4320h (180 days)
}

// validate checks the section against the HTTP listen address.
func (s *Security) validate(httpAddr string) error {
	var errs []error
	switch s.Mode {
	case "", "smart":
	case "dev":
		if err := auth.CheckDevMode(httpAddr); err != nil {
			errs = append(errs, fmt.Errorf("security.mode: %w", err))
		}
	default:
		errs = append(errs, fmt.Errorf("security.mode %q: want smart or dev", s.Mode))
	}
	switch s.Audit.Hash {
	case "", "sm3", "sha256":
	default:
		errs = append(errs, fmt.Errorf("security.audit.hash %q: want sm3 or sha256", s.Audit.Hash))
	}
	if s.Audit.Retention != 0 && s.Audit.Retention < audit.RetentionFloor {
		errs = append(errs, fmt.Errorf("security.audit.retention %v: at least %v", s.Audit.Retention, audit.RetentionFloor))
	}
	if s.RateLimit < 0 || s.MaxBody < 0 {
		errs = append(errs, errors.New("security: rate_limit and max_body must not be negative"))
	}
	return errors.Join(errs...)
}
