package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		modify  func(*Config)
		wantErr string // substring; "" means valid
		wantDSN string
	}{
		{name: "defaults", modify: func(*Config) {}, wantDSN: "sqlite:data/yigong.db"},
		{name: "postgres dsn", modify: func(c *Config) { c.Store.DSN = "postgres://u@h/db" }, wantDSN: "postgres://u@h/db"},
		{name: "bad dsn", modify: func(c *Config) { c.Store.DSN = "mysql://x" }, wantErr: "store.dsn"},
		{name: "bad addr", modify: func(c *Config) { c.HTTP.Addr = "8080" }, wantErr: "http.addr"},
		{name: "relative base url", modify: func(c *Config) { c.HTTP.BaseURL = "/fhir" }, wantErr: "http.base_url"},
		{name: "bad level", modify: func(c *Config) { c.Log.Level = "loud" }, wantErr: "log.level"},
		{name: "every problem reported", modify: func(c *Config) { c.Log.Level = "x"; c.HTTP.Addr = "y" }, wantErr: "log.level"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := DefaultConfig()
			tt.modify(&c)
			err := c.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				if c.Store.DSN != tt.wantDSN {
					t.Errorf("DSN = %q, want %q", c.Store.DSN, tt.wantDSN)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate() = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestConfigFileAndEnv(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("data: /var/lib/yigong\nhttp:\n  addr: 0.0.0.0:9090\n"), 0o600)
	typo := filepath.Join(dir, "typo.yaml")
	os.WriteFile(typo, []byte("http:\n  adress: 0.0.0.0:9090\n"), 0o600)
	empty := filepath.Join(dir, "empty.yaml")
	os.WriteFile(empty, nil, 0o600)

	c := DefaultConfig()
	if err := c.LoadConfigFile(good); err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "/var/lib/yigong" || c.HTTP.Addr != "0.0.0.0:9090" || c.Log.Level != "info" {
		t.Errorf("after file: %+v", c)
	}
	env := map[string]string{EnvHTTPAddr: "127.0.0.1:1", EnvStore: "postgres://x/y"}
	c.ApplyEnv(func(k string) string { return env[k] })
	if c.HTTP.Addr != "127.0.0.1:1" || c.Store.DSN != "postgres://x/y" || c.DataDir != "/var/lib/yigong" {
		t.Errorf("after env: %+v", c)
	}
	c = DefaultConfig()
	if err := c.LoadConfigFile(typo); err == nil || !strings.Contains(err.Error(), "adress") {
		t.Errorf("misspelt key: err = %v, want it named", err)
	}
	c = DefaultConfig()
	if err := c.LoadConfigFile(empty); err != nil {
		t.Errorf("empty file: %v", err)
	}
}
