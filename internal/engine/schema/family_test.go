package schema

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
)

// mysql8Table is a table as MySQL 8.0.23+ prints it in SHOW CREATE TABLE (MySQL reference
// manual: "Invisible Columns", "Invisible Indexes", "CHECK Constraints", "Unicode
// Character Sets"): an invisible column, an invisible index, a NOT ENFORCED CHECK and 0900
// collations.
const mysql8Table = "CREATE TABLE `t` (\n" +
	"  `id` int NOT NULL,\n" +
	"  `secret` varchar(20) COLLATE utf8mb4_0900_as_cs DEFAULT NULL /*!80023 INVISIBLE */,\n" +
	"  `name` varchar(20) COLLATE utf8mb4_sv_0900_ai_ci NOT NULL,\n" +
	"  PRIMARY KEY (`id`),\n" +
	"  KEY `k_name` (`name`) /*!80000 INVISIBLE */,\n" +
	"  CONSTRAINT `positive` CHECK ((`id` > 0)) /*!80016 NOT ENFORCED */,\n" +
	"  CONSTRAINT `short` CHECK ((length(`name`) < 10))\n" +
	") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci"

// A MySQL 8 table created on MariaDB by the one road (DestinationTable, the dialect) keeps
// what MySQL meant, read back from MariaDB's information_schema: the invisible column stays
// invisible, the invisible index is IGNORED, the NOT ENFORCED CHECK enforces nothing while
// the other CHECK still does, and the 0900 collations become their UCA 14.0.0 NO PAD
// equivalents.
func TestMySQLTableOnMariaDB(t *testing.T) {
	def, err := ParseCreateTable(mysql8Table)
	if err != nil {
		t.Fatal(err)
	}
	tb := DestinationTable(def, Target{Dest: dialect.Table{Database: "d", Name: "t"}, SourceFlavor: dialect.MySQL, DestFlavor: dialect.MariaDB, Key: []string{"id"}})
	d, err := dialect.For(dialect.MariaDB)
	if err != nil {
		t.Fatal(err)
	}
	create, err := d.CreateTable(tb)
	if err != nil {
		t.Fatal(err)
	}
	dst := mariadbtest.StartDestination(t)
	dst.Exec(t, "CREATE DATABASE d", create)
	db := dst.DB(t, "d")
	one := func(query string, args ...any) string {
		t.Helper()
		var s sql.NullString
		if err := db.QueryRow(query, args...).Scan(&s); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return s.String
	}
	column := "SELECT %s FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'd' AND TABLE_NAME = 't' AND COLUMN_NAME = ?"
	if got := one(strings.Replace(column, "%s", "EXTRA", 1), "secret"); !strings.Contains(got, "INVISIBLE") {
		t.Errorf("column secret: EXTRA %q, want INVISIBLE", got)
	}
	for col, want := range map[string]string{"secret": "utf8mb4_uca1400_nopad_as_cs", "name": "utf8mb4_uca1400_swedish_nopad_ai_ci"} {
		if got := one(strings.Replace(column, "%s", "COLLATION_NAME", 1), col); got != want {
			t.Errorf("column %s: collation %s, want %s", col, got, want)
		}
	}
	if got := one("SELECT TABLE_COLLATION FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'd' AND TABLE_NAME = 't'"); got != "utf8mb4_uca1400_nopad_ai_ci" {
		t.Errorf("table collation %s, want utf8mb4_uca1400_nopad_ai_ci", got)
	}
	if got := one("SELECT IGNORED FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = 'd' AND TABLE_NAME = 't' AND INDEX_NAME = 'k_name'"); got != "YES" {
		t.Errorf("index k_name: IGNORED %q, want YES", got)
	}
	if got := one("SELECT GROUP_CONCAT(CONSTRAINT_NAME) FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = 'd' AND TABLE_NAME = 't'"); got != "short" {
		t.Errorf("CHECK constraints %q, want only short", got)
	}
	// MySQL accepts a row the NOT ENFORCED CHECK would refuse; so must the destination.
	if _, err := db.Exec("INSERT INTO t (id, secret, name) VALUES (-1, 'x', 'a')"); err != nil {
		t.Errorf("a row breaking the NOT ENFORCED CHECK was refused: %v", err)
	}
	if _, err := db.Exec("INSERT INTO t (id, name) VALUES (2, 'far too long')"); err == nil {
		t.Error("a row breaking the enforced CHECK short was accepted")
	}
	// The invisible column is left out of SELECT *, as on MySQL.
	var id int
	var name string
	if err := db.QueryRow("SELECT * FROM t WHERE id = -1").Scan(&id, &name); err != nil {
		t.Errorf("SELECT * does not give the two visible columns: %v", err)
	}
}
