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
