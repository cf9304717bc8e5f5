package hl7_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"yigong/hl7v2"
	"yigong/hl7v2/mllp"
	"yigong/server/servertest"
)

// getJSON GETs url and decodes the JSON answer into v.
func getJSON(t testing.TB, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s", url, resp.Status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

func postJSON(t testing.TB, url string, v any) {
	t.Helper()
	resp, err := http.Post(url, "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %s %s", url, resp.Status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
}

type statsReport struct {
	Inbox []struct {
		Sender      string `json:"sender"`
		Type        string `json:"message_type"`
		Received    int64  `json:"received"`
		Acked       int64  `json:"acked"`
		Duplicates  int64  `json:"duplicates"`
		Rejected    int64  `json:"rejected"`
		NotMapped   int64  `json:"not_mapped"`
		Stored      int64  `json:"stored"`
		Queued      int64  `json:"queued"`
		Processed   int64  `json:"processed"`
		Errored     int64  `json:"errored"`
		LastError   string `json:"last_error"`
		Institution string `json:"institution"`
	} `json:"inbox"`
	AppAckUndeliverable int64 `json:"app_ack_undeliverable"`
}

func (s statsReport) totals() (stored, queued, processed, errored int64) {
	for _, r := range s.Inbox {
		stored += r.Stored
		queued += r.Queued
		processed += r.Processed
		errored += r.Errored
	}
	return
}

// waitDrained polls the stats until nothing is queued and at least want
// messages are stored, or the deadline passes.
func waitDrained(t testing.TB, baseURL string, want int64, timeout time.Duration) statsReport {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var st statsReport
	for {
		st = statsReport{}
		getJSON(t, baseURL+"/admin/hl7/stats", &st)
		stored, queued, _, _ := st.totals()
		if stored >= want && queued == 0 {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("inbox not drained after %v: %+v", timeout, st)
		}
		time.Sleep(250 * time.Millisecond) // polling with a deadline (stats count the whole queue)
	}
}

type inboxItem struct {
	ID        int64  `json:"id"`
	Partition string `json:"partition"`
	Type      string `json:"message_type"`
	State     string `json:"state"`
	Attempts  int    `json:"attempts"`
	LastError string `json:"last_error"`
	Outcome   string `json:"outcome"`
	Updated   string `json:"updated"`
	Body      []byte `json:"body"`
	Meta      struct {
		ControlID string `json:"control_id"`
	} `json:"meta"`
}

// inbox lists every inbox item (state "" = all) in id order.
func inbox(t testing.TB, hub *servertest.Hub, state string) []inboxItem {
	t.Helper()
	var all []inboxItem
	var after int64
	for {
		var page struct {
			Messages []inboxItem `json:"messages"`
		}
		getJSON(t, hub.URL(fmt.Sprintf("/admin/hl7/messages?state=%s&after=%d&limit=1000", state, after)), &page)
		if len(page.Messages) == 0 {
			return all
		}
		all = append(all, page.Messages...)
		after = page.Messages[len(page.Messages)-1].ID
	}
}

// resources reads the versions an inbox item's processing wrote (its
// outcome lists them as Type/id/_history/n) through the FHIR REST API
// (vread), by type.
func resources(t testing.TB, hub *servertest.Hub, it inboxItem) map[string][]map[string]any {
	t.Helper()
	out := map[string][]map[string]any{}
	for _, loc := range strings.Fields(it.Outcome) {
		typ, _, ok := strings.Cut(loc, "/")
		if !ok || strings.HasPrefix(loc, "(") {
			continue
		}
		var r map[string]any
		getJSON(t, hub.URL("/fhir/"+loc), &r)
		out[typ] = append(out[typ], r)
	}
	return out
}

// sendOne sends one message over a fresh connection and returns the
// parsed reply.
func sendOne(t testing.TB, addr string, msg []byte) *hl7v2.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := mllp.Dial(ctx, addr, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	reply, err := c.Send(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	ack, err := hl7v2.DecodeOptions{DefaultCharset: "GBK"}.Parse(reply)
	if err != nil {
		t.Fatalf("ACK %q: %v", reply, err)
	}
	return ack
}

func msa(ack *hl7v2.Message) (code, ctl string) {
	s := ack.Segment("MSA")
	if s == nil {
		return "", ""
	}
	return s.Field(1).String(), s.Field(2).String()
}

// path walks a decoded JSON value: path(r, "name", 0, "family").
func path(v any, steps ...any) any {
	for _, s := range steps {
		switch k := s.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}
