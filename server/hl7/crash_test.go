package hl7_test

import (
	"context"
	"encoding/json"
	"os"
	"sort"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"yigong/server/servertest"
)

// TestCrashSafety builds yigong, drives ADT/ORU messages from several
// connections into `yigong serve` (SQLite), kill -9s it mid-load, restarts
// it on the same data folder, re-sends what was not acknowledged, and
// checks: every acknowledged message is in the inbox and processed, the
// re-sent ones are recognised, and no Patient exists twice.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and sends thousands of messages")
	}
	t.Parallel()
	// The default keeps the suite near a minute on a loaded 2-core box;
	// YIGONG_CRASH_MESSAGES=10000 is the acceptance run.
	total, conns, patients := 3000, 5, 150
	if n, err := strconv.Atoi(os.Getenv("YIGONG_CRASH_MESSAGES")); err == nil && n > 0 {
		total = n
	}
	perConn := total / conns
	total = perConn * conns
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	bin := servertest.Build(t, ctx)
	data := t.TempDir()
	srv := servertest.StartProcess(t, ctx, bin, data, "http", "mllp")

	var acked atomic.Int64
	killed := make(chan struct{})
	go func() {
		defer close(killed)
		for acked.Load() < int64(total/2) && ctx.Err() == nil {
			time.Sleep(5 * time.Millisecond) // polling the counter
		}
		srv.Kill()
	}()
	t0 := time.Now()
	first := runLoad(ctx, srv.Addr("mllp"), conns, perConn, generated(patients), nil, 0, &acked)
	<-killed
	t.Logf("phase 1: %d messages acknowledged in %v before kill -9", len(first.acked), time.Since(t0).Round(time.Millisecond))
	if len(first.acked) == 0 || len(first.acked) >= total {
		t.Fatalf("the kill did not land mid-load (%d of %d acknowledged)", len(first.acked), total)
	}

	srv = servertest.StartProcess(t, ctx, bin, data, "http", "mllp")
	defer srv.Stop(t)
	// Re-send from the first unacknowledged message of each connection:
	// the one in flight at the kill may have been committed already.
	second := runLoad(ctx, srv.Addr("mllp"), conns, perConn, generated(patients), first.next, 0, &acked)
	all := append(first.acked, second.acked...)
	if len(all) != total {
		t.Fatalf("%d of %d messages acknowledged after the restart", len(all), total)
	}
	base := "http://" + srv.Addr("http")
	st := waitDrained(t, base, int64(total), 3*time.Minute)
	stored, _, processed, errored := st.totals()
	var dups int64
	for _, r := range st.Inbox {
		dups += r.Duplicates
	}
	t.Logf("drained after %v: stored %d, processed %d, errored %d, duplicates recognised after restart %d",
		time.Since(t0).Round(time.Millisecond), stored, processed, errored, dups)
	if stored != int64(total) || processed != int64(total) || errored != 0 {
		t.Errorf("inbox: stored %d processed %d errored %d, want %d processed", stored, processed, errored, total)
	}

	// Every acknowledged control ID is in the inbox, done.
	done := map[string]bool{}
	var after int64
	for {
		var page struct {
			Messages []inboxItem `json:"messages"`
		}
		getJSON(t, base+"/admin/hl7/messages?limit=1000&after="+itoa(after), &page)
		if len(page.Messages) == 0 {
			break
		}
		for _, m := range page.Messages {
			if m.State == "done" {
				done[m.Meta.ControlID] = true
			}
		}
		after = page.Messages[len(page.Messages)-1].ID
	}
	missing := 0
	for _, ctl := range all {
		if !done[ctl] {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d acknowledged messages are not processed in the inbox", missing)
	}

	// No Patient twice: map each identifier to the ids holding it, over
	// the type history.
	holders := map[string]map[string]bool{}
	next := base + "/fhir/Patient/_history?_count=1000"
	for next != "" {
		var b struct {
			Link []struct {
				Relation, URL string
			} `json:"link"`
			Entry []struct {
				Resource json.RawMessage `json:"resource"`
			} `json:"entry"`
		}
		getJSON(t, next, &b)
		for _, e := range b.Entry {
			var p struct {
				ID         string `json:"id"`
				Identifier []struct {
					System, Value string
				} `json:"identifier"`
			}
			if json.Unmarshal(e.Resource, &p) != nil {
				continue
			}
			for _, id := range p.Identifier {
				k := id.System + "|" + id.Value
				if holders[k] == nil {
					holders[k] = map[string]bool{}
				}
				holders[k][p.ID] = true
			}
		}
		next = ""
		for _, l := range b.Link {
			if l.Relation == "next" {
				next = l.URL
			}
		}
	}
	if len(holders) != conns*patients {
		t.Errorf("%d patient identifiers, want %d", len(holders), conns*patients)
	}
	var dup []string
	for k, ids := range holders {
		if len(ids) > 1 {
			dup = append(dup, k)
		}
	}
	sort.Strings(dup)
	if len(dup) > 0 {
		t.Errorf("%d identifiers held by more than one Patient, e.g. %v", len(dup), dup[:min(5, len(dup))])
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
