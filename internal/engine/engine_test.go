package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dbconn"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
)

func endpoint(s *mariadbtest.Server) dbconn.Endpoint {
	return dbconn.Endpoint{Type: dbconn.TypeMariaDB, Host: s.Host, Port: s.Port, User: s.User, Password: s.Password}
}

// seedShop creates a source database with the shapes the full copy must handle: a plain
// primary key, a composite one, only a NOT NULL unique key, a foreign key, a generated
// column and binary keys, with enough rows for several batches.
func seedShop(t *testing.T, src *mariadbtest.Server) {
	src.Exec(t,
		"CREATE DATABASE shop",
		"CREATE TABLE shop.customers (id INT UNSIGNED PRIMARY KEY, name VARCHAR(100) NOT NULL, email VARCHAR(200), "+
			"balance DECIMAL(20,6), created DATETIME(6), note TEXT, upper_name VARCHAR(100) AS (UPPER(name)) VIRTUAL)",
		"CREATE TABLE shop.orders (customer_id INT UNSIGNED NOT NULL, id BIGINT NOT NULL, total DECIMAL(12,2), "+
			"status ENUM('new','paid','shipped'), PRIMARY KEY (customer_id, id), "+
			"CONSTRAINT fk_customer FOREIGN KEY (customer_id) REFERENCES shop.customers (id))",
		"CREATE TABLE shop.tags (code VARBINARY(16) NOT NULL, label VARCHAR(50), UNIQUE KEY uk_code (code))",
		"INSERT INTO shop.customers (id, name, email, balance, created, note) "+
			"SELECT seq, CONCAT('customer ', seq), IF(seq % 7 = 0, NULL, CONCAT('c', seq, '@example.com')), "+
			"seq * 1.000001, '2024-01-01 00:00:00.000001' + INTERVAL seq SECOND, REPEAT('é😀', seq % 5) FROM shop.seq_1_to_2500",
		"INSERT INTO shop.orders SELECT 1 + seq % 2500, seq, seq / 3, ELT(1 + seq % 3, 'new', 'paid', 'shipped') FROM shop.seq_1_to_3100",
		"INSERT INTO shop.tags VALUES (0x00, 'zero'), (0xff00, 'ff'), ('a', 'a'), ('A', 'upper a'), (0x7f, NULL)",
	)
}

var shopQueries = []struct{ src, dst string }{
	{"SELECT * FROM shop.customers ORDER BY id", "SELECT * FROM shop_copy.customers ORDER BY id"},
	{"SELECT * FROM shop.orders ORDER BY customer_id, id", "SELECT * FROM shop_copy.orders ORDER BY customer_id, id"},
	{"SELECT * FROM shop.tags ORDER BY code", "SELECT * FROM shop_copy.tags ORDER BY code"},
}

func TestRunCopiesSchemaAndRows(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	seedShop(t, src)
	task := engine.Task{
		ID: "task-test", Source: endpoint(src), Destination: endpoint(dst),
		MigrationTypes: []engine.MigrationType{engine.MigrationSchema, engine.MigrationFull},
		Objects:        []engine.Object{{Database: "shop", RenameTo: "shop_copy"}},
	}
	var last engine.Progress
	if err := engine.Run(context.Background(), task, func(p engine.Progress) { last = p }); err != nil {
		t.Fatal(err)
	}
	if last.RowsMigrated != 2500+3100+5 {
		t.Errorf("reported rows_migrated = %d, want %d", last.RowsMigrated, 2500+3100+5)
	}
	if last.Position.File == "" || last.Position.Pos == 0 || last.Position.GTIDSet == "" {
		t.Errorf("no binlog position recorded: %+v", last.Position)
	}
	if p := last.Percent(); p != 100 {
		t.Errorf("percent = %v, want 100", p)
	}
	srcDB, dstDB := src.DB(t, ""), dst.DB(t, "")
	for _, q := range shopQueries {
		mariadbtest.AssertSameRows(t, srcDB, dstDB, q.src, q.dst)
	}
	var fks int
	if err := dstDB.QueryRow("SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = 'shop_copy'").Scan(&fks); err != nil {
		t.Fatal(err)
	}
	if fks != 0 {
		t.Errorf("destination has %d foreign keys, want none", fks)
	}
	var extra string
	if err := dstDB.QueryRow("SELECT EXTRA FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'shop_copy' AND TABLE_NAME = 'customers' AND COLUMN_NAME = 'upper_name'").Scan(&extra); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(extra, "GENERATED") {
		t.Errorf("upper_name on the destination is %q, want a generated column", extra)
	}
}

func TestRunResumesAfterInterruption(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	seedShop(t, src)
	task := engine.Task{
		ID: "task-resume", Source: endpoint(src), Destination: endpoint(dst),
		MigrationTypes: []engine.MigrationType{engine.MigrationSchema, engine.MigrationFull},
		Objects:        []engine.Object{{Database: "shop", RenameTo: "shop_copy"}},
		ChunkRows:      300, Workers: 2,
	}
	// Cancel after some chunks of customers committed, then run again.
	ctx, cancel := context.WithCancel(context.Background())
	err := engine.Run(ctx, task, func(p engine.Progress) {
		if p.RowsMigrated >= 1000 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run returned %v, want context.Canceled", err)
	}
	dstDB := dst.DB(t, "")
	var partial int
	if err := dstDB.QueryRow("SELECT COUNT(*) FROM shop_copy.customers").Scan(&partial); err != nil {
		t.Fatal(err)
	}
	if partial == 0 || partial == 2500 {
		t.Fatalf("interruption left %d customers on the destination; want a partial copy to resume from", partial)
	}
	var last engine.Progress
	if err := engine.Run(context.Background(), task, func(p engine.Progress) { last = p }); err != nil {
		t.Fatalf("resumed run: %v", err)
	}
	if last.RowsMigrated != 2500+3100+5 {
		t.Errorf("rows_migrated after resume = %d, want %d", last.RowsMigrated, 2500+3100+5)
	}
	srcDB := src.DB(t, "")
	for _, q := range shopQueries {
		mariadbtest.AssertSameRows(t, srcDB, dstDB, q.src, q.dst)
	}
}

func TestRunRefusesExistingDestinationTable(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	seedShop(t, src)
	dst.Exec(t, "CREATE DATABASE shop", "CREATE TABLE shop.tags (code INT PRIMARY KEY)", "INSERT INTO shop.tags VALUES (42)")
	task := engine.Task{
		ID: "task-conflict", Source: endpoint(src), Destination: endpoint(dst),
		MigrationTypes: []engine.MigrationType{engine.MigrationSchema, engine.MigrationFull},
		Objects:        []engine.Object{{Database: "shop", Tables: []engine.Table{{Name: "tags"}}}},
	}
	err := engine.Run(context.Background(), task, func(engine.Progress) {})
	if err == nil || !strings.Contains(err.Error(), "destination_conflict") || !strings.Contains(err.Error(), "shop.tags already exist") {
		t.Fatalf("Run = %v, want a conflict naming shop.tags", err)
	}
	var n int
	if err := dst.DB(t, "").QueryRow("SELECT COUNT(*) FROM shop.tags WHERE code = 42").Scan(&n); err != nil || n != 1 {
		t.Fatalf("the existing destination row was touched: count %d, err %v", n, err)
	}
}

func TestProbeExplainsWrongPassword(t *testing.T) {
	src := mariadbtest.StartSource(t)
	ep := endpoint(src)
	ep.Password = "wrong"
	_, err := dbconn.Probe(context.Background(), ep)
	if err == nil || !strings.Contains(err.Error(), "authentication failed") {
		t.Fatalf("Probe with a wrong password = %v, want an authentication error", err)
	}
	ep = endpoint(src)
	f, err := dbconn.Probe(context.Background(), ep)
	if err != nil {
		t.Fatal(err)
	}
	if f.Flavor != dbconn.TypeMariaDB || !f.BinlogEnabled || f.BinlogFormat != "ROW" || f.BinlogRowImage != "FULL" {
		t.Errorf("facts = %+v", f)
	}
}
