package dicom_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"yigong/conformance/corpus"
	"yigong/conformance/peer"
	"yigong/dicom"
	"yigong/server"
	dicomsvc "yigong/server/dicom"
	"yigong/server/servertest"
)

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// orthanc is an Orthanc the test started, with its own storage.
type orthanc struct {
	http      string // http://127.0.0.1:port
	dicomPort int
}

// startOrthanc runs Orthanc with a generated configuration: temp storage,
// loopback HTTP, its DICOM port, TCP_NODELAY=1, and yigong registered as
// modality YIGONG at yigongAddr.
func startOrthanc(t *testing.T, httpPort, dicomPort int, yigongAddr string) *orthanc {
	t.Helper()
	bin := peer.Require(t, "Orthanc")
	dir := t.TempDir()
	yh, yp, _ := net.SplitHostPort(yigongAddr)
	ypn, _ := strconv.Atoi(yp)
	cfg := map[string]any{
		"Name":                     "yigong-test",
		"StorageDirectory":         filepath.Join(dir, "storage"),
		"IndexDirectory":           filepath.Join(dir, "index"),
		"HttpPort":                 httpPort,
		"DicomPort":                dicomPort,
		"DicomAet":                 "ORTHANC",
		"RemoteAccessAllowed":      false,
		"AuthenticationEnabled":    false,
		"DicomCheckCalledAet":      false,
		"DicomAlwaysAllowStore":    true,
		"DicomModalities":          map[string]any{"YIGONG": []any{"YIGONG", yh, ypn}},
		"StorageCompression":       false,
		"ConcurrentJobs":           1,
		"HttpThreadsCount":         4,
		"DicomScpTimeout":          30,
		"SaveJobs":                 false,
		"Plugins":                  []string{},
		"DeidentifyLogs":           true,
		"StoreMD5ForAttachments":   true,
		"LimitFindResults":         0,
		"OverwriteInstances":       false,
		"DefaultEncoding":          "Utf8",
		"AcceptedTransferSyntaxes": []string{"*"},
	}
	b, _ := json.Marshal(cfg)
	cfgPath := filepath.Join(dir, "orthanc.json")
	if err := os.WriteFile(cfgPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, cfgPath)
	cmd.Env = append(os.Environ(), "TCP_NODELAY=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cancel() // kills the Orthanc this test started, by its own handle
		<-exited
		if t.Failed() {
			t.Logf("Orthanc output:\n%s", out.String())
		}
	})
	o := &orthanc{http: fmt.Sprintf("http://127.0.0.1:%d", httpPort), dicomPort: dicomPort}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			t.Fatalf("Orthanc exited:\n%s", out.String())
		default:
		}
		if resp, err := http.Get(o.http + "/system"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return o
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("Orthanc did not start:\n%s", out.String())
	return nil
}

func (o *orthanc) post(t *testing.T, path string, body []byte) []byte {
	t.Helper()
	resp, err := http.Post(o.http+path, "application/octet-stream", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("Orthanc POST %s: %d %s", path, resp.StatusCode, b)
	}
	return b
}

// has reports whether Orthanc holds the SOP instance.
func (o *orthanc) has(t *testing.T, sop string) bool {
	t.Helper()
	b := o.post(t, "/tools/lookup", []byte(sop))
	return strings.Contains(string(b), `"Instance"`)
}

// TestOrthanc: Orthanc forwards a study into yigong by C-STORE (its REST
// /modalities/YIGONG/store), and yigong sends studies to Orthanc by C-MOVE
// and by a routing rule.
func TestOrthanc(t *testing.T) {
	peer.Require(t, "Orthanc")
	storescu := peer.Require(t, "storescu")
	movescu := peer.Require(t, "movescu")
	hp, dp := freePort(t), freePort(t)
	hub := servertest.Start(t, func(c *server.Config) {
		c.DICOM.AEs = []dicomsvc.AE{
			{Title: "ORTHANC", Host: "127.0.0.1", Port: dp},
			{Title: "MODALITY1", Institution: "county-1"},
			{Title: "MOVESCU", MoveTo: []string{"ORTHANC"}},
		}
		c.DICOM.Routes = []dicomsvc.Route{{CallingAE: "MODALITY1", Destination: "ORTHANC"}}
	})
	o := startOrthanc(t, hp, dp, hub.DICOMAddr())
	h, p := hostPort(t, hub.DICOMAddr())

	// Orthanc → yigong.
	raw, err := os.ReadFile(corpus.Path(t, "dicom", "CT_small.dcm"))
	if err != nil {
		t.Fatal(err)
	}
	var up struct{ ID string }
	json.Unmarshal(o.post(t, "/instances", raw), &up)
	o.post(t, "/modalities/YIGONG/store", []byte(up.ID))
	id := dicom.New()
	_ = id.SetStrings(dicom.TagSOPInstanceUID, dicom.UI, "1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322")
	recs, err := hub.DICOM().Instances(context.Background(), "", "IMAGE", id)
	if err != nil || len(recs) != 1 {
		t.Fatalf("instance forwarded by Orthanc not in yigong: %v %d", err, len(recs))
	}

	// yigong → Orthanc by routing: what MODALITY1 sends goes on.
	dir := t.TempDir()
	run(t, storescu, "-aet", "MODALITY1", "-aec", "YIGONG", h, p,
		writeFile(t, dir, "routed.dcm", synth(t, "ISO_IR 192", "Zhao^Liu=赵^六=", "ROUTE1", "2.25.400", "2.25.400.1", "2.25.400.1.1")))
	deadline := time.Now().Add(30 * time.Second)
	for !o.has(t, "2.25.400.1.1") {
		if time.Now().After(deadline) {
			t.Fatal("routed instance did not reach Orthanc")
		}
		time.Sleep(200 * time.Millisecond)
	}

	// yigong → Orthanc by C-MOVE.
	run(t, storescu, "-aet", "MOVESCU", "-aec", "YIGONG", h, p,
		writeFile(t, dir, "moved.dcm", synth(t, "ISO_IR 192", "Qian^Qi", "MOVE1", "2.25.500", "2.25.500.1", "2.25.500.1.1")))
	run(t, movescu, "-S", "-aet", "MOVESCU", "-aec", "YIGONG", "-aem", "ORTHANC", "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=2.25.500", h, p)
	if !o.has(t, "2.25.500.1.1") {
		t.Fatal("moved instance not in Orthanc")
	}
	// MOVESCU may move to ORTHANC only.
	if _, err := exec.Command(movescu, "-S", "-aet", "MOVESCU", "-aec", "YIGONG", "-aem", "MODALITY1", "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=2.25.500", h, p).CombinedOutput(); err == nil {
		t.Error("move to a destination the AE may not use succeeded")
	}
}
