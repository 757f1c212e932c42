package cdc

import (
	"context"
	"net"
	"sync"
	"time"
)

// deadlineSlack is how much earlier than asked a read deadline of the binlog connection may
// fall (see lazyDeadlineConn).
const deadlineSlack = time.Second

// lazyDeadlineConn is the binlog stream's connection to the source. go-mysql sets a read
// deadline before every packet it reads, twice, and each is a change of a runtime timer
// that costs more than reading a small event. This connection moves its read deadline
// only when the one asked for is earlier than the one set, or deadlineSlack or more later:
// a read still fails after at most ReadTimeout of silence from the source, and at least
// ReadTimeout - deadlineSlack.
type lazyDeadlineConn struct {
	net.Conn
	mu   sync.Mutex // go-mysql's Close sets a deadline from another goroutine
	read time.Time  // the read deadline set on Conn; zero for none
}

// dialLazyDeadline is the binlog syncer's dialer: a TCP connection as go-mysql's default
// dialer makes it, as a lazyDeadlineConn.
func dialLazyDeadline(ctx context.Context, network, address string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	return &lazyDeadlineConn{Conn: c}, nil
}

func (c *lazyDeadlineConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !t.IsZero() && !c.read.IsZero() && !t.Before(c.read) && t.Sub(c.read) < deadlineSlack {
		return nil
	}
	if err := c.Conn.SetReadDeadline(t); err != nil {
		return err
	}
	c.read = t
	return nil
}

func (c *lazyDeadlineConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.Conn.SetDeadline(t); err != nil {
		return err
	}
	c.read = t
	return nil
}
