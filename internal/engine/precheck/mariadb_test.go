package precheck

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dbconn"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
)

func endpoint(s *mariadbtest.Server, user, password string) dbconn.Endpoint {
	return dbconn.Endpoint{Type: dbconn.TypeMariaDB, Host: s.Host, Port: s.Port, User: user, Password: password}
}

func open(t *testing.T, ep dbconn.Endpoint) *sql.DB {
	t.Helper()
	db, err := dbconn.Open(ep, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// check runs the checkers of in and returns the results by name.
func check(t *testing.T, in Input) map[string]Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out := map[string]Result{}
	for _, r := range Run(ctx, Checkers(in)) {
		out[r.Name] = r
		t.Logf("%s: %s: %s | %s", r.Name, r.State, r.Message, r.Remedy)
	}
	return out
}

// want asserts an item's state and that its message (and, unless passed, remedy) mention
// every string in mentions.
func want(t *testing.T, results map[string]Result, name string, state State, mentions ...string) {
	t.Helper()
	r, ok := results[name]
	if !ok {
		t.Errorf("%s: no result", name)
		return
	}
	if r.State != state {
		t.Errorf("%s: state %s, want %s (%s)", name, r.State, state, r.Message)
	}
	for _, m := range mentions {
		if !strings.Contains(r.Message+" "+r.Remedy, m) {
			t.Errorf("%s: %q / %q does not mention %q", name, r.Message, r.Remedy, m)
		}
	}
	if state != Passed && r.Remedy == "" {
		t.Errorf("%s: no remedy", name)
	}
}

func table(db, name string) Table {
	return Table{SourceDatabase: db, SourceTable: name, DestDatabase: db, DestTable: name}
}

func TestPrecheckMariaDB(t *testing.T) {
	src, dst := mariadbtest.StartSource(t), mariadbtest.StartDestination(t)
	src.Exec(t,
		"CREATE DATABASE shop",
		"CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(50) COLLATE utf8mb4_uca1400_ai_ci, price DECIMAL(10,2))",
		"INSERT INTO shop.items VALUES (1, 'a', 1.5), (2, 'b', 2.5)",
		"CREATE TABLE shop.orders (code CHAR(8) NOT NULL, item INT, UNIQUE KEY uk_code (code)) DEFAULT CHARSET latin1",
		"CREATE TABLE shop.nokey (a INT, b TEXT)",
		"CREATE TABLE shop.nullu (a INT, b INT, UNIQUE KEY uk_a (a))",
		"CREATE TABLE shop.auto (__adb_auto_id__ BIGINT NOT NULL PRIMARY KEY, x INT)",
		"CREATE VIEW shop.v AS SELECT id FROM shop.items",
		"CREATE USER 'lim'@'%' IDENTIFIED BY 'limpw'",
		"GRANT SELECT ON shop.items TO 'lim'@'%'",
		"CREATE ROLE reader",
		"GRANT SELECT ON shop.* TO reader",
		"CREATE USER 'roled'@'%' IDENTIFIED BY 'rolepw'",
		"GRANT reader TO 'roled'@'%'",
	)
	dst.Exec(t,
		"CREATE USER 'lim'@'%' IDENTIFIED BY 'limpw'",
		"GRANT SELECT, INSERT ON shop.* TO 'lim'@'%'",
	)
	srcEP, dstEP := endpoint(src, src.User, src.Password), endpoint(dst, dst.User, dst.Password)
	srcDB, dstDB := open(t, srcEP), open(t, dstEP)
	good := Input{
		Source: srcDB, Destination: dstDB,
		SourceType: dbconn.TypeMariaDB, DestinationType: dbconn.TypeMariaDB,
		SourceEndpoint: srcEP, DestinationEndpoint: dstEP, DestinationHost: dst.Host,
		Incremental: true, Schema: true,
		Tables: []Table{
			table("shop", "items"),
			{SourceDatabase: "shop", SourceTable: "orders", DestDatabase: "shop2", DestTable: "orders_v2", Where: "code LIKE 'A%' AND item > 0"},
		},
		RetryWindow: 12 * time.Hour,
	}

	t.Run("all pass", func(t *testing.T) {
		results := check(t, good)
		for _, name := range []string{SourceConnectivity, DestinationConnectivity, SourcePrivileges, DestinationPrivileges,
			BinlogEnabled, BinlogFormat, BinlogRowImage, ServerID, BinlogRetention, SourceTables, PrimaryKey, ADBAutoID,
			DestinationConflict, DestinationBackup, CharsetSupport, WhereFilter} {
			want(t, results, name, Passed)
		}
		if _, ok := results[SourceEngineVersion]; ok {
			t.Error("source_engine_version ran for a MariaDB source")
		}
		if len(results) != 17 {
			t.Errorf("%d results, want 17", len(results))
		}
		// The destination is on this machine: its disk is measured.
		r := results[DestinationDiskSpace]
		if !strings.Contains(r.Message, "source data is") || !strings.Contains(r.Message, "free of") || !strings.Contains(r.Message, dst.Dir) {
			t.Errorf("disk space message %q lacks the sizes or the data directory", r.Message)
		}
		free, total, err := diskSpace(dst.Dir)
		if err != nil {
			t.Fatal(err)
		}
		if (total-free)*100/total < maxDiskUse-1 {
			want(t, results, DestinationDiskSpace, Passed)
		} else if r.State == Failed {
			t.Errorf("disk space failed on a machine with %d of %d bytes free: %s", free, total, r.Message)
		}
		if b := Blocking(Run(context.Background(), Checkers(good)), nil); len(b) != 0 && !(len(b) == 1 && b[0].Name == DestinationDiskSpace) {
			t.Errorf("blocking: %s", Summarize(b))
		}
	})

	t.Run("remote destination alerts on disk space", func(t *testing.T) {
		in := good
		in.DestinationHost = "db.example.com"
		in.Incremental = false
		want(t, check(t, in), DestinationDiskSpace, Alert, "cannot measure destination free space remotely; source data is", DestinationDiskSpace)
	})

	t.Run("keys", func(t *testing.T) {
		in := good
		in.Incremental = false
		in.Tables = []Table{table("shop", "items"), table("shop", "nokey"), table("shop", "nullu")}
		want(t, check(t, in), PrimaryKey, Failed, "shop.nokey", "shop.nullu", "uk_a", "ADD PRIMARY KEY")

		in.Tables = []Table{table("shop", "items"), table("shop", "nokey"), table("shop", "nullu")}
		in.Tables[1].AllTables, in.Tables[2].AllTables = true, true
		res := check(t, in)
		want(t, res, PrimaryKey, Alert, "shop.nokey", "shop.nullu", "may cause data inconsistency")
		if len(Blocking([]Result{res[PrimaryKey]}, []string{PrimaryKey})) != 0 {
			t.Error("an ignored primary_key alert still blocks")
		}

		in.Tables = []Table{table("shop", "nokey"), table("shop", "nullu")}
		in.Tables[0].AllTables = true // nokey alerts, nullu fails: the item fails and names both
		want(t, check(t, in), PrimaryKey, Failed, "shop.nullu", "shop.nokey")
	})

	t.Run("adb auto id and missing tables", func(t *testing.T) {
		in := good
		in.Incremental = false
		in.Tables = []Table{table("shop", "auto"), table("shop", "ghost"), table("shop", "v")}
		res := check(t, in)
		want(t, res, ADBAutoID, Failed, "shop.auto", "__adb_auto_id__")
		want(t, res, SourceTables, Failed, "shop.ghost", "shop.v are views")
		want(t, res, PrimaryKey, Passed) // missing tables are source_tables' business
	})

	t.Run("destination conflict", func(t *testing.T) {
		dst.Exec(t,
			"CREATE DATABASE IF NOT EXISTS shop",
			"CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(50), price DECIMAL(10,2))",
			"CREATE TABLE shop.nullu (a INT, extra INT)",
		)
		t.Cleanup(func() { dst.Exec(t, "DROP DATABASE shop") })
		in := good
		in.Incremental = false
		in.Tables = []Table{table("shop", "items"), table("shop", "nullu"), table("shop", "orders")}

		want(t, check(t, in), DestinationConflict, Failed, "shop.items", "shop.nullu", "rename_to", "RENAME TABLE")

		in.ConflictHandling = IgnoreErrorsAndProceed
		want(t, check(t, in), DestinationConflict, Alert, "shop.nullu -> shop.nullu", "only on the source: b", "only on the destination: extra")

		in.Tables = []Table{table("shop", "items")}
		want(t, check(t, in), DestinationConflict, Passed)

		in.Schema = false
		in.ConflictHandling = ""
		in.Tables = []Table{table("shop", "items"), table("shop", "orders")}
		want(t, check(t, in), DestinationConflict, Failed, "shop.orders", "do not exist", `"schema"`)

		in.Schema = true
		in.Tables = []Table{table("shop", "items"), {SourceDatabase: "shop", SourceTable: "orders", DestDatabase: "shop", DestTable: "ITEMS"}}
		want(t, check(t, in), DestinationConflict, Failed, "both go to")
	})

	t.Run("source without binlog", func(t *testing.T) {
		dst.Exec(t, "CREATE DATABASE nb", "CREATE TABLE nb.t (id INT PRIMARY KEY)")
		t.Cleanup(func() { dst.Exec(t, "DROP DATABASE nb") })
		in := good
		in.Source, in.SourceEndpoint = dstDB, dstEP
		in.Destination, in.DestinationEndpoint = srcDB, srcEP
		in.Tables = []Table{{SourceDatabase: "nb", SourceTable: "t", DestDatabase: "nb2", DestTable: "t"}}
		res := check(t, in)
		want(t, res, BinlogEnabled, Failed, "log_bin = OFF", "log_bin")
		want(t, res, SourcePrivileges, Passed)
	})

	t.Run("limited users", func(t *testing.T) {
		limSrc, limDst := endpoint(src, "lim", "limpw"), endpoint(dst, "lim", "limpw")
		in := good
		in.Source, in.SourceEndpoint = open(t, limSrc), limSrc
		in.Destination, in.DestinationEndpoint = open(t, limDst), limDst
		in.Tables = []Table{table("shop", "items"), table("shop", "orders")}
		res := check(t, in)
		want(t, res, SourcePrivileges, Failed, "'lim'@'%'", "SELECT on shop.orders", "REPLICATION SLAVE", "BINLOG MONITOR",
			"GRANT SELECT ON `shop`.* TO 'lim'@'%'")
		if strings.Contains(res[SourcePrivileges].Message, "shop.items") {
			t.Errorf("source_privileges names shop.items, which lim may read: %s", res[SourcePrivileges].Message)
		}
		want(t, res, DestinationPrivileges, Failed, "CREATE, UPDATE, DELETE, DROP, ALTER on shop.items, shop.orders", "adbmigrate_meta")

		roled := endpoint(src, "roled", "rolepw")
		in.Source, in.SourceEndpoint = open(t, roled), roled
		want(t, check(t, in), SourcePrivileges, Alert, "reader", "may still be held")
	})

	t.Run("where filters", func(t *testing.T) {
		in := good
		in.Incremental = false
		in.Tables = []Table{
			{SourceDatabase: "shop", SourceTable: "items", DestDatabase: "shop", DestTable: "items", Where: "1=1; DROP TABLE shop.items"},
			{SourceDatabase: "shop", SourceTable: "orders", DestDatabase: "shop", DestTable: "orders", Where: "colour = 'red'"},
			{SourceDatabase: "shop", SourceTable: "nullu", DestDatabase: "shop", DestTable: "nullu", Where: "a IN (SELECT id FROM shop.items)"},
		}
		want(t, check(t, in), WhereFilter, Failed, "shop.items", "';'", "colour", "shop.nullu", "subquery")
	})

	// MariaDB stands in for AnalyticDB: its DDL has no BINLOG=true and it has no adb_version().
	t.Run("adb_mysql3 source and destination", func(t *testing.T) {
		src.Exec(t, "CREATE DATABASE adb",
			"CREATE TABLE adb.t (id INT PRIMARY KEY, v INT) COMMENT 'BINLOG=true binlog_ttl=''2d'''",
			"CREATE TABLE adb.u (id INT PRIMARY KEY) COMMENT 'BINLOG=true'",
			"CREATE TABLE adb.w (id INT PRIMARY KEY)",
			// A bare binlog_ttl is milliseconds: 172800000 is 2d, 3600000 is 1h.
			"CREATE TABLE adb.ms2d (id INT PRIMARY KEY) COMMENT 'BINLOG=true binlog_ttl=172800000'",
			"CREATE TABLE adb.ms1h (id INT PRIMARY KEY) COMMENT 'BINLOG=true binlog_ttl=3600000'",
			"CREATE TABLE adb.v2 (id INT PRIMARY KEY) COMMENT 'BINLOG=true binlog_ttl=''2d'' ENGINE=XUANWU_V2'")
		in := good
		in.SourceType, in.DestinationType = dbconn.TypeADBMySQL3, dbconn.TypeADBMySQL3
		in.Tables = []Table{table("adb", "t"), table("adb", "u"), table("adb", "w"), table("adb", "ms2d"), table("adb", "ms1h")}
		res := check(t, in)
		want(t, res, BinlogEnabled, Failed, "adb.w", "ALTER TABLE `adb`.`w` BINLOG=true")
		want(t, res, BinlogRetention, Alert, "adb.u (binlog_ttl not set, default 6h)", "adb.ms1h (binlog_ttl=3600000)", "binlog_ttl='1d'")
		for _, long := range []string{"adb.t", "adb.ms2d"} {
			if strings.Contains(res[BinlogRetention].Message, long) {
				t.Errorf("%s keeps its binlog for 2d but is reported: %s", long, res[BinlogRetention].Message)
			}
		}
		want(t, res, ADBSourceIncremental, Alert, "unverified", "binlog protocol is not public")
		// No setting gives the version: the remedy says how to read it and which alert to
		// accept, and names no field a user cannot write.
		want(t, res, SourceEngineVersion, Alert, "cannot read the AnalyticDB kernel version", "SELECT adb_version()", "add source_engine_version to ignore_precheck_alerts")
		if r := res[SourceEngineVersion].Remedy; strings.Contains(r, "engine version") || strings.Contains(r, "override") {
			t.Errorf("%s remedy names a setting that does not exist: %s", SourceEngineVersion, r)
		}
		want(t, res, DestinationDiskSpace, Alert, "AnalyticDB shows disk use only in its console")
		want(t, res, DestinationBackup, Passed, "not detectable")
		for _, n := range []string{BinlogFormat, BinlogRowImage, ServerID} {
			if _, ok := res[n]; ok {
				t.Errorf("%s ran for an adb_mysql3 source", n)
			}
		}

		// The version adb_version() answers, here a stored function of the source
		// connection's database standing in for AnalyticDB's.
		adbDB, err := dbconn.Open(in.SourceEndpoint, "adb")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = adbDB.Close() })
		in.Source = adbDB
		for _, v := range []struct {
			version string
			state   State
		}{{"3.1.10.0", Failed}, {"3.2.1.0", Passed}} {
			src.Exec(t, "DROP FUNCTION IF EXISTS adb.adb_version", "CREATE FUNCTION adb.adb_version() RETURNS VARCHAR(64) DETERMINISTIC RETURN 'AnalyticDB "+v.version+"'")
			want(t, check(t, in), SourceEngineVersion, v.state, v.version, "3.2.1.0", "adb_version()")
		}
		// XUANWU_V2 tables have no binlog, whatever the kernel version.
		in.Tables = append(in.Tables, table("adb", "v2"))
		want(t, check(t, in), SourceEngineVersion, Failed, "adb.v2", "XUANWU_V2", "without incremental migration")
		// Without incremental, none of the binlog items runs.
		in.Incremental = false
		res = check(t, in)
		for _, n := range []string{BinlogEnabled, BinlogRetention, SourceEngineVersion, ADBSourceIncremental} {
			if _, ok := res[n]; ok {
				t.Errorf("%s ran for a task without incremental migration", n)
			}
		}
	})

	// charset_support judges the collation the schema phase gives the destination: a
	// MariaDB NO PAD UCA 14.0.0 collation becomes MySQL's 0900 one, which this MariaDB
	// destination (standing in for a MySQL one) does not know, so the item names both.
	t.Run("collation mapped between MariaDB and MySQL", func(t *testing.T) {
		src.Exec(t, "CREATE DATABASE coll",
			"CREATE TABLE coll.t (id INT PRIMARY KEY, a VARCHAR(5) COLLATE utf8mb4_uca1400_nopad_ai_ci)")
		in := good
		in.Incremental = false
		in.Tables = []Table{table("coll", "t")}
		want(t, check(t, in), CharsetSupport, Passed)
		in.DestinationType = dbconn.TypeMySQL
		want(t, check(t, in), CharsetSupport, Failed,
			"collation utf8mb4_uca1400_nopad_ai_ci (utf8mb4_0900_ai_ci on the destination) (used by coll.t.a)")
	})

	t.Run("unreachable source", func(t *testing.T) {
		dead := endpoint(src, src.User, src.Password)
		dead.Port = 1 // nothing listens there
		in := good
		in.Source, in.SourceEndpoint = open(t, dead), dead
		res := check(t, in)
		want(t, res, SourceConnectivity, Failed, "connection refused")
		want(t, res, DestinationConnectivity, Passed)
		want(t, res, PrimaryKey, Failed, "not checked", SourceConnectivity)
		want(t, res, WhereFilter, Failed, "not checked")
	})
}
