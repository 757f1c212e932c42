// Package throttle limits rates (queries, rows, bytes per second) with token buckets whose
// rate can change while a task runs.
package throttle

import (
	"context"
	"sync"
	"time"
)

// Limiter is a token bucket. The zero rate means unlimited. It is safe for concurrent use;
// SetRate takes effect for the next Wait.
type Limiter struct {
	mu     sync.Mutex
	rate   float64 // tokens per second; 0 = unlimited
	tokens float64
	last   time.Time
	now    func() time.Time
	sleep  func(context.Context, time.Duration) error
}

// NewLimiter returns a limiter allowing rate tokens per second, with a burst of one second.
func NewLimiter(rate float64) *Limiter {
	l := &Limiter{now: time.Now, sleep: sleepCtx}
	l.SetRate(rate)
	return l
}

// SetRate changes the rate; 0 or less means unlimited.
func (l *Limiter) SetRate(rate float64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if rate < 0 {
		rate = 0
	}
	l.rate = rate
	l.tokens = min(l.tokens, rate)
	l.last = l.now()
}

// Rate returns the current rate (0 = unlimited).
func (l *Limiter) Rate() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rate
}

// Wait takes n tokens, sleeping until they are available or ctx ends. With an unlimited
// rate it returns at once. n may exceed the burst: the caller then waits for the deficit.
func (l *Limiter) Wait(ctx context.Context, n float64) error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	if l.rate <= 0 {
		l.mu.Unlock()
		return nil
	}
	now := l.now()
	l.tokens = min(l.rate, l.tokens+now.Sub(l.last).Seconds()*l.rate)
	l.last = now
	l.tokens -= n
	var wait time.Duration
	if l.tokens < 0 {
		wait = time.Duration(-l.tokens / l.rate * float64(time.Second))
	}
	l.mu.Unlock()
	if wait == 0 {
		return nil
	}
	return l.sleep(ctx, wait)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Limits are the throttles of one migration phase, changeable while it runs. A nil *Limits
// is unlimited: its Wait methods return at once.
type Limits struct {
	SourceQPS *Limiter // queries per second sent to the source
	Rows      *Limiter // rows per second written
	Bytes     *Limiter // bytes per second written
}

// NewLimits returns limits with the given rates (0 = unlimited); mbps is in MiB per second.
func NewLimits(sourceQPS, rps, mbps float64) *Limits {
	return &Limits{SourceQPS: NewLimiter(sourceQPS), Rows: NewLimiter(rps), Bytes: NewLimiter(mbps * (1 << 20))}
}

// Set changes all three rates at once.
func (l *Limits) Set(sourceQPS, rps, mbps float64) {
	l.SourceQPS.SetRate(sourceQPS)
	l.Rows.SetRate(rps)
	l.Bytes.SetRate(mbps * (1 << 20))
}

// WaitQueries takes n source queries from the SourceQPS limiter (see Limiter.Wait).
func (l *Limits) WaitQueries(ctx context.Context, n float64) error {
	if l == nil {
		return nil
	}
	return l.SourceQPS.Wait(ctx, n)
}

// WaitRows takes n written rows from the Rows limiter.
func (l *Limits) WaitRows(ctx context.Context, n float64) error {
	if l == nil {
		return nil
	}
	return l.Rows.Wait(ctx, n)
}

// WaitBytes takes n written bytes from the Bytes limiter.
func (l *Limits) WaitBytes(ctx context.Context, n float64) error {
	if l == nil {
		return nil
	}
	return l.Bytes.Wait(ctx, n)
}
