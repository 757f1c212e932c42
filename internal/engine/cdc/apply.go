package cdc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	mysqldriver "github.com/go-sql-driver/mysql"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/binlog"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/checkpoint"
)

// The apply stage: a batch is written as multi-row statements from each table's plan and
// committed with the position it reaches, by one or several workers; then the status
// (position, rows, lag) is reported.

// inflight is a batch being committed in the background.
type inflight struct {
	done    chan struct{}
	err     error
	pos     checkpoint.Applied
	rows    int
	changes int
	workers int
	written atomic.Int64
	changed map[*Table][][]any // keys of the rows changed, for Config.Changed
}

// maxChangedKeys bounds the keys of one batch passed to Config.Changed.
const maxChangedKeys = 1000

// flush commits the pending batch, and returns once it and the batch in flight are
// committed.
func (a *applier) flush(ctx context.Context) error {
	if err := a.start(ctx); err != nil {
		return err
	}
	return a.wait()
}

// start commits the pending batch in the background, once the batch in flight is committed,
// so that the next batch is read and decoded meanwhile. Its where filters are evaluated
// before, while the batch in flight still commits.
func (a *applier) start(ctx context.Context) error {
	if !a.pending.empty() {
		changes, err := a.filter(ctx, a.pending.changes)
		if err != nil {
			return err
		}
		a.pending.changes = changes
	}
	if err := a.wait(); err != nil {
		return err
	}
	if a.pending.empty() {
		return nil
	}
	b := a.pending
	rows := len(b.changes) // the changes the filters kept, as counted before they were batched
	if err := a.cfg.Limits.WaitRows(ctx, float64(rows)); err != nil {
		return err
	}
	changes := coalesce(b.changes)
	pos := b.pos
	pos.Tables = a.historyJSON()
	pos.Changes = a.applied + int64(rows)
	n := a.workers()
	parts, ordered := split(changes, n, a.done)
	if !ordered && !a.workerRows {
		// Each part holds whole rows' changes and rows commute: one transaction may apply
		// them one part after the other.
		parts, ordered = [][]change{slices.Concat(parts...)}, true
	}
	f := &inflight{done: make(chan struct{}), pos: pos, rows: rows, changes: len(changes), workers: n}
	if a.cfg.Changed != nil {
		f.changed = map[*Table][][]any{}
		for i, c := range changes {
			if i == maxChangedKeys {
				break
			}
			f.changed[c.table()] = append(f.changed[c.table()], c.keyVals)
		}
	}
	if ordered {
		f.workers = 1
	}
	a.pending = pendingBatch{}
	a.inflight = f
	go func() {
		defer close(f.done)
		if ordered {
			f.err = a.commit(ctx, f, -1, parts[0])
			return
		}
		errs := make([]error, n)
		var wg sync.WaitGroup
		for w, part := range parts {
			wg.Go(func() { errs[w] = a.commit(ctx, f, w, part) })
		}
		wg.Wait()
		f.err = errors.Join(errs...)
	}()
	return nil
}

// wait waits for the batch in flight, if any, and records what it committed.
func (a *applier) wait() error {
	f := a.inflight
	if f == nil {
		return nil
	}
	<-f.done
	a.inflight = nil
	if f.err != nil {
		return f.err
	}
	a.cfg.Log.Debug("batch applied", "changes", f.changes, "workers", f.workers, "file", f.pos.File, "pos", f.pos.Pos)
	if a.done != nil && f.pos.Compare(latest(a.done)) >= 0 {
		a.done = nil // every worker is past its own position again
	}
	a.pos, a.applied, a.bytes = f.pos, a.applied+int64(f.rows), a.bytes+f.written.Load()
	a.workerRows = true // every commit writes its workers' rows; the first writes them all
	for t, keys := range f.changed {
		a.cfg.Changed(t, keys)
	}
	a.behind = time.Time{}
	switch {
	case !a.pending.empty():
		a.behind = time.Unix(a.pending.first, 0)
	case len(a.txn) > 0:
		a.behind = time.Unix(a.read.EventTime, 0)
	}
	a.report(false)
	return nil
}

// latest is the latest of applied positions.
func latest(as []checkpoint.Applied) binlog.Location {
	return slices.MaxFunc(as, func(a, b checkpoint.Applied) int { return a.Location.Compare(b.Location) }).Location
}

// commit writes worker w's share of the batch in flight with w's position, or with w < 0
// the whole batch with every worker's position. Workers' transactions lock rows of the same
// tables: a deadlock between them rolls one back whole, and it runs again.
func (a *applier) commit(ctx context.Context, f *inflight, w int, part []change) error {
	for try := 1; ; try++ {
		err := a.commitOnce(ctx, f, w, part)
		if !lockConflict(err) || try == lockRetries {
			return err
		}
		a.cfg.Log.Debug("apply transaction retried after a lock conflict", "worker", w, "error", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(try) * 10 * time.Millisecond):
		}
	}
}

func (a *applier) commitOnce(ctx context.Context, f *inflight, w int, part []change) error {
	tx, err := a.cfg.Fence.Begin(ctx, a.dst)
	if err != nil {
		return err
	}
	defer tx.Close()
	size, err := a.apply(ctx, tx, part)
	if err != nil {
		return err
	}
	if w < 0 {
		err = checkpoint.ResetWorkers(ctx, tx, a.cfg.Dialect, a.cfg.TaskID, a.workers(), f.pos, a.cfg.Fence.EpochOf())
	} else {
		err = checkpoint.SaveWorker(ctx, tx, a.cfg.Dialect, a.cfg.TaskID, w, f.pos, a.cfg.Fence.EpochOf())
	}
	if err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing applied changes: %w", err)
	}
	f.written.Add(size)
	return nil
}

// apply writes changes in tx as multi-row statements, runs of at most maxRun changes of one
// kind to one table and of at most maxRunBytes of values, and returns the bytes of values
// sent.
func (a *applier) apply(ctx context.Context, tx checkpoint.Writer, changes []change) (int64, error) {
	var written int64
	for i := 0; i < len(changes); {
		j, runBytes := i+1, argBytes(changes[i].values)
		for j < len(changes) && j-i < maxRun && changes[j].plan == changes[i].plan && changes[j].delete == changes[i].delete {
			if runBytes += argBytes(changes[j].values); runBytes > maxRunBytes {
				break
			}
			j++
		}
		stmt, args := changes[i].plan.statement(changes[i:j])
		size := argBytes(args)
		if err := a.cfg.Limits.WaitBytes(ctx, float64(size)); err != nil {
			return written, err
		}
		written += int64(size)
		if err := execChecked(ctx, tx, stmt, args, changes[i:j]); err != nil {
			t := changes[i].table()
			return written, fmt.Errorf("applying changes to %s.%s: %w", t.DestDatabase, t.DestTable, err)
		}
		i = j
	}
	return written, nil
}

// maxRunBytes bounds the values of one statement: AnalyticDB asks for batches under 16 MB,
// and a destination's max_allowed_packet is often not much more.
const maxRunBytes = 8 << 20

// lockRetries bounds how often a worker's transaction runs again after a lock conflict.
const lockRetries = 20

// lockConflict reports whether err is a deadlock or a lock wait timeout: the transaction was
// rolled back and can run again.
func lockConflict(err error) bool {
	var myErr *mysqldriver.MySQLError
	return errors.As(err, &myErr) && (myErr.Number == 1213 || myErr.Number == 1205)
}

// workers is how many transactions apply a batch at once.
func (a *applier) workers() int { return max(a.cfg.Workers, 1) }

// idle reports the state while no event arrives.
func (a *applier) idle(caughtUp bool) { a.report(caughtUp && a.pending.empty() && !a.inTxn) }

func (a *applier) report(caughtUp bool) {
	if a.cfg.Report == nil {
		return
	}
	// The lag is the age of the oldest change not applied; with none pending, how far
	// reading is behind the source.
	var since time.Time
	switch {
	case caughtUp:
	case !a.behind.IsZero():
		since = a.behind
	case a.read.EventTime > 0:
		since = time.Unix(a.read.EventTime, 0)
	}
	lag := 0.0
	if !since.IsZero() {
		lag = max(0, time.Since(since).Seconds())
	}
	a.cfg.Report(Status{Position: a.pos.Location, RowsApplied: a.applied, BytesApplied: a.bytes, Latency: lag, BehindSince: since, CaughtUp: caughtUp, Notices: slices.Clone(a.notices)})
}

func argBytes(args []any) int {
	n := 0
	for _, a := range args {
		switch v := a.(type) {
		case []byte:
			n += len(v)
		case string:
			n += len(v)
		default:
			n += 8
		}
	}
	return n
}
