package mariadbtest

import (
	"os"
	"testing"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/testtier"
)

func TestMain(m *testing.M) { os.Exit(RunShared(m)) }

// TestSharedPairIsEmptiedBetweenTests: what one test leaves on the shared pair, a database
// and a connection in a transaction holding a lock on it, is gone when the next test gets
// the pair, and both get the same servers.
func TestSharedPairIsEmptiedBetweenTests(t *testing.T) {
	// Here, not only in the subtests: a parent whose subtests all skipped would pass.
	testtier.RequireServers(t)
	var first *Server
	t.Run("writes", func(t *testing.T) {
		src, dst := SharedPair(t)
		first = src
		for _, s := range []*Server{src, dst} {
			s.Exec(t, "CREATE DATABASE left_over", "CREATE TABLE left_over.t (id INT PRIMARY KEY)")
			db := s.DB(t, "")
			tx, err := db.Begin()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Exec("INSERT INTO left_over.t VALUES (1)"); err != nil {
				t.Fatal(err)
			}
			// The transaction stays open: emptying must not wait for it.
		}
	})
	t.Run("finds them empty", func(t *testing.T) {
		src, dst := SharedPair(t)
		if src != first {
			t.Fatalf("second test got source %s, first got %s: the pair is not shared", src.Addr(), first.Addr())
		}
		for _, s := range []*Server{src, dst} {
			var n int
			if err := s.DB(t, "").QueryRow("SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = 'left_over'").Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				t.Errorf("%s: database left_over of the previous test is still there", s.Role)
			}
		}
	})
}

func TestUniqueName(t *testing.T) {
	a, b := UniqueName("db"), UniqueName("db")
	if a == b {
		t.Fatalf("UniqueName returned %q twice", a)
	}
}
