package engine_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/adbfront"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dbconn"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/precheck"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
)

// adbSource starts the emulated AnalyticDB, in its strict settings, in front of src, creates
// database db and runs statements through the front. It returns the front's endpoint and a
// pool on db through it.
func adbSource(t *testing.T, src *mariadbtest.Server, db string, statements ...string) (dbconn.Endpoint, *sql.DB) {
	t.Helper()
	ep := adbFront(t, src, adbfront.Switches{})
	src.Exec(t, "CREATE DATABASE "+db)
	through := openEndpoint(t, ep, db)
	for _, q := range statements {
		if _, err := through.Exec(q); err != nil {
			t.Fatalf("through the emulated AnalyticDB: %s: %v", q, err)
		}
	}
	return ep, through
}

// TestADBSourceSchemaAndFull: an AnalyticDB source, the emulator over a MariaDB, with tables
// created through it in AnalyticDB's grammar (distribution, value partitions, lifecycle,
// binlog), migrates to a MariaDB destination by schema and full migration, and verifies:
// the destination holds the source's rows, compared directly on the two MariaDB servers,
// and data verification finds a row damaged on the destination.
func TestADBSourceSchemaAndFull(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	ep, _ := adbSource(t, src, "sales",
		"CREATE TABLE orders (id BIGINT NOT NULL, sold DATETIME NOT NULL, customer VARCHAR(64) NOT NULL, total DECIMAL(12,2), note VARCHAR(200), "+
			"PRIMARY KEY (id, sold)) DISTRIBUTED BY HASH(id) PARTITION BY VALUE(DATE_FORMAT(sold, '%Y%m')) LIFECYCLE 24 BINLOG=true",
		"CREATE TABLE regions (id INT NOT NULL, name VARCHAR(40), PRIMARY KEY (id)) DISTRIBUTED BY BROADCAST",
		"INSERT INTO regions VALUES (1, 'north'), (2, 'south é')")
	src.Exec(t, "INSERT INTO sales.orders SELECT seq, '2024-01-01' + INTERVAL seq HOUR, CONCAT('c', seq % 97), seq / 7, IF(seq % 5 = 0, NULL, REPEAT('n', seq % 30)) FROM sales.seq_1_to_5000")

	task := fullTask("task-adb-source", src, dst, engine.Object{Database: "sales"})
	task.Source = ep
	task.Verification = engine.Verification{Mode: engine.VerifyFull}
	if err := engine.Run(context.Background(), task, func(engine.Progress) {}); err != nil {
		t.Fatal(err)
	}
	srcDB, dstDB := src.DB(t, ""), dst.DB(t, "")
	for _, q := range []string{"SELECT * FROM sales.orders ORDER BY id, sold", "SELECT * FROM sales.regions ORDER BY id"} {
		mariadbtest.AssertSameRows(t, srcDB, dstDB, q, q)
	}
	var create string
	if err := dstDB.QueryRow("SHOW CREATE TABLE sales.orders").Scan(new(string), &create); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(create, "PRIMARY KEY (`id`,`sold`)") {
		t.Errorf("destination orders: %s, want the source's primary key", create)
	}

	dst.Exec(t, "UPDATE sales.orders SET total = total + 1 WHERE id = 42")
	if v := verifyNow(t, task); v == nil || v.Status != engine.VerificationMismatched || v.Mismatches != 1 {
		t.Errorf("verification after damaging one destination row: %+v, want one mismatch", v)
	}
}

// TestADBSourceTypesAndKeys: every AnalyticDB type the issue lists, written through the
// emulated AnalyticDB in its strict settings (BEGIN and locking reads refused, so a source
// read that used either fails), migrates to MariaDB by schema and full migration in small
// chunks over a VARCHAR key and a composite key. The destination tables have the columns and
// keys the source's MariaDB holds and none of AnalyticDB's table clauses; the rows are
// compared directly on the two MariaDB servers; verification from the emulator passes, then
// finds one row changed and two deleted on the destination.
func TestADBSourceTypesAndKeys(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	ep, through := adbSource(t, src, "adbkinds",
		"CREATE TABLE kinds (code VARCHAR(20) NOT NULL, flag BOOLEAN, i8 TINYINT, i16 SMALLINT, i32 INT, i64 BIGINT, "+
			"f FLOAT, d DOUBLE, dec38 DECIMAL(38,10), name VARCHAR(64) COMMENT 'shown name', doc VARCHAR(10000), raw BINARY(16), "+
			"day DATE, tm TIME, at DATETIME(3), ts TIMESTAMP(3) NULL, j JSON, "+
			"PRIMARY KEY (code), CLUSTERED KEY ck_day (day), INDEX idx_i32 (i32)) "+
			"DISTRIBUTED BY HASH(code) BINLOG=true binlog_ttl='1d' COMMENT 'all types'",
		"CREATE TABLE events (id BIGINT NOT NULL, at DATETIME NOT NULL, kind VARCHAR(16) NOT NULL, body JSON, "+
			"PRIMARY KEY (id, at), INDEX idx_kind (kind)) "+
			"DISTRIBUTED BY HASH(id) PARTITION BY VALUE(DATE_FORMAT(at, '%Y%m%d')) LIFECYCLE 30")
	var kinds, events []string
	for i := range 1200 {
		row := fmt.Sprintf("('k%05d', %v, %d, %d, %d, %d, %g, %g, %d.%010d, 'name %d é😀', REPEAT('x', %d), UNHEX('%032x'), "+
			"'2024-%02d-%02d', '%02d:%02d:%02d.%03d', '2024-03-04 05:06:07.%03d', FROM_UNIXTIME(%d.%03d), '{\"n\": %d, \"tags\": [\"a\", \"b %d\"]}')",
			i, i%2 == 0, i%256-128, i*53%65536-32768, i*7919-4000000, int64(i)*1_000_000_007-(1<<62), float32(i)/8, float64(i)/3,
			int64(i)*1_000_003-600_000_000, i*13, i, i%5000+1, i*104729,
			i%12+1, i%28+1, i%24, i%60, i*7%60, i%1000, i%1000, 1_700_000_000+i*61, i%1000, i, i)
		if i%97 == 0 {
			// NULLs in every nullable column, and a zero date: AnalyticDB stores it as NULL.
			row = fmt.Sprintf("('k%05d', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '0000-00-00', NULL, NULL, NULL, NULL)", i)
		}
		kinds = append(kinds, row)
	}
	for i := range 3000 {
		events = append(events, fmt.Sprintf("(%d, '2024-05-01' + INTERVAL %d MINUTE, 'kind%d', '{\"seq\": %d}')", i/2, i*37, i%7, i))
	}
	for _, batch := range []struct {
		table string
		rows  []string
	}{{"kinds", kinds}, {"events", events}} {
		for len(batch.rows) > 0 {
			n := min(len(batch.rows), 300)
			if _, err := through.Exec("INSERT INTO " + batch.table + " VALUES " + strings.Join(batch.rows[:n], ", ")); err != nil {
				t.Fatalf("inserting into %s through the emulated AnalyticDB: %v", batch.table, err)
			}
			batch.rows = batch.rows[n:]
		}
	}
	srcDB, dstDB := src.DB(t, ""), dst.DB(t, "")
	var zeroDays int
	if err := srcDB.QueryRow("SELECT COUNT(*) FROM adbkinds.kinds WHERE day IS NULL").Scan(&zeroDays); err != nil || zeroDays != 13 {
		t.Fatalf("source rows with a NULL day (zero dates stored as NULL): %d, %v; want 13", zeroDays, err)
	}

	task := fullTask("task-adb-source-kinds", src, dst, engine.Object{Database: "adbkinds"})
	task.Source = ep
	task.ChunkRows = 250
	task.Verification = engine.Verification{Mode: engine.VerifyFull}
	if v := runVerified(t, task); v == nil || v.Status != engine.VerificationPassed || v.Rows != 4200 {
		t.Errorf("verification after the full migration: %+v, want passed over 4200 rows", v)
	}
	for _, q := range []string{"SELECT * FROM adbkinds.kinds ORDER BY code", "SELECT * FROM adbkinds.events ORDER BY id, at"} {
		mariadbtest.AssertSameRows(t, srcDB, dstDB, q, q)
	}
	// The destination's columns and keys are those the emulator created on its MariaDB:
	// the AnalyticDB types as MariaDB holds them (BINARY as VARBINARY, a long VARCHAR as
	// MEDIUMTEXT, JSON with its json_valid check), the comments, and the clustered key as a
	// plain index.
	for _, q := range []string{
		"SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, COLUMN_COMMENT FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'adbkinds' ORDER BY TABLE_NAME, ORDINAL_POSITION",
		"SELECT TABLE_NAME, TABLE_COMMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'adbkinds' ORDER BY TABLE_NAME",
		"SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = 'adbkinds' ORDER BY TABLE_NAME, CONSTRAINT_NAME",
		"SELECT TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, NON_UNIQUE FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = 'adbkinds' ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
	} {
		mariadbtest.AssertSameRows(t, srcDB, dstDB, q, q)
	}
	for _, table := range []string{"kinds", "events"} {
		var create string
		if err := dstDB.QueryRow("SHOW CREATE TABLE adbkinds."+table).Scan(new(string), &create); err != nil {
			t.Fatal(err)
		}
		for _, clause := range []string{"DISTRIBUTED", "PARTITION", "LIFECYCLE", "BINLOG", "binlog_ttl", "CLUSTERED"} {
			if strings.Contains(create, clause) {
				t.Errorf("destination %s carries AnalyticDB's %s: %s", table, clause, create)
			}
		}
	}
	var triggers int
	if err := dstDB.QueryRow("SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = 'adbkinds'").Scan(&triggers); err != nil || triggers != 0 {
		t.Errorf("destination triggers: %d, %v; want none (the emulator's value triggers are not AnalyticDB's)", triggers, err)
	}

	dst.Exec(t, "UPDATE adbkinds.kinds SET j = JSON_OBJECT('n', -1) WHERE code = 'k00042'",
		"DELETE FROM adbkinds.events WHERE id = 700")
	if v := verifyNow(t, task); v == nil || v.Status != engine.VerificationMismatched || v.Mismatches != 3 {
		t.Errorf("verification after changing one destination row and deleting two: %+v, want three mismatches", v)
	}
}

// TestADBSourceIncrementalPrecheck: a task with incremental migration from the emulated
// AnalyticDB stops at the precheck, which reads the binlog clauses the front shows in SHOW
// CREATE TABLE: the table without BINLOG=true and the table whose binlog_ttl (a bare number,
// in milliseconds) is under a day are named (the first fails, the second is an alert); the kernel version, which adb_version() does
// not give here, and the unverified binlog protocol are alerts.
func TestADBSourceIncrementalPrecheck(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	ep, _ := adbSource(t, src, "adbcdc",
		"CREATE TABLE kept (id BIGINT NOT NULL, PRIMARY KEY (id)) DISTRIBUTED BY HASH(id) BINLOG=true binlog_ttl='2d'",
		"CREATE TABLE unlogged (id BIGINT NOT NULL, PRIMARY KEY (id)) DISTRIBUTED BY HASH(id)",
		"CREATE TABLE brief (id BIGINT NOT NULL, PRIMARY KEY (id)) DISTRIBUTED BY HASH(id) BINLOG=true binlog_ttl=3600000")
	task := fullTask("task-adb-source-cdc", src, dst, engine.Object{Database: "adbcdc"})
	task.Source = ep
	task.MigrationTypes = append(task.MigrationTypes, engine.MigrationIncremental)
	var last engine.Progress
	err := engine.Run(context.Background(), task, func(p engine.Progress) { last = p })
	if err == nil {
		t.Fatal("the task ran; want it stopped at the precheck")
	}
	states := map[string]precheck.Result{}
	for _, r := range last.Precheck {
		states[r.Name] = r
		t.Logf("%s %s: %s", r.Name, r.State, r.Message)
	}
	for _, want := range []struct {
		item  string
		state precheck.State
		names string
	}{
		{precheck.BinlogEnabled, precheck.Failed, "unlogged"},
		{precheck.BinlogRetention, precheck.Alert, "adbcdc.brief (binlog_ttl=3600000)"},
		{precheck.SourceEngineVersion, precheck.Alert, "adb_version()"},
		{precheck.ADBSourceIncremental, precheck.Alert, "unverified"},
	} {
		r := states[want.item]
		if r.State != want.state || !strings.Contains(r.Message, want.names) {
			t.Errorf("precheck item %s: %s %q, want %s naming %q", want.item, r.State, r.Message, want.state, want.names)
		}
	}
	for _, item := range []string{precheck.BinlogEnabled, precheck.BinlogRetention} {
		if strings.Contains(states[item].Message, "adbcdc.kept") {
			t.Errorf("precheck item %s names adbcdc.kept, whose binlog is on for two days: %q", item, states[item].Message)
		}
	}
}
