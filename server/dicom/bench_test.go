package dicom_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"yigong/conformance/corpus"
	"yigong/dicom"
	dnet "yigong/dicom/net"
	"yigong/dicom/part10"
	"yigong/dicom/uid"
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
