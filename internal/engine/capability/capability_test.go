package capability_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"text/tabwriter"

	"github.com/go-sql-driver/mysql"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/adbfront"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/capability"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/vocab"
)

// table renders r as the verdict table the lead pastes: PROBE, VERDICT, VALUE, DETAIL.
func table(r capability.Report) string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "PROBE\tVERDICT\tVALUE\tDETAIL")
	for _, v := range r {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", v.Probe, v.Answer, v.Value, v.Detail)
	}
	_ = w.Flush()
	return b.String()
}

// open returns a pool on addr with the server's account, as the engine's writer pool
// would reach it (text protocol, utf8mb4).
func open(t *testing.T, srv *mariadbtest.Server, addr string) *sql.DB {
	t.Helper()
	cfg, err := mysql.ParseDSN(srv.DSN(""))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr = addr
	cfg.InterpolateParams = true
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// run runs the probes on db and checks every verdict against want (a probe missing from
// want must say yes), and that no scratch table is left, reading the tables directly on
// direct.
func run(t *testing.T, name string, db, direct *sql.DB, want map[string]capability.Answer, wantKill string) {
	t.Helper()
	report, err := capability.Run(context.Background(), db, capability.Options{})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	t.Logf("verdicts against %s:\n%s", name, table(report))
	if got, wantN := len(report), len(capability.Names()); got != wantN {
		t.Errorf("%s: %d verdicts, want %d", name, got, wantN)
	}
	for _, v := range report {
		w, ok := want[v.Probe]
		if !ok {
			w = capability.Yes
		}
		if v.Answer != w {
			t.Errorf("%s: %s = %s (%s), want %s", name, v.Probe, v.Answer, v.Detail, w)
		}
	}
	if kill, _ := report.Get(capability.Kill); kill.Value != wantKill {
		t.Errorf("%s: working KILL forms %q, want %q", name, kill.Value, wantKill)
	}
	var left int
	if err := direct.QueryRow("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME LIKE 'capprobe%'", vocab.MetaDatabase).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%s: %d scratch tables left in %s", name, left, vocab.MetaDatabase)
	}
}

func TestProbesMariaDB(t *testing.T) {
	srv := mariadbtest.StartDestination(t)
	direct := srv.DB(t, "")
	// A user table the probes must leave alone.
	srv.Exec(t, "CREATE DATABASE app", "CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(8))", "INSERT INTO app.t VALUES (1, 'kept')")
	run(t, "MariaDB", open(t, srv, srv.Addr()), direct, nil, "KILL CONNECTION, KILL")
	var v string
	if err := direct.QueryRow("SELECT GROUP_CONCAT(CONCAT(id, v)) FROM app.t").Scan(&v); err != nil || v != "1kept" {
		t.Errorf("user table app.t holds %q (%v), want 1kept", v, err)
	}
}

// TestProbesEmulator runs the probes through adbfront in each setting of its switches
// for the points the probes measure, and checks that each verdict follows the switch.
func TestProbesEmulator(t *testing.T) {
	srv := mariadbtest.StartDestination(t)
	direct := srv.DB(t, "")
	no := capability.No
	// Always, by the documentation: no CHARACTER SET, ESCAPED BY or SET in LOAD DATA, and a
	// duplicate key is dropped.
	documented := map[string]capability.Answer{
		capability.LoadDataCharacterSet: no, capability.LoadDataEscapedBy: no, capability.LoadDataSet: no,
		capability.InsertDuplicateFails: no,
	}
	with := func(extra map[string]capability.Answer) map[string]capability.Answer {
		m := map[string]capability.Answer{}
		for k, v := range documented {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name     string
		sw       adbfront.Switches
		want     map[string]capability.Answer
		wantKill string
	}{
		{"emulator transactions=error locking-reads=error utf8mb4=keep mysql-kill=refuse (defaults)", adbfront.Switches{},
			with(map[string]capability.Answer{capability.Transactions: no, capability.LockingReadsParse: no, capability.LockingReadsBlock: no}), "KILL PROCESS"},
		{"emulator transactions=noop locking-reads=strip", adbfront.Switches{Transactions: "noop", LockingReads: "strip"},
			with(map[string]capability.Answer{capability.Transactions: no, capability.LockingReadsBlock: no}), "KILL PROCESS"},
		{"emulator transactions=noop locking-reads=error", adbfront.Switches{Transactions: "noop"},
			with(map[string]capability.Answer{capability.Transactions: no, capability.LockingReadsParse: no, capability.LockingReadsBlock: no}), "KILL PROCESS"},
		{"emulator transactions=error locking-reads=strip", adbfront.Switches{LockingReads: "strip"},
			with(map[string]capability.Answer{capability.Transactions: no, capability.LockingReadsBlock: no}), "KILL PROCESS"},
		{"emulator utf8mb4=refuse", adbfront.Switches{FourByteUTF8: "refuse"},
			with(map[string]capability.Answer{capability.Transactions: no, capability.LockingReadsParse: no, capability.LockingReadsBlock: no, capability.FourByteUTF8: no}), "KILL PROCESS"},
		{"emulator mysql-kill=allow", adbfront.Switches{MySQLKill: "allow"},
			with(map[string]capability.Answer{capability.Transactions: no, capability.LockingReadsParse: no, capability.LockingReadsBlock: no}), "KILL CONNECTION, KILL, KILL PROCESS"},
	}
	for _, c := range cases {
		f, err := adbfront.Start(context.Background(), adbfront.Config{Listen: "127.0.0.1:0", Upstream: srv.Addr(), AdminDSN: srv.DSN(""), Switches: c.sw})
		if err != nil {
			t.Fatalf("starting the front (%s): %v", c.name, err)
		}
		run(t, c.name, open(t, srv, f.Addr()), direct, c.want, c.wantKill)
		_ = f.Close()
	}
}
