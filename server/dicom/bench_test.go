package dicom_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"yigong/conformance/corpus"
	"yigong/dicom"
	dnet "yigong/dicom/net"
	"yigong/dicom/part10"
	"yigong/dicom/uid"
	dicomsvc "yigong/server/dicom"
	"yigong/server/servertest"
)

// BenchmarkCStore stores the 38 KiB CT_small with new SOP Instance UIDs,
// one association, into a hub booted in-process (blob fsyncs and the
// store's commit included). `yigong bench dicom` compares with Orthanc.
func BenchmarkCStore(b *testing.B) {
	raw, err := os.ReadFile(corpus.Path(b, "dicom", "CT_small.dcm"))
	if err != nil {
		b.Fatal(err)
	}
	f, err := part10.Read(bytes.NewReader(raw), nil)
	if err != nil {
		b.Fatal(err)
	}
	ins := make([]dnet.Instance, b.N)
	class := f.Dataset.Text(dicom.TagSOPClassUID)
	for i := range ins {
		_ = f.Dataset.SetStrings(dicom.TagSOPInstanceUID, dicom.UI, fmt.Sprintf("2.25.99.%d", i))
		var buf bytes.Buffer
		if err := part10.WriteDataset(&buf, f.Dataset, uid.ExplicitLE()); err != nil {
			b.Fatal(err)
		}
		ins[i] = dnet.Instance{SOPClassUID: class, SOPInstanceUID: fmt.Sprintf("2.25.99.%d", i), TransferSyntax: uid.ExplicitVRLittleEndian, Data: buf.Bytes()}
	}
	hub := servertest.Start(b)
	ctx := context.Background()
	c, err := dnet.Dial(ctx, hub.DICOMAddr(), dnet.ClientConfig{CalledAE: "YIGONG",
		Contexts: []dnet.Proposal{{AbstractSyntax: class, TransferSyntaxes: []string{uid.ExplicitVRLittleEndian}}}})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Release(ctx)
	b.SetBytes(int64(len(ins[0].Data)))
	b.ResetTimer()
	for i := range ins {
		if _, err := c.Store(ctx, ins[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	start := time.Now()
	if err := hub.DICOM().SyncNow(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(time.Since(start).Milliseconds()), "ms-imagingstudy-sync")
}

// ctInstances returns n copies of CT_small (explicit VR little endian
// data sets) with new SOP Instance UIDs under prefix, 100 per study.
func ctInstances(b testing.TB, n int, prefix string) []dicomsvc.Item {
	raw, err := os.ReadFile(corpus.Path(b, "dicom", "CT_small.dcm"))
	if err != nil {
		b.Fatal(err)
	}
	f, err := part10.Read(bytes.NewReader(raw), nil)
	if err != nil {
		b.Fatal(err)
	}
	out := make([]dicomsvc.Item, n)
	for i := range out {
		_ = f.Dataset.SetStrings(dicom.TagSOPInstanceUID, dicom.UI, fmt.Sprintf("%s.%d", prefix, i))
		_ = f.Dataset.SetStrings(dicom.TagStudyInstanceUID, dicom.UI, fmt.Sprintf("%s.s%d", prefix, i/100))
		_ = f.Dataset.SetStrings(dicom.TagSeriesInstanceUID, dicom.UI, fmt.Sprintf("%s.s%d.1", prefix, i/100))
		var buf bytes.Buffer
		if err := part10.WriteDataset(&buf, f.Dataset, uid.ExplicitLE()); err != nil {
			b.Fatal(err)
		}
		out[i] = dicomsvc.Item{TransferSyntax: uid.ExplicitLE(), Data: buf.Bytes()}
	}
	return out
}

// BenchmarkIngest stores CT_small copies through the service (no
// network): one at a time as C-STORE does, in batches of 50 as a STOW-RS
// request does, and one at a time from 4 goroutines (4 associations,
// group-committed). The figure to compare is ns/op per instance.
func BenchmarkIngest(b *testing.B) {
	for _, c := range []struct {
		name            string
		batch, parallel int
	}{{"single", 1, 1}, {"batch50", 50, 1}, {"parallel4", 1, 4}} {
		b.Run(c.name, func(b *testing.B) {
			items := ctInstances(b, b.N, "2.25.98."+c.name)
			hub := servertest.Start(b)
			svc := hub.DICOM()
			ctx := context.Background()
			b.SetBytes(int64(len(items[0].Data)))
			b.ResetTimer()
			var wg sync.WaitGroup
			for g := range c.parallel {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := g * c.batch; i < len(items); i += c.batch * c.parallel {
						for _, r := range svc.IngestBatch(ctx, "BENCH", items[i:min(i+c.batch, len(items))]) {
							if r.Err != nil {
								b.Error(r.Err)
								return
							}
						}
					}
				}()
			}
			wg.Wait()
		})
	}
}
