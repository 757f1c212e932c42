package dialect

import (
	"slices"
	"testing"
)

// A 5.7 or MariaDB object's NO_AUTO_CREATE_USER, which MySQL 8 refuses, is dropped for a
// MySQL destination, and MySQL 8's TIME_TRUNCATE_FRACTIONAL for a MariaDB one.
func TestSQLModeFor(t *testing.T) {
	for _, c := range []struct {
		mode    string
		dest    DatabaseType
		kept    string
		dropped []string
	}{
		{"STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION", MySQL,
			"STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION", []string{"NO_AUTO_CREATE_USER"}},
		{"STRICT_TRANS_TABLES,ORACLE,SIMULTANEOUS_ASSIGNMENT", MySQL, "STRICT_TRANS_TABLES", []string{"ORACLE", "SIMULTANEOUS_ASSIGNMENT"}},
		{"NO_AUTO_CREATE_USER,STRICT_ALL_TABLES", MariaDB, "NO_AUTO_CREATE_USER,STRICT_ALL_TABLES", nil},
		{"ONLY_FULL_GROUP_BY,TIME_TRUNCATE_FRACTIONAL", MariaDB, "ONLY_FULL_GROUP_BY", []string{"TIME_TRUNCATE_FRACTIONAL"}},
		{"", MySQL, "", nil},
	} {
		kept, dropped := SQLModeFor(c.mode, c.dest)
		if kept != c.kept || !slices.Equal(dropped, c.dropped) {
			t.Errorf("SQLModeFor(%q, %s) = %q, %q; want %q, %q", c.mode, c.dest, kept, dropped, c.kept, c.dropped)
		}
	}
}
