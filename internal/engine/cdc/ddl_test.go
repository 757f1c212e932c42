package cdc

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/schema"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/tablemap"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/vocab"
)

// TestParseDDLWithLiterals needs the parser's literal driver, which cdc imports itself: this
// test binary links no other package of the engine that could.
func TestParseDDLWithLiterals(t *testing.T) {
	stmt, err := parseDDL("ALTER TABLE shop.orders ADD COLUMN note VARCHAR(20) NOT NULL DEFAULT 'n/a' COMMENT 'x', ADD COLUMN qty INT DEFAULT 0 AFTER id")
	if err != nil {
		t.Fatal(err)
	}
	alter, ok := stmt.(*ast.AlterTableStmt)
	if !ok || len(alter.Specs) != 2 {
		t.Fatalf("parsed %T with %d specs", stmt, len(alter.Specs))
	}
	var b strings.Builder
	if err := alter.Specs[0].NewColumns[0].Restore(format.NewRestoreCtx(format.DefaultRestoreFlags, &b)); err != nil {
		t.Fatal(err)
	}
	if want := "`note` VARCHAR(20) NOT NULL DEFAULT _UTF8MB4'n/a' COMMENT 'x'"; b.String() != want {
		t.Errorf("restored %s, want %s", b.String(), want)
	}
}

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestCreateTableGolden renders a CREATE TABLE read from the binlog for each destination,
// as a table created in a database selected whole is created there: keys inline and apart,
// an index with a prefix, options.
func TestCreateTableGolden(t *testing.T) {
	stmt, err := parseDDL("CREATE TABLE `shop`.`orders_2027` (`id` BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, " +
		"`code` VARCHAR(20) NOT NULL UNIQUE, `total` DECIMAL(12,2) DEFAULT 0.00 COMMENT 'gross', `note` TEXT, " +
		"KEY `by_note` (`note`(16)), INDEX (`total` DESC)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='orders of 2027'")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []dialect.DatabaseType{dialect.MySQL, dialect.MariaDB, dialect.ADBMySQL} {
		t.Run(string(name), func(t *testing.T) {
			d, err := dialect.For(name)
			if err != nil {
				t.Fatal(err)
			}
			tb := &Table{Table: tablemap.Table{SourceDatabase: "shop", SourceTable: "orders_2027", DestDatabase: "shop_dw", DestTable: "orders_2027"}, Dest: map[string]string{}}
			def, _, err := tb.fromCreate(stmt.(*ast.CreateTableStmt), nil, name)
			if err != nil {
				t.Fatal(err)
			}
			dt := tb.destinationOf(def, dialect.MariaDB, name)
			if !slices.Equal(tb.Key, []string{"id"}) || !tb.OrderSensitive || len(tb.Columns) != 4 || tb.Columns[0].Nullable || !tb.Columns[0].Unsigned {
				t.Errorf("table read as key %v, order sensitive %v, columns %+v", tb.Key, tb.OrderSensitive, tb.Columns)
			}
			got, err := d.CreateTable(dt)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "create_table."+string(name)+".sql")
			if *update {
				if err := os.WriteFile(path, []byte(got+";\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got+";\n" != string(want) {
				t.Errorf("output differs from %s (run go test -update if the change is intended):\n%s", path, got)
			}
		})
	}
}

func TestOnlineSchemaChangeNames(t *testing.T) {
	for name, want := range map[string]string{
		"_orders_gho": "orders", "_orders_ghc": "orders", "_orders_del": "orders", "_orders_new": "orders", "__orders_new": "orders",
		"_orders_old": "orders", "_a_b_gho": "a_b", "orders_gho": "", "_gho": "", "orders": "", "_orders_tmp": "",
	} {
		if got := oscTarget(name); got != want {
			t.Errorf("oscTarget(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestReadsColumn(t *testing.T) {
	for where, want := range map[string]bool{
		"score > 5":                          true,
		"`score` IS NOT NULL AND id < 10":    true,
		"id IN (SELECT 1) OR name = 'score'": false,
		"t.score BETWEEN 1 AND 2":            true,
		"scores > 1":                         false,
	} {
		if got := readsColumn(where, "Score"); got != want {
			t.Errorf("readsColumn(%q, Score) = %v, want %v", where, got, want)
		}
	}
}

// TestHistory: the stored history round-trips every table and shadow; a table the history
// does not hold was created after its position and is left out; one the task no longer
// selects comes back from it; a version 1 history restores the columns of the task's tables.
func TestHistory(t *testing.T) {
	cols := []schema.Column{{Name: "id", DataType: "int"}, {Name: "v", DataType: "varchar", Nullable: true}}
	a := &follower{tables: map[string]*Table{
		"shop.orders":  {Table: tablemap.Table{SourceDatabase: "shop", SourceTable: "orders", DestDatabase: "dw", DestTable: "orders", Ops: vocab.DDLOperations}, Columns: cols, Dest: map[string]string{"id": "id", "v": "v"}, Key: []string{"id"}},
		"shop.renamed": {Table: tablemap.Table{SourceDatabase: "shop", SourceTable: "renamed", DestDatabase: "dw", DestTable: "old_name", Where: "id > 0"}, Columns: cols[:1], Dest: map[string]string{"id": "id"}, Key: []string{"id"}},
	}, shadows: map[string]*shadow{"shop._orders_gho": {Real: "shop.orders", Tool: "gh-ost", Alters: []string{"ALTER TABLE `shop`.`orders` ADD COLUMN `x` INT"}}}}
	stored := a.historyJSON()
	selected := []*Table{
		{Table: tablemap.Table{SourceDatabase: "shop", SourceTable: "orders", Where: "v <> ''", Ops: vocab.DefaultDDLOperations}},
		{Table: tablemap.Table{SourceDatabase: "shop", SourceTable: "created_later"}},
	}
	got, err := Restore(selected, stored)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != selected[0] || got[1].SourceTable != "renamed" {
		t.Fatalf("restored %+v", got)
	}
	if o := got[0]; o.DestDatabase != "dw" || len(o.Columns) != 2 || o.Where != "v <> ''" || !slices.Equal(o.Ops, vocab.DefaultDDLOperations) {
		t.Errorf("orders restored as %+v: want the stored schema with the task's where and operations", o)
	}
	if r := got[1]; r.DestTable != "old_name" || r.Where != "id > 0" || len(r.Columns) != 1 {
		t.Errorf("renamed restored as %+v", r)
	}
	shadows, err := restoreShadows(stored)
	if err != nil || shadows["shop._orders_gho"] == nil || shadows["shop._orders_gho"].Alters[0] != a.shadows["shop._orders_gho"].Alters[0] {
		t.Errorf("shadows restored as %+v (%v)", shadows, err)
	}
	followed, ok, err := Followed(stored)
	if err != nil || !ok || !followed["shop.renamed"] || followed["shop.created_later"] {
		t.Errorf("Followed = %v, %v, %v", followed, ok, err)
	}

	v1 := `{"shop.orders":{"columns":[{"Name":"id","DataType":"int"}],"dest":{"id":"id"}}}`
	old := []*Table{{Table: tablemap.Table{SourceDatabase: "shop", SourceTable: "orders"}}, {Table: tablemap.Table{SourceDatabase: "shop", SourceTable: "other"}}}
	got, err = Restore(old, v1)
	if err != nil || len(got) != 2 || len(got[0].Columns) != 1 {
		t.Errorf("version 1 restored as %+v (%v)", got, err)
	}
	if _, ok, _ := Followed(v1); ok {
		t.Error("Followed claims to know the tables of a version 1 history")
	}
}
