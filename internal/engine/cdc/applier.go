package cdc

import (
	"context"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/binlog"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/checkpoint"
)

// applier runs the three stages on the events Run reads: decode (decode.go) turns rows
// events into changes, batch (batch.go, filter.go) gathers the changes of complete source
// transactions, filters, coalesces and splits them, and apply (apply.go) commits them with
// the position they reach and reports the lag. A DDL statement goes to its follower
// (follower.go), which owns the tables' definitions. It is used by one goroutine; only the
// commit of a batch runs in the background (see start).
type applier struct {
	// follower follows the source's schema; the applier reads, batches and commits.
	*follower

	pos     checkpoint.Applied // committed on the destination
	read    checkpoint.Applied // end of the last event read
	file    string             // binlog file being read
	gtid    string             // GTID set after the last complete transaction read
	inTxn   bool
	txn     []change // the source transaction being read
	pending pendingBatch
	// inflight is the batch being committed, nil when none.
	inflight *inflight
	applied  int64
	bytes    int64
	// behind is the source time of the oldest change read and not yet committed; zero
	// when there is none.
	behind time.Time
	// done is, after a restart, each worker's committed position: a worker skips changes
	// up to its own. Nil once every worker is past it, or when the positions were recorded
	// for another number of workers.
	done []checkpoint.Applied
	// lastMap and lastTable are the table map of the last rows event and the migrated
	// table it names (nil for none): the rows events of one transaction share a table map.
	// Reset by every event that may change the tables (DDL).
	lastMap   *replication.TableMapEvent
	lastTable *Table
	// workerRows is true once the destination holds a position row for every worker. Until
	// then a batch commits in one transaction that writes them all: were the first batch
	// applied by parallel transactions, a crash between their commits would leave some
	// workers without a row, and a restart could not tell where their changes begin.
	workerRows bool
}

// handle takes one binlog event.
func (a *applier) handle(ctx context.Context, ev *replication.BinlogEvent) error {
	h := ev.Header
	if h.EventType == replication.HEARTBEAT_EVENT || h.EventType == replication.HEARTBEAT_LOG_EVENT_V2 {
		// The source has nothing more: commit what is complete and report being caught up.
		if err := a.flush(ctx); err != nil {
			return err
		}
		a.idle(true)
		return nil
	}
	if h.LogPos > 0 && a.file != "" {
		a.read = a.at(h)
	}
	switch e := ev.Event.(type) {
	case *replication.RotateEvent:
		a.file = string(e.NextLogName)
		return nil
	case *replication.MariadbGTIDEvent, *replication.GTIDEvent:
		a.inTxn = true
	case *replication.RowsEvent:
		if err := a.rows(e); err != nil {
			return err
		}
		if a.behind.IsZero() && len(a.txn) > 0 {
			// The first change after a commit: the lag counts from its source time.
			a.behind = time.Unix(int64(h.Timestamp), 0)
			a.report(false)
		}
	case *replication.TransactionPayloadEvent:
		return a.payload(ctx, h, e)
	case *replication.XIDEvent:
		if e.GSet != nil {
			a.gtid = e.GSet.String()
		}
		a.endTxn(h)
	case *replication.QueryEvent:
		if e.GSet != nil {
			a.gtid = e.GSet.String()
		}
		q := strings.TrimSpace(string(e.Query))
		switch strings.ToUpper(q) {
		case "BEGIN":
			a.inTxn = true
			return nil
		case "COMMIT":
			a.endTxn(h)
			return nil
		}
		// DDL commits by itself: apply what is pending first, then the statement.
		a.lastMap, a.lastTable = nil, nil
		if err := a.flush(ctx); err != nil {
			return err
		}
		a.inTxn = false
		if err := a.ddl(ctx, string(e.Schema), q); err != nil {
			return err
		}
		return a.commitPosition(ctx, h)
	}
	return nil
}

// at is the position at the end of the event with header h.
func (a *applier) at(h *replication.EventHeader) checkpoint.Applied {
	return checkpoint.Applied{Location: binlog.Location{File: a.file, Pos: uint64(h.LogPos), GTIDSet: a.gtid}, EventTime: int64(h.Timestamp)}
}

// rows decodes a rows event of a migrated table into the transaction being read.
func (a *applier) rows(e *replication.RowsEvent) error {
	t := a.lastTable
	if e.Table != a.lastMap {
		t = a.tables[strings.ToLower(string(e.Table.Schema)+"."+string(e.Table.Table))]
		a.lastMap, a.lastTable = e.Table, t
	}
	if t == nil {
		return nil
	}
	kind := kindOf(e)
	if err := checkRows(t, kind, e); err != nil {
		return err
	}
	changes, err := decode(t, kind, e.Rows)
	if err != nil {
		return err
	}
	a.txn = append(a.txn, changes...)
	return nil
}

// endTxn closes the source transaction: its changes join the batch.
func (a *applier) endTxn(h *replication.EventHeader) {
	if a.pending.empty() {
		a.pending.since = time.Now()
		a.pending.first = int64(h.Timestamp)
	}
	a.pending.pos = a.at(h)
	if len(a.txn) > 0 {
		end := new(checkpoint.Applied)
		*end = a.pending.pos
		for i := range a.txn {
			a.txn[i].end = end
		}
		if a.pending.changes == nil {
			// Room for a batch under light load; a catch-up's grows a few times.
			a.pending.changes = make([]change, 0, max(1024, len(a.txn)))
		}
		a.pending.changes = append(a.pending.changes, a.txn...)
	}
	a.pending.rows += len(a.txn)
	a.pending.has = true
	// The changes were copied into the batch: the transaction's slice is reused.
	a.txn, a.inTxn = a.txn[:0], false
}

// commitPosition records the position after an event that changed no rows (a DDL).
func (a *applier) commitPosition(ctx context.Context, h *replication.EventHeader) error {
	a.pending = pendingBatch{has: true, since: time.Now(), pos: a.at(h)}
	return a.flush(ctx)
}

// commitRead records the position of the last event read when it holds no change to apply.
func (a *applier) commitRead(ctx context.Context) error {
	a.pending = pendingBatch{has: true, since: time.Now(), pos: a.read}
	return a.flush(ctx)
}
