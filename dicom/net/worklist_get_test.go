package net_test

import (
	"context"
	"sync"
	"testing"

	"yigong/dicom"
	"yigong/dicom/dimse"
	dnet "yigong/dicom/net"
	"yigong/dicom/query"
	"yigong/dicom/uid"
)

// TestWorklistFindscu: findscu -W queries the Modality Worklist SOP class,
// served by the Worklist handler with the same matching.
func TestWorklistFindscu(t *testing.T) {
	t.Parallel()
	item := dicom.New()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(item.SetStrings(dicom.TagSpecificCharacterSet, dicom.CS, "ISO_IR 192"))
	must(item.SetStrings(dicom.TagPatientName, dicom.PN, "Wang^XiaoDong=王^小东="))
	must(item.SetStrings(dicom.TagPatientID, dicom.LO, "W1"))
	must(item.SetStrings(dicom.TagAccessionNumber, dicom.SH, "ACC1"))
	sps := dicom.NewItem(item)
	must(sps.SetStrings(dicom.TagModality, dicom.CS, "CT"))
	must(sps.SetStrings(dicom.NewTag(0x0040, 0x0002), dicom.DA, "20240315"))
	item.SetItems(dicom.NewTag(0x0040, 0x0100), sps)
	wl := dnet.FindHandlerFunc(func(ctx context.Context, req *dnet.FindRequest, yield func(*dicom.Dataset) bool) dimse.Status {
		if query.Match(req.Identifier, item, nil) {
			yield(query.Response(req.Identifier, item))
		}
		return dimse.Success
	})
	host, port := startServer(t, &dnet.Server{AETitle: "YIGONG", Worklist: wl})
	for _, tc := range []struct {
		modality string
		want     int
	}{{"CT", 1}, {"MR", 0}} {
		got := findscuResponses(t, host, port, "-W", "-k", "SpecificCharacterSet=ISO_IR 192", "-k", "PatientName=王*", "-k", "PatientID", "-k", "AccessionNumber",
			"-k", "(0040,0100)[0].Modality="+tc.modality, "-k", "(0040,0100)[0].ScheduledProcedureStepStartDate=20240101-20241231")
		if len(got) != tc.want {
			t.Fatalf("modality %s: %d responses, want %d", tc.modality, len(got), tc.want)
		}
		if tc.want == 1 && got[0].Text(dicom.TagAccessionNumber) != "ACC1" {
			t.Errorf("response:\n%v", got[0])
		}
	}
}

// TestClientGet: our SCU's C-GET against our SCP over net.Pipe; the
// C-STORE sub-operations arrive on the same association.
func TestClientGet(t *testing.T) {
	t.Parallel()
	arch := loadArchive(t)
	srv := retrieveServer(arch, nil)
	props := []dnet.Proposal{{AbstractSyntax: uid.StudyRootQueryRetrieveInformationModelGet}}
	seen := map[[2]string]bool{}
	for _, a := range arch {
		k := [2]string{a.inst.SOPClassUID, a.inst.TransferSyntax}
		if !seen[k] {
			seen[k] = true
			props = append(props, dnet.Proposal{AbstractSyntax: k[0], TransferSyntaxes: []string{k[1]}, SCPRole: true})
		}
	}
	c := pipeClient(t, srv, props)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	var mu sync.Mutex
	var got []dnet.Instance
	store := dnet.StoreHandlerFunc(func(ctx context.Context, req *dnet.StoreRequest) dimse.Status {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, dnet.Instance{SOPClassUID: req.SOPClassUID, SOPInstanceUID: req.SOPInstanceUID, TransferSyntax: req.TransferSyntax.UID, Data: append([]byte(nil), req.Data...)})
		return dimse.Success
	})
	ct := arch[0]
	q := dicom.New()
	_ = q.SetStrings(dicom.NewTag(0x0008, 0x0052), dicom.CS, "STUDY")
	_ = q.SetStrings(dicom.TagStudyInstanceUID, dicom.UI, ct.ds.Text(dicom.TagStudyInstanceUID))
	var want []archived
	for _, a := range arch {
		if a.ds.Text(dicom.TagStudyInstanceUID) == ct.ds.Text(dicom.TagStudyInstanceUID) {
			want = append(want, a)
		}
	}
	var pending int
	res, err := c.Get(ctx, uid.StudyRootQueryRetrieveInformationModelGet, q, store, func(dnet.RetrieveResult) { pending++ })
	if err != nil {
		t.Fatal(err)
	}
	if !res.Status.IsSuccess() || res.Completed != len(want) {
		t.Fatalf("result %+v, want %d completed", res, len(want))
	}
	checkIdentical(t, want, got)
	if err := c.Release(ctx); err != nil {
		t.Fatal(err)
	}
}
