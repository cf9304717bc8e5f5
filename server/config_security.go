package server

import (
	"errors"
	"fmt"
	"strings"
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

// DefaultSecurity is the section's defaults: SMART mode, SM3 audit chain
// kept 180 days, 32 MiB bodies, the demo client registered on first start.
func DefaultSecurity() Security {
	return Security{Mode: "smart", Audit: AuditConfig{Hash: "sm3", Retention: audit.RetentionFloor}, MaxBody: 32 << 20}
}

// DevMode reports whether the hub runs without authentication.
func (s *Security) DevMode() bool { return s.Mode == "dev" }

// demoClient reports whether the first start registers the demo clients.
func (s *Security) demoClient() bool { return s.DemoClient == nil || *s.DemoClient }

// Password is the password and session policy (accounts.Policy).
type Password struct {
	MinLength   int           `yaml:"min_length"`   // 12
	MinClasses  int           `yaml:"min_classes"`  // 3
	MaxAge      time.Duration `yaml:"max_age"`      // 2160h (90 days)
	MaxFailures int           `yaml:"max_failures"` // 5
	LockoutFor  time.Duration `yaml:"lockout"`      // 15m
	IdleTimeout time.Duration `yaml:"idle_timeout"` // 15m
	// Argon2id cost (default RFC 9106's second option: 64 MiB, t=3, p=2);
	// lower it only for tests.
	Argon2MemoryKiB uint32 `yaml:"argon2_memory_kib"`
	Argon2Time      uint32 `yaml:"argon2_time"`
	Argon2Threads   uint8  `yaml:"argon2_threads"`
}

// AuditConfig configures the audit trail.
type AuditConfig struct {
	Hash      string        `yaml:"hash"`      // sm3 (default) or sha256
	Retention time.Duration `yaml:"retention"` // default and floor: 4320h (180 days)
	// Off runs without an audit trail: only for measuring its cost
	// (yigong bench fhir --audit=off); 等保 requires it on.
	Off bool `yaml:"off"`
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
	// Fields left empty take DefaultSecurity's values.
	def := DefaultSecurity()
	if s.Mode == "" {
		s.Mode = def.Mode
	}
	if s.Audit.Hash == "" {
		s.Audit.Hash = def.Audit.Hash
	}
	if s.Audit.Retention == 0 {
		s.Audit.Retention = def.Audit.Retention
	}
	if s.MaxBody == 0 {
		s.MaxBody = def.MaxBody
	}
	for _, o := range s.CORS {
		if !strings.HasPrefix(o, "http://") && !strings.HasPrefix(o, "https://") {
			errs = append(errs, fmt.Errorf("security.cors %q: want an origin (scheme://host[:port])", o))
		}
	}
	switch s.Audit.Hash {
	case "sm3", "sha256":
	default:
		errs = append(errs, fmt.Errorf("security.audit.hash %q: want sm3 or sha256", s.Audit.Hash))
	}
	if s.Audit.Retention != 0 && s.Audit.Retention < audit.RetentionFloor {
		errs = append(errs, fmt.Errorf("security.audit.retention %v: at least %v", s.Audit.Retention, audit.RetentionFloor))
	}
	if a := s.Password; (a.Argon2MemoryKiB != 0 || a.Argon2Time != 0 || a.Argon2Threads != 0) &&
		(a.Argon2MemoryKiB < 8*uint32(max(a.Argon2Threads, 1)) || a.Argon2Time == 0 || a.Argon2Threads == 0) {
		errs = append(errs, errors.New("security.password.argon2_*: set memory (≥ 8 KiB per thread), time and threads together"))
	}
	if s.RateLimit < 0 || s.MaxBody < 0 {
		errs = append(errs, errors.New("security: rate_limit and max_body must not be negative"))
	}
	return errors.Join(errs...)
}
