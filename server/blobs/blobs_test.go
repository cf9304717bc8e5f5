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

func TestPutOpen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	content := bytes.Repeat([]byte("DICM"), 100000)
	tests := []struct {
		name string
		put  func() (string, int64, error)
	}{
		{"stream", func() (string, int64, error) { return s.Put(ctx, bytes.NewReader(content)) }},
		{"bytes", func() (string, int64, error) { return s.PutBytes(ctx, content[:10], content[10:]) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key, size, err := tc.put()
			if err != nil {
				t.Fatal(err)
			}
			if key != Key(content) || size != int64(len(content)) {
				t.Fatalf("key %s size %d", key, size)
			}
			f, err := s.Open(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, _ := io.ReadAll(f)
			if !bytes.Equal(got, content) {
				t.Fatal("content differs")
			}
		})
	}
	files, _ := filepath.Glob(filepath.Join(s.Dir(), "[0-9a-f][0-9a-f]", "*"))
	if len(files) != 1 {
		t.Fatalf("stored %d files for one content: %v", len(files), files)
	}
	if tmp, _ := os.ReadDir(filepath.Join(s.Dir(), "tmp")); len(tmp) != 0 {
		t.Fatalf("temporary files left: %d", len(tmp))
	}
}

func TestConcurrentSameContent(t *testing.T) {
	t.Parallel()
	s, _ := Open(t.TempDir())
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := s.Put(context.Background(), bytes.NewReader([]byte("same"))); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if !s.Has(context.Background(), Key([]byte("same"))) {
		t.Fatal("missing")
	}
}

func TestOpenMissing(t *testing.T) {
	t.Parallel()
	s, _ := Open(t.TempDir())
	for _, key := range []string{Key([]byte("x")), "../etc/passwd", ""} {
		if _, err := s.Open(context.Background(), key); !errors.Is(err, ErrNotFound) {
			t.Errorf("Open(%q) = %v, want ErrNotFound", key, err)
		}
	}
}

func TestCrashLeftovers(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "tmp"), 0o750)
	os.WriteFile(filepath.Join(dir, "tmp", "put-dead"), []byte("partial"), 0o640)
	if _, err := Open(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "tmp", "put-dead")); !os.IsNotExist(err) {
		t.Fatal("leftover not removed")
	}
}

func TestStageDiscard(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name    string
		held    bool // the content was stored before it was staged
		sync    bool // Sync before Discard
		wantHas bool
	}{
		{"new content", false, false, false},
		{"content already held", true, false, true},
		{"discard after sync", false, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			content := []byte("instance " + tc.name)
			if tc.held {
				if _, _, err := s.PutBytes(ctx, content); err != nil {
					t.Fatal(err)
				}
			}
			p, err := s.Stage(ctx, content[:4], content[4:])
			if err != nil {
				t.Fatal(err)
			}
			if tc.sync {
				if err := p.Sync(); err != nil {
					t.Fatal(err)
				}
			}
			if err := p.Discard(); err != nil {
				t.Fatal(err)
			}
			if err := p.Discard(); err != nil { // a second call does nothing
				t.Fatal(err)
			}
			if got := s.Has(ctx, Key(content)); got != tc.wantHas {
				t.Fatalf("Has after Discard = %v, want %v", got, tc.wantHas)
			}
			if tmp, _ := os.ReadDir(filepath.Join(s.Dir(), "tmp")); len(tmp) != 0 {
				t.Fatalf("temporary files left: %d", len(tmp))
			}
		})
	}
}

// TestStageLarge: blobs from directMin up are written with direct I/O
// (whole aligned blocks, the last partial block through the page cache,
// directChunk at a time) or, where the filesystem refuses O_DIRECT,
// plainly; either way the content is exact, its key names no file until
// Sync (the fsync comes before the rename), and no temporary file stays.
func TestStageLarge(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sizes := []int{directMin, directMin + 1, 300*directAlign + 17, directChunk, 2*directChunk + 123}
	for _, direct := range []bool{true, false} {
		for _, n := range sizes {
			t.Run(fmt.Sprintf("direct=%v/%d", direct, n), func(t *testing.T) {
				t.Parallel()
				s, err := Open(t.TempDir())
				if err != nil {
					t.Fatal(err)
				}
				s.noDirect.Store(!direct)
				content := make([]byte, n)
				for i := range content {
					content[i] = byte(i*7 + i>>12)
				}
				// A meta header of odd length, then the data set.
				p, err := s.Stage(ctx, content[:201], content[201:])
				if err != nil {
					t.Fatal(err)
				}
				if direct && directIO && s.noDirect.Load() {
					t.Log("the filesystem refused O_DIRECT: written through the page cache")
				}
				if p.Key != Key(content) || p.Size != int64(n) {
					t.Fatalf("key %s size %d", p.Key, p.Size)
				}
				if s.Has(ctx, p.Key) {
					t.Fatal("the key names a file before Sync")
				}
				if err := p.Sync(); err != nil {
					t.Fatal(err)
				}
				got, err := s.ReadAll(ctx, p.Key)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, content) {
					t.Fatalf("stored %d bytes differ from the %d staged", len(got), n)
				}
				// The same content again: written, then dropped.
				again, err := s.Stage(ctx, content)
				if err != nil {
					t.Fatal(err)
				}
				if err := again.Sync(); err != nil {
					t.Fatal(err)
				}
				if tmp, _ := os.ReadDir(filepath.Join(s.Dir(), "tmp")); len(tmp) != 0 {
					t.Fatalf("temporary files left: %d", len(tmp))
				}
				files, _ := filepath.Glob(filepath.Join(s.Dir(), "[0-9a-f][0-9a-f]", "*"))
				if len(files) != 1 {
					t.Fatalf("stored %d files for one content", len(files))
				}
			})
		}
	}
}

// TestStageLargeDiscard: a large staged blob that is dropped leaves
// nothing.
func TestStageLargeDiscard(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	content := bytes.Repeat([]byte("slice"), directMin)
	p, err := s.Stage(ctx, content)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Discard(); err != nil {
		t.Fatal(err)
	}
	if s.Has(ctx, Key(content)) {
		t.Fatal("a discarded blob is stored")
	}
	if tmp, _ := os.ReadDir(filepath.Join(s.Dir(), "tmp")); len(tmp) != 0 {
		t.Fatalf("temporary files left: %d", len(tmp))
	}
}
