package ecg

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"yigong/ecg"
)

// Sub-folders of the watched folder.
const (
	DoneDir   = "done"
	FailedDir = "failed"
	// ErrorSuffix names the note beside a failed file: <name>.error.txt.
	ErrorSuffix = ".error.txt"
)

// watcher polls one folder. It is used by one goroutine only.
type watcher struct {
	s        *Service
	dir      string
	interval time.Duration
	// seen is each candidate's size and modification time at the last
	// poll: a file is taken when they have not changed since.
	seen map[string]fileState
}

type fileState struct {
	size int64
	mod  time.Time
}

func newWatcher(s *Service, cfg Watch) (*watcher, error) {
	for _, d := range []string{cfg.Dir, filepath.Join(cfg.Dir, DoneDir), filepath.Join(cfg.Dir, FailedDir)} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, fmt.Errorf("ecg: watched folder: %w", err)
		}
	}
	return &watcher{s: s, dir: cfg.Dir, interval: cfg.Interval, seen: map[string]fileState{}}, nil
}

// run polls until ctx is done.
func (w *watcher) run(ctx context.Context) {
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		w.poll(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// poll handles every file whose size and time are stable since the last
// poll.
func (w *watcher) poll(ctx context.Context) {
	entries, err := os.ReadDir(w.dir)
	if err != nil {
		w.s.log.Warn("ecg watched folder unreadable", "dir", w.dir, "err", err)
		return
	}
	next := make(map[string]fileState, len(entries))
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ErrorSuffix) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // gone since ReadDir
		}
		st := fileState{size: info.Size(), mod: info.ModTime()}
		if prev, ok := w.seen[name]; !ok || prev != st {
			next[name] = st // new or still growing: look again next time
			continue
		}
		if ctx.Err() != nil {
			return
		}
		if w.handle(ctx, name) {
			continue
		}
		next[name] = st // left in place to retry
	}
	w.seen = next
}

// handle ingests one file and moves it to done/ or failed/; it returns
// false when the file stays for another try.
func (w *watcher) handle(ctx context.Context, name string) bool {
	path := filepath.Join(w.dir, name)
	raw, err := readCapped(path, w.s.opts.MaxSize)
	if err == nil {
		_, err = w.s.Ingest(ctx, raw)
	}
	switch {
	case err == nil:
		if err := moveAside(path, filepath.Join(w.dir, DoneDir), name); err != nil {
			w.s.log.Error("ecg: moving an ingested file to done/", "file", name, "err", err)
		}
		return true
	case retryable(err):
		w.s.log.Warn("ecg file will be retried", "file", name, "err", err)
		return false
	}
	w.s.log.Warn("ecg file failed", "file", name, "err", err)
	failed := filepath.Join(w.dir, FailedDir)
	if merr := moveAside(path, failed, name); merr != nil {
		w.s.log.Error("ecg: moving a failed file to failed/", "file", name, "err", merr)
		return true
	}
	note := fmt.Sprintf("%s\nfile: %s\nerror: %v\n", time.Now().Format(time.RFC3339), name, err)
	if werr := os.WriteFile(filepath.Join(failed, name+ErrorSuffix), []byte(note), 0o640); werr != nil {
		w.s.log.Error("ecg: writing the error note", "file", name, "err", werr)
	}
	return true
}

func readCapped(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("ecg: %w", err)
	}
	defer f.Close()
	b, err := ecg.ReadAll(f, limit)
	if errors.Is(err, ecg.ErrTooLarge) {
		return nil, &Error{Err: ErrUnreadable, Cause: err}
	}
	if err != nil {
		return nil, fmt.Errorf("ecg: read %s: %w", filepath.Base(path), err)
	}
	return b, nil
}

// moveAside renames path into dir, keeping name unless a file of that name
// is there already (then a time stamp is added).
func moveAside(path, dir, name string) error {
	dst := filepath.Join(dir, name)
	if _, err := os.Stat(dst); err == nil {
		dst = filepath.Join(dir, time.Now().Format("20060102T150405.000000000")+"-"+name)
	}
	return os.Rename(path, dst)
}
