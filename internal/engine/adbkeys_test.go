package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/adbfront"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/precheck"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
)

// TestADBBitKeyRefused: a table whose primary key is a BIT column cannot go to AnalyticDB,
// which holds the BIT as its number while rows are found by the key's source bytes (the
// copy wrote 6 of 3,000 rows before this check, and returned no error). The precheck
// fails naming the column, and nothing is created.
func TestADBBitKeyRefused(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	src.Exec(t, "CREATE DATABASE bk", "CREATE TABLE bk.t (id BIT(16) NOT NULL PRIMARY KEY, v INT)",
		"INSERT INTO bk.t SELECT seq, seq FROM bk.seq_1_to_3000")
	task := fullTask("task-bitkey", src, dst, engine.Object{Database: "bk"})
	task.Destination = adbFront(t, dst, adbfront.Switches{})
	task.IgnorePrecheckAlerts = []string{precheck.DestinationDiskSpace}
	err := engine.Run(context.Background(), task, func(engine.Progress) {})
	var pe *engine.PrecheckError
	if !errors.As(err, &pe) {
		t.Fatalf("Run = %v, want the precheck to refuse the BIT key", err)
	}
	var msg string
	for _, r := range pe.Blocking {
		msg += r.Name + ": " + r.Message + "\n"
	}
	if !strings.Contains(msg, "`id` is a BIT in the primary key") {
		t.Errorf("blocking items:\n%s\nwant one naming `id` as a BIT in the primary key", msg)
	}
	var tables int
	if err := dst.DB(t, "").QueryRow("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'bk'").Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Errorf("the destination has %d tables in bk after a failed precheck, want none", tables)
	}
}

// TestADBEnumKey: an ENUM in the primary key goes to AnalyticDB as its member text; the copy
// in chunks over that key and verification by key ranges both work: the rows equal the
// source's on the emulator's MariaDB, verification passes, and then finds one changed row.
func TestADBEnumKey(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	src.Exec(t, "CREATE DATABASE ek", "CREATE TABLE ek.t (k ENUM('b','a','c') NOT NULL, n INT NOT NULL, v INT, PRIMARY KEY (k, n))",
		"INSERT INTO ek.t SELECT ELT(1 + seq % 3, 'b', 'a', 'c'), seq, seq FROM ek.seq_1_to_3000")
	task := fullTask("task-enumkey", src, dst, engine.Object{Database: "ek"})
	task.Destination = adbFront(t, dst, adbfront.Switches{})
	task.IgnorePrecheckAlerts = []string{precheck.DestinationDiskSpace}
	task.ChunkRows = 500
	if err := engine.Run(context.Background(), task, func(engine.Progress) {}); err != nil {
		t.Fatal(err)
	}
	q := "SELECT CONCAT(k), n, v FROM ek.t ORDER BY 1, 2"
	mariadbtest.AssertSameRows(t, src.DB(t, ""), dst.DB(t, ""), q, q)
	if v := verifyFull(t, task); v == nil || v.Status != engine.VerificationPassed {
		t.Errorf("verification of equal tables: %+v, want passed", v)
	}
	dst.Exec(t, "UPDATE ek.t SET v = -1 WHERE n = 700")
	if v := verifyFull(t, task); v == nil || v.Status != engine.VerificationMismatched || v.Mismatches != 1 {
		t.Errorf("verification after one row changed on the destination: %+v, want one mismatch", v)
	}
}
