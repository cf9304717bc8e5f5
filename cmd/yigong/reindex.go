package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"yigong/server/jobs"
)

// cmdReindex is `yigong reindex`: it starts a reindex job on a running hub
// (POST [base]/$reindex with Prefer: respond-async), follows it on the
// status URL the hub answers with, drawing its progress on stderr, and
// fails if the job fails. A reindex job already running is followed
// instead of started twice. Ctrl-C cancels the job.
//
//	yigong reindex [--url http://host/fhir] [--token T] [--type Patient,Observation]
func cmdReindex(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("reindex", flag.ContinueOnError)
	fs.SetOutput(stderr)
	build := configFlags(fs)
	hub := hubFlags(fs)
	types := fs.String("type", "", "comma-separated resource `types` (default: all)")
	batch := fs.Int("batch", 0, "resources per transaction (default: the hub's, 100)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: reindex takes no arguments (--type names the types)", errUsage)
	}
	rc, err := hub.client(build)
	if err != nil {
		return err
	}
	q := url.Values{}
	if *types != "" {
		q.Set("_type", *types)
	}
	if *batch > 0 {
		q.Set("batch", strconv.Itoa(*batch))
	}
	u := rc.fhirBase() + "/$reindex"
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	snap, err := rc.followJob(ctx, u, stderr, parseReindexStatus)
	if err != nil {
		return fmt.Errorf("reindex: %w", err)
	}
	fmt.Fprintf(stdout, "reindexed %d resources in %s\n", snap.Done, snap.Elapsed.Round(time.Millisecond))
	return nil
}

// statusParser reads a job status answer: its snapshot, whether the job is
// finished, and the error a failed or cancelled job ends with.
type statusParser func(status int, body []byte) (snap jobs.Snapshot, final bool, err error)

// followJob POSTs to start (a job start), or follows the job of that kind
// already running (409 with Content-Location), polling its status URL and
// drawing its progress on w until it ends. On ctx's end it cancels the job.
func (r *remoteHub) followJob(ctx context.Context, start string, w io.Writer, parse statusParser) (jobs.Snapshot, error) {
	resp, body, err := r.do(ctx, http.MethodPost, start, map[string]string{"Prefer": "respond-async"})
	if err != nil {
		return jobs.Snapshot{}, err
	}
	loc := resp.Header.Get("Content-Location")
	switch {
	case resp.StatusCode == http.StatusConflict && loc != "":
		fmt.Fprintf(w, "a job is already running on the hub: following it (%s)\n", loc)
	case resp.StatusCode != http.StatusAccepted || loc == "":
		return jobs.Snapshot{}, answerError(resp, body)
	}
	status, err := resolve(start, loc)
	if err != nil {
		return jobs.Snapshot{}, err
	}
	d := newJobDisplay(w)
	defer d.finish()
	t := time.NewTicker(r.poll)
	defer t.Stop()
	for {
		resp, body, err := r.do(ctx, http.MethodGet, status, nil)
		if err != nil {
			if ctx.Err() != nil {
				return jobs.Snapshot{}, r.cancel(status, w)
			}
			return jobs.Snapshot{}, err
		}
		snap, final, err := parse(resp.StatusCode, body)
		if err != nil {
			if resp.StatusCode >= 400 && resp.StatusCode != http.StatusNotFound && resp.StatusCode < 500 {
				return jobs.Snapshot{}, answerError(resp, body)
			}
			return snap, err
		}
		d.draw(snap, final)
		if final {
			return snap, nil
		}
		select {
		case <-ctx.Done():
			return snap, r.cancel(status, w)
		case <-t.C:
		}
	}
}

// cancel asks the hub to cancel the job (DELETE on its status URL).
func (r *remoteHub) cancel(status string, w io.Writer) error {
	ctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	resp, body, err := r.do(ctx, http.MethodDelete, status, nil)
	if err != nil {
		return fmt.Errorf("interrupted; cancelling the job failed: %w", err)
	}
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("interrupted; cancelling the job failed: %w", answerError(resp, body))
	}
	fmt.Fprintln(w)
	return errors.New("interrupted: the job was cancelled")
}

func resolve(base, ref string) (string, error) {
	b, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	u, err := b.Parse(ref)
	if err != nil {
		return "", fmt.Errorf("status URL %q: %w", ref, err)
	}
	return u.String(), nil
}

// answerError describes an unexpected answer: the diagnostics of an
// OperationOutcome, the error of an admin JSON answer, or the status.
func answerError(resp *http.Response, body []byte) error {
	var v struct {
		Error string `json:"error"`
		Issue []struct {
			Diagnostics string `json:"diagnostics"`
		} `json:"issue"`
	}
	msg := strings.TrimSpace(string(body))
	if json.Unmarshal(body, &v) == nil {
		var parts []string
		for _, is := range v.Issue {
			parts = append(parts, is.Diagnostics)
		}
		if v.Error != "" {
			parts = append(parts, v.Error)
		}
		if len(parts) > 0 {
			msg = strings.Join(parts, "; ")
		}
	}
	hint := ""
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		hint = " (give --token, or set YIGONG_TOKEN)"
	case http.StatusForbidden:
		hint = " (the token lacks the permission)"
	}
	return fmt.Errorf("%s %s: %s%s", resp.Request.Method, resp.Status, clip(msg, 300), hint)
}

// parseReindexStatus reads [base]/$reindex/{id}: 202 and a Parameters
// while running, 200 and a Parameters when done, 500 and an
// OperationOutcome if failed, 404 once cancelled.
func parseReindexStatus(status int, body []byte) (jobs.Snapshot, bool, error) {
	switch status {
	case http.StatusOK, http.StatusAccepted:
	case http.StatusNotFound, http.StatusInternalServerError:
		return jobs.Snapshot{}, true, errors.New(outcomeText(body))
	default:
		return jobs.Snapshot{}, false, fmt.Errorf("status %d: %s", status, outcomeText(body))
	}
	var p struct {
		Parameter []map[string]any `json:"parameter"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return jobs.Snapshot{}, false, fmt.Errorf("job status: %w", err)
	}
	var s jobs.Snapshot
	for _, e := range p.Parameter {
		var v any
		for k, x := range e {
			if strings.HasPrefix(k, "value") {
				v = x
			}
		}
		str, _ := v.(string)
		num, _ := v.(float64)
		switch e["name"] {
		case "id":
			s.ID = str
		case "kind":
			s.Kind = str
		case "state":
			s.State = jobs.State(str)
		case "phase":
			s.Phase = str
		case "done":
			s.Done = int64(num)
		case "total":
			s.Total = int64(num)
		case "rate":
			s.Rate = num
		case "eta":
			s.ETA = time.Duration(num * float64(time.Second))
		case "elapsed":
			s.Elapsed = time.Duration(num * float64(time.Second))
		case "error":
			s.Error = str
		}
	}
	return s, status == http.StatusOK, nil
}

func outcomeText(body []byte) string {
	var v struct {
		Issue []struct {
			Diagnostics string `json:"diagnostics"`
		} `json:"issue"`
	}
	if json.Unmarshal(body, &v) == nil && len(v.Issue) > 0 {
		return v.Issue[0].Diagnostics
	}
	return clip(strings.TrimSpace(string(body)), 300)
}

// jobDisplay draws a job's progress: a bar redrawn in place on a terminal,
// a line every few seconds otherwise (as progressBar does for imports).
type jobDisplay struct {
	w      io.Writer
	tty    bool
	period time.Duration
	width  int
	start  time.Time

	mu    sync.Mutex
	last  time.Time
	drawn bool
}

func newJobDisplay(w io.Writer) *jobDisplay {
	d := &jobDisplay{w: w, tty: isTerminal(w), period: 5 * time.Second, width: 30, start: time.Now()}
	if d.tty {
		d.period = 200 * time.Millisecond
	}
	return d
}

// line renders one progress line.
func (d *jobDisplay) line(s jobs.Snapshot) string {
	var sb strings.Builder
	if d.tty {
		n := 0
		if s.Total > 0 {
			n = int(min(1, float64(s.Done)/float64(s.Total)) * float64(d.width))
		}
		sb.WriteString("[" + strings.Repeat("#", n) + strings.Repeat("-", d.width-n) + "] ")
	}
	sb.WriteString(s.Line())
	elapsed := s.Elapsed
	if elapsed == 0 {
		elapsed = time.Since(d.start)
	}
	fmt.Fprintf(&sb, "  %s", elapsed.Round(100*time.Millisecond))
	return sb.String()
}

// draw shows s unless the last line is recent; final always draws.
func (d *jobDisplay) draw(s jobs.Snapshot, final bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !final && time.Since(d.last) < d.period && !d.last.IsZero() {
		return
	}
	d.last = time.Now()
	if d.tty {
		fmt.Fprintf(d.w, "\r\033[K%s", d.line(s))
		d.drawn = true
		return
	}
	fmt.Fprintln(d.w, d.line(s))
}

// finish ends the redrawn line.
func (d *jobDisplay) finish() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.drawn {
		fmt.Fprintln(d.w)
		d.drawn = false
	}
}
