package storetest

import (
	"context"
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
}
