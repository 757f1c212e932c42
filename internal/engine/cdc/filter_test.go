package cdc

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/schema"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/tablemap"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
)

// onTable is the filter as the full migration's SELECT on the source applies it: the rows
// stored in a real table with the columns' types, selected with the where clause. It
// returns the indexes of the rows kept.
func onTable(ctx context.Context, db *sql.DB, where string) (map[int]bool, error) {
	rows, err := db.QueryContext(ctx, "SELECT r.`row_no` FROM s.t AS r WHERE ("+where+")")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	kept := map[int]bool{}
	for rows.Next() {
		var i int
		if err := rows.Scan(&i); err != nil {
			return nil, err
		}
		kept[i] = true
	}
	return kept, rows.Err()
}

// TestBatchedFilterMatchesTheSourceSelect evaluates filters over row images of many types,
// NULLs mixed with values in one column, on a real MariaDB, in batches (several per table,
// as the chunk size is lowered), and compares the verdicts with a SELECT of the same rows
// stored in a table of the same column types, as the full copy filters them: text compares
// by the column's collation ('Alice' = 'alice' under utf8mb4_general_ci).
func TestBatchedFilterMatchesTheSourceSelect(t *testing.T) {
	ctx := context.Background()
	server := mariadbtest.StartDestination(t)
	db := server.DB(t, "")
	server.Exec(t, "CREATE DATABASE s",
		"CREATE TABLE s.t (row_no INT PRIMARY KEY, id BIGINT UNSIGNED, name VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci, "+
			"price DECIMAL(10,2), created DATETIME, score INT, data BLOB, ratio DOUBLE, "+
			"state ENUM('new','active','gone') CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci, tags SET('a','b','c') CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci)")
	cols := []schema.Column{
		{Name: "id", DataType: "bigint", Unsigned: true},
		{Name: "name", DataType: "varchar", Charset: "utf8mb4", Collation: "utf8mb4_general_ci", Nullable: true},
		{Name: "price", DataType: "decimal", Nullable: true},
		{Name: "created", DataType: "datetime", Nullable: true},
		{Name: "score", DataType: "int", Nullable: true},
		{Name: "data", DataType: "blob", Nullable: true},
		{Name: "ratio", DataType: "double", Nullable: true},
		{Name: "state", DataType: "enum", Members: []string{"new", "active", "gone"}, Charset: "utf8mb4", Collation: "utf8mb4_general_ci", Nullable: true},
		{Name: "tags", DataType: "set", Members: []string{"a", "b", "c"}, Charset: "utf8mb4", Collation: "utf8mb4_general_ci", Nullable: true},
	}
	// Row images as go-mysql decodes them.
	raw := [][]any{
		{int64(1), "Alice", decimal.RequireFromString("10.50"), "2024-01-02 03:04:05", int32(50), []byte{0, 1}, 0.5, int64(2), int64(5)},
		{int64(-1), "bob", decimal.RequireFromString("-3.25"), "2023-12-31 23:59:59", int32(-7), []byte("x"), 1e300, int64(1), int64(0)},
		{int64(3), nil, nil, nil, nil, nil, nil, nil, nil},
		{int64(4), "ALICE", decimal.RequireFromString("10.5"), "2024-01-02 03:04:05", int32(49), []byte{}, -0.0, int64(0), int64(7)},
		{int64(5), "", decimal.RequireFromString("0"), "0000-00-00 00:00:00", int32(0), nil, 2.0, int64(3), int64(2)},
		{int64(6), "née ü", decimal.RequireFromString("99999999.99"), "2024-02-29 00:00:00", int32(100), []byte("\xff"), 3.25, int64(2), int64(4)},
	}
	images := make([][]any, len(raw))
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SET SESSION sql_mode = ''"); err != nil { // the zero date
		t.Fatal(err)
	}
	for i, r := range raw {
		images[i] = make([]any, len(cols))
		for j, c := range cols {
			v, err := argValue(c, r[j])
			if err != nil {
				t.Fatal(err)
			}
			images[i][j] = v
		}
		if _, err := conn.ExecContext(ctx, "INSERT INTO s.t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", append([]any{i}, images[i]...)...); err != nil {
			t.Fatalf("storing row %d: %v", i, err)
		}
	}
	wheres := []string{
		"id > 0",
		"id > 4294967295",
		"score >= 50",
		"score IS NULL",
		"name = 'alice'",
		"name LIKE 'a%'",
		"name > 'B'",
		"name = 'nee u'",
		"state = 'active'",
		"state = 'ACTIVE' OR state = ''",
		"state IN ('new', 'gone')",
		"FIND_IN_SET('c', tags) > 0",
		"tags = 'a,c'",
		"LENGTH(name) > 3",
		"CHAR_LENGTH(name) = 5",
		"price > 10.4",
		"price = 10.5",
		"created >= '2024-01-01'",
		"YEAR(created) = 2024",
		"data IS NOT NULL AND LENGTH(data) > 0",
		"ratio < 1",
		"COALESCE(score, 0) % 2 = 0",
		"name IN ('bob', 'née ü') OR price IS NULL",
		"`score` BETWEEN 0 AND 60 AND r.id <> 4", // qualified by the derived table's alias
		"1 = 1",                                  // reads no column
	}
	d := mariadb(t)
	a := &applier{follower: &follower{dst: db, cfg: Config{Workers: 3}}} // chunks are evaluated 3 at a time
	for _, where := range wheres {
		tb := &Table{Table: tablemap.Table{SourceDatabase: "s", SourceTable: "t", DestDatabase: "d", DestTable: "t", Where: where}, Columns: cols, Key: []string{"id"}, Dest: map[string]string{}}
		if err := tb.replan(d); err != nil {
			t.Fatal(err)
		}
		for _, chunk := range []int{1000, 4, 1} {
			tb.plan.filterRows, tb.plan.filterRun = chunk, "" // no planned query for that size
			var changes []change
			for i, img := range images {
				var read []any // the values of the columns the filter reads
				for _, j := range tb.plan.filterColumns {
					read = append(read, img[j])
				}
				changes = append(changes, change{plan: tb.plan, key: fmt.Sprint(i), keyVals: []any{int64(i)}, image: read})
			}
			got, err := a.filter(ctx, changes)
			if err != nil {
				t.Fatalf("where %q: %v", where, err)
			}
			kept := map[string]bool{}
			for _, c := range got {
				kept[c.key] = true
			}
			want, err := onTable(ctx, db, where)
			if err != nil {
				t.Fatalf("where %q on the table: %v", where, err)
			}
			for i := range images {
				if kept[fmt.Sprint(i)] != want[i] {
					t.Errorf("where %q, row %v (batches of %d): the batched filter keeps it %v, the SELECT %v", where, raw[i], chunk, kept[fmt.Sprint(i)], want[i])
				}
			}
		}
	}
}

func TestWhereColumns(t *testing.T) {
	names, ok := whereColumns("a > 1 AND (LOWER(`B c`) LIKE 'x%' OR d IN (SELECT 1)) AND t.e IS NULL")
	if !ok || !slices.Equal(names, []string{"a", "B c", "d", "e"}) {
		t.Errorf("whereColumns = %v, %v", names, ok)
	}
	if _, ok := whereColumns("a >"); ok {
		t.Error("a filter that does not parse gave columns")
	}
}

// TestFilterIndexColumnAvoidsTheTablesColumns: a table with a column named like the index
// column still filters by its own column.
func TestFilterIndexColumnAvoidsTheTablesColumns(t *testing.T) {
	tb := &Table{Table: tablemap.Table{SourceDatabase: "s", SourceTable: "t", DestDatabase: "d", DestTable: "t", Where: "__adbmigrate_row > 1"}, Key: []string{"__adbmigrate_row"}, Columns: []schema.Column{{Name: "__adbmigrate_row", DataType: "int"}}, Dest: map[string]string{}}
	if err := tb.replan(mariadb(t)); err != nil {
		t.Fatal(err)
	}
	if tb.plan.indexColumn != "__adbmigrate_row_" {
		t.Errorf("index column is %q", tb.plan.indexColumn)
	}
	if !slices.Equal(tb.plan.filterColumns, []int{0}) {
		t.Errorf("the filter reads columns %v, want [0]", tb.plan.filterColumns)
	}
	want := "SELECT r.`__adbmigrate_row_` FROM (SELECT ? AS `__adbmigrate_row_`, ? AS `__adbmigrate_row` UNION ALL SELECT ?, ?) AS r WHERE (__adbmigrate_row > 1)"
	if got := tb.plan.filterQuery(2); got != want {
		t.Errorf("filter query\n%s\nwant\n%s", got, want)
	}
}
