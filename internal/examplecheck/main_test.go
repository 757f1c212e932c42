package examplecheck_test

import (
	"os"
	"testing"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
)

// The package's server tests share one MariaDB pair (mariadbtest.SharedPair), emptied
// between tests; each starts its runner after taking the pair, so the runner is stopped
// before the pair is emptied.
func TestMain(m *testing.M) { os.Exit(mariadbtest.RunShared(m)) }
