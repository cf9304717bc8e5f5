package sqlite_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"yigong/fhir/store"
	"yigong/fhir/store/sqlite"
	"yigong/fhir/store/storetest"
)

// crashChildEnv makes TestCrashChild run as the writer process of
// TestCrashSafety; its value is the database path.
const crashChildEnv = "YIGONG_STORE_CRASH_CHILD"

// TestCrashChild is not a test of its own: re-executed by TestCrashSafety,
// it writes in a loop (single creates and 5-resource transactions) and
// prints "ack <id>" for each resource only after its commit returned.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashChildEnv)
	if path == "" {
		t.Skip("helper process of TestCrashSafety")
	}
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path, sqlite.Options{Indexer: storetest.Indexer()})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	in := func(i int) store.Input {
		return store.Input{Institution: "h1", Type: "Patient", JSON: storetest.Patient("王", fmt.Sprint(i))}
	}
	for i := 0; ; i++ {
		if i%10 == 9 {
			tx, err := db.Begin(ctx)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(2)
			}
			var ids []string
			for j := range 5 {
				r, err := tx.Create(ctx, in(i*10+j))
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(2)
				}
				ids = append(ids, r.ID)
			}
			if err := tx.Commit(ctx); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(2)
			}
			for _, id := range ids {
				fmt.Printf("ack %s\n", id)
			}
			continue
		}
		r, err := db.Create(ctx, in(i))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Printf("ack %s\n", r.ID)
	}
}

// TestCrashSafety kills (SIGKILL) a process writing to a SQLite store at
// arbitrary moments, then reopens the file: every resource whose commit was
// acknowledged must be there, with its outbox entry, and the outbox must
// stay dense. Three rounds write to the same file, so recovery of a
// crashed WAL is exercised twice more.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns writer processes")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	var acked []string
	for round, kills := range []int{50, 211, 433} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(out)
		n := 0
		killed := false
		deadline := time.AfterFunc(time.Minute, func() { cmd.Process.Kill() })
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				if err != io.EOF {
					t.Fatal(err)
				}
				break // a line cut short by the kill is not an acknowledgement
			}
			id, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "ack ")
			if !ok {
				continue // the test framework's own output
			}
			acked = append(acked, id)
			n++
			if n == kills && !killed {
				cmd.Process.Kill() // SIGKILL: no deferred code, no clean close
				killed = true
			}
		}
		deadline.Stop()
		cmd.Wait()
		if !killed {
			t.Fatalf("round %d: the writer stopped after %d acks before being killed: %s", round, n, stderr.String())
		}
		t.Logf("round %d: killed after %d acknowledged writes", round, n)

		db, err := sqlite.Open(context.Background(), path, sqlite.Options{})
		if err != nil {
			t.Fatalf("round %d: reopen: %v", round, err)
		}
		ctx := context.Background()
		for _, id := range acked {
			if _, err := db.Read(ctx, store.Ref{Institution: "h1", Type: "Patient", ID: id}); err != nil {
				t.Fatalf("round %d: acknowledged Patient/%s lost: %v", round, id, err)
			}
		}
		var cursor int64
		seen := map[string]bool{}
		for {
			ch, err := db.Changes(ctx, cursor, 1000)
			if err != nil {
				t.Fatal(err)
			}
			if len(ch) == 0 {
				break
			}
			for _, c := range ch {
				if c.Seq != cursor+1 {
					t.Fatalf("round %d: outbox gap after %d", round, cursor)
				}
				cursor = c.Seq
				seen[c.ID] = true
			}
		}
		for _, id := range acked {
			if !seen[id] {
				t.Fatalf("round %d: acknowledged Patient/%s has no outbox entry", round, id)
			}
		}
		db.Close()
	}
}
