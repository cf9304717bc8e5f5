package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	fhirstore "yigong/fhir/store"
	"yigong/server"

	"yigong/fhir/search"
	"yigong/server/audit"
)

// cmdAudit runs the audit trail's offline commands:
//
//	yigong audit verify [--config FILE | --store DSN] [--hash sm3|sha256]
//
// verify walks the hash chain from the retention anchor and prints the first
// broken link (exit status 1) or the number of entries checked.
func cmdAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(stderr, "usage: yigong audit verify [--store DSN] [--hash sm3|sha256]")
		return fmt.Errorf("%w: audit needs a subcommand (verify)", errUsage)
	}
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	build := configFlags(fs)
	hash := fs.String("hash", "sm3", "chain hash: sm3 or sha256")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	cfg, err := build()
	if err != nil {
		return err
	}
	ix, err := search.NewIndexer(search.Options{BaseURL: "http://localhost/fhir"})
	if err != nil {
		return err
	}
	st, err := server.OpenStore(ctx, cfg.Store.DSN, ix)
	if err != nil {
		return err
	}
	defer st.Close()
	log, ok := st.(fhirstore.AuditLog)
	if !ok {
		return errors.New("audit: this store keeps no audit trail")
	}
	rep, err := audit.Verify(ctx, log, audit.Hash(*hash))
	if err != nil {
		return err
	}
	if rep.Broken != nil {
		fmt.Fprintf(stdout, "BROKEN at entry %d: %s (%d entries before it verified)\n", rep.Broken.Seq, rep.Broken.Reason, rep.Checked)
		return fmt.Errorf("audit: chain broken at entry %d", rep.Broken.Seq)
	}
	fmt.Fprintf(stdout, "ok: %d entries verified (%d..%d, %s)\n", rep.Checked, rep.First, rep.Last, *hash)
	return nil
}
