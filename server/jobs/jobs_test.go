package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"yigong/server/jobs"
)

func wait(t *testing.T, r *jobs.Registry, id string) jobs.Snapshot {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := r.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestOutcomes(t *testing.T) {
	boom := errors.New("boom")
	cases := []struct {
		name   string
		fn     jobs.Func
		cancel bool
		state  jobs.State
		errHas string
	}{
		{"done", func(ctx context.Context, report func(jobs.Progress)) (any, error) {
			for i := int64(1); i <= 10; i++ {
				report(jobs.Progress{Phase: "count", Done: i, Total: 10})
			}
			return map[string]int{"n": 10}, nil
		}, false, jobs.Done, ""},
		{"failed", func(ctx context.Context, report func(jobs.Progress)) (any, error) {
			return nil, fmt.Errorf("step 3: %w", boom)
		}, false, jobs.Failed, "step 3: boom"},
		{"panic", func(ctx context.Context, report func(jobs.Progress)) (any, error) {
			panic("oops")
		}, false, jobs.Failed, "panicked: oops"},
		{"cancelled", func(ctx context.Context, report func(jobs.Progress)) (any, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}, true, jobs.Cancelled, "cancelled"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := jobs.New(context.Background(), jobs.Options{})
			s, err := r.Start(jobs.Spec{Kind: "k", Detail: "d"}, tc.fn)
			if err != nil {
				t.Fatal(err)
			}
			if s.State != jobs.Queued && s.State != jobs.Running {
				t.Errorf("first state %s", s.State)
			}
			if tc.cancel {
				if _, err := r.Cancel(s.ID); err != nil {
					t.Fatal(err)
				}
			}
			got := wait(t, r, s.ID)
			if got.State != tc.state || !strings.Contains(got.Error, tc.errHas) {
				t.Fatalf("state %s error %q, want %s %q", got.State, got.Error, tc.state, tc.errHas)
			}
			if got.Finished.IsZero() || got.Started.IsZero() {
				t.Errorf("times not set: %+v", got)
			}
			if tc.state == jobs.Done && (got.Done != 10 || got.Total != 10 || got.Result == nil) {
				t.Errorf("done job: %+v", got)
			}
		})
	}
}

func TestOneOfAKind(t *testing.T) {
	r := jobs.New(context.Background(), jobs.Options{})
	release := make(chan struct{})
	block := func(ctx context.Context, report func(jobs.Progress)) (any, error) {
		select {
		case <-release:
			return nil, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	first, err := r.Start(jobs.Spec{Kind: "reindex"}, block)
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Start(jobs.Spec{Kind: "reindex"}, block)
	var busy *jobs.BusyError
	if !errors.Is(err, jobs.ErrBusy) || !errors.As(err, &busy) || busy.Running.ID != first.ID {
		t.Fatalf("second start: %v", err)
	}
	other, err := r.Start(jobs.Spec{Kind: "relink"}, block)
	if err != nil {
		t.Fatalf("another kind is refused: %v", err)
	}
	if s, ok := r.Running("reindex"); !ok || s.ID != first.ID {
		t.Errorf("Running: %v %v", s, ok)
	}
	close(release)
	wait(t, r, first.ID)
	wait(t, r, other.ID)
	again, err := r.Start(jobs.Spec{Kind: "reindex"}, block)
	if err != nil {
		t.Fatalf("start after the first finished: %v", err)
	}
	wait(t, r, again.ID)
	if l := r.List(); len(l) != 3 || l[0].ID != again.ID {
		t.Errorf("List (newest first): %+v", l)
	}
}

func TestKeepAndClose(t *testing.T) {
	r := jobs.New(context.Background(), jobs.Options{Keep: 2})
	var ids []string
	for range 4 {
		s, err := r.Start(jobs.Spec{Kind: "k"}, func(context.Context, func(jobs.Progress)) (any, error) { return nil, nil })
		if err != nil {
			t.Fatal(err)
		}
		wait(t, r, s.ID)
		ids = append(ids, s.ID)
	}
	if _, err := r.Get(ids[0]); !errors.Is(err, jobs.ErrNotFound) {
		t.Errorf("oldest job kept: %v", err)
	}
	if _, err := r.Get(ids[3]); err != nil {
		t.Errorf("newest job forgotten: %v", err)
	}
	if n := len(r.List()); n != 2 {
		t.Errorf("%d jobs kept, want 2", n)
	}
	running, err := r.Start(jobs.Spec{Kind: "long"}, func(ctx context.Context, _ func(jobs.Progress)) (any, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if s, _ := r.Get(running.ID); s.State != jobs.Cancelled {
		t.Errorf("after Close: %s", s.State)
	}
	if _, err := r.Start(jobs.Spec{Kind: "k"}, func(context.Context, func(jobs.Progress)) (any, error) { return nil, nil }); !errors.Is(err, jobs.ErrClosed) {
		t.Errorf("start after Close: %v", err)
	}
}

func TestRateAndLine(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	r := jobs.New(context.Background(), jobs.Options{Clock: clock})
	step := make(chan struct{})
	s, err := r.Start(jobs.Spec{Kind: "k"}, func(ctx context.Context, report func(jobs.Progress)) (any, error) {
		report(jobs.Progress{Phase: "write", Done: 0, Total: 1000})
		step <- struct{}{}
		<-step
		report(jobs.Progress{Phase: "write", Done: 250, Total: 1000})
		step <- struct{}{}
		<-ctx.Done()
		return nil, ctx.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	<-step
	now = now.Add(10 * time.Second) // the job goroutine is parked: no race on now
	step <- struct{}{}
	<-step
	got, _ := r.Get(s.ID)
	if got.Rate != 25 || got.ETA != 30*time.Second || got.Percent() != 25 {
		t.Errorf("rate %v eta %v percent %v", got.Rate, got.ETA, got.Percent())
	}
	if line := got.Line(); line != "write 250/1000 (25%), 25/s, 30s left" {
		t.Errorf("line %q", line)
	}
	r.Cancel(s.ID)
	wait(t, r, s.ID)
}
