package dialect

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run go test -update if the change is intended):\n%s", path, got)
	}
}

// TestApplyGolden renders the statements incremental migration applies, with names that
// need quoting.
func TestApplyGolden(t *testing.T) {
	for _, name := range []DatabaseType{MySQL, MariaDB, ADBMySQL} {
		t.Run(string(name), func(t *testing.T) {
			d, err := For(name)
			if err != nil {
				t.Fatal(err)
			}
			stmts := []string{
				d.Upsert("shop", "orders", []string{"id", "total", "we`ird"}, 1),
				d.Upsert("shop", "orders", []string{"id", "total", "we`ird"}, 3),
				d.DeleteByKey("shop", "orders", []string{"id"}, 2),
				d.DeleteByKey("shop", "order_lines", []string{"order_id", "line"}, 2),
				d.AddColumn("shop", "orders", "`note` varchar(20) DEFAULT NULL", ColumnPosition{}),
				d.AddColumn("shop", "orders", "`code` int(11) NOT NULL DEFAULT 0", ColumnPosition{First: true}),
				d.AddColumn("shop", "orders", "`label` varchar(10)", ColumnPosition{After: "total"}),
				d.DropColumn("shop", "orders", "note"),
			}
			golden(t, "apply."+string(name)+".sql", strings.Join(stmts, ";\n")+";\n")
		})
	}
}

// TestApplyDDLGolden renders the DDL incremental migration follows beyond ADD and DROP
// COLUMN, from a MariaDB source.
func TestApplyDDLGolden(t *testing.T) {
	opts, err := SplitOptions("ENGINE=InnoDB AUTO_INCREMENT=7 DEFAULT CHARSET=utf8mb4 ROW_FORMAT=DYNAMIC COMMENT='order heads'")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []DatabaseType{MySQL, MariaDB, ADBMySQL} {
		t.Run(string(name), func(t *testing.T) {
			d, err := For(name)
			if err != nil {
				t.Fatal(err)
			}
			stmts := []string{
				d.ModifyColumn("shop", "orders", "`total` decimal(14,4) NOT NULL", ColumnPosition{}),
				d.ModifyColumn("shop", "orders", "`note` varchar(200)", ColumnPosition{After: "we`ird"}),
				d.ModifyColumn("shop", "orders", "`code` int", ColumnPosition{First: true}),
				d.RenameColumn("shop", "orders", "note", "remark"),
				d.SetColumnDefault("shop", "orders", "total", "decimal(12,2) NULL", "0.00"),
				d.DropColumnDefault("shop", "orders", "total", "decimal(12,2) NULL"),
			}
			for _, ix := range []Index{
				{Kind: "KEY", Name: "by_total", Columns: []string{"total", "we`ird"}, Raw: "KEY `by_total` (`total`,`we``ird` DESC) COMMENT 'hot'"},
				{Kind: "UNIQUE", Name: "code", Columns: []string{"code"}, Raw: "UNIQUE KEY `code` (`code`) USING BTREE"},
				{Kind: "FULLTEXT", Name: "ft", Columns: []string{"remark"}},
				{Kind: "CHECK", Name: "positive", Raw: "CONSTRAINT `positive` CHECK (`total` >= 0)"},
			} {
				stmt, ok, err := d.AddIndex("shop", "orders", ix, MariaDB)
				if err != nil {
					t.Fatal(err)
				}
				if !ok {
					stmt = "-- not created: " + ix.Kind + " " + ix.Name
				}
				stmts = append(stmts, stmt)
			}
			options, left := d.TableOptions("shop", "orders", opts)
			var names []string
			for _, o := range left {
				names = append(names, o.Name)
			}
			stmts = append(stmts, options, "-- options left out: "+strings.Join(names, ", "),
				d.DropIndex("shop", "orders", "by_total"),
			)
			drop, add, ok := d.DeferIndexes("shop", "orders", []string{"by_total", "k"}, []string{"KEY `by_total` (`total`,`we``ird` DESC) COMMENT 'hot'", "KEY `k` (`k`)"})
			if !ok {
				drop, add = "-- indexes not deferred", "-- indexes not deferred"
			}
			stmts = append(stmts, drop, add,
				d.CreateTableLike("shop", "orders_2027", "shop", "orders"),
				d.TruncateTable("shop", "orders_2027"),
				d.RenameTable("shop", "orders_2027", "archive", "orders"),
				d.DropTable("archive", "orders"),
			)
			golden(t, "apply_ddl."+string(name)+".sql", strings.Join(stmts, ";\n")+";\n")
		})
	}
}

func TestApplyPlaceholders(t *testing.T) {
	d, _ := For(MariaDB)
	for rows := 1; rows <= 4; rows++ {
		if got := strings.Count(d.Upsert("d", "t", []string{"a", "b", "c"}, rows), "?"); got != 3*rows {
			t.Errorf("Upsert of %d rows has %d placeholders, want %d", rows, got, 3*rows)
		}
		if got := strings.Count(d.DeleteByKey("d", "t", []string{"a", "b"}, rows), "?"); got != 2*rows {
			t.Errorf("DeleteByKey of %d rows has %d placeholders, want %d", rows, got, 2*rows)
		}
	}
}

// TestMetaTableGolden renders a table of every meta type, and the column added later.
func TestMetaTableGolden(t *testing.T) {
	table := MetaTable{Database: "meta", Name: "progress", PrimaryKey: []string{"task_id", "worker"}, Columns: []MetaColumn{
		{"task_id", MetaName}, {"worker", MetaInt}, {"binlog_file", MetaFile}, {"binlog_pos", MetaOffset},
		{"gtid_set", MetaText}, {"tables", MetaLongText}, {"lo", MetaNullLongText}, {"changes", MetaBigint},
		{"done", MetaFlag}, {"recorded_at", MetaCreatedAt}, {"updated_at", MetaUpdatedAt},
	}}
	for _, name := range []DatabaseType{MySQL, MariaDB, ADBMySQL} {
		t.Run(string(name), func(t *testing.T) {
			d, err := For(name)
			if err != nil {
				t.Fatal(err)
			}
			stmts := []string{d.CreateMetaTable(table), d.AddMetaColumn("meta", "progress", MetaColumn{"added", MetaBigint})}
			golden(t, "meta_table."+string(name)+".sql", strings.Join(stmts, ";\n")+";\n")
		})
	}
}

// A where filter reads a character column's bytes as text of its character set and
// collation on MySQL and MariaDB; AnalyticDB's rendering keeps the bytes. Names that are not
// plain identifiers are never spliced in.
func TestTextValue(t *testing.T) {
	my, adb := mustDialect(t, MariaDB), mustDialect(t, ADBMySQL)
	for _, c := range []struct {
		d                        Dialect
		charset, collation, want string
	}{
		{my, "utf8mb4", "utf8mb4_general_ci", "CONVERT(? USING utf8mb4) COLLATE utf8mb4_general_ci"},
		{my, "latin1", "", "CONVERT(? USING latin1)"},
		{my, "utf8mb4", "x; DROP TABLE t", "?"},
		{my, "", "", "?"},
		{adb, "utf8mb4", "utf8mb4_general_ci", "?"},
	} {
		if got := c.d.TextValue(c.charset, c.collation); got != c.want {
			t.Errorf("%s TextValue(%q, %q) = %q, want %q", c.d.Name(), c.charset, c.collation, got, c.want)
		}
	}
}

// ENUM indexes and SET bit masks become their member text for a where filter.
func TestMemberValue(t *testing.T) {
	my, adb := mustDialect(t, MySQL), mustDialect(t, ADBMySQL)
	if got, want := my.MemberValue([]string{"new", "it's"}, false, "utf8mb4", "utf8mb4_bin"), "CONVERT(ELT(? + 1, '', 'new', 'it\\'s') USING utf8mb4) COLLATE utf8mb4_bin"; got != want {
		t.Errorf("enum: %s, want %s", got, want)
	}
	if got, want := my.MemberValue([]string{"a", "b"}, true, "latin1", ""), "CONVERT(MAKE_SET(?, 'a', 'b') USING latin1)"; got != want {
		t.Errorf("set: %s, want %s", got, want)
	}
	if got := adb.MemberValue([]string{"a"}, true, "utf8mb4", ""); got != "?" {
		t.Errorf("adb: %s", got)
	}
}

func mustDialect(t *testing.T, name DatabaseType) Dialect {
	t.Helper()
	d, err := For(name)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
