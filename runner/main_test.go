package main

import (
	"os"
	"testing"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
)

// The package's server tests share one MariaDB pair (mariadbtest.SharedPair), emptied
// between tests; those that stop, pause or reconfigure a server start their own.
func TestMain(m *testing.M) { os.Exit(mariadbtest.RunShared(m)) }
