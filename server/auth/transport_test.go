package auth_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"yigong/server"
	"yigong/server/servertest"
)

// The transport and limits of issue 4 §6 and the first-run rule of §7, on
// whole hubs.

func TestDevModeOnlyOnLoopback(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		addr string
		ok   bool
	}{{"127.0.0.1:0", true}, {"[::1]:0", true}, {"localhost:0", true}, {"0.0.0.0:8080", false}, {":8080", false}, {"10.1.2.3:8080", false}} {
		cfg := server.DefaultConfig()
		cfg.HTTP.Addr = tc.addr
		cfg.Security.Mode = "dev"
		_, err := server.New(cfg, slog.New(slog.DiscardHandler), server.BuildInfo{})
		if (err == nil) != tc.ok {
			t.Errorf("dev mode on %s: err = %v, want ok = %v", tc.addr, err, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "loopback") {
			t.Errorf("dev mode on %s: %v does not say why", tc.addr, err)
		}
	}
}

func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "yigong test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	kb, _ := x509.MarshalECPrivateKey(key)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestTLS(t *testing.T) {
	t.Parallel()
	certFile, keyFile, pool := selfSigned(t)
	h := servertest.Start(t, servertest.SMART, func(c *server.Config) { c.HTTP.TLSCert, c.HTTP.TLSKey = certFile, keyFile })
	if !strings.HasPrefix(h.BaseURL(), "https://") {
		t.Fatalf("base URL %s", h.BaseURL())
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := hc.Get(h.BaseURL() + "/.well-known/smart-configuration")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"token_endpoint":"https://`) {
		t.Fatalf("over TLS: %d %s", resp.StatusCode, body)
	}
	if resp, err := http.Get(h.URL("/fhir/metadata")); err == nil { // plain HTTP to the TLS port
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Fatal("plain HTTP is served on a TLS listener")
		}
	}
}

func TestCORSAllowlist(t *testing.T) {
	t.Parallel()
	h := servertest.Start(t, servertest.SMART, func(c *server.Config) { c.Security.CORS = []string{"https://app.example.cn"} })
	for _, tc := range []struct {
		name, method, path, origin string
		status                     int
		allow                      bool
	}{
		{"preflight allowed", "OPTIONS", "/fhir/Patient", "https://app.example.cn", 204, true},
		{"preflight refused", "OPTIONS", "/fhir/Patient", "https://evil.example", 403, false},
		{"metadata allowed", "GET", "/fhir/metadata", "https://app.example.cn", 200, true},
		{"metadata other origin", "GET", "/fhir/metadata", "https://evil.example", 200, false},
		{"token endpoint allowed", "POST", "/auth/token", "https://app.example.cn", 400, true},
		{"401 carries CORS", "GET", "/fhir/Patient", "https://app.example.cn", 401, true},
	} {
		req, _ := http.NewRequest(tc.method, h.URL(tc.path), nil)
		req.Header.Set("Origin", tc.origin)
		if tc.method == "OPTIONS" {
			req.Header.Set("Access-Control-Request-Method", "GET")
			req.Header.Set("Access-Control-Request-Headers", "authorization")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got := resp.Header.Get("Access-Control-Allow-Origin")
		if resp.StatusCode != tc.status || (got == tc.origin) != tc.allow || got == "*" {
			t.Errorf("%s: %d, Access-Control-Allow-Origin %q; want %d, allowed %v", tc.name, resp.StatusCode, got, tc.status, tc.allow)
		}
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	h := servertest.Start(t, func(c *server.Config) { c.Security.RateLimit = 2 }) // bursts of 4
	limited := 0
	for range 12 {
		resp, err := http.Get(h.URL("/fhir/Patient?_count=1"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests {
			limited++
			if resp.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
		}
	}
	if limited < 5 { // 12 requests in well under a second: at most 4 + 2/s pass
		t.Fatalf("%d of 12 requests limited at 2/s", limited)
	}
	if resp, _ := http.Get(h.URL("/healthz")); resp == nil || resp.StatusCode != 200 {
		t.Error("health is rate limited")
	}
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	h := servertest.Start(t, func(c *server.Config) { c.Security.MaxBody = 1024 })
	big := `{"resourceType":"Patient","name":[{"family":"` + strings.Repeat("王", 600) + `"}]}`
	small := `{"resourceType":"Patient","name":[{"family":"王"}]}`
	for _, tc := range []struct {
		name    string
		body    string
		chunked bool
		want    int
	}{{"small", small, false, 201}, {"large", big, false, 413}, {"large chunked", big, true, 413}} {
		var rd io.Reader = strings.NewReader(tc.body)
		if tc.chunked {
			rd = io.MultiReader(rd) // hides the length: sent chunked
		}
		req, _ := http.NewRequest("POST", h.URL("/fhir/Patient"), rd)
		req.Header.Set("Content-Type", "application/fhir+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, resp.StatusCode, out, tc.want)
		}
	}
}
