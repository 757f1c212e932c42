package verify

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"testing"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/fullload"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/schema"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/tablemap"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
)

// jobs describes the tables of shop on both servers as the full load would copy them: every
// column under its own name.
func jobs(t *testing.T, src *sql.DB, tables ...string) []tablemap.Table {
	t.Helper()
	var out []tablemap.Table
	for _, name := range tables {
		tb, err := schema.Describe(context.Background(), src, "shop", name)
		if err != nil {
			t.Fatal(err)
		}
		j := tablemap.Table{SourceDatabase: "shop", SourceTable: name, Source: tb, DestDatabase: "shop", DestTable: name}
		for _, c := range tb.Copied() {
			j.Columns = append(j.Columns, tablemap.ColumnMap{Source: c, Dest: c.Name})
		}
		out = append(out, j)
	}
	return out
}

func describe(ms []Mismatch) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Table+" "+string(m.Kind)+" "+m.Key)
	}
	slices.Sort(out)
	return out
}

// Deliberate damage on the destination is found exactly, by key and kind, and repair makes
// the next verification clean; a clean copy reports nothing.
func TestVerificationFindsDamageAndRepairs(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	setup := []string{
		"CREATE DATABASE shop",
		"CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(40), data BLOB, at DATETIME(6), price DECIMAL(12,4), f FLOAT)",
		"INSERT INTO shop.items SELECT seq, CONCAT('item ', seq), UNHEX(SHA2(seq, 256)), '2026-01-01 00:00:00.123456' + INTERVAL seq SECOND, seq / 7, seq / 3 FROM shop.seq_1_to_5000",
		"CREATE TABLE shop.pairs (a VARCHAR(10), b INT, note TEXT, PRIMARY KEY (a, b))",
		"INSERT INTO shop.pairs SELECT CONCAT('k', seq % 13), seq, IF(seq % 5 = 0, NULL, 'n') FROM shop.seq_1_to_2000",
		// Only a nullable unique key: no key to compare by.
		"CREATE TABLE shop.tags (code VARCHAR(10) NULL, label VARCHAR(20), UNIQUE KEY (code))",
		"INSERT INTO shop.tags VALUES ('a', 'x'), ('b', 'y'), (NULL, 'free'), (NULL, 'free2')",
	}
	src.Exec(t, setup...)
	dst.Exec(t, setup...)
	mariadb, err := dialect.For(dialect.MariaDB)
	if err != nil {
		t.Fatal(err)
	}
	srcDB, dstDB := Server{DB: src.DB(t, ""), Dialect: mariadb}, Server{DB: dst.DB(t, ""), Dialect: mariadb}
	ctx := context.Background()
	// Repairs are written by the full load's writer, as the engine wires it.
	rewrite := func(ctx context.Context, tb tablemap.Table, srcPred string, srcArgs []any, dstPred string, dstArgs []any) (int64, error) {
		return fullload.Rewrite(ctx, srcDB.DB, dstDB.DB, tb, srcPred, srcArgs, dstPred, dstArgs, fullload.Options{Dialect: mariadb})
	}
	all := jobs(t, srcDB.DB, "items", "pairs", "tags")

	clean, err := Run(ctx, srcDB, dstDB, all, Options{ChunkRows: 700})
	if err != nil {
		t.Fatal(err)
	}
	if clean.Mismatches != 0 || clean.Rows != 5000+2000+4 || clean.Chunks != 8+3+1 {
		t.Fatalf("clean copy: %+v, want 0 mismatches over 7004 rows in 12 chunks", clean)
	}

	dst.Exec(t,
		"DELETE FROM shop.items WHERE id IN (5, 1700)",
		"INSERT INTO shop.items (id, name) VALUES (10001, 'extra'), (0, 'extra at the start')",
		"UPDATE shop.items SET data = CONCAT(LEFT(data, 10), CHAR(ASCII(SUBSTRING(data, 11, 1)) ^ 1), SUBSTRING(data, 12)) WHERE id = 42",
		"UPDATE shop.items SET at = at + INTERVAL 1 MICROSECOND WHERE id = 77",
		"UPDATE shop.pairs SET note = 'N' WHERE a = 'k3' AND b = 16",
		"INSERT INTO shop.tags VALUES (NULL, 'free')", // a duplicate row
	)
	want := []string{
		"shop.items differs id=42",
		"shop.items differs id=77",
		"shop.items extra id=0",
		"shop.items extra id=10001",
		"shop.items missing id=1700",
		"shop.items missing id=5",
		"shop.pairs differs a=k3, b=16",
	}
	damaged, err := Run(ctx, srcDB, dstDB, all, Options{ChunkRows: 700})
	if err != nil {
		t.Fatal(err)
	}
	got := describe(damaged.Mismatched)
	if len(got) != len(want)+1 || !slices.Equal(got[:len(want)], want) || !strings.HasPrefix(got[len(want)], "shop.tags extra row md5=") {
		t.Fatalf("found:\n%s\nwant:\n%s\nshop.tags extra row md5=...", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if damaged.Mismatches != int64(len(want)+1) {
		t.Errorf("mismatches = %d, want %d", damaged.Mismatches, len(want)+1)
	}

	// Repair, then check the tables against the source independently.
	repaired, err := Run(ctx, srcDB, dstDB, all, Options{ChunkRows: 700, Repair: true, Rewrite: rewrite})
	if err != nil {
		t.Fatal(err)
	}
	if repaired.Repaired != int64(len(want)+1) || repaired.Mismatches != 0 {
		t.Errorf("repair: %+v, want %d rows repaired and none left", repaired, len(want)+1)
	}
	again, err := Run(ctx, srcDB, dstDB, all, Options{ChunkRows: 700})
	if err != nil || again.Mismatches != 0 {
		t.Fatalf("after repair: %+v, %v", again, err)
	}
	mariadbtest.AssertSameRows(t, srcDB.DB, dstDB.DB, "SELECT * FROM shop.items ORDER BY id", "SELECT * FROM shop.items ORDER BY id")
	mariadbtest.AssertSameRows(t, srcDB.DB, dstDB.DB, "SELECT * FROM shop.pairs ORDER BY a, b", "SELECT * FROM shop.pairs ORDER BY a, b")
	mariadbtest.AssertSameRows(t, srcDB.DB, dstDB.DB, "SELECT * FROM shop.tags ORDER BY code, label", "SELECT * FROM shop.tags ORDER BY code, label")

	// Sampling compares a share of the chunks.
	sampled, err := Run(ctx, srcDB, dstDB, all[:1], Options{ChunkRows: 100, SamplePercent: 30})
	if err != nil || sampled.Chunks == 0 || sampled.Chunks >= 50 {
		t.Errorf("30%% of 50 chunks compared %d (%v)", sampled.Chunks, err)
	}
}

// Rows whose values differ only in where a separator or a NULL sits are told apart, and a
// wide chunk that differs is narrowed to exactly the differing keys; chunks are counted
// in ChunkRows rows whether compared wide or narrowed.
func TestVerificationTellsSeparatorsAndNulls(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	setup := []string{
		"CREATE DATABASE shop",
		"CREATE TABLE shop.texts (id INT PRIMARY KEY, a VARCHAR(10) NULL, b VARBINARY(10) NULL, n INT NULL)",
		"INSERT INTO shop.texts SELECT seq, 'x', 'y', seq FROM shop.seq_1_to_3000",
	}
	src.Exec(t, setup...)
	dst.Exec(t, setup...)
	src.Exec(t,
		"UPDATE shop.texts SET a = 'x#', b = 'y' WHERE id = 5",
		"UPDATE shop.texts SET a = '' WHERE id = 1500",
		"UPDATE shop.texts SET n = NULL WHERE id = 2500",
		"UPDATE shop.texts SET a = NULL, b = '' WHERE id = 2999",
	)
	dst.Exec(t,
		"UPDATE shop.texts SET a = 'x', b = '#y' WHERE id = 5",
		"UPDATE shop.texts SET a = NULL WHERE id = 1500",
		"UPDATE shop.texts SET n = 0 WHERE id = 2500",
		"UPDATE shop.texts SET a = '', b = NULL WHERE id = 2999",
	)
	mariadb, err := dialect.For(dialect.MariaDB)
	if err != nil {
		t.Fatal(err)
	}
	srcDB, dstDB := Server{DB: src.DB(t, ""), Dialect: mariadb}, Server{DB: dst.DB(t, ""), Dialect: mariadb}
	all := jobs(t, srcDB.DB, "texts")
	res, err := Run(context.Background(), srcDB, dstDB, all, Options{ChunkRows: 100})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"shop.texts differs id=1500",
		"shop.texts differs id=2500",
		"shop.texts differs id=2999",
		"shop.texts differs id=5",
	}
	if got := describe(res.Mismatched); !slices.Equal(got, want) || res.Mismatches != 4 {
		t.Errorf("found %d:\n%s\nwant:\n%s", res.Mismatches, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// 30 chunks of 100 rows and the open one after them, narrowed or not.
	if res.Chunks != 31 || res.Rows != 3000 {
		t.Errorf("compared %d chunks, %d rows; want 31, 3000", res.Chunks, res.Rows)
	}
	dst.Exec(t, "UPDATE shop.texts SET a = 'x#', b = 'y' WHERE id = 5", "UPDATE shop.texts SET a = '' WHERE id = 1500",
		"UPDATE shop.texts SET n = NULL WHERE id = 2500", "UPDATE shop.texts SET a = NULL, b = '' WHERE id = 2999")
	clean, err := Run(context.Background(), srcDB, dstDB, all, Options{ChunkRows: 100})
	if err != nil || clean.Mismatches != 0 || clean.Chunks != 31 || clean.Rows != 3000 {
		t.Errorf("clean copy: %+v, %v; want no mismatch over 31 chunks, 3000 rows", clean, err)
	}
}

// A column NOT NULL on the source but nullable on the destination gets a NULL flag too: a
// destination NULL there, with the neighbouring value taking its text, is found.
func TestVerificationFlagsColumnsNullableOnlyOnTheDestination(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	src.Exec(t, "CREATE DATABASE shop",
		"CREATE TABLE shop.nn (id INT PRIMARY KEY, a VARCHAR(10) NOT NULL, b VARCHAR(10) NOT NULL, n INT NOT NULL)",
		"INSERT INTO shop.nn VALUES (1, 'p', 'q', 5), (2, 'p', 'q', 5)")
	dst.Exec(t, "CREATE DATABASE shop",
		"CREATE TABLE shop.nn (id INT PRIMARY KEY, a VARCHAR(10) NOT NULL, b VARCHAR(10) NOT NULL, n INT NULL)",
		// Without a flag for n, row 1 reads as the source's: 1#p#q#5 and the length of a.
		"INSERT INTO shop.nn VALUES (1, 'p', 'q#5', NULL), (2, 'p', 'q', 5)")
	mariadb, err := dialect.For(dialect.MariaDB)
	if err != nil {
		t.Fatal(err)
	}
	srcDB, dstDB := Server{DB: src.DB(t, ""), Dialect: mariadb}, Server{DB: dst.DB(t, ""), Dialect: mariadb}
	res, err := Run(context.Background(), srcDB, dstDB, jobs(t, srcDB.DB, "nn"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := describe(res.Mismatched), []string{"shop.nn differs id=1"}; !slices.Equal(got, want) || res.Mismatches != 1 {
		t.Errorf("found %d: %q, want %q", res.Mismatches, got, want)
	}
}
