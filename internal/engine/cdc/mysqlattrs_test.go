package cdc

import (
	"encoding/binary"
	"log/slog"
	"maps"
	"math"
	"strings"
	"testing"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dbconn"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/schema"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/tablemap"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
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

// binlogColumn is a column of a table map built by attrsTableMap: its type, metadata and
// whether it is nullable.
type binlogColumn struct {
	typ      byte
	meta     []byte
	nullable bool
}

func attrsTableMap(id uint32, db, table string, cols ...binlogColumn) []byte {
	body := binary.LittleEndian.AppendUint32(nil, id)
	body = binary.LittleEndian.AppendUint16(body, 0)
	body = binary.LittleEndian.AppendUint16(body, 1)
	body = append(append(append(body, byte(len(db))), db...), 0)
	body = append(append(append(body, byte(len(table))), table...), 0)
	body = append(body, byte(len(cols)))
	var meta []byte
	var nulls byte
	for i, c := range cols {
		body = append(body, c.typ)
		meta = append(meta, c.meta...)
		if c.nullable {
			nulls |= 1 << i
		}
	}
	body = append(append(body, byte(len(meta))), meta...)
	return append(body, nulls)
}

// attrsWriteRows is a v2 WRITE_ROWS event of table id with n columns, every one present;
// each image is the null bitmap and the values, encoded.
func attrsWriteRows(id uint32, n int, images ...[]byte) []byte {
	body := binary.LittleEndian.AppendUint32(nil, id)
	body = binary.LittleEndian.AppendUint16(body, 0)
	body = binary.LittleEndian.AppendUint16(body, 1)
	body = binary.LittleEndian.AppendUint16(body, 2)
	body = append(body, byte(n), byte(1<<n-1))
	for _, im := range images {
		body = append(body, im...)
	}
	return body
}

// TestMySQLColumnAttributesFollowed: MySQL DDL with INVISIBLE, SRID and a GIPK table's
// invisible my_row_id, written into a MySQL binlog and handed to the applier as Run does,
// is followed onto a real MariaDB destination (INVISIBLE kept, SRID as REF_SYSTEM_ID),
// and the rows written after each DDL, which carry the invisible columns, land in them.
// Before preparse each of these statements failed the run (ErrSchemaChange).
func TestMySQLColumnAttributesFollowed(t *testing.T) {
	server := mariadbtest.StartDestination(t)
	server.Exec(t, "CREATE DATABASE dw", "CREATE TABLE dw.items (id INT PRIMARY KEY)")
	db := server.DB(t, "")
	items := &Table{Table: tablemap.Table{SourceDatabase: "shop", SourceTable: "items", DestDatabase: "dw", DestTable: "items"},
		Columns: []schema.Column{{Name: "id", DataType: "int"}}, Dest: map[string]string{"id": "id"}, Key: []string{"id"}}
	cfg := Config{TaskID: "attrs", Source: dbconn.Endpoint{Type: dbconn.TypeMySQL}, Dialect: mariadb(t), Tables: []*Table{items},
		Databases: []Database{{SourceDatabase: "shop", DestDatabase: "dw"}}}
	f := newMySQLFixture(t, server, db)
	f.a.cfg = cfg
	f.a.cfg.Log = slog.New(slog.DiscardHandler)
	f.a.tables = map[string]*Table{"shop.items": items}
	if err := items.replan(cfg.Dialect); err != nil {
		t.Fatal(err)
	}

	long := binlogColumn{typ: mysql.MYSQL_TYPE_LONG}
	// POINT(1 2) in SRID 4326 as the server stores it: the SRID, then WKB.
	point := binary.LittleEndian.AppendUint32(nil, 4326)
	point = append(point, 1, 1, 0, 0, 0)
	point = binary.LittleEndian.AppendUint64(point, math.Float64bits(1))
	point = binary.LittleEndian.AppendUint64(point, math.Float64bits(2))
	int32s := func(vs ...int32) []byte {
		b := []byte{0}
		for _, v := range vs {
			b = binary.LittleEndian.AppendUint32(b, uint32(v))
		}
		return b
	}
	b := newMySQLBinlog()
	txn := func(id uint32, table string, cols []binlogColumn, images ...[]byte) {
		b.add(replication.QUERY_EVENT, queryBody("shop", "BEGIN"))
		b.add(replication.TABLE_MAP_EVENT, attrsTableMap(id, "shop", table, cols...))
		b.add(replication.WRITE_ROWS_EVENTv2, attrsWriteRows(id, len(cols), images...))
		b.add(replication.XID_EVENT, xidBody(uint64(id)))
	}
	b.add(replication.QUERY_EVENT, queryBody("shop", "ALTER TABLE items ADD COLUMN c INT INVISIBLE"))
	txn(101, "items", []binlogColumn{long, {typ: mysql.MYSQL_TYPE_LONG, nullable: true}}, int32s(1, 10), int32s(2, 20))
	// A MySQL 8 collation MariaDB does not know, on a column added during incremental
	// migration: mapped as the schema phase maps it (dialect.DestinationColumn).
	b.add(replication.QUERY_EVENT, queryBody("shop", "ALTER TABLE items ADD COLUMN note VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_ai_ci"))
	txn(104, "items", []binlogColumn{long, {typ: mysql.MYSQL_TYPE_LONG, nullable: true}, {typ: mysql.MYSQL_TYPE_VARCHAR, meta: []byte{80, 0}, nullable: true}},
		append(append(int32s(3, 30), 2), "\xc3\xa9"...))
	b.add(replication.QUERY_EVENT, queryBody("shop", "CREATE TABLE geo (id INT PRIMARY KEY, g POINT NOT NULL SRID 4326 COMMENT 'SRID 0')"))
	txn(102, "geo", []binlogColumn{long, {typ: mysql.MYSQL_TYPE_GEOMETRY, meta: []byte{4}}},
		append(binary.LittleEndian.AppendUint32(int32s(1), uint32(len(point))), point...))
	// sql_generate_invisible_primary_key=ON: MySQL adds the key and writes it in the binlog.
	b.add(replication.QUERY_EVENT, queryBody("shop", "CREATE TABLE `gipk` (`my_row_id` BIGINT UNSIGNED NOT NULL AUTO_INCREMENT INVISIBLE, `name` VARCHAR(20), PRIMARY KEY (`my_row_id`))"))
	row := func(id uint64, name string) []byte {
		return append(append(binary.LittleEndian.AppendUint64([]byte{0}, id), byte(len(name))), name...)
	}
	txn(103, "gipk", []binlogColumn{{typ: mysql.MYSQL_TYPE_LONGLONG}, {typ: mysql.MYSQL_TYPE_VARCHAR, meta: []byte{80, 0}, nullable: true}},
		row(1, "a"), row(7, "b"))
	if err := f.replay(t, b); err != nil {
		t.Fatal(err)
	}

	// Read back from the destination.
	query := func(q string) []string {
		t.Helper()
		rows, err := db.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	for q, want := range map[string]string{
		"SELECT CONCAT(id, ':', c) FROM dw.items ORDER BY id":                                                                                           "1:10 2:20 3:30",
		"SELECT CONCAT(id, ':', note) FROM dw.items WHERE note IS NOT NULL":                                                                             "3:\u00e9",
		"SELECT COLLATION_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'dw' AND TABLE_NAME = 'items' AND COLUMN_NAME = 'note'":             "utf8mb4_uca1400_nopad_ai_ci",
		"SELECT CONCAT(id, ':', ST_AsText(g), ':', ST_SRID(g)) FROM dw.geo":                                                                             "1:POINT(1 2):4326",
		"SELECT CONCAT(my_row_id, ':', name) FROM dw.gipk ORDER BY my_row_id":                                                                           "1:a 7:b",
		"SELECT CONCAT(TABLE_NAME, '.', COLUMN_NAME) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'dw' AND EXTRA LIKE '%INVISIBLE%' ORDER BY 1": "gipk.my_row_id items.c",
		"SELECT CONCAT(G_GEOMETRY_COLUMN, ':', SRID) FROM information_schema.GEOMETRY_COLUMNS WHERE G_TABLE_SCHEMA = 'dw'":                              "g:4326",
		"SELECT COLUMN_COMMENT FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'dw' AND TABLE_NAME = 'geo' AND COLUMN_NAME = 'g'":                  "SRID 0",
	} {
		if got := strings.Join(query(q), " "); got != want {
			t.Errorf("%s\n = %q, want %q", q, got, want)
		}
	}
	if n := f.a.notices; len(n) != 0 {
		t.Errorf("notices %q: a MariaDB destination has every attribute", n)
	}
}
