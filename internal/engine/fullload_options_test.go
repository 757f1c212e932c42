package engine_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/throttle"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
)

func fullTask(id string, src, dst *mariadbtest.Server, objects ...engine.Object) engine.Task {
	return engine.Task{
		ID: id, Source: endpoint(src), Destination: endpoint(dst),
		MigrationTypes: []engine.MigrationType{engine.MigrationSchema, engine.MigrationFull},
		Objects:        objects,
	}
}

func TestFullLoadFallsBackToInsertWithoutLocalInfile(t *testing.T) {
	src, dst := mariadbtest.StartSource(t), mariadbtest.StartDestination(t)
	seedShop(t, src)
	dst.Exec(t, "SET GLOBAL local_infile = 0")
	task := fullTask("task-insert", src, dst, engine.Object{Database: "shop", RenameTo: "shop_copy"})
	task.ChunkRows = 700
	if err := engine.Run(context.Background(), task, func(engine.Progress) {}); err != nil {
		t.Fatal(err)
	}
	srcDB, dstDB := src.DB(t, ""), dst.DB(t, "")
	for _, q := range shopQueries {
		mariadbtest.AssertSameRows(t, srcDB, dstDB, q.src, q.dst)
	}
}

func TestFullLoadWhereColumnsAndRenames(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	seedShop(t, src)
	// Without schema migration the user creates the destination table: renamed columns,
	// a subset of them.
	dst.Exec(t, "CREATE DATABASE crm",
		"CREATE TABLE crm.clients (client_id INT UNSIGNED PRIMARY KEY, full_name VARCHAR(100) NOT NULL, mail VARCHAR(200))")
	task := fullTask("task-where", src, dst, engine.Object{Database: "shop", RenameTo: "crm", Tables: []engine.Table{{
		Name: "customers", RenameTo: "clients",
		Where:         "id % 3 = 0 AND (email IS NOT NULL OR name LIKE 'customer 1%')",
		Columns:       []string{"id", "name", "email"},
		ColumnRenames: map[string]string{"id": "client_id", "name": "full_name", "email": "mail"},
	}}})
	task.MigrationTypes = []engine.MigrationType{engine.MigrationFull}
	task.ChunkRows = 400
	if err := engine.Run(context.Background(), task, func(engine.Progress) {}); err != nil {
		t.Fatal(err)
	}
	mariadbtest.AssertSameRows(t, src.DB(t, ""), dst.DB(t, ""),
		"SELECT id, name, email FROM shop.customers WHERE id % 3 = 0 AND (email IS NOT NULL OR name LIKE 'customer 1%') ORDER BY id",
		"SELECT client_id, full_name, mail FROM crm.clients ORDER BY client_id")
}

func TestFullLoadConflictIgnoreKeepsDestinationRows(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	seedShop(t, src)
	// The destination table exists with fewer columns and two conflicting keys.
	dst.Exec(t, "CREATE DATABASE shop",
		"CREATE TABLE shop.customers (id INT UNSIGNED PRIMARY KEY, name VARCHAR(100) NOT NULL)",
		"INSERT INTO shop.customers VALUES (5, 'kept five'), (77, 'kept seventy-seven')")
	task := fullTask("task-ignore", src, dst, engine.Object{Database: "shop", Tables: []engine.Table{{Name: "customers"}}})
	task.ConflictHandling = engine.ConflictIgnore
	task.IgnorePrecheckAlerts = []string{"destination_conflict"} // fewer destination columns
	task.ChunkRows = 1000
	var last engine.Progress
	if err := engine.Run(context.Background(), task, func(p engine.Progress) { last = p }); err != nil {
		t.Fatal(err)
	}
	mariadbtest.AssertSameRows(t, src.DB(t, ""), dst.DB(t, ""),
		"SELECT id, name FROM shop.customers WHERE id NOT IN (5, 77) ORDER BY id",
		"SELECT id, name FROM shop.customers WHERE id NOT IN (5, 77) ORDER BY id")
	var kept int
	if err := dst.DB(t, "").QueryRow("SELECT COUNT(*) FROM shop.customers WHERE name LIKE 'kept %'").Scan(&kept); err != nil || kept != 2 {
		t.Errorf("destination rows kept: %d (%v), want 2", kept, err)
	}
	if last.RowsMigrated != 2500-2 {
		t.Errorf("rows_migrated = %d, want %d (conflicting rows are not migrated)", last.RowsMigrated, 2500-2)
	}
}

func TestFullLoadRefusesConflictsByDefault(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	seedShop(t, src)
	// Without schema migration, rows with existing keys must not be silently dropped.
	dst.Exec(t, "CREATE DATABASE shop",
		"CREATE TABLE shop.tags (code VARBINARY(16) NOT NULL, label VARCHAR(50), UNIQUE KEY uk_code (code))",
		"INSERT INTO shop.tags VALUES ('a', 'destination a')")
	task := fullTask("task-dup", src, dst, engine.Object{Database: "shop", Tables: []engine.Table{{Name: "tags"}}})
	task.MigrationTypes = []engine.MigrationType{engine.MigrationFull}
	err := engine.Run(context.Background(), task, func(engine.Progress) {})
	if err == nil || !strings.Contains(err.Error(), "already exist") {
		t.Fatalf("Run = %v, want an error about existing keys", err)
	}
	var n int
	dst.DB(t, "").QueryRow("SELECT COUNT(*) FROM shop.tags").Scan(&n)
	if n != 1 {
		t.Errorf("destination holds %d rows after the refused chunk, want the 1 it had", n)
	}
}

func TestFullLoadThrottleChangesWhileRunning(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	seedShop(t, src)
	task := fullTask("task-throttle", src, dst, engine.Object{Database: "shop", Tables: []engine.Table{{Name: "customers"}}})
	task.ChunkRows = 250
	task.Workers = 2
	// 2500 rows at 250 rows/s would take ten seconds; after the first chunk the limit is lifted.
	task.FullLimits = throttle.NewLimits(0, 250, 0)
	start := time.Now()
	var once sync.Once
	var firstChunk time.Duration
	err := engine.Run(context.Background(), task, func(p engine.Progress) {
		if p.RowsMigrated > 0 {
			once.Do(func() {
				firstChunk = time.Since(start)
				task.FullLimits.Set(0, 0, 0)
			})
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	total := time.Since(start)
	// The first 250 rows cannot arrive before the bucket refilled (about a second); the
	// remaining 2250 would need nine more seconds if the change had not taken effect.
	if firstChunk < 700*time.Millisecond {
		t.Errorf("first chunk after %v: the 250 rows/s limit was not applied", firstChunk)
	}
	if total > 8*time.Second {
		t.Errorf("copy took %v after the limit was lifted at %v: the change did not take effect", total, firstChunk)
	}
	mariadbtest.AssertSameRows(t, src.DB(t, ""), dst.DB(t, ""), "SELECT * FROM shop.customers ORDER BY id", "SELECT * FROM shop.customers ORDER BY id")
}

func TestFullLoadFailsOnSourceDDL(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	seedShop(t, src)
	task := fullTask("task-ddl", src, dst, engine.Object{Database: "shop", Tables: []engine.Table{{Name: "customers"}}})
	task.ChunkRows = 200
	task.Workers = 1
	task.FullLimits = throttle.NewLimits(0, 2000, 0)
	var once sync.Once
	err := engine.Run(context.Background(), task, func(p engine.Progress) {
		if p.RowsMigrated > 0 {
			once.Do(func() { src.Exec(t, "ALTER TABLE shop.customers ADD COLUMN late INT") })
		}
	})
	if err == nil || !strings.Contains(err.Error(), "DDL changed source table shop.customers") {
		t.Fatalf("Run = %v, want a failure naming the DDL on shop.customers", err)
	}
}

func TestSchemaAppliesColumnSubsetAndRenames(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	seedShop(t, src)
	src.Exec(t, "CREATE INDEX ix_name_email ON shop.customers (name, email)", "CREATE INDEX ix_note ON shop.customers (note(10))")
	task := fullTask("task-subset", src, dst, engine.Object{Database: "shop", RenameTo: "crm", Tables: []engine.Table{{
		Name: "customers", RenameTo: "clients",
		Columns:       []string{"id", "name", "email", "upper_name"},
		ColumnRenames: map[string]string{"id": "client_id", "name": "full_name"},
	}}})
	if err := engine.Run(context.Background(), task, func(engine.Progress) {}); err != nil {
		t.Fatal(err)
	}
	dstDB := dst.DB(t, "")
	var name, create string
	if err := dstDB.QueryRow("SHOW CREATE TABLE crm.clients").Scan(&name, &create); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"`client_id` int(10) unsigned NOT NULL", "`full_name` varchar(100)", "PRIMARY KEY (`client_id`)",
		"KEY `ix_name_email` (`full_name`,`email`)", "GENERATED ALWAYS AS (ucase(`full_name`)) VIRTUAL"} {
		if !strings.Contains(create, want) {
			t.Errorf("destination definition lacks %q:\n%s", want, create)
		}
	}
	for _, absent := range []string{"`balance`", "`note`", "ix_note"} {
		if strings.Contains(create, absent) {
			t.Errorf("destination definition has %s, which was not selected:\n%s", absent, create)
		}
	}
	mariadbtest.AssertSameRows(t, src.DB(t, ""), dstDB,
		"SELECT id, name, email, upper_name FROM shop.customers ORDER BY id",
		"SELECT client_id, full_name, email, upper_name FROM crm.clients ORDER BY client_id")
}

func TestMergeTablesKeepsEveryRowWithItsSource(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	src.Exec(t, "CREATE DATABASE sales",
		"CREATE TABLE sales.orders_2024 (id INT PRIMARY KEY, amount DECIMAL(10,2), note VARCHAR(20))",
		"CREATE TABLE sales.orders_2025 (id INT PRIMARY KEY, amount DECIMAL(10,2), note VARCHAR(20))",
		// The same keys in both tables: merging must keep both rows.
		"INSERT INTO sales.orders_2024 SELECT seq, seq * 1.5, CONCAT('a', seq) FROM sales.seq_1_to_1200",
		"INSERT INTO sales.orders_2025 SELECT seq, seq * 2.5, NULL FROM sales.seq_1_to_900")
	task := fullTask("task-merge", src, dst, engine.Object{Database: "sales", RenameTo: "dw", Tables: []engine.Table{
		{Name: "orders_2024", RenameTo: "orders"}, {Name: "orders_2025", RenameTo: "orders"},
	}})
	task.MergeTables = true
	task.ChunkRows = 500
	var last engine.Progress
	if err := engine.Run(context.Background(), task, func(p engine.Progress) { last = p }); err != nil {
		t.Fatal(err)
	}
	if last.RowsMigrated != 2100 {
		t.Errorf("rows_migrated = %d, want 2100", last.RowsMigrated)
	}
	mariadbtest.AssertSameRows(t, src.DB(t, ""), dst.DB(t, ""),
		"SELECT * FROM (SELECT id, amount, note, 'sales.orders_2024' AS s FROM sales.orders_2024 UNION ALL "+
			"SELECT id, amount, note, 'sales.orders_2025' FROM sales.orders_2025) u ORDER BY s, id",
		"SELECT id, amount, note, __dts_data_source FROM dw.orders ORDER BY __dts_data_source, id")

	// Verification compares each source table with its rows of the merged table.
	checkVerification(t, task, "passed", nil)
	dst.Exec(t, "UPDATE dw.orders SET amount = 0 WHERE id = 7 AND __dts_data_source = 'sales.orders_2025'")
	checkVerification(t, task, "mismatched", []string{"sales.orders_2025 differs id=7"})
}

// checkVerification runs the task's verification on demand and checks its outcome.
func checkVerification(t *testing.T, task engine.Task, status engine.VerificationStatus, mismatched []string) {
	t.Helper()
	var last engine.Progress
	if err := engine.Verify(context.Background(), task, func(p engine.Progress) { last = p }); err != nil {
		t.Fatal(err)
	}
	v := last.Verification
	if v == nil {
		t.Fatal("verification reported nothing")
	}
	var got []string
	for _, m := range v.Mismatched {
		got = append(got, m.Table+" "+string(m.Kind)+" "+m.Key)
	}
	if v.Status != status || !slices.Equal(got, mismatched) {
		t.Errorf("verification: %s %v, want %s %v", v.Status, got, status, mismatched)
	}
	if len(v.Unverified) > 0 {
		t.Errorf("verification left tables out: %+v", v.Unverified)
	}
}

func TestMergeTablesNeedsOneDestination(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	seedShop(t, src)
	task := fullTask("task-merge-bad", src, dst, engine.Object{Database: "shop"})
	task.MergeTables = true
	err := engine.Run(context.Background(), task, func(engine.Progress) {})
	if err == nil || !strings.Contains(err.Error(), "same rename_to") {
		t.Fatalf("Run = %v, want an error asking for one destination table", err)
	}
}

func TestKeylessTableGetsRowIDOnDestination(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	src.Exec(t, "CREATE DATABASE logs",
		"CREATE TABLE logs.events (at DATETIME(3), message TEXT, level TINYINT)",
		// Duplicate rows too: a keyless table may hold them, and each must arrive.
		"INSERT INTO logs.events SELECT '2025-01-01' + INTERVAL seq SECOND, CONCAT('event ', seq % 700), seq % 5 FROM logs.seq_1_to_1500",
		"INSERT INTO logs.events SELECT at, message, level FROM logs.events WHERE level = 0")
	task := fullTask("task-keyless", src, dst, engine.Object{Database: "logs"})
	// The precheck alerts about the missing key and stops the task until the user accepts it.
	var pe *engine.PrecheckError
	if err := engine.Run(context.Background(), task, func(engine.Progress) {}); !errors.As(err, &pe) || len(pe.Blocking) != 1 || pe.Blocking[0].Name != "primary_key" {
		t.Fatalf("Run without ignoring the alert = %v, want a precheck blocked by primary_key", err)
	}
	if n := countTables(t, dst, "logs"); n != 0 {
		t.Fatalf("a blocked precheck left %d tables on the destination", n)
	}
	task.IgnorePrecheckAlerts = []string{"primary_key"}
	if err := engine.Run(context.Background(), task, func(engine.Progress) {}); err != nil {
		t.Fatal(err)
	}
	mariadbtest.AssertSameRows(t, src.DB(t, ""), dst.DB(t, ""),
		"SELECT at, message, level FROM logs.events ORDER BY at, message, level",
		"SELECT at, message, level FROM logs.events ORDER BY at, message, level")
	var n int
	if err := dst.DB(t, "").QueryRow("SELECT COUNT(DISTINCT " + "__adbmigrate_row_id) FROM logs.events").Scan(&n); err != nil || n != 1800 {
		t.Errorf("destination row ids: %d distinct (%v), want 1800", n, err)
	}

	// Without a key, verification compares the rows as multisets, row ids aside.
	checkVerification(t, task, "passed", nil)
	dst.Exec(t, "DELETE FROM logs.events WHERE level = 0 LIMIT 1")
	task.Verification.Repair = true
	checkVerification(t, task, "repaired", nil)
	mariadbtest.AssertSameRows(t, src.DB(t, ""), dst.DB(t, ""),
		"SELECT at, message, level FROM logs.events ORDER BY at, message, level",
		"SELECT at, message, level FROM logs.events ORDER BY at, message, level")
}

func countTables(t *testing.T, s *mariadbtest.Server, database string) int {
	var n int
	if err := s.DB(t, "").QueryRow("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?", database).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A table's secondary index is built after its rows. When the run that copied the last
// chunk stops before the build (simulated: the index dropped again and the copy marked not
// done), the next run adds it back without copying a row again.
func TestFullLoadAddsBackIndexesAfterTheLastChunk(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	src.Exec(t, "CREATE DATABASE ix",
		"CREATE TABLE ix.t (id INT PRIMARY KEY, k INT NOT NULL, s VARCHAR(20), KEY by_k (k, s(4)))",
		"INSERT INTO ix.t SELECT seq, seq % 97, CONCAT('s', seq) FROM ix.seq_1_to_20000",
		"ANALYZE TABLE ix.t")
	task := fullTask("task-indexes", src, dst, engine.Object{Database: "ix"})
	task.ChunkRows = 5000
	if err := engine.Run(context.Background(), task, func(engine.Progress) {}); err != nil {
		t.Fatal(err)
	}
	srcDB, dstDB := src.DB(t, ""), dst.DB(t, "")
	var deferred string
	if err := dstDB.QueryRow("SELECT COALESCE(deferred_indexes, '') FROM adbmigrate_meta.copy_tables WHERE task_id = 'task-indexes'").Scan(&deferred); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(deferred, "by_k") {
		t.Fatalf("the copy plan defers %q, not by_k: the copy kept the index during the load and this test proves nothing", deferred)
	}
	indexes := "SELECT INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME, SUB_PART FROM information_schema.STATISTICS " +
		"WHERE TABLE_SCHEMA = 'ix' AND TABLE_NAME = 't' ORDER BY INDEX_NAME, SEQ_IN_INDEX"
	mariadbtest.AssertSameRows(t, srcDB, dstDB, indexes, indexes)

	dst.Exec(t, "ALTER TABLE ix.t DROP INDEX by_k",
		"UPDATE adbmigrate_meta.task_cut SET full_done = 0 WHERE task_id = 'task-indexes'",
		// A row only a second copy would bring back: it must stay gone.
		"DELETE FROM ix.t WHERE id = 7")
	if err := engine.Run(context.Background(), task, func(engine.Progress) {}); err != nil {
		t.Fatal(err)
	}
	mariadbtest.AssertSameRows(t, srcDB, dstDB, indexes, indexes)
	mariadbtest.AssertSameRows(t, srcDB, dstDB, "SELECT * FROM ix.t WHERE id <> 7 ORDER BY id", "SELECT * FROM ix.t ORDER BY id")
}
