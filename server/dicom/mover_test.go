package dicom

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"yigong/dicom"
	dnet "yigong/dicom/net"
	"yigong/dicom/part10"
	"yigong/dicom/uid"
	"yigong/fhir/store"
	"yigong/fhir/store/sqlite"
	"yigong/server/blobs"
)

// TestPendingBlobs: small C-STORE'd instances are durable with their
// index commit, their blobs pending in the index until the mover writes
// them. They are retrievable byte-identical (blob store, C-GET/C-MOVE
// loader, WADO's OpenBlob) while pending and after moving; a resend of a
// pending instance is recognised as held; a service stopped with blobs
// pending (a crash) writes them when it next starts; a large instance
// keeps the staged path.
func TestPendingBlobs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	start := func(t *testing.T, hold bool) (*Service, *sqlite.DB, *blobs.Store) {
		t.Helper()
		db, err := sqlite.Open(ctx, filepath.Join(dir, "db.sqlite"), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		bs, err := blobs.Open(filepath.Join(dir, "blobs"))
		if err != nil {
			t.Fatal(err)
		}
		s, err := New(Options{Institution: "h1", Store: db, Blobs: bs, Log: log})
		if err != nil {
			t.Fatal(err)
		}
		if hold {
			s.holdMoves = make(chan struct{})
		}
		if err := s.Start(ctx); err != nil {
			t.Fatal(err)
		}
		return s, db, bs
	}
	stop := func(t *testing.T, s *Service, db *sqlite.DB) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := s.Shutdown(sctx); err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	type sent struct {
		sop  string
		data []byte // data set as sent
		key  string
	}
	instance := func(i, pixels int) sent {
		ds := dicom.New()
		sop := fmt.Sprintf("2.25.7700.1.%d", i)
		for _, e := range []struct {
			tag dicom.Tag
			vr  dicom.VR
			val string
		}{
			{dicom.TagSOPClassUID, dicom.UI, uid.SecondaryCaptureImageStorage},
			{dicom.TagSOPInstanceUID, dicom.UI, sop},
			{dicom.TagStudyInstanceUID, dicom.UI, "2.25.7700"},
			{dicom.TagSeriesInstanceUID, dicom.UI, "2.25.7700.1"},
			{dicom.TagModality, dicom.CS, "OT"},
			{dicom.TagPatientID, dicom.LO, "P77"},
			{dicom.TagInstanceNumber, dicom.IS, fmt.Sprint(i)},
		} {
			if err := ds.SetStrings(e.tag, e.vr, e.val); err != nil {
				t.Fatal(err)
			}
		}
		px := make([]byte, pixels)
		for k := range px {
			px[k] = byte(k*31 + i)
		}
		if err := ds.SetBytes(dicom.TagPixelData, dicom.OW, px); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := part10.WriteDataset(&buf, ds, uid.ExplicitLE()); err != nil {
			t.Fatal(err)
		}
		return sent{sop: sop, data: buf.Bytes()}
	}
	onDisk := func(bs *blobs.Store, key string) bool {
		_, err := os.Stat(filepath.Join(bs.Dir(), key[:2], key))
		return err == nil
	}
	isPending := func(s *Service, key string) bool {
		t.Helper()
		_, ok, err := s.index.DICOMPendingBlob(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	// check reads key through the blob store, the C-GET/C-MOVE loader and
	// OpenBlob (WADO-RS), and compares the data set with what was sent.
	check := func(t *testing.T, s *Service, in sent, open bool) {
		t.Helper()
		b, err := s.opts.Blobs.ReadAll(ctx, in.key)
		if err != nil {
			t.Fatalf("%s: ReadAll: %v", in.sop, err)
		}
		if off := dnet.DataSetOffset(b); off < 0 || !bytes.Equal(b[off:], in.data) || blobs.Key(b) != in.key {
			t.Fatalf("%s: ReadAll: blob differs from what was sent", in.sop)
		}
		recs, err := s.index.QueryDICOM(ctx, store.DICOMQuery{Level: store.DICOMImage, SOPUIDs: []string{in.sop}})
		if err != nil || len(recs) != 1 {
			t.Fatalf("%s: index: %v, %d rows", in.sop, err, len(recs))
		}
		got, err := s.instance(recs[0]).Load(ctx)
		if err != nil || !bytes.Equal(got, in.data) {
			t.Fatalf("%s: C-GET load: %v, identical %v", in.sop, err, bytes.Equal(got, in.data))
		}
		if !open {
			return
		}
		f, err := s.OpenBlob(ctx, in.key)
		if err != nil {
			t.Fatalf("%s: OpenBlob: %v", in.sop, err)
		}
		defer f.Close()
		whole, _ := io.ReadAll(f)
		if !bytes.Equal(whole, b) {
			t.Fatalf("%s: OpenBlob: content differs", in.sop)
		}
	}

	s, db, bs := start(t, true) // the mover held back
	var small []sent
	for i := range 3 {
		in := instance(i, 20<<10)
		got, err := s.Ingest(ctx, "MODALITY", uid.ExplicitLE(), in.data)
		if err != nil || !got.Created {
			t.Fatalf("store %s: %+v, %v", in.sop, got, err)
		}
		in.key = got.BlobKey
		small = append(small, in)
	}
	large := instance(9, blobs.SmallMax)
	got, err := s.Ingest(ctx, "MODALITY", uid.ExplicitLE(), large.data)
	if err != nil || !got.Created {
		t.Fatalf("store large: %+v, %v", got, err)
	}
	large.key = got.BlobKey

	t.Run("pending", func(t *testing.T) {
		for _, in := range small {
			if onDisk(bs, in.key) || !isPending(s, in.key) {
				t.Fatalf("%s: on disk %v, pending %v; want pending only", in.sop, onDisk(bs, in.key), isPending(s, in.key))
			}
			check(t, s, in, false)
			if onDisk(bs, in.key) {
				t.Fatalf("%s: a read wrote the pending blob", in.sop)
			}
		}
		// OpenBlob writes a pending blob first (WADO-RS wants a file).
		check(t, s, small[0], true)
		if !onDisk(bs, small[0].key) {
			t.Fatal("OpenBlob did not write the pending blob")
		}
		if onDisk(bs, large.key) == false || isPending(s, large.key) {
			t.Fatal("large instance: not staged to the blob store")
		}
		check(t, s, large, true)
	})
	t.Run("resend while pending", func(t *testing.T) {
		got, err := s.Ingest(ctx, "MODALITY", uid.ExplicitLE(), small[1].data)
		// Held: answered from the duplicate check, nothing stored (no
		// blob key), rather than stored again and found a duplicate.
		if err != nil || got.Created || got.BlobKey != "" {
			t.Fatalf("resend: %+v, %v; want held", got, err)
		}
	})

	stop(t, s, db) // a crash: blobs left pending
	s, db, bs = start(t, false)
	t.Run("written at start", func(t *testing.T) {
		deadline := time.Now().Add(20 * time.Second)
		for {
			left, err := s.index.DICOMPendingBlobs(ctx, "", 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(left) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d blobs still pending", len(left))
			}
			time.Sleep(20 * time.Millisecond)
		}
		bs.SetPending(nil) // read from the folder only
		for _, in := range small {
			if !onDisk(bs, in.key) {
				t.Fatalf("%s: not written", in.sop)
			}
			check(t, s, in, true)
		}
		bs.SetPending(s.index.DICOMPendingBlob)
	})
	t.Run("resend after moving", func(t *testing.T) {
		got, err := s.Ingest(ctx, "MODALITY", uid.ExplicitLE(), small[2].data)
		// Held: answered from the duplicate check, nothing stored (no
		// blob key), rather than stored again and found a duplicate.
		if err != nil || got.Created || got.BlobKey != "" {
			t.Fatalf("resend: %+v, %v; want held", got, err)
		}
	})
	t.Run("moved while running", func(t *testing.T) {
		in := instance(5, 10<<10)
		got, err := s.Ingest(ctx, "MODALITY", uid.ExplicitLE(), in.data)
		if err != nil || !got.Created {
			t.Fatalf("store: %+v, %v", got, err)
		}
		in.key = got.BlobKey
		deadline := time.Now().Add(20 * time.Second)
		for isPending(s, in.key) || !onDisk(bs, in.key) {
			if time.Now().After(deadline) {
				t.Fatalf("not moved: on disk %v, pending %v", onDisk(bs, in.key), isPending(s, in.key))
			}
			time.Sleep(20 * time.Millisecond)
		}
		check(t, s, in, true)
	})
	stop(t, s, db)
}
