package server

import (
	"strconv"
	"testing"
	"time"
)

// clock is a settable time source for the rate limiter.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock                   { return &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }
func keyOf(prefix string, i int) string  { return prefix + strconv.Itoa(i) }
func spend(l *rateLimiter, key string) int {
	n := 0
	for l.take(key) == 0 {
		n++
	}
	return n
}

func TestRateLimiterBucket(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		rate      float64
		burst     int           // requests that pass at once
		refill    time.Duration // idle time after the burst
		afterIdle int           // requests that pass then
		wait      time.Duration // Retry-After of the first refused request
	}{
		{"2/s", 2, 4, 500 * time.Millisecond, 1, 500 * time.Millisecond},
		{"2/s full again", 2, 4, 10 * time.Second, 4, 500 * time.Millisecond},
		{"0.5/s bursts of 1", 0.5, 1, 2 * time.Second, 1, 2 * time.Second},
		{"128/s", 128, 256, 62500 * time.Microsecond, 8, 7812500 * time.Nanosecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock()
			l := newRateLimiter(tc.rate, c.now)
			if n := spend(l, "a"); n != tc.burst {
				t.Fatalf("burst: %d passed, want %d", n, tc.burst)
			}
			if w := l.take("a"); w < tc.wait-time.Millisecond || w > tc.wait+time.Millisecond {
				t.Fatalf("wait %v, want %v", w, tc.wait)
			}
			if n := spend(l, "b"); n != tc.burst { // another client has its own bucket
				t.Fatalf("client b: %d passed, want %d", n, tc.burst)
			}
			c.advance(tc.refill)
			if n := spend(l, "a"); n != tc.afterIdle {
				t.Fatalf("after %v: %d passed, want %d", tc.refill, n, tc.afterIdle)
			}
		})
	}
}

// TestRateLimiterForgets: buckets of idle clients (full again) are
// forgotten, and only they: an active client keeps its state however many
// others come and go.
func TestRateLimiterForgets(t *testing.T) {
	t.Parallel()
	c := newClock()
	l := newRateLimiter(1, c.now) // bursts of 2, full again after 2 s idle
	kept := func() int { return len(l.cur) + len(l.prev) }
	for i := range 10_001 {
		l.take(keyOf("idle-", i))
	}
	for i := range 100 {
		spend(l, keyOf("drained-", i))
	}
	// 1.5 s later, 10,001 new clients: the drained buckets hold 1.5 tokens,
	// not a fresh 2.
	c.advance(1500 * time.Millisecond)
	for i := range 10_001 {
		l.take(keyOf("new-", i))
	}
	for i := range 100 {
		if n := spend(l, keyOf("drained-", i)); n != 1 {
			t.Fatalf("drained-%d: %d passed after 1.5 s, want 1: its bucket was forgotten before it was full", i, n)
		}
	}
	// A busy client, 0.9 s apart for 4.5 s: never more than the refill.
	for step := range 5 {
		c.advance(900 * time.Millisecond)
		if n := spend(l, "busy"); step > 0 && n > 1 {
			t.Fatalf("busy, step %d: %d passed in 0.9 s at 1/s: its bucket was reset", step, n)
		}
	}
	l.take("last")
	if n := kept(); n > 2 {
		t.Fatalf("%d buckets kept, want those of the 2 clients active in the last 2 s", n)
	}
	if n := spend(l, keyOf("idle-", 5)); n != 2 {
		t.Fatalf("a forgotten client comes back with %d tokens, want a full bucket of 2", n)
	}
}

// BenchmarkRateLimiter: 10,000 clients with live buckets; requests come
// from them in turn (steady: 1 µs apart) or each from a new client while
// the oldest go idle (churn: 200 µs apart at 100/s, so that about 10,000
// clients are live at any time: addresses of scanners, NATs, short-lived
// backends).
func BenchmarkRateLimiter(b *testing.B) {
	const clients = 10_000
	for _, bc := range []struct {
		name  string
		churn bool
		step  time.Duration
	}{{"steady-10k", false, time.Microsecond}, {"churn-10k", true, 200 * time.Microsecond}} {
		b.Run(bc.name, func(b *testing.B) {
			c := newClock()
			l := newRateLimiter(100, c.now)
			for i := range clients + 1 {
				c.advance(bc.step)
				l.take(keyOf("c", i))
			}
			keys := make([]string, b.N)
			for i := range keys {
				if bc.churn {
					keys[i] = keyOf("n", i)
				} else {
					keys[i] = keyOf("c", i%clients)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				c.advance(bc.step)
				l.take(keys[i])
			}
		})
	}
}
