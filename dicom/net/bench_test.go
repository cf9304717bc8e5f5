package net_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"yigong/conformance/corpus"
	"yigong/dicom/dimse"
	dnet "yigong/dicom/net"
)

// diskStore writes each instance to dir, with or without fsync.
type diskStore struct {
	dir   string
	fsync bool
}

func (d diskStore) HandleStore(ctx context.Context, req *dnet.StoreRequest) dimse.Status {
	f, err := os.Create(filepath.Join(d.dir, req.SOPInstanceUID+".dcm"))
	if err != nil {
		return dimse.OutOfResources
	}
	if err := req.WriteFile(f); err != nil {
		f.Close()
		return dimse.OutOfResources
	}
	if d.fsync {
		if err := f.Sync(); err != nil {
			f.Close()
			return dimse.OutOfResources
		}
	}
	if err := f.Close(); err != nil {
		return dimse.OutOfResources
	}
	return dimse.Success
}

// BenchmarkCStore measures C-STORE of CT_small.dcm (39 KiB) over one
// association, our SCU to our SCP over loopback TCP, the handler writing
// each instance to disk (one file, overwritten).
func BenchmarkCStore(b *testing.B) {
	for _, fsync := range []bool{false, true} {
		name := "fsync=off"
		if fsync {
			name = "fsync=on"
		}
		b.Run(name, func(b *testing.B) { benchStore(b, fsync) })
	}
}

func benchStore(b *testing.B, fsync bool) {
	raw, err := os.ReadFile(corpus.Path(b, "dicom", "CT_small.dcm"))
	if err != nil {
		b.Fatal(err)
	}
	inst, err := dnet.ReadInstance(raw)
	if err != nil {
		b.Fatal(err)
	}
	host, port := startServer(b, &dnet.Server{Store: diskStore{dir: b.TempDir(), fsync: fsync}})
	ctx := context.Background()
	c, err := dnet.Dial(ctx, host+":"+itoa(port), dnet.ClientConfig{Contexts: []dnet.Proposal{{AbstractSyntax: inst.SOPClassUID, TransferSyntaxes: []string{inst.TransferSyntax}}}})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Release(ctx)
	b.SetBytes(int64(len(inst.Data)))
	b.ReportAllocs()
	for b.Loop() {
		st, err := c.Store(ctx, inst)
		if err != nil || !st.IsSuccess() {
			b.Fatal(st, err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "instances/s")
}
