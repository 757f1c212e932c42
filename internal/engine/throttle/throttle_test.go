package throttle

import (
	"context"
	"errors"
	"testing"
	"time"
)

// fakeClock advances only when the limiter sleeps, so the test measures the limiter's
// arithmetic, not the machine's speed.
type fakeClock struct{ t time.Time }

func newFake(rate float64) (*Limiter, *fakeClock) {
	c := &fakeClock{t: time.Unix(0, 0)}
	l := &Limiter{now: func() time.Time { return c.t }, sleep: func(_ context.Context, d time.Duration) error { c.t = c.t.Add(d); return nil }}
	l.SetRate(rate)
	return l, c
}

func TestLimiterHoldsTheRate(t *testing.T) {
	l, c := newFake(100)
	start := c.t
	for i := 0; i < 1000; i++ {
		if err := l.Wait(context.Background(), 1); err != nil {
			t.Fatal(err)
		}
	}
	// 1000 tokens at 100/s from an empty bucket take 10 s.
	if got := c.t.Sub(start); got < 9900*time.Millisecond || got > 10100*time.Millisecond {
		t.Errorf("1000 tokens at 100/s took %v, want about 10s", got)
	}
}

func TestLimiterRateChangeTakesEffect(t *testing.T) {
	l, c := newFake(10)
	start := c.t
	for i := 0; i < 10; i++ {
		l.Wait(context.Background(), 1)
	}
	l.SetRate(1000)
	mid := c.t
	for i := 0; i < 1000; i++ {
		l.Wait(context.Background(), 1)
	}
	if first, second := mid.Sub(start), c.t.Sub(mid); first < 900*time.Millisecond || second > 1100*time.Millisecond {
		t.Errorf("10 tokens at 10/s took %v (want ~1s), then 1000 at 1000/s took %v (want ~1s)", first, second)
	}
	l.SetRate(0)
	before := c.t
	l.Wait(context.Background(), 1e9)
	if c.t != before {
		t.Error("an unlimited limiter slept")
	}
}

func TestLimiterWaitHonoursContext(t *testing.T) {
	l := NewLimiter(1)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := l.Wait(ctx, 100); err == nil {
		t.Fatal("Wait for 100 tokens at 1/s returned before its context ended")
	}
}

// A nil *Limits is unlimited: no caller needs to build empty limits.
func TestNilLimitsWaitAtOnce(t *testing.T) {
	var l *Limits
	ctx := context.Background()
	if err := errors.Join(l.WaitQueries(ctx, 1e9), l.WaitRows(ctx, 1e9), l.WaitBytes(ctx, 1e9)); err != nil {
		t.Fatal(err)
	}
}
