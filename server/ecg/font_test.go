package ecg_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"yigong/conformance/corpus"
	"yigong/server"
	"yigong/server/servertest"
)

// TestFontOnFirstReport: the report font is read when the first report is
// rendered, not at start. A configured file that is no font lets the hub
// start, and the first report is still stored (Chinese text as "?") with
// the reason logged once.
func TestFontOnFirstReport(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join(corpus.Path(t, "ecg", "ecgtoolkit"), "Example.scp"))
	if err != nil {
		t.Fatal(err)
	}
	junk := filepath.Join(t.TempDir(), "junk.ttf")
	if err := os.WriteFile(junk, []byte("this is no font"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := servertest.Start(t, func(c *server.Config) { c.ECG.Font = junk })
	const warning = "ECG reports will show Chinese text as ?"
	if strings.Contains(h.Log.String(), warning) {
		t.Fatal("the font was read at start")
	}
	for i, want := range []int{http.StatusCreated, http.StatusOK} { // the second is the same record again
		if status, _, dr := do(t, http.MethodPost, h.URL("/ingest/ecg"), raw); status != want {
			t.Fatalf("POST %d: %d %+v", i, status, dr.Issue)
		}
	}
	if n := strings.Count(h.Log.String(), warning); n != 1 {
		t.Fatalf("the unusable font was logged %d times, want once", n)
	}
}
