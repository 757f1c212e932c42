package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/adbfront"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
)

// TestADBSourceSchemaAndFull: an AnalyticDB source, the emulator over a MariaDB, with tables
// created through it in AnalyticDB's grammar (distribution, value partitions, lifecycle,
// binlog), migrates to a MariaDB destination by schema and full migration, and verifies:
// the destination holds the source's rows, compared directly on the two MariaDB servers,
// and data verification finds a row damaged on the destination.
func TestADBSourceSchemaAndFull(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	ep := adbFront(t, src, adbfront.Switches{})
	src.Exec(t, "CREATE DATABASE sales")
	through := openEndpoint(t, ep, "sales")
	for _, q := range []string{
		"CREATE TABLE orders (id BIGINT NOT NULL, sold DATETIME NOT NULL, customer VARCHAR(64) NOT NULL, total DECIMAL(12,2), note VARCHAR(200), " +
			"PRIMARY KEY (id, sold)) DISTRIBUTED BY HASH(id) PARTITION BY VALUE(DATE_FORMAT(sold, '%Y%m')) LIFECYCLE 24 BINLOG=true",
		"CREATE TABLE regions (id INT NOT NULL, name VARCHAR(40), PRIMARY KEY (id)) DISTRIBUTED BY BROADCAST",
		"INSERT INTO regions VALUES (1, 'north'), (2, 'south é')",
	} {
		if _, err := through.Exec(q); err != nil {
			t.Fatalf("through the emulated AnalyticDB: %s: %v", q, err)
		}
	}
	src.Exec(t, "INSERT INTO sales.orders SELECT seq, '2024-01-01' + INTERVAL seq HOUR, CONCAT('c', seq % 97), seq / 7, IF(seq % 5 = 0, NULL, REPEAT('n', seq % 30)) FROM sales.seq_1_to_5000")

	task := fullTask("task-adb-source", src, dst, engine.Object{Database: "sales"})
	task.Source = ep
	task.Verification = engine.Verification{Mode: engine.VerifyFull}
	if err := engine.Run(context.Background(), task, func(engine.Progress) {}); err != nil {
		t.Fatal(err)
	}
	srcDB, dstDB := src.DB(t, ""), dst.DB(t, "")
	for _, q := range []string{"SELECT * FROM sales.orders ORDER BY id, sold", "SELECT * FROM sales.regions ORDER BY id"} {
		mariadbtest.AssertSameRows(t, srcDB, dstDB, q, q)
	}
	var create string
	if err := dstDB.QueryRow("SHOW CREATE TABLE sales.orders").Scan(new(string), &create); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(create, "PRIMARY KEY (`id`,`sold`)") {
		t.Errorf("destination orders: %s, want the source's primary key", create)
	}

	dst.Exec(t, "UPDATE sales.orders SET total = total + 1 WHERE id = 42")
	var last engine.Progress
	if err := engine.Verify(context.Background(), task, func(p engine.Progress) { last = p }); err != nil {
		t.Fatal(err)
	}
	if v := last.Verification; v == nil || v.Status != engine.VerificationMismatched || v.Mismatches != 1 {
		t.Errorf("verification after damaging one destination row: %+v, want one mismatch", v)
	}
}
