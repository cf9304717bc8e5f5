package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"yigong/fhir/search"
	"yigong/server"
	svcempi "yigong/server/empi"
	"yigong/server/jobs"
)

// cmdEMPI runs the EMPI's commands:
//
//	yigong empi relink --url URL [--token T] [--workers N]
//	yigong empi relink [--store DSN | --config FILE] [--workers N]
//
// relink re-evaluates every current Patient: matches all of them, makes
// sure each person of several records has a master Patient linking them,
// and queues borderline pairs as review Tasks, showing its progress (load,
// match, write) on stderr. It is idempotent.
//
// With --url it runs as a job inside the running hub (POST
// /admin/empi/relink, the system administrator's right), on the hub's own
// EMPI service, which pauses its incremental matching meanwhile; the
// command follows the job (GET /admin/jobs/{id}) and Ctrl-C cancels it.
// Without --url it opens the store itself: stop the hub first, since two
// writers of masters could both create one for a new person.
func cmdEMPI(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "relink" {
		fmt.Fprintln(stderr, "usage: yigong empi relink [--url URL [--token T] | --store DSN] [--workers N]")
		return fmt.Errorf("%w: empi needs a subcommand (relink)", errUsage)
	}
	fs := flag.NewFlagSet("empi relink", flag.ContinueOnError)
	fs.SetOutput(stderr)
	build := configFlags(fs)
	hub := hubFlags(fs)
	workers := fs.Int("workers", 0, "matching goroutines (0: one per CPU)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	storeSet := false
	fs.Visit(func(f *flag.Flag) { storeSet = storeSet || f.Name == "store" })
	if *hub.url != "" {
		if storeSet {
			return fmt.Errorf("%w: --url and --store exclude each other", errUsage)
		}
		return relinkRemote(ctx, hub, build, *workers, stdout, stderr)
	}
	cfg, err := build()
	if err != nil {
		return err
	}
	base := cfg.HTTP.BaseURL
	if base == "" {
		base = "http://" + cfg.HTTP.Addr + "/fhir"
	}
	ix, err := search.NewIndexer(search.Options{BaseURL: base})
	if err != nil {
		return err
	}
	st, err := server.OpenStore(ctx, cfg.Store.DSN, ix)
	if err != nil {
		return err
	}
	defer st.Close()
	svc, err := svcempi.New(st, svcempi.Options{Institution: cfg.Institution, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	pd := newJobDisplay(stderr)
	res, err := svc.Relink(ctx, *workers, func(p svcempi.Progress) {
		pd.draw(jobs.Snapshot{State: jobs.Running, Phase: p.Phase, Done: p.Done, Total: p.Total}, p.Total > 0 && p.Done == p.Total)
	})
	pd.finish()
	if err != nil {
		return err
	}
	writeRelinkSummary(stdout, relinkSummary{Patients: res.Patients, Links: res.Links, Clusters: res.Clusters,
		Created: res.Created, Updated: res.Updated, Reviews: res.Reviews, Conflicts: res.Conflicts,
		LoadMS: res.Load.Milliseconds(), MatchMS: res.Match.Milliseconds(), WriteMS: res.Write.Milliseconds()})
	return nil
}

// relinkSummary is a relink's result (the job result of the hub's relink).
type relinkSummary struct {
	Patients  int   `json:"patients"`
	Links     int   `json:"links"`
	Clusters  int   `json:"clusters"`
	Created   int   `json:"created"`
	Updated   int   `json:"updated"`
	Reviews   int   `json:"reviews"`
	Conflicts int   `json:"conflicts"`
	LoadMS    int64 `json:"load_ms"`
	MatchMS   int64 `json:"match_ms"`
	WriteMS   int64 `json:"write_ms"`
}

func writeRelinkSummary(w io.Writer, r relinkSummary) {
	ms := func(n int64) time.Duration { return time.Duration(n) * time.Millisecond }
	fmt.Fprintf(w, "relinked %d patients in %s (load %s, match %s, write %s)\n", r.Patients,
		ms(r.LoadMS+r.MatchMS+r.WriteMS), ms(r.LoadMS), ms(r.MatchMS), ms(r.WriteMS))
	fmt.Fprintf(w, "%d automatic links, %d persons with several records: %d masters created, %d extended; %d review tasks queued",
		r.Links, r.Clusters, r.Created, r.Updated, r.Reviews)
	if r.Conflicts > 0 {
		fmt.Fprintf(w, "; %d persons span several existing masters (review them)", r.Conflicts)
	}
	fmt.Fprintln(w)
}

// relinkRemote starts the relink job on a running hub and follows it.
func relinkRemote(ctx context.Context, hub hubTarget, build func() (server.Config, error), workers int, stdout, stderr io.Writer) error {
	rc, err := hub.client(build)
	if err != nil {
		return err
	}
	u := rc.root + "/admin/empi/relink"
	if workers > 0 {
		u += "?workers=" + strconv.Itoa(workers)
	}
	var result relinkSummary
	_, err = rc.followJob(ctx, u, stderr, func(status int, body []byte) (jobs.Snapshot, bool, error) {
		if status != http.StatusOK {
			return jobs.Snapshot{}, false, fmt.Errorf("job status %d: %s", status, clip(string(body), 300))
		}
		var s struct {
			jobs.Snapshot
			Result json.RawMessage `json:"result"`
		}
		if err := json.Unmarshal(body, &s); err != nil {
			return jobs.Snapshot{}, false, fmt.Errorf("job status: %w", err)
		}
		snap := s.Snapshot
		snap.ETA = time.Duration(snap.ETASeconds * float64(time.Second))
		snap.Elapsed = time.Duration(snap.ElapsedSeconds * float64(time.Second))
		switch snap.State {
		case jobs.Failed:
			return snap, true, fmt.Errorf("the relink job failed: %s", snap.Error)
		case jobs.Cancelled:
			return snap, true, errors.New("the relink job was cancelled")
		case jobs.Done:
			if err := json.Unmarshal(s.Result, &result); err != nil {
				return snap, true, fmt.Errorf("relink result: %w", err)
			}
			return snap, true, nil
		}
		return snap, false, nil
	})
	if err != nil {
		return fmt.Errorf("empi relink: %w", err)
	}
	writeRelinkSummary(stdout, result)
	return nil
}
