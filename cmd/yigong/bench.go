package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"yigong/server/bulkload"
)

// cmdBenchSuite runs a benchmark suite: `yigong bench fhir` here, every
// other suite (`yigong bench dicom`) through cmdBench.
func cmdBenchSuite(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "fhir" {
		return benchFHIR(ctx, args[1:], stdout, stderr)
	}
	if len(args) == 0 {
		return fmt.Errorf("%w: yigong bench fhir|dicom [flags]", errUsage)
	}
	return cmdBench(ctx, args, stdout, stderr)
}

// benchOptions are the flags of `yigong bench fhir`.
type benchOptions struct {
	engines []string // sqlite, postgres
	scales  []int    // 1, 10: multiples of the corpus
	clients []int    // concurrent HTTP clients for ingest
	url     string   // an existing hub instead of in-process ones
	corpus  string
	pg      string
	queries int
	budget  time.Duration // per search shape and scale
	reads   int
	out     string
	// cpuProfile, if set, receives a CPU profile of each engine's
	// ingest runs (FILE.sqlite, FILE.postgres).
	cpuProfile string
	// keep leaves the measured hub's store in place (for EXPLAIN).
	keep bool
	// auditOff runs the in-process hubs without the audit trail, to
	// measure what auditing costs (--audit=off).
	auditOff bool
}

func parseBenchFlags(args []string, stderr io.Writer) (*benchOptions, error) {
	fs := flag.NewFlagSet("bench fhir", flag.ContinueOnError)
	fs.SetOutput(stderr)
	engines := fs.String("store", "both", "store engines: sqlite, postgres or both")
	scales := fs.String("scale", "1,10", "data sizes as multiples of the corpus (re-identified copies)")
	clients := fs.String("clients", "1,4,8", "concurrent ingest clients")
	o := &benchOptions{}
	fs.StringVar(&o.url, "url", "", "FHIR base `URL` of a running hub to measure instead of in-process hubs")
	fs.StringVar(&o.corpus, "corpus", defaultCorpus(), "folder of Synthea transaction Bundles")
	fs.StringVar(&o.pg, "pg", os.Getenv("YIGONG_TEST_POSTGRES"), "PostgreSQL server `DSN` (a fresh schema is made and dropped)")
	fs.IntVar(&o.queries, "queries", 50, "queries per search shape")
	fs.DurationVar(&o.budget, "budget", 20*time.Second, "time per search shape and scale, after at least 5 queries")
	fs.IntVar(&o.reads, "reads", 1000, "reads by id")
	fs.StringVar(&o.out, "out", "", "also write the Markdown report to `FILE`")
	fs.BoolVar(&o.keep, "keep", false, "keep the store of the last hub measured and print where it is")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the 1× ingest runs to `FILE`.ENGINE")
	auditFlag := fs.String("audit", "on", "the in-process hubs' audit trail: on, or off to measure its cost")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	switch *auditFlag {
	case "on":
	case "off":
		o.auditOff = true
	default:
		return nil, fmt.Errorf("%w: --audit %q: want on or off", errUsage, *auditFlag)
	}
	switch *engines {
	case "both":
		o.engines = []string{"sqlite", "postgres"}
	case "sqlite", "postgres":
		o.engines = []string{*engines}
	default:
		return nil, fmt.Errorf("%w: --store %q: want sqlite, postgres or both", errUsage, *engines)
	}
	var err error
	if o.scales, err = intList(*scales); err != nil {
		return nil, fmt.Errorf("%w: --scale: %v", errUsage, err)
	}
	if o.clients, err = intList(*clients); err != nil {
		return nil, fmt.Errorf("%w: --clients: %v", errUsage, err)
	}
	if o.queries < 1 || o.reads < 1 {
		return nil, fmt.Errorf("%w: --queries and --reads must be at least 1", errUsage)
	}
	return o, nil
}

// defaultCorpus is the Synthea folder of the shared corpus:
// $YIGONG_CORPUS/fhir/synthea, else ../shared/corpus/fhir/synthea.
func defaultCorpus() string {
	if d := os.Getenv("YIGONG_CORPUS"); d != "" {
		return filepath.Join(d, "fhir", "synthea")
	}
	return filepath.Join("..", "shared", "corpus", "fhir", "synthea")
}

// intList parses "1,4,8" into ascending positive integers.
func intList(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive integer", f)
		}
		if len(out) > 0 && n <= out[len(out)-1] {
			return nil, fmt.Errorf("%q: values must ascend", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// ingestResult is one measured ingest.
type ingestResult struct {
	engine    string
	clients   int
	label     string // what was loaded: "1×", "copies 2–10"
	resources int64
	elapsed   time.Duration
	peakRSS   int64 // bytes; 0 when not measured (--url)
	failed    int64
	problem   string
}

func (r ingestResult) rate() float64 { return float64(r.resources) / r.elapsed.Seconds() }

// scaleResult holds the latencies measured at one data size.
type scaleResult struct {
	engine string
	scale  int
	reads  latency
	shapes []latency // in searchShapes order
}

// benchReport is everything one run measured.
type benchReport struct {
	ingests []ingestResult
	scales  []scaleResult
}

func benchFHIR(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseBenchFlags(args, stderr)
	if err != nil {
		return err
	}
	vals, err := corpusValues(o.corpus)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "yigong-bench-copies-")
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	defer os.RemoveAll(tmp)
	rep := &benchReport{}
	logf := func(format string, a ...any) { fmt.Fprintf(stderr, "bench: "+format+"\n", a...) }
	var runErr error
	if o.url != "" {
		runErr = benchRemote(ctx, o, vals, tmp, rep, logf)
	} else {
		for _, engine := range o.engines {
			if runErr = benchEngine(ctx, o, engine, vals, tmp, rep, logf); runErr != nil {
				break // report what was measured, then the error
			}
		}
	}
	md := rep.markdown(o)
	fmt.Fprint(stdout, md)
	if o.out != "" {
		if err := os.WriteFile(o.out, []byte(md), 0o644); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
	}
	return runErr
}

// ingest loads dirs into the hub at base with clients workers, sampling RSS.
func ingest(ctx context.Context, base string, clients int, dirs []string, vals *benchValues, sampleRSS bool) (ingestResult, error) {
	l := &bulkload.Loader{Sink: bulkload.NewHTTPSink(base, clients), Workers: clients}
	if vals != nil {
		l.OnResult = func(_ string, res []bulkload.EntryResult) {
			locs := make([]string, 0, len(res))
			for _, r := range res {
				locs = append(locs, r.Location)
			}
			vals.record(locs)
		}
	}
	var stop func() int64
	if sampleRSS {
		runtime.GC()
		stop = (&rssSampler{}).start(ctx, 50*time.Millisecond)
	}
	rep, err := l.Run(ctx, dirs)
	res := ingestResult{clients: clients}
	if stop != nil {
		res.peakRSS = stop()
	}
	if err != nil {
		return res, err
	}
	res.resources, res.elapsed, res.failed = rep.Loaded, rep.Elapsed, rep.Failed
	for _, f := range rep.Files {
		if len(f.Problems) > 0 {
			res.problem = f.Problems[0].String()
			break
		}
	}
	return res, nil
}

// benchEngine measures one store engine with in-process hubs: a fresh hub
// per client count for ingest, then reads and searches on the last one at
// each scale.
func benchEngine(ctx context.Context, o *benchOptions, engine string, vals *benchValues, tmp string, rep *benchReport, logf func(string, ...any)) error {
	var hub *benchHub
	defer func() {
		if hub != nil {
			c, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			if o.keep {
				hub.srv.Shutdown(c) // stop the hub, keep its store
				logf("%s: store kept at %s", engine, hub.where)
				return
			}
			hub.cleanup(c)
		}
	}()
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile + "." + engine)
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		defer pprof.StopCPUProfile() // on an early return; a second stop is a no-op
	}
	for i, clients := range o.clients {
		if hub != nil {
			if err := hub.cleanup(ctx); err != nil {
				return err
			}
			hub = nil
		}
		h, err := startBenchHub(ctx, engine, o.pg, o.auditOff)
		if err != nil {
			return err
		}
		hub = h
		last := i == len(o.clients)-1
		var v *benchValues
		if last {
			vals.forget() // ids of another engine's hub
			v = vals      // the last hub is measured: keep its ids
		}
		logf("%s: ingest the corpus with %d clients", engine, clients)
		res, err := ingest(ctx, hub.base, clients, []string{o.corpus}, v, true)
		if err != nil {
			return err
		}
		res.engine, res.label = engine, "1×"
		logf("%s: %d clients: %d resources in %s = %.0f/s, peak RSS %d MiB, %d failed",
			engine, clients, res.resources, res.elapsed.Round(time.Millisecond), res.rate(), res.peakRSS>>20, res.failed)
		rep.ingests = append(rep.ingests, res)
	}
	if o.cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	loaded := 1
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2}}
	for _, scale := range o.scales {
		if scale > loaded {
			dir := filepath.Join(tmp, fmt.Sprintf("copies-%d-%d", loaded, scale))
			if _, err := os.Stat(dir); err != nil { // written once, shared by the engines
				logf("write re-identified copies %d..%d", loaded+1, scale)
				if err := writeCopies(o.corpus, dir, loaded, scale); err != nil {
					return err
				}
			}
			clients := o.clients[len(o.clients)-1]
			res, err := ingest(ctx, hub.base, clients, []string{dir}, nil, true)
			if err != nil {
				return err
			}
			res.engine, res.label = engine, fmt.Sprintf("copies %d–%d (to %d×)", loaded+1, scale, scale)
			logf("%s: to %d×: %d resources in %s = %.0f/s", engine, scale, res.resources, res.elapsed.Round(time.Millisecond), res.rate())
			rep.ingests = append(rep.ingests, res)
			loaded = scale
		}
		rep.scales = append(rep.scales, measureScale(ctx, client, hub.base, engine, scale, vals, o, logf))
	}
	return nil
}

// benchRemote measures a running hub: one ingest per client count, each of
// a fresh re-identified copy, then reads and searches at the size reached.
func benchRemote(ctx context.Context, o *benchOptions, vals *benchValues, tmp string, rep *benchReport, logf func(string, ...any)) error {
	base := strings.TrimRight(o.url, "/")
	for i, clients := range o.clients {
		dir := o.corpus
		if i > 0 {
			dir = filepath.Join(tmp, fmt.Sprintf("copy-%d", i))
			if err := writeCopies(o.corpus, dir, i, i+1); err != nil {
				return err
			}
		}
		res, err := ingest(ctx, base, clients, []string{dir}, vals, false)
		if err != nil {
			return err
		}
		res.engine, res.label = "remote", fmt.Sprintf("copy %d", i+1)
		logf("remote: %d clients: %.0f resources/s", clients, res.rate())
		rep.ingests = append(rep.ingests, res)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2}}
	rep.scales = append(rep.scales, measureScale(ctx, client, base, "remote", len(o.clients), vals, o, logf))
	return nil
}

func measureScale(ctx context.Context, c *http.Client, base, engine string, scale int, vals *benchValues, o *benchOptions, logf func(string, ...any)) scaleResult {
	sr := scaleResult{engine: engine, scale: scale}
	vals.mu.Lock()
	refs := append([]string(nil), vals.otherReads...)
	for _, p := range vals.patients {
		refs = append(refs, "Patient/"+p)
	}
	vals.mu.Unlock()
	sr.reads = measureReads(ctx, c, base, refs, o.reads)
	if sr.reads.err != "" {
		logf("%s %d×: read: %s", engine, scale, sr.reads.err)
	} else {
		logf("%s %d×: read p50 %s ms p99 %s ms", engine, scale, fmtMS(sr.reads.p50), fmtMS(sr.reads.p99))
	}
	for _, s := range searchShapes() {
		l := measure(ctx, c, base, vals, s.path, o.queries, o.budget)
		if l.timeout {
			logf("%s %d×: %s: a query took more than %s", engine, scale, s.name, queryTimeout)
		} else if l.err != "" {
			logf("%s %d×: %s: not yet supported: %s", engine, scale, s.name, l.err)
		} else {
			logf("%s %d×: %s: p50 %s ms p99 %s ms (%.1f hits)", engine, scale, s.name, fmtMS(l.p50), fmtMS(l.p99), l.hits)
		}
		sr.shapes = append(sr.shapes, l)
	}
	return sr
}

// markdown renders the report as Markdown tables.
func (r *benchReport) markdown(o *benchOptions) string {
	var b strings.Builder
	b.WriteString("#### Ingest (Synthea transaction Bundles, POST [base] over loopback HTTP)\n\n")
	b.WriteString("| store | data | clients | resources | seconds | resources/s | peak RSS (MiB) | failed |\n|---|---|---|---|---|---|---|---|\n")
	for _, in := range r.ingests {
		rss := "n/a"
		if in.peakRSS > 0 {
			rss = strconv.FormatInt(in.peakRSS>>20, 10)
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %.1f | **%.0f** | %s | %d |\n",
			in.engine, in.label, in.clients, in.resources, in.elapsed.Seconds(), in.rate(), rss, in.failed)
	}
	for _, in := range r.ingests {
		if in.problem != "" {
			fmt.Fprintf(&b, "\nFirst problem (%s, %d clients): %s\n", in.engine, in.clients, in.problem)
		}
	}
	if len(r.scales) == 0 {
		return b.String()
	}
	fmt.Fprintf(&b, "\n#### Latency, ms p50 / p99 (one client, %d reads, up to %d queries per shape or %s after 5)\n\n", o.reads, o.queries, o.budget)
	b.WriteString("| query |")
	for _, s := range r.scales {
		fmt.Fprintf(&b, " %s %d× |", s.engine, s.scale)
	}
	b.WriteString("\n|---|")
	for range r.scales {
		b.WriteString("---|")
	}
	b.WriteString("\n| read `[type]/[id]` |")
	for _, s := range r.scales {
		fmt.Fprintf(&b, " %s |", s.reads.cell())
	}
	b.WriteString("\n")
	var unsupported []string
	for i, sh := range searchShapes() {
		fmt.Fprintf(&b, "| `%s` |", sh.name)
		for _, s := range r.scales {
			l := s.shapes[i]
			fmt.Fprintf(&b, " %s |", l.cell())
			if l.err != "" && !l.timeout {
				unsupported = append(unsupported, fmt.Sprintf("- `%s` (%s %d×): %s", sh.name, s.engine, s.scale, l.err))
			}
		}
		b.WriteString("\n")
	}
	b.WriteString("\nQueries measured, and mean hits per query (entries on the first page; the total for `_summary=count`):\n\n| query |")
	for _, s := range r.scales {
		fmt.Fprintf(&b, " %s %d× |", s.engine, s.scale)
	}
	b.WriteString("\n|---|")
	for range r.scales {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for i, sh := range searchShapes() {
		fmt.Fprintf(&b, "| `%s` |", sh.name)
		for _, s := range r.scales {
			if s.shapes[i].err != "" {
				b.WriteString(" – |")
			} else {
				fmt.Fprintf(&b, " %d × %.1f |", s.shapes[i].n, s.shapes[i].hits)
			}
		}
		b.WriteString("\n")
	}
	if len(unsupported) > 0 {
		b.WriteString("\nNot yet supported (the server's answer):\n\n" + strings.Join(unsupported, "\n") + "\n")
	}
	return b.String()
}
