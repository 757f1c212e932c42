package engine_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/adbfront"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dbconn"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/precheck"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
)

// adbFront starts the emulated AnalyticDB over dst with switches sw and returns an endpoint
// of type adb_mysql3 that reaches dst through it.
func adbFront(t *testing.T, dst *mariadbtest.Server, sw adbfront.Switches) dbconn.Endpoint {
	t.Helper()
	f, err := adbfront.Start(context.Background(), adbfront.Config{Listen: "127.0.0.1:0", Upstream: dst.Addr(), AdminDSN: dst.DSN(""), Switches: sw, Logf: t.Logf})
	if err != nil {
		t.Fatalf("starting the emulated AnalyticDB: %v", err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return frontEndpoint(t, f, dst, dbconn.TypeADBMySQL3)
}

// frontEndpoint is an endpoint of type typ that reaches srv through front f, as srv's user.
func frontEndpoint(t *testing.T, f *adbfront.Front, srv *mariadbtest.Server, typ dbconn.DatabaseType) dbconn.Endpoint {
	t.Helper()
	ep := endpoint(srv)
	ep.Type = typ
	host, port, _ := strings.Cut(f.Addr(), ":")
	ep.Host = host
	if _, err := fmt.Sscan(port, &ep.Port); err != nil {
		t.Fatal(err)
	}
	return ep
}

// TestADBDestinationMapsTypes: a MariaDB source with the type kinds AnalyticDB maps (unsigned
// integers, MEDIUMINT, TEXT and BLOB kinds, YEAR, ENUM and SET, BIT, a DECIMAL over 38 digits,
// microseconds, a TIME outside a day) migrates into the emulated AnalyticDB. The precheck names the values
// AnalyticDB keeps only in part, and the task stops until the user accepts them; then the
// rows, whose values fit, arrive, compared directly on the emulator's MariaDB.
func TestADBDestinationMapsTypes(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	src.Exec(t,
		"CREATE DATABASE kinds",
		"CREATE TABLE kinds.k (id INT UNSIGNED NOT NULL PRIMARY KEY, ti TINYINT UNSIGNED, si SMALLINT UNSIGNED, mi MEDIUMINT, "+
			"bi BIGINT UNSIGNED, yr YEAR, tx TEXT, bl BLOB, vb VARBINARY(8), d40 DECIMAL(40,2), dt6 DATETIME(6), tm TIME, ch CHAR(3), "+
			"en ENUM('new', 'paid', 'it''s') NOT NULL DEFAULT 'new', st SET('a', 'b', 'c d'), b10 BIT(10), b64 BIT(64), "+
			"UNIQUE KEY u_yr_ch (yr, ch), KEY ch_prefix (ch(2)))",
		"INSERT INTO kinds.k VALUES "+
			"(1, 255, 65535, -8388608, 18446744073709551615, 2024, 'text é😀', 0x00ff, 'ab', 12345678901234567890123456789012345678, '2024-01-02 03:04:05.123000', '10:11:12', 'abc', 'it''s', 'a,c d', b'1111111111', 0xFFFFFFFFFFFFFFFF),"+
			"(2, 0, 0, 8388607, 0, 1901, '', '', '', 0, '1999-12-31 23:59:59.999', '23:59:59', '', 'paid', '', b'0', 0x8000000000000000),"+
			"(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '-01:00:00', NULL, 'new', NULL, NULL, NULL)")
	task := fullTask("task-adb-kinds", src, dst, engine.Object{Database: "kinds"})
	// The documented settings: BEGIN and locking reads refused (the task writes directly).
	task.Destination = adbFront(t, dst, adbfront.Switches{})
	task.IgnorePrecheckAlerts = []string{precheck.DestinationDiskSpace, engine.ItemDestinationCapabilities}

	err := engine.Run(context.Background(), task, func(engine.Progress) {})
	var pe *engine.PrecheckError
	if !errors.As(err, &pe) {
		t.Fatalf("Run = %v, want the precheck to stop the task on the values AnalyticDB changes", err)
	}
	var item string
	for _, r := range pe.Blocking {
		if r.Name == engine.ItemDestinationValueRange {
			item = r.Message
		}
	}
	for _, want := range []string{"`d40`", "DECIMAL(38,0)", "`dt6`", "DATETIME(3)", "`tm`: the source holds TIME values outside"} {
		if !strings.Contains(item, want) {
			t.Errorf("destination_value_range says %q, want it to name %q (blocking: %+v)", item, want, pe.Blocking)
		}
	}
	// The indexes AnalyticDB cannot keep as they are (a unique pair, a prefix) are named
	// with their table at precheck time, in the passed destination_table_fields item.
	var fields *precheck.Result
	for i, r := range pe.Results {
		if r.Name == engine.ItemTableFields {
			fields = &pe.Results[i]
		}
	}
	if fields == nil || fields.State != precheck.Passed {
		t.Fatalf("destination_table_fields: %+v, want passed", fields)
	}
	for _, want := range []string{"`kinds`.`k`: UNIQUE index `u_yr_ch` (`yr`, `ch`) becomes single-column indexes on `yr`, `ch`", "uniqueness is not enforced", "`kinds`.`k`: KEY index `ch_prefix` (`ch`) becomes nothing"} {
		if !strings.Contains(fields.Message, want) {
			t.Errorf("destination_table_fields says %q, want it to name %q", fields.Message, want)
		}
	}

	// The user accepts the change; tm's -01:00:00 would be refused by AnalyticDB, so it goes.
	src.Exec(t, "UPDATE kinds.k SET tm = '01:00:00' WHERE id = 3")
	task.IgnorePrecheckAlerts = append(task.IgnorePrecheckAlerts, engine.ItemDestinationValueRange)
	if err := engine.Run(context.Background(), task, func(engine.Progress) {}); err != nil {
		t.Fatal(err)
	}
	srcDB, dstDB := src.DB(t, ""), dst.DB(t, "")
	// Compared through the mapping: the same value in every column, read as numbers and text
	// of the types each side has (DECIMAL(40,2) and DECIMAL(38,0), DATETIME(6) and (3)).
	// ENUM and SET read as their text on the source, and are VARCHAR on the destination.
	// BIT reads as its unsigned number on the source and is a BIGINT or DECIMAL(20,0) there.
	q := "SELECT id, ti, si, mi, bi, yr, tx, HEX(bl), HEX(vb), CAST(d40 AS DECIMAL(40,2)), CAST(dt6 AS DATETIME(6)), tm, ch, CONCAT(en), CONCAT(st), %s FROM kinds.k ORDER BY id"
	mariadbtest.AssertSameRows(t, srcDB, dstDB, fmt.Sprintf(q, "b10 + 0, CAST(b64 AS UNSIGNED)"), fmt.Sprintf(q, "b10, b64"))
	var types string
	if err := dstDB.QueryRow("SELECT GROUP_CONCAT(CONCAT(COLUMN_NAME, ' ', COLUMN_TYPE) ORDER BY ORDINAL_POSITION SEPARATOR ', ') FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'kinds' AND TABLE_NAME = 'k'").Scan(&types); err != nil {
		t.Fatal(err)
	}
	t.Logf("destination columns (MariaDB's names for what the emulator created): %s", types)
	for _, want := range []string{"id bigint", "ti smallint", "si int", "mi int", "bi decimal(20,0)", "yr smallint", "d40 decimal(38,0)", "dt6 datetime(3)", "en varchar(4)", "st varchar(7)", "b10 bigint", "b64 decimal(20,0)"} {
		if !strings.Contains(types, want) {
			t.Errorf("destination columns %q lack %q", types, want)
		}
	}
}

// verifyFull runs a full verification of task (no repair) and returns its outcome.
func verifyFull(t *testing.T, task engine.Task) *engine.VerificationProgress {
	t.Helper()
	var last engine.Progress
	task.Verification = engine.Verification{Mode: engine.VerifyFull}
	if err := engine.Verify(context.Background(), task, func(p engine.Progress) { last = p }); err != nil {
		t.Fatal(err)
	}
	return last.Verification
}

// openEndpoint opens a pool on ep's database as the engine would.
func openEndpoint(t *testing.T, ep dbconn.Endpoint, database string) *sql.DB {
	t.Helper()
	db, err := dbconn.Open(ep, database)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// TestADBDestinationFollowsChanges: incremental migration into the emulated AnalyticDB
// writes what the copy writes: ENUM and SET changes from the binlog (an index and a bit
// mask there) arrive as their member text, BIT values as their unsigned number (BIT(64)
// with its top bit set too), unsigned values widened, and deletes by key.
func TestADBDestinationFollowsChanges(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	const (
		ones64 = "b'1111111111111111111111111111111111111111111111111111111111111111'"
		top64  = "b'1000000000000000000000000000000000000000000000000000000000000001'"
	)
	src.Exec(t, "CREATE DATABASE live",
		"CREATE TABLE live.t (id INT UNSIGNED NOT NULL PRIMARY KEY, en ENUM('new', 'paid', 'it''s') NOT NULL DEFAULT 'new', st SET('a', 'b', 'c d'), n BIGINT UNSIGNED, note TEXT, "+
			"b1 BIT(1) NOT NULL DEFAULT b'1', b10 BIT(10) DEFAULT b'101', b64 BIT(64))",
		"INSERT INTO live.t VALUES (1, 'new', 'a', 18446744073709551615, 'first', b'0', b'1111111111', "+ones64+"), "+
			"(2, 'paid', '', 0, NULL, b'1', b'0', "+top64+"), (5, 'new', 'b', 1, 'bits', b'1', b'1000000000', b'0'), (6, 'new', NULL, 2, NULL, b'0', NULL, NULL)")
	task := fullTask("task-adb-live", src, dst, engine.Object{Database: "live"})
	task.MigrationTypes = append(task.MigrationTypes, engine.MigrationIncremental)
	task.Destination = adbFront(t, dst, adbfront.Switches{Transactions: "noop", LockingReads: "strip"})
	task.IgnorePrecheckAlerts = []string{precheck.DestinationDiskSpace, engine.ItemDestinationCapabilities}
	drain := make(chan struct{})
	task.Drain = drain
	w := newWatch()
	done := make(chan error, 1)
	go func() { done <- engine.Run(context.Background(), task, w.report) }()
	w.wait(t, "incremental migration to catch up", done, func(p engine.Progress) bool { return p.Phase == engine.PhaseIncremental && p.CaughtUp })
	src.Exec(t,
		"INSERT INTO live.t VALUES (3, 'it''s', 'b,c d', 4294967296, 'third', b'1', b'11', b'1')",
		"UPDATE live.t SET en = 'paid', st = 'a,b,c d' WHERE id = 1",
		"UPDATE live.t SET en = 'it''s', note = 'changed' WHERE id = 2",
		"DELETE FROM live.t WHERE id = 3",
		"INSERT INTO live.t (id, st) VALUES (4, NULL)",
		"INSERT INTO live.t VALUES (7, 'new', 'a', 7, 'bits', b'1', b'1111111111', "+ones64+"), (8, 'new', 'a', 8, NULL, b'0', b'0', "+top64+"), (9, 'new', 'a', 9, NULL, b'0', b'0', b'0')",
		"UPDATE live.t SET b1 = b'1', b10 = b'1000000001', b64 = "+top64+" WHERE id = 1",
		"UPDATE live.t SET b64 = "+ones64+" WHERE id = 6")
	drainRun(t, drain, done)
	srcDB, dstDB := src.DB(t, ""), dst.DB(t, "")
	// BIT read as its number on the source, where MariaDB holds bits; the destination's
	// BIGINT and DECIMAL(20,0) are read as they are.
	mariadbtest.AssertSameRows(t, srcDB, dstDB,
		"SELECT id, CONCAT(en), CONCAT(st), n, note, b1 + 0, b10 + 0, CAST(b64 AS UNSIGNED) FROM live.t ORDER BY id",
		"SELECT id, CONCAT(en), CONCAT(st), n, note, b1, b10, b64 FROM live.t ORDER BY id")
	var bits string
	if err := dstDB.QueryRow("SELECT GROUP_CONCAT(CONCAT(COLUMN_NAME, ' ', COLUMN_TYPE, ' ', IFNULL(COLUMN_DEFAULT, '-')) ORDER BY ORDINAL_POSITION SEPARATOR ', ') " +
		"FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'live' AND TABLE_NAME = 't' AND COLUMN_NAME LIKE 'b%'").Scan(&bits); err != nil {
		t.Fatal(err)
	}
	if want := "b1 bigint(20) 1, b10 bigint(20) 5, b64 decimal(20,0) NULL"; bits != want {
		t.Errorf("destination BIT columns (type, default) = %q, want %q", bits, want)
	}

	// Verification compares through the mapping: an ENUM on the source equals its text on
	// the destination; a changed member is found.
	verifyOnce := func() *engine.VerificationProgress { t.Helper(); return verifyFull(t, task) }
	if v := verifyOnce(); v == nil || v.Status != engine.VerificationPassed {
		t.Errorf("verification of equal tables: %+v, want passed", v)
	}
	dst.Exec(t, "UPDATE live.t SET en = 'new' WHERE id = 1")
	if v := verifyOnce(); v == nil || v.Status != engine.VerificationMismatched || v.Mismatches != 1 {
		t.Errorf("verification after a member changed on the destination: %+v, want one mismatch", v)
	}
	// A BIT(64) number one off on the destination is found too.
	dst.Exec(t, "UPDATE live.t SET en = 'paid' WHERE id = 1", "UPDATE live.t SET b64 = 18446744073709551614 WHERE id = 7")
	if v := verifyOnce(); v == nil || v.Status != engine.VerificationMismatched || v.Mismatches != 1 {
		t.Errorf("verification after a BIT(64) value changed on the destination: %+v, want one mismatch", v)
	}
}
