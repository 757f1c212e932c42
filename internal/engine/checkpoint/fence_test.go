package checkpoint

import (
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
)

// The fence on a real destination: two transactions of one owner hold the task's row at
// once; a later owner's takeover waits for a stale owner's open transaction, kills its
// connection and wins, and nothing of that transaction lands; the stale owner's next
// transactions, its takeover and its DDL guard are refused; the epoch only grows.
func TestFenceOnDestination(t *testing.T) {
	dst := mariadbtest.StartDestination(t)
	db := dst.DB(t, "")
	ctx := t.Context()
	d, err := dialect.For(dialect.MariaDB)
	if err != nil {
		t.Fatal(err)
	}
	if err := Ensure(ctx, db, d); err != nil {
		t.Fatal(err)
	}
	dst.Exec(t, "CREATE DATABASE app", "CREATE TABLE app.t (id INT PRIMARY KEY, epoch BIGINT NOT NULL)",
		"CREATE TABLE app.epochs (n INT AUTO_INCREMENT PRIMARY KEY, epoch BIGINT NOT NULL)",
		"CREATE TRIGGER "+MetaDatabase+".owner_ins AFTER INSERT ON "+MetaDatabase+".task_owner FOR EACH ROW INSERT INTO app.epochs (epoch) VALUES (NEW.epoch)",
		"CREATE TRIGGER "+MetaDatabase+".owner_upd AFTER UPDATE ON "+MetaDatabase+".task_owner FOR EACH ROW INSERT INTO app.epochs (epoch) VALUES (NEW.epoch)")

	old := NewFence("task-1", 5, "r1", Writes{})
	if err := old.TakeOver(ctx, db); err != nil {
		t.Fatal(err)
	}
	// Two transactions of one owner check the fence at once: shared locks, no waiting.
	a, err := old.Begin(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	began := time.Now()
	b, err := old.Begin(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took > 500*time.Millisecond {
		t.Errorf("a second transaction of the same owner waited %s for the fence", took)
	}
	if _, err := b.ExecContext(ctx, "INSERT INTO app.t VALUES (1, 5)"); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	b.Close()
	// a stays open, as a paused owner's transaction would.
	if _, err := a.ExecContext(ctx, "INSERT INTO app.t VALUES (2, 5)"); err != nil {
		t.Fatal(err)
	}

	next := NewFence("task-1", 9, "r2", Writes{})
	began = time.Now()
	if err := next.TakeOver(ctx, db); err != nil {
		t.Fatalf("takeover with a stale transaction open: %v", err)
	}
	took := time.Since(began)
	t.Logf("takeover past a stale owner's open transaction: %s", took.Round(time.Millisecond))
	if took < FenceLockWait || took > 10*time.Second {
		t.Errorf("takeover took %s: it should wait about %s for the stale transaction, then kill it", took, FenceLockWait)
	}
	if err := a.Commit(); err == nil {
		t.Error("the stale owner's transaction committed after the takeover")
	}
	var rows int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM app.t WHERE id = 2").Scan(&rows); err != nil || rows != 0 {
		t.Errorf("the stale owner's row landed after the takeover: %d rows, %v", rows, err)
	}

	// The stale owner is refused from now on.
	var fenced *FencedError
	if _, err := old.Begin(ctx, db); !errors.As(err, &fenced) || fenced.Current != 9 || !errors.Is(err, ErrFenced) {
		t.Errorf("stale owner's Begin: %v, want a FencedError naming epoch 9", err)
	}
	if err := old.TakeOver(ctx, db); !errors.Is(err, ErrFenced) {
		t.Errorf("stale owner's TakeOver: %v, want fenced", err)
	}
	if err := old.Guard(ctx, db); !errors.Is(err, ErrFenced) {
		t.Errorf("stale owner's Guard: %v, want fenced", err)
	}
	// The new owner writes; taking over again at its own epoch (a retried run) is fine.
	if err := next.TakeOver(ctx, db); err != nil {
		t.Fatal(err)
	}
	c, err := next.Begin(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, "INSERT INTO app.t VALUES (3, 9)"); err != nil {
		t.Fatal(err)
	}
	if err := c.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := next.Guard(ctx, db); err != nil {
		t.Error(err)
	}
	// Without an epoch nothing is fenced.
	var none *Fence
	u, err := none.Begin(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	u.Close()

	got := map[int]int64{}
	r, err := db.QueryContext(ctx, "SELECT id, epoch FROM app.t")
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		var id int
		var e int64
		if err := r.Scan(&id, &e); err != nil {
			t.Fatal(err)
		}
		got[id] = e
	}
	if len(got) != 2 || got[1] != 5 || got[3] != 9 {
		t.Errorf("destination rows %v, want 1 (epoch 5) and 3 (epoch 9)", got)
	}
	assertEpochsGrow(t, db, "SELECT epoch FROM app.epochs ORDER BY n")
}

// assertEpochsGrow fails unless the epochs query returns never goes down.
func assertEpochsGrow(t *testing.T, db *sql.DB, query string) {
	t.Helper()
	r, err := db.QueryContext(t.Context(), query)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var seen []int64
	for r.Next() {
		var e int64
		if err := r.Scan(&e); err != nil {
			t.Fatal(err)
		}
		if len(seen) > 0 && e < seen[len(seen)-1] {
			t.Errorf("the epoch went down: %v then %d", seen, e)
		}
		seen = append(seen, e)
	}
	if len(seen) < 2 {
		t.Errorf("the audit recorded %v: want the takeovers' epochs", seen)
	}
	t.Logf("epoch history: %v", seen)
}

// The direct fence (no transactions) on a real server: a connection is recorded only at the
// owner's epoch; a takeover at a higher epoch kills the older owner's recorded connection
// (its next statement fails) and refuses its next Begin; a direct connection carries the
// statement bound only while the owner holds it, not back in the pool.
func TestDirectFenceOnDestination(t *testing.T) {
	dst := mariadbtest.StartDestination(t)
	db := dst.DB(t, "")
	db.SetMaxOpenConns(4)
	ctx := t.Context()
	d, err := dialect.For(dialect.MariaDB)
	if err != nil {
		t.Fatal(err)
	}
	if err := Ensure(ctx, db, d); err != nil {
		t.Fatal(err)
	}
	dst.Exec(t, "CREATE DATABASE app", "CREATE TABLE app.t (id INT PRIMARY KEY, epoch BIGINT NOT NULL)")
	w := Writes{Direct: true, Kill: "KILL CONNECTION", Settle: 2 * time.Second}
	old := NewFence("task-d", 5, "r1", w)
	began := time.Now()
	if err := old.TakeOver(ctx, db); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took > time.Second {
		t.Errorf("the first owner of a task waited %s: no earlier owner, no settle", took)
	}
	a, err := old.Begin(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.Atomic() {
		t.Fatal("a direct Tx says it is atomic")
	}
	var bound float64
	if err := a.QueryRowContext(ctx, "SELECT @@max_statement_time").Scan(&bound); err != nil || bound != 1 {
		t.Errorf("max_statement_time on the owner's connection = %v (%v), want 1 (settle 2 s less a second)", bound, err)
	}
	if _, err := a.ExecContext(ctx, "INSERT INTO app.t VALUES (1, 5)"); err != nil {
		t.Fatal(err)
	}

	next := NewFence("task-d", 9, "r2", w)
	began = time.Now()
	if err := next.TakeOver(ctx, db); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took < w.Settle {
		t.Errorf("a takeover from an earlier owner took %s, want at least the settle wait %s", took, w.Settle)
	}
	// The old owner's connection is gone: its next statement lands nowhere.
	if _, err := a.ExecContext(ctx, "INSERT INTO app.t VALUES (2, 5)"); err == nil {
		t.Error("the stale owner wrote through its connection after the takeover")
	}
	if _, err := old.Begin(ctx, db); !errors.Is(err, ErrFenced) {
		t.Errorf("the stale owner's Begin after the takeover = %v, want ErrFenced", err)
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM app.t WHERE id = 2").Scan(&n); err != nil || n != 0 {
		t.Errorf("row 2 of the stale owner: count %d (%v), want 0", n, err)
	}
	b, err := next.Begin(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	// Back in the pool, no connection keeps the bound.
	for range 4 {
		var v float64
		if err := db.QueryRowContext(ctx, "SELECT @@max_statement_time").Scan(&v); err != nil || v != 0 {
			t.Errorf("a pooled connection has max_statement_time %v (%v), want 0", v, err)
		}
	}
}
