package engine_test

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/go-sql-driver/mysql"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/etl"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
)

// typeColumn is one column of the type-fidelity table: its definition and the edge values
// (SQL expressions) that rows take in turn. Row r gets values[(r-1) % len(values)], so
// every value appears at least once among the typeRows rows.
type typeColumn struct {
	name, def string
	values    []string
}

// typeRows is the number of rows built from the value lists; the longest list must fit.
const typeRows = 56

// Rows added after the cycled ones.
const (
	rowAllNull   = typeRows + 1 // every nullable column NULL
	rowEnumError = typeRows + 2 // ENUM columns holding the error value (index 0)
	rowBig       = 7            // also holds the 1 MiB LONGBLOB and the large texts
)

// allBytes is 0x00..0xFF.
var allBytes = func() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}()

// unhex is an SQL expression for the binary string b that no client escaping touches.
func unhex(b []byte) string {
	if len(b) == 0 {
		return "X''"
	}
	return "UNHEX('" + strings.ToUpper(hex.EncodeToString(b)) + "')"
}

// u8 is an SQL expression for the utf8mb4 string s, sent as hex so that NUL bytes, quotes
// and backslashes reach the server exactly.
func u8(s string) string { return "CONVERT(" + unhex([]byte(s)) + " USING utf8mb4)" }

// l1 is an SQL expression for a latin1 string with the given bytes.
func l1(b []byte) string { return "CONVERT(" + unhex(b) + " USING latin1)" }

// texts are utf8mb4 edge strings shared by the character columns.
var texts = []string{
	"",
	"plain ascii",
	"trailing spaces  ",
	" leading space",
	"😀 emoji 🏳️‍🌈 flag, 👩‍👩‍👧 family",
	"e\u0301 combining acute, a\u0308\u0304 two marks, \u200d zwj",
	"nul\x00inside\x00",
	`back\slash \\ \n \0 'single' "double" ` + "`backtick`",
	"tab\there\nnewline\r\ncrlf\x1aeof\x08bs",
	"\ufeffBOM, U+FFFD \ufffd, max \U0010FFFF",
	"中文 日本語 한국어 עברית العربية",
	"%_ like wildcards ; -- comment /* c */",
	"NULL",
}

func typeColumns() []typeColumn {
	var text []string
	for _, s := range texts {
		text = append(text, u8(s))
	}
	var bin16 []string
	for i := 0; i < 256; i += 16 {
		bin16 = append(bin16, unhex(allBytes[i:i+16]))
	}
	reversed := slices.Clone(allBytes)
	slices.Reverse(reversed)
	latin1, _ := toLatin1("àéîõü ÿ ß £ ¥ © ® ± µ ¶ ¿ Ç Ñ")
	ones64 := "b'" + strings.Repeat("1", 64) + "'"
	top64 := "b'1" + strings.Repeat("0", 63) + "'"

	return []typeColumn{
		{"ti", "TINYINT", []string{"-128", "127", "0", "-1", "1", "NULL"}},
		{"tiu", "TINYINT UNSIGNED", []string{"0", "255", "1", "128", "NULL"}},
		{"si", "SMALLINT", []string{"-32768", "32767", "0", "-1", "NULL"}},
		{"siu", "SMALLINT UNSIGNED", []string{"0", "65535", "32768", "NULL"}},
		{"mi", "MEDIUMINT", []string{"-8388608", "8388607", "0", "NULL"}},
		{"miu", "MEDIUMINT UNSIGNED", []string{"0", "16777215", "NULL"}},
		{"i", "INT", []string{"-2147483648", "2147483647", "0", "-1", "NULL"}},
		{"iu", "INT UNSIGNED", []string{"0", "4294967295", "2147483648", "NULL"}},
		{"bi", "BIGINT", []string{"-9223372036854775808", "9223372036854775807", "0", "-1", "NULL"}},
		{"biu", "BIGINT UNSIGNED", []string{"0", "18446744073709551615", "9223372036854775808", "9223372036854775807", "NULL"}},
		{"izf", "INT(8) UNSIGNED ZEROFILL", []string{"42", "0", "4294967295", "NULL"}},

		{"dec65", "DECIMAL(65,30)", []string{
			"99999999999999999999999999999999999.999999999999999999999999999999",
			"-99999999999999999999999999999999999.999999999999999999999999999999",
			"0.000000000000000000000000000001",
			"-0.000000000000000000000000000001",
			"'-0.000000000000000000000000000000'", // negative zero, as text
			"0", "1.5", "-123456789012345678901234567890.123456789012345678901234567890",
			"NULL",
		}},
		{"dec0", "DECIMAL(65,0)", []string{strings.Repeat("9", 65), "-" + strings.Repeat("9", 65), "0", "NULL"}},
		{"decu", "DECIMAL(10,2) UNSIGNED", []string{"0.00", "99999999.99", "0.01", "NULL"}},

		// FLOAT: the server prints a FLOAT with 6 significant digits, so these need the
		// exact comparison in compareFloats to tell apart.
		{"f", "FLOAT", []string{
			"0.1", "1e-38", "3.4028234e38", "-3.4028234e38", "-0e0", "0", "1234567.8", "16777217",
			"1.17549435e-38", "1.4e-45", "3.14159265", "-2.5", "123456.789", "0.3", "NULL",
		}},
		{"d", "DOUBLE", []string{
			"0.1e0", "0.1e0 + 0.2e0", "1/3e0", "1.7976931348623157e308", "-1.7976931348623157e308",
			"2.2250738585072014e-308", "2.2250738585072009e-308", "4.9e-324", "-0e0", "0e0",
			"9007199254740993e0", "1e22", "1e23", "123456789.123456789e0", "PI()", "100e0", "NULL",
		}},

		{"b1", "BIT(1)", []string{"b'0'", "b'1'", "NULL"}},
		{"b10", "BIT(10)", []string{"b'1111111111'", "b'1000000000'", "b'0'", "b'101'", "NULL"}},
		{"b64", "BIT(64)", []string{ones64, "b'0'", top64, "b'1'", "0x0123456789ABCDEF", "NULL"}},

		{"dt", "DATE", []string{"'0000-00-00'", "'1000-01-01'", "'9999-12-31'", "'2024-02-29'", "'2024-00-00'", "'1970-01-01'", "NULL"}},
		{"tm", "TIME", []string{"'-838:59:59'", "'838:59:59'", "'00:00:00'", "'-00:00:01'", "'23:59:59'", "NULL"}},
		{"tm6", "TIME(6)", []string{"'-838:59:59.000000'", "'838:59:59.000000'", "'-00:00:00.000001'", "'12:34:56.789012'", "'00:00:00.5'", "NULL"}},
		{"dtm", "DATETIME", []string{"'0000-00-00 00:00:00'", "'1000-01-01 00:00:00'", "'9999-12-31 23:59:59'", "'2024-02-29 12:00:00'", "NULL"}},
		{"dtm6", "DATETIME(6)", []string{
			"'0000-00-00 00:00:00.000000'", "'1000-01-01 00:00:00.000000'", "'9999-12-31 23:59:59.999999'",
			"'2024-02-29 12:00:00.000001'", "'2038-01-19 03:14:08.5'", "'2024-00-00 00:00:00'", "NULL",
		}},
		{"ts", "TIMESTAMP NULL", []string{"'1970-01-01 00:00:01'", "'2038-01-19 03:14:07'", "'0000-00-00 00:00:00'", "NULL"}},
		{"ts6", "TIMESTAMP(6) NULL", []string{
			"'0000-00-00 00:00:00.000000'", "'1970-01-01 00:00:01.000000'", "'2038-01-19 03:14:07.999999'",
			"'2024-03-31 01:30:00.123456'", "'2000-01-01 00:00:00'", "NULL",
		}},
		{"yr", "YEAR", []string{"0", "1901", "2155", "2000", "1970", "NULL"}},

		{"c", "CHAR(60)", append(slices.Clone(text), "NULL")},
		{"vc", "VARCHAR(255)", append(slices.Clone(text), "NULL")},
		{"tx", "TEXT", append(slices.Clone(text), "REPEAT("+u8("é😀x")+", 9000)", "NULL")},
		{"mtx", "MEDIUMTEXT", append(slices.Clone(text), "NULL")},
		{"ltx", "LONGTEXT", append(slices.Clone(text), "NULL")},
		{"lat", "VARCHAR(300) CHARACTER SET latin1", []string{l1(latin1), l1(allBytes), l1([]byte("trailing  ")), "''", "NULL"}},
		{"lat_c", "CHAR(10) CHARACTER SET latin1", []string{l1([]byte{0xe9, 0x80, 0xff, 0x00, 0x81}), "''", "NULL"}},

		{"bn", "BINARY(16)", append(bin16, "X''", "'abc'", "NULL")},
		{"vb", "VARBINARY(300)", []string{unhex(allBytes), "X''", "X'00'", unhex(reversed), "'trailing  '", "NULL"}},
		{"tb", "TINYBLOB", []string{unhex(allBytes[1:]), "X''", "X'00'", "NULL"}},
		{"bl", "BLOB", []string{"REPEAT(" + unhex(allBytes) + ", 200)", "X''", "X'00FF'", unhex(reversed), "NULL"}},
		{"mbl", "MEDIUMBLOB", []string{"REPEAT(" + unhex(reversed) + ", 300)", "X''", "NULL"}},
		{"lbl", "LONGBLOB", []string{unhex(allBytes), "X''", "X'00'", "NULL"}},

		{"en", "ENUM('', 'a', 'with space', 'é', '😀', 'x,y')", []string{"''", "'a'", "'with space'", u8("é"), u8("😀"), "'x,y'", "NULL"}},
		{"en_nn", "ENUM('small', 'medium', 'large') NOT NULL", []string{"'small'", "'large'", "'medium'"}},
		{"st", "SET('a', 'b', 'c d', 'é', '😀')", []string{"''", "'a'", "'a,b'", u8("a,b,c d,é,😀"), u8("é,😀"), "NULL"}},

		{"js", "JSON", []string{
			"'{}'", "'[]'", "'null'", "'\"string\"'", "'12345678901234567890123'",
			u8(`{"a": [1, 2, {"b": null, "c": [true, false]}], "u": "é😀\u0000 \" \\", "n": -1.5e300, "big": 18446744073709551615, "neg0": -0.0, "f": 0.30000000000000004}`),
			u8(`  {"spaced" :  1 ,"dup":1, "dup":2}  `),
			"'" + strings.Repeat("[", 30) + "1" + strings.Repeat("]", 30) + "'",
			"NULL",
		}},
	}
}

// generatedColumns are computed on each server from the copied columns.
var generatedColumns = []string{
	"gv VARCHAR(400) AS (CONCAT(COALESCE(vc, 'null'), '|', COALESCE(CAST(bi AS CHAR), 'null'))) VIRTUAL",
	"gs CHAR(32) AS (MD5(CONCAT(COALESCE(HEX(lbl), ''), '|', COALESCE(CAST(d AS CHAR), '')))) STORED",
}

// toLatin1 encodes s in latin1 (MariaDB's latin1 is cp1252; only runes < 0x100 are used here).
func toLatin1(s string) ([]byte, bool) {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xff {
			return nil, false
		}
		out = append(out, byte(r))
	}
	return out, true
}

// typeSession is the session the seed is written in: strict mode, so that no edge value is
// silently clipped on the source (it still allows zero dates: no NO_ZERO_DATE /
// NO_ZERO_IN_DATE), and UTC for times.
var typeSession = []string{
	"SET SESSION sql_mode = 'STRICT_ALL_TABLES'",
	"SET SESSION time_zone = '+00:00'",
}

// Rows of typesrc.ukey: an unsigned BIGINT key around 2^63 and up to its maximum, over
// several copy batches, and 0.
const ukeyRows = 2600 + 1200 + 1

// typeTables returns the statements that create database typesrc with its empty tables
// all_types and ukey.
func typeTables(t *testing.T) []string {
	t.Helper()
	defs := []string{"id INT NOT NULL PRIMARY KEY"}
	for _, c := range typeColumns() {
		if len(c.values) > typeRows {
			t.Fatalf("column %s has %d values, more than the %d rows", c.name, len(c.values), typeRows)
		}
		defs = append(defs, "`"+c.name+"` "+c.def)
	}
	defs = append(defs, generatedColumns...)
	return []string{
		"CREATE DATABASE typesrc",
		"CREATE TABLE typesrc.all_types (\n  " + strings.Join(defs, ",\n  ") + "\n) DEFAULT CHARSET=utf8mb4",
		"CREATE TABLE typesrc.ukey (id BIGINT UNSIGNED NOT NULL PRIMARY KEY, v BIGINT, b VARBINARY(8))",
	}
}

// typeAssignments returns "`col` = value" for every column of all_types, each column taking
// its value number k (cycled).
func typeAssignments(k int) []string {
	var out []string
	for _, c := range typeColumns() {
		out = append(out, "`"+c.name+"` = "+c.values[k%len(c.values)])
	}
	return out
}

// typeInserts returns the statements that fill the tables of typeTables, to run in
// typeSession; all_types then holds rowEnumError rows.
func typeInserts() []string {
	var stmts []string
	for r := 1; r <= typeRows; r++ {
		stmts = append(stmts, fmt.Sprintf("INSERT INTO typesrc.all_types SET id = %d, %s", r, strings.Join(typeAssignments(r-1), ", ")))
	}
	return append(stmts,
		fmt.Sprintf("INSERT INTO typesrc.all_types (id, en_nn) VALUES (%d, 'small')", rowAllNull),
		fmt.Sprintf("INSERT INTO typesrc.all_types (id, en, en_nn, st) VALUES (%d, 'a', 'small', 'a')", rowEnumError),
		// Values too large to repeat in every cycle: a 1 MiB LONGBLOB, a 64 KiB TEXT
		// (the type's limit), a MEDIUMTEXT and a LONGTEXT above the smaller types' limits.
		fmt.Sprintf("UPDATE typesrc.all_types SET lbl = REPEAT(%s, 4096), tx = REPEAT('x', 65535), "+
			"mtx = REPEAT(%s, 20000), ltx = REPEAT(%s, 30000) WHERE id = %d",
			unhex(allBytes), u8("é😀\x00\\'\""), u8("e\u0301😀\t"), rowBig),
		// The error value of an ENUM (index 0, read as ''), which only a non-strict session
		// can write; en also has '' as a real member (index 1).
		"SET SESSION sql_mode = ''",
		fmt.Sprintf("UPDATE typesrc.all_types SET en = 'no such member', en_nn = 'no such member' WHERE id = %d", rowEnumError),
		"SET SESSION sql_mode = 'STRICT_ALL_TABLES'",

		"INSERT INTO typesrc.ukey SELECT 9223372036854775808 - 1300 + seq, seq, UNHEX(LPAD(HEX(seq), 16, '0')) FROM typesrc.seq_1_to_2600",
		"INSERT INTO typesrc.ukey SELECT 18446744073709551615 - seq, -CAST(seq AS SIGNED), NULL FROM typesrc.seq_0_to_1199",
		"INSERT INTO typesrc.ukey VALUES (0, NULL, X'')",
	)
}

// seedTypes creates typesrc.all_types, typesrc.ukey and returns the number of rows of all_types.
func seedTypes(t *testing.T, src *mariadbtest.Server) int {
	t.Helper()
	src.Exec(t, slices.Concat(typeSession, typeTables(t), typeInserts())...)
	checkTypeSeed(t, src)
	return rowEnumError
}

// checkTypeSeed fails the test unless the source holds the edge values the seed claims, or a
// passing comparison would prove little.
func checkTypeSeed(t *testing.T, src *mariadbtest.Server) {
	t.Helper()
	db := exactDB(t, src)
	checks := []string{
		"SELECT COUNT(*) FROM typesrc.all_types WHERE biu = 18446744073709551615",
		"SELECT COUNT(*) FROM typesrc.all_types WHERE b64 = 0xFFFFFFFFFFFFFFFF",
		"SELECT COUNT(*) FROM typesrc.all_types WHERE CAST(dt AS CHAR) = '0000-00-00'",
		"SELECT COUNT(*) FROM typesrc.all_types WHERE CAST(dtm6 AS CHAR) = '0000-00-00 00:00:00.000000'",
		"SELECT COUNT(*) FROM typesrc.all_types WHERE CAST(ts6 AS CHAR) = '0000-00-00 00:00:00.000000'",
		"SELECT COUNT(*) FROM typesrc.all_types WHERE CAST(tm6 AS CHAR) = '-838:59:59.000000'",
		"SELECT COUNT(*) FROM typesrc.all_types WHERE CAST(yr AS CHAR) = '0000'",
		"SELECT COUNT(*) FROM typesrc.all_types WHERE en + 0 = 0",
		"SELECT COUNT(*) FROM typesrc.all_types WHERE en + 0 = 1",
		"SELECT COUNT(*) FROM typesrc.all_types WHERE en_nn + 0 = 0",
		"SELECT COUNT(*) FROM typesrc.all_types WHERE st + 0 = 31",
		"SELECT COUNT(*) FROM typesrc.all_types WHERE LENGTH(lbl) = 1048576",
		"SELECT COUNT(*) FROM typesrc.all_types WHERE vb = " + unhex(allBytes),
		"SELECT COUNT(*) FROM typesrc.all_types WHERE HEX(lat) = '" + strings.ToUpper(hex.EncodeToString(allBytes)) + "'",
		"SELECT COUNT(*) FROM typesrc.all_types WHERE HEX(vc) = '" + strings.ToUpper(hex.EncodeToString([]byte(texts[6]))) + "'",
		"SELECT COUNT(*) FROM typesrc.all_types WHERE f = CAST(1234567.75 AS FLOAT)",
		"SELECT COUNT(*) FROM typesrc.ukey WHERE id = 18446744073709551615",
		"SELECT COUNT(*) FROM typesrc.ukey WHERE id = 9223372036854775808",
	}
	for _, q := range checks {
		var n int
		if err := db.QueryRow(q).Scan(&n); err != nil {
			t.Fatalf("checking the seed with %q: %v", q, err)
		}
		if n == 0 {
			t.Fatalf("the seed lacks an edge value: %q found no row", q)
		}
	}
}

// compareTypeTables compares typesrc on src with typedst on dst independently of the engine,
// with queries run directly on both servers: table definitions, every column of every row
// (exact bits for FLOAT and DOUBLE), a digest of the whole ordered rows, and CHECKSUM TABLE.
func compareTypeTables(t *testing.T, src, dst *mariadbtest.Server) {
	t.Helper()
	srcDB, dstDB := exactDB(t, src), exactDB(t, dst)
	for _, table := range []string{"all_types", "ukey"} {
		t.Run(table, func(t *testing.T) {
			srcTable, dstTable := "typesrc."+table, "typedst."+table
			compareDefinitions(t, srcDB, dstDB, "typesrc", "typedst", table)
			compareColumns(t, srcDB, dstDB, "typesrc", "typedst", table)
			mariadbtest.AssertSameRows(t, srcDB, dstDB,
				"SELECT * FROM "+srcTable+" ORDER BY id", "SELECT * FROM "+dstTable+" ORDER BY id")
			compareChecksums(t, srcDB, dstDB, srcTable, dstTable)
		})
	}
}

// TestFullLoadTypeFidelity copies a table holding every MySQL/MariaDB column type at its
// edges and checks, with queries run directly on both servers, that every value arrived
// byte for byte: per column and row (exact bits for FLOAT and DOUBLE), as whole ordered
// rows, and with CHECKSUM TABLE.
func TestFullLoadTypeFidelity(t *testing.T) {
	fullLoadTypeFidelity(t, []engine.Object{{Database: "typesrc", RenameTo: "typedst"}})
}

// TestFullLoadTypeFidelityThroughETL is TestFullLoadTypeFidelity with every column of
// all_types computed by an etl expression that reads it: each value goes to CEL and back.
func TestFullLoadTypeFidelityThroughETL(t *testing.T) {
	fullLoadTypeFidelity(t, identityETL())
}

// identityETL selects typesrc with an etl block on all_types that sets every stored column
// to itself, behind a filter that keeps every row.
func identityETL() []engine.Object {
	set := map[string]string{}
	for _, c := range typeColumns() {
		// en holds both ENUM's error value and a '' member, which CEL sees as the same
		// string "": the one value an etl expression cannot tell apart (see package etl).
		if c.name != "en" {
			set[c.name] = "row." + c.name
		}
	}
	return []engine.Object{{Database: "typesrc", RenameTo: "typedst", Tables: []engine.Table{
		{Name: "all_types", ETL: etl.Spec{Filter: "row.id != 0", Set: set}},
		{Name: "ukey", ETL: etl.Spec{Set: map[string]string{"v": "row.v", "b": "row.b"}}},
	}}}
}

func fullLoadTypeFidelity(t *testing.T, objects []engine.Object) {
	src, dst := mariadbtest.SharedPair(t)
	nrows := seedTypes(t, src)

	task := engine.Task{
		ID: "task-types", Source: endpoint(src), Destination: endpoint(dst),
		MigrationTypes: []engine.MigrationType{engine.MigrationSchema, engine.MigrationFull},
		Objects:        objects,
	}
	var last engine.Progress
	if err := engine.Run(context.Background(), task, func(p engine.Progress) { last = p }); err != nil {
		// Compare all the same: what reached the destination, and its definition, often
		// say why.
		t.Errorf("engine.Run: %v", err)
	} else if want := int64(nrows + ukeyRows); last.RowsMigrated != want {
		t.Errorf("reported rows_migrated = %d, want %d", last.RowsMigrated, want)
	}
	compareTypeTables(t, src, dst)
	// Verification compares every value as the destination stores it: with an etl block,
	// against the rows it computes itself.
	checkVerification(t, task, "passed", nil)
}

// Changes TestIncrementalTypeFidelity makes after the seed, through the binlog only.
var (
	// Rows whose every column changes to the next value of its cycle (the value of the
	// next row): value to value, NULL to value and value to NULL, across every type.
	typeShiftedRows = []int{6, 17, 23, 31, 41, 48, 54}
	// A row whose every nullable column becomes NULL.
	typeNulledRow = 2
	// Rows deleted.
	typeDeletedRows = []int{3, 29}
	// Rows whose primary key changes: old id to new id.
	typeMovedRows = [][2]int{{13, 1013}, {44, -44}, {rowEnumError, 2000}}
)

// typeChanges returns the UPDATE and DELETE statements of TestIncrementalTypeFidelity, to
// run in typeSession after typeInserts. Every edge value stays in some row that these leave
// unchanged (checked), so each also reaches the destination by an insert event alone.
func typeChanges(t *testing.T) []string {
	t.Helper()
	cols := typeColumns()
	changed := map[int]bool{typeNulledRow: true}
	for _, r := range typeShiftedRows {
		changed[r] = true
	}
	for _, r := range typeDeletedRows {
		changed[r] = true
	}
	for _, c := range cols {
		for k := range c.values {
			kept := false
			for r := 1; r <= typeRows && !kept; r++ {
				kept = !changed[r] && (r-1)%len(c.values) == k
			}
			if !kept {
				t.Fatalf("the changes overwrite or delete every row with value %d (%s) of column %s; choose other rows", k, c.values[k], c.name)
			}
		}
	}

	var stmts []string
	for _, r := range typeShiftedRows {
		stmts = append(stmts, fmt.Sprintf("UPDATE typesrc.all_types SET %s WHERE id = %d", strings.Join(typeAssignments(r), ", "), r))
	}
	var nulls []string
	for _, c := range cols {
		if !strings.Contains(c.def, "NOT NULL") {
			nulls = append(nulls, "`"+c.name+"` = NULL")
		}
	}
	stmts = append(stmts,
		fmt.Sprintf("UPDATE typesrc.all_types SET %s WHERE id = %d", strings.Join(nulls, ", "), typeNulledRow),
		// The other way: every column of the all-NULL row gets a value.
		fmt.Sprintf("UPDATE typesrc.all_types SET %s WHERE id = %d", strings.Join(typeAssignments(7), ", "), rowAllNull),
		// A small change to the row with the 1 MiB LONGBLOB: both row images carry it.
		fmt.Sprintf("UPDATE typesrc.all_types SET ti = 127, js = '{\"after\": true}' WHERE id = %d", rowBig),
		// A large value that grows, and one that shrinks to empty.
		fmt.Sprintf("UPDATE typesrc.all_types SET mbl = REPEAT(%s, 9000), tx = '' WHERE id = 1", unhex(allBytes)),
		// Every ENUM index, 0 included, again through a non-strict session.
		"SET SESSION sql_mode = ''",
		"UPDATE typesrc.all_types SET en = 'no such member' WHERE id = 4",
		"SET SESSION sql_mode = 'STRICT_ALL_TABLES'",
	)
	for _, r := range typeDeletedRows {
		stmts = append(stmts, fmt.Sprintf("DELETE FROM typesrc.all_types WHERE id = %d", r))
	}
	for _, m := range typeMovedRows {
		stmts = append(stmts, fmt.Sprintf("UPDATE typesrc.all_types SET id = %d WHERE id = %d", m[1], m[0]))
	}
	return append(stmts,
		// ukey: values across the 2^63 boundary, deletes, and keys that move across it and
		// onto the maximum.
		"UPDATE typesrc.ukey SET v = -v, b = REVERSE(b) WHERE id BETWEEN 9223372036854775800 AND 9223372036854775815",
		"DELETE FROM typesrc.ukey WHERE id IN (9223372036854775807, 18446744073709551615, 0)",
		"UPDATE typesrc.ukey SET id = 18446744073709551615 WHERE id = 18446744073709551614",
		"UPDATE typesrc.ukey SET id = 1 WHERE id = 9223372036854775808",
		"UPDATE typesrc.ukey SET id = 9223372036854775807 WHERE id = 9223372036854775806",
		"UPDATE typesrc.ukey SET id = 9223372036854775808 WHERE id = 18446744073709551613",
	)
}

// TestIncrementalTypeFidelity is TestFullLoadTypeFidelity through the binlog: the tables are
// created empty, incremental migration starts, and only then are the rows inserted, updated
// to other edge values, deleted and moved to other keys. The comparison is the same.
func TestIncrementalTypeFidelity(t *testing.T) {
	incrementalTypeFidelity(t, []engine.Object{{Database: "typesrc", RenameTo: "typedst"}})
}

// TestIncrementalTypeFidelityThroughETL is TestIncrementalTypeFidelity with every column of
// all_types computed by an etl expression that reads it, from the binlog's row images.
func TestIncrementalTypeFidelityThroughETL(t *testing.T) {
	incrementalTypeFidelity(t, identityETL())
}

func incrementalTypeFidelity(t *testing.T, objects []engine.Object) {
	src, dst := mariadbtest.SharedPair(t)
	src.Exec(t, typeTables(t)...)

	drain := make(chan struct{})
	task := engine.Task{
		ID: "task-types-cdc", Source: endpoint(src), Destination: endpoint(dst),
		MigrationTypes: []engine.MigrationType{engine.MigrationSchema, engine.MigrationFull, engine.MigrationIncremental},
		Objects:        objects,
		Drain:          drain,
	}
	w := newWatch()
	done := make(chan error, 1)
	go func() { done <- engine.Run(context.Background(), task, w.report) }()
	w.wait(t, "incremental migration to catch up", done, func(p engine.Progress) bool {
		return p.Phase == engine.PhaseIncremental && p.CaughtUp
	})

	src.Exec(t, slices.Concat(typeSession, typeInserts())...)
	checkTypeSeed(t, src)
	src.Exec(t, slices.Concat(typeSession, typeChanges(t))...)
	close(drain)
	select {
	case err := <-done:
		if !errors.Is(err, engine.ErrDrained) {
			// Compare all the same: what reached the destination often says why.
			t.Errorf("Run after the drain = %v, want ErrDrained", err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("the drain did not finish within 2 minutes")
	}
	w.mu.Lock()
	last := w.last
	w.mu.Unlock()
	t.Logf("incremental migration applied %d row changes, position %+v", last.ChangesApplied, last.Position)
	compareTypeTables(t, src, dst)
	// Verification agrees about every value the binlog brought, etl block or not.
	checkVerification(t, task, "passed", nil)
}

// exactDB opens a pool on s whose sessions run in UTC and that uses server-side prepared
// statements when a query has arguments, so FLOAT and DOUBLE come back in the binary
// protocol as their IEEE bits rather than as rounded text.
func exactDB(t *testing.T, s *mariadbtest.Server) *sql.DB {
	t.Helper()
	cfg, err := mysql.ParseDSN(s.DSN(""))
	if err != nil {
		t.Fatal(err)
	}
	cfg.InterpolateParams = false
	cfg.Params = map[string]string{"time_zone": "'+00:00'"}
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// compareDefinitions checks that both tables have the same definition apart from their
// names: CHECKSUM TABLE is only comparable between identical definitions. SHOW CREATE TABLE
// prints 4-byte UTF-8 characters as '?' on MariaDB, so ENUM and SET members are also
// compared byte for byte (see members).
func compareDefinitions(t *testing.T, src, dst *sql.DB, srcDatabase, dstDatabase, table string) {
	t.Helper()
	def := func(db *sql.DB, database string) string {
		var name, create string
		if err := db.QueryRow("SHOW CREATE TABLE "+database+"."+table).Scan(&name, &create); err != nil {
			t.Fatalf("SHOW CREATE TABLE %s.%s: %v", database, table, err)
		}
		_, body, _ := strings.Cut(create, "(")
		return body
	}
	if s, d := def(src, srcDatabase), def(dst, dstDatabase); s != d {
		t.Errorf("%s: table definitions differ:\n  source:\n(%s\n  destination:\n(%s", table, s, d)
	}
	for _, c := range tableColumns(t, src, srcDatabase, table) {
		if c.dataType != "enum" && c.dataType != "set" {
			continue
		}
		s := members(t, src, srcDatabase, table, c)
		d := members(t, dst, dstDatabase, table, c)
		if !slices.Equal(s, d) {
			t.Errorf("%s: the members of %s column %s differ (hex of each member, in order):\n  source      %q\n  destination %q",
				table, strings.ToUpper(c.dataType), c.name, s, d)
		}
	}
}

// members returns the members of an ENUM or SET column in hex, read by storing each index
// (ENUM) or bit (SET) into a temporary table with the column's type.
func members(t *testing.T, db *sql.DB, database, table string, c columnInfo) []string {
	t.Helper()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := conn.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("reading the members of %s.%s.%s: %q: %v", database, table, c.name, q, err)
		}
	}
	// Not strict: an index past the last member stores the error value 0, which ends the loop.
	exec("SET SESSION sql_mode = ''")
	probe := database + ".members_probe"
	exec("CREATE TEMPORARY TABLE " + probe + " AS SELECT `" + c.name + "` AS m FROM " + database + "." + table + " LIMIT 0")
	defer exec("DROP TEMPORARY TABLE " + probe)
	var out []string
	for k := 0; k < 1024 && (c.dataType == "enum" || k < 64); k++ {
		v := uint64(k + 1)
		if c.dataType == "set" {
			v = 1 << k
		}
		exec("DELETE FROM " + probe)
		exec("INSERT INTO "+probe+" VALUES (?)", v)
		var n uint64
		var hx string
		if err := conn.QueryRowContext(ctx, "SELECT m + 0, HEX(m) FROM "+probe).Scan(&n, &hx); err != nil {
			t.Fatalf("reading the members of %s.%s.%s: %v", database, table, c.name, err)
		}
		if n != v {
			break
		}
		out = append(out, hx)
	}
	return out
}

// columnInfo is a column as compareColumns needs it.
type columnInfo struct{ name, dataType string }

// tableColumns lists the columns of database.table in order.
func tableColumns(t *testing.T, db *sql.DB, database, table string) []columnInfo {
	t.Helper()
	rows, err := db.Query("SELECT COLUMN_NAME, LOWER(DATA_TYPE) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION", database, table)
	if err != nil {
		t.Fatalf("listing the columns of %s.%s: %v", database, table, err)
	}
	defer rows.Close()
	var cols []columnInfo
	for rows.Next() {
		var c columnInfo
		if err := rows.Scan(&c.name, &c.dataType); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(cols) == 0 {
		t.Fatalf("table %s.%s has no columns (missing?)", database, table)
	}
	return cols
}

// compareExpr is the SQL expression whose text form is compared for a column: it must
// change whenever the stored value changes.
func compareExpr(c columnInfo) string {
	q := "`" + c.name + "`"
	switch c.dataType {
	case "decimal", "date", "time", "datetime", "timestamp", "year",
		"tinyint", "smallint", "mediumint", "int", "bigint":
		// Their text form is exact (DECIMAL keeps every digit, temporal types every fraction).
		return "HEX(CAST(" + q + " AS CHAR))"
	case "enum", "set":
		// The member index too: the ENUM error value and a '' member both read as ''.
		return "CONCAT(" + q + " + 0, ':', HEX(" + q + "))"
	default:
		// Strings in the column's own character set, binary strings, BIT as its number.
		return "HEX(" + q + ")"
	}
}

// cell is one value under comparison: hx is what is compared, shown as hex; text is a
// readable form for the report.
type cell struct {
	null     bool
	hx, text string
}

// show prints the cell with at most 40 bytes of its hex, starting a little before byte
// offset at (the first difference from the other side), and its readable text if short.
func (c cell) show(at int) string {
	if c.null {
		return "NULL"
	}
	const window = 80 // hex digits
	hx := c.hx
	if len(hx) > window {
		start := max(0, min(at-10, len(hx)/2-window/2)) * 2
		end := min(len(hx), start+window)
		hx = fmt.Sprintf("[from byte %d of %d] %s", start/2, len(c.hx)/2, c.hx[start:end])
		if end < len(c.hx) {
			hx += "..."
		}
		return hx
	}
	if c.text == "" {
		return hx
	}
	return hx + " " + c.text
}

// firstDifference returns the offset in bytes of the first hex digit where a and b differ.
func firstDifference(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i / 2
		}
	}
	return n / 2
}

// readable shows a few characters of the bytes behind a hex string.
func readable(hx string) string {
	b, err := hex.DecodeString(hx)
	if err != nil {
		return ""
	}
	const limit = 40
	s := string(b)
	if !utf8.ValidString(s) {
		return ""
	}
	if utf8.RuneCountInString(s) > limit {
		s = string([]rune(s)[:limit]) + "…"
	}
	return strconv.Quote(s)
}

// compareColumns compares every column of database.table on src with the same table of
// dstDatabase on dst, row by row (matched by id), and reports each difference with the
// row's id, the column and both values in hex.
func compareColumns(t *testing.T, src, dst *sql.DB, srcDatabase, dstDatabase, table string) {
	t.Helper()
	cols := tableColumns(t, src, srcDatabase, table)
	var floats []columnInfo
	for _, c := range cols {
		if c.dataType == "float" || c.dataType == "double" {
			floats = append(floats, c)
		}
	}

	srcCells := readCells(t, src, srcDatabase+"."+table, cols, floats)
	dstCells := readCells(t, dst, dstDatabase+"."+table, cols, floats)

	var ids []string
	for id := range srcCells {
		ids = append(ids, id)
	}
	for id := range dstCells {
		if _, ok := srcCells[id]; !ok {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, func(a, b string) int {
		if len(a) != len(b) {
			return len(a) - len(b)
		}
		return strings.Compare(a, b)
	})

	// Differences are grouped by column, then by the pair (source value, destination value),
	// so that one systematic loss reads as one line with the rows it hit.
	type change struct {
		from, to string
		ids      []string
	}
	byColumn := map[string][]*change{}
	var missing, extra []string
	for _, id := range ids {
		s, inSrc := srcCells[id]
		d, inDst := dstCells[id]
		switch {
		case !inDst:
			missing = append(missing, id)
			continue
		case !inSrc:
			extra = append(extra, id)
			continue
		}
		for _, c := range cols {
			sv, dv := s[c.name], d[c.name]
			if sv == dv {
				continue
			}
			at := firstDifference(sv.hx, dv.hx)
			from, to := sv.show(at), dv.show(at)
			i := slices.IndexFunc(byColumn[c.name], func(ch *change) bool { return ch.from == from && ch.to == to })
			if i < 0 {
				byColumn[c.name] = append(byColumn[c.name], &change{from: from, to: to})
				i = len(byColumn[c.name]) - 1
			}
			byColumn[c.name][i].ids = append(byColumn[c.name][i].ids, id)
		}
	}
	if len(byColumn) == 0 && len(missing) == 0 && len(extra) == 0 {
		t.Logf("%s: all %d columns of %d rows are identical", table, len(cols), len(srcCells))
		return
	}
	const maxChanges, maxIDs = 10, 12
	var report, summary []string
	if len(missing) > 0 {
		summary = append(summary, fmt.Sprintf("%d rows missing on the destination", len(missing)))
		report = append(report, "rows missing on the destination, ids "+idList(missing, maxIDs))
	}
	if len(extra) > 0 {
		summary = append(summary, fmt.Sprintf("%d rows only on the destination", len(extra)))
		report = append(report, "rows only on the destination, ids "+idList(extra, maxIDs))
	}
	for _, c := range cols {
		changes := byColumn[c.name]
		if len(changes) == 0 {
			continue
		}
		n := 0
		for _, ch := range changes {
			n += len(ch.ids)
		}
		summary = append(summary, fmt.Sprintf("%s %s (%d rows)", c.name, c.dataType, n))
		report = append(report, fmt.Sprintf("column %s (%s): %d rows differ", c.name, c.dataType, n))
		for i, ch := range changes {
			if i == maxChanges {
				report = append(report, fmt.Sprintf("  ... and %d more distinct differences", len(changes)-maxChanges))
				break
			}
			report = append(report, fmt.Sprintf("  id %s:\n      source      %s\n      destination %s", idList(ch.ids, maxIDs), ch.from, ch.to))
		}
	}
	t.Errorf("%s: source and destination differ: %s\n%s", table, strings.Join(summary, ", "), strings.Join(report, "\n"))
}

// idList joins ids, at most limit of them.
func idList(ids []string, limit int) string {
	if len(ids) <= limit {
		return strings.Join(ids, ",")
	}
	return fmt.Sprintf("%s,... (%d rows)", strings.Join(ids[:limit], ","), len(ids))
}

// readCells reads every row of table as id -> column -> cell: the comparison expression of
// each column in the text protocol, and FLOAT and DOUBLE columns again in the binary
// protocol, where their exact bits are kept.
func readCells(t *testing.T, db *sql.DB, table string, cols, floats []columnInfo) map[string]map[string]cell {
	t.Helper()
	exprs := make([]string, len(cols))
	for i, c := range cols {
		exprs[i] = compareExpr(c)
	}
	out := map[string]map[string]cell{}
	rows, err := db.Query("SELECT CAST(id AS CHAR), " + strings.Join(exprs, ", ") + " FROM " + table)
	if err != nil {
		t.Fatalf("reading %s: %v", table, err)
	}
	vals := make([]sql.NullString, len(cols)+1)
	dest := make([]any, len(vals))
	for i := range vals {
		dest[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			t.Fatalf("reading %s: %v", table, err)
		}
		row := map[string]cell{}
		for i, c := range cols {
			v := vals[i+1]
			row[c.name] = cell{null: !v.Valid, hx: v.String, text: readable(v.String)}
		}
		out[vals[0].String] = row
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("reading %s: %v", table, err)
	}
	rows.Close()
	if len(floats) == 0 {
		return out
	}

	names := make([]string, len(floats))
	for i, c := range floats {
		names[i] = "`" + c.name + "`"
	}
	// The argument makes the driver prepare the statement: binary protocol.
	rows, err = db.Query("SELECT CAST(id AS CHAR), "+strings.Join(names, ", ")+" FROM "+table+" WHERE ? = 1", 1)
	if err != nil {
		t.Fatalf("reading %s: %v", table, err)
	}
	defer rows.Close()
	fvals := make([]sql.NullFloat64, len(floats))
	var id string
	fdest := []any{&id}
	for i := range fvals {
		fdest = append(fdest, &fvals[i])
	}
	for rows.Next() {
		if err := rows.Scan(fdest...); err != nil {
			t.Fatalf("reading %s: %v", table, err)
		}
		for i, c := range floats {
			v := fvals[i]
			if !v.Valid {
				out[id][c.name] = cell{null: true}
				continue
			}
			bits := 64
			if c.dataType == "float" {
				bits = 32
			}
			out[id][c.name] = cell{
				hx:   fmt.Sprintf("%016X", math.Float64bits(v.Float64)),
				text: "(" + strconv.FormatFloat(v.Float64, 'g', -1, bits) + ", exactly " + strconv.FormatFloat(v.Float64, 'g', 17, 64) + ")",
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("reading %s: %v", table, err)
	}
	return out
}

// compareChecksums compares CHECKSUM TABLE on both servers: the same server version and the
// same definition give the same checksum for the same stored rows.
func compareChecksums(t *testing.T, src, dst *sql.DB, srcTable, dstTable string) {
	t.Helper()
	sum := func(db *sql.DB, table string) string {
		var name string
		var v sql.NullString
		if err := db.QueryRow("CHECKSUM TABLE "+table+" EXTENDED").Scan(&name, &v); err != nil {
			t.Fatalf("CHECKSUM TABLE %s: %v", table, err)
		}
		if !v.Valid {
			t.Fatalf("CHECKSUM TABLE %s: NULL (table missing?)", table)
		}
		return v.String
	}
	s, d := sum(src, srcTable), sum(dst, dstTable)
	if s != d {
		t.Errorf("CHECKSUM TABLE differs: source %s = %s, destination %s = %s", srcTable, s, dstTable, d)
		return
	}
	t.Logf("CHECKSUM TABLE %s = %s on both servers", srcTable, s)
}
