package dialect

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// salesTable is the example of ADB.md's CREATE TABLE section.
func salesTable() Table {
	return Table{
		Database: "shop", Name: "sales",
		Columns: []Column{
			{"sale_id", "bigint NOT NULL"},
			{"sale_time", "datetime NOT NULL"},
			{"customer_id", "varchar(32) NOT NULL COMMENT 'who, (buyer)'"},
			{"amount", "decimal(12,2) NOT NULL DEFAULT '0.00'"},
		},
		PrimaryKey:   []string{"sale_time", "sale_id"},
		Indexes:      []Index{{Kind: "KEY", Name: "idx_customer", Columns: []string{"customer_id"}, Raw: "KEY `idx_customer` (`customer_id`)"}},
		Options:      "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci",
		SourceFlavor: MySQL,
	}
}

// adbSourceTable is an AnalyticDB table, with the layout the engine reads from its
// source options.
func adbSourceTable() Table {
	t := Table{
		Database: "dw", Name: "events",
		Columns: []Column{
			{"event_id", "bigint NOT NULL COMMENT ''"},
			{"event_time", "timestamp NOT NULL COMMENT ''"},
			{"user_id", "varchar(64) NOT NULL COMMENT 'u'"},
			{"body", "varchar(1024) COMMENT 'text, (searchable)'"},
		},
		PrimaryKey: []string{"event_time", "event_id"},
		Indexes: []Index{
			{Kind: "KEY", Name: "idx_user", Columns: []string{"user_id"}, Raw: "KEY `idx_user` (`user_id`)"},
			{Kind: "CLUSTERED", Name: "ck_user", Columns: []string{"user_id"}, Raw: "CLUSTERED KEY `ck_user` (`user_id` DESC)"},
			{Kind: "FULLTEXT", Name: "ft_body", Columns: []string{"body"}, Raw: "FULLTEXT INDEX `ft_body` (`body`) WITH ANALYZER standard COMMENT 'ft'"},
		},
		Options: "DISTRIBUTED BY HASH(`event_id`) PARTITION BY VALUE(DATE_FORMAT(`event_time`, '%Y%m%d')) LIFECYCLE 30 " +
			"INDEX_ALL='Y' STORAGE_POLICY='HOT' ENGINE='XUANWU' BLOCK_SIZE=8192 TABLE_PROPERTIES='{\"format\":\"columnstore\"}' BINLOG=true COMMENT='events, (raw)'",
		SourceFlavor: ADBMySQL,
	}
	// The layout comes from the fields, which the engine fills from the source's
	// (schema.Definition's DistributionKey, ...), never from Options.
	t.TableType, t.DistributionKey = TableTypeFact, []string{"event_id"}
	t.PartitionKey, t.PartitionRule, t.PartitionLifecycle = "event_time", PartitionDay, 30
	return t
}

var goldenCases = []struct {
	name     string
	dialects []DatabaseType
	table    func() Table
}{
	{"plain", []DatabaseType{MySQL, MariaDB, ADBMySQL}, func() Table {
		return Table{
			Database: "shop", Name: "customers",
			Columns: []Column{
				{"id", "int(11) NOT NULL AUTO_INCREMENT"},
				{"name", "varchar(100) NOT NULL DEFAULT 'a,)b'"},
				{"created", "datetime DEFAULT current_timestamp()"},
			},
			PrimaryKey:   []string{"id"},
			Indexes:      []Index{{Kind: "KEY", Name: "idx_name", Columns: []string{"name"}, Raw: "KEY `idx_name` (`name`)"}},
			Options:      "ENGINE=InnoDB AUTO_INCREMENT=42 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci ROW_FORMAT=DYNAMIC COMMENT='plain, (table)'",
			SourceFlavor: MariaDB,
		}
	}},
	{"hash_day_lifecycle", []DatabaseType{ADBMySQL}, func() Table {
		t := salesTable()
		t.TableType = TableTypeFact
		t.DistributionKey = []string{"sale_id"}
		t.PartitionKey, t.PartitionRule, t.PartitionLifecycle = "sale_time", PartitionDay, 365
		return t
	}},
	{"partition_month", []DatabaseType{ADBMySQL}, func() Table {
		t := salesTable()
		t.DistributionKey = []string{"sale_id"}
		t.PartitionKey, t.PartitionRule, t.PartitionLifecycle = "sale_time", PartitionMonth, 24
		return t
	}},
	{"partition_year", []DatabaseType{ADBMySQL}, func() Table {
		t := salesTable()
		t.PartitionKey, t.PartitionRule = "sale_time", PartitionYear
		return t
	}},
	{"partition_value", []DatabaseType{ADBMySQL}, func() Table {
		t := salesTable()
		t.Columns = append(t.Columns, Column{"region", "int NOT NULL"})
		t.PrimaryKey = []string{"region", "sale_id"}
		t.DistributionKey = []string{"sale_id"}
		t.PartitionKey, t.PartitionRule, t.PartitionLifecycle = "region", PartitionValue, 10
		return t
	}},
	{"pk_default_distribution", []DatabaseType{MariaDB, ADBMySQL}, func() Table {
		t := salesTable()
		t.TableType = TableTypeFact
		return t
	}},
	{"dimension", []DatabaseType{ADBMySQL}, func() Table {
		return Table{
			Database: "shop", Name: "regions",
			Columns:      []Column{{"region_id", "int NOT NULL"}, {"name", "varchar(64) NOT NULL"}},
			PrimaryKey:   []string{"region_id"},
			Options:      "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='lookup'\n/*!50100 PARTITION BY HASH (`region_id`)\nPARTITIONS 4 */",
			SourceFlavor: MySQL,
			TableType:    TableTypeDimension,
		}
	}},
	{"adb_source", []DatabaseType{ADBMySQL}, adbSourceTable},
	{"adb_source_to_mysql", []DatabaseType{MariaDB, MySQL}, func() Table {
		t := adbSourceTable()
		t.TableType, t.DistributionKey = "", nil
		t.PartitionKey, t.PartitionRule, t.PartitionLifecycle = "", "", 0
		return t
	}},
	{"renamed_indexes", []DatabaseType{MySQL, ADBMySQL}, func() Table {
		// Source columns id, name, email, created became user_id, full_name, mail, created_at.
		// A MySQL destination: MariaDB has no functional key part such as idx_lower's
		// (TestValidateCrossFamily).
		rename := map[string]string{"id": "user_id", "name": "full_name", "email": "mail", "created": "created_at"}
		return Table{
			Database: "crm", Name: "people",
			Columns: []Column{
				{"user_id", "int(11) NOT NULL"},
				{"full_name", "varchar(200) NOT NULL"},
				{"mail", "varchar(200) DEFAULT NULL"},
				{"created_at", "datetime NOT NULL"},
			},
			PrimaryKey: []string{"user_id"},
			Indexes: []Index{
				{Kind: "UNIQUE", Name: "uk_mail", Columns: []string{"mail"}, Raw: "UNIQUE KEY `uk_mail` (`email`)"},
				{Kind: "KEY", Name: "idx_name_created", Columns: []string{"full_name", "created_at"},
					Raw: "KEY `idx_name_created` (`name`(10),`created` DESC) USING BTREE COMMENT 'by name, (then) date'"},
				{Kind: "KEY", Name: "idx_simple", Columns: []string{"mail", "full_name"}, Raw: ""},
				{Kind: "KEY", Name: "idx_lower", Raw: RenameIdents("KEY `idx_lower` ((lower(`name`)))", rename)},
				{Kind: "CHECK", Name: "chk_mail", Raw: RenameIdents("CONSTRAINT `chk_mail` CHECK (`email` like '%@%' and `name` <> '`email`')", rename)},
			},
			Options:      "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci",
			SourceFlavor: MySQL,
		}
	}},
	{"generated_column", []DatabaseType{MariaDB, ADBMySQL}, func() Table {
		return Table{
			Database: "shop", Name: "lines",
			Columns: []Column{
				{"id", "int(11) NOT NULL"},
				{"price", "decimal(10,2) NOT NULL"},
				{"qty", "int(11) NOT NULL"},
				{"total", "decimal(12,2) GENERATED ALWAYS AS (`price` * `qty`) STORED"},
				{"label", "varchar(50) GENERATED ALWAYS AS (concat('#', `id`, ', (x)')) VIRTUAL"},
			},
			PrimaryKey:   []string{"id"},
			Indexes:      []Index{{Kind: "KEY", Name: "idx_total", Columns: []string{"total"}, Raw: "KEY `idx_total` (`total`)"}},
			Options:      "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
			SourceFlavor: MariaDB,
		}
	}},
}

func TestCreateTableGolden(t *testing.T) {
	for _, c := range goldenCases {
		for _, name := range c.dialects {
			t.Run(c.name+"."+string(name), func(t *testing.T) {
				d, err := For(name)
				if err != nil {
					t.Fatal(err)
				}
				got, err := d.CreateTable(c.table())
				if err != nil {
					t.Fatal(err)
				}
				got += ";\n"
				path := filepath.Join("testdata", c.name+"."+string(name)+".sql")
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
					t.Errorf("CreateTable differs from %s (run go test -update if the change is intended):\n%s", path, got)
				}
			})
		}
	}
}

func TestValidateErrors(t *testing.T) {
	cases := []struct {
		name        string
		dialect     DatabaseType
		change      func(*Table)
		field, text string
	}{
		{"mariadb distribution key", MariaDB, func(t *Table) { t.DistributionKey = []string{"sale_id"} },
			"distribution_key", "mariadb destinations have no distribution key: remove distribution_key from the table or use an adb_mysql3 destination"},
		{"mysql dimension", MySQL, func(t *Table) { t.TableType = TableTypeDimension }, "table_type", "mysql destinations have no dimension"},
		{"mariadb partition key", MariaDB, func(t *Table) { t.PartitionKey = "sale_time" }, "partition_key", "remove partition_key"},
		{"mariadb partition rule", MariaDB, func(t *Table) { t.PartitionKey, t.PartitionRule = "sale_time", PartitionDay }, "partition_rule", "remove partition_rule"},
		{"mariadb lifecycle", MariaDB, func(t *Table) { t.PartitionKey, t.PartitionLifecycle = "sale_time", 3 }, "partition_lifecycle", "remove partition_lifecycle"},
		{"composite pk lacks distribution key", ADBMySQL, func(t *Table) {
			t.Columns = append(t.Columns, Column{"region", "int NOT NULL"})
			t.DistributionKey = []string{"region", "sale_id"}
		}, "primary_key", "it lacks `region`: add them to primary_key"},
		{"composite pk lacks partition key", ADBMySQL, func(t *Table) {
			t.PrimaryKey = []string{"sale_id", "customer_id"}
			t.PartitionKey = "sale_time"
		}, "primary_key", "it lacks `sale_time`"},
		{"composite pk rule on mariadb too", MariaDB, func(t *Table) { t.PrimaryKey = []string{"sale_id", "customer_id"}; t.PartitionKey = "sale_time" },
			"primary_key", "must include every distribution key column and the partition key"},
		{"single pk lacks partition key", ADBMySQL, func(t *Table) { t.PrimaryKey = []string{"sale_id"}; t.PartitionKey = "sale_time" },
			"primary_key", "it lacks `sale_time`"},
		{"adb without primary key", ADBMySQL, func(t *Table) { t.PrimaryKey = nil; t.DistributionKey = []string{"sale_id"} },
			"primary_key", "__adb_auto_id__"},
		{"dimension without primary key", ADBMySQL, func(t *Table) { t.PrimaryKey = nil; t.TableType = TableTypeDimension },
			"primary_key", "set primary_key"},
		{"distribution column missing", ADBMySQL, func(t *Table) { t.DistributionKey = []string{"nope"} }, "distribution_key", "`nope` are not among the migrated columns"},
		{"partition column missing", ADBMySQL, func(t *Table) { t.PartitionKey = "nope" }, "partition_key", "`nope` is not among the migrated columns"},
		{"primary key column missing", MariaDB, func(t *Table) { t.PrimaryKey = []string{"sale_id", "gone"} }, "primary_key", "`gone` are not among the migrated columns"},
		{"rule without key", ADBMySQL, func(t *Table) { t.PartitionRule = PartitionMonth }, "partition_rule", "needs a partition_key"},
		{"unknown rule", ADBMySQL, func(t *Table) { t.PartitionKey, t.PartitionRule = "sale_time", "week" }, "partition_rule", `unknown partition rule "week"`},
		{"lifecycle without key", ADBMySQL, func(t *Table) { t.PartitionLifecycle = 30 }, "partition_lifecycle", "needs a partition_key"},
		{"negative lifecycle", ADBMySQL, func(t *Table) { t.PartitionKey, t.PartitionLifecycle = "sale_time", -1 }, "partition_lifecycle", "at least 1"},
		{"dimension with distribution key", ADBMySQL, func(t *Table) { t.TableType = TableTypeDimension; t.DistributionKey = []string{"sale_id"} },
			"distribution_key", "a dimension table is copied to every node"},
		{"unknown table type", ADBMySQL, func(t *Table) { t.TableType = "hot" }, "table_type", `unknown table type "hot"`},
		{"duplicate column after rename", MariaDB, func(t *Table) { t.Columns[2].Name = "SALE_ID" }, "columns", "`SALE_ID` appears twice"},
		{"no columns", ADBMySQL, func(t *Table) { t.Columns = nil; t.PrimaryKey = nil }, "columns", "select at least one column"},
		{"index column dropped", MariaDB, func(t *Table) { t.Columns = t.Columns[:2]; t.Indexes[0].Columns = []string{"customer_id"} },
			"indexes", "KEY index `idx_customer` uses column(s) `customer_id` that are not migrated"},
		{"unknown index kind", MariaDB, func(t *Table) { t.Indexes[0].Kind = "VECTOR" }, "indexes", `unknown kind "VECTOR"`},
		{"unknown source flavor", ADBMySQL, func(t *Table) { t.SourceFlavor = "" }, "source_flavor", "unknown source flavor"},
		{"unreadable options", ADBMySQL, func(t *Table) { t.Options = "ENGINE=" }, "options", "cannot be read"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tb := salesTable()
			c.change(&tb)
			d, err := For(c.dialect)
			if err != nil {
				t.Fatal(err)
			}
			err = d.Validate(tb)
			if err == nil {
				t.Fatal("Validate passed")
			}
			if _, cerr := d.CreateTable(tb); cerr == nil || cerr.Error() != err.Error() {
				t.Errorf("CreateTable error %v, want Validate's", cerr)
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *FieldError", err)
			}
			var found bool
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				if errors.As(e, &fe) && fe.Field == c.field && strings.Contains(fe.Message, c.text) {
					found = true
				}
			}
			if !found {
				t.Errorf("no %s error containing %q in:\n%v", c.field, c.text, err)
			}
			if want := "table `shop`.`sales`: " + c.field + ": "; !strings.Contains(err.Error(), want) {
				t.Errorf("error does not start with %q: %v", want, err)
			}
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	adb, _ := For(ADBMySQL)
	tb := salesTable()
	tb.DistributionKey = []string{"sale_id"}
	tb.PartitionKey, tb.PartitionRule, tb.PartitionLifecycle = "sale_time", PartitionDay, 365
	if err := adb.Validate(tb); err != nil {
		t.Errorf("the ADB.md example fails: %v", err)
	}
	mariadb, _ := For(MariaDB)
	tb = salesTable()
	tb.TableType = TableTypeFact
	tb.PrimaryKey = nil // MySQL and MariaDB tables may lack a primary key
	if err := mariadb.Validate(tb); err != nil {
		t.Errorf("a fact table without a primary key on mariadb: %v", err)
	}
}

func TestFor(t *testing.T) {
	for _, name := range []DatabaseType{MySQL, MariaDB, ADBMySQL} {
		d, err := For(name)
		if err != nil || d.Name() != name {
			t.Errorf("For(%q) = %v, %v", name, d, err)
		}
		if got, want := d.CreateDatabase("we`ird"), "CREATE DATABASE IF NOT EXISTS `we``ird`"; got != want {
			t.Errorf("%s CreateDatabase = %q, want %q", name, got, want)
		}
	}
	if _, err := For("oracle"); err == nil || !strings.Contains(err.Error(), "adb_mysql3") {
		t.Errorf("For(oracle) error %v", err)
	}
}

func TestRenameIdents(t *testing.T) {
	in := "(concat(`a`, '`a`', \"`a`\", `A`, `b``c`, /* `a` */ `ab`))"
	got := RenameIdents(in, map[string]string{"a": "x`y", "b`c": "bc"})
	want := "(concat(`x``y`, '`a`', \"`a`\", `x``y`, `bc`, /* `a` */ `ab`))"
	if got != want {
		t.Errorf("RenameIdents:\n%s\nwant\n%s", got, want)
	}
	if RenameIdents(in, nil) != in {
		t.Error("RenameIdents with no names changed the text")
	}
}

func TestSplitOptions(t *testing.T) {
	in := "ENGINE=InnoDB AUTO_INCREMENT=5 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='a ''b'' (c), d' " +
		"`encrypted`=yes WITH SYSTEM VERSIONING /*!50100 TABLESPACE `x` */ DISTRIBUTED BY HASH(`a`, `b`) " +
		"PARTITION BY VALUE(DATE_FORMAT(`d`, '%Y%m')) LIFECYCLE 12 TABLE_PROPERTIES='{\"k\":\"v\"}' " +
		"PARTITION BY RANGE (`a`) (PARTITION p0 VALUES LESS THAN (10) ENGINE = InnoDB)"
	opts, err := SplitOptions(in)
	if err != nil {
		t.Fatal(err)
	}
	var got [][2]string
	for _, o := range opts {
		got = append(got, [2]string{o.Name, o.Value})
	}
	want := [][2]string{
		{"ENGINE", "InnoDB"}, {"AUTO_INCREMENT", "5"}, {"DEFAULT CHARSET", "utf8mb4"},
		{"COLLATE", "utf8mb4_general_ci"}, {"COMMENT", "'a ''b'' (c), d'"}, {"`ENCRYPTED`", "yes"},
		{"WITH SYSTEM VERSIONING", ""}, {"/*", ""}, {"DISTRIBUTED BY", "HASH(`a`, `b`)"},
		{"PARTITION BY", "VALUE(DATE_FORMAT(`d`, '%Y%m'))"}, {"LIFECYCLE", "12"},
		{"TABLE_PROPERTIES", "'{\"k\":\"v\"}'"},
		{"PARTITION BY", "RANGE (`a`) (PARTITION p0 VALUES LESS THAN (10) ENGINE = InnoDB)"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SplitOptions:\n%q\nwant\n%q", got, want)
	}
	if opts[4].Raw != "COMMENT='a ''b'' (c), d'" {
		t.Errorf("raw %q", opts[4].Raw)
	}
	for _, bad := range []string{"ENGINE=", "= InnoDB", "DISTRIBUTED BY RANDOM", "COMMENT='x' (", ") x"} {
		if _, err := SplitOptions(bad); err == nil {
			t.Errorf("SplitOptions(%q) passed", bad)
		}
	}
}
