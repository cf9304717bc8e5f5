// Command yigong is the county medical alliance's interoperability hub: one
// binary with subcommands.
//
//	yigong serve [flags]        start the hub (FHIR REST; MLLP and DICOM as they land)
//	yigong check-config FILE    validate a configuration file and exit
//	yigong fhirpath -r RES.json EXPR
//	yigong import [--url URL | --store DSN] PATH...
//	yigong empi relink [--url URL | --store DSN]
//	yigong reindex [--url URL] [--type A,B]
//	yigong bench fhir [flags]
//	yigong version
//
// main parses the command line and hands a Config to server.New; everything
// else lives in the packages.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// Set by the Makefile with -ldflags -X; see buildInfo for the fallback.
var (
	version   = ""
	commit    = ""
	buildDate = ""
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands lists every subcommand compiled into the binary, in one place.
func commands() []command {
	return []command{
		{"serve", "start the hub", cmdServe},
		{"check-config", "validate a configuration file", cmdCheckConfig},
		{"fhirpath", "evaluate a FHIRPath expression on a resource", cmdFHIRPath},
		{"audit", "audit trail: 'audit verify' checks the hash chain", cmdAudit},
		{"token", "get an access token for the demo backend client (for curl)", cmdToken},
		{"hl7", "HL7 v2: 'hl7 stats' prints counts per sender and message type", cmdHL7},
		{"import", "load Bundles and NDJSON over HTTP or into a store", cmdImport},
		{"empi", "patient index: 'empi relink' re-matches every Patient (on a running hub with --url)", cmdEMPI},
		{"reindex", "re-index resources on a running hub with the current search parameters", cmdReindex},
		{"bench", "run a benchmark suite: bench fhir, bench dicom", cmdBenchSuite},
		{"version", "print version, commit and build date", cmdVersion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// errUsage marks a usage error: exit status 2.
var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range cmds {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			fmt.Fprintf(stderr, "yigong %s: %v\n", c.name, err)
			return 2
		default:
			fmt.Fprintf(stderr, "yigong %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "yigong: unknown command %q\n\n", args[0])
	usage(stderr, cmds)
	return 2
}

func usage(w io.Writer, cmds []command) {
	fmt.Fprintln(w, "usage: yigong <command> [flags]")
	fmt.Fprintln(w)
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].name < cmds[j].name })
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-14s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'yigong <command> -h' for a command's flags.")
}
