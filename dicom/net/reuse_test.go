package net_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"testing"

	"yigong/dicom/dimse"
	dnet "yigong/dicom/net"
	"yigong/dicom/uid"
)

// TestReuseStoreData: with ReuseStoreData, each C-STORE's data set arrives
// whole and exact although the server reuses the buffers of earlier ones,
// larger and smaller, sent in one PDU or fragmented (the server's 128 KiB
// maximum splits the large ones).
func TestReuseStoreData(t *testing.T) {
	t.Parallel()
	type got struct {
		n   int
		sum [32]byte
	}
	var seen []got
	var kept [][]byte // what a handler that wrongly keeps Data would see
	srv := &dnet.Server{ReuseStoreData: true, Store: dnet.StoreHandlerFunc(func(_ context.Context, req *dnet.StoreRequest) dimse.Status {
		seen = append(seen, got{len(req.Data), sha256.Sum256(req.Data)})
		kept = append(kept, req.Data)
		return dimse.Success
	})}
	c := pipeClient(t, srv, []dnet.Proposal{{AbstractSyntax: uid.CTImageStorage, TransferSyntaxes: []string{uid.ExplicitVRLittleEndian}}})
	ctx := context.Background()
	sizes := []int{300 << 10, 10 << 10, 700 << 10, 2, 700 << 10, 64 << 10}
	var want []got
	for i, n := range sizes {
		data := bytes.Repeat([]byte{byte(i + 1), byte(0xA0 + i)}, n/2)
		want = append(want, got{len(data), sha256.Sum256(data)})
		st, err := c.Store(ctx, dnet.Instance{SOPClassUID: uid.CTImageStorage, SOPInstanceUID: fmt.Sprintf("2.25.77.%d", i),
			TransferSyntax: uid.ExplicitVRLittleEndian, Data: data})
		if err != nil || !st.IsSuccess() {
			t.Fatalf("store %d: %v %v", i, st, err)
		}
	}
	if len(seen) != len(want) {
		t.Fatalf("handled %d C-STOREs, sent %d", len(seen), len(want))
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Errorf("C-STORE %d: got %d bytes (sum %x), sent %d (sum %x)", i, seen[i].n, seen[i].sum[:4], want[i].n, want[i].sum[:4])
		}
	}
	// The buffers were reused: the first (300 KiB) data set's memory now
	// holds a later one, which is why a handler must copy what it keeps.
	if bytes.Equal(kept[0][:4], []byte{1, 0xA0, 1, 0xA0}) {
		t.Log("first buffer not reused (sync.Pool may drop buffers at a GC)")
	}
}
