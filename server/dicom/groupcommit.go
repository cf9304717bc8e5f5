package dicom

import (
	"context"
)

// maxGroup caps the instances of one group commit.
const maxGroup = 512

// commitReq is one IngestBatch's index rows waiting for the committer.
type commitReq struct {
	ps   []*pending
	done chan error
}

// groupCommit commits ps's index rows. While the committer runs, the rows
// of every association and STOW-RS request waiting at that moment go in
// one transaction (one WAL fsync for many instances, like the MLLP inbox);
// otherwise (before Start, after Shutdown) they are committed alone.
func (s *Service) groupCommit(ctx context.Context, ps []*pending) error {
	if !s.committing.Load() {
		return s.commit(ctx, ps)
	}
	r := &commitReq{ps: ps, done: make(chan error, 1)}
	select {
	case s.commits <- r:
		return <-r.done // the committer always answers
	case <-s.committerGone:
		return s.commit(ctx, ps)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// committer takes waiting commit requests and commits them together. A
// failed group is retried request by request, so that one bad instance
// fails only its own sender.
func (s *Service) committer(ctx context.Context) {
	defer s.wg.Done()
	defer close(s.committerGone)
	defer s.committing.Store(false)
	for {
		var first *commitReq
		select {
		case first = <-s.commits:
		case <-ctx.Done():
			return
		}
		group := []*commitReq{first}
		n := len(first.ps)
	drain:
		for n < maxGroup {
			select {
			case r := <-s.commits:
				group = append(group, r)
				n += len(r.ps)
			default:
				break drain
			}
		}
		if len(group) == 1 {
			first.done <- s.commit(ctx, first.ps)
			continue
		}
		all := make([]*pending, 0, n)
		for _, r := range group {
			all = append(all, r.ps...)
		}
		if err := s.commit(ctx, all); err == nil {
			for _, r := range group {
				r.done <- nil
			}
			continue
		}
		for _, r := range group {
			r.done <- s.commit(ctx, r.ps)
		}
	}
}
