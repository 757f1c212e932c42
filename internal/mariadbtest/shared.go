package mariadbtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/testtier"
)

// A package whose tests share one source and one destination server:
//
//	func TestMain(m *testing.M) { os.Exit(mariadbtest.RunShared(m)) }
//
//	func TestX(t *testing.T) {
//		src, dst := mariadbtest.SharedPair(t)
//		...
//	}
//
// Contracts:
//   - The pair is started by the first SharedPair call (so a run that selects no
//     server test, or -short, starts nothing) and stopped, its directories removed, when
//     RunShared returns. The owner-pid watchdog of scripts/mariadb.sh still stops it if the
//     test binary dies first.
//   - A test holds the pair from SharedPair until its cleanups run; another test that asks
//     for it meanwhile (t.Parallel) waits. A subtest must not ask again: the parent passes
//     its servers down.
//   - Each test starts from empty servers: when it ends, and again before the next test
//     gets the pair, every connection of the test user is killed and every database but
//     the system ones is dropped, on both servers (the engine's checkpoint database with
//     them, so task ids may repeat from test to test). Fixed database names are therefore
//     safe on a shared pair; UniqueName is for names that must differ within one test run.
//   - A test must leave global variables as it found them: a test that changes one
//     (SET GLOBAL), stops, restarts or kills a server, purges or flushes the binary log,
//     or needs a binary log that nobody else wrote to, starts its own servers with
//     StartSource and StartDestination. When a test ends with a global variable changed,
//     the test fails naming the variable.
//   - The binary log of the shared source holds the earlier tests' events; a test that
//     reads it starts from a position it took itself, as the engine does.

// shared is the package's pair; RunShared sets active.
var shared struct {
	mu       sync.Mutex
	active   bool
	started  bool
	startErr error
	src, dst *Server
	// baseline holds each server's global variables right after the start.
	baseline map[*Server]map[string]string
	// holder is the name of the test that holds the pair ("" when free).
	holder string
	// free has one token while nobody holds the pair.
	free chan struct{}
}

// RunShared runs the package's tests with m.Run and then stops the shared pair, if a test
// started it. Call it from TestMain and pass its result to os.Exit. A failure to stop the
// pair turns a passing run into a failing one.
func RunShared(m *testing.M) int {
	shared.mu.Lock()
	shared.active = true
	shared.free = make(chan struct{}, 1)
	shared.free <- struct{}{}
	shared.mu.Unlock()

	code := m.Run()

	shared.mu.Lock()
	defer shared.mu.Unlock()
	shared.active = false
	for _, s := range []*Server{shared.src, shared.dst} {
		if s == nil {
			continue
		}
		if err := s.remove(); err != nil {
			fmt.Fprintf(os.Stderr, "mariadbtest: stopping the shared %s server: %v\n", s.Role, err)
			if code == 0 {
				code = 1
			}
		}
	}
	return code
}

// SharedPair returns the package's shared source and destination servers, started on first
// use, empty, and held by t until t's cleanups run (see the contracts above). It calls
// t.Fatal when TestMain does not call RunShared or the pair cannot be started; under
// go test -short it skips t, as StartSource does.
func SharedPair(t testing.TB) (src, dst *Server) {
	t.Helper()
	testtier.RequireServers(t)
	requireMariaDB(t)
	shared.mu.Lock()
	active, holder := shared.active, shared.holder
	shared.mu.Unlock()
	if !active {
		t.Fatal("mariadbtest: SharedPair needs the package's TestMain to call RunShared, which stops the pair when the tests end: " +
			"func TestMain(m *testing.M) { os.Exit(mariadbtest.RunShared(m)) }")
	}
	if holder != "" && strings.HasPrefix(t.Name(), holder+"/") {
		t.Fatalf("mariadbtest: %s asks for the shared pair that its parent test %s holds; pass the parent's servers down", t.Name(), holder)
	}
	<-shared.free
	shared.mu.Lock()
	shared.holder = t.Name()
	shared.mu.Unlock()
	release := func() {
		shared.mu.Lock()
		shared.holder = ""
		shared.mu.Unlock()
		shared.free <- struct{}{}
	}

	if err := startShared(t); err != nil {
		release()
		t.Fatalf("mariadbtest: starting the shared pair: %v", err)
	}
	src, dst = shared.src, shared.dst
	for _, s := range []*Server{src, dst} {
		if err := s.empty(); err != nil {
			release()
			t.Fatalf("mariadbtest: emptying the shared %s server before %s: %v", s.Role, t.Name(), err)
		}
	}
	t.Cleanup(func() {
		defer release()
		for _, s := range []*Server{src, dst} {
			if err := s.empty(); err != nil {
				t.Errorf("mariadbtest: emptying the shared %s server after %s: %v", s.Role, t.Name(), err)
			}
			changed, err := s.changedGlobals(shared.baseline[s])
			if err != nil {
				t.Errorf("mariadbtest: %v", err)
			} else if len(changed) > 0 {
				t.Errorf("mariadbtest: %s changed global variables of the shared %s server: %s; "+
					"a test that sets global variables starts its own servers with StartSource or StartDestination",
					t.Name(), s.Role, strings.Join(changed, ", "))
			}
		}
	})
	return src, dst
}

// startShared starts the pair once; a failed start fails every later SharedPair call too.
func startShared(t testing.TB) error {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.started {
		return shared.startErr
	}
	shared.started = true
	shared.baseline = map[*Server]map[string]string{}
	for _, role := range []string{RoleSource, RoleDestination} {
		s, err := newServer(role)
		if err != nil {
			shared.startErr = err
			return err
		}
		// Set before the start so that RunShared stops a half-started server too.
		if role == RoleSource {
			shared.src = s
		} else {
			shared.dst = s
		}
		if err := s.startFresh(t.Logf); err != nil {
			shared.startErr = err
			return err
		}
		vars, err := s.globals()
		if err != nil {
			shared.startErr = err
			return err
		}
		shared.baseline[s] = vars
	}
	return nil
}

// systemDatabases are never dropped from a shared server.
var systemDatabases = map[string]bool{
	"information_schema": true, "mysql": true, "performance_schema": true, "sys": true,
}

// empty kills every other connection of s's user and drops every database but the system
// ones.
func (s *Server) empty() error {
	db, err := s.open("")
	if err != nil {
		return err
	}
	defer func() { _ = db.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", s.Addr(), err)
	}
	defer func() { _ = conn.Close() }()
	ids, err := queryStrings(ctx, conn,
		"SELECT id FROM information_schema.processlist WHERE user = ? AND id <> CONNECTION_ID()", s.User)
	if err != nil {
		return err
	}
	for _, id := range ids {
		// The connection may have ended on its own since the listing.
		if _, err := conn.ExecContext(ctx, "KILL CONNECTION "+id); err != nil && !isUnknownThread(err) {
			return fmt.Errorf("killing connection %s left by the test: %w", id, err)
		}
	}
	// A DROP that waits for a lock held by a connection that is not ours fails in 20 s
	// instead of hanging the run.
	if _, err := conn.ExecContext(ctx, "SET SESSION lock_wait_timeout = 20"); err != nil {
		return err
	}
	names, err := queryStrings(ctx, conn, "SHOW DATABASES")
	if err != nil {
		return err
	}
	for _, name := range names {
		if systemDatabases[name] {
			continue
		}
		if _, err := conn.ExecContext(ctx, "DROP DATABASE `"+strings.ReplaceAll(name, "`", "``")+"`"); err != nil {
			return fmt.Errorf("dropping database %s: %w", name, err)
		}
	}
	return nil
}

// volatileGlobals change without a test asking for it: the GTID positions move with every
// write to the source.
func volatileGlobal(name string) bool {
	return strings.HasPrefix(name, "gtid_")
}

// globals reads s's global variables but the volatile ones.
func (s *Server) globals() (map[string]string, error) {
	db, err := s.open("")
	if err != nil {
		return nil, err
	}
	defer func() { _ = db.Close() }()
	rows, err := db.Query("SHOW GLOBAL VARIABLES")
	if err != nil {
		return nil, fmt.Errorf("reading the global variables of the %s server on %s: %w", s.Role, s.Addr(), err)
	}
	defer func() { _ = rows.Close() }()
	vars := map[string]string{}
	for rows.Next() {
		var name string
		var value sql.NullString
		if err := rows.Scan(&name, &value); err != nil {
			return nil, fmt.Errorf("reading the global variables of the %s server on %s: %w", s.Role, s.Addr(), err)
		}
		if !volatileGlobal(name) {
			vars[name] = value.String
		}
	}
	return vars, rows.Err()
}

// changedGlobals names the global variables of s that differ from base, each with its old
// and new value.
func (s *Server) changedGlobals(base map[string]string) ([]string, error) {
	now, err := s.globals()
	if err != nil {
		return nil, err
	}
	var changed []string
	for name, v := range now {
		if old, ok := base[name]; ok && old != v {
			changed = append(changed, fmt.Sprintf("%s (%q, now %q)", name, old, v))
		}
	}
	sort.Strings(changed)
	return changed, nil
}

func queryStrings(ctx context.Context, conn *sql.Conn, query string, args ...any) ([]string, error) {
	rows, err := conn.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", query, err)
	}
	defer func() { _ = rows.Close() }()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("%s: %w", query, err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// isUnknownThread reports MariaDB's ER_NO_SUCH_THREAD (1094).
func isUnknownThread(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == 1094
}

var nameCounter atomic.Int64

// UniqueName returns prefix followed by a number that no earlier call in this test binary
// returned: a fresh database name or task id for tests that must not collide within one run
// (names on a shared pair are dropped between tests anyway). prefix should be a plain
// identifier; the result needs no quoting.
func UniqueName(prefix string) string {
	return fmt.Sprintf("%s_%d", prefix, nameCounter.Add(1))
}
