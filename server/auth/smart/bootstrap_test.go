package smart_test

import (
	"bytes"
	"context"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"yigong/server/auth/smart"
)

func TestBootstrap(t *testing.T) {
	t.Parallel()
	h := start(t) // already has "doctor": bootstrap must not run
	var out bytes.Buffer
	key := filepath.Join(t.TempDir(), "auth", "demo-backend.jwk")
	b := smart.Bootstrap{Institution: "county", KeyPath: key, Out: &out}
	if done, err := b.Run(context.Background(), h.srv); err != nil || done {
		t.Fatalf("bootstrap over existing accounts: %v %v", done, err)
	}
	h2 := startEmpty(t)
	if done, err := b.Run(context.Background(), h2.srv); err != nil || !done {
		t.Fatalf("%v %v", done, err)
	}
	for _, want := range []string{"sysadmin", "secadmin", "auditadmin", "yigong token"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	a, err := smart.ClientAssertion(key, "demo-backend", h2.http.URL+"/auth/token")
	if err != nil {
		t.Fatal(err)
	}
	st, resp := h2.tokenReq(t, url.Values{"grant_type": {"client_credentials"}, "scope": {"system/Patient.rs"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {a}})
	if st != 200 || resp["access_token"] == nil {
		t.Fatalf("%d %v", st, resp)
	}
}
