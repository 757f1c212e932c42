package engine

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dbconn"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/etl"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/schema"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/tablemap"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/vocab"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// mapCatalog is a source catalog held in memory: database -> its tables, in order.
type mapCatalog map[string][]*schema.Table

func (c mapCatalog) databaseExists(_ context.Context, database string) (bool, error) {
	_, ok := c[database]
	return ok, nil
}

func (c mapCatalog) listTables(_ context.Context, database string) ([]string, error) {
	var out []string
	for _, t := range c[database] {
		out = append(out, t.Name)
	}
	return out, nil
}

func (c mapCatalog) describe(_ context.Context, database string, names []string) ([]*schema.Table, error) {
	out := make([]*schema.Table, len(names))
	for i, n := range names {
		for _, t := range c[database] {
			if t.Name == n {
				out[i] = t
			}
		}
		if out[i] == nil {
			return nil, fmt.Errorf("table %s.%s does not exist", database, n)
		}
	}
	return out, nil
}

// shopCatalog is a source with a table of every shape the plans differ on: a generated
// column, binary and YEAR columns etl replaces, a table without a key.
func shopCatalog() mapCatalog {
	col := func(name, typ string, nullable bool) schema.Column {
		return schema.Column{Name: name, DataType: typ, Nullable: nullable}
	}
	orders := &schema.Table{Database: "shop", Name: "orders", Key: []string{"id"},
		Columns: []schema.Column{
			col("id", "int", false), col("customer", "varchar", true), col("amount", "decimal", true),
			col("status", "varchar", true), col("note", "text", true), col("born", "year", true),
			col("secret", "varbinary", true),
			{Name: "total", DataType: "decimal", Nullable: true, Generated: true},
		},
		CreateSQL: "CREATE TABLE `orders` (\n" +
			"  `id` int(11) NOT NULL,\n" +
			"  `customer` varchar(64) DEFAULT NULL,\n" +
			"  `amount` decimal(10,2) DEFAULT NULL,\n" +
			"  `status` varchar(16) DEFAULT NULL,\n" +
			"  `note` text DEFAULT NULL,\n" +
			"  `born` year(4) DEFAULT NULL,\n" +
			"  `secret` varbinary(16) DEFAULT NULL,\n" +
			"  `total` decimal(11,2) GENERATED ALWAYS AS (`amount` + 1) VIRTUAL,\n" +
			"  PRIMARY KEY (`id`),\n" +
			"  KEY `by_customer` (`customer`)\n" +
			") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci",
	}
	simple := func(db, name string, key bool) *schema.Table {
		t := &schema.Table{Database: db, Name: name, Columns: []schema.Column{col("id", "bigint", false), col("v", "varchar", true)},
			CreateSQL: "CREATE TABLE `" + name + "` (\n  `id` bigint(20) NOT NULL,\n  `v` varchar(32) DEFAULT NULL"}
		if key {
			t.Key = []string{"id"}
			t.CreateSQL += ",\n  PRIMARY KEY (`id`)"
		}
		t.CreateSQL += "\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci"
		return t
	}
	return mapCatalog{
		"shop":  {orders, simple("shop", "items", true), simple("shop", "log", false)},
		"east":  {simple("east", "sales", true)},
		"west":  {simple("west", "sales", true)},
		"empty": nil,
	}
}

// TestPlans builds the plans of selections from an in-memory catalog and compares their
// JSON, and the CREATE TABLE each renders for a MariaDB destination, with the golden files
// testdata/plans/<case>.json (go test -run TestPlans -update rewrites them).
func TestPlans(t *testing.T) {
	cases := []struct {
		name string
		task Task
	}{
		{"renames", Task{Objects: []Object{{Database: "shop", RenameTo: "shop_dw", Tables: []Table{
			{Name: "orders", RenameTo: "purchases", ColumnRenames: map[string]string{"customer": "client", "amount": "price"}},
		}}}}},
		{"column_subset", Task{Objects: []Object{{Database: "shop", Tables: []Table{
			{Name: "orders", Columns: []string{"id", "amount", "total", "customer"}, ColumnRenames: map[string]string{"amount": "price"}},
		}}}}},
		{"where", Task{Objects: []Object{{Database: "shop", Tables: []Table{
			{Name: "orders", Where: "status <> 'void' AND amount > 0"},
			{Name: "items", Where: "id BETWEEN 10 AND 20"},
		}}}}},
		{"etl", Task{Objects: []Object{{Database: "shop", Tables: []Table{
			{Name: "orders", ETL: etl.Spec{
				Filter: `row.status != "void"`,
				Set: map[string]string{
					"customer": `has(row.customer) ? row.customer.lowerAscii() : row.customer`,
					"born":     `has(row.born) ? row.born + 1 : row.born`,
					"secret":   `row.secret`,
					"label":    `row.status + ":" + string(row.id)`,
				},
				DropColumns: []string{"note"},
			}},
		}}}}},
		{"merge_tables", Task{MergeTables: true, Objects: []Object{
			{Database: "east", RenameTo: "all_sales", Tables: []Table{{Name: "sales"}}},
			{Database: "west", RenameTo: "all_sales", Tables: []Table{{Name: "sales"}}},
		}}},
		{"operations", Task{
			DMLOperations: []vocab.Operation{vocab.DMLInsert, vocab.DMLUpdate},
			DDLOperations: []vocab.Operation{vocab.DDLAddColumn, vocab.DDLRenameTable},
			Objects: []Object{{Database: "shop", Tables: []Table{
				{Name: "orders", DMLOperations: []vocab.Operation{vocab.DMLInsert}},
				{Name: "items", DDLOperations: []vocab.Operation{vocab.DDLDropColumn}},
			}}},
		}},
		{"whole_database", Task{Objects: []Object{{Database: "shop", RenameTo: "shop_all"}, {Database: "empty"}}}},
		{"table_fields", Task{Objects: []Object{{Database: "shop", Tables: []Table{
			{Name: "items", TableType: "fact", PrimaryKey: []string{"id"}, DistributionKey: []string{"id"}, PartitionKey: "v", PartitionRule: "value", PartitionLifecycle: 30},
		}}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.task.Source.Type, c.task.Destination.Type = dbconn.TypeMariaDB, dbconn.TypeMariaDB
			plans, err := plan(context.Background(), shopCatalog(), c.task)
			if err != nil {
				t.Fatal(err)
			}
			got := struct {
				Plans   []tablemap.Table `json:"plans"`
				Creates []string         `json:"creates,omitempty"`
			}{Plans: plans}
			// The table fields are AnalyticDB's: a MariaDB destination refuses them, and
			// the plan is what this case is about.
			if c.name != "table_fields" {
				ddl, err := renderSchema(c.task, plans)
				if err != nil {
					t.Fatal(err)
				}
				got.Creates = ddl.tables
			}
			b, err := json.MarshalIndent(got, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			b = append(b, '\n')
			path := filepath.Join("testdata", "plans", c.name+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to write it)", err)
			}
			if string(b) != string(want) {
				t.Errorf("plans of %s differ from %s:\n got %s\nwant %s", c.name, path, b, want)
			}
		})
	}
}

// Selections the plan refuses, with the error that names the object and the fix.
func TestPlanRefuses(t *testing.T) {
	for _, c := range []struct {
		name string
		task Task
		want string
	}{
		{"missing database", Task{Objects: []Object{{Database: "nope"}}}, `source database "nope" does not exist`},
		{"missing column", Task{Objects: []Object{{Database: "shop", Tables: []Table{{Name: "orders", Columns: []string{"id", "nope"}}}}}}, `column "nope" of table shop.orders (in columns) does not exist`},
		{"key left out", Task{Objects: []Object{{Database: "shop", Tables: []Table{{Name: "orders", Columns: []string{"amount"}}}}}}, `leave out key column "id"`},
		{"where column", Task{Objects: []Object{{Database: "shop", Tables: []Table{{Name: "orders", Where: "nope > 1"}}}}}, `names column "nope"`},
		{"two into one", Task{Objects: []Object{{Database: "east", RenameTo: "x", Tables: []Table{{Name: "sales"}}}, {Database: "west", RenameTo: "x", Tables: []Table{{Name: "sales"}}}}},
			"source tables east.sales and west.sales would both be written to x.sales"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := plan(context.Background(), shopCatalog(), c.task)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("plan error = %v, want one containing %q", err, c.want)
			}
		})
	}
	// An etl block that does not type-check leaves the plans, for the precheck's own item.
	plans, err := plan(context.Background(), shopCatalog(), Task{Objects: []Object{{Database: "shop", Tables: []Table{
		{Name: "orders", ETL: etl.Spec{Set: map[string]string{"x": `row.amount + "1"`}}}}}}})
	if _, ok := err.(*ETLError); !ok || len(plans) != 1 || plans[0].ETL != nil {
		t.Fatalf("plan with a bad etl block = %d plans, %v; want the plan without a program and an *ETLError", len(plans), err)
	}
}
