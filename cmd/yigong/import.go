package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"yigong/server"

	"yigong/fhir/search"
	"yigong/server/bulkload"
)

// cmdImport loads Bundles and NDJSON files into a running hub (--url) or
// straight into a store (the configured one, or --store DSN).
//
//	yigong import [--url http://host/fhir | --store DSN] [--workers N] PATH...
func cmdImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	build := configFlags(fs)
	target := fs.String("url", "", "FHIR base `URL` of a running hub (default: write straight into the store)")
	workers := fs.Int("workers", 4, "Bundles in flight")
	batch := fs.Int("batch", bulkload.DefaultBatchSize, "NDJSON resources per transaction")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: yigong import [--url http://host/fhir | --store DSN] [--workers N] PATH...")
		fmt.Fprintln(stderr, "Loads transaction, batch, collection and searchset Bundles (*.json) and NDJSON (*.ndjson, *.jsonl, .gz) from files and folders.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("%w: import needs at least one PATH", errUsage)
	}
	if *workers < 1 || *batch < 1 {
		return fmt.Errorf("%w: --workers and --batch must be at least 1", errUsage)
	}
	storeSet := false
	fs.Visit(func(f *flag.Flag) { storeSet = storeSet || f.Name == "store" })
	if *target != "" && storeSet {
		return fmt.Errorf("%w: --url and --store exclude each other", errUsage)
	}
	var sink bulkload.Sink
	if *target != "" {
		sink = bulkload.NewHTTPSink(*target, *workers)
	} else {
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
		sink = bulkload.NewStoreSink(st, ix, cfg.Institution, base)
	}
	prog := &bulkload.Progress{}
	l := &bulkload.Loader{Sink: sink, Workers: *workers, BatchSize: *batch, Progress: prog}
	stop := newProgressBar(stderr, prog).start(ctx)
	rep, err := l.Run(ctx, fs.Args())
	stop()
	if rep != nil {
		writeImportReport(stdout, rep)
	}
	if err != nil {
		return err
	}
	if !rep.OK() {
		return fmt.Errorf("%d resources failed, %d problems (listed above)", rep.Failed, rep.Problems)
	}
	return nil
}

// writeImportReport prints the totals by type and every problem, per file.
func writeImportReport(w io.Writer, rep *bulkload.Report) {
	types := make([]string, 0, len(rep.ByType))
	for t := range rep.ByType {
		types = append(types, t)
	}
	sort.Strings(types)
	var parts []string
	for _, t := range types {
		parts = append(parts, fmt.Sprintf("%s %d", t, rep.ByType[t]))
	}
	rate := 0.0
	if s := rep.Elapsed.Seconds(); s > 0 {
		rate = float64(rep.Loaded) / s
	}
	fmt.Fprintf(w, "loaded %d resources from %d files in %s (%.0f/s), %d failed\n",
		rep.Loaded, len(rep.Files), rep.Elapsed.Round(1e6), rate, rep.Failed)
	if len(parts) > 0 {
		fmt.Fprintf(w, "  %s\n", strings.Join(parts, ", "))
	}
	for _, f := range rep.Files {
		if len(f.Problems) == 0 && f.Dropped == 0 {
			continue
		}
		fmt.Fprintf(w, "%s (%s): %d loaded, %d failed\n", f.Path, f.Format, f.Loaded, f.Failed)
		for _, p := range f.Problems {
			where := p.Where
			if where == "" {
				where = "file"
			}
			fmt.Fprintf(w, "  %s:", where)
			for _, is := range p.Issues {
				fmt.Fprintf(w, " [%s] %s", is.Code, issueLine(is.Expression, is.Diagnostic))
			}
			fmt.Fprintln(w)
		}
		if f.Dropped > 0 {
			fmt.Fprintf(w, "  ... and %d more problems\n", f.Dropped)
		}
	}
}

func issueLine(expr, diag string) string {
	if expr == "" || strings.Contains(diag, expr) {
		return diag
	}
	return expr + ": " + diag
}
