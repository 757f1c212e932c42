// The SQL modes a schema object is created in on the destination.

package dialect

import "strings"

// mysql8Modes are the SQL modes MySQL 8.0 and 8.4 know ("Server SQL Modes" in the MySQL 8.0
// reference manual: the full list, and the modes removed in 8.0: DB2, MAXDB, MSSQL,
// MYSQL323, MYSQL40, ORACLE, POSTGRESQL, NO_AUTO_CREATE_USER, NO_FIELD_OPTIONS,
// NO_KEY_OPTIONS, NO_TABLE_OPTIONS). Setting any other fails the SET with error 1231.
var mysql8Modes = map[string]bool{
	"ALLOW_INVALID_DATES": true, "ANSI_QUOTES": true, "ERROR_FOR_DIVISION_BY_ZERO": true, "HIGH_NOT_PRECEDENCE": true,
	"IGNORE_SPACE": true, "NO_AUTO_VALUE_ON_ZERO": true, "NO_BACKSLASH_ESCAPES": true, "NO_DIR_IN_CREATE": true,
	"NO_ENGINE_SUBSTITUTION": true, "NO_UNSIGNED_SUBTRACTION": true, "NO_ZERO_DATE": true, "NO_ZERO_IN_DATE": true,
	"ONLY_FULL_GROUP_BY": true, "PAD_CHAR_TO_FULL_LENGTH": true, "PIPES_AS_CONCAT": true, "REAL_AS_FLOAT": true,
	"STRICT_ALL_TABLES": true, "STRICT_TRANS_TABLES": true, "TIME_TRUNCATE_FRACTIONAL": true,
	"ANSI": true, "TRADITIONAL": true,
}

// mysqlOnlyModes are modes of MySQL 8 that MariaDB does not know ("SQL_MODE" in the MariaDB
// knowledge base): TIME_TRUNCATE_FRACTIONAL is MariaDB's behaviour without any mode.
var mysqlOnlyModes = map[string]bool{"TIME_TRUNCATE_FRACTIONAL": true}

// SQLModeFor returns, of a schema object's sql_mode as the source recorded it, the modes the
// destination knows, and those it drops. A MySQL destination would refuse the whole SET for
// one unknown mode, such as NO_AUTO_CREATE_USER of a 5.7 or MariaDB object, and the object
// would not be created. The modes dropped change nothing an object's body does:
// NO_AUTO_CREATE_USER is about GRANT, the removed compatibility modes about SHOW output,
// and TIME_TRUNCATE_FRACTIONAL is what MariaDB does anyway.
func SQLModeFor(mode string, dest DatabaseType) (kept string, dropped []string) {
	var out []string
	for _, m := range strings.Split(mode, ",") {
		m = strings.TrimSpace(m)
		if m == "" {
			continue
		}
		upper := strings.ToUpper(m)
		switch {
		case dest == MySQL && !mysql8Modes[upper], dest == MariaDB && mysqlOnlyModes[upper]:
			dropped = append(dropped, upper)
		default:
			out = append(out, m)
		}
	}
	return strings.Join(out, ","), dropped
}
