package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/cdc"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/throttle"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
)

// progressWatch keeps the last progress and lets a test wait for a condition on it.
type progressWatch struct {
	mu   sync.Mutex
	last engine.Progress
	seen chan struct{}
}

func newWatch() *progressWatch { return &progressWatch{seen: make(chan struct{}, 1)} }

func (w *progressWatch) report(p engine.Progress) {
	w.mu.Lock()
	w.last = p
	w.mu.Unlock()
	select {
	case w.seen <- struct{}{}:
	default:
	}
}

func (w *progressWatch) wait(t *testing.T, what string, done <-chan error, cond func(engine.Progress) bool) engine.Progress {
	t.Helper()
	deadline := time.After(90 * time.Second)
	for {
		w.mu.Lock()
		p := w.last
		w.mu.Unlock()
		if cond(p) {
			return p
		}
		select {
		case <-w.seen:
		case <-time.After(50 * time.Millisecond):
		case err := <-done:
			t.Fatalf("waiting for %s: the task ended: %v", what, err)
		case <-deadline:
			t.Fatalf("waiting for %s: last progress %+v", what, p)
		}
	}
}

// drainRun closes drain and waits for the run reporting on done to end with
// engine.ErrDrained, failing the test otherwise or after 90 s.
func drainRun(t *testing.T, drain chan struct{}, done <-chan error) {
	t.Helper()
	close(drain)
	select {
	case err := <-done:
		if !errors.Is(err, engine.ErrDrained) {
			t.Fatalf("Run after the drain = %v, want ErrDrained", err)
		}
	case <-time.After(90 * time.Second):
		t.Fatal("the drain did not finish")
	}
}

func TestIncrementalFollowsWritesDuringFullAndAfter(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	seedShop(t, src)
	src.Exec(t,
		"CREATE TABLE shop.leads (id INT PRIMARY KEY, score INT NOT NULL, note VARCHAR(30))",
		"INSERT INTO shop.leads SELECT seq, seq % 100, CONCAT('lead ', seq) FROM shop.seq_1_to_800")
	drain := make(chan struct{})
	task := fullTask("task-cdc", src, dst,
		engine.Object{Database: "shop", RenameTo: "shop_copy", Tables: []engine.Table{
			{Name: "customers"}, {Name: "orders"}, {Name: "tags"},
			// The text comparison follows the column's case-insensitive collation in the
			// binlog as in the copy: 'VIP' matches.
			{Name: "leads", Where: "score >= 50 OR note = 'vip'"},
		}})
	task.MigrationTypes = append(task.MigrationTypes, engine.MigrationIncremental)
	task.ChunkRows, task.Workers = 300, 2
	task.FullLimits = throttle.NewLimits(0, 2500, 0)
	task.Drain = drain
	w := newWatch()
	done := make(chan error, 1)
	go func() { done <- engine.Run(context.Background(), task, w.report) }()

	// Writes while the full copy runs: they land before or after each chunk is read.
	w.wait(t, "the full copy", done, func(p engine.Progress) bool { return p.Phase == engine.PhaseFull && p.RowsMigrated > 0 })
	src.Exec(t, "SET foreign_key_checks = 0",
		"INSERT INTO shop.customers (id, name, email) SELECT 10000 + seq, CONCAT('new ', seq), 'n@x' FROM shop.seq_1_to_200",
		"UPDATE shop.customers SET balance = balance * 2, note = 'doubled' WHERE id % 10 = 3",
		"DELETE FROM shop.customers WHERE id % 17 = 0",
		"UPDATE shop.orders SET id = id + 100000 WHERE id % 50 = 1",    // primary key changes
		"UPDATE shop.leads SET score = 99 WHERE id <= 40",              // some rows move into the filter
		"UPDATE shop.leads SET score = 1 WHERE id BETWEEN 550 AND 600", // some move out
		"DELETE FROM shop.tags WHERE label = 'ff'",
	)

	// Writes once incremental runs, DDL included.
	w.wait(t, "incremental migration to catch up", done, func(p engine.Progress) bool { return p.Phase == engine.PhaseIncremental && p.CaughtUp })
	src.Exec(t, "SET foreign_key_checks = 0",
		"ALTER TABLE shop.customers ADD COLUMN tier TINYINT UNSIGNED NOT NULL DEFAULT 1 AFTER name",
		"UPDATE shop.customers SET tier = 255 WHERE id % 7 = 1",
		"INSERT INTO shop.customers (id, name, tier, email) VALUES (20001, 'after ddl', 200, NULL)",
		"ALTER TABLE shop.customers DROP COLUMN note",
		"UPDATE shop.customers SET name = CONCAT(name, ' (renamed)') WHERE id BETWEEN 100 AND 160",
		"UPDATE shop.orders SET customer_id = customer_id + 1, status = 'paid' WHERE id % 9 = 0",
		"UPDATE shop.orders SET id = -id WHERE id BETWEEN 700 AND 720",
		"UPDATE shop.leads SET score = 75, note = 'moved in' WHERE id BETWEEN 10 AND 20",
		"UPDATE shop.leads SET score = 0 WHERE id BETWEEN 90 AND 99",
		"UPDATE shop.leads SET score = 0, note = 'VIP' WHERE id BETWEEN 30 AND 35", // in by the text alone
		"UPDATE shop.leads SET score = 1, note = 'Vip' WHERE id IN (560, 561)",     // back in, by text
		"UPDATE shop.leads SET note = 'not vip' WHERE id = 34",                     // out again
		"DELETE FROM shop.leads WHERE id > 790",
		"INSERT INTO shop.tags VALUES (0xfeff, 'bom'), ('b', NULL)",
	)
	drainRun(t, drain, done)
	srcDB, dstDB := src.DB(t, ""), dst.DB(t, "")
	mariadbtest.AssertSameRows(t, srcDB, dstDB, "SELECT * FROM shop.customers ORDER BY id", "SELECT * FROM shop_copy.customers ORDER BY id")
	mariadbtest.AssertSameRows(t, srcDB, dstDB, "SELECT * FROM shop.orders ORDER BY customer_id, id", "SELECT * FROM shop_copy.orders ORDER BY customer_id, id")
	mariadbtest.AssertSameRows(t, srcDB, dstDB, "SELECT * FROM shop.tags ORDER BY code", "SELECT * FROM shop_copy.tags ORDER BY code")
	mariadbtest.AssertSameRows(t, srcDB, dstDB, "SELECT * FROM shop.leads WHERE score >= 50 OR note = 'vip' ORDER BY id", "SELECT * FROM shop_copy.leads ORDER BY id")

	// Run again: it resumes from its checkpoint and has nothing to redo.
	src.Exec(t, "UPDATE shop.customers SET tier = 7 WHERE id = 20001")
	drain2 := make(chan struct{})
	close(drain2)
	task.Drain = drain2
	if err := engine.Run(context.Background(), task, func(engine.Progress) {}); !errors.Is(err, engine.ErrDrained) {
		t.Fatalf("restarted Run = %v, want ErrDrained", err)
	}
	mariadbtest.AssertSameRows(t, srcDB, dstDB, "SELECT * FROM shop.customers ORDER BY id", "SELECT * FROM shop_copy.customers ORDER BY id")
}

// A task whose binlog position the source purged while it was stopped fails at once, saying
// the binlog expired and that a new task is needed.
func TestIncrementalFailsOnPurgedBinlog(t *testing.T) {
	src, dst := mariadbtest.StartSource(t), mariadbtest.StartDestination(t)
	seedShop(t, src)
	task := fullTask("task-purged", src, dst, engine.Object{Database: "shop", Tables: []engine.Table{{Name: "customers"}}})
	task.MigrationTypes = append(task.MigrationTypes, engine.MigrationIncremental)
	drain := make(chan struct{})
	close(drain)
	task.Drain = drain
	if err := engine.Run(context.Background(), task, func(engine.Progress) {}); !errors.Is(err, engine.ErrDrained) {
		t.Fatalf("first run = %v, want ErrDrained", err)
	}
	// While the task is stopped, the source writes on and purges the binlog it would need.
	src.Exec(t, "UPDATE shop.customers SET name = 'changed while stopped' WHERE id = 1",
		"FLUSH BINARY LOGS", "FLUSH BINARY LOGS")
	var last string
	var pos int
	if err := src.DB(t, "").QueryRow("SHOW MASTER STATUS").Scan(&last, &pos, new(string), new(string)); err != nil {
		t.Fatal(err)
	}
	// A binlog a dump thread still reads is not purged: retry until the old files are gone.
	for i := 0; ; i++ {
		src.Exec(t, "PURGE BINARY LOGS TO '"+last+"'")
		var first string
		if err := src.DB(t, "").QueryRow("SHOW BINARY LOGS").Scan(&first, new(int64)); err != nil {
			t.Fatal(err)
		}
		if first == last {
			break
		}
		if i == 100 {
			t.Fatalf("the source keeps binlog %s", first)
		}
		time.Sleep(100 * time.Millisecond)
	}
	start := time.Now()
	err := engine.Run(context.Background(), task, func(engine.Progress) {})
	if !errors.Is(err, cdc.ErrBinlogPurged) || !strings.Contains(err.Error(), "create a new task") {
		t.Fatalf("Run after the purge = %v, want a binlog-expired error asking for a new task", err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("the purged binlog was noticed after %v, want at once", d)
	}
}

// Rows events of databases a task does not select are not decoded (only their headers are):
// transactions that change a selected table and a table of another database, in either
// order and in the same statement batch, still apply exactly the selected table's changes.
func TestIncrementalSkipsRowsOfOtherDatabases(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	seedShop(t, src)
	src.Exec(t, "CREATE DATABASE other",
		"CREATE TABLE other.noise (id INT PRIMARY KEY, v VARCHAR(30) NOT NULL, b BLOB)",
		"CREATE TABLE other.customers LIKE shop.customers")
	drain := make(chan struct{})
	task := fullTask("task-skip", src, dst, engine.Object{Database: "shop", RenameTo: "shop_copy"})
	task.MigrationTypes = append(task.MigrationTypes, engine.MigrationIncremental)
	task.Drain = drain
	w := newWatch()
	done := make(chan error, 1)
	go func() { done <- engine.Run(context.Background(), task, w.report) }()
	w.wait(t, "incremental migration to catch up", done, func(p engine.Progress) bool { return p.Phase == engine.PhaseIncremental && p.CaughtUp })

	for i := range 20 {
		src.Exec(t, "BEGIN",
			fmt.Sprintf("INSERT INTO other.noise VALUES (%d, 'noise %d', REPEAT('x', %d))", i, i, 100*i),
			fmt.Sprintf("INSERT INTO shop.customers (id, name, email) VALUES (%d, 'new %d', 'n@x')", 5000+i, i),
			fmt.Sprintf("INSERT INTO other.customers (id, name, email) VALUES (%d, 'other %d', 'o@x')", 5000+i, i),
			fmt.Sprintf("UPDATE shop.customers SET note = 'touched %d' WHERE id %% 20 = %d", i, i),
			fmt.Sprintf("UPDATE other.noise SET v = 'changed' WHERE id <= %d", i),
			"COMMIT")
	}
	src.Exec(t, "DELETE FROM other.noise WHERE id % 2 = 0", "DELETE FROM shop.customers WHERE id >= 5000 AND id % 3 = 0")
	drainRun(t, drain, done)
	srcDB, dstDB := src.DB(t, ""), dst.DB(t, "")
	mariadbtest.AssertSameRows(t, srcDB, dstDB, "SELECT * FROM shop.customers ORDER BY id", "SELECT * FROM shop_copy.customers ORDER BY id")
	var n int
	if err := dstDB.QueryRow("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'other'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("the destination has database other, which the task does not select")
	}
}
