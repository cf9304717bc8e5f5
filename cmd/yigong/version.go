package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"yigong/server"
)

// buildInfo returns the version, commit and build date stamped by the
// Makefile, falling back to what the Go toolchain recorded (module version,
// vcs.revision, vcs.time) for a plain `go build` or `go run`.
func buildInfo() server.BuildInfo {
	bi := server.BuildInfo{Version: version, Commit: commit, BuildDate: buildDate}
	if info, ok := debug.ReadBuildInfo(); ok {
		if bi.Version == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			bi.Version = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				if bi.Commit == "" {
					bi.Commit = s.Value
					if len(bi.Commit) > 12 {
						bi.Commit = bi.Commit[:12]
					}
				}
			case "vcs.time":
				if bi.BuildDate == "" {
					bi.BuildDate = s.Value
				}
			}
		}
	}
	if bi.Version == "" {
		bi.Version = "dev"
	}
	if bi.Commit == "" {
		bi.Commit = "unknown"
	}
	if bi.BuildDate == "" {
		bi.BuildDate = "unknown"
	}
	return bi
}

func cmdVersion(_ context.Context, args []string, stdout, _ io.Writer) error {
	if len(args) > 0 {
		return fmt.Errorf("%w: version takes no arguments", errUsage)
	}
	bi := buildInfo()
	fmt.Fprintf(stdout, "yigong %s\ncommit %s\nbuilt %s\n%s %s/%s\n",
		bi.Version, bi.Commit, bi.BuildDate, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
