// Package testtier marks the tests that need servers or slow external programs, so that the
// fast tier (make test-unit, go test -short) leaves them out and says so.
//
// The harnesses that start servers (internal/mariadbtest, internal/etcdtest,
// internal/runnertest) call RequireServers first; a test that runs a program that takes
// minutes to build or run (OPA or goreleaser through go run) calls RequireSlowProgram. Under
// -short the test is skipped with a message ending in LeftOut, which scripts/test-unit.sh
// counts as "left to make test", never as passed. Without -short nothing changes: make test
// runs every test, and scripts/test.sh still fails the run on any skip.
package testtier

import "testing"

// LeftOut ends the message of every skip made here. scripts/test-unit.sh reads it: keep the
// two in step.
const LeftOut = "left out of make test-unit (go test -short); make test runs it"

// RequireServers skips t under go test -short and does nothing otherwise. Call it before
// anything that starts a server.
func RequireServers(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs servers: " + LeftOut)
	}
}

// RequireSlowProgram skips t under go test -short and does nothing otherwise; program says
// what t runs, for example "OPA through go run". Call it before running the program.
func RequireSlowProgram(t testing.TB, program string) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs " + program + ", which can take minutes: " + LeftOut)
	}
}
