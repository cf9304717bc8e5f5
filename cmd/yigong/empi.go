package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"
	"yigong/server"

	"yigong/fhir/search"
	svcempi "yigong/server/empi"
)

// cmdEMPI runs the EMPI's offline commands:
//
//	yigong empi relink [--store DSN | --config FILE] [--workers N]
//
// relink re-evaluates every current Patient of the store: matches all of
// them, makes sure each person of several records has a master Patient
// linking them, and queues borderline pairs as review Tasks, showing its
// progress (load, match, write) on stderr. It is idempotent. Stop the hub's
// EMPI consumer (or the hub) while it runs: two writers of masters could
// both create one for a new person.
func cmdEMPI(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "relink" {
		fmt.Fprintln(stderr, "usage: yigong empi relink [--store DSN] [--workers N]")
		return fmt.Errorf("%w: empi needs a subcommand (relink)", errUsage)
	}
	fs := flag.NewFlagSet("empi relink", flag.ContinueOnError)
	fs.SetOutput(stderr)
	build := configFlags(fs)
	workers := fs.Int("workers", 0, "matching goroutines (0: one per CPU)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
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
	pd := newRelinkProgress(stderr)
	res, err := svc.Relink(ctx, *workers, pd.update)
	pd.finish()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "relinked %d patients in %s (load %s, match %s, write %s)\n", res.Patients,
		(res.Load + res.Match + res.Write).Round(time.Millisecond), res.Load.Round(time.Millisecond),
		res.Match.Round(time.Millisecond), res.Write.Round(time.Millisecond))
	fmt.Fprintf(stdout, "%d automatic links, %d persons with several records: %d masters created, %d extended; %d review tasks queued",
		res.Links, res.Clusters, res.Created, res.Updated, res.Reviews)
	if res.Conflicts > 0 {
		fmt.Fprintf(stdout, "; %d persons span several existing masters (review them)", res.Conflicts)
	}
	fmt.Fprintln(stdout)
	return nil
}

// relinkProgress draws a relink's phase and count: redrawn in place on a
// terminal, a line every 10 seconds otherwise.
type relinkProgress struct {
	w      io.Writer
	tty    bool
	mu     sync.Mutex
	last   time.Time
	start  time.Time
	period time.Duration
	drawn  bool
}

func newRelinkProgress(w io.Writer) *relinkProgress {
	p := &relinkProgress{w: w, tty: isTerminal(w), start: time.Now(), period: 10 * time.Second}
	if p.tty {
		p.period = 200 * time.Millisecond
	}
	return p
}

func (p *relinkProgress) update(pr svcempi.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.last) < p.period && !(pr.Total > 0 && pr.Done == pr.Total) {
		return
	}
	p.last = time.Now()
	line := fmt.Sprintf("%-5s %9d", pr.Phase, pr.Done)
	if pr.Total > 0 {
		line += fmt.Sprintf("/%d (%3.0f%%)", pr.Total, 100*float64(pr.Done)/float64(pr.Total))
	}
	line += fmt.Sprintf("  %s", time.Since(p.start).Round(time.Second))
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		p.drawn = true
	} else {
		fmt.Fprintln(p.w, line)
	}
}

func (p *relinkProgress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}
