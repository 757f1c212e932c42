package engine_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/vocab"
)

// roadTables are CREATE TABLE statements, %s standing for the table's name, covering the
// kinds of the type fixture (typeColumns) and what a table definition carries besides its
// types: defaults, comments, keys of every kind, auto_increment and table options. They are
// written as users write them: unquoted names, inline keys, upper-case types.
var roadTables = []string{
	// integers, signed, unsigned and zerofill, with defaults
	"CREATE TABLE %s (id INT PRIMARY KEY, ti TINYINT DEFAULT -1, tiu TINYINT UNSIGNED NOT NULL DEFAULT 255, si SMALLINT, siu SMALLINT UNSIGNED, " +
		"mi MEDIUMINT, miu MEDIUMINT UNSIGNED, i INT DEFAULT 0, iu INT UNSIGNED, bi BIGINT, biu BIGINT UNSIGNED DEFAULT 18446744073709551615, izf INT(8) UNSIGNED ZEROFILL)",
	// decimal, float and double
	"CREATE TABLE %s (id BIGINT NOT NULL, dec65 DECIMAL(65,30), dec0 DECIMAL(65,0) NOT NULL DEFAULT 0, decu DECIMAL(10,2) UNSIGNED DEFAULT 1.50, " +
		"f FLOAT, f73 FLOAT(7,3) DEFAULT 1.5, d DOUBLE NOT NULL DEFAULT 0.25, PRIMARY KEY (id))",
	// character types
	"CREATE TABLE %s (id INT PRIMARY KEY, c CHAR(60), vc VARCHAR(255) NOT NULL DEFAULT 'it''s', tx TEXT, mtx MEDIUMTEXT, ltx LONGTEXT, tt TINYTEXT)",
	// character sets and collations on columns
	"CREATE TABLE %s (id INT PRIMARY KEY, lat VARCHAR(300) CHARACTER SET latin1, lat_c CHAR(10) CHARACTER SET latin1 COLLATE latin1_bin, " +
		"bin VARCHAR(20) COLLATE utf8mb4_bin, asc_t TEXT CHARACTER SET ascii, uni VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci DEFAULT 'x')",
	// binary types
	"CREATE TABLE %s (id INT PRIMARY KEY, bn BINARY(16), vb VARBINARY(300) DEFAULT 'ab', tb TINYBLOB, bl BLOB, mbl MEDIUMBLOB, lbl LONGBLOB)",
	// enum and set
	"CREATE TABLE %s (id INT PRIMARY KEY, en ENUM('', 'a', 'with space', 'x,y', 'quote''s'), en_nn ENUM('small', 'medium', 'large') NOT NULL DEFAULT 'medium', " +
		"st SET('a', 'b', 'c d') DEFAULT 'a,b', lat_en ENUM('é', 'ß') CHARACTER SET latin1)",
	// bit
	"CREATE TABLE %s (id INT PRIMARY KEY, b1 BIT(1) DEFAULT b'1', b10 BIT(10) DEFAULT b'101', b64 BIT(64), b BIT)",
	// dates and times
	"CREATE TABLE %s (id INT PRIMARY KEY, dt DATE DEFAULT '2024-02-29', tm TIME, tm6 TIME(6), dtm DATETIME DEFAULT '2000-01-01 00:00:00', " +
		"dtm6 DATETIME(6) DEFAULT CURRENT_TIMESTAMP(6), ts TIMESTAMP NULL, ts6 TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6), yr YEAR)",
	// json
	"CREATE TABLE %s (id INT PRIMARY KEY, js JSON, js_nn JSON NOT NULL)",
	// generated columns
	"CREATE TABLE %s (id INT PRIMARY KEY, vc VARCHAR(20), bi BIGINT, gv VARCHAR(60) AS (CONCAT(COALESCE(vc, 'null'), '|', COALESCE(CAST(bi AS CHAR), 'null'))) VIRTUAL, " +
		"gs CHAR(32) AS (MD5(vc)) STORED)",
	// defaults of every form
	"CREATE TABLE %s (id INT PRIMARY KEY, n INT DEFAULT NULL, s VARCHAR(10) DEFAULT '', q VARCHAR(20) DEFAULT 'a\\\\b \"c\"', " +
		"neg DECIMAL(5,2) DEFAULT -0.50, dtm DATETIME DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, e DOUBLE DEFAULT 1e10)",
	// comments on columns and on the table
	"CREATE TABLE %s (id INT PRIMARY KEY COMMENT 'the key', v VARCHAR(10) COMMENT 'it''s a \"value\"', w INT COMMENT '') COMMENT = 'table''s comment'",
	// secondary indexes, named and not, on one column and several
	"CREATE TABLE %s (id INT PRIMARY KEY, a INT, b VARCHAR(20), c DATE, KEY (a), KEY ab (a, b), INDEX c_idx (c DESC), KEY (a, c))",
	// unique keys: inline, named, unnamed, several
	"CREATE TABLE %s (id INT PRIMARY KEY, email VARCHAR(100) UNIQUE, code CHAR(8) NOT NULL, x INT, y INT, UNIQUE KEY code_u (code), UNIQUE (x, y), UNIQUE INDEX (y))",
	// prefix indexes
	"CREATE TABLE %s (id INT PRIMARY KEY, v VARCHAR(200), t TEXT, bl BLOB, KEY v10 (v(10)), UNIQUE KEY tv (t(20), v), KEY (bl(16)))",
	// auto_increment with a counter
	"CREATE TABLE %s (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, v INT) AUTO_INCREMENT = 1000",
	// table options
	"CREATE TABLE %s (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE = InnoDB ROW_FORMAT = DYNAMIC DEFAULT CHARSET = latin1 COMMENT 'options'",
	// a table collation other than the default
	"CREATE TABLE %s (id INT PRIMARY KEY, v VARCHAR(20), w TEXT CHARACTER SET utf8mb4) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci",
	// no primary key: a NOT NULL unique key identifies rows
	"CREATE TABLE %s (a INT NOT NULL, b VARCHAR(10) NOT NULL, v INT, UNIQUE KEY ab (a, b), KEY (v))",
	// a composite primary key with a fulltext index and a check constraint
	"CREATE TABLE %s (a INT NOT NULL, b VARCHAR(10) NOT NULL, body TEXT, n INT CHECK (n >= 0), PRIMARY KEY (b, a), FULLTEXT KEY ft (body), " +
		"CONSTRAINT positive CHECK (a > 0))",
}

// TestCreatedTablesSameOnBothRoads creates each of roadTables three times on the source: once
// before the task starts (the schema phase creates it on the destination) and once while
// incremental migration replays the binlog (the applier follows the CREATE TABLE), with a
// third created LIKE the first then, and checks that the destination's definitions of each
// are the same.
func TestCreatedTablesSameOnBothRoads(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	src.Exec(t, "CREATE DATABASE app")
	for n, create := range roadTables {
		src.Exec(t, fmt.Sprintf(create, fmt.Sprintf("app.s%02d", n)))
	}
	drain := make(chan struct{})
	task := fullTask("task-roads", src, dst, engine.Object{Database: "app"})
	task.MigrationTypes = append(task.MigrationTypes, engine.MigrationIncremental)
	task.DDLOperations = []vocab.Operation{vocab.DDLCreateTable}
	task.Drain = drain
	w := newWatch()
	done := make(chan error, 1)
	go func() { done <- engine.Run(context.Background(), task, w.report) }()
	w.wait(t, "incremental migration to catch up", done, func(p engine.Progress) bool {
		return p.Phase == engine.PhaseIncremental && p.CaughtUp
	})
	for n, create := range roadTables {
		src.Exec(t, fmt.Sprintf(create, fmt.Sprintf("app.c%02d", n)),
			fmt.Sprintf("CREATE TABLE app.l%02d LIKE app.s%02d", n, n))
	}
	drainRun(t, drain, done)
	w.mu.Lock()
	notices := w.last.Notices
	w.mu.Unlock()
	if len(notices) > 0 {
		t.Errorf("the run reported DDL it did not apply: %q", notices)
	}

	db := dst.DB(t, "")
	counter := regexp.MustCompile(` AUTO_INCREMENT=\d+`)
	def := func(table string) string {
		t.Helper()
		var name, create string
		if err := db.QueryRow("SHOW CREATE TABLE app."+table).Scan(&name, &create); err != nil {
			t.Fatalf("SHOW CREATE TABLE app.%s on the destination: %v", table, err)
		}
		create = strings.Replace(create, "`"+table+"`", "`T`", 1)
		return counter.ReplaceAllString(create, "")
	}
	for n := range roadTables {
		schemaRoad, cdcRoad, likeRoad := def(fmt.Sprintf("s%02d", n)), def(fmt.Sprintf("c%02d", n)), def(fmt.Sprintf("l%02d", n))
		if schemaRoad != cdcRoad {
			t.Errorf("table %d (%s) differs on the destination:\n  created by the schema phase:\n%s\n  created by incremental migration:\n%s",
				n, roadTables[n], schemaRoad, cdcRoad)
		}
		if schemaRoad != likeRoad {
			t.Errorf("table %d (%s) differs on the destination:\n  created by the schema phase:\n%s\n  created LIKE it during incremental migration:\n%s",
				n, roadTables[n], schemaRoad, likeRoad)
		}
	}
}
