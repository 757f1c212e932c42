// Package testtier marks the tests that need servers, so that the fast tier (make test-unit,
// go test -short) leaves them out and says so.
//
// The harnesses that start servers (internal/mariadbtest, internal/etcdtest,
// internal/runnertest) call RequireServers first; a test that needs a server of another kind,
// or an external program that is slow to build or run, calls it itself. Under -short the test
// is skipped with SkipMessage, which scripts/test-unit.sh counts as "left to make test", never
// as passed. Without -short nothing changes: make test runs every test, and scripts/test.sh
// still fails the run on any skip.
package testtier

import "testing"

// SkipMessage is what a server test logs when -short leaves it out. scripts/test-unit.sh
// reads it: keep the two in step.
const SkipMessage = "needs servers: left out of make test-unit (go test -short); make test runs it"

// RequireServers skips t under go test -short and does nothing otherwise. Call it before
// anything that starts a server or an external program.
func RequireServers(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip(SkipMessage)
	}
}
