package blobs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// held is a PendingFunc over a map, counting its lookups.
type held struct {
	mu    sync.Mutex
	m     map[string][]byte
	err   error
	calls int
}

func (h *held) find(_ context.Context, key string) ([]byte, bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls++
	if h.err != nil {
		return nil, false, h.err
	}
	b, ok := h.m[key]
	return b, ok, nil
}

func TestPendingFallback(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pend := []byte("pending part 10 file")
	wrong := []byte("content of another key")
	written := []byte("written blob")
	h := &held{m: map[string][]byte{Key(pend): pend, Key([]byte("x")): wrong}}
	wkey, _, err := s.PutBytes(ctx, written)
	if err != nil {
		t.Fatal(err)
	}
	missing := Key([]byte("missing"))
	s.SetPending(h.find)

	tests := []struct {
		name    string
		key     string
		want    []byte // nil: not found
		wantErr bool   // an error other than not found
	}{
		{"written", wkey, written, false},
		{"pending", Key(pend), pend, false},
		{"missing", missing, nil, false},
		{"pending content not matching its key", Key([]byte("x")), nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.Has(ctx, tc.key); got != (tc.want != nil || tc.wantErr) {
				t.Errorf("Has = %v", got)
			}
			b, err := s.ReadAll(ctx, tc.key)
			switch {
			case tc.wantErr:
				if err == nil || errors.Is(err, ErrNotFound) {
					t.Fatalf("ReadAll err = %v, want a failure", err)
				}
			case tc.want == nil:
				if !errors.Is(err, ErrNotFound) {
					t.Fatalf("ReadAll err = %v, want not found", err)
				}
			case err != nil || !bytes.Equal(b, tc.want):
				t.Fatalf("ReadAll = %q, %v", b, err)
			}
			f, err := s.Open(ctx, tc.key)
			switch {
			case tc.wantErr:
				if err == nil || errors.Is(err, ErrNotFound) {
					t.Fatalf("Open err = %v, want a failure", err)
				}
			case tc.want == nil:
				if !errors.Is(err, ErrNotFound) {
					t.Fatalf("Open err = %v, want not found", err)
				}
			case err != nil:
				t.Fatal(err)
			default:
				got, _ := io.ReadAll(f)
				f.Close()
				if !bytes.Equal(got, tc.want) {
					t.Fatalf("Open read %q", got)
				}
			}
		})
	}
	// Open wrote the pending blob: it is now read from the folder.
	if _, err := os.Stat(filepath.Join(s.Dir(), Key(pend)[:2], Key(pend))); err != nil {
		t.Fatalf("Open did not write the pending blob: %v", err)
	}
	h.mu.Lock()
	delete(h.m, Key(pend))
	h.calls = 0
	h.mu.Unlock()
	if b, err := s.ReadAll(ctx, Key(pend)); err != nil || !bytes.Equal(b, pend) {
		t.Fatalf("after Open: %q, %v", b, err)
	}
	if h.calls != 0 {
		t.Errorf("a written blob was looked up as pending %d times", h.calls)
	}
	// A failing lookup fails reads; Has answers false.
	h.err = errors.New("index down")
	if _, err := s.ReadAll(ctx, missing); err == nil || errors.Is(err, ErrNotFound) {
		t.Errorf("ReadAll with a failing lookup: %v", err)
	}
	if s.Has(ctx, missing) {
		t.Error("Has with a failing lookup")
	}
	// Removed: pending blobs are no longer seen.
	h.err = nil
	s.SetPending(nil)
	if s.Has(ctx, Key(wrong)) || s.Has(ctx, Key([]byte("x"))) {
		t.Error("Has after SetPending(nil)")
	}
}

// TestPendingMovedMeanwhile: the owner writes the blob and forgets it
// between the reader's look in the folder and its lookup; the reader
// looks in the folder again and finds it.
func TestPendingMovedMeanwhile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	content := []byte("moved while looked up")
	key := Key(content)
	s.SetPending(func(ctx context.Context, k string) ([]byte, bool, error) {
		if err := s.PutMany(ctx, [][]byte{content}); err != nil {
			return nil, false, err
		}
		return nil, false, nil // already forgotten
	})
	if !s.Has(ctx, key) {
		t.Error("Has missed a blob moved meanwhile")
	}
	os.Remove(filepath.Join(s.Dir(), key[:2], key))
	if b, err := s.ReadAll(ctx, key); err != nil || !bytes.Equal(b, content) {
		t.Errorf("ReadAll: %q, %v", b, err)
	}
	os.Remove(filepath.Join(s.Dir(), key[:2], key))
	f, err := s.Open(ctx, key)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	f.Close()
}

// TestPutMany runs both ways of making a batch durable: syncfs (kernels
// from 5.8) and an fsync per file and folder.
func TestPutMany(t *testing.T) {
	t.Parallel()
	for _, syncfs := range []bool{true, false} {
		t.Run(fmt.Sprintf("syncfs=%v", syncfs), func(t *testing.T) { testPutMany(t, syncfs) })
	}
}

func testPutMany(t *testing.T, syncfs bool) {
	ctx := context.Background()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s.syncFS = syncfs && s.syncFS
	before := []byte("already stored")
	if _, _, err := s.PutBytes(ctx, before); err != nil {
		t.Fatal(err)
	}
	var contents [][]byte
	for i := range 40 {
		contents = append(contents, bytes.Repeat([]byte{byte(i)}, 1000+i))
	}
	contents = append(contents, before, contents[3]) // stored, and twice in the batch
	if err := s.PutMany(ctx, contents); err != nil {
		t.Fatal(err)
	}
	for i, c := range contents {
		b, err := s.ReadAll(ctx, Key(c))
		if err != nil || !bytes.Equal(b, c) {
			t.Fatalf("content %d: %d bytes, %v", i, len(b), err)
		}
	}
	files, _ := filepath.Glob(filepath.Join(s.Dir(), "[0-9a-f][0-9a-f]", "*"))
	if len(files) != 41 {
		t.Fatalf("%d files, want 41", len(files))
	}
	if tmp, _ := os.ReadDir(filepath.Join(s.Dir(), "tmp")); len(tmp) != 0 {
		t.Fatalf("temporary files left: %d", len(tmp))
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.PutMany(cctx, [][]byte{[]byte("late")}); err == nil {
		t.Fatal("PutMany with an ended context succeeded")
	}
	if s.Has(ctx, Key([]byte("late"))) {
		t.Fatal("blob of a failed PutMany stored")
	}
	if tmp, _ := os.ReadDir(filepath.Join(s.Dir(), "tmp")); len(tmp) != 0 {
		t.Fatalf("temporary files left after a failure: %d", len(tmp))
	}
}

// TestKernelAtLeast: syncfs reports writeback errors from Linux 5.8; the
// release strings of the kernels the hub meets decide which path PutMany
// takes.
func TestKernelAtLeast(t *testing.T) {
	for _, tc := range []struct {
		release string
		want    bool
	}{
		{"6.1.0-28-amd64", true},
		{"5.8.0", true},
		{"5.10.0-60.18.0.50.oe2203.aarch64", true},
		{"5.7.19", false},
		{"4.19.90-2003.4.0.0036.oe1.aarch64", false},
		{"5.8-rc1", true},
		{"5", false},
		{"", false},
		{"x.y", false},
	} {
		if got := kernelAtLeast(tc.release, 5, 8); got != tc.want {
			t.Errorf("kernelAtLeast(%q, 5, 8) = %v, want %v", tc.release, got, tc.want)
		}
	}
}
