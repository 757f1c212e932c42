package cdc

import (
	"net"
	"testing"
	"time"
)

// deadlineRecorder is a net.Conn that records the read deadlines set on it.
type deadlineRecorder struct {
	net.Conn
	set []time.Time
}

func (r *deadlineRecorder) SetReadDeadline(t time.Time) error {
	r.set = append(r.set, t)
	return nil
}

func (r *deadlineRecorder) SetDeadline(t time.Time) error { return r.SetReadDeadline(t) }

func TestLazyDeadlineConnMovesTheDeadlineOnlyWhenItMatters(t *testing.T) {
	rec := &deadlineRecorder{}
	c := &lazyDeadlineConn{Conn: rec}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	steps := []struct {
		at   time.Time
		sets bool
	}{
		{t0.Add(10 * time.Second), true},                         // the first is set
		{t0.Add(10*time.Second + 300*time.Millisecond), false},   // less than the slack later
		{t0.Add(10*time.Second + 999*time.Millisecond), false},   // still less
		{t0.Add(11 * time.Second), true},                         // the slack later
		{t0.Add(100 * time.Millisecond), true},                   // earlier (go-mysql's Close)
		{t0.Add(100*time.Millisecond + time.Millisecond), false}, // hardly later
		{time.Time{}, true},                                      // none
		{t0.Add(time.Second), true},                              // after none
	}
	for i, s := range steps {
		before := len(rec.set)
		if err := c.SetReadDeadline(s.at); err != nil {
			t.Fatal(err)
		}
		if got := len(rec.set) > before; got != s.sets {
			t.Fatalf("step %d (%v): deadline set = %v, want %v", i, s.at, got, s.sets)
		}
		if s.sets && !rec.set[len(rec.set)-1].Equal(s.at) {
			t.Fatalf("step %d: set %v, want %v", i, rec.set[len(rec.set)-1], s.at)
		}
	}
	// SetDeadline always passes, and is the reference for the next read deadline.
	if err := c.SetDeadline(t0.Add(20 * time.Second)); err != nil {
		t.Fatal(err)
	}
	n := len(rec.set)
	if err := c.SetReadDeadline(t0.Add(20*time.Second + 10*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if len(rec.set) != n {
		t.Fatalf("a read deadline 10ms after SetDeadline's was set again")
	}
}
