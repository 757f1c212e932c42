package console

import "time"

// Sample is one reading of a task for the charts.
type Sample struct {
	Time time.Time `json:"t"`
	// Rows is rows migrated so far; the page derives rows/s from consecutive samples.
	Rows int64 `json:"rows"`
	// Lag is the task's latency in seconds.
	Lag float64 `json:"lag"`
}

// ring keeps the last len(buf) samples, oldest overwritten first.
type ring struct {
	buf  []Sample
	next int
	full bool
}

func newRing(size int) *ring { return &ring{buf: make([]Sample, size)} }

func (r *ring) add(s Sample) {
	r.buf[r.next] = s
	r.next = (r.next + 1) % len(r.buf)
	if r.next == 0 {
		r.full = true
	}
}

// list returns the samples oldest first.
func (r *ring) list() []Sample {
	if !r.full {
		return append([]Sample{}, r.buf[:r.next]...)
	}
	return append(append([]Sample{}, r.buf[r.next:]...), r.buf[:r.next]...)
}
