package ecg_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"yigong/conformance/corpus"
	"yigong/ecg"
	"yigong/ecg/aecg"
	"yigong/ecg/philips/philipstest"
	"yigong/server"
	"yigong/server/servertest"
)

type resource struct {
	ResourceType string `json:"resourceType"`
	ID           string `json:"id"`
	Status       string `json:"status"`
	Subject      *struct {
		Reference string `json:"reference"`
	} `json:"subject"`
	Device *struct {
		Reference string `json:"reference"`
	} `json:"device"`
	Result []struct {
		Reference string `json:"reference"`
	} `json:"result"`
	Total *int              `json:"total"`
	Entry []json.RawMessage `json:"entry"`
	Issue []struct {
		Code        string `json:"code"`
		Diagnostics string `json:"diagnostics"`
	} `json:"issue"`
}

func do(t *testing.T, method, u string, body []byte) (int, http.Header, resource) {
	t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var r resource
	if len(b) > 0 {
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("%s %s: %d %s", method, u, resp.StatusCode, b)
		}
	}
	return resp.StatusCode, resp.Header, r
}

func get(t *testing.T, h *servertest.Hub, path string) resource {
	t.Helper()
	status, _, r := do(t, http.MethodGet, h.URL(path), nil)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d %+v", path, status, r.Issue)
	}
	return r
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

func exists(path string) bool { _, err := os.Stat(path); return err == nil }

func TestEndToEnd(t *testing.T) {
	dir := corpus.Path(t, "ecg", "ecgtoolkit")
	for _, eng := range servertest.Stores() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			watch := t.TempDir()
			h := eng.Start(t, func(c *server.Config) {
				c.ECG.Watch.Dir = watch
				c.ECG.Watch.Interval = 20 * time.Millisecond
			})
			var patients = map[string]bool{}
			for _, name := range []string{"Example.scp", "Example.xml", "Example.dcm"} {
				t.Run(name, func(t *testing.T) {
					raw, err := os.ReadFile(filepath.Join(dir, name))
					if err != nil {
						t.Fatal(err)
					}
					status, hdr, dr := do(t, http.MethodPost, h.URL("/ingest/ecg"), raw)
					if status != http.StatusCreated || dr.ResourceType != "DiagnosticReport" || dr.Status != "preliminary" {
						t.Fatalf("POST: %d %s %+v", status, dr.ResourceType, dr.Issue)
					}
					loc := hdr.Get("Location")
					if !strings.Contains(loc, "/fhir/DiagnosticReport/"+dr.ID+"/_history/1") {
						t.Errorf("Location %q", loc)
					}
					get(t, h, "/fhir/DiagnosticReport/"+dr.ID)
					if len(dr.Result) < 10 {
						t.Errorf("%d results", len(dr.Result))
					}
					var device string
					for _, r := range dr.Result {
						o := get(t, h, "/fhir/"+r.Reference)
						if o.ResourceType != "Observation" {
							t.Errorf("%s is a %s", r.Reference, o.ResourceType)
						}
						if o.Device != nil {
							device = o.Device.Reference
						}
					}
					if dr.Subject == nil || device == "" {
						t.Fatalf("no subject or no device")
					}
					patients[dr.Subject.Reference] = true
					if p := get(t, h, "/fhir/"+dr.Subject.Reference); p.ResourceType != "Patient" {
						t.Errorf("subject is a %s", p.ResourceType)
					}
					if d := get(t, h, "/fhir/"+device); d.ResourceType != "Device" {
						t.Errorf("device is a %s", d.ResourceType)
					}
					// The same file again: the same report, nothing written.
					status, hdr2, again := do(t, http.MethodPost, h.URL("/ingest/ecg"), raw)
					if status != http.StatusOK || again.ID != dr.ID || hdr2.Get("Location") != loc {
						t.Errorf("second POST: %d id %s (first %s), Location %q", status, again.ID, dr.ID, hdr2.Get("Location"))
					}
					for _, ref := range append([]string{"DiagnosticReport/" + dr.ID, dr.Subject.Reference, device}, dr.Result[0].Reference, dr.Result[len(dr.Result)-1].Reference) {
						if hist := get(t, h, "/fhir/"+ref+"/_history"); len(hist.Entry) != 1 {
							t.Errorf("%s has %d versions after two POSTs", ref, len(hist.Entry))
						}
					}
					sum := sha256.Sum256(raw)
					q := url.QueryEscape("urn:yigong:ecg:sha256|" + hex.EncodeToString(sum[:]))
					if b := get(t, h, "/fhir/DiagnosticReport?identifier="+q); len(b.Entry) != 1 {
						t.Errorf("%d reports for the file", len(b.Entry))
					}
					// The original is served verbatim.
					resp, err := http.Get(h.URL("/ecg/originals/" + hex.EncodeToString(sum[:])))
					if err != nil {
						t.Fatal(err)
					}
					got, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if !bytes.Equal(got, raw) {
						t.Errorf("original: %d bytes back, want %d", len(got), len(raw))
					}
				})
			}
			if len(patients) != 1 {
				t.Errorf("three files of one patient made %d patients", len(patients))
			}

			t.Run("Philips Sierra XML", func(t *testing.T) {
				raw, err := os.ReadFile(filepath.Join(dir, "Example.xml"))
				if err != nil {
					t.Fatal(err)
				}
				rec, err := aecg.Decode(raw)
				if err != nil {
					t.Fatal(err)
				}
				rec.Patient = ecg.Patient{ID: "PW-1", FamilyName: "王", GivenName: "小东"}
				doc, err := philipstest.Encode(rec, philipstest.Options{Resolution: 2.5})
				if err != nil {
					t.Fatal(err)
				}
				status, _, dr := do(t, http.MethodPost, h.URL("/ingest/ecg"), doc)
				if status != http.StatusCreated || dr.ResourceType != "DiagnosticReport" || len(dr.Result) < 10 {
					t.Fatalf("POST: %d %s, %d results, %+v", status, dr.ResourceType, len(dr.Result), dr.Issue)
				}
			})
			t.Run("garbage", func(t *testing.T) {
				status, _, oo := do(t, http.MethodPost, h.URL("/ingest/ecg"), []byte("this is not an ECG at all\x00\x01"))
				if status != http.StatusUnsupportedMediaType || oo.ResourceType != "OperationOutcome" {
					t.Errorf("%d %s", status, oo.ResourceType)
				}
			})
			t.Run("truncated SCP-ECG", func(t *testing.T) {
				raw, _ := os.ReadFile(filepath.Join(dir, "Example.scp"))
				status, _, oo := do(t, http.MethodPost, h.URL("/ingest/ecg"), raw[:len(raw)/3])
				if status != http.StatusUnprocessableEntity || oo.ResourceType != "OperationOutcome" || len(oo.Issue) == 0 {
					t.Errorf("%d %s %+v", status, oo.ResourceType, oo.Issue)
				}
			})
			t.Run("watched folder", func(t *testing.T) {
				raw, _ := os.ReadFile(filepath.Join(dir, "Example.xml"))
				// A copy with one changed comment byte is a new file.
				raw = bytes.Replace(raw, []byte("<?xml"), []byte("<?xml "), 1)
				if err := os.WriteFile(filepath.Join(watch, "cart-1.xml"), raw, 0o644); err != nil {
					t.Fatal(err)
				}
				scp, _ := os.ReadFile(filepath.Join(dir, "Example.scp"))
				if err := os.WriteFile(filepath.Join(watch, "broken.scp"), scp[:1000], 0o644); err != nil {
					t.Fatal(err)
				}
				eventually(t, "cart-1.xml in done/", func() bool { return exists(filepath.Join(watch, "done", "cart-1.xml")) })
				eventually(t, "broken.scp in failed/", func() bool {
					return exists(filepath.Join(watch, "failed", "broken.scp")) && exists(filepath.Join(watch, "failed", "broken.scp.error.txt"))
				})
				if exists(filepath.Join(watch, "cart-1.xml")) || exists(filepath.Join(watch, "broken.scp")) {
					t.Error("files left in the watched folder")
				}
				sum := sha256.Sum256(raw)
				q := url.QueryEscape("urn:yigong:ecg:sha256|" + hex.EncodeToString(sum[:]))
				if b := get(t, h, "/fhir/DiagnosticReport?identifier="+q); len(b.Entry) != 1 {
					t.Errorf("%d reports for the dropped file", len(b.Entry))
				}
				note, _ := os.ReadFile(filepath.Join(watch, "failed", "broken.scp.error.txt"))
				if !strings.Contains(string(note), "unreadable") {
					t.Errorf("error note: %s", note)
				}
			})
		})
	}
}
