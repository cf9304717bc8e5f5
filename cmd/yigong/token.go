package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"yigong/server"
	"yigong/server/auth/smart"
)

// cmdToken gets an access token for a backend service client (SMART Backend
// Services: client_credentials with a private_key_jwt client assertion) and
// prints it, so that curl can use the API:
//
//	TOKEN=$(yigong token)
//	curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/fhir/Patient
//
// By default it uses the "demo-backend" client and the private key the
// first start wrote to <data>/auth/demo-backend.jwk; the token endpoint is
// found through the server's /.well-known/smart-configuration.
func cmdToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	build := configFlags(fs)
	base := fs.String("url", "", "FHIR base `URL` of the running hub; default http.base_url or http://HTTP-ADDR/fhir")
	client := fs.String("client", "demo-backend", "backend client `id`")
	key := fs.String("key", "", "private JWK `file` of the client; default DATA/auth/demo-backend.jwk")
	scope := fs.String("scope", "system/*.cruds", "`scopes` to ask for")
	jsonOut := fs.Bool("json", false, "print the whole token response (JSON) instead of the access token")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: token takes no arguments", errUsage)
	}
	cfg, err := build()
	if err != nil {
		return err
	}
	if *key == "" {
		*key = server.DemoBackendKeyPath(cfg.DataDir)
	}
	if *base == "" {
		*base = cfg.HTTP.FHIRBase(cfg.HTTP.Addr)
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	tokenURL, err := discoverTokenURL(ctx, hc, strings.TrimSuffix(*base, "/"))
	if err != nil {
		return err
	}
	assertion, err := smart.ClientAssertion(*key, *client, tokenURL)
	if err != nil {
		return fmt.Errorf("token: %w (the first start of `yigong serve` writes the demo key; --key names another)", err)
	}
	form := smart.ClientCredentialsForm(assertion, *scope)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	var out struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return fmt.Errorf("token: %s answered %d: %w", tokenURL, resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK || out.AccessToken == "" {
		return fmt.Errorf("token: %s answered %d: %s %s", tokenURL, resp.StatusCode, out.Error, out.Description)
	}
	if *jsonOut {
		_, err = stdout.Write(append(body, '\n'))
		return err
	}
	_, err = fmt.Fprintln(stdout, out.AccessToken)
	return err
}

// discoverTokenURL reads token_endpoint from the SMART configuration.
func discoverTokenURL(ctx context.Context, hc *http.Client, base string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/.well-known/smart-configuration", nil)
	if err != nil {
		return "", fmt.Errorf("token: %w", err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("token: is the hub running at %s? %w", base, err)
	}
	defer resp.Body.Close()
	var conf struct {
		TokenEndpoint string `json:"token_endpoint"`
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("token: %s/.well-known/smart-configuration answered %d (is security.mode dev? then no token is needed)", base, resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&conf); err != nil || conf.TokenEndpoint == "" {
		return "", errors.Join(errors.New("token: no token_endpoint in the SMART configuration"), err)
	}
	return conf.TokenEndpoint, nil
}
