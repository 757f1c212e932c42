package engine_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/adbfront"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/binlog"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dbconn"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
)

// These tests run the engine against MySQL's documented statement behaviour: the source is
// the protocol front (internal/adbfront) in a MySQL mode over a MariaDB source, so what the
// engine reads (VERSION(), the binlog status statement, gtid_mode, CAST) is answered as the
// MySQL manual says that version answers it. It is the documented behaviour, not MySQL.
// The binlog itself is MariaDB's: the front relays the replication commands unchanged, and
// MariaDB streams to a client of go-mysql's flavor "mysql" without its own event types.

// mysqlSource starts the front in MySQL mode mode (gtid_mode gtidMode) over src and returns
// it and an endpoint of type mysql that reaches src only through it, the binlog stream
// included.
func mysqlSource(t *testing.T, src *mariadbtest.Server, mode, gtidMode string) (*adbfront.Front, dbconn.Endpoint) {
	t.Helper()
	f, err := adbfront.Start(context.Background(), adbfront.Config{Listen: "127.0.0.1:0", Upstream: src.Addr(), Mode: mode,
		MySQL: adbfront.MySQLSwitches{GTIDMode: gtidMode}, Logf: t.Logf})
	if err != nil {
		t.Fatalf("starting the front in mode %s: %v", mode, err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f, frontEndpoint(t, f, src, dbconn.TypeMySQL)
}

// runVerified runs task to its end and returns the verification it last reported.
func runVerified(t *testing.T, task engine.Task) *engine.VerificationProgress {
	t.Helper()
	var last engine.Progress
	if err := engine.Run(context.Background(), task, func(p engine.Progress) { last = p }); err != nil {
		t.Fatal(err)
	}
	return last.Verification
}

// verifyNow runs an on-demand verification of task and returns what it last reported.
func verifyNow(t *testing.T, task engine.Task) *engine.VerificationProgress {
	t.Helper()
	var last engine.Progress
	if err := engine.Verify(context.Background(), task, func(p engine.Progress) { last = p }); err != nil {
		t.Fatal(err)
	}
	return last.Verification
}

// TestMySQL84SourceSchemaFullIncremental: a task with schema, full and incremental
// migration from a MySQL 8.4 source (the front in mode mysql84, gtid_mode OFF) into MariaDB.
// The engine reads the position with SHOW BINARY LOG STATUS (8.4 refuses SHOW MASTER STATUS
// with 1064), starts from the file and offset without reading @@gtid_executed, streams the
// binlog through the front, and follows inserts, updates and deletes made during incremental
// migration until the drain; the rows are then compared on the two MariaDB servers.
func TestMySQL84SourceSchemaFullIncremental(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	src.Exec(t, "CREATE DATABASE my84",
		"CREATE TABLE my84.t (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, amount DECIMAL(12,2), ratio FLOAT, at DATETIME(3))",
		"INSERT INTO my84.t SELECT seq, CONCAT('row ', seq), seq / 4, seq / 8, '2024-01-01' + INTERVAL seq MINUTE FROM my84.seq_1_to_2000")
	f, ep := mysqlSource(t, src, adbfront.ModeMySQL84, "OFF")
	drain := make(chan struct{})
	task := fullTask("task-mysql84", src, dst, engine.Object{Database: "my84"})
	task.Source = ep
	task.MigrationTypes = append(task.MigrationTypes, engine.MigrationIncremental)
	task.ChunkRows = 500
	task.Drain = drain
	w := newWatch()
	done := make(chan error, 1)
	go func() { done <- engine.Run(context.Background(), task, w.report) }()

	p := w.wait(t, "incremental migration to catch up", done, func(p engine.Progress) bool { return p.Phase == engine.PhaseIncremental && p.CaughtUp })
	if p.Position.File == "" || p.Position.GTIDSet != "" {
		t.Errorf("position under gtid_mode OFF: %+v, want a file and offset and no GTID set", p.Position)
	}
	src.Exec(t,
		"INSERT INTO my84.t VALUES (5001, 'after', 1.25, 0.5, '2025-02-03 04:05:06.789')",
		"UPDATE my84.t SET name = CONCAT(name, ' changed'), ratio = ratio * 3 WHERE id % 7 = 0",
		"DELETE FROM my84.t WHERE id BETWEEN 100 AND 150")
	drainRun(t, drain, done)
	mariadbtest.AssertSameRows(t, src.DB(t, ""), dst.DB(t, ""), "SELECT * FROM my84.t ORDER BY id", "SELECT * FROM my84.t ORDER BY id")

	// What the engine asked the front, by the rules that answered it.
	for _, c := range []struct {
		rule string
		used bool
	}{
		{"version", true}, {"show-binary-log-status", true}, {"gtid-mode", true},
		{"show-master-status-removed", false}, {"gtid-executed", false},
	} {
		if n := f.Hits(c.rule); (n > 0) != c.used {
			t.Errorf("the front's rule %s acted on %d statements; want used = %v", c.rule, n, c.used)
		}
	}
}

// TestMySQL84SourceFullWithoutReplicationClient: a schema and full migration from a MySQL
// 8.4 source, as a user with SELECT only (no REPLICATION CLIENT: SHOW BINARY LOG STATUS is
// refused with 1227), completes: a task without incremental migration needs no position.
func TestMySQL84SourceFullWithoutReplicationClient(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	src.Exec(t, "CREATE DATABASE my84ro",
		"CREATE TABLE my84ro.t (id INT PRIMARY KEY, v VARCHAR(20))",
		"INSERT INTO my84ro.t SELECT seq, CONCAT('v', seq) FROM my84ro.seq_1_to_300",
		"CREATE USER 'my84ro'@'%' IDENTIFIED BY 'my84ro-pw'",
		"GRANT SELECT ON my84ro.* TO 'my84ro'@'%'")
	t.Cleanup(func() { src.Exec(t, "DROP USER IF EXISTS 'my84ro'@'%'") })
	f, ep := mysqlSource(t, src, adbfront.ModeMySQL84, "OFF")
	ep.User, ep.Password = "my84ro", "my84ro-pw"
	// The user cannot read the position: checked through the front, as the engine reads it.
	if _, err := binlog.Current(context.Background(), openEndpoint(t, ep, "")); err == nil {
		t.Fatal("binlog.Current as a user without REPLICATION CLIENT succeeded; want the position refused")
	}
	task := fullTask("task-mysql84-ro", src, dst, engine.Object{Database: "my84ro"})
	task.Source = ep
	if err := engine.Run(context.Background(), task, func(engine.Progress) {}); err != nil {
		t.Fatal(err)
	}
	mariadbtest.AssertSameRows(t, src.DB(t, ""), dst.DB(t, ""), "SELECT * FROM my84ro.t ORDER BY id", "SELECT * FROM my84ro.t ORDER BY id")
	if f.Hits("show-master-status-removed") != 0 {
		t.Errorf("the engine sent SHOW MASTER STATUS to MySQL 8.4 %d times", f.Hits("show-master-status-removed"))
	}
}

// TestMySQL57SourceFloatFullAndVerify: a schema and full migration with full verification
// from a MySQL 5.7 source (the front in mode mysql57, which refuses CAST(x AS DOUBLE) as 5.7
// does) copies and verifies a FLOAT column; verification then finds a FLOAT changed on the
// destination.
func TestMySQL57SourceFloatFullAndVerify(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	src.Exec(t, "CREATE DATABASE my57",
		"CREATE TABLE my57.f (id INT PRIMARY KEY, x FLOAT, y FLOAT NOT NULL, d DOUBLE)",
		"INSERT INTO my57.f SELECT seq, seq / 7, -seq * 1.5e10, seq / 3 FROM my57.seq_1_to_700",
		"INSERT INTO my57.f VALUES (0, NULL, 3.4028234e38, NULL)")
	f, ep := mysqlSource(t, src, adbfront.ModeMySQL57, "OFF")
	task := fullTask("task-mysql57", src, dst, engine.Object{Database: "my57"})
	task.Source = ep
	task.ChunkRows = 200
	task.Verification = engine.Verification{Mode: engine.VerifyFull}
	if v := runVerified(t, task); v == nil || v.Status != engine.VerificationPassed || v.Rows != 701 {
		t.Errorf("verification after the full migration: %+v, want passed over 701 rows", v)
	}
	srcDB, dstDB := src.DB(t, ""), dst.DB(t, "")
	mariadbtest.AssertSameRows(t, srcDB, dstDB, "SELECT id, x, y, d, x = y FROM my57.f ORDER BY id", "SELECT id, x, y, d, x = y FROM my57.f ORDER BY id")

	dst.Exec(t, "UPDATE my57.f SET x = x + 0.001 WHERE id = 42")
	if v := verifyNow(t, task); v == nil || v.Status != engine.VerificationMismatched || v.Mismatches != 1 {
		t.Errorf("verification after changing one destination FLOAT: %+v, want one mismatch", v)
	}
	if n := f.Hits("cast-as-double"); n != 0 {
		t.Errorf("the engine sent CAST(x AS DOUBLE) to MySQL 5.7 %d times", n)
	}
}

// TestMySQLSourceGTIDModeOn: with gtid_mode ON the engine reads @@gtid_executed, and the
// position it records carries that set; under OFF (TestMySQL84SourceSchemaFullIncremental)
// it never asks. The set here is made up by the front: MariaDB's binlog has no MySQL GTIDs,
// so streaming by it cannot be tested here.
func TestMySQLSourceGTIDModeOn(t *testing.T) {
	src, _ := mariadbtest.SharedPair(t)
	src.Exec(t, "CREATE DATABASE mygtid", "CREATE TABLE mygtid.t (id INT PRIMARY KEY)", "INSERT INTO mygtid.t VALUES (1)")
	f, ep := mysqlSource(t, src, adbfront.ModeMySQL84, "ON")
	db := openEndpoint(t, ep, "")
	facts, err := dbconn.ReadFacts(context.Background(), db, dbconn.TypeMySQL)
	if err != nil {
		t.Fatal(err)
	}
	if facts.Flavor != dbconn.TypeMySQL || facts.ServerVersion != "8.4.3" || facts.GTIDMode != "ON" {
		t.Errorf("facts through the front: %+v, want MySQL 8.4.3 with gtid_mode ON", facts)
	}
	l, err := binlog.Current(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	if f.Hits("gtid-executed") == 0 {
		t.Error("the engine did not read @@gtid_executed under gtid_mode ON")
	}
	var want string
	if err := db.QueryRow("SELECT @@gtid_executed").Scan(&want); err != nil {
		t.Fatal(err)
	}
	var file string
	if err := src.DB(t, "").QueryRow("SHOW MASTER STATUS").Scan(&file, new(sql.NullString), new(sql.NullString), new(sql.NullString)); err != nil {
		t.Fatal(err)
	}
	if l.GTIDSet == "" || l.GTIDSet != want || l.File != file {
		t.Errorf("binlog.Current under gtid_mode ON: %+v, want file %s and the GTID set %q", l, file, want)
	}
}
