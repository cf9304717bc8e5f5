package net_test

import (
	"context"
	stdnet "net"
	"strconv"
	"testing"
	"time"

	"yigong/dicom/dimse"
	dnet "yigong/dicom/net"
	"yigong/dicom/uid"
)

// TestCommitNewAssociation: a requestor that releases right after the
// N-ACTION gets the N-EVENT-REPORT on a new association that the
// performer opens to it, as Storage Commitment SCP (PS3.4 J.3.3). The
// performer answers at once, or after the release has arrived.
func TestCommitNewAssociation(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		delay time.Duration // before the performer's handler answers
	}{
		{"answer at once", 0},
		{"answer after the release", 300 * time.Millisecond},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			reports := make(chan *dnet.CommitReport, 2)
			requestor := &dnet.Server{AETitle: "MODALITY", CommitReports: dnet.CommitReportHandlerFunc(func(ctx context.Context, rep *dnet.CommitReport) dimse.Status {
				reports <- rep
				return dimse.Success
			})}
			rh, rp := startServer(t, requestor)
			performer := &dnet.Server{
				AETitle: "YIGONG",
				Commit: dnet.CommitHandlerFunc(func(ctx context.Context, req *dnet.CommitRequest) dnet.CommitResult {
					time.Sleep(c.delay)
					return dnet.CommitResult{Committed: req.References}
				}),
				Destinations: dnet.AEResolverFunc(func(ctx context.Context, aet string) (string, error) {
					if aet == "MODALITY" {
						return stdnet.JoinHostPort(rh, strconv.Itoa(rp)), nil
					}
					return "", nil
				}),
			}
			ph, pp := startServer(t, performer)
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			cl, err := dnet.Dial(ctx, stdnet.JoinHostPort(ph, strconv.Itoa(pp)), dnet.ClientConfig{CallingAE: "MODALITY", CalledAE: "YIGONG",
				Contexts: []dnet.Proposal{{AbstractSyntax: uid.StorageCommitmentPushModel}}})
			if err != nil {
				t.Fatal(err)
			}
			refs := []dnet.SOPReference{{SOPClassUID: uid.CTImageStorage, SOPInstanceUID: "1.2.3.1"}}
			if err := cl.RequestCommit(ctx, "2.25.4242", refs); err != nil {
				t.Fatal(err)
			}
			if err := cl.Release(ctx); err != nil {
				t.Fatal(err)
			}
			select {
			case rep := <-reports:
				if rep.TransactionUID != "2.25.4242" || len(rep.Committed) != 1 || rep.Committed[0].SOPInstanceUID != "1.2.3.1" || len(rep.Failed) != 0 {
					t.Fatalf("report %+v", rep)
				}
				if rep.CallingAE != "YIGONG" {
					t.Errorf("report came from %q, want the performer YIGONG", rep.CallingAE)
				}
			case <-ctx.Done():
				t.Fatal("no N-EVENT-REPORT on a new association")
			}
		})
	}
}

// TestCommitReportsNeedRole: a server without CommitReports refuses the
// SCP role for storage commitment, so a performer cannot report to it.
func TestCommitReportsNeedRole(t *testing.T) {
	t.Parallel()
	c := pipeClient(t, &dnet.Server{}, []dnet.Proposal{{AbstractSyntax: uid.StorageCommitmentPushModel, SCPRole: true}})
	for _, pc := range c.Contexts() {
		if pc.AbstractSyntax == uid.StorageCommitmentPushModel {
			t.Errorf("storage commitment accepted with roles SCU=%v SCP=%v", pc.SCU, pc.SCP)
		}
	}
}
