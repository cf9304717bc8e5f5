package net_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	stdnet "net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"yigong/conformance/corpus"
	"yigong/dicom"
	"yigong/dicom/dimse"
	dnet "yigong/dicom/net"
	"yigong/dicom/part10"
	"yigong/dicom/query"
)

// testTimeout is generous: the box is a shared, loaded 2-core machine.
const testTimeout = 3 * time.Minute

// archived is one corpus instance: the raw data set bytes as stored, and
// the parsed data set (without pixel data) for matching.
type archived struct {
	path string
	inst dnet.Instance
	ds   *dicom.Dataset
}

// loadArchive reads every readable .dcm file of the corpus.
func loadArchive(t testing.TB) []archived {
	t.Helper()
	dir := corpus.Path(t, "dicom")
	var out []archived
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".dcm") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		f, err := part10.Read(bytes.NewReader(b), &part10.Options{PixelData: part10.SkipPixelData})
		if err != nil {
			t.Logf("corpus: %s is not readable (%v): skipped", filepath.Base(p), err)
			return nil
		}
		inst, err := dnet.ReadInstance(b)
		if err != nil {
			t.Logf("corpus: %s: %v: skipped", filepath.Base(p), err)
			return nil
		}
		out = append(out, archived{path: p, inst: inst, ds: f.Dataset})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("no readable corpus files")
	}
	return out
}

// received is what the in-test store handler got.
type received struct {
	req  dnet.StoreRequest
	file string
}

// recorder is a StoreHandler writing each instance to dir and keeping it.
type recorder struct {
	dir string
	mu  sync.Mutex
	got []received
}

func (r *recorder) HandleStore(ctx context.Context, req *dnet.StoreRequest) dimse.Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	name := filepath.Join(r.dir, fmt.Sprintf("%03d-%s.dcm", len(r.got), req.SOPInstanceUID))
	f, err := os.Create(name)
	if err != nil {
		return dimse.OutOfResources
	}
	if err := req.WriteFile(f); err != nil {
		f.Close()
		return dimse.OutOfResources
	}
	if err := f.Close(); err != nil {
		return dimse.OutOfResources
	}
	cp := *req
	cp.Data = append([]byte(nil), req.Data...)
	r.got = append(r.got, received{req: cp, file: name})
	return dimse.Success
}

func (r *recorder) list() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

var _ dnet.StoreHandler = (*recorder)(nil)

// startServer serves srv on a loopback port-0 listener until the test ends.
func startServer(t testing.TB, srv *dnet.Server) (host string, port int) {
	t.Helper()
	l, err := stdnet.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-done; err != dnet.ErrServerClosed {
			t.Errorf("Serve returned %v", err)
		}
	})
	a := l.Addr().(*stdnet.TCPAddr)
	return "127.0.0.1", a.Port
}

// run runs a dcmtk tool and returns its combined output; failure fails the test.
func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := stdnet.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*stdnet.TCPAddr).Port
}

// waitListening polls until addr accepts connections.
func waitListening(t testing.TB, addr string, exited <-chan struct{}) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			t.Fatalf("peer exited before listening on %s", addr)
		default:
		}
		c, err := stdnet.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not a wait for an event
	}
	t.Fatalf("nothing listens on %s", addr)
}

// levelKey is the unique key of a Query/Retrieve level.
func levelKey(level string) dicom.Tag {
	switch level {
	case "PATIENT":
		return dicom.TagPatientID
	case "STUDY":
		return dicom.TagStudyInstanceUID
	case "SERIES":
		return dicom.TagSeriesInstanceUID
	}
	return dicom.TagSOPInstanceUID
}

// archiveFind is the in-test C-FIND handler: query.Match over the corpus,
// one response per distinct unique key of the level.
func archiveFind(arch []archived) dnet.FindHandler {
	return dnet.FindHandlerFunc(func(ctx context.Context, req *dnet.FindRequest, yield func(*dicom.Dataset) bool) dimse.Status {
		key := levelKey(req.Level)
		seen := map[string]bool{}
		for _, a := range arch {
			if !query.Match(req.Identifier, a.ds, &query.Options{FoldCase: true}) {
				continue
			}
			k := a.ds.Text(key)
			if seen[k] {
				continue
			}
			seen[k] = true
			if !yield(query.Response(req.Identifier, a.ds)) {
				return dimse.Cancel
			}
		}
		return dimse.Success
	})
}

// archiveRetrieve returns the corpus instances matching a C-MOVE/C-GET identifier.
func archiveRetrieve(arch []archived, id *dicom.Dataset) []dnet.Instance {
	var out []dnet.Instance
	for _, a := range arch {
		if query.Match(id, a.ds, nil) {
			out = append(out, a.inst)
		}
	}
	return out
}

func parse(t testing.TB, data []byte, ts string) *dicom.Dataset {
	t.Helper()
	tsi, ok := lookupTS(ts)
	if !ok {
		t.Fatalf("unknown transfer syntax %s", ts)
	}
	ds, err := part10.ReadDataset(bytes.NewReader(data), tsi, nil)
	if err != nil {
		t.Fatalf("parse data set: %v", err)
	}
	return ds
}

func execOut(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	return string(out), err
}

// pipeClient serves srv on one end of a net.Pipe and associates over the
// other; the server must end cleanly.
func pipeClient(t testing.TB, srv *dnet.Server, props []dnet.Proposal) *dnet.Client {
	t.Helper()
	cc, sc := stdnet.Pipe()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	done := make(chan error, 1)
	go func() { done <- srv.ServeConn(ctx, sc) }()
	c, err := dnet.NewClient(ctx, cc, dnet.ClientConfig{CallingAE: "TESTSCU", CalledAE: "YIGONG", Contexts: props})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Abort()
		select {
		case <-done:
		case <-time.After(testTimeout):
			t.Error("server did not end")
		}
		cancel()
	})
	return c
}

type ioWriter = io.Writer

type lockedWriter struct {
	mu *sync.Mutex
	w  ioWriter
}

func (l lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}
