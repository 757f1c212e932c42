package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"sync/atomic"
	"testing"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/runnertest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

// Online schema changes mid-replication, with the default ddl_operations: gh-ost (its
// statements replayed: changelog and shadow tables, the shadow altered and filled, the
// atomic cut-over with its sentry table) and pt-online-schema-change itself each add a
// column to a table a writer keeps changing. The task stays Running, the destination table
// gets the column and keeps its rows, and rows_migrated grows by the rows written only:
// nothing is copied again.
func TestIncrementalFollowsOnlineSchemaChanges(t *testing.T) {
	pt, err := exec.LookPath("pt-online-schema-change")
	if err != nil {
		t.Fatal("pt-online-schema-change not found: install percona-toolkit (apt-get install -y percona-toolkit)")
	}
	src, dst := mariadbtest.SharedPair(t)
	src.Exec(t, "CREATE DATABASE app",
		"CREATE TABLE app.items (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, qty INT NOT NULL DEFAULT 0)",
		"INSERT INTO app.items SELECT seq, CONCAT('item ', seq), seq % 10 FROM app.seq_1_to_500")
	r := runnertest.Start(t)
	ctx := context.Background()
	task := createCDCTask(t, r, r.Connect(t, "src", src), r.Connect(t, "dst", dst), "app")
	srcDB, dstDB := src.DB(t, ""), dst.DB(t, "")

	// Each statement of the writer changes exactly one row: a new one, or an existing one.
	var written atomic.Int64
	var next atomic.Int64
	next.Store(10000)
	write := func() func() error {
		return writeUntilStopped(srcDB, uint64(next.Load()), func(i int, rng *rand.Rand) []string {
			written.Add(1)
			if i%2 == 0 {
				return []string{fmt.Sprintf("INSERT INTO app.items (id, name) VALUES (%d, 'written')", next.Add(1))}
			}
			return []string{fmt.Sprintf("UPDATE app.items SET qty = qty + 1 WHERE id = %d", 1+rng.IntN(500))}
		})
	}

	stop := write()
	src.Exec(t,
		"CREATE TABLE app._items_ghc (id BIGINT AUTO_INCREMENT PRIMARY KEY, last_update TIMESTAMP DEFAULT CURRENT_TIMESTAMP, hint VARCHAR(64) NOT NULL, value VARCHAR(4096) NOT NULL, UNIQUE KEY hint_uidx (hint))",
		"CREATE TABLE app._items_gho LIKE app.items",
		"ALTER TABLE app._items_gho ADD COLUMN gh INT NOT NULL DEFAULT 7",
		"INSERT INTO app._items_ghc (hint, value) VALUES ('state', 'migrating')",
		"INSERT IGNORE INTO app._items_gho (id, name, qty) SELECT id, name, qty FROM app.items")
	// The cut-over holds writes (gh-ost locks the table): the shadow catches up, the sentry
	// table comes and goes, and the tables swap.
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	src.Exec(t,
		"REPLACE INTO app._items_gho (id, name, qty) SELECT id, name, qty FROM app.items",
		"CREATE TABLE app._items_del (id INT AUTO_INCREMENT PRIMARY KEY) COMMENT='ghost-cut-over-sentry'",
		"DROP TABLE IF EXISTS app._items_del",
		"RENAME TABLE app.items TO app._items_del, app._items_gho TO app.items")
	stop = write()
	src.Exec(t, "DROP TABLE app._items_ghc", "DROP TABLE app._items_del")

	out, err := exec.Command(pt, "--alter", "ADD COLUMN pt VARCHAR(10) NOT NULL DEFAULT 'pt'", "--execute", "--recursion-method=none",
		"--chunk-size=100", fmt.Sprintf("h=%s,P=%d,u=%s,p=%s,D=app,t=items", src.Host, src.Port, src.User, src.Password)).CombinedOutput()
	if err != nil {
		t.Fatalf("pt-online-schema-change: %v\n%s", err, out)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	last := next.Load()
	deadline := time.Now().Add(time.Minute)
	for {
		var n int
		if err := dstDB.QueryRow("SELECT COUNT(*) FROM app.items WHERE id = ? AND pt = 'pt' AND gh = 7", last).Scan(&n); err == nil && n == 1 {
			break
		}
		if time.Now().After(deadline) {
			got, _ := r.Client.GetTask(ctx, task.ID)
			t.Fatalf("the last row written (id %d) did not reach the destination with both new columns: task %s (%s)", last, got.State.Status, got.State.ErrorMessage)
		}
		time.Sleep(100 * time.Millisecond)
	}
	running, err := r.Client.GetTask(ctx, task.ID)
	if err != nil {
		t.Fatal(err)
	}
	if running.State.Status != api.StatusRunning || running.State.ErrorMessage != "" {
		t.Errorf("after the online schema changes the task is %s (%q), want Running", running.State.Status, running.State.ErrorMessage)
	}
	stopped, err := r.Client.StopTask(ctx, task.ID)
	if err != nil {
		t.Fatal(err)
	}
	mariadbtest.AssertSameRows(t, srcDB, dstDB, "SELECT * FROM app.items ORDER BY id", "SELECT * FROM app.items ORDER BY id")
	cols := "SELECT TABLE_NAME, ORDINAL_POSITION, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'app' ORDER BY TABLE_NAME, ORDINAL_POSITION"
	mariadbtest.AssertSameRows(t, srcDB, dstDB, cols, cols)
	if want := 500 + written.Load(); stopped.State.RowsMigrated != want {
		t.Errorf("rows_migrated = %d, want %d: the 500 rows copied and the %d written, nothing copied again", stopped.State.RowsMigrated, want, written.Load())
	}
}
