package cdc

import (
	"context"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/go-mysql-org/go-mysql/replication"
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

// sourceDatabases are the lowercased source databases of cfg's tables and of the databases
// it selects whole: a migrated table is in one of them at any point of the binlog, since a
// table renamed out of them is no longer migrated, and a shadow table of an online schema
// change is in its table's database.
func sourceDatabases(cfg Config) map[string]bool {
	dbs := map[string]bool{}
	for _, t := range cfg.Tables {
		dbs[strings.ToLower(t.SourceDatabase)] = true
	}
	for _, d := range cfg.Databases {
		dbs[strings.ToLower(d.SourceDatabase)] = true
	}
	return dbs
}

// decodeSelected is go-mysql's decoder of rows events (BinlogSyncerConfig.RowsEventDecodeFunc)
// for a task whose tables are all in dbs: it decodes the header of every rows event, which
// names its table, but the row images only of tables in dbs. An event of another database
// arrives with no rows, and the applier, which migrates no table there, skips it.
// It runs in go-mysql's reading goroutine.
func decodeSelected(dbs map[string]bool) func(*replication.RowsEvent, []byte) error {
	return func(e *replication.RowsEvent, data []byte) error {
		pos, err := e.DecodeHeader(data)
		if err != nil {
			return err
		}
		if !dbs[string(e.Table.Schema)] && !dbs[strings.ToLower(string(e.Table.Schema))] {
			return nil
		}
		return e.DecodeData(pos, data)
	}
}
