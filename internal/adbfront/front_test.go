package adbfront

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
)

// env is one MariaDB server and the fronts over it, one per switch setting.
type env struct {
	t      *testing.T // the test that owns the server and the fronts
	srv    *mariadbtest.Server
	direct *sql.DB
	fronts map[Switches]*Front
}

func newEnv(t *testing.T) *env {
	t.Helper()
	srv := mariadbtest.StartDestination(t)
	return &env{t: t, srv: srv, direct: srv.DB(t, ""), fronts: map[Switches]*Front{}}
}

// front returns the front with switches sw, starting it on first use.
func (e *env) front(t *testing.T, sw Switches) *Front {
	t.Helper()
	if f, ok := e.fronts[sw]; ok {
		return f
	}
	f, err := Start(context.Background(), Config{Listen: "127.0.0.1:0", Upstream: e.srv.Addr(), AdminDSN: e.srv.DSN(""), Switches: sw, Logf: t.Logf})
	if err != nil {
		t.Fatalf("starting the front: %v", err)
	}
	e.t.Cleanup(func() { _ = f.Close() })
	e.fronts[sw] = f
	return f
}

// client opens a pool through front f on database db, as the runner would:
// go-sql-driver, TLS off. interpolate chooses client-side parameters (text
// protocol) or server-side prepared statements.
func (e *env) client(t *testing.T, f *Front, db string, interpolate bool) *sql.DB {
	t.Helper()
	cfg, err := mysql.ParseDSN(e.srv.DSN(db))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr = f.Addr()
	cfg.InterpolateParams = interpolate
	cfg.AllowAllFiles = false
	pool, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pool.Close() })
	return pool
}

// queryString reads one value directly from MariaDB (not through a front).
func (e *env) queryString(t *testing.T, q string) string {
	t.Helper()
	var v sql.NullString
	if err := e.direct.QueryRow(q).Scan(&v); err != nil {
		t.Fatalf("reading %q directly from MariaDB: %v", q, err)
	}
	if !v.Valid {
		return "NULL"
	}
	return v.String
}

// ruleCase is one case of one rule: statements through the front, then what
// MariaDB behind it holds.
type ruleCase struct {
	rule  string   // the Rules entry under test
	sw    Switches // the front's switches
	setup []string // run directly on MariaDB in the case's database
	stmts []string // run through the front in order, on one connection
	err   string   // a substring of the last statement's error; "" means it must succeed
	query string   // read directly from MariaDB afterwards, in the case's database ("" to skip)
	want  string
}

const tableT = "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))"

var ruleCases = []ruleCase{
	{rule: "transactions", stmts: []string{"BEGIN"}, err: "transactional statement"},
	{rule: "transactions", stmts: []string{"START TRANSACTION"}, err: "transactional statement"},
	{rule: "transactions", sw: Switches{Transactions: "noop"}, setup: []string{tableT},
		stmts: []string{"BEGIN", "INSERT INTO t VALUES (1, 'a')", "ROLLBACK"}, query: "SELECT COUNT(*) FROM t", want: "1"},
	{rule: "locking-reads", setup: []string{tableT}, stmts: []string{"SELECT id FROM t FOR UPDATE"}, err: "locking read"},
	{rule: "locking-reads", setup: []string{tableT}, stmts: []string{"SELECT id FROM t WHERE id = 1 LOCK IN SHARE MODE"}, err: "locking read"},
	{rule: "locking-reads", sw: Switches{LockingReads: "strip"}, setup: []string{tableT, "INSERT INTO t VALUES (1, 'a')"},
		stmts: []string{"SELECT id FROM t WHERE id = 1 FOR UPDATE", "UPDATE t SET v = 'b' WHERE id = 1"}, query: "SELECT v FROM t", want: "b"},
	{rule: "kill-mysql-forms", stmts: []string{"KILL CONNECTION 4000000"}, err: "KILL PROCESS"},
	{rule: "kill-mysql-forms", sw: Switches{MySQLKill: "allow"}, stmts: []string{"KILL QUERY 4000000"}, err: "Unknown thread id"},
	{rule: "no-stored-programs", setup: []string{tableT}, stmts: []string{"CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET NEW.v = 'x'"}, err: "TRIGGER is not supported",
		query: "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND TRIGGER_NAME = 'tr'", want: "0"},
	{rule: "no-stored-programs", stmts: []string{"CREATE PROCEDURE p() SELECT 1"}, err: "PROCEDURE is not supported"},
	{rule: "types-absent", stmts: []string{"CREATE TABLE t (id INT PRIMARY KEY, e ENUM('a','b'))"}, err: "use VARCHAR",
		query: "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_NAME = 't' AND TABLE_SCHEMA = DATABASE()", want: "0"},
	{rule: "types-absent", stmts: []string{"CREATE TABLE t (id INT PRIMARY KEY, s SET('a','b'))"}, err: "not supported"},
	{rule: "types-absent", stmts: []string{"CREATE TABLE t (id INT PRIMARY KEY, b BIT(3))"}, err: "not supported"},
	{rule: "types-absent", setup: []string{tableT}, stmts: []string{"ALTER TABLE t ADD COLUMN y YEAR"}, err: "not supported",
		query: "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 't' AND COLUMN_NAME = 'y'", want: "0"},
	{rule: "types-unsigned", stmts: []string{"CREATE TABLE t (id INT UNSIGNED PRIMARY KEY)"}, err: "UNSIGNED is not supported"},
	{rule: "types-decimal-38", stmts: []string{"CREATE TABLE t (id INT PRIMARY KEY, d DECIMAL(40,2))"}, err: "precision 40 is over 38"},
	{rule: "types-decimal-38", stmts: []string{"CREATE TABLE t (id INT PRIMARY KEY, d DECIMAL(38,2))", "INSERT INTO t VALUES (1, 12.5)"},
		query: "SELECT d FROM t", want: "12.50"},
	{rule: "types-mysql-names", stmts: []string{"CREATE TABLE t (id INT PRIMARY KEY, x TEXT)"}, err: "use VARCHAR"},
	{rule: "types-mysql-names", stmts: []string{"CREATE TABLE t (id INT PRIMARY KEY, x BLOB)"}, err: "use BINARY"},
	{rule: "types-mysql-names", sw: Switches{MySQLTypeNames: "accept"}, stmts: []string{"CREATE TABLE t (id MEDIUMINT PRIMARY KEY, x TEXT)"},
		query: "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_NAME = 't' AND TABLE_SCHEMA = DATABASE()", want: "1"},
	{rule: "fractional-seconds-ms", stmts: []string{"CREATE TABLE t (id INT PRIMARY KEY, dt DATETIME(6))", "INSERT INTO t VALUES (1, '2024-01-02 03:04:05.123456')"},
		query: "SELECT dt FROM t", want: "2024-01-02 03:04:05.123"},
	{rule: "fractional-seconds-ms", stmts: []string{"CREATE TABLE t (id INT PRIMARY KEY, tm TIME(6))", "INSERT INTO t VALUES (1, '10:11:12.987654')"},
		query: "SELECT tm FROM t", want: "10:11:12.987"},
	{rule: "zero-date-null", stmts: []string{"CREATE TABLE t (id INT PRIMARY KEY, d DATE, dt DATETIME)", "INSERT INTO t VALUES (1, '0000-00-00', '0000-00-00 00:00:00')"},
		query: "SELECT CONCAT(d IS NULL, dt IS NULL) FROM t", want: "11"},
	{rule: "zero-date-null", setup: []string{tableT}, stmts: []string{"ALTER TABLE t ADD COLUMN d DATE", "INSERT INTO t VALUES (1, 'a', '0000-00-00')"},
		query: "SELECT d IS NULL FROM t", want: "1"},
	{rule: "time-range", stmts: []string{"CREATE TABLE t (id INT PRIMARY KEY, tm TIME)", "INSERT INTO t VALUES (1, '24:00:00')"}, err: "outside 00:00:00-23:59:59",
		query: "SELECT COUNT(*) FROM t", want: "0"},
	{rule: "time-range", stmts: []string{"CREATE TABLE t (id INT PRIMARY KEY, tm TIME)", "INSERT INTO t VALUES (1, '23:59:59')"},
		query: "SELECT tm FROM t", want: "23:59:59"},
	{rule: "secondary-index-one-column", stmts: []string{"CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT, KEY ab (a, b))"}, err: "covers 2 columns"},
	{rule: "secondary-index-one-column", stmts: []string{"CREATE TABLE t (id INT PRIMARY KEY, a INT UNIQUE)"}, err: "UNIQUE is not supported"},
	{rule: "secondary-index-one-column", setup: []string{tableT}, stmts: []string{"CREATE INDEX p ON t (v(5))"}, err: "prefix index",
		query: "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 't' AND INDEX_NAME = 'p'", want: "0"},
	{rule: "secondary-index-one-column", setup: []string{tableT}, stmts: []string{"ALTER TABLE t ADD UNIQUE KEY u (v)"}, err: "unique index"},
	{rule: "secondary-index-one-column", setup: []string{tableT}, stmts: []string{"CREATE INDEX i ON t ((LENGTH(v)))"}, err: "expression"},
	{rule: "secondary-index-one-column", setup: []string{tableT}, stmts: []string{"CREATE INDEX i ON t (v)"},
		query: "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 't' AND INDEX_NAME = 'i'", want: "1"},
	{rule: "lengths-are-syntax", stmts: []string{"CREATE TABLE t (id INT PRIMARY KEY, b BINARY(4))", "INSERT INTO t VALUES (1, 'ab')"},
		query: "SELECT HEX(b) FROM t", want: "6162"}, // variable-length: no padding
	{rule: "lengths-are-syntax", stmts: []string{"CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(65535), b VARCHAR(65535), KEY by_a (a))",
		"INSERT INTO t VALUES (1, REPEAT('x', 70000), 'y')"},
		query: "SELECT CONCAT(LENGTH(a), ',', DATA_TYPE) FROM t, information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 't' AND COLUMN_NAME = 'a'",
		want:  "70000,mediumtext"},
	{rule: "no-foreign-keys", setup: []string{tableT}, stmts: []string{"CREATE TABLE c (id INT PRIMARY KEY, p INT, FOREIGN KEY (p) REFERENCES t (id))"}, err: "foreign key"},
	{rule: "add-column-no-position", setup: []string{tableT}, stmts: []string{"ALTER TABLE t ADD COLUMN w INT AFTER id"}, err: "FIRST or AFTER",
		query: "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 't' AND COLUMN_NAME = 'w'", want: "0"},
	{rule: "add-column-one", setup: []string{tableT}, stmts: []string{"ALTER TABLE t ADD COLUMN (w INT, x INT)"}, err: "one column per statement"},
	{rule: "default-via-modify", setup: []string{tableT}, stmts: []string{"ALTER TABLE t ALTER COLUMN v SET DEFAULT 'x'"}, err: "MODIFY COLUMN",
		query: "SELECT COALESCE(COLUMN_DEFAULT, 'none') FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 't' AND COLUMN_NAME = 'v'", want: "NULL"},
	{rule: "default-via-modify", setup: []string{tableT}, stmts: []string{"ALTER TABLE t MODIFY COLUMN v VARCHAR(20) DEFAULT 'x'"},
		query: "SELECT COLUMN_DEFAULT FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 't' AND COLUMN_NAME = 'v'", want: "'x'"},
	{rule: "four-byte-utf8", sw: Switches{FourByteUTF8: "refuse"}, stmts: []string{tableT, "INSERT INTO t VALUES (1, 'smile \U0001F600')"}, err: "Incorrect string value",
		query: "SELECT COUNT(*) FROM t", want: "0"},
	{rule: "four-byte-utf8", stmts: []string{tableT, "INSERT INTO t VALUES (1, 'smile \U0001F600')"},
		query: "SELECT v FROM t", want: "smile \U0001F600"},
	{rule: "insert-ignores-duplicates", setup: []string{tableT, "INSERT INTO t VALUES (1, 'first')"}, stmts: []string{"INSERT INTO t VALUES (1, 'second'), (2, 'new')"},
		query: "SELECT GROUP_CONCAT(v ORDER BY id) FROM t", want: "first,new"},
	{rule: "insert-ignores-duplicates", setup: []string{tableT, "INSERT INTO t VALUES (1, 'first')"}, stmts: []string{"INSERT INTO t VALUES (1, 'second') ON DUPLICATE KEY UPDATE v = VALUES(v)"},
		query: "SELECT v FROM t", want: "second"},
	{rule: "insert-ignores-duplicates", setup: []string{tableT, "INSERT INTO t VALUES (1, 'first')", "CREATE TABLE u (id INT NOT NULL PRIMARY KEY, v VARCHAR(16))", "INSERT INTO u VALUES (1, 'u1'), (3, 'u3')"},
		stmts: []string{"INSERT INTO t (id, v) SELECT id, v FROM u"}, query: "SELECT GROUP_CONCAT(v ORDER BY id) FROM t", want: "first,u3"},
	{rule: "load-data-grammar", setup: []string{tableT}, stmts: []string{"LOAD DATA LOCAL INFILE 'Reader::x' INTO TABLE t CHARACTER SET utf8mb4 FIELDS TERMINATED BY ','"}, err: "CHARACTER SET"},
	{rule: "load-data-grammar", setup: []string{tableT}, stmts: []string{"LOAD DATA LOCAL INFILE 'Reader::x' INTO TABLE t FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\'"}, err: "outside the documented grammar"},
	{rule: "load-data-grammar", setup: []string{tableT}, stmts: []string{"LOAD DATA LOCAL INFILE 'Reader::x' INTO TABLE t (id, @v) SET v = UPPER(@v)"}, err: "outside the documented grammar"},
}

// rulesWithOwnTest are covered by a test of their own below.
var rulesWithOwnTest = []string{"kill-process", "table-clauses", "show-create-table"}

func TestEveryRuleHasACase(t *testing.T) {
	covered := map[string]bool{}
	for _, c := range ruleCases {
		covered[c.rule] = true
	}
	for _, name := range rulesWithOwnTest {
		covered[name] = true
	}
	seen := map[string]bool{}
	for _, r := range Rules {
		if seen[r.Name] {
			t.Errorf("rule %s appears twice in Rules", r.Name)
		}
		seen[r.Name] = true
		if r.Page == "" || r.Says == "" {
			t.Errorf("rule %s names no documentation page or says nothing", r.Name)
		}
		if !covered[r.Name] {
			t.Errorf("rule %s has no test case", r.Name)
		}
	}
	for name := range covered {
		if !seen[name] {
			t.Errorf("test cases name rule %s, which is not in Rules", name)
		}
	}
}

func TestRules(t *testing.T) {
	e := newEnv(t)
	for i, c := range ruleCases {
		t.Run(fmt.Sprintf("%s/%d", c.rule, i), func(t *testing.T) {
			db := fmt.Sprintf("case%d", i)
			e.srv.Exec(t, "CREATE DATABASE "+db)
			for _, q := range c.setup {
				e.srv.Exec(t, "USE "+db, q)
			}
			ctx := context.Background()
			conn, err := e.client(t, e.front(t, c.sw), db, true).Conn(ctx)
			if err != nil {
				t.Fatalf("connecting through the front: %v", err)
			}
			defer func() { _ = conn.Close() }()
			for j, q := range c.stmts {
				_, err := conn.ExecContext(ctx, q)
				last := j == len(c.stmts)-1
				switch {
				case err != nil && (!last || c.err == ""):
					t.Fatalf("%q through the front: %v", q, err)
				case last && c.err != "" && err == nil:
					t.Fatalf("%q through the front succeeded; want an error with %q", q, c.err)
				case last && c.err != "" && !strings.Contains(err.Error(), c.err):
					t.Fatalf("%q through the front: %v; want an error with %q", q, err, c.err)
				}
			}
			if c.query != "" {
				if got := e.queryString(t, strings.ReplaceAll(strings.ReplaceAll(c.query, "DATABASE()", "'"+db+"'"), "FROM t", "FROM "+db+".t")); got != c.want {
					t.Errorf("MariaDB behind the front holds %q for %q; want %q", got, c.query, c.want)
				}
			}
		})
	}
}

func TestTableClauses(t *testing.T) {
	e := newEnv(t)
	e.srv.Exec(t, "CREATE DATABASE sales")
	f := e.front(t, Switches{})
	db := e.client(t, f, "sales", true)
	mustExec(t, db, "CREATE TABLE orders (id BIGINT, sale_time DATETIME, PRIMARY KEY (sale_time, id)) "+
		"DISTRIBUTED BY HASH(id) PARTITION BY VALUE(DATE_FORMAT(sale_time, '%Y%m%d')) LIFECYCLE 365 BINLOG=true binlog_ttl='1d'")
	mustExec(t, db, "ALTER TABLE orders binlog_ttl='7d'")
	mustExec(t, db, "CREATE TABLE dim (id INT PRIMARY KEY) DISTRIBUTED BY BROADCAST")

	// MariaDB holds the tables without the clauses, and the front's record.
	if got := e.queryString(t, "SELECT CONCAT(distributed, '|', lifecycle, '|', binlog, '|', binlog_ttl) FROM adbfront_meta.table_clauses WHERE schema_name = 'sales' AND table_name = 'orders'"); got != "HASH(id)|365|true|'7d'" {
		t.Errorf("recorded clauses of sales.orders: %q", got)
	}
	wantOrders := "DISTRIBUTED BY HASH(id) PARTITION BY VALUE(DATE_FORMAT(sale_time, '%Y%m%d')) LIFECYCLE 365 BINLOG=true binlog_ttl='7d'"
	checkShow := func(db *sql.DB, table, want string) {
		t.Helper()
		var name, create string
		if err := db.QueryRow("SHOW CREATE TABLE "+table).Scan(&name, &create); err != nil {
			t.Fatalf("SHOW CREATE TABLE %s through the front: %v", table, err)
		}
		if !strings.Contains(create, ") "+want+" ENGINE=") {
			t.Errorf("SHOW CREATE TABLE %s through the front:\n%s\nwant the clauses %q after the column list", table, create, want)
		}
	}
	checkShow(db, "orders", wantOrders)
	checkShow(db, "sales.dim", "DISTRIBUTED BY BROADCAST")

	// A restarted front keeps them: they live on the MariaDB side.
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	delete(e.fronts, Switches{})
	checkShow(e.client(t, e.front(t, Switches{}), "sales", true), "orders", wantOrders)

	// DROP TABLE forgets them.
	mustExec(t, db2(t, e), "DROP TABLE dim")
	if got := e.queryString(t, "SELECT COUNT(*) FROM adbfront_meta.table_clauses WHERE table_name = 'dim'"); got != "0" {
		t.Errorf("clauses of a dropped table still recorded: %s rows", got)
	}
}

func db2(t *testing.T, e *env) *sql.DB { return e.client(t, e.front(t, Switches{}), "sales", true) }

func TestKillProcess(t *testing.T) {
	e := newEnv(t)
	e.srv.Exec(t, "CREATE DATABASE k")
	f := e.front(t, Switches{})
	ctx := context.Background()
	victim, err := e.client(t, f, "k", true).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = victim.Close() }()
	var id int64
	if err := victim.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id); err != nil {
		t.Fatal(err)
	}
	killer := e.client(t, f, "k", true)
	var listed int
	if err := killer.QueryRow("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = ?", id).Scan(&listed); err != nil || listed != 1 {
		t.Fatalf("process %d through the front: listed %d times, err %v", id, listed, err)
	}
	mustExec(t, killer, fmt.Sprintf("KILL PROCESS %d", id))
	deadline := time.Now().Add(10 * time.Second)
	for e.queryString(t, fmt.Sprintf("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = %d", id)) != "0" {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still in MariaDB's process list 10 s after KILL PROCESS", id)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := victim.ExecContext(ctx, "DO 1"); err == nil {
		t.Errorf("the killed connection still runs statements")
	}
}

func TestLoadDataLocalAndPrepared(t *testing.T) {
	e := newEnv(t)
	e.srv.Exec(t, "CREATE DATABASE ld", "CREATE TABLE ld.t (id INT PRIMARY KEY, v VARCHAR(20))")
	f := e.front(t, Switches{})

	const rows = 20000 // several 16 MB-free packets of file data
	mysql.RegisterReaderHandler("adbfront-rows", func() io.Reader {
		pr, pw := io.Pipe()
		go func() {
			for i := 1; i <= rows; i++ {
				fmt.Fprintf(pw, "%d,\"v%d\"\n", i, i)
			}
			fmt.Fprintf(pw, "1,\"duplicate\"\n") // IGNORE drops it
			_ = pw.Close()
		}()
		return pr
	})
	defer mysql.DeregisterReaderHandler("adbfront-rows")
	db := e.client(t, f, "ld", false)
	res, err := db.Exec("LOAD DATA LOCAL INFILE 'Reader::adbfront-rows' IGNORE INTO TABLE t FIELDS TERMINATED BY ',' ENCLOSED BY '\"' LINES TERMINATED BY '\\n' (id, v)")
	if err != nil {
		t.Fatalf("LOAD DATA LOCAL through the front: %v", err)
	}
	if n, _ := res.RowsAffected(); n != rows {
		t.Errorf("LOAD DATA reported %d rows; want %d", n, rows)
	}
	if got := e.queryString(t, "SELECT CONCAT(COUNT(*), ':', MAX(v = 'duplicate')) FROM ld.t"); got != fmt.Sprintf("%d:0", rows) {
		t.Errorf("MariaDB holds %s (count:duplicate); want %d:0", got, rows)
	}

	// Server-side prepared statements: the rewritten INSERT (IGNORE) is
	// what MariaDB prepares.
	stmt, err := db.Prepare("INSERT INTO t (id, v) VALUES (?, ?)")
	if err != nil {
		t.Fatalf("preparing through the front: %v", err)
	}
	defer func() { _ = stmt.Close() }()
	for _, r := range []struct {
		id int
		v  string
	}{{rows + 1, "prepared"}, {1, "duplicate"}} {
		if _, err := stmt.Exec(r.id, r.v); err != nil {
			t.Fatalf("executing the prepared INSERT (%d, %q) through the front: %v", r.id, r.v, err)
		}
	}
	var v string
	if err := db.QueryRow("SELECT v FROM t WHERE id = ?", rows+1).Scan(&v); err != nil || v != "prepared" {
		t.Errorf("prepared SELECT through the front: %q, %v", v, err)
	}
	if got := e.queryString(t, "SELECT CONCAT(COUNT(*), ':', (SELECT v FROM ld.t WHERE id = 1)) FROM ld.t"); got != fmt.Sprintf("%d:v1", rows+1) {
		t.Errorf("MariaDB holds %s after the prepared INSERTs; want %d:v1", got, rows+1)
	}
}

func mustExec(t *testing.T, db *sql.DB, q string) {
	t.Helper()
	if _, err := db.Exec(q); err != nil {
		t.Fatalf("%q through the front: %v", q, err)
	}
}
