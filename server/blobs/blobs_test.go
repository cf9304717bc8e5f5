package blobs

import (
	"bytes"
	"context"
	"errors"
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
			if key != keyOf(content) || size != int64(len(content)) {
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
	if !s.Has(context.Background(), keyOf([]byte("same"))) {
		t.Fatal("missing")
	}
}

func TestOpenMissing(t *testing.T) {
	t.Parallel()
	s, _ := Open(t.TempDir())
	for _, key := range []string{keyOf([]byte("x")), "../etc/passwd", ""} {
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
			if got := s.Has(ctx, keyOf(content)); got != tc.wantHas {
				t.Fatalf("Has after Discard = %v, want %v", got, tc.wantHas)
			}
			if tmp, _ := os.ReadDir(filepath.Join(s.Dir(), "tmp")); len(tmp) != 0 {
				t.Fatalf("temporary files left: %d", len(tmp))
			}
		})
	}
}
