package bulkload

import (
	"sync/atomic"
	"time"
)

// Progress counts a load as it goes. The loader updates it atomically; any
// goroutine may call Snapshot at any time (a progress bar, an API handler).
type Progress struct {
	started     atomic.Int64 // unix nanoseconds
	filesTotal  atomic.Int64
	filesDone   atomic.Int64
	loaded      atomic.Int64
	failed      atomic.Int64
	bytesRead   atomic.Int64
	problems    atomic.Int64
	unitsDone   atomic.Int64
	finishedNow atomic.Int64 // unix nanoseconds; 0 while running
}

// Snapshot is a copy of the counters at one instant.
type Snapshot struct {
	FilesTotal int64 // files found
	FilesDone  int64 // files read and all their Bundles answered
	Loaded     int64 // resources written (entries answered 2xx)
	Failed     int64 // resources not written (bad lines, failed entries)
	Problems   int64 // problems reported
	Bundles    int64 // Bundles executed
	Bytes      int64 // input bytes read
	Elapsed    time.Duration
	Done       bool
}

// Rate is resources loaded per second since the start.
func (s Snapshot) Rate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Loaded) / s.Elapsed.Seconds()
}

// Snapshot returns the current counters.
func (p *Progress) Snapshot() Snapshot {
	s := Snapshot{
		FilesTotal: p.filesTotal.Load(), FilesDone: p.filesDone.Load(),
		Loaded: p.loaded.Load(), Failed: p.failed.Load(), Problems: p.problems.Load(),
		Bundles: p.unitsDone.Load(), Bytes: p.bytesRead.Load(),
	}
	if st := p.started.Load(); st != 0 {
		end := time.Now().UnixNano()
		if f := p.finishedNow.Load(); f != 0 {
			end, s.Done = f, true
		}
		s.Elapsed = time.Duration(end - st)
	}
	return s
}
