package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"yigong/server/bulkload"
)

// progressBar draws a load's progress on w: a bar redrawn in place when w is
// a terminal, plain log lines every period otherwise.
type progressBar struct {
	w      io.Writer
	prog   *bulkload.Progress
	tty    bool
	period time.Duration
	width  int
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func newProgressBar(w io.Writer, prog *bulkload.Progress) *progressBar {
	b := &progressBar{w: w, prog: prog, tty: isTerminal(w), period: 10 * time.Second, width: 30}
	if b.tty {
		b.period = 200 * time.Millisecond
	}
	return b
}

// start draws until ctx ends or the returned stop is called; stop draws the
// final state and waits for the drawing goroutine.
func (b *progressBar) start(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(b.period)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				b.draw(b.prog.Snapshot(), false)
			}
		}
	}()
	return func() {
		cancel()
		wg.Wait()
		b.draw(b.prog.Snapshot(), true)
	}
}

// line renders one progress line.
func (b *progressBar) line(s bulkload.Snapshot) string {
	var sb strings.Builder
	if b.tty {
		frac := 0.0
		if s.FilesTotal > 0 {
			frac = float64(s.FilesDone) / float64(s.FilesTotal)
		}
		n := int(frac * float64(b.width))
		sb.WriteString("[" + strings.Repeat("#", n) + strings.Repeat("-", b.width-n) + "] ")
	}
	fmt.Fprintf(&sb, "%d/%d files  %d resources  %.0f/s  %d failed  %d errors  %s",
		s.FilesDone, s.FilesTotal, s.Loaded, s.Rate(), s.Failed, s.Problems, s.Elapsed.Round(100*time.Millisecond))
	return sb.String()
}

func (b *progressBar) draw(s bulkload.Snapshot, final bool) {
	switch {
	case b.tty && final:
		fmt.Fprintf(b.w, "\r\033[K%s\n", b.line(s))
	case b.tty:
		fmt.Fprintf(b.w, "\r\033[K%s", b.line(s))
	default:
		fmt.Fprintf(b.w, "import: %s\n", b.line(s))
	}
}
