package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"yigong/server/hl7"
)

// Config is the whole configuration of a hub: plain data, filled from
// defaults, then a YAML file, then environment variables, then flags, and
// validated once at start.
type Config struct {
	// DataDir is the local data folder: the embedded store and the blob
	// store live here unless configured elsewhere.
	DataDir string `yaml:"data"`
	// Institution owns what the hub stores until access control assigns
	// each caller its own: the partition key of every resource written.
	Institution string `yaml:"institution"`
	HTTP        HTTP   `yaml:"http"`
	Store       Store  `yaml:"store"`
	Log         Log    `yaml:"log"`
	// MLLP is HL7 v2 over MLLP: listeners, per-sender settings, the
	// v2 → FHIR mapping and subscriptions (see package server/hl7).
	MLLP hl7.Config `yaml:"mllp"`
	// DICOM is the DIMSE listener, AEs, routing (see package server/dicom);
	// Blobs the blob store of instances.
	DICOM DICOM `yaml:"dicom"`
	Blobs Blobs `yaml:"blobs"`
	// EMPI configures the master patient index (empi.go).
	EMPI EMPI `yaml:"empi"`
	ECG  ECG  `yaml:"ecg"` // the ECG intake (see package server/ecg)
	// Security is authentication (SMART tokens or loopback-only
	// development mode), the audit trail and the HTTP limits
	// (config_security.go).
	Security Security `yaml:"security"`
}

// HTTP configures the HTTP listener (FHIR REST, later DICOMweb and the console).
type HTTP struct {
	Addr    string `yaml:"addr"`     // listen address, e.g. "127.0.0.1:8080"; port 0 picks a free port
	BaseURL string `yaml:"base_url"` // public base of the FHIR API; default http://<addr>/fhir (https:// with TLS)
	// TLSCert and TLSKey are PEM files; when both are set the listener
	// serves HTTPS only.
	TLSCert string `yaml:"tls_cert"`
	TLSKey  string `yaml:"tls_key"`
}

// FHIRBase is the public base of the FHIR API: BaseURL, else
// http(s)://addr/fhir (https when TLS is configured). addr is the listen
// address, or the address actually bound.
func (h HTTP) FHIRBase(addr string) string {
	if h.BaseURL != "" {
		return h.BaseURL
	}
	scheme := "http://"
	if h.TLSCert != "" {
		scheme = "https://"
	}
	return scheme + addr + "/fhir"
}

// Store selects the resource store.
type Store struct {
	// DSN is "sqlite:PATH", a "postgres://..." URL, or "" for SQLite in the data folder.
	DSN string `yaml:"dsn"`
}

// Log configures logging.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text or json
}

// DefaultConfig is the configuration `make run` uses: loopback HTTP on port
// 8080, SQLite in ./data.
func DefaultConfig() Config {
	return Config{
		DataDir:     "./data",
		Institution: "default",
		HTTP:        HTTP{Addr: "127.0.0.1:8080"},
		Log:         Log{Level: "info", Format: "text"},
		MLLP:        hl7.Config{Listeners: []hl7.Listener{{Addr: hl7.DefaultAddr}}},
		DICOM:       DICOM{Addr: "127.0.0.1:11112", AETitle: "YIGONG"},
		EMPI:        EMPI{Enabled: true},
		Security:    DefaultSecurity(),
	}
}

// LoadConfigFile overlays the YAML file at path onto c. Unknown keys are an
// error, so that a misspelt setting stops the start instead of being ignored.
func (c *Config) LoadConfigFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("server: read config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) { // an empty file is fine
		return fmt.Errorf("server: config %s: %w", path, err)
	}
	return nil
}

// Environment variables read by [Config.ApplyEnv].
const (
	EnvData     = "YIGONG_DATA"
	EnvHTTPAddr = "YIGONG_HTTP_ADDR"
	EnvBaseURL  = "YIGONG_BASE_URL"
	EnvStore    = "YIGONG_STORE"
	EnvLogLevel = "YIGONG_LOG_LEVEL"
	// EnvMLLPAddr replaces the MLLP listeners by one on this address
	// ("off" disables MLLP).
	EnvMLLPAddr = "YIGONG_MLLP_ADDR"
	// EnvDICOMAddr is the DIMSE listen address ("off" disables DIMSE).
	EnvDICOMAddr = "YIGONG_DICOM_ADDR"
	// EnvSecurityMode is security.mode: smart or dev (loopback only).
	EnvSecurityMode = "YIGONG_SECURITY_MODE"
	// EnvTLSCert and EnvTLSKey are http.tls_cert and http.tls_key.
	EnvTLSCert = "YIGONG_TLS_CERT"
	EnvTLSKey  = "YIGONG_TLS_KEY"
)

// ApplyEnv overlays the YIGONG_* variables that getenv reports as set.
func (c *Config) ApplyEnv(getenv func(string) string) {
	set := func(dst *string, key string) {
		if v := getenv(key); v != "" {
			*dst = v
		}
	}
	set(&c.DataDir, EnvData)
	set(&c.HTTP.Addr, EnvHTTPAddr)
	set(&c.HTTP.BaseURL, EnvBaseURL)
	set(&c.Store.DSN, EnvStore)
	set(&c.Log.Level, EnvLogLevel)
	set(&c.Security.Mode, EnvSecurityMode)
	set(&c.HTTP.TLSCert, EnvTLSCert)
	set(&c.HTTP.TLSKey, EnvTLSKey)
	if v := getenv(EnvMLLPAddr); v != "" {
		c.SetMLLPAddr(v)
	}
	if v := getenv(EnvDICOMAddr); v != "" {
		c.SetDICOMAddr(v)
	}
}

// SetDICOMAddr sets the DIMSE listen address; "off" disables the listener.
func (c *Config) SetDICOMAddr(addr string) {
	if addr == "off" {
		addr = ""
	}
	c.DICOM.Addr = addr
}

// SetMLLPAddr replaces the MLLP listeners by one on addr; "off" removes
// them (no HL7 v2 intake).
func (c *Config) SetMLLPAddr(addr string) {
	if addr == "off" {
		c.MLLP.Listeners = nil
		return
	}
	c.MLLP.Listeners = []hl7.Listener{{Addr: addr}}
}

// Validate checks the configuration and fills derived defaults. It reports
// every problem at once.
func (c *Config) Validate() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("data: must not be empty"))
	}
	if c.Institution == "" {
		errs = append(errs, errors.New("institution: must not be empty"))
	}
	if _, _, err := net.SplitHostPort(c.HTTP.Addr); err != nil {
		errs = append(errs, fmt.Errorf("http.addr %q: %w", c.HTTP.Addr, err))
	}
	if c.HTTP.BaseURL != "" {
		u, err := url.Parse(c.HTTP.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("http.base_url %q: want an absolute http(s) URL", c.HTTP.BaseURL))
		}
	}
	switch dsn := c.Store.DSN; {
	case dsn == "":
		c.Store.DSN = "sqlite:" + filepath.Join(c.DataDir, "yigong.db")
	case strings.HasPrefix(dsn, "sqlite:"), strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
	default:
		errs = append(errs, fmt.Errorf("store.dsn %q: want sqlite:PATH or postgres://...", dsn))
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log.level %q: want debug, info, warn or error", c.Log.Level))
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("log.format %q: want text or json", c.Log.Format))
	}
	if err := c.MLLP.Validate(c.Institution); err != nil {
		errs = append(errs, err)
	}
	if err := c.ECG.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.DICOM.validate(); err != nil {
		errs = append(errs, err)
	}
	if (c.HTTP.TLSCert == "") != (c.HTTP.TLSKey == "") {
		errs = append(errs, errors.New("http.tls_cert and http.tls_key: set both or neither"))
	}
	if err := c.Security.validate(c.HTTP.Addr); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("server: invalid config: %w", errors.Join(errs...))
	}
	return nil
}
