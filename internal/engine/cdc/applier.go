package cdc

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-mysql-org/go-mysql/replication"
	mysqldriver "github.com/go-sql-driver/mysql"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/binlog"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/checkpoint"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dbconn"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/etl"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/schema"
)

// change is one row change for the destination: a REPLACE of the row's migrated columns,
// or a DELETE by key.
type change struct {
	table   *Table
	delete  bool
	values  []any // REPLACE: destination column values in destColumns order; DELETE: key values
	key     string
	keyVals []any              // the row's key values
	end     checkpoint.Applied // end of the source transaction that made the change
}

// pendingBatch holds the changes of complete source transactions not yet committed.
type pendingBatch struct {
	changes []change
	rows    int
	since   time.Time
	pos     checkpoint.Applied
	has     bool
	first   int64 // source time (unix seconds) of its first transaction
}

func (p *pendingBatch) empty() bool { return !p.has }

// applier turns events into changes and commits them. It is used by one goroutine.
type applier struct {
	cfg    Config
	dst    *sql.DB
	tables map[string]*Table

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
	notices  []string
	// behind is the source time of the oldest change read and not yet committed; zero
	// when there is none.
	behind time.Time
	// done is, after a restart, each worker's committed position: a worker skips changes
	// up to its own. Nil once every worker is past it, or when the positions were recorded
	// for another number of workers.
	done []checkpoint.Applied
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
		a.read = checkpoint.Applied{Location: binlog.Location{File: a.file, Pos: uint64(h.LogPos), GTIDSet: a.gtid}, EventTime: int64(h.Timestamp)}
	}
	switch e := ev.Event.(type) {
	case *replication.RotateEvent:
		a.file = string(e.NextLogName)
		return nil
	case *replication.MariadbGTIDEvent, *replication.GTIDEvent:
		a.inTxn = true
	case *replication.RowsEvent:
		if err := a.rows(ctx, e); err != nil {
			return err
		}
		if a.behind.IsZero() && len(a.txn) > 0 {
			// The first change after a commit: the lag counts from its source time.
			a.behind = time.Unix(int64(h.Timestamp), 0)
			a.report(false)
		}
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

// endTxn closes the source transaction: its changes join the batch.
func (a *applier) endTxn(h *replication.EventHeader) {
	if a.pending.empty() {
		a.pending.since = time.Now()
		a.pending.first = int64(h.Timestamp)
	}
	a.pending.pos = checkpoint.Applied{Location: binlog.Location{File: a.file, Pos: uint64(h.LogPos), GTIDSet: a.gtid}, EventTime: int64(h.Timestamp)}
	for i := range a.txn {
		a.txn[i].end = a.pending.pos
	}
	a.pending.changes = append(a.pending.changes, a.txn...)
	a.pending.rows += len(a.txn)
	a.pending.has = true
	a.txn, a.inTxn = nil, false
}

// rows turns a rows event of a migrated table into changes, honouring dml_operations and the
// table's filter: an update that takes a row out of the filter deletes it, one that brings
// it in inserts it.
func (a *applier) rows(ctx context.Context, e *replication.RowsEvent) error {
	t := a.tables[strings.ToLower(string(e.Table.Schema)+"."+string(e.Table.Table))]
	if t == nil {
		return nil
	}
	if int(e.ColumnCount) != len(t.Columns) {
		return fmt.Errorf("binlog rows of %s.%s have %d columns, but the table had %d at this point: its schema changed in a way incremental migration does not follow (only ADD and DROP COLUMN are); create a new task",
			t.SourceDB, t.SourceTable, e.ColumnCount, len(t.Columns))
	}
	switch e.Type() {
	case replication.EnumRowsEventTypeInsert:
		if !t.allows(OpInsert) {
			return nil
		}
		for _, row := range e.Rows {
			if err := a.upsert(ctx, t, row); err != nil {
				return err
			}
		}
	case replication.EnumRowsEventTypeDelete:
		if !t.allows(OpDelete) {
			return nil
		}
		for _, row := range e.Rows {
			if err := a.remove(t, row); err != nil {
				return err
			}
		}
	case replication.EnumRowsEventTypeUpdate:
		if !t.allows(OpUpdate) {
			return nil
		}
		for i := 0; i+1 < len(e.Rows); i += 2 {
			before, after := e.Rows[i], e.Rows[i+1]
			in, err := a.matches(ctx, t, after)
			if err != nil {
				return err
			}
			moved, err := keyChanged(t, before, after)
			if err != nil {
				return err
			}
			// A changed key is DELETE + INSERT; a row leaving the filter is a DELETE.
			if moved || !in {
				if err := a.remove(t, before); err != nil {
					return err
				}
			}
			if in {
				if err := a.add(t, after); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (a *applier) upsert(ctx context.Context, t *Table, row []any) error {
	in, err := a.matches(ctx, t, row)
	if err != nil || !in {
		return err
	}
	return a.add(t, row)
}

func (a *applier) add(t *Table, row []any) error {
	var vals []any
	for i, c := range t.Columns {
		if _, ok := t.Dest[c.Name]; !ok || c.Generated {
			continue
		}
		v, err := argValue(c, row[i])
		if err != nil {
			return fmt.Errorf("%s.%s: %w", t.SourceDB, t.SourceTable, err)
		}
		vals = append(vals, v)
	}
	if t.etl != nil {
		// matches evaluated this image last: etlRow holds it.
		for i := range t.etl.Outputs() {
			v, err := t.etl.Value(t.etlRow, i)
			if err != nil {
				return err
			}
			vals = append(vals, v)
		}
	}
	key, err := keyValues(t, row)
	if err != nil {
		return err
	}
	a.txn = append(a.txn, change{table: t, values: vals, key: encodeKey(key), keyVals: key})
	return nil
}

// evaluate makes t.etlRow the row image row, its values converted as they are written.
func (t *Table) evaluate(row []any) error {
	for i, c := range t.Columns {
		v, err := argValue(c, row[i])
		if err != nil {
			return fmt.Errorf("%s.%s: %w", t.SourceDB, t.SourceTable, err)
		}
		if b, ok := v.([]byte); ok && c.Charset != "" && !c.Binary() {
			if v, err = etl.Decode(c, b); err != nil {
				return fmt.Errorf("%w: %s.%s: %w", etl.ErrEvaluation, t.SourceDB, t.SourceTable, err)
			}
		}
		t.etlRaw[i] = v
	}
	t.etlRow.Reset(t.etlRaw)
	return nil
}

func (a *applier) remove(t *Table, row []any) error {
	key, err := keyValues(t, row)
	if err != nil {
		return err
	}
	a.txn = append(a.txn, change{table: t, delete: true, values: key, key: encodeKey(key), keyVals: key})
	return nil
}

// encodeKey turns key values into a string that is equal for equal keys only: each value
// is tagged with its kind, and bytes carry their length.
func encodeKey(key []any) string {
	var b []byte
	for _, v := range key {
		switch x := v.(type) {
		case nil:
			b = append(b, 'n')
		case int64:
			b = strconv.AppendInt(append(b, 'i'), x, 10)
		case uint64:
			b = strconv.AppendUint(append(b, 'u'), x, 10)
		case string:
			b = append(strconv.AppendInt(append(b, 's'), int64(len(x)), 10), ':')
			b = append(b, x...)
		case []byte:
			b = append(strconv.AppendInt(append(b, 'b'), int64(len(x)), 10), ':')
			b = append(b, x...)
		default:
			b = fmt.Appendf(append(b, 'v'), "%#v", x)
		}
		b = append(b, ';')
	}
	return string(b)
}

// keyIndex returns where key column k of t is in t.Columns, remembering it in t.keyIdx
// until ADD or DROP COLUMN moves it.
func (t *Table) keyIndex(i int) int {
	k := t.Key[i]
	if len(t.keyIdx) != len(t.Key) {
		t.keyIdx = make([]int, len(t.Key))
	}
	if j := t.keyIdx[i]; j < len(t.Columns) && strings.EqualFold(t.Columns[j].Name, k) {
		return j
	}
	j := slices.IndexFunc(t.Columns, func(c schemaColumn) bool { return strings.EqualFold(c.Name, k) })
	if j >= 0 {
		t.keyIdx[i] = j
	}
	return j
}

func keyValues(t *Table, row []any) ([]any, error) {
	out := make([]any, len(t.Key))
	for i, k := range t.Key {
		j := t.keyIndex(i)
		if j < 0 {
			return nil, fmt.Errorf("%s.%s: key column %s is not in the table's columns", t.SourceDB, t.SourceTable, k)
		}
		v, err := argValue(t.Columns[j], row[j])
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func keyChanged(t *Table, before, after []any) (bool, error) {
	kb, err := keyValues(t, before)
	if err != nil {
		return false, err
	}
	ka, err := keyValues(t, after)
	if err != nil {
		return false, err
	}
	return encodeKey(kb) != encodeKey(ka), nil
}

// matches evaluates the table's filter on a row image, with the destination's SQL engine so
// that it means exactly what it means in the full migration's SELECT.
func (a *applier) matches(ctx context.Context, t *Table, row []any) (bool, error) {
	if t.etl != nil {
		if err := t.evaluate(row); err != nil {
			return false, err
		}
		if keep, err := t.etl.Keep(t.etlRow); err != nil || !keep {
			return false, err
		}
	}
	if t.Where == "" {
		return true, nil
	}
	var cols []string
	var args []any
	for i, c := range t.Columns {
		v, err := argValue(c, row[i])
		if err != nil {
			return false, err
		}
		cols = append(cols, "? AS "+dialect.QuoteIdent(c.Name))
		args = append(args, v)
	}
	var ok sql.NullBool
	q := "SELECT (" + t.Where + ") FROM (SELECT " + strings.Join(cols, ", ") + ") AS r"
	if err := a.dst.QueryRowContext(ctx, q, args...).Scan(&ok); err != nil {
		return false, fmt.Errorf("evaluating the where filter of %s.%s: %w", t.SourceDB, t.SourceTable, err)
	}
	return ok.Valid && ok.Bool, nil
}

// parallelMin is the fewest changes a batch needs to be applied by the workers in parallel;
// a smaller one goes out in one transaction.
const parallelMin = 256

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
// so that the next batch is read and decoded meanwhile.
//
// Changes to different rows commute (see coalesce), so a large batch is split by row key
// among the workers, each committing its share in its own transaction with its own
// position: a row's changes always go to the same worker, in order. A small batch, or one
// with order-sensitive tables, is one transaction that records every worker's position.
func (a *applier) start(ctx context.Context) error {
	if err := a.wait(); err != nil {
		return err
	}
	if a.pending.empty() {
		return nil
	}
	b := a.pending
	if err := a.cfg.Limits.Rows.Wait(ctx, float64(b.rows)); err != nil {
		return err
	}
	changes := coalesce(b.changes)
	pos := b.pos
	pos.Tables = tablesJSON(a.tables)
	pos.Changes = a.applied + int64(b.rows)
	n := a.workers()
	parts := make([][]change, n)
	ordered := len(changes) < parallelMin || n == 1
	for _, c := range changes {
		ordered = ordered || c.table.OrderSensitive
	}
	for _, c := range changes {
		w := 0
		if !ordered || a.done != nil {
			w = worker(c, n)
		}
		// After a restart, a worker skips what it committed before.
		if a.done != nil && a.done[w].Compare(c.end.Location) >= 0 {
			continue
		}
		if ordered {
			w = 0
		}
		parts[w] = append(parts[w], c)
	}
	f := &inflight{done: make(chan struct{}), pos: pos, rows: b.rows, changes: len(changes), workers: n}
	if a.cfg.Changed != nil {
		f.changed = map[*Table][][]any{}
		for i, c := range changes {
			if i == maxChangedKeys {
				break
			}
			f.changed[c.table] = append(f.changed[c.table], c.keyVals)
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
	tx, err := a.dst.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	size, err := a.apply(ctx, tx, part)
	if err != nil {
		return err
	}
	if w < 0 {
		err = checkpoint.ResetWorkers(ctx, tx, a.cfg.Dialect, a.cfg.TaskID, a.workers(), f.pos)
	} else {
		err = checkpoint.SaveWorker(ctx, tx, a.cfg.Dialect, a.cfg.TaskID, w, f.pos)
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

// apply writes changes in tx as multi-row statements and returns the bytes of values sent.
func (a *applier) apply(ctx context.Context, tx *sql.Tx, changes []change) (int64, error) {
	var written int64
	for i := 0; i < len(changes); {
		j := i + 1
		for j < len(changes) && j-i < 500 && changes[j].table == changes[i].table && changes[j].delete == changes[i].delete {
			j++
		}
		stmt, args := statement(a.cfg.Dialect, changes[i:j])
		size := argBytes(args)
		if err := a.cfg.Limits.Bytes.Wait(ctx, float64(size)); err != nil {
			return written, err
		}
		written += int64(size)
		if err := execChecked(ctx, tx, stmt, args, changes[i:j]); err != nil {
			t := changes[i].table
			return written, fmt.Errorf("applying changes to %s.%s: %w", t.DestDB, t.DestTable, err)
		}
		i = j
	}
	return written, nil
}

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

// worker is the worker that applies the changes of c's row, out of n.
func worker(c change, n int) int {
	h := fnv.New32a()
	h.Write([]byte(c.table.DestDB + "." + c.table.DestTable + "\x00" + c.key))
	return int(h.Sum32() % uint32(n))
}

// coalesce reduces a batch to the last change of each row, and orders them deletes first,
// table by table, so that they go out as a few multi-row statements. Every change carries
// the row's whole image (or its deletion), so the last one alone leaves the row as the
// source has it, and changes to different rows commute, unless a table has another UNIQUE
// key: then one row's change may depend on another's, and the batch keeps its order.
func coalesce(changes []change) []change {
	for _, c := range changes {
		if c.table.OrderSensitive {
			return changes
		}
	}
	type rowKey struct {
		t   *Table
		key string
	}
	last := make(map[rowKey]int, len(changes))
	for i, c := range changes {
		last[rowKey{c.table, c.key}] = i
	}
	out := make([]change, 0, len(last))
	for i, c := range changes {
		if last[rowKey{c.table, c.key}] == i {
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(x, y change) int {
		if x.table != y.table {
			return strings.Compare(x.table.DestDB+"."+x.table.DestTable, y.table.DestDB+"."+y.table.DestTable)
		}
		switch {
		case x.delete && !y.delete:
			return -1
		case !x.delete && y.delete:
			return 1
		}
		return 0
	})
	return out
}

// commitPosition records the position after an event that changed no rows (a DDL).
func (a *applier) commitPosition(ctx context.Context, h *replication.EventHeader) error {
	a.pending = pendingBatch{has: true, since: time.Now(),
		pos: checkpoint.Applied{Location: binlog.Location{File: a.file, Pos: uint64(h.LogPos), GTIDSet: a.gtid}, EventTime: int64(h.Timestamp)}}
	return a.flush(ctx)
}

// commitRead records the position of the last event read when it holds no change to apply.
func (a *applier) commitRead(ctx context.Context) error {
	a.pending = pendingBatch{has: true, since: time.Now(), pos: a.read}
	return a.flush(ctx)
}

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

// statement renders a run of changes of one kind to one table.
func statement(d dialect.Dialect, run []change) (string, []any) {
	t := run[0].table
	var args []any
	for _, c := range run {
		args = append(args, c.values...)
	}
	if run[0].delete {
		var keyCols []string
		for _, k := range t.Key {
			keyCols = append(keyCols, t.Dest[k])
		}
		return d.DeleteByKey(t.DestDB, t.DestTable, keyCols, len(run)), args
	}
	var cols []string
	for _, c := range t.Columns {
		if d, ok := t.Dest[c.Name]; ok && !c.Generated {
			cols = append(cols, d)
		}
	}
	if t.etl != nil {
		for _, o := range t.etl.Outputs() {
			cols = append(cols, o.Name)
		}
	}
	return d.Upsert(t.DestDB, t.DestTable, cols, len(run)), args
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

// execChecked runs a statement of run and fails with a *dbconn.ValueError, naming the row's
// key, when the destination could not take a value as it is: the writer session is strict,
// so a value too long or out of range fails the statement, and a value the server would
// round (a note) is found by the warnings. A run that writes ENUM error values goes out in
// the relaxed SQL mode, which alone stores them, with one warning expected per value.
func execChecked(ctx context.Context, tx *sql.Tx, stmt string, args []any, run []change) error {
	t := run[0].table
	table := t.DestDB + "." + t.DestTable
	enums := enumErrorValues(run)
	if enums > 0 {
		if _, err := tx.ExecContext(ctx, "SET SESSION sql_mode = '"+dbconn.RelaxedSQLMode+"'"); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, stmt, args...)
	if enums > 0 {
		if _, rerr := tx.ExecContext(ctx, "SET SESSION sql_mode = '"+dbconn.WriterSQLMode+"'"); err == nil {
			err = rerr
		}
	}
	if ve := dbconn.ValueErrorOf(table, err); ve != nil {
		return describeValueError(ve, run)
	}
	if err != nil || run[0].delete {
		return err
	}
	var count int
	if err := tx.QueryRowContext(ctx, "SELECT @@warning_count").Scan(&count); err != nil {
		return err
	}
	if count == 0 || count == enums {
		return nil
	}
	rows, err := tx.QueryContext(ctx, "SHOW WARNINGS")
	if err != nil {
		return err
	}
	defer rows.Close()
	var other []string
	for rows.Next() {
		var level, msg string
		var code int
		if err := rows.Scan(&level, &code, &msg); err != nil {
			return err
		}
		ve := dbconn.AsValueError(table, code, msg)
		if ve != nil && enums > 0 && enumColumn(t, ve.Column) {
			enums--
			continue
		}
		if ve != nil {
			return describeValueError(ve, run)
		}
		other = append(other, fmt.Sprintf("%s %d: %s", level, code, msg))
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(other) > 0 {
		return fmt.Errorf("the destination changed or refused values (%d warnings): %s; check that the destination table's columns match the source's", count, strings.Join(other, "; "))
	}
	return nil
}

// enumErrorValues counts the ENUM error values (index 0) the upserts of run write.
func enumErrorValues(run []change) int {
	if run[0].delete {
		return 0
	}
	n := 0
	for _, c := range run {
		k := 0
		for _, col := range c.table.Columns {
			if _, ok := c.table.Dest[col.Name]; !ok || col.Generated {
				continue
			}
			if col.DataType == "enum" && k < len(c.values) && c.values[k] == uint64(0) {
				n++
			}
			k++
		}
		if c.table.etl == nil {
			continue
		}
		// A computed value for an ENUM column is its member's text: "" where "" is no
		// member is the error value.
		for i, o := range c.table.etl.Outputs() {
			if col, ok := c.table.column(o.Name); ok && col.DataType == "enum" && k+i < len(c.values) &&
				c.values[k+i] == "" && !slices.Contains(col.Members, "") {
				n++
			}
		}
	}
	return n
}

// column returns t's source column named name.
func (t *Table) column(name string) (schema.Column, bool) {
	i := slices.IndexFunc(t.Columns, func(c schema.Column) bool { return strings.EqualFold(c.Name, name) })
	if i < 0 {
		return schema.Column{}, false
	}
	return t.Columns[i], true
}

// enumColumn reports whether destination column dest of t is written from an ENUM, or
// computed for one.
func enumColumn(t *Table, dest string) bool {
	for _, col := range t.Columns {
		if d, ok := t.Dest[col.Name]; ok && strings.EqualFold(d, dest) {
			return col.DataType == "enum"
		}
	}
	col, ok := t.column(dest)
	return ok && t.etl != nil && t.etl.Computes(dest) && col.DataType == "enum"
}

// describeValueError names the key and value size of the row of run the server named.
func describeValueError(ve *dbconn.ValueError, run []change) error {
	if ve.Row < 1 || ve.Row > len(run) {
		return ve
	}
	c := run[ve.Row-1]
	var key []string
	for i, k := range c.table.Key {
		if i < len(c.keyVals) {
			key = append(key, fmt.Sprintf("%s=%v", k, shown(c.keyVals[i])))
		}
	}
	ve.Key = strings.Join(key, ", ")
	k := 0
	for _, col := range c.table.Columns {
		d, ok := c.table.Dest[col.Name]
		if !ok || col.Generated {
			continue
		}
		if strings.EqualFold(d, ve.Column) && k < len(c.values) {
			ve.Size = argBytes([]any{c.values[k]})
		}
		k++
	}
	return ve
}

// shown is a key value as messages show it: bytes as text.
func shown(v any) any {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return v
}

// latest is the latest of applied positions.
func latest(as []checkpoint.Applied) binlog.Location {
	return slices.MaxFunc(as, func(a, b checkpoint.Applied) int { return a.Location.Compare(b.Location) }).Location
}
