package cdc

import (
	"maps"
	"testing"
)

// TestPreparse: preparse takes INVISIBLE, SRID and the spatial type out of column
// definitions only, and what is left is read by the parser.
func TestPreparse(t *testing.T) {
	for _, c := range []struct {
		query, want string
		attrs       statementAttrs
	}{
		{"ALTER TABLE t ADD COLUMN c INT INVISIBLE", "ALTER TABLE t ADD COLUMN c INT ", statementAttrs{"c": {Invisible: true}}},
		{"ALTER TABLE `shop`.`t` ADD c INT NOT NULL DEFAULT 0 VISIBLE COMMENT 'INVISIBLE'", "ALTER TABLE `shop`.`t` ADD c INT NOT NULL DEFAULT 0  COMMENT 'INVISIBLE'", statementAttrs{}},
		{"CREATE TABLE t (id INT PRIMARY KEY, g POINT NOT NULL SRID 4326, `invisible` INT, KEY k (id) INVISIBLE)",
			"CREATE TABLE t (id INT PRIMARY KEY, g LONGBLOB NOT NULL , `invisible` INT, KEY k (id) INVISIBLE)", statementAttrs{"g": {Spatial: "POINT", SRID: "4326"}}},
		{"CREATE TABLE t (my_row_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT /*!80023 INVISIBLE */, a INT, PRIMARY KEY (my_row_id))",
			"CREATE TABLE t (my_row_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT , a INT, PRIMARY KEY (my_row_id))", statementAttrs{"my_row_id": {Invisible: true}}},
		{"CREATE TABLE t (g geometry /*!80003 SRID 0 */ -- INVISIBLE\n, h int CHECK (invisible > 0) /* INVISIBLE */ INVISIBLE)",
			"CREATE TABLE t (g LONGBLOB  -- INVISIBLE\n, h int CHECK (invisible > 0) /* INVISIBLE */ )", statementAttrs{"g": {Spatial: "GEOMETRY", SRID: "0"}, "h": {Invisible: true}}},
		{"ALTER TABLE t MODIFY COLUMN a INT INVISIBLE, CHANGE b `c d` POLYGON REF_SYSTEM_ID = 3857, ADD (e INT INVISIBLE, f INT)",
			"ALTER TABLE t MODIFY COLUMN a INT , CHANGE b `c d` LONGBLOB , ADD (e INT , f INT)", statementAttrs{"a": {Invisible: true}, "c d": {Spatial: "POLYGON", SRID: "3857"}, "e": {Invisible: true}}},
		{"ALTER TABLE invisible ADD INDEX i (a) INVISIBLE", "ALTER TABLE invisible ADD INDEX i (a) INVISIBLE", nil},
		{"ALTER TABLE t ALTER COLUMN a SET INVISIBLE", "ALTER TABLE t ALTER COLUMN a SET INVISIBLE", nil},
		{"INSERT INTO t VALUES ('INVISIBLE')", "INSERT INTO t VALUES ('INVISIBLE')", nil},
	} {
		got, attrs := preparse(c.query)
		if got != c.want || !maps.Equal(attrs, c.attrs) && len(attrs)+len(c.attrs) > 0 {
			t.Errorf("preparse(%q)\n = %q, %v\nwant %q, %v", c.query, got, attrs, c.want, c.attrs)
		}
		if _, err := parseDDL(got); err != nil && c.query != "ALTER TABLE t ALTER COLUMN a SET INVISIBLE" {
			t.Errorf("the parser refuses %q: %v", got, err)
		}
	}
}
