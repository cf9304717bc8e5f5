package server_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os/exec"
	"testing"
	"time"

	"yigong/conformance/corpus"
	"yigong/conformance/peer"
	"yigong/server/servertest"
)

// TestECGByCStore sends the corpus 12-lead ECG (DICOM waveform) with dcmtk's
// storescu: the instance is stored like any other, and the ECG pipeline
// turns it into a DiagnosticReport with its waveform and measurement
// Observations, as the ECG file intake does.
func TestECGByCStore(t *testing.T) {
	t.Parallel()
	storescu := peer.Require(t, "storescu")
	file := corpus.Path(t, "ecg", "ecgtoolkit", "Example.dcm")
	hub := servertest.Start(t)
	host, port, err := net.SplitHostPort(hub.DICOMAddr())
	if err != nil {
		t.Fatalf("DICOM address %q: %v", hub.DICOMAddr(), err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, storescu, "-aec", "YIGONG", host, port, file).CombinedOutput(); err != nil {
		t.Fatalf("storescu: %v\n%s", err, out)
	}
	var bundle struct {
		Entry []struct {
			Resource struct {
				ResourceType string `json:"resourceType"`
				Status       string `json:"status"`
				Result       []any  `json:"result"`
			} `json:"resource"`
		} `json:"entry"`
	}
	for {
		resp, err := http.Get(hub.URL("/fhir/DiagnosticReport?_count=10"))
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&bundle)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(bundle.Entry) > 0 || ctx.Err() != nil {
			break
		}
		time.Sleep(50 * time.Millisecond) // polling with a deadline
	}
	if len(bundle.Entry) != 1 {
		t.Fatalf("%d DiagnosticReports after the C-STORE of an ECG, want 1", len(bundle.Entry))
	}
	dr := bundle.Entry[0].Resource
	if dr.Status != "preliminary" || len(dr.Result) < 5 {
		t.Errorf("report status %q with %d results; want preliminary with the waveform and measurements", dr.Status, len(dr.Result))
	}
}
