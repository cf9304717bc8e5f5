package dicom_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	dnet "yigong/dicom/net"
	"yigong/dicom/uid"
	"yigong/fhir/store"
	"yigong/fhir/store/sqlite"
	"yigong/server/servertest"
)

// TestCrashSafety builds yigong, stores CT instances into `yigong serve`
// (SQLite) over one association, and kill -9s it once half of them are
// acknowledged, while small instances' blobs are still pending in the
// index (they ride in the index commit; the mover writes their files
// after). It restarts the hub on the same data folder and checks that every
// acknowledged instance comes back byte-identical over WADO-RS, that an
// acknowledged instance sent again is recognised and stored once, and,
// after a graceful stop, that each has its blob file and no pending blob
// is left.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and stores hundreds of instances")
	}
	t.Parallel()
	total := 600
	if n, err := strconv.Atoi(os.Getenv("YIGONG_CRASH_INSTANCES")); err == nil && n > 0 {
		total = n
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	bin := servertest.Build(t, ctx)
	data := t.TempDir()
	srv := servertest.StartProcess(t, ctx, bin, data, "http", "dicom")

	items := ctInstances(t, total, "2.25.4242")
	class := "1.2.840.10008.5.1.4.1.1.2" // CT Image Storage
	ins := make([]dnet.Instance, total)
	for i, it := range items {
		ins[i] = dnet.Instance{SOPClassUID: class, SOPInstanceUID: fmt.Sprintf("2.25.4242.%d", i),
			TransferSyntax: uid.ExplicitVRLittleEndian, Data: it.Data}
	}
	dial := func(addr string) *dnet.Client {
		t.Helper()
		c, err := dnet.Dial(ctx, addr, dnet.ClientConfig{CalledAE: "YIGONG",
			Contexts: []dnet.Proposal{{AbstractSyntax: class, TransferSyntaxes: []string{uid.ExplicitVRLittleEndian}}}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	var mu sync.Mutex
	acked := 0 // instances 0..acked-1 got Success
	killed := make(chan struct{})
	go func() {
		defer close(killed)
		for ctx.Err() == nil {
			mu.Lock()
			n := acked
			mu.Unlock()
			if n >= total/2 {
				break
			}
			time.Sleep(time.Millisecond) // polling the counter
		}
		srv.Kill()
	}()
	c := dial(srv.Addr("dicom"))
	for i := range ins {
		st, err := c.Store(ctx, ins[i])
		if err != nil {
			break // the hub died
		}
		if !st.IsSuccess() {
			t.Fatalf("instance %d: status %v", i, st)
		}
		mu.Lock()
		acked = i + 1
		mu.Unlock()
	}
	<-killed
	c.Abort()
	t.Logf("%d instances acknowledged before kill -9", acked)
	if acked == 0 || acked >= total {
		t.Fatalf("the kill did not land mid-load (%d of %d acknowledged)", acked, total)
	}

	// What the kill left pending, for the log (the restart must write it).
	if db, err := sqlite.Open(ctx, filepath.Join(data, "yigong.db"), sqlite.Options{}); err == nil {
		left, err := db.DICOMPendingBlobs(ctx, "", total)
		t.Logf("%d blobs pending in the index after the kill (%v)", len(left), err)
		db.Close()
	}

	srv = servertest.StartProcess(t, ctx, bin, data, "http", "dicom")
	stopped := false
	defer func() {
		if !stopped {
			srv.Stop(t)
		}
	}()
	for i := range acked {
		sop := ins[i].SOPInstanceUID
		path := fmt.Sprintf("http://%s/dicomweb/studies/2.25.4242.s%d/series/2.25.4242.s%d.1/instances/%s",
			srv.Addr("http"), i/100, i/100, sop)
		code, hd, body := get(t, path, `multipart/related; type="application/dicom"; transfer-syntax=*`)
		if code != 200 {
			t.Fatalf("acknowledged instance %s after the restart: WADO-RS %d %s", sop, code, body)
		}
		ps := parts(t, hd, body)
		if len(ps) != 1 || string(ps[0][dnet.DataSetOffset(ps[0]):]) != string(ins[i].Data) {
			t.Fatalf("acknowledged instance %s after the restart: not byte-identical", sop)
		}
	}
	again := dial(srv.Addr("dicom"))
	if st, err := again.Store(ctx, ins[0]); err != nil || !st.IsSuccess() {
		t.Fatalf("instance 0 sent again: %v, %v", st, err)
	}
	again.Release(ctx)
	srv.Stop(t)
	stopped = true
	db, err := sqlite.Open(ctx, filepath.Join(data, "yigong.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sops := make([]string, acked)
	for i := range sops {
		sops[i] = ins[i].SOPInstanceUID
	}
	recs, err := db.QueryDICOM(ctx, store.DICOMQuery{Level: store.DICOMImage, SOPUIDs: sops, NoHeaders: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != acked {
		t.Fatalf("%d index rows for %d acknowledged instances (one each)", len(recs), acked)
	}
	for _, r := range recs {
		if _, err := os.Stat(filepath.Join(data, "blobs", r.BlobKey[:2], r.BlobKey)); err != nil {
			t.Errorf("instance %s: blob file: %v", r.SOPInstanceUID, err)
		}
	}
	if left, err := db.DICOMPendingBlobs(ctx, "", 10); err != nil || len(left) != 0 {
		t.Errorf("pending blobs left after a graceful stop: %d, %v", len(left), err)
	}
}
