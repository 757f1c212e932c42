package benchkit_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/bench/benchkit"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
)

func TestMain(m *testing.M) { os.Exit(mariadbtest.RunShared(m)) }

// TestVerifyValues compares a source table with a destination copy whose column types are
// AnalyticDB's (BIGINT for INT, VARCHAR for CHAR, DATETIME(3) for DATETIME(6)): equal
// values pass although CHECKSUM TABLE differs, and one changed value, or one row missing,
// is found.
func TestVerifyValues(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	src.Exec(t, "CREATE DATABASE vv",
		"CREATE TABLE vv.t (id INT NOT NULL PRIMARY KEY, c CHAR(10) NOT NULL, at DATETIME(6), n INT)",
		"INSERT INTO vv.t VALUES (1, 'a', '2024-01-02 03:04:05.123456', NULL), (2, 'b#c', NULL, 7), (3, '', '2024-01-02 03:04:05.999999', 0)")
	dst.Exec(t, "CREATE DATABASE vv_adb",
		"CREATE TABLE vv_adb.t (id BIGINT NOT NULL PRIMARY KEY, c VARCHAR(10) NOT NULL, at DATETIME(3), n BIGINT)",
		"INSERT INTO vv_adb.t VALUES (1, 'a', '2024-01-02 03:04:05.123', NULL), (2, 'b#c', NULL, 7), (3, '', '2024-01-02 03:04:05.999', 0)")
	ctx := context.Background()
	srcDB, dstDB := src.DB(t, ""), dst.DB(t, "")

	var srcSum, dstSum string
	if err := srcDB.QueryRow("CHECKSUM TABLE vv.t").Scan(new(string), &srcSum); err != nil {
		t.Fatal(err)
	}
	if err := dstDB.QueryRow("CHECKSUM TABLE vv_adb.t").Scan(new(string), &dstSum); err != nil {
		t.Fatal(err)
	}
	if srcSum == dstSum {
		t.Fatalf("CHECKSUM TABLE is %s on both sides; the case needs a destination whose checksum differs for equal values", srcSum)
	}
	tables, rows, err := benchkit.VerifyValues(ctx, srcDB, dstDB, "vv", "vv_adb", "destination")
	if err != nil || tables != 1 || rows != 3 {
		t.Fatalf("VerifyValues of equal values = %d tables, %d rows, %v; want 1, 3, nil", tables, rows, err)
	}

	for _, damage := range []struct{ name, stmt, undo string }{
		{"a changed text", "UPDATE vv_adb.t SET c = 'x' WHERE id = 2", "UPDATE vv_adb.t SET c = 'b#c' WHERE id = 2"},
		{"a NULL made a value", "UPDATE vv_adb.t SET n = 0 WHERE id = 1", "UPDATE vv_adb.t SET n = NULL WHERE id = 1"},
		{"a millisecond changed", "UPDATE vv_adb.t SET at = '2024-01-02 03:04:05.124' WHERE id = 1", "UPDATE vv_adb.t SET at = '2024-01-02 03:04:05.123' WHERE id = 1"},
		{"a row missing", "DELETE FROM vv_adb.t WHERE id = 3", "INSERT INTO vv_adb.t VALUES (3, '', '2024-01-02 03:04:05.999', 0)"},
	} {
		dst.Exec(t, damage.stmt)
		_, _, err := benchkit.VerifyValues(ctx, srcDB, dstDB, "vv", "vv_adb", "destination")
		if err == nil || !strings.Contains(err.Error(), "vv_adb.t") {
			t.Errorf("VerifyValues after %s = %v; want an error naming vv_adb.t", damage.name, err)
		}
		dst.Exec(t, damage.undo)
	}
	if _, _, err := benchkit.VerifyValues(ctx, srcDB, dstDB, "vv", "vv_adb", "destination"); err != nil {
		t.Fatalf("VerifyValues after every damage was undone: %v", err)
	}
}
