package audit_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"yigong/fhir/store"
	"yigong/fhir/store/sqlite"
	"yigong/server/audit"
	"yigong/server/auth/authtest"
)

func record(t testing.TB, log store.AuditLog, h audit.Hash, n int) *audit.Recorder {
	t.Helper()
	ctx := context.Background()
	r, err := audit.Start(ctx, audit.Options{Log: log, Hash: h, Logger: slog.New(slog.DiscardHandler), Observer: "yigong-test"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		ev := audit.Event{Action: audit.Read, Outcome: audit.Success, Agent: "doctor", AgentType: "user", Institution: "th-01",
			Address: "10.0.0.7", Resource: fmt.Sprintf("Observation/%d", i), Patient: "p1"}
		if i%3 == 0 {
			ev = audit.Event{Action: audit.Query, Outcome: audit.Success, Agent: "his", AgentType: "client", Institution: "county",
				Query: "Observation?patient=p1&category=laboratory"}
		}
		if err := r.Record(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// TestChain: for both engines and both hashes, events recorded then closed
// are all there (a clean shutdown loses nothing) and the chain verifies.
func TestChain(t *testing.T) {
	t.Parallel()
	for _, eng := range authtest.Engines() {
		for _, h := range []audit.Hash{audit.SM3, audit.SHA256} {
			t.Run(eng.Name+"/"+string(h), func(t *testing.T) {
				t.Parallel()
				st := eng.Open(t)
				r := record(t, st, h, 1000)
				if err := r.Close(context.Background()); err != nil {
					t.Fatal(err)
				}
				if s := r.Stats(); s.Recorded != 1000 {
					t.Fatalf("stats %+v", s)
				}
				rep, err := audit.Verify(context.Background(), st, h)
				if err != nil || rep.Broken != nil || rep.Checked != 1000 {
					t.Fatalf("%+v %v", rep, err)
				}
				// A restarted recorder continues the chain.
				r2 := record(t, st, h, 10)
				r2.Close(context.Background())
				if rep, _ := audit.Verify(context.Background(), st, h); rep.Broken != nil || rep.Checked != 1010 {
					t.Fatalf("after restart: %+v", rep)
				}
				// The other hash reports the chain broken at its first entry.
				other := audit.SHA256
				if h == audit.SHA256 {
					other = audit.SM3
				}
				if rep, _ := audit.Verify(context.Background(), st, other); rep.Broken == nil || rep.Broken.Seq != 1 {
					t.Fatalf("wrong hash: %+v", rep)
				}
				if _, err := st.ScanAudit(context.Background(), 0, 1); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// TestTamper modifies, deletes and reorders rows behind the hub's back
// (as a DBA could, after dropping the append-only trigger) and expects
// Verify to name the first broken entry.
func TestTamper(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		sql    []string
		broken int64
		reason string
	}{
		{"modify outcome", []string{`UPDATE audit_events SET outcome = '8' WHERE seq = 40`}, 40, "modified"},
		{"modify event", []string{`UPDATE audit_events SET event = CAST(REPLACE(CAST(event AS TEXT), 'doctor', 'nobody') AS BLOB) WHERE seq = 41`}, 41, "modified"},
		{"delete", []string{`DELETE FROM audit_events WHERE seq = 50`}, 50, "missing"},
		{"delete last-but-one keeps seq dense by renumbering", []string{`DELETE FROM audit_events WHERE seq = 60`,
			`UPDATE audit_events SET seq = seq - 1 WHERE seq > 60`}, 60, "prev_hash"},
		{"reorder", []string{`UPDATE audit_events SET seq = -1 WHERE seq = 70`, `UPDATE audit_events SET seq = 70 WHERE seq = 71`,
			`UPDATE audit_events SET seq = 71 WHERE seq = -1`}, 70, "prev_hash"},
		{"rehash one entry (no key)", []string{`UPDATE audit_events SET hash = X'00' WHERE seq = 80`}, 80, "modified"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "yigong.db")
			db, err := sqlite.Open(context.Background(), path, sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			r := record(t, db, audit.SM3, 100)
			r.Close(context.Background())
			raw, err := sql.Open("sqlite", "file:"+path)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			if _, err := raw.Exec(`UPDATE audit_events SET outcome = '4' WHERE seq = 1`); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Fatalf("the trigger must refuse updates: %v", err)
			}
			if _, err := raw.Exec(`DROP TRIGGER audit_events_no_update`); err != nil {
				t.Fatal(err)
			}
			for _, q := range tc.sql {
				if _, err := raw.Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			rep, err := audit.Verify(context.Background(), db, audit.SM3)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Broken == nil || rep.Broken.Seq != tc.broken || !strings.Contains(rep.Broken.Reason, tc.reason) {
				t.Fatalf("got %+v, want break at %d (%s)", rep.Broken, tc.broken, tc.reason)
			}
		})
	}
}

func TestRetention(t *testing.T) {
	t.Parallel()
	st := authtest.SQLite(t)
	ctx := context.Background()
	now := time.Now()
	r, _ := audit.Start(ctx, audit.Options{Log: st, Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return now }})
	for i := range 10 {
		r.Record(ctx, audit.Event{Action: audit.Login, Outcome: audit.Success, Agent: "u", Time: now.Add(-time.Duration(200-i*10) * 24 * time.Hour)})
	}
	r.Close(ctx)
	if _, err := audit.Purge(ctx, st, 90*24*time.Hour, now); err == nil {
		t.Fatal("retention under 180 days accepted")
	}
	n, err := audit.Purge(ctx, st, 180*24*time.Hour, now)
	if err != nil || n != 2 { // 200 and 190 days old
		t.Fatalf("purge: %d %v", n, err)
	}
	if rep, err := audit.Verify(ctx, st, audit.SM3); err != nil || rep.Broken != nil || rep.First != 3 || rep.Checked != 8 {
		t.Fatalf("after purge: %+v %v", rep, err)
	}
}

func TestAuditEventShape(t *testing.T) {
	t.Parallel()
	ev := audit.Event{Action: audit.Query, Outcome: audit.MinorFailure, Agent: "doctor", AgentType: "user", Address: "10.1.2.3",
		Query: "Observation?patient=p1", Client: "app", Detail: "forbidden"}
	s := string(ev.AuditEvent(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)))
	for _, want := range []string{`"resourceType":"AuditEvent"`, `"action":"E"`, `"outcome":"4"`, `"address":"10.1.2.3"`,
		`"query":"T2JzZXJ2YXRpb24/cGF0aWVudD1wMQ=="`, `"code":"search-type"`, `"value":"app"`} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %s in %s", want, s)
		}
	}
}

// BenchmarkRecord measures the cost of auditing one request: Record's
// latency on the request path and the throughput of the batched appender
// (events/s through to a committed SQLite transaction).
func BenchmarkRecord(b *testing.B) {
	for _, h := range []audit.Hash{audit.SM3, audit.SHA256} {
		b.Run(string(h), func(b *testing.B) {
			st := authtest.SQLite(b)
			ctx := context.Background()
			r, _ := audit.Start(ctx, audit.Options{Log: st, Hash: h, Logger: slog.New(slog.DiscardHandler)})
			ev := audit.Event{Action: audit.Read, Outcome: audit.Success, Agent: "doctor", AgentType: "user", Institution: "th-01",
				Address: "10.0.0.7", Resource: "Observation/123", Patient: "p1"}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				r.Record(ctx, ev)
			}
			r.Close(ctx)
			b.StopTimer()
			s := r.Stats()
			b.ReportMetric(float64(s.Recorded)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(s.AppendTime.Microseconds())/float64(max(s.Recorded, 1)), "append-µs/event")
		})
	}
}
