package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"yigong/fhir/store"
)

// RunDICOMIndex checks an engine's DICOM index (store.DICOMIndex and
// store.DICOMIndexTx): instances create studies and series, a second store
// of an instance writes nothing, queries filter by level, the duplicate
// check (DICOMInstanceBlob), the sync and routing bookkeeping.
func RunDICOMIndex(t *testing.T, open Open) {
	ctx := context.Background()
	st := open(t)
	ix, ok := st.(store.DICOMIndex)
	if !ok {
		t.Skip("engine keeps no DICOM index")
	}
	put := func(in store.DICOMInstance, routes ...string) bool {
		t.Helper()
		tx, err := st.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		created, err := tx.(store.DICOMIndexTx).PutDICOMInstance(ctx, &in, routes)
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		return created
	}
	base := store.DICOMInstance{Institution: "h1", PatientID: "P1", StudyUID: "1.2.1", AccessionNumber: "A1",
		StudyDate: "20240102", SOPClassUID: "1.2.840.10008.5.1.4.1.1.2", TransferSyntax: "1.2.840.10008.1.2.1",
		BlobKey: "k", Size: 10, StudyHeader: []byte{1}, SeriesHeader: []byte{2}, Header: []byte{3}}
	mk := func(series, sop, modality string, n int64) store.DICOMInstance {
		in := base
		in.SeriesUID, in.SOPInstanceUID, in.Modality, in.InstanceNumber = series, sop, modality, n
		return in
	}
	if !put(mk("1.2.1.1", "1.2.1.1.1", "CT", 1), "ORTHANC") {
		t.Fatal("first store not created")
	}
	put(mk("1.2.1.1", "1.2.1.1.2", "CT", 2))
	put(mk("1.2.1.2", "1.2.1.2.1", "SR", 1))
	if put(mk("1.2.1.1", "1.2.1.1.2", "CT", 2)) {
		t.Fatal("second store of an instance created a row")
	}
	other := mk("9.1", "9.1.1", "MR", 1)
	other.StudyUID, other.PatientID, other.StudyDate, other.AccessionNumber = "9", "P2", "20230101", "A2"
	put(other)

	q := func(q store.DICOMQuery) []store.DICOMRecord {
		t.Helper()
		rs, err := ix.QueryDICOM(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}
	tests := []struct {
		name string
		q    store.DICOMQuery
		want int
	}{
		{"studies", store.DICOMQuery{Level: store.DICOMStudy}, 2},
		{"study by patient", store.DICOMQuery{Level: store.DICOMStudy, PatientID: "P1"}, 1},
		{"study by date range", store.DICOMQuery{Level: store.DICOMStudy, StudyDateFrom: "20240101", StudyDateTo: "20240131"}, 1},
		{"study by modality", store.DICOMQuery{Level: store.DICOMStudy, Modality: "MR"}, 1},
		{"study by accession", store.DICOMQuery{Level: store.DICOMStudy, Accession: "A1"}, 1},
		{"series of study", store.DICOMQuery{Level: store.DICOMSeries, StudyUIDs: []string{"1.2.1"}}, 2},
		{"series by modality", store.DICOMQuery{Level: store.DICOMSeries, Modality: "CT"}, 1},
		{"instances of series", store.DICOMQuery{Level: store.DICOMImage, SeriesUIDs: []string{"1.2.1.1"}}, 2},
		{"instances by uid list", store.DICOMQuery{Level: store.DICOMImage, SOPUIDs: []string{"1.2.1.1.1", "9.1.1"}}, 2},
		{"instances by patient", store.DICOMQuery{Level: store.DICOMImage, PatientID: "P2", NoHeaders: true}, 1},
		{"other institution", store.DICOMQuery{Level: store.DICOMStudy, Institution: "h2"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := q(tc.q); len(got) != tc.want {
				t.Fatalf("%d rows, want %d: %+v", len(got), tc.want, got)
			}
		})
	}
	s := q(store.DICOMQuery{Level: store.DICOMStudy, StudyUIDs: []string{"1.2.1"}})[0]
	if s.NumSeries != 2 || s.NumInstances != 3 || len(s.Modalities) != 2 || s.Seq != 3 {
		t.Errorf("study counts: %+v", s)
	}
	in := q(store.DICOMQuery{Level: store.DICOMImage, SOPUIDs: []string{"1.2.1.1.2"}})[0]
	if in.BlobKey != "k" || string(in.Header) != "\x03" || in.InstanceNumber != 2 {
		t.Errorf("instance: %+v", in)
	}

	// The duplicate check before a store.
	blobTests := []struct {
		name, institution, sop, want string
	}{
		{"held", "h1", "1.2.1.1.2", "k"},
		{"other institution", "h2", "1.2.1.1.2", ""},
		{"not held", "h1", "1.2.1.1.9", ""},
		{"empty uid", "h1", "", ""},
	}
	for _, tc := range blobTests {
		t.Run("blob "+tc.name, func(t *testing.T) {
			got, err := ix.DICOMInstanceBlob(ctx, tc.institution, tc.sop)
			if err != nil || got != tc.want {
				t.Fatalf("DICOMInstanceBlob(%q, %q) = %q, %v; want %q", tc.institution, tc.sop, got, err, tc.want)
			}
		})
	}

	// Sync bookkeeping.
	sync, err := ix.DICOMStudiesToSync(ctx, 10)
	if err != nil || len(sync) != 2 {
		t.Fatalf("to sync: %v %d", err, len(sync))
	}
	tx, _ := st.Begin(ctx)
	if err := tx.(store.DICOMIndexTx).MarkDICOMStudySynced(ctx, "h1", "1.2.1", 3, "is1"); err != nil {
		t.Fatal(err)
	}
	tx.Commit(ctx)
	if sync, _ = ix.DICOMStudiesToSync(ctx, 10); len(sync) != 1 || sync[0].StudyUID != "9" {
		t.Fatalf("after sync: %+v", sync)
	}

	// Routing queue.
	routes, err := ix.DueDICOMRoutes(ctx, time.Now().Add(time.Hour), 10)
	if err != nil || len(routes) != 1 || routes[0].Destination != "ORTHANC" {
		t.Fatalf("routes: %v %+v", err, routes)
	}
	if err := ix.FinishDICOMRoute(ctx, routes[0].ID, true, "refused", time.Now().Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if r, _ := ix.DueDICOMRoutes(ctx, time.Now().Add(time.Hour), 10); len(r) != 0 {
		t.Fatalf("retry not deferred: %+v", r)
	}
	r, _ := ix.DueDICOMRoutes(ctx, time.Now().Add(3*time.Hour), 10)
	if len(r) != 1 || r[0].Attempts != 1 || r[0].LastError != "refused" {
		t.Fatalf("retry: %+v", r)
	}
	if err := ix.FinishDICOMRoute(ctx, r[0].ID, false, "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if r, _ := ix.DueDICOMRoutes(ctx, time.Now().Add(3*time.Hour), 10); len(r) != 0 {
		t.Fatalf("sent route kept: %+v", r)
	}

	t.Run("pending blobs", func(t *testing.T) { runDICOMPendingBlobs(t, st, ix, base) })
}

// runDICOMPendingBlobs checks the blobs an instance carries into its
// transaction (DICOMInstance.Blob): kept with the row, whether the row is
// created or already there, kept once per key, gone with a rolled back
// transaction, listed in key order from a cursor, deleted by key.
func runDICOMPendingBlobs(t *testing.T, st store.Store, ix store.DICOMIndex, base store.DICOMInstance) {
	ctx := context.Background()
	put := func(in store.DICOMInstance, commit bool) bool {
		t.Helper()
		tx, err := st.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		created, err := tx.(store.DICOMIndexTx).PutDICOMInstance(ctx, &in, nil)
		if err != nil {
			t.Fatal(err)
		}
		if commit {
			if err := tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
		}
		return created
	}
	mk := func(sop, key string, blob []byte) store.DICOMInstance {
		in := base
		in.StudyUID, in.SeriesUID, in.SOPInstanceUID, in.BlobKey, in.Blob = "7.1", "7.1.1", sop, key, blob
		in.Size = int64(len(blob))
		return in
	}
	big := make([]byte, 40<<10) // several pages: overflow pages, TOAST
	for i := range big {
		big[i] = byte(i * 7)
	}
	if !put(mk("7.1.1.1", "b1", big), true) {
		t.Fatal("first instance not created")
	}
	put(mk("7.1.1.2", "a2", []byte("second")), true)
	// The same key again (identical content from elsewhere): kept once.
	put(mk("7.1.1.3", "a2", []byte("second")), true)
	// A resend of a held instance, its row not created: the blob is still
	// kept (the row may have lost its blob before).
	if put(mk("7.1.1.2", "c3", []byte("third")), true) {
		t.Fatal("resend created a row")
	}
	// Rolled back: neither row nor blob.
	put(mk("7.1.1.9", "d9", []byte("rolled back")), false)
	// No blob carried: nothing pending.
	put(mk("7.1.1.4", "e4", nil), true)

	get := []struct {
		key  string
		want []byte
		ok   bool
	}{
		{"b1", big, true},
		{"a2", []byte("second"), true},
		{"c3", []byte("third"), true},
		{"d9", nil, false},
		{"e4", nil, false},
		{"zz", nil, false},
	}
	for _, tc := range get {
		t.Run("get "+tc.key, func(t *testing.T) {
			got, ok, err := ix.DICOMPendingBlob(ctx, tc.key)
			if err != nil || ok != tc.ok || string(got) != string(tc.want) {
				t.Fatalf("DICOMPendingBlob(%q) = %d bytes, %v, %v; want %d bytes, %v", tc.key, len(got), ok, err, len(tc.want), tc.ok)
			}
		})
	}
	keys := func(after string, limit int) []string {
		t.Helper()
		bs, err := ix.DICOMPendingBlobs(ctx, after, limit)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, b := range bs {
			want, _, _ := ix.DICOMPendingBlob(ctx, b.Key)
			if string(b.Data) != string(want) {
				t.Fatalf("listed %s with other data", b.Key)
			}
			out = append(out, b.Key)
		}
		return out
	}
	list := []struct {
		after string
		limit int
		want  string
	}{
		{"", 10, "a2 b1 c3"},
		{"", 2, "a2 b1"},
		{"b1", 10, "c3"},
		{"c3", 10, ""},
	}
	for _, tc := range list {
		if got := fmt.Sprint(keys(tc.after, tc.limit)); got != "["+tc.want+"]" {
			t.Errorf("DICOMPendingBlobs(%q, %d) = %s, want [%s]", tc.after, tc.limit, got, tc.want)
		}
	}
	tx, err := st.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.(store.DICOMIndexTx).DeleteDICOMPendingBlobs(ctx, []string{"a2", "b1", "absent"}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(keys("", 10)); got != "[c3]" {
		t.Errorf("after delete: %s, want [c3]", got)
	}
	if _, ok, _ := ix.DICOMPendingBlob(ctx, "b1"); ok {
		t.Error("deleted blob still pending")
	}
	// The rows stay: the index still names the blob.
	if k, _ := ix.DICOMInstanceBlob(ctx, base.Institution, "7.1.1.1"); k != "b1" {
		t.Errorf("instance row after delete: blob %q", k)
	}
}
