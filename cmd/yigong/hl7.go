package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"
)

// cmdHL7 is `yigong hl7 stats`: the HL7 v2 counts of a running hub, per
// sender and message type, read from GET /admin/hl7/stats.
func cmdHL7(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "stats" {
		return fmt.Errorf("%w: hl7 stats [--url URL] [--token T] [--json]", errUsage)
	}
	fs := flag.NewFlagSet("hl7 stats", flag.ContinueOnError)
	fs.SetOutput(stderr)
	build := configFlags(fs)
	hub := hubFlags(fs)
	asJSON := fs.Bool("json", false, "print the raw JSON")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	rc, err := hub.client(build)
	if err != nil {
		return err
	}
	resp, body, err := rc.do(ctx, http.MethodGet, rc.root+"/admin/hl7/stats", nil)
	if err != nil {
		return fmt.Errorf("hl7 stats: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("hl7 stats: %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	if *asJSON {
		_, err := stdout.Write(body)
		return err
	}
	var st struct {
		Since time.Time `json:"since"`
		Inbox []struct {
			Sender, Institution                   string
			Type                                  string `json:"message_type"`
			Received, Acked, Duplicates, Rejected int64
			NotMapped                             int64 `json:"not_mapped"`
			Stored, Queued, Processed, Errored    int64
			LastError                             string `json:"last_error"`
		} `json:"inbox"`
		Outbox []struct {
			Destination  string
			Type         string `json:"message_type"`
			Queued, Sent int64
			Dead         int64  `json:"dead_letter"`
			LastError    string `json:"last_error"`
		} `json:"outbox"`
		P50   float64  `json:"ack_latency_p50_ms"`
		P99   float64  `json:"ack_latency_p99_ms"`
		Notes []string `json:"notes"`
	}
	if err := json.Unmarshal(body, &st); err != nil {
		return fmt.Errorf("hl7 stats: %w", err)
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "SENDER\tTYPE\tRECEIVED\tACKED\tDUPLICATE\tREJECTED\tQUEUED\tPROCESSED\tNOT MAPPED\tERRORED\tLAST ERROR\t")
	for _, r := range st.Inbox {
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t\n", r.Sender, r.Type, r.Received, r.Acked, r.Duplicates,
			r.Rejected, r.Queued, r.Processed, r.NotMapped, r.Errored, clip(r.LastError, 60))
	}
	w.Flush()
	if len(st.Outbox) > 0 {
		fmt.Fprintln(stdout)
		w = tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(w, "DESTINATION\tTYPE\tQUEUED\tSENT\tDEAD LETTER\tLAST ERROR\t")
		for _, r := range st.Outbox {
			fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%s\t\n", r.Destination, r.Type, r.Queued, r.Sent, r.Dead, clip(r.LastError, 60))
		}
		w.Flush()
	}
	fmt.Fprintf(stdout, "\nreceived/acked/duplicate/rejected/not mapped since %s; ACK latency p50 %.1f ms, p99 %.1f ms\n",
		st.Since.Format(time.RFC3339), st.P50, st.P99)
	for _, n := range st.Notes {
		fmt.Fprintln(stdout, "note:", n)
	}
	return nil
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
