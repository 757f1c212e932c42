package mariadbtest

import (
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/testtier"
)

// variables reads global server variables through db.
func variables(t *testing.T, db *sql.DB, names ...string) map[string]string {
	t.Helper()
	got := make(map[string]string, len(names))
	for _, name := range names {
		var v sql.NullString
		if err := db.QueryRow("SELECT @@GLOBAL." + name).Scan(&v); err != nil {
			t.Fatalf("reading @@%s: %v", name, err)
		}
		got[name] = v.String
	}
	return got
}

func wantVars(t *testing.T, role string, got, want map[string]string) {
	t.Helper()
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: @@%s = %q, want %q", role, k, got[k], w)
		}
	}
}

func TestSourceAndDestination(t *testing.T) {
	t.Parallel()
	src := StartSource(t)
	dst := StartDestination(t)

	if src.Port == dst.Port || src.Dir == dst.Dir {
		t.Fatalf("servers share port or dir: %+v %+v", src, dst)
	}

	srcDB := src.DB(t, "")
	wantVars(t, "source", variables(t, srcDB,
		"log_bin", "binlog_format", "binlog_row_image", "gtid_strict_mode", "log_slave_updates",
		"server_id", "port", "character_set_server", "collation_server", "local_infile"),
		map[string]string{
			"log_bin":              "1",
			"binlog_format":        "ROW",
			"binlog_row_image":     "FULL",
			"gtid_strict_mode":     "1",
			"log_slave_updates":    "1",
			"server_id":            strconv.Itoa(src.Port),
			"port":                 strconv.Itoa(src.Port),
			"character_set_server": "utf8mb4",
			"collation_server":     "utf8mb4_general_ci",
			"local_infile":         "1",
		})

	dstDB := dst.DB(t, "")
	wantVars(t, "destination", variables(t, dstDB,
		"log_bin", "server_id", "port", "character_set_server"),
		map[string]string{
			"log_bin":              "0",
			"server_id":            strconv.Itoa(dst.Port),
			"port":                 strconv.Itoa(dst.Port),
			"character_set_server": "utf8mb4",
		})

	for _, s := range []*Server{src, dst} {
		t.Run(s.Role, func(t *testing.T) {
			// Connected over TCP as the non-root account with its password.
			var user string
			if err := s.DB(t, "").QueryRow("SELECT CURRENT_USER()").Scan(&user); err != nil {
				t.Fatalf("CURRENT_USER(): %v", err)
			}
			if want := s.User + "@%"; user != want {
				t.Errorf("CURRENT_USER() = %q, want %q", user, want)
			}

			s.Exec(t,
				"CREATE DATABASE harness",
				"CREATE TABLE harness.t (id INT PRIMARY KEY, v VARCHAR(20))",
				"INSERT INTO harness.t VALUES (1, 'é'), (2, '😀')",
			)
			db := s.DB(t, "harness")
			var n int
			var v string
			if err := db.QueryRow("SELECT COUNT(*), MAX(v) FROM t").Scan(&n, &v); err != nil {
				t.Fatalf("counting rows: %v", err)
			}
			if n != 2 || v != "😀" {
				t.Errorf("got %d rows, max %q; want 2 rows, max %q", n, v, "😀")
			}

			// A wrong password is refused.
			bad := &Server{Role: s.Role, Host: s.Host, Port: s.Port, User: s.User, Password: s.Password + "x"}
			_, err := bad.open("")
			var myErr *mysql.MySQLError
			if !errors.As(err, &myErr) || myErr.Number != 1045 {
				t.Errorf("wrong password: got error %v, want MySQL error 1045 (access denied)", err)
			}
		})
	}

	// Exec names the failing statement; checked on a fake TB so the failure
	// does not fail this test.
	ft := &fatalTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		dst.Exec(ft, "SELECT 1", "THIS IS NOT SQL")
	}()
	<-done
	if !strings.Contains(ft.msg, "THIS IS NOT SQL") {
		t.Errorf("Exec failure message %q does not name the statement", ft.msg)
	}
}

// fatalTB records the message of Fatalf and ends the goroutine, like
// testing.T does.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = strings.TrimSpace(fmt.Sprintf(format, args...))
	runtime.Goexit()
}

func TestStopStartKeepsData(t *testing.T) {
	// Here, not only in the subtest: a parent whose only subtest skipped would pass.
	testtier.RequireServers(t)
	t.Parallel()
	var pid int
	var dir string
	t.Run("restart", func(t *testing.T) {
		pid, dir = testRestart(t)
	})
	// The cleanup registered by StartSource ran at the end of the subtest: it
	// must have stopped the restarted server and removed its directory.
	if pid == 0 {
		return // the subtest failed before the server was up
	}
	if processAlive(pid) {
		t.Errorf("mariadbd %d still running after cleanup", pid)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("server directory %s not removed: %v", dir, err)
	}
}

// testRestart stops and restarts a source and returns the restarted server's
// pid and directory.
func testRestart(t *testing.T) (int, string) {
	src := StartSource(t)
	src.Exec(t,
		"CREATE DATABASE r",
		"CREATE TABLE r.t (id INT PRIMARY KEY)",
		"INSERT INTO r.t VALUES (1), (2), (3)",
	)

	pid := serverPID(t, src)
	src.Stop(t)
	src.Stop(t) // idempotent
	if processAlive(pid) {
		t.Fatalf("mariadbd %d still running after Stop", pid)
	}
	if c, err := net.DialTimeout("tcp", src.Addr(), time.Second); err == nil {
		_ = c.Close()
		t.Fatalf("%s still accepts connections after Stop", src.Addr())
	}

	src.Start(t)
	src.Start(t) // starting a running server is a no-op
	var n int
	if err := src.DB(t, "r").QueryRow("SELECT COUNT(*) FROM t").Scan(&n); err != nil {
		t.Fatalf("counting rows after restart: %v", err)
	}
	if n != 3 {
		t.Errorf("after restart: %d rows, want 3", n)
	}
	wantVars(t, "source", variables(t, src.DB(t, ""), "log_bin", "binlog_format"),
		map[string]string{"log_bin": "1", "binlog_format": "ROW"})

	return serverPID(t, src), src.Dir
}

func TestDSN(t *testing.T) {
	s := &Server{Role: RoleSource, Host: "127.0.0.1", Port: 33061, User: "u", Password: "p@ss:/w"}
	cfg, err := mysql.ParseDSN(s.DSN("db1"))
	if err != nil {
		t.Fatalf("ParseDSN(%q): %v", s.DSN("db1"), err)
	}
	if cfg.User != "u" || cfg.Passwd != "p@ss:/w" || cfg.Net != "tcp" || cfg.Addr != "127.0.0.1:33061" || cfg.DBName != "db1" {
		t.Errorf("DSN fields: %+v", cfg)
	}
	if cfg.ParseTime || cfg.MultiStatements || !cfg.InterpolateParams || cfg.AllowAllFiles ||
		cfg.Loc != time.UTC || cfg.Timeout != 5*time.Second {
		t.Errorf("DSN options: %+v", cfg)
	}
	if !strings.Contains(s.DSN(""), "charset=utf8mb4") {
		t.Errorf("DSN %q lacks charset=utf8mb4", s.DSN(""))
	}
}

func serverPID(t *testing.T, s *Server) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(s.Dir, "s.pid"))
	if err != nil {
		t.Fatalf("reading pid file: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("parsing pid file: %v", err)
	}
	return pid
}

// processAlive reports whether pid exists and is not a zombie (a stopped
// server may linger as a zombie until PID 1 reaps it).
func processAlive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(stat)
	i := strings.LastIndex(s, ") ")
	return i < 0 || !strings.HasPrefix(s[i+2:], "Z")
}
