package dialect

import (
	"errors"
	"strings"
	"testing"
)

func TestCollationFor(t *testing.T) {
	cases := []struct {
		name         string
		source, dest DatabaseType
		want         string
	}{
		{"utf8mb4_0900_ai_ci", MySQL, MariaDB, "utf8mb4_uca1400_nopad_ai_ci"},
		{"utf8mb4_0900_as_cs", MySQL, MariaDB, "utf8mb4_uca1400_nopad_as_cs"},
		{"utf8mb4_0900_bin", MySQL, MariaDB, "utf8mb4_nopad_bin"},
		{"utf8mb4_es_trad_0900_as_cs", MySQL, MariaDB, "utf8mb4_uca1400_spanish2_nopad_as_cs"},
		{"utf8mb4_de_pb_0900_ai_ci", MySQL, MariaDB, "utf8mb4_uca1400_german2_nopad_ai_ci"},
		{"utf8mb4_ja_0900_as_cs_ks", MySQL, MariaDB, "utf8mb4_ja_0900_as_cs_ks"}, // no Japanese UCA on MariaDB
		{"utf8mb4_general_ci", MySQL, MariaDB, "utf8mb4_general_ci"},
		{"utf8mb4_0900_ai_ci", MySQL, MySQL, "utf8mb4_0900_ai_ci"},
		{"utf8mb4_uca1400_nopad_ai_ci", MariaDB, MySQL, "utf8mb4_0900_ai_ci"},
		{"utf8mb4_uca1400_swedish_nopad_as_cs", MariaDB, MySQL, "utf8mb4_sv_0900_as_cs"},
		{"utf8mb4_uca1400_swedish_nopad_as_ci", MariaDB, MySQL, "utf8mb4_uca1400_swedish_nopad_as_ci"}, // MySQL has no sv as_ci
		{"utf8mb4_uca1400_ai_ci", MariaDB, MySQL, "utf8mb4_uca1400_ai_ci"},                             // PAD SPACE: no 0900 twin
		{"utf8mb4_nopad_bin", MariaDB, MySQL, "utf8mb4_0900_bin"},
		{"utf8mb4_uca1400_nopad_ai_ci", MariaDB, ADBMySQL, "utf8mb4_uca1400_nopad_ai_ci"},
	}
	for _, c := range cases {
		if got := CollationFor(c.name, c.source, c.dest); got != c.want {
			t.Errorf("CollationFor(%s, %s, %s) = %s, want %s", c.name, c.source, c.dest, got, c.want)
		}
	}
}

// A MySQL 8 table, as SHOW CREATE TABLE prints it, rendered for MariaDB: what MariaDB
// would skip in a versioned comment or refuse is mapped, and the rest is as written.
func TestCreateTableMySQLToMariaDB(t *testing.T) {
	tb := Table{
		Database: "d", Name: "t", SourceFlavor: MySQL,
		Columns: []Column{
			{Name: "id", Definition: "int NOT NULL"},
			{Name: "secret", Definition: "varchar(20) COLLATE utf8mb4_0900_as_cs DEFAULT 'utf8mb4_0900_ai_ci' /*!80023 INVISIBLE */"},
			{Name: "name", Definition: "varchar(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_sv_0900_ai_ci NOT NULL"},
		},
		PrimaryKey: []string{"id"},
		Indexes: []Index{
			{Kind: "KEY", Name: "k_name", Columns: []string{"name"}, Raw: "KEY `k_name` (`name`) /*!80000 INVISIBLE */"},
			{Kind: "CHECK", Name: "positive", Raw: "CONSTRAINT `positive` CHECK ((`id` > 0)) /*!80016 NOT ENFORCED */"},
			{Kind: "CHECK", Name: "short", Raw: "CONSTRAINT `short` CHECK ((length(`name`) < 10))"},
		},
		Options: "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci",
	}
	got, err := mysqlDialect{name: MariaDB}.CreateTable(tb)
	if err != nil {
		t.Fatal(err)
	}
	want := "CREATE TABLE `d`.`t` (\n" +
		"  `id` int NOT NULL,\n" +
		"  `secret` varchar(20) COLLATE utf8mb4_uca1400_nopad_as_cs DEFAULT 'utf8mb4_0900_ai_ci' INVISIBLE,\n" +
		"  `name` varchar(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_uca1400_swedish_nopad_ai_ci NOT NULL,\n" +
		"  PRIMARY KEY (`id`),\n" +
		"  KEY `k_name` (`name`) IGNORED,\n" +
		"  CONSTRAINT `short` CHECK ((length(`name`) < 10))\n" +
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_nopad_ai_ci"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// The same table for a MySQL destination is as the source printed it.
	same, err := mysqlDialect{name: MySQL}.CreateTable(tb)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"/*!80023 INVISIBLE */", "/*!80000 INVISIBLE */", "/*!80016 NOT ENFORCED */", "COLLATE=utf8mb4_0900_ai_ci"} {
		if !strings.Contains(same, s) {
			t.Errorf("MySQL to MySQL lost %q:\n%s", s, same)
		}
	}
}

func TestCreateTableMariaDBToMySQL(t *testing.T) {
	tb := Table{
		Database: "d", Name: "t", SourceFlavor: MariaDB,
		Columns: []Column{
			{Name: "id", Definition: "int(11) NOT NULL"},
			{Name: "c", Definition: "varchar(10) COLLATE utf8mb4_uca1400_nopad_ai_ci INVISIBLE DEFAULT NULL"},
		},
		PrimaryKey: []string{"id"},
		Indexes:    []Index{{Kind: "KEY", Name: "k", Columns: []string{"c"}, Raw: "KEY `k` (`c`) COMMENT 'IGNORED' IGNORED"}},
		Options:    "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_nopad_ai_ci",
	}
	got, err := mysqlDialect{name: MySQL}.CreateTable(tb)
	if err != nil {
		t.Fatal(err)
	}
	want := "CREATE TABLE `d`.`t` (\n" +
		"  `id` int(11) NOT NULL,\n" +
		"  `c` varchar(10) COLLATE utf8mb4_0900_ai_ci INVISIBLE DEFAULT NULL,\n" +
		"  PRIMARY KEY (`id`),\n" +
		"  KEY `k` (`c`) COMMENT 'IGNORED' INVISIBLE\n" +
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// What has no equivalent on the other side is a FieldError naming the column or index, so
// the precheck (destination_table_fields) stops the task before anything is created.
func TestValidateCrossFamily(t *testing.T) {
	cases := []struct {
		name     string
		dest     DatabaseType
		tb       Table
		field    string
		mentions []string
	}{
		{"inet6 to MySQL", MySQL, Table{SourceFlavor: MariaDB, Columns: []Column{{Name: "ip", Definition: "inet6 NOT NULL"}}},
			"columns", []string{"`ip`", "INET6", "VARCHAR(39)"}},
		{"uuid to MySQL", MySQL, Table{SourceFlavor: MariaDB, Columns: []Column{{Name: "u", Definition: "uuid DEFAULT NULL"}}},
			"columns", []string{"`u`", "UUID", "CHAR(36)"}},
		{"inet4 to MySQL", MySQL, Table{SourceFlavor: MariaDB, Columns: []Column{{Name: "v4", Definition: "inet4"}}},
			"columns", []string{"`v4`", "INET4"}},
		{"SRID to MariaDB", MariaDB, Table{SourceFlavor: MySQL, Columns: []Column{{Name: "g", Definition: "point NOT NULL /*!80003 SRID 4326 */"}}},
			"columns", []string{"`g`", "/*!80003 SRID 4326 */"}},
		{"functional index to MariaDB", MariaDB, Table{SourceFlavor: MySQL, Columns: []Column{{Name: "a", Definition: "int"}},
			Indexes: []Index{{Kind: "KEY", Name: "f", Raw: "KEY `f` ((`a` + 1))"}}},
			"indexes", []string{"`f`", "functional key part"}},
	}
	for _, c := range cases {
		c.tb.Database, c.tb.Name = "d", "t"
		err := mysqlDialect{name: c.dest}.Validate(c.tb)
		fe, ok := errors.AsType[*FieldError](err)
		if !ok {
			t.Errorf("%s: Validate = %v, want a FieldError", c.name, err)
			continue
		}
		if fe.Field != c.field {
			t.Errorf("%s: field %q, want %q", c.name, fe.Field, c.field)
		}
		for _, m := range c.mentions {
			if !strings.Contains(err.Error(), m) {
				t.Errorf("%s: %q does not mention %q", c.name, err, m)
			}
		}
		// The same table between servers of one type is fine.
		c.tb.SourceFlavor = c.dest
		if err := (mysqlDialect{name: c.dest}).Validate(c.tb); err != nil {
			t.Errorf("%s: Validate from %s to %s = %v", c.name, c.dest, c.dest, err)
		}
	}
}
