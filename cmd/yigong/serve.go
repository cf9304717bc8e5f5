package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"strings"

	"yigong/server"
)

// configFlags registers the flags shared by commands that build a Config and
// returns a function that assembles it: defaults, then the file, then the
// environment, then flags that were set.
func configFlags(fs *flag.FlagSet) func() (server.Config, error) {
	file := fs.String("config", "", "YAML configuration `file`")
	data := fs.String("data", "", "data `folder` (embedded store, blobs); default ./data")
	addr := fs.String("http", "", "HTTP listen `address`; default 127.0.0.1:8080")
	base := fs.String("base-url", "", "public FHIR base `URL`; default http://ADDR/fhir")
	dsn := fs.String("store", "", "store `DSN`: sqlite:PATH or postgres://...; default SQLite in the data folder")
	level := fs.String("log-level", "", "log `level`: debug, info, warn, error")
	mllp := fs.String("mllp", "", "HL7 v2 MLLP listen `address` (replaces the configured listeners; off disables); default 127.0.0.1:2575")
	dimse := fs.String("dicom", "", "DICOM DIMSE listen `address` (off disables); default 127.0.0.1:11112")
	return func() (server.Config, error) {
		cfg := server.DefaultConfig()
		if *file != "" {
			if err := cfg.LoadConfigFile(*file); err != nil {
				return cfg, err
			}
		}
		cfg.ApplyEnv(os.Getenv)
		for _, f := range []struct {
			dst *string
			val string
		}{{&cfg.DataDir, *data}, {&cfg.HTTP.Addr, *addr}, {&cfg.HTTP.BaseURL, *base}, {&cfg.Store.DSN, *dsn}, {&cfg.Log.Level, *level}} {
			if f.val != "" {
				*f.dst = f.val
			}
		}
		if *mllp != "" {
			cfg.SetMLLPAddr(*mllp)
		}
		if *dimse != "" {
			cfg.SetDICOMAddr(*dimse)
		}
		return cfg, cfg.Validate()
	}
}

func cmdServe(ctx context.Context, args []string, _, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	build := configFlags(fs)
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to `file` (for `go tool pprof`)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("serve: cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("serve: cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	cfg, err := build()
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log, stderr)
	bi := buildInfo()
	log.Info("starting yigong", "version", bi.Version, "commit", bi.Commit, "data", cfg.DataDir)
	srv, err := server.New(cfg, log, bi)
	if err != nil {
		return err
	}
	return srv.Run(ctx)
}

func cmdCheckConfig(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("check-config", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: check-config FILE", errUsage)
	}
	cfg := server.DefaultConfig()
	if err := cfg.LoadConfigFile(fs.Arg(0)); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: ok\n", fs.Arg(0))
	return nil
}

func newLogger(c server.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(strings.ToUpper(c.Level)))
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
