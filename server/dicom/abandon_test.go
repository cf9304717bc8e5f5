package dicom_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"yigong/dicom/part10"
	"yigong/dicom/uid"
	dicomsvc "yigong/server/dicom"
	"yigong/server/servertest"
)

// TestAbandonedBatch: a batch whose sender went away before Wait (a STOW-RS
// client that hung up mid-body) stores nothing and leaves no temporary
// blob behind; the same instances then store normally.
func TestAbandonedBatch(t *testing.T) {
	t.Parallel()
	hub := servertest.Start(t)
	var items []dicomsvc.Item
	for i := range 3 {
		sop := fmt.Sprintf("2.25.8200.1.%d", i)
		ds := synth(t, "", "Gone^Sender", "GONE", "2.25.8200", "2.25.8200.1", sop)
		var buf bytes.Buffer
		if err := part10.WriteDataset(&buf, ds, uid.ExplicitLE()); err != nil {
			t.Fatal(err)
		}
		items = append(items, dicomsvc.Item{TransferSyntax: uid.ExplicitLE(), Data: buf.Bytes()})
	}
	tmpDir := filepath.Join(hub.Config.DataDir, "blobs", "tmp")
	tests := []struct {
		name    string
		cancel  bool
		wantErr error
	}{
		{"sender gone", true, context.Canceled},
		// Created: the abandoned batch wrote no row.
		{"sender waits", false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			b := hub.DICOM().NewBatch(ctx, "STOW-RS")
			var staged sync.WaitGroup // each item's blob is staged
			for _, it := range items {
				staged.Add(1)
				it.Release = staged.Done
				b.Add(it)
			}
			staged.Wait()
			if tc.cancel {
				cancel()
			}
			for i, r := range b.Wait() {
				if !errors.Is(r.Err, tc.wantErr) {
					t.Errorf("item %d: %v, want %v", i, r.Err, tc.wantErr)
				}
				if r.Err == nil && !r.Created {
					t.Errorf("item %d: already held after the abandoned batch", i)
				}
			}
			if left, err := os.ReadDir(tmpDir); err != nil || len(left) != 0 {
				t.Errorf("temporary blobs left: %d (%v)", len(left), err)
			}
		})
	}
}
