package adbfront

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-sql-driver/mysql"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
)

// startMySQLFront starts a front in MySQL mode mode over srv, with gtid_mode gtidMode, and
// returns it and a go-sql-driver pool through it.
func startMySQLFront(t *testing.T, srv *mariadbtest.Server, mode, gtidMode string) (*Front, *sql.DB) {
	t.Helper()
	f, err := Start(context.Background(), Config{Listen: "127.0.0.1:0", Upstream: srv.Addr(), Mode: mode, MySQL: MySQLSwitches{GTIDMode: gtidMode}, Logf: t.Logf})
	if err != nil {
		t.Fatalf("starting the front in mode %s: %v", mode, err)
	}
	t.Cleanup(func() { _ = f.Close() })
	cfg, err := mysql.ParseDSN(srv.DSN(""))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr = f.Addr()
	pool, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pool.Close() })
	return f, pool
}

// answer runs q and returns its first row's first column as text, or "error <number>".
func answer(t *testing.T, db *sql.DB, q string) string {
	t.Helper()
	rows, err := db.Query(q)
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return fmt.Sprintf("error %d", me.Number)
	}
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return "no rows"
	}
	vals := make([]sql.NullString, len(cols))
	dest := make([]any, len(cols))
	for i := range vals {
		dest[i] = &vals[i]
	}
	if err := rows.Scan(dest...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return vals[0].String
}

// TestMySQLModeRules: each MySQL mode answers, over a MariaDB with a binlog, as the MySQL
// manual says that version does: the version in VERSION(), @@version and the greeting;
// SHOW MASTER STATUS and SHOW BINARY LOG STATUS by version, the latter with the file MariaDB
// holds; CAST AS DOUBLE by version; gtid_mode and gtid_executed by the switch; and
// binlog_row_value_options only from 8.0.3. Hits counts what each rule acted on.
func TestMySQLModeRules(t *testing.T) {
	srv := mariadbtest.StartSource(t)
	direct := srv.DB(t, "")
	srv.Exec(t, "CREATE DATABASE m", "CREATE TABLE m.t (id INT PRIMARY KEY)", "INSERT INTO m.t VALUES (1), (2)")
	var file, pos, gtidPos string
	if err := direct.QueryRow("SHOW MASTER STATUS").Scan(&file, &pos, new(sql.NullString), new(sql.NullString)); err != nil {
		t.Fatal(err)
	}
	if err := direct.QueryRow("SELECT @@gtid_binlog_pos").Scan(&gtidPos); err != nil || gtidPos == "" {
		t.Fatalf("MariaDB's gtid_binlog_pos: %q, %v; want a position after the writes", gtidPos, err)
	}
	seq := gtidPos[strings.LastIndexByte(gtidPos, '-')+1:]

	hits := map[string]int64{}
	for _, c := range []struct {
		mode, gtidMode, version string
		want                    map[string]string
	}{
		{ModeMySQL84, "OFF", "8.4.3", map[string]string{
			"SHOW MASTER STATUS":                       "error 1064",
			"show binary log status":                   file,
			"SELECT CAST(1.5 AS DOUBLE)":               "1.5",
			"SELECT @@gtid_mode":                       "OFF",
			"SELECT @@GLOBAL.gtid_executed":            "",
			"SELECT @@binlog_row_value_options":        "",
			"SELECT CONCAT(VERSION(), ' ', @@version)": "8.4.3 8.4.3",
		}},
		{ModeMySQL84, "ON", "8.4.3", map[string]string{
			"SELECT @@global.gtid_mode":          "ON",
			"SELECT @@gtid_executed":             fakeServerUUID + ":1-" + seq,
			"SELECT 'VERSION()', 'x' AS VERSION": "VERSION()",
		}},
		{ModeMySQL80, "OFF_PERMISSIVE", "8.0.36", map[string]string{
			"SHOW MASTER STATUS":                file,
			"SHOW BINARY LOG STATUS":            "error 1064",
			"SELECT CAST(id AS FLOAT) FROM m.t": "1",
			"SELECT @@gtid_mode":                "OFF_PERMISSIVE",
			"SELECT @@version":                  "8.0.36",
		}},
		{ModeMySQL57, "ON_PERMISSIVE", "5.7.44", map[string]string{
			"SHOW MASTER STATUS":                                      file,
			"SHOW BINARY LOG STATUS":                                  "error 1064",
			"SELECT CAST(id AS DOUBLE) FROM m.t":                      "error 1064",
			"SELECT CAST(CAST(id AS CHAR) AS REAL) FROM m.t":          "error 1064",
			"SELECT (id + 0e0) FROM m.t WHERE CAST(id AS SIGNED) = 2": "2",
			"SELECT @@binlog_row_value_options":                       "error 1193",
			"SELECT @@session.version":                                "5.7.44",
		}},
	} {
		t.Run(c.mode+"_"+c.gtidMode, func(t *testing.T) {
			f, db := startMySQLFront(t, srv, c.mode, c.gtidMode)
			for q, want := range c.want {
				if got := answer(t, db, q); got != want {
					t.Errorf("%s through the front in %s: %q, want %q", q, c.mode, got, want)
				}
			}
			if got := answer(t, db, "SELECT VERSION()"); got != c.version {
				t.Errorf("SELECT VERSION() through the front in %s: %q, want %q", c.mode, got, c.version)
			}
			// The greeting carries the version too: go-mysql's client reads it from there.
			conn, err := client.Connect(f.Addr(), srv.User, srv.Password, "")
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if got := conn.GetServerVersion(); got != c.version {
				t.Errorf("server greeting through the front in %s: version %q, want %q", c.mode, got, c.version)
			}
			for _, r := range MySQLRules {
				hits[r.Name] += f.Hits(r.Name)
			}
		})
	}
	for _, r := range MySQLRules {
		if hits[r.Name] == 0 {
			t.Errorf("MySQL rule %s acted on no statement of this test: give it a case", r.Name)
		}
	}
}

// TestEveryMySQLRuleIsDocumented: each MySQL rule has a unique name, a manual page, a line
// saying what it does, and a row in docs/mysql.md.
func TestEveryMySQLRuleIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/mysql.md")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range MySQLRules {
		if seen[r.Name] {
			t.Errorf("rule %s appears twice in MySQLRules", r.Name)
		}
		seen[r.Name] = true
		if r.Page == "" || r.Says == "" || !strings.Contains(r.Page, "MySQL") {
			t.Errorf("rule %s names no MySQL manual page or says nothing", r.Name)
		}
		if !strings.Contains(string(doc), "| `"+r.Name+"` |") {
			t.Errorf("rule %s has no row in docs/mysql.md", r.Name)
		}
	}
}
