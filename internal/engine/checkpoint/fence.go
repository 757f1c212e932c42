package checkpoint

// This file is the fence of a runner cluster (docs/cluster.md). An etcd lease says which
// runner owns a task, but a lease alone excludes no one: an owner paused past its lease
// (SIGSTOP, a long GC, a frozen VM) still believes it owns the task when it wakes up, with
// a transaction open on the destination. So the destination itself decides which owner may
// write, by the owner's epoch (the create revision of its owner key in etcd, which only
// grows):
//
//   - task_owner holds one row per task with the epoch of the owner that took it over last.
//     Taking over (TakeOver) raises it, only if it is lower, before the new owner reads any
//     checkpoint.
//   - Every transaction that writes rows or checkpoints (a CDC batch or a worker's share, a
//     full-load chunk, a repair, a plan or cut) first reads that row with a shared lock
//     (Check) and goes on only if the epoch is its own. The lock is held until the
//     transaction ends, so a takeover's UPDATE waits for every transaction already past its
//     check, and every transaction that checks after the takeover sees the new epoch: a
//     stale owner's transaction either committed before the takeover (and the new owner
//     reads its checkpoint) or commits nothing. A plain read would not do: under REPEATABLE
//     READ it could see a snapshot older than the takeover. Shared locks do not conflict
//     with each other, so a task's parallel workers do not queue on the row.
//   - A stale owner blocked, or paused, inside a transaction would hold the takeover back
//     for innodb_lock_wait_timeout (50 s by default). Every connection an owner writes
//     through is recorded in task_owner_conns first, with its epoch, so the new owner waits
//     FenceLockWait and then kills the older epochs' connections, which rolls their
//     transactions back.
//   - The checkpoint rows a fenced transaction writes (cdc_workers, copy_chunks) carry the
//     epoch that wrote them.
//
// DDL commits by itself and cannot join a fenced transaction; Guard checks the epoch just
// before it, which narrows the window to the statement itself. Epoch 0 (a single runner)
// fences nothing and costs nothing.
//
// A destination without atomic transactions (AnalyticDB for MySQL documents none, nor
// locking reads; the capability probes measure it) gets direct writes (Writes.Direct):
// Begin hands out a connection with no transaction, whose statements each take effect on
// their own, and the callers order them so that a crash between any two leaves a state the
// next run repairs by replaying (rows before the checkpoint that covers them, every row
// written whole by key). The fence then rests on the connection instead of a lock:
//
//   - A connection writes only after it is recorded in task_owner_conns by a statement that
//     inserts the record only while the task's epoch is the owner's (INSERT ... SELECT
//     from task_owner WHERE epoch = E). An owner paused before that statement records
//     nothing after a takeover and writes nothing.
//   - TakeOver raises the epoch with one conditional UPDATE, then ends every connection
//     that owners of older epochs recorded, with the KILL form the probe found working,
//     then waits Writes.Settle (longer than any statement of an owner may run) before it
//     returns. An owner paused after its record, at any point, wakes up on a connection
//     that no longer exists: its next statement fails and nothing lands; a statement the
//     server was running at the takeover ends by the kill or by its deadline before the
//     new owner writes its first row, and the new owner's replay writes every row it
//     touched again.
//   - Every statement on a direct connection runs with a deadline (Writes.Settle less a
//     margin) on the client.

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	mysqldriver "github.com/go-sql-driver/mysql"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dbconn"
)

// Fence is a task owner's token on the destination: its epoch, and the connections it has
// recorded. A nil *Fence fences nothing: every method then does what an unfenced writer
// does. A Fence is safe for concurrent use.
type Fence struct {
	TaskID string
	// Epoch is the owner's epoch; 0 only for an unfenced writer with direct writes.
	Epoch int64
	// Owner names the owner runner (its --node-id), for people reading task_owner.
	Owner string
	// Writes says how the destination is written.
	Writes Writes

	mu sync.Mutex
	// known holds the driver connections already recorded in task_owner_conns.
	known map[any]bool
}

// Writes is how a task's writer reaches a destination, chosen from the capability probes.
type Writes struct {
	// Direct writes without transactions: the destination's BEGIN ... ROLLBACK does not
	// undo a write (see the file comment).
	Direct bool
	// Kill is the statement, id appended, that ends another connection of the same user
	// ("KILL CONNECTION", "KILL PROCESS"); "" when no form works. A cluster with direct
	// writes cannot fence without it.
	Kill string
	// Settle is how long a takeover with direct writes waits after its kills, and so the
	// longest a statement of an owner runs; DefaultSettle when 0.
	Settle time.Duration
}

// DefaultSettle is Writes.Settle when none is given.
const DefaultSettle = 30 * time.Second

// settleMargin is how much shorter than Settle a direct statement's deadline is.
const settleMargin = time.Second

func (w Writes) settle() time.Duration {
	if w.Settle > 0 {
		return w.Settle
	}
	return DefaultSettle
}

// NewFence returns the fence of taskID's owner at epoch; nil for epoch 0 (not fenced) with
// transactional writes.
func NewFence(taskID string, epoch int64, owner string, w Writes) *Fence {
	if epoch <= 0 && !w.Direct {
		return nil
	}
	return &Fence{TaskID: taskID, Epoch: max(epoch, 0), Owner: owner, Writes: w, known: map[any]bool{}}
}

// fenced reports whether f excludes older owners (a cluster's owner, epoch above 0).
func (f *Fence) fenced() bool { return f != nil && f.Epoch > 0 }

// Direct reports whether f's writes go without transactions.
func (f *Fence) Direct() bool { return f != nil && f.Writes.Direct }

// FencedError is returned by every fenced write of an owner whose epoch is no longer the
// task's: another runner has taken the task over. The run must stop and let go of the task
// without recording anything.
type FencedError struct {
	TaskID        string
	Mine, Current int64
}

func (e *FencedError) Error() string {
	return fmt.Sprintf("task %s: this runner's ownership (epoch %d) is stale: the destination has accepted the task's owner at epoch %d, so this runner "+
		"writes nothing more and gives the task up. If no other runner runs the task, the etcd cluster may have been recreated (its revisions, "+
		"the epochs, started over): delete the task's row from %s.task_owner on the destination, then start the task again",
		e.TaskID, e.Mine, e.Current, MetaDatabase)
}

// ErrFenced matches a *FencedError with errors.Is.
var ErrFenced = errors.New("stale task owner")

// Is makes errors.Is(err, ErrFenced) hold.
func (e *FencedError) Is(target error) bool { return target == ErrFenced }

// FenceLockWait is how long a takeover waits for a stale owner's transactions to end before
// it kills their connections.
const FenceLockWait = time.Second

// takeOverAttempts bounds the rounds of waiting and killing a takeover goes through.
const takeOverAttempts = 10

// TakeOver makes f's owner the task's writer on the destination: it raises the task's epoch
// to f's unless it is already higher (a *FencedError) and forgets older owners'
// connections. Older owners' transactions still open are waited for FenceLockWait and then
// killed. Call it before reading the task's checkpoints.
func (f *Fence) TakeOver(ctx context.Context, dst *sql.DB) error {
	if !f.fenced() {
		return nil
	}
	if _, err := dst.ExecContext(ctx, "INSERT IGNORE INTO `"+MetaDatabase+"`.`task_owner` (task_id, epoch, owner) VALUES (?, 0, '')", f.TaskID); err != nil {
		return fmt.Errorf("task %s: recording its owner on the destination: %w", f.TaskID, err)
	}
	if f.Direct() {
		return f.takeOverDirect(ctx, dst)
	}
	for attempt := 1; ; attempt++ {
		current, err := f.raise(ctx, dst)
		if err == nil {
			if current > f.Epoch {
				return &FencedError{TaskID: f.TaskID, Mine: f.Epoch, Current: current}
			}
			break
		}
		if !lockWaitTimeout(err) || attempt == takeOverAttempts {
			return fmt.Errorf("task %s: taking it over on the destination at epoch %d: %w", f.TaskID, f.Epoch, err)
		}
		if _, err := f.killOlder(ctx, dst); err != nil {
			return err
		}
	}
	if _, err := dst.ExecContext(ctx, "DELETE FROM `"+MetaDatabase+"`.`task_owner_conns` WHERE task_id = ? AND epoch < ?", f.TaskID, f.Epoch); err != nil {
		return fmt.Errorf("task %s: forgetting the connections of its earlier owners: %w", f.TaskID, err)
	}
	return nil
}

// takeOverDirect is TakeOver without transactions or locks (see the file comment): raise
// the epoch in one conditional statement; if it rose, wait Settle for any statement an
// older owner had begun to end (a connection record among them), then end every connection
// older owners recorded and wait until the server no longer lists them.
func (f *Fence) takeOverDirect(ctx context.Context, dst *sql.DB) error {
	if f.Writes.Kill == "" {
		return fmt.Errorf("task %s: the destination has no atomic transactions and no KILL form the probes found working, so a runner cluster cannot "+
			"keep an earlier owner from writing: grant the destination user the right to kill its own sessions (AnalyticDB: KILL PROCESS), or run the task on a single runner", f.TaskID)
	}
	from, err := f.raiseDirect(ctx, dst)
	if err != nil {
		return err
	}
	if from > 0 {
		// An owner before: a statement of its, its connection record above all, may
		// still run on the server.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(f.Writes.settle()):
		}
	}
	ids, err := f.killOlder(ctx, dst)
	if err != nil {
		return err
	}
	if err := waitGone(ctx, dst, ids, f.Writes.settle()); err != nil {
		return fmt.Errorf("task %s: %w", f.TaskID, err)
	}
	if _, err := dst.ExecContext(ctx, "DELETE FROM `"+MetaDatabase+"`.`task_owner_conns` WHERE task_id = ? AND epoch < ?", f.TaskID, f.Epoch); err != nil {
		return fmt.Errorf("task %s: forgetting the connections of its earlier owners: %w", f.TaskID, err)
	}
	return nil
}

// waitGone waits until SHOW PROCESSLIST lists none of ids, at most limit.
func waitGone(ctx context.Context, dst *sql.DB, ids []string, limit time.Duration) error {
	if len(ids) == 0 {
		return nil
	}
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	deadline := time.Now().Add(limit)
	for {
		listed, err := dbconn.ProcessIDs(ctx, dst)
		if err != nil {
			return fmt.Errorf("reading SHOW PROCESSLIST after ending an earlier owner's connections: %w", err)
		}
		var left []string
		for _, id := range listed {
			if want[id] {
				left = append(left, id)
			}
		}
		if len(left) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("connections %s of an earlier owner are still listed %s after they were killed: the takeover cannot be sure no statement of theirs still writes; "+
				"check SHOW PROCESSLIST on the destination and end them by hand", strings.Join(left, ", "), limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// raiseDirect sets the task's epoch to f's by compare-and-set on the epoch it read, and
// returns the epoch it replaced (f's own when it was already f's). An epoch above f's is a
// *FencedError.
func (f *Fence) raiseDirect(ctx context.Context, dst *sql.DB) (int64, error) {
	for range takeOverAttempts {
		current, err := f.current(ctx, dst)
		if err != nil {
			return 0, err
		}
		switch {
		case current > f.Epoch:
			return 0, &FencedError{TaskID: f.TaskID, Mine: f.Epoch, Current: current}
		case current == f.Epoch:
			return 0, nil
		}
		res, err := dst.ExecContext(ctx, "UPDATE `"+MetaDatabase+"`.`task_owner` SET epoch = ?, owner = ? WHERE task_id = ? AND epoch = ?", f.Epoch, f.Owner, f.TaskID, current)
		if err != nil {
			return 0, fmt.Errorf("task %s: taking it over on the destination at epoch %d: %w", f.TaskID, f.Epoch, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return 0, err
		} else if n == 1 {
			return current, nil
		}
	}
	return 0, fmt.Errorf("task %s: taking it over on the destination at epoch %d: the task's epoch kept changing under %d attempts; another runner is taking it over at the same time", f.TaskID, f.Epoch, takeOverAttempts)
}

// current reads the task's epoch outside any transaction (0 without a row).
func (f *Fence) current(ctx context.Context, q Writer) (int64, error) {
	var current int64
	err := q.QueryRowContext(ctx, "SELECT epoch FROM `"+MetaDatabase+"`.`task_owner` WHERE task_id = ?", f.TaskID).Scan(&current)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("task %s: checking its owner's epoch on the destination: %w", f.TaskID, err)
	}
	return current, nil
}

// raise runs the takeover transaction: lock the task's row (waiting at most FenceLockWait),
// raise its epoch if lower, and return the epoch it holds after.
func (f *Fence) raise(ctx context.Context, dst *sql.DB) (int64, error) {
	conn, err := dst.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	// A destination without the variable (not InnoDB) waits as long as it waits.
	wait := int(FenceLockWait / time.Second)
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("SET SESSION innodb_lock_wait_timeout = %d", wait)); err == nil {
		// The connection goes back to the pool: give it the default wait again.
		defer conn.ExecContext(context.WithoutCancel(ctx), "SET SESSION innodb_lock_wait_timeout = DEFAULT") //nolint:errcheck
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var current int64
	if err := tx.QueryRowContext(ctx, "SELECT epoch FROM `"+MetaDatabase+"`.`task_owner` WHERE task_id = ? FOR UPDATE", f.TaskID).Scan(&current); err != nil {
		return 0, err
	}
	if current >= f.Epoch {
		return current, nil
	}
	if _, err := tx.ExecContext(ctx, "UPDATE `"+MetaDatabase+"`.`task_owner` SET epoch = ?, owner = ? WHERE task_id = ? AND epoch < ?", f.Epoch, f.Owner, f.TaskID, f.Epoch); err != nil {
		return 0, err
	}
	return f.Epoch, tx.Commit()
}

// killOlder kills the connections that owners of older epochs recorded: a paused or
// partitioned stale owner's open transaction rolls back, and its locks go. It returns the
// ids it sent a KILL for.
func (f *Fence) killOlder(ctx context.Context, dst *sql.DB) ([]string, error) {
	ids, err := dbconn.Strings(ctx, dst, "SELECT conn_id FROM `"+MetaDatabase+"`.`task_owner_conns` WHERE task_id = ? AND epoch < ?", f.TaskID, f.Epoch)
	if err != nil {
		return nil, fmt.Errorf("task %s: reading its earlier owners' connections: %w", f.TaskID, err)
	}
	conn, err := dst.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	var self string
	if err := conn.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&self); err != nil {
		return nil, err
	}
	var killed []string
	for _, id := range ids {
		n, err := strconv.ParseUint(id, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("task %s: %s.task_owner_conns holds a damaged connection id %q", f.TaskID, MetaDatabase, id)
		}
		if id == self {
			// An idle pooled connection an earlier run of this runner recorded.
			continue
		}
		_, err = conn.ExecContext(ctx, fmt.Sprintf("%s %d", cmp.Or(f.Writes.Kill, "KILL CONNECTION"), n))
		if no, ok := errorNumber(err); err != nil && !(ok && no == errUnknownThread) {
			return nil, fmt.Errorf("task %s: ending connection %s of an earlier owner that holds the task's row (the destination user needs the right to kill its own connections): %w", f.TaskID, id, err)
		}
		killed = append(killed, id)
	}
	return killed, nil
}

// Register records conn, the connection a fenced transaction is about to begin on, with f's
// epoch, once per connection: a later owner kills it if it holds the task's row too long.
func (f *Fence) Register(ctx context.Context, conn *sql.Conn) error {
	if !f.fenced() {
		return nil
	}
	var key any
	if err := conn.Raw(func(dc any) error { key = dc; return nil }); err != nil {
		return err
	}
	f.mu.Lock()
	known := f.known[key]
	f.mu.Unlock()
	if known {
		return nil
	}
	var id int64
	if err := conn.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id); err != nil {
		return err
	}
	// Delete and insert rather than upsert: they read the same on every destination.
	if _, err := conn.ExecContext(ctx, "DELETE FROM `"+MetaDatabase+"`.`task_owner_conns` WHERE task_id = ? AND conn_id = ?", f.TaskID, id); err != nil {
		return fmt.Errorf("task %s: recording a destination connection of its owner: %w", f.TaskID, err)
	}
	// Recorded only while the epoch is f's: with direct writes this is what keeps an owner
	// paused past a takeover from writing (see the file comment).
	res, err := conn.ExecContext(ctx, "INSERT INTO `"+MetaDatabase+"`.`task_owner_conns` (task_id, conn_id, epoch) SELECT ?, ?, ? FROM `"+MetaDatabase+"`.`task_owner` WHERE task_id = ? AND epoch = ?",
		f.TaskID, id, f.Epoch, f.TaskID, f.Epoch)
	if err != nil {
		return fmt.Errorf("task %s: recording a destination connection of its owner: %w", f.TaskID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		current, err := f.current(ctx, conn)
		if err != nil {
			return err
		}
		return &FencedError{TaskID: f.TaskID, Mine: f.Epoch, Current: current}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.known) >= maxKnownConns {
		// Connections come and go with the pool; forgetting them only costs a new record.
		clear(f.known)
	}
	f.known[key] = true
	return nil
}

// maxKnownConns bounds the connections a Fence remembers.
const maxKnownConns = 1024

// Check reads the task's epoch inside tx with a shared lock, held until tx ends, and
// returns a *FencedError if it is not f's.
func (f *Fence) Check(ctx context.Context, tx *sql.Tx) error {
	if !f.fenced() {
		return nil
	}
	var current int64
	err := tx.QueryRowContext(ctx, "SELECT epoch FROM `"+MetaDatabase+"`.`task_owner` WHERE task_id = ? LOCK IN SHARE MODE", f.TaskID).Scan(&current)
	if errors.Is(err, sql.ErrNoRows) {
		current = 0
	} else if err != nil {
		return fmt.Errorf("task %s: checking its owner's epoch on the destination: %w", f.TaskID, err)
	}
	if current != f.Epoch {
		return &FencedError{TaskID: f.TaskID, Mine: f.Epoch, Current: current}
	}
	return nil
}

// Guard checks, outside any transaction, that f's epoch is still the task's; it goes just
// before a statement that cannot be fenced (DDL commits by itself).
func (f *Fence) Guard(ctx context.Context, dst *sql.DB) error {
	if !f.fenced() {
		return nil
	}
	current, err := f.current(ctx, dst)
	if err != nil {
		return err
	}
	if current != f.Epoch {
		return &FencedError{TaskID: f.TaskID, Mine: f.Epoch, Current: current}
	}
	return nil
}

// Writer runs statements: a *sql.DB, *sql.Conn, *sql.Tx or *Tx.
type Writer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Tx is a fenced destination transaction on a connection of its own, or with direct writes
// (Fence.Direct) the connection alone: each statement then takes effect by itself, and
// Commit has nothing left to do.
type Tx struct {
	tx   *sql.Tx
	conn *sql.Conn
	// deadline bounds each direct statement (0: none); serverBound says the session's
	// max_statement_time was set to it, to be reset when the connection goes back to the
	// pool (a pooled connection serves long reads and DDL too).
	deadline    time.Duration
	serverBound bool
}

// Begin begins a transaction that writes as f's owner: on a recorded connection, with the
// epoch checked and its row share-locked first. With a nil f it is a plain transaction;
// with direct writes, a recorded connection with the epoch checked, and no transaction.
func (f *Fence) Begin(ctx context.Context, dst *sql.DB) (*Tx, error) {
	conn, err := dst.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if err := f.Register(ctx, conn); err != nil {
		conn.Close()
		return nil, err
	}
	if f.Direct() {
		if f.fenced() {
			current, err := f.current(ctx, conn)
			if err == nil && current != f.Epoch {
				err = &FencedError{TaskID: f.TaskID, Mine: f.Epoch, Current: current}
			}
			if err != nil {
				conn.Close()
				return nil, err
			}
			t := &Tx{conn: conn, deadline: f.Writes.settle() - settleMargin}
			// The server's own bound on a statement, where it has one (MariaDB's
			// max_statement_time), for as long as t holds the connection: the takeover's
			// wait assumes it. A server without it keeps the client's deadline and the
			// takeover's kill.
			_, err = conn.ExecContext(ctx, fmt.Sprintf("SET SESSION max_statement_time = %d", int(t.deadline/time.Second)))
			t.serverBound = err == nil
			return t, nil
		}
		return &Tx{conn: conn}, nil
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		conn.Close()
		return nil, err
	}
	if err := f.Check(ctx, tx); err != nil {
		tx.Rollback()
		conn.Close()
		return nil, err
	}
	return &Tx{tx: tx, conn: conn}, nil
}

// Atomic reports whether t's statements commit together.
func (t *Tx) Atomic() bool { return t.tx != nil }

func (t *Tx) writer() Writer {
	if t.tx != nil {
		return t.tx
	}
	return t.conn
}

// bound gives a direct statement its deadline.
func (t *Tx) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if t.deadline <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, t.deadline)
}

// ExecContext runs a statement in the transaction (direct: by itself, within its deadline).
func (t *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx, cancel := t.bound(ctx)
	defer cancel()
	return t.writer().ExecContext(ctx, query, args...)
}

// QueryContext runs a query in the transaction. Direct queries are reads: no deadline.
func (t *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.writer().QueryContext(ctx, query, args...)
}

// QueryRowContext runs a one-row query in the transaction.
func (t *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return t.writer().QueryRowContext(ctx, query, args...)
}

// Commit commits the transaction; with direct writes every statement already took effect.
func (t *Tx) Commit() error {
	if t.tx == nil {
		return nil
	}
	return t.tx.Commit()
}

// Close rolls the transaction back unless it committed, and gives its connection back to
// the pool. Defer it after Begin.
func (t *Tx) Close() {
	if t.tx != nil {
		t.tx.Rollback()
	}
	if t.serverBound {
		if _, err := t.conn.ExecContext(context.Background(), "SET SESSION max_statement_time = DEFAULT"); err != nil {
			// Not back to the pool with the bound: the pool drops a connection that reports
			// itself bad.
			t.conn.Raw(func(any) error { return driver.ErrBadConn }) //nolint:errcheck
		}
	}
	t.conn.Close()
}

// errUnknownThread is the server's "Unknown thread id" error: the connection to kill has
// ended already.
const errUnknownThread = 1094

// lockWaitTimeout reports whether err is a lock wait timeout.
func lockWaitTimeout(err error) bool {
	n, ok := errorNumber(err)
	return ok && n == 1205
}

func errorNumber(err error) (uint16, bool) {
	var myErr *mysqldriver.MySQLError
	if errors.As(err, &myErr) {
		return myErr.Number, true
	}
	return 0, false
}

// EpochOf is f's epoch, 0 for a nil f (a single runner): what fenced checkpoint rows record.
func (f *Fence) EpochOf() int64 {
	if !f.fenced() {
		return 0
	}
	return f.Epoch
}
