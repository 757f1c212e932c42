// Package mariadbtest starts throwaway MariaDB servers for tests.
//
// Every server is started by scripts/mariadb.sh, the same script the
// Makefile uses, so there is exactly one implementation of the start/stop
// logic. The package may be used from the tests of any package in this
// module. StartSource and StartDestination need no TestMain; SharedPair
// needs RunShared in the package's TestMain (see shared.go).
//
// Contracts:
//   - A test that asks for a server either gets a running one or fails
//     (t.Fatal). If mariadbd is not installed the test fails and says to run
//     scripts/install-mariadb.sh or make test. The one skip is under
//     go test -short (make test-unit), before anything starts: see
//     internal/testtier.
//   - Each server has its own data directory under os.TempDir() (kept short,
//     because the Unix socket path inside it is limited to about 107 bytes),
//     its own free loopback port, and a user with a random password that has
//     ALL PRIVILEGES ON *.* WITH GRANT OPTION.
//   - The server is stopped and its directory removed by t.Cleanup. Should the
//     test binary die without running its cleanups (for example on a
//     go test -timeout panic), a watchdog started by the script stops the
//     server and removes its directory once the test process has exited. No
//     mariadbd is left behind.
package mariadbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/testtier"
)

const (
	// RoleSource is a server with a binary log in ROW format with FULL row
	// images and GTID strict mode: something a migration can read changes from.
	RoleSource = "source"
	// RoleDestination is a server without a binary log.
	RoleDestination = "destination"

	// defaultUser is the name of the non-root account created on every server.
	defaultUser = "adbm"

	// startAttempts is how often a start is tried with a fresh port when the
	// port turns out to be taken (another process grabbed it between our
	// probe and the server's bind).
	startAttempts = 3
	// exitPortInUse is the exit status of scripts/mariadb.sh start when the
	// port is already in use.
	exitPortInUse = 3
	// scriptTimeout bounds a single run of scripts/mariadb.sh. The script
	// itself gives up after 30 s of waiting for a start and 20 s (plus 5 s
	// after KILL) for a stop.
	scriptTimeout = 2 * time.Minute
)

// Server is one throwaway MariaDB server started by scripts/mariadb.sh.
type Server struct {
	Role     string // "source" or "destination"
	Dir      string
	Host     string // always "127.0.0.1"
	Port     int
	User     string
	Password string

	script string // absolute path of scripts/mariadb.sh

	mu      sync.Mutex
	running bool
}

// StartSource starts a server with a binary log (ROW format, FULL row image,
// GTID strict mode, log_slave_updates) and returns it running. The server is
// stopped and its directory removed when t's cleanups run.
func StartSource(t testing.TB) *Server {
	t.Helper()
	return start(t, RoleSource)
}

// StartDestination starts a server without a binary log and returns it
// running. The server is stopped and its directory removed when t's cleanups
// run.
func StartDestination(t testing.TB) *Server {
	t.Helper()
	return start(t, RoleDestination)
}

func start(t testing.TB, role string) *Server {
	t.Helper()
	testtier.RequireServers(t)
	requireMariaDB(t)
	s, err := newServer(role)
	if err != nil {
		t.Fatalf("mariadbtest: %v", err)
	}
	// Registered before the first start so that a half-started server is
	// cleaned up too.
	t.Cleanup(func() {
		if err := s.remove(); err != nil {
			t.Errorf("mariadbtest: cleanup: %v", err)
		}
	})
	if err := s.startFresh(t.Logf); err != nil {
		t.Fatalf("mariadbtest: %v", err)
	}
	return s
}

// newServer prepares a Server of role with its own directory and password;
// nothing is started yet.
func newServer(role string) (*Server, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	script := filepath.Join(root, "scripts", "mariadb.sh")
	if _, err := os.Stat(script); err != nil {
		return nil, fmt.Errorf("locating the start script: %w", err)
	}
	password, err := randomPassword()
	if err != nil {
		return nil, err
	}
	// Not t.TempDir(): its paths can exceed the Unix socket path limit.
	dir, err := os.MkdirTemp("", "adbm-")
	if err != nil {
		return nil, fmt.Errorf("creating the server directory: %w", err)
	}
	return &Server{
		Role:     role,
		Dir:      dir,
		Host:     "127.0.0.1",
		User:     defaultUser,
		Password: password,
		script:   script,
	}, nil
}

// startFresh starts s on a free port, trying another port when the chosen one
// was taken in the meantime. logf reports the retries.
func (s *Server) startFresh(logf func(format string, args ...any)) error {
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return err
		}
		s.Port = port
		out, err := s.startScript()
		if err == nil {
			return nil
		}
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) && exitErr.ExitCode() == exitPortInUse && attempt < startAttempts {
			logf("mariadbtest: port %d was taken, retrying with another port", port)
			continue
		}
		return fmt.Errorf("starting %s server in %s on port %d (attempt %d): %w\n%s",
			s.Role, s.Dir, port, attempt, err, out)
	}
}

// remove stops s and removes its directory. When the stop fails the
// directory is kept: it holds err.log, and the server may still be running
// from it.
func (s *Server) remove() error {
	if err := s.stop(); err != nil {
		return err
	}
	if err := os.RemoveAll(s.Dir); err != nil {
		return fmt.Errorf("removing %s: %w", s.Dir, err)
	}
	return nil
}

// Start starts the server again on the same Dir and Port, with the same
// user and password, for restart tests. Data written before a Stop is still
// there. Starting a running server is a no-op. It calls t.Fatal on failure.
func (s *Server) Start(t testing.TB) {
	t.Helper()
	if out, err := s.startScript(); err != nil {
		t.Fatalf("mariadbtest: restarting %s server in %s on port %d: %v\n%s",
			s.Role, s.Dir, s.Port, err, out)
	}
}

// Stop stops the server and waits until its process has exited (TERM, then
// KILL after 20 s). Stopping a stopped server is a no-op, so Stop may be
// called any number of times; the cleanup registered by StartSource or
// StartDestination calls it too. It calls t.Fatal on failure.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	if err := s.stop(); err != nil {
		t.Fatalf("mariadbtest: %v", err)
	}
}

// Addr returns the server's TCP address, "127.0.0.1:PORT".
func (s *Server) Addr() string {
	return net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
}

// DSN returns a go-sql-driver/mysql DSN that connects as User with Password
// over TCP to database (no default database if empty), with charset utf8mb4,
// loc UTC, a 5 s dial timeout, parseTime=false, multiStatements=false,
// interpolateParams=true and allowAllFiles=false.
func (s *Server) DSN(database string) string {
	cfg := mysql.NewConfig()
	cfg.User = s.User
	cfg.Passwd = s.Password
	cfg.Net = "tcp"
	cfg.Addr = s.Addr()
	cfg.DBName = database
	cfg.Loc = time.UTC
	cfg.Timeout = 5 * time.Second
	cfg.ParseTime = false
	cfg.MultiStatements = false
	cfg.InterpolateParams = true
	cfg.AllowAllFiles = false
	// Charset never fails; it only records the connection charset.
	_ = cfg.Apply(mysql.Charset("utf8mb4", ""))
	return cfg.FormatDSN()
}

// DB opens a connection pool with DSN(database), checks that the server
// answers, and closes the pool when t's cleanups run (before the server is
// stopped, since cleanups run last-registered first). It calls t.Fatal on
// failure.
func (s *Server) DB(t testing.TB, database string) *sql.DB {
	t.Helper()
	db, err := s.open(database)
	if err != nil {
		t.Fatalf("mariadbtest: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// Exec runs each statement in order as User with no default database, on one
// connection (so session settings carry over from one statement to the
// next). It calls t.Fatal naming the statement if one fails.
func (s *Server) Exec(t testing.TB, stmts ...string) {
	t.Helper()
	db, err := s.open("")
	if err != nil {
		t.Fatalf("mariadbtest: %v", err)
	}
	defer func() { _ = db.Close() }()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatalf("mariadbtest: connecting to %s server on %s: %v", s.Role, s.Addr(), err)
	}
	defer func() { _ = conn.Close() }()
	for _, stmt := range stmts {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("mariadbtest: executing %q on %s server %s: %v", stmt, s.Role, s.Addr(), err)
		}
	}
}

func (s *Server) open(database string) (*sql.DB, error) {
	db, err := sql.Open("mysql", s.DSN(database))
	if err != nil {
		return nil, fmt.Errorf("opening %s server on %s: %w", s.Role, s.Addr(), err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("connecting to %s server on %s as %s: %w", s.Role, s.Addr(), s.User, err)
	}
	return db, nil
}

// startScript runs "scripts/mariadb.sh start" for s and returns its output.
func (s *Server) startScript() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out, err := s.runScript("start", s.Dir, strconv.Itoa(s.Port), s.Role, s.User, s.Password)
	if err == nil {
		s.running = true
	}
	return out, err
}

// stop runs "scripts/mariadb.sh stop" unless the server is known to be
// stopped.
func (s *Server) stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running {
		// Nothing started by us; the script is still cheap and harmless
		// after a failed start, where a process may be half up.
		if _, err := os.Stat(filepath.Join(s.Dir, "s.pid")); err != nil {
			return nil
		}
	}
	if out, err := s.runScript("stop", s.Dir); err != nil {
		return fmt.Errorf("stopping %s server in %s: %w\n%s", s.Role, s.Dir, err, out)
	}
	s.running = false
	return nil
}

func (s *Server) runScript(args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", append([]string{s.script}, args...)...)
	// The script starts a watchdog that stops the server and removes its
	// directory once this process is gone, in case the test binary dies
	// without running its cleanups.
	cmd.Env = append(os.Environ(),
		"ADBM_OWNER_PID="+strconv.Itoa(os.Getpid()),
		"ADBM_OWNER_REMOVE_DIR=1")
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("scripts/mariadb.sh %s: %w", args[0], err)
	}
	return out, nil
}

// requireMariaDB fails the test, rather than skipping it, if mariadbd is not
// installed.
func requireMariaDB(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("mariadbd"); err == nil {
		return
	}
	if _, err := os.Stat("/usr/sbin/mariadbd"); err == nil {
		return
	}
	t.Fatal("mariadbtest: mariadbd not found on PATH or in /usr/sbin; " +
		"run scripts/install-mariadb.sh (or make test, which does) to install MariaDB")
}

// repoRoot walks up from the working directory to the directory that holds
// go.mod.
func repoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding the repository root: %w", err)
	}
	for dir := wd; ; {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("finding the repository root: no go.mod in %s or any parent", wd)
		}
		dir = parent
	}
}

// freePort returns a TCP port that was free on 127.0.0.1 a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	addr, ok := l.Addr().(*net.TCPAddr)
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("finding a free port: closing the probe listener: %w", err)
	}
	if !ok {
		return 0, fmt.Errorf("finding a free port: unexpected listener address %v", l.Addr())
	}
	return addr.Port, nil
}

func randomPassword() (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generating a password: %w", err)
	}
	return hex.EncodeToString(b), nil
}
