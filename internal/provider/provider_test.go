package provider

import (
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/runnertest"
)

// The acceptance tests share one MariaDB pair (mariadbtest.SharedPair), emptied between
// tests; those that stop the source or change its global variables or password start their
// own servers (newAccEnvOwnServers).
func TestMain(m *testing.M) { os.Exit(mariadbtest.RunShared(m)) }

var protoV6Factories = map[string]func() (tfprotov6.ProviderServer, error){
	"adbmigrate": providerserver.NewProtocol6WithError(New("test")()),
}

// accEnv is what an acceptance test runs against: two real MariaDB servers and a real
// runner process, with the provider pointed at the runner through its environment variables.
type accEnv struct {
	src, dst *mariadbtest.Server
	runner   *runnertest.Runner
}

func newAccEnv(t *testing.T) *accEnv {
	t.Helper()
	return newAccEnvWith(t, runnertest.Options{})
}

// newAccEnvWith is newAccEnv with the runner started with opts. The servers are the
// package's shared pair (mariadbtest.SharedPair), emptied before and after the test; the
// runner is the test's own, started after the pair and so stopped before it is emptied.
func newAccEnvWith(t *testing.T, opts runnertest.Options) *accEnv {
	t.Helper()
	return startAccEnv(t, opts, mariadbtest.SharedPair)
}

// newAccEnvOwnServers is newAccEnvWith on servers of the test's own, for a test that stops
// the source or changes what the shared pair must keep: a global variable or the test
// user's password.
func newAccEnvOwnServers(t *testing.T, opts runnertest.Options) *accEnv {
	t.Helper()
	return startAccEnv(t, opts, func(t testing.TB) (src, dst *mariadbtest.Server) {
		return mariadbtest.StartSource(t), mariadbtest.StartDestination(t)
	})
}

// startAccEnv starts the runner after servers gives the source and destination.
func startAccEnv(t *testing.T, opts runnertest.Options, servers func(testing.TB) (src, dst *mariadbtest.Server)) *accEnv {
	t.Helper()
	if _, err := exec.LookPath("terraform"); err != nil {
		t.Fatal("terraform is not on PATH: acceptance tests need the terraform CLI (>= 1.11); install it and run again")
	}
	e := &accEnv{}
	e.src, e.dst = servers(t)
	e.runner = runnertest.StartWith(t, opts)
	t.Setenv("ADBMIGRATE_ENDPOINT", e.runner.Endpoint)
	t.Setenv("ADBMIGRATE_TOKEN", e.runner.Token)
	return e
}

// connectionsHCL declares the source (write-only password) and destination (sensitive
// password) connections.
func (e *accEnv) connectionsHCL() string { return e.connectionsHCLWith("") }

// connectionsHCLWith is connectionsHCL with destinationExtra in the destination connection.
func (e *accEnv) connectionsHCLWith(destinationExtra string) string {
	return fmt.Sprintf(`
resource "adbmigrate_connection" "source" {
  name                = "source"
  database_type       = "mariadb"
  host                = %q
  port                = %d
  username            = %q
  password_wo         = %q
  password_wo_version = 1
}

resource "adbmigrate_connection" "destination" {
  name          = "destination"
  database_type = "mariadb"
  host          = %q
  port          = %d
  username      = %q
  password      = %q
  %s
}
`, e.src.Host, e.src.Port, e.src.User, e.src.Password, e.dst.Host, e.dst.Port, e.dst.User, e.dst.Password, destinationExtra)
}

// sameRows is a check that compares an ordered query on both servers, independently of
// the provider and the runner.
func (e *accEnv) sameRows(t *testing.T, srcQuery, dstQuery string) func() error {
	return func() error {
		sn, ss := mariadbtest.Digest(t, e.db(t, e.src), srcQuery)
		dn, ds := mariadbtest.Digest(t, e.db(t, e.dst), dstQuery)
		if sn != dn || ss != ds {
			return fmt.Errorf("destination differs from source: %q gave %d rows (%s), %q gave %d rows (%s)", srcQuery, sn, ss, dstQuery, dn, ds)
		}
		if sn == 0 {
			return fmt.Errorf("%q returned no rows: the test data is missing", srcQuery)
		}
		return nil
	}
}

// eventually retries check until it passes or a minute has gone, for what incremental
// migration brings to the destination after apply returned.
func (e *accEnv) eventually(check func() error) func(*terraform.State) error {
	return func(*terraform.State) error {
		deadline := time.Now().Add(time.Minute)
		for {
			err := check()
			if err == nil || time.Now().After(deadline) {
				return err
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
}

func (e *accEnv) db(t *testing.T, s *mariadbtest.Server) *sql.DB { return s.DB(t, "") }
