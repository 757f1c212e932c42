package engine_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/cdc"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/etl"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/fullload"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/throttle"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/vocab"
)

// itemWriter changes rows of app.items (through its id and qty columns only, which no DDL
// of the tests touches) until stopped, and counts the rows it changed. pause holds it, as
// the lock of an online schema change's cut-over does.
type itemWriter struct {
	mu      sync.Mutex
	stop    chan struct{}
	done    chan error
	changed atomic.Int64
}

func startItemWriter(t *testing.T, db *sql.DB) *itemWriter {
	w := &itemWriter{stop: make(chan struct{}), done: make(chan error, 1)}
	go func() {
		for i := 0; ; i++ {
			select {
			case <-w.stop:
				w.done <- nil
				return
			case <-time.After(3 * time.Millisecond):
			}
			var stmt string
			var args []any
			switch i % 3 {
			case 0:
				stmt, args = "INSERT INTO app.items (id, qty) VALUES (?, ?)", []any{200000 + i, i % 50}
			case 1:
				stmt, args = "UPDATE app.items SET qty = qty + 1 WHERE id = ?", []any{1 + i*7%500}
			case 2:
				stmt, args = "DELETE FROM app.items WHERE id = ?", []any{200000 + i - 32}
			}
			w.mu.Lock()
			res, err := db.Exec(stmt, args...)
			w.mu.Unlock()
			if err != nil {
				w.done <- fmt.Errorf("writer: %s: %w", stmt, err)
				return
			}
			n, _ := res.RowsAffected()
			w.changed.Add(n)
		}
	}()
	t.Cleanup(func() { w.halt(t) })
	return w
}

func (w *itemWriter) halt(t *testing.T) {
	t.Helper()
	select {
	case <-w.stop:
		return
	default:
	}
	close(w.stop)
	if err := <-w.done; err != nil {
		t.Error(err)
	}
}

// columnsQuery lists a database's columns as information_schema says, for comparing a
// source database with its destination.
func columnsQuery(db, except string) string {
	return "SELECT TABLE_NAME, ORDINAL_POSITION, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, CHARACTER_SET_NAME, COLLATION_NAME, COLUMN_KEY, EXTRA " +
		"FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '" + db + "' AND TABLE_NAME <> '" + except + "' ORDER BY TABLE_NAME, ORDINAL_POSITION"
}

func indexesQuery(db, except string) string {
	return "SELECT TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, NON_UNIQUE, SUB_PART " +
		"FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = '" + db + "' AND TABLE_NAME <> '" + except + "' ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX"
}

// TestIncrementalFollowsDDL runs every DDL incremental migration follows against a task
// over a whole database, while a writer keeps changing the table most of them alter: column
// changes, indexes and options; created, LIKE-created, dropped, truncated and renamed tables
// (within, out of and into the selection); an online schema change as gh-ost makes it
// (its statements replayed) and one by pt-online-schema-change itself. The destination is
// then compared with the source (rows, columns, indexes), the task's verification passes,
// and a restarted run decodes the binlog after every change with the stored history.
func TestIncrementalFollowsDDL(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	src.Exec(t,
		"CREATE DATABASE app", "CREATE DATABASE other",
		"CREATE TABLE app.items (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL DEFAULT 'n', qty INT NOT NULL DEFAULT 0, price DECIMAL(8,2) DEFAULT 1.50, note VARCHAR(10))",
		"INSERT INTO app.items SELECT seq, CONCAT('item ', seq), seq % 10, seq / 4, 'n' FROM app.seq_1_to_500",
		"CREATE TABLE app.gone (id INT PRIMARY KEY, v INT)",
		"INSERT INTO app.gone SELECT seq, seq FROM app.seq_1_to_20",
		"CREATE TABLE app.trunc (id INT PRIMARY KEY, v VARCHAR(20))",
		"INSERT INTO app.trunc SELECT seq, 'before' FROM app.seq_1_to_30",
		"CREATE TABLE app.moving (id INT PRIMARY KEY, v VARCHAR(20))",
		"INSERT INTO app.moving SELECT seq, 'moving' FROM app.seq_1_to_30",
		"CREATE TABLE app.leaving (id INT PRIMARY KEY, v VARCHAR(20))",
		"INSERT INTO app.leaving SELECT seq, 'leaving' FROM app.seq_1_to_30",
		"CREATE TABLE other.incoming (id INT PRIMARY KEY, v VARCHAR(20), d DATETIME(3))",
		"INSERT INTO other.incoming SELECT seq, CONCAT('in ', seq), '2026-01-01 00:00:00.123' + INTERVAL seq DAY FROM other.seq_1_to_40",
	)
	drain := make(chan struct{})
	task := fullTask("task-ddl", src, dst, engine.Object{Database: "app", RenameTo: "app_copy"})
	task.MigrationTypes = append(task.MigrationTypes, engine.MigrationIncremental)
	task.DDLOperations = vocab.DDLOperations
	task.Drain = drain
	// Continuous verification runs all along: its sweeps take the tables as the DDL leaves
	// them.
	task.Verification = engine.Verification{Mode: engine.VerifyFull, Settle: 500 * time.Millisecond, Every: 2 * time.Second}
	w := newWatch()
	done := make(chan error, 1)
	go func() { done <- engine.Run(context.Background(), task, w.report) }()
	// caughtUp waits, the writer held, until everything written is applied, and returns the
	// progress then.
	var writer *itemWriter
	caughtUp := func(what string) engine.Progress {
		t.Helper()
		writer.mu.Lock()
		defer writer.mu.Unlock()
		// A marker row makes sure the applier has read past everything before it.
		marker := time.Now().UnixNano()
		src.Exec(t, fmt.Sprintf("INSERT INTO app.trunc VALUES (%d, 'marker') ON DUPLICATE KEY UPDATE v = 'marker'", marker%1000000000))
		dstDB := dst.DB(t, "")
		return w.wait(t, what, done, func(p engine.Progress) bool {
			var n int
			if err := dstDB.QueryRow("SELECT COUNT(*) FROM app_copy.trunc WHERE id = ?", marker%1000000000).Scan(&n); err != nil {
				return false
			}
			return n == 1 && p.CaughtUp
		})
	}
	w.wait(t, "incremental migration to catch up", done, func(p engine.Progress) bool { return p.Phase == engine.PhaseIncremental && p.CaughtUp })
	srcDB := src.DB(t, "")
	writer = startItemWriter(t, srcDB)

	// Column, index and option changes on the table being written.
	src.Exec(t,
		"ALTER TABLE app.items MODIFY name VARCHAR(100) NOT NULL DEFAULT 'n', MODIFY price DECIMAL(12,4) DEFAULT 1.5",
		"INSERT INTO app.items (id, name, price) VALUES (100001, REPEAT('x', 50), 12345678.1234)",
		"ALTER TABLE app.items CHANGE note remark VARCHAR(40)",
		"ALTER TABLE app.items RENAME COLUMN remark TO memo",
		"UPDATE app.items SET memo = IF(id % 5 = 0, CONCAT('memo ', id), NULL)",
		"ALTER TABLE app.items ALTER COLUMN qty SET DEFAULT 5, ALTER COLUMN price DROP DEFAULT",
		"ALTER TABLE app.items ADD COLUMN extra INT AFTER id, MODIFY memo VARCHAR(40) AFTER extra",
		"UPDATE app.items SET extra = id * 2 WHERE id <= 50",
		"ALTER TABLE app.items ADD INDEX by_qty (qty), ADD UNIQUE KEY uk_memo (memo)",
		"CREATE INDEX by_name ON app.items (name(10))",
		"ALTER TABLE app.items DROP INDEX by_qty",
		"ALTER TABLE app.items COMMENT = 'items, second layout'",
		"ALTER TABLE app.items ADD COLUMN gone_soon INT DEFAULT 3",
		"ALTER TABLE app.items DROP COLUMN gone_soon",
	)
	// Whole tables.
	src.Exec(t,
		"CREATE TABLE app.fresh (id INT PRIMARY KEY, v VARCHAR(20) DEFAULT 'x', n DECIMAL(10,3) NOT NULL, KEY kv (v)) DEFAULT CHARSET=utf8mb4",
		"INSERT INTO app.fresh VALUES (1, 'a', 1.5), (2, NULL, 2.25)",
		"CREATE TABLE app.fresh_like LIKE app.gone",
		"INSERT INTO app.fresh_like VALUES (1, 10), (2, 20)",
		"UPDATE app.fresh SET v = 'b' WHERE id = 2",
		"DROP TABLE app.gone",
		"TRUNCATE TABLE app.trunc",
		"INSERT INTO app.trunc VALUES (1000, 'after truncate')",
		"RENAME TABLE app.moving TO app.moved",
		"INSERT INTO app.moved VALUES (100, 'after rename')",
		"RENAME TABLE app.leaving TO other.leaving",
		"INSERT INTO other.leaving VALUES (100, 'not migrated')",
		"RENAME TABLE other.incoming TO app.incoming",
		"INSERT INTO app.incoming VALUES (100, 'after rename', NULL)",
		"UPDATE app.incoming SET v = 'changed' WHERE id <= 5",
		"DELETE FROM app.incoming WHERE id = 40",
	)
	before := caughtUp("the table DDL")
	changedBefore := writer.changed.Load() // the writer is held until caughtUp returns

	// gh-ost, as it issues its statements: changelog and shadow tables, the shadow altered
	// and filled, kept in step, then the atomic cut-over with its sentry table.
	src.Exec(t,
		"CREATE TABLE app._items_ghc (id BIGINT AUTO_INCREMENT PRIMARY KEY, last_update TIMESTAMP DEFAULT CURRENT_TIMESTAMP, hint VARCHAR(64) NOT NULL, value VARCHAR(4096) NOT NULL, UNIQUE KEY hint_uidx (hint))",
		"CREATE TABLE app._items_gho LIKE app.items",
		"ALTER TABLE app._items_gho ADD COLUMN gh INT NOT NULL DEFAULT 7, MODIFY name VARCHAR(120) NOT NULL DEFAULT 'n'",
		"INSERT INTO app._items_ghc (hint, value) VALUES ('state', 'migrating')",
		"INSERT IGNORE INTO app._items_gho (id, extra, memo, name, qty, price) SELECT id, extra, memo, name, qty, price FROM app.items",
	)
	cutOver := func(stmts ...string) {
		writer.mu.Lock()
		defer writer.mu.Unlock()
		src.Exec(t, stmts...)
	}
	cutOver(
		"REPLACE INTO app._items_gho (id, extra, memo, name, qty, price) SELECT id, extra, memo, name, qty, price FROM app.items",
		"DELETE FROM app._items_gho WHERE id NOT IN (SELECT id FROM app.items)",
		"CREATE TABLE app._items_del (id INT AUTO_INCREMENT PRIMARY KEY) COMMENT='ghost-cut-over-sentry'",
		"DROP TABLE IF EXISTS app._items_del",
		"RENAME TABLE app.items TO app._items_del, app._items_gho TO app.items",
	)
	src.Exec(t, "INSERT INTO app._items_ghc (hint, value) VALUES ('done', 'yes')", "DROP TABLE app._items_ghc", "DROP TABLE app._items_del")

	// pt-online-schema-change itself, the writer going on.
	pt, err := exec.LookPath("pt-online-schema-change")
	if err != nil {
		t.Fatal("pt-online-schema-change not found: install percona-toolkit (apt-get install -y percona-toolkit)")
	}
	out, err := exec.Command(pt, "--alter", "ADD COLUMN pt VARCHAR(10) NOT NULL DEFAULT 'pt'", "--execute", "--recursion-method=none",
		"--chunk-size=100", "--no-check-replication-filters",
		fmt.Sprintf("h=%s,P=%d,u=%s,p=%s,D=app,t=items", src.Host, src.Port, src.User, src.Password)).CombinedOutput()
	if err != nil {
		t.Fatalf("pt-online-schema-change: %v\n%s", err, out)
	}
	src.Exec(t, "UPDATE app.items SET pt = 'after' WHERE id <= 10")
	writer.halt(t)
	after := caughtUp("the online schema changes")
	changed := writer.changed.Load() - changedBefore
	// Rows migrated grow by the rows changed (the writer's, ten updates and a marker), not
	// by a copy of the table's 500.
	if grew := after.RowsMigrated - before.RowsMigrated; grew != changed+11 {
		t.Errorf("rows_migrated grew by %d during the online schema changes; the writer changed %d rows, the test 11 (a full copy would add 500 more)", grew, changed)
	} else {
		t.Logf("rows_migrated grew by %d during the online schema changes: the %d rows the writer changed and the test's 11", grew, changed)
	}
	var sweeps int64
	if after.Verification != nil {
		sweeps = after.Verification.Sweeps
	}
	v := w.wait(t, "a verification sweep after the DDL", done, func(p engine.Progress) bool {
		return p.Verification != nil && p.Verification.Sweeps >= sweeps+2 && p.Verification.Status != "running"
	}).Verification
	if v.Status != "passed" || v.RecheckMismatches != 0 {
		t.Errorf("continuous verification after the DDL: %s, %d rows differ, %d rechecked rows differ (%+v)", v.Status, v.Mismatches, v.RecheckMismatches, v.Mismatched)
	}
	// The one DDL not applied is the rename out of the selection.
	if len(after.Notices) != 1 || !strings.Contains(after.Notices[0], "RENAME TABLE app.leaving TO other.leaving") {
		t.Errorf("DDL reported as not applied: %q, want only the rename of app.leaving out of the selection", after.Notices)
	}

	drainRun(t, drain, done)
	dstDB := dst.DB(t, "")
	assertSameApp := func() {
		t.Helper()
		for _, table := range []string{"items", "fresh", "fresh_like", "trunc", "moved", "incoming"} {
			mariadbtest.AssertSameRows(t, srcDB, dstDB, "SELECT * FROM app."+table+" ORDER BY id", "SELECT * FROM app_copy."+table+" ORDER BY id")
		}
		mariadbtest.AssertSameRows(t, srcDB, dstDB, columnsQuery("app", ""), columnsQuery("app_copy", "leaving"))
		mariadbtest.AssertSameRows(t, srcDB, dstDB, indexesQuery("app", ""), indexesQuery("app_copy", "leaving"))
		mariadbtest.AssertSameRows(t, srcDB, dstDB,
			"SELECT TABLE_NAME, TABLE_COMMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'app' ORDER BY TABLE_NAME",
			"SELECT TABLE_NAME, TABLE_COMMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'app_copy' AND TABLE_NAME <> 'leaving' ORDER BY TABLE_NAME")
	}
	assertSameApp()
	// The table renamed out of the selection stays as it was when it left.
	mariadbtest.AssertSameRows(t, srcDB, dstDB, "SELECT * FROM other.leaving WHERE id <= 30 ORDER BY id", "SELECT * FROM app_copy.leaving ORDER BY id")
	checkVerification(t, task, "passed", nil)

	// A restarted run reads the binlog after all of it with the stored schema history.
	src.Exec(t,
		"UPDATE app.items SET pt = 'restart', memo = NULL WHERE id BETWEEN 20 AND 30",
		"INSERT INTO app.fresh VALUES (3, 'c', 3)",
		"INSERT INTO app.incoming VALUES (101, 'after restart', NOW(3))",
		"ALTER TABLE app.moved ADD COLUMN w INT DEFAULT 9",
		"INSERT INTO app.moved VALUES (101, 'with w', 1)",
	)
	drain2 := make(chan struct{})
	close(drain2)
	task.Drain = drain2
	var last engine.Progress
	if err := engine.Run(context.Background(), task, func(p engine.Progress) { last = p }); !errors.Is(err, engine.ErrDrained) {
		t.Fatalf("restarted Run = %v, want ErrDrained", err)
	}
	assertSameApp()
	if last.RowsMigrated > after.RowsMigrated+100 {
		t.Errorf("the restarted run migrated %d rows after %d: a table was copied again", last.RowsMigrated, after.RowsMigrated)
	}
}

// TestIncrementalRefusesDDLItCannotFollow: a DDL that would make later rows land wrong
// fails the task with the cause and the remedy, and a DDL left out by ddl_operations (the
// default, add_column and drop_column) is reported, not applied.
func TestIncrementalRefusesDDLItCannotFollow(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	n := 0
	run := func(ddlOps []vocab.Operation, table engine.Table, ddl ...string) (engine.Progress, error) {
		t.Helper()
		n++
		db := "r" + strconv.Itoa(n)
		src.Exec(t, "CREATE DATABASE "+db,
			"CREATE TABLE "+db+".t (id INT PRIMARY KEY, v VARCHAR(10), score INT, u INT, ts DATETIME, UNIQUE KEY uk_u (u))",
			"INSERT INTO "+db+".t SELECT seq, 'v', seq, seq, '2026-01-01' FROM "+db+".seq_1_to_20")
		table.Name = "t"
		task := fullTask("task-refuse-"+db, src, dst, engine.Object{Database: db, Tables: []engine.Table{table}})
		if table.Where == "" && table.ETL.Empty() && table.Columns == nil {
			task.Objects[0].Tables = nil // the whole database
		}
		task.MigrationTypes = append(task.MigrationTypes, engine.MigrationIncremental)
		task.DDLOperations = ddlOps
		drain := make(chan struct{})
		task.Drain = drain
		w := newWatch()
		done := make(chan error, 1)
		go func() { done <- engine.Run(context.Background(), task, w.report) }()
		w.wait(t, "incremental migration to catch up", done, func(p engine.Progress) bool { return p.Phase == engine.PhaseIncremental && p.CaughtUp })
		for i := range ddl {
			ddl[i] = strings.ReplaceAll(ddl[i], "$db", db)
		}
		src.Exec(t, ddl...)
		// Either the task fails, or it applies what follows the DDL: then drain it.
		deadline := time.After(60 * time.Second)
		for {
			select {
			case err := <-done:
				w.mu.Lock()
				defer w.mu.Unlock()
				return w.last, err
			case <-deadline:
				t.Fatalf("%s: the task neither failed nor caught up after the DDL", db)
			case <-time.After(100 * time.Millisecond):
			}
			w.mu.Lock()
			p := w.last
			w.mu.Unlock()
			if p.CaughtUp && p.ChangesApplied > 0 {
				close(drain)
				err := <-done
				w.mu.Lock()
				defer w.mu.Unlock()
				return w.last, err
			}
		}
	}
	failsWith := func(err error, parts ...string) {
		t.Helper()
		if !errors.Is(err, cdc.ErrSchemaChange) {
			t.Errorf("Run = %v, want ErrSchemaChange", err)
			return
		}
		for _, p := range parts {
			if !strings.Contains(err.Error(), p) {
				t.Errorf("error %q does not say %q", err, p)
			}
		}
	}
	// Changes the destination would not follow, and whose rows it would take in silence:
	// a new place, fractional seconds. (A wider type is reported, and a value the
	// destination cannot hold then fails the task: TestIncrementalRefusesValuesThatDoNotFit.)
	whole := engine.Table{}
	_, err := run(nil, whole, "ALTER TABLE $db.t MODIFY v VARCHAR(10) FIRST")
	failsWith(err, "MODIFY", "reordered", "modify_column", "ddl_operations")
	_, err = run(nil, whole, "ALTER TABLE $db.t MODIFY ts DATETIME(3)")
	failsWith(err, "fractional seconds", "modify_column")
	// A primary key change.
	_, err = run(vocab.DDLOperations, whole, "ALTER TABLE $db.t DROP PRIMARY KEY, ADD PRIMARY KEY (id, score)")
	failsWith(err, "primary key", "new task")
	// A unique key the destination would keep.
	_, err = run([]vocab.Operation{vocab.DDLAddColumn}, whole, "ALTER TABLE $db.t DROP INDEX uk_u")
	failsWith(err, "unique key", "drop_index")
	// A column the where filter reads.
	_, err = run(vocab.DDLOperations, engine.Table{Where: "score > 5"}, "ALTER TABLE $db.t DROP COLUMN score")
	failsWith(err, "where filter", "score")
	// A column the task's table block lists.
	_, err = run(vocab.DDLOperations, engine.Table{Columns: []string{"id", "v", "score", "u", "ts"}}, "ALTER TABLE $db.t DROP COLUMN score")
	failsWith(err, "names the column", "table block")
	// A column an etl expression reads.
	_, err = run(vocab.DDLOperations, engine.Table{ETL: etl.Spec{Set: map[string]string{"doubled": "row.score * 2"}}}, "ALTER TABLE $db.t RENAME COLUMN score TO points")
	failsWith(err, "schema change", "score")
	// Left out by the default operations: reported, the task goes on.
	last, err := run(nil, whole,
		"CREATE TABLE $db.other (id INT PRIMARY KEY)", "TRUNCATE TABLE $db.t", "ALTER TABLE $db.t ADD INDEX by_v (v)",
		"ALTER TABLE $db.t RENAME COLUMN v TO w", "ALTER TABLE $db.t MODIFY w VARCHAR(30)", "INSERT INTO $db.t VALUES (200, 'renamed', 1, 200, NULL)")
	if !errors.Is(err, engine.ErrDrained) {
		t.Fatalf("Run = %v, want ErrDrained", err)
	}
	for _, want := range []string{"CREATE TABLE", "TRUNCATE TABLE", "ADD INDEX", "RENAME COLUMN", "MODIFY w VARCHAR(30)"} {
		if !strings.Contains(strings.Join(last.Notices, "\n"), want) {
			t.Errorf("no notice of %s in %q", want, last.Notices)
		}
	}
	db := "r" + strconv.Itoa(n)
	// The destination keeps its rows (no truncate_table) and its column name (no
	// rename_column), and the rows written since land in it.
	mariadbtest.AssertSameRows(t, src.DB(t, ""), dst.DB(t, ""), "SELECT id, w FROM "+db+".t ORDER BY id", "SELECT id, v FROM "+db+".t WHERE id = 200")
	var tables int
	if err := dst.DB(t, "").QueryRow("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?", db).Scan(&tables); err != nil || tables != 1 {
		t.Errorf("destination database %s has %d tables (%v), want 1: CREATE TABLE is not applied without create_table", db, tables, err)
	}
}

// TestDDLDuringFullMigration: a DDL during the full copy fails the task, naming the table
// and what changed, unless incremental migration can follow it after the copy (ADD COLUMN
// and an index here): then the task goes on and the destination ends equal to the source.
func TestDDLDuringFullMigration(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	start := func(db string) (engine.Task, chan struct{}, chan error) {
		src.Exec(t, "CREATE DATABASE "+db,
			"CREATE TABLE "+db+".t (id INT PRIMARY KEY, v VARCHAR(20), note VARCHAR(20))",
			"INSERT INTO "+db+".t SELECT seq, CONCAT('v', seq), 'n' FROM "+db+".seq_1_to_3000")
		task := fullTask("task-full-ddl-"+db, src, dst, engine.Object{Database: db})
		task.MigrationTypes = append(task.MigrationTypes, engine.MigrationIncremental)
		task.ChunkRows, task.Workers = 200, 1
		task.DDLOperations = vocab.DDLOperations
		task.FullLimits = throttle.NewLimits(0, 1000, 0)
		drain := make(chan struct{})
		task.Drain = drain
		w := newWatch()
		done := make(chan error, 1)
		go func() { done <- engine.Run(context.Background(), task, w.report) }()
		w.wait(t, "the full copy", done, func(p engine.Progress) bool { return p.Phase == engine.PhaseFull && p.RowsMigrated > 0 })
		return task, drain, done
	}

	// Followed after the copy.
	_, drain, done := start("follow")
	src.Exec(t,
		"ALTER TABLE follow.t ADD COLUMN c INT DEFAULT 4, ADD INDEX by_v (v)",
		"UPDATE follow.t SET c = id WHERE id % 10 = 0",
		"INSERT INTO follow.t VALUES (5000, 'new', 'n', 5)")
	drainRun(t, drain, done)
	srcDB, dstDB := src.DB(t, ""), dst.DB(t, "")
	mariadbtest.AssertSameRows(t, srcDB, dstDB, "SELECT * FROM follow.t ORDER BY id", "SELECT * FROM follow.t ORDER BY id")
	mariadbtest.AssertSameRows(t, srcDB, dstDB, columnsQuery("follow", ""), columnsQuery("follow", ""))

	// Not followed: a copied column dropped.
	_, _, done = start("broken")
	src.Exec(t, "ALTER TABLE broken.t DROP COLUMN note")
	select {
	case err := <-done:
		if !errors.Is(err, fullload.ErrDefinitionChanged) || !strings.Contains(err.Error(), "broken.t during schema or full migration") ||
			!strings.Contains(err.Error(), "create a new task") {
			t.Errorf("Run = %v, want the DDL during the full migration named", err)
		}
	case <-time.After(90 * time.Second):
		t.Fatal("the task did not fail")
	}
}

// TestIncrementalDDLKeepsSelections: a table migrated with a column subset, a column rename
// and a where filter keeps them through column DDL under a concurrent writer: a column added
// on the source is not in the subset, a modified one is modified on the destination, one the
// task never migrated is renamed and dropped without effect. Verification passes and a
// restarted run resolves the task's names again.
func TestIncrementalDDLKeepsSelections(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	src.Exec(t, "CREATE DATABASE sel",
		"CREATE TABLE sel.t (id INT PRIMARY KEY, a VARCHAR(20), b INT, c INT, secret VARCHAR(20))",
		"INSERT INTO sel.t SELECT seq, CONCAT('a', seq), seq, seq * 3, 'hidden' FROM sel.seq_1_to_300")
	task := fullTask("task-ddl-selections", src, dst, engine.Object{Database: "sel", RenameTo: "sel_copy", Tables: []engine.Table{{
		Name: "t", Columns: []string{"id", "a", "b", "c"}, ColumnRenames: map[string]string{"a": "alpha"}, Where: "b >= 10",
	}}})
	task.MigrationTypes = append(task.MigrationTypes, engine.MigrationIncremental)
	task.DDLOperations = vocab.DDLOperations
	drain := make(chan struct{})
	task.Drain = drain
	w := newWatch()
	done := make(chan error, 1)
	go func() { done <- engine.Run(context.Background(), task, w.report) }()
	w.wait(t, "incremental migration to catch up", done, func(p engine.Progress) bool { return p.Phase == engine.PhaseIncremental && p.CaughtUp })

	srcDB := src.DB(t, "")
	stop, writerDone := make(chan struct{}), make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				writerDone <- nil
				return
			case <-time.After(3 * time.Millisecond):
			}
			if _, err := srcDB.Exec("UPDATE sel.t SET b = b + 7 WHERE id = ?", 1+i*13%300); err != nil {
				writerDone <- err
				return
			}
		}
	}()
	src.Exec(t,
		"ALTER TABLE sel.t ADD COLUMN d INT DEFAULT 1",
		"ALTER TABLE sel.t RENAME COLUMN secret TO secret2",
		"ALTER TABLE sel.t MODIFY c BIGINT",
		"ALTER TABLE sel.t DROP COLUMN secret2",
		"INSERT INTO sel.t (id, a, b, c, d) VALUES (1000, 'new', 20, 5000000000, 7), (1001, 'filtered out', 5, 1, 1)",
		"UPDATE sel.t SET a = 'updated' WHERE id BETWEEN 20 AND 30",
		"UPDATE sel.t SET b = 0 WHERE id BETWEEN 40 AND 45")
	close(stop)
	if err := <-writerDone; err != nil {
		t.Fatal(err)
	}
	drainRun(t, drain, done)
	dstDB := dst.DB(t, "")
	same := func() {
		t.Helper()
		mariadbtest.AssertSameRows(t, srcDB, dstDB, "SELECT id, a, b, c FROM sel.t WHERE b >= 10 ORDER BY id", "SELECT * FROM sel_copy.t ORDER BY id")
	}
	same()
	checkVerification(t, task, "passed", nil)
	src.Exec(t, "UPDATE sel.t SET c = c + 1, d = 2 WHERE id BETWEEN 100 AND 120")
	drain2 := make(chan struct{})
	close(drain2)
	task.Drain = drain2
	if err := engine.Run(context.Background(), task, func(engine.Progress) {}); !errors.Is(err, engine.ErrDrained) {
		t.Fatalf("restarted Run = %v, want ErrDrained", err)
	}
	same()
	mariadbtest.AssertSameRows(t, srcDB, dstDB,
		"SELECT 1, 'id', 'int(11)' UNION ALL SELECT 2, 'alpha', 'varchar(20)' UNION ALL SELECT 3, 'b', 'int(11)' UNION ALL SELECT 4, 'c', 'bigint(20)'",
		"SELECT ORDINAL_POSITION, COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'sel_copy' AND TABLE_NAME = 't' ORDER BY ORDINAL_POSITION")
}

// TestIncrementalDatabaseAddedWhole: a database selected whole and added to a task that
// already replicates is copied when the task starts again, and its later changes are
// replayed, though the stored schema history does not know its tables.
func TestIncrementalDatabaseAddedWhole(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	src.Exec(t, "CREATE DATABASE a", "CREATE TABLE a.t (id INT PRIMARY KEY, v INT)", "INSERT INTO a.t SELECT seq, seq FROM a.seq_1_to_50",
		"CREATE DATABASE b", "CREATE TABLE b.t (id INT PRIMARY KEY, v INT)", "INSERT INTO b.t SELECT seq, seq FROM b.seq_1_to_50")
	task := fullTask("task-added-whole", src, dst, engine.Object{Database: "a"})
	task.MigrationTypes = append(task.MigrationTypes, engine.MigrationIncremental)
	run := func(then ...string) {
		t.Helper()
		drain := make(chan struct{})
		task.Drain = drain
		w := newWatch()
		done := make(chan error, 1)
		go func() { done <- engine.Run(context.Background(), task, w.report) }()
		w.wait(t, "incremental migration to catch up", done, func(p engine.Progress) bool { return p.Phase == engine.PhaseIncremental && p.CaughtUp })
		src.Exec(t, then...)
		close(drain)
		if err := <-done; !errors.Is(err, engine.ErrDrained) {
			t.Fatalf("Run = %v, want ErrDrained", err)
		}
	}
	run("UPDATE a.t SET v = v + 1 WHERE id <= 10")
	src.Exec(t, "UPDATE b.t SET v = 0 WHERE id <= 5") // while the task is stopped
	task.Objects = append(task.Objects, engine.Object{Database: "b"})
	run("UPDATE b.t SET v = -1 WHERE id BETWEEN 20 AND 30", "DELETE FROM b.t WHERE id > 45", "INSERT INTO b.t VALUES (100, 100)")
	srcDB, dstDB := src.DB(t, ""), dst.DB(t, "")
	for _, table := range []string{"a.t", "b.t"} {
		mariadbtest.AssertSameRows(t, srcDB, dstDB, "SELECT * FROM "+table+" ORDER BY id", "SELECT * FROM "+table+" ORDER BY id")
	}
}
