package verify

import (
	"os"
	"testing"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
)

// The package's server tests share one MariaDB pair (mariadbtest.SharedPair), emptied
// between tests.
func TestMain(m *testing.M) { os.Exit(mariadbtest.RunShared(m)) }
