package binlog

import "testing"

// MySQL 8.4 removed SHOW MASTER STATUS; SHOW BINARY LOG STATUS exists from 8.2 on, and
// MariaDB keeps the old statement.
func TestStatusStatement(t *testing.T) {
	for version, want := range map[string]string{
		"8.4.3":                       "SHOW BINARY LOG STATUS",
		"8.2.0":                       "SHOW BINARY LOG STATUS",
		"9.1.0":                       "SHOW BINARY LOG STATUS",
		"8.0.39-0ubuntu0.22.04.1-log": "SHOW MASTER STATUS",
		"5.7.44-log":                  "SHOW MASTER STATUS",
		"10.11.6-MariaDB-0+deb12u1":   "SHOW MASTER STATUS",
		"11.4.2-MariaDB":              "SHOW MASTER STATUS",
	} {
		if got := StatusStatement(version); got != want {
			t.Errorf("StatusStatement(%q) = %q, want %q", version, got, want)
		}
	}
}
