// Package clocktesting provides a fake clock.Clock for unit tests: time stands still until
// the test advances it, and the test can wait until the code under test waits on the clock.
package clocktesting

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/clock"
)

var _ clock.Clock = (*Fake)(nil)

// Fake is a clock.Clock whose time moves only by Advance. It is safe for concurrent use.
type Fake struct {
	mu      sync.Mutex
	changed chan struct{} // closed and replaced whenever a waiter is added
	now     time.Time
	waiters []waiter
	tickers []*ticker
	afters  []time.Duration
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

// New returns a fake clock that reads start.
func New(start time.Time) *Fake {
	return &Fake{now: start, changed: make(chan struct{})}
}

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// After returns a channel that receives the time once Advance has moved the clock d on. A
// d <= 0 fires at once. Every d asked for is recorded (Afters).
func (f *Fake) After(d time.Duration) <-chan time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.afters = append(f.afters, d)
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- f.now
		return ch
	}
	f.waiters = append(f.waiters, waiter{at: f.now.Add(d), ch: ch})
	close(f.changed)
	f.changed = make(chan struct{})
	return ch
}

// NewTicker returns a ticker that ticks when Advance passes its next tick; like
// time.Ticker it holds at most one tick for a slow receiver.
func (f *Fake) NewTicker(d time.Duration) clock.Ticker {
	if d <= 0 {
		panic(fmt.Sprintf("clocktesting: non-positive ticker interval %s", d))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	t := &ticker{f: f, every: d, next: f.now.Add(d), ch: make(chan time.Time, 1)}
	f.tickers = append(f.tickers, t)
	return t
}

// Advance moves the clock d on and fires every After and ticker that came due, in no
// particular order.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
	kept := f.waiters[:0]
	for _, w := range f.waiters {
		if w.at.After(f.now) {
			kept = append(kept, w)
			continue
		}
		w.ch <- f.now
	}
	f.waiters = kept
	for _, t := range f.tickers {
		if t.stopped || t.next.After(f.now) {
			continue
		}
		for !t.next.After(f.now) {
			t.next = t.next.Add(t.every)
		}
		select {
		case t.ch <- f.now:
		default:
		}
	}
}

// Waiters is the number of After channels that have not fired yet.
func (f *Fake) Waiters() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.waiters)
}

// BlockUntil returns once at least n After channels wait to fire, or the context's error
// when it ends first.
func (f *Fake) BlockUntil(ctx context.Context, n int) error {
	for {
		f.mu.Lock()
		got, changed := len(f.waiters), f.changed
		f.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("%d of %d clock waiters after waiting: %w", got, n, ctx.Err())
		}
	}
}

// Afters returns every duration After was called with, oldest first.
func (f *Fake) Afters() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.afters...)
}

type ticker struct {
	f       *Fake
	every   time.Duration
	next    time.Time // guarded by f.mu, like stopped
	stopped bool
	ch      chan time.Time
}

func (t *ticker) C() <-chan time.Time { return t.ch }

func (t *ticker) Stop() {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	t.stopped = true
}
