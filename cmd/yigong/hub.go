package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"yigong/server"
)

// The client side of the subcommands that talk to a running hub
// (`reindex`, `empi relink`, `hl7 stats`): one way to name the hub and to
// authenticate to it.

// hubTarget are the flags that name a running hub and authenticate to it.
type hubTarget struct {
	url, token *string
}

func hubFlags(fs *flag.FlagSet) hubTarget {
	return hubTarget{
		url: fs.String("url", "", "`URL` of the running hub (its FHIR base or its root); default http.base_url or http://HTTP-ADDR/fhir"),
		token: fs.String("token", os.Getenv("YIGONG_TOKEN"),
			"bearer `token` (default $YIGONG_TOKEN; `yigong token` prints one for a backend client; none in security.mode dev)"),
	}
}

// remoteHub talks to a running hub.
type remoteHub struct {
	root  string // http://host:port (no /fhir)
	token string
	hc    *http.Client
	poll  time.Duration
}

// client resolves the hub's URL: --url, or the configuration's public base
// or listen address, as `yigong token` does.
func (h hubTarget) client(build func() (server.Config, error)) (*remoteHub, error) {
	base := *h.url
	if base == "" {
		cfg, err := build()
		if err != nil {
			return nil, err
		}
		base = cfg.HTTP.FHIRBase(cfg.HTTP.Addr)
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("%w: --url %q: want http(s)://host[:port][/fhir]", errUsage, base)
	}
	root := strings.TrimSuffix(strings.TrimRight(base, "/"), "/fhir")
	return &remoteHub{root: root, token: *h.token, hc: &http.Client{Timeout: 30 * time.Second}, poll: 500 * time.Millisecond}, nil
}

func (r *remoteHub) fhirBase() string { return r.root + "/fhir" }

// do sends one request and returns the answer with its body read.
func (r *remoteHub) do(ctx context.Context, method, u string, header map[string]string) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", "application/fhir+json, application/json")
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := r.hc.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("is the hub running at %s? %w", r.root, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", method, u, err)
	}
	return resp, body, nil
}
