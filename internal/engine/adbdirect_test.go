package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/adbfront"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/precheck"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
)

// TestADBDirectWrites: into the emulated AnalyticDB with BEGIN refused and with BEGIN
// ignored, the engine writes without transactions and still ends equal to the source
// after every kind of interruption direct writes leave behind, compared on the emulator's
// MariaDB directly:
//   - a full copy cut off mid-chunk, then, as if the rows of every chunk had landed but
//     none of the checkpoints (a crash between a chunk's last row and its mark), every
//     chunk marked undone and the copied rows damaged: the next run writes each chunk
//     again over them;
//   - incremental migration whose checkpoint is wound back to an earlier position (a
//     crash between a batch's rows and its checkpoint): the replay from there converges;
//   - a repair of rows changed and added on the destination, which writes the source's
//     rows before it deletes the extras.
func TestADBDirectWrites(t *testing.T) {
	for _, begin := range []string{"error", "noop"} {
		t.Run("begin="+begin, func(t *testing.T) { directWrites(t, begin) })
	}
}

func directWrites(t *testing.T, begin string) {
	src, dst := mariadbtest.SharedPair(t)
	db := "direct_" + begin
	src.Exec(t, "CREATE DATABASE "+db,
		"CREATE TABLE "+db+".acct (id INT NOT NULL PRIMARY KEY, owner VARCHAR(40) NOT NULL, amount BIGINT NOT NULL, note TEXT)",
		"INSERT INTO "+db+".acct SELECT seq, CONCAT('owner-', seq), seq * 10, IF(seq % 7 = 0, NULL, REPEAT('n', seq % 50)) FROM "+db+".seq_1_to_6000")
	task := fullTask("task-direct-"+begin, src, dst, engine.Object{Database: db})
	task.MigrationTypes = append(task.MigrationTypes, engine.MigrationIncremental)
	task.Destination = adbFront(t, dst, adbfront.Switches{Transactions: begin})
	task.IgnorePrecheckAlerts = []string{precheck.DestinationDiskSpace}
	task.ChunkRows, task.Workers = 500, 2
	srcDB, dstDB := src.DB(t, ""), dst.DB(t, "")
	same := func(what string) {
		t.Helper()
		t.Logf("comparing %s", what)
		q := "SELECT id, owner, amount, note FROM " + db + ".acct ORDER BY id"
		mariadbtest.AssertSameRows(t, srcDB, dstDB, q, q)
		if t.Failed() {
			t.FailNow()
		}
	}

	// 1. Cut the copy off once some chunks are in.
	ctx, cancel := context.WithCancel(context.Background())
	err := engine.Run(ctx, task, func(p engine.Progress) {
		if p.RowsMigrated >= 1000 {
			cancel()
		}
	})
	cancel()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run returned %v, want context.Canceled", err)
	}
	var chunksDone int
	if err := dstDB.QueryRow("SELECT COUNT(*) FROM adbmigrate_meta.copy_chunks WHERE task_id = ? AND done = 1", task.ID).Scan(&chunksDone); err != nil {
		t.Fatal(err)
	}
	if chunksDone == 0 || chunksDone == 12 {
		t.Fatalf("the interrupted copy marked %d of 12 chunks done; want a partial copy", chunksDone)
	}
	// The rows of every chunk landed and no checkpoint did: damaged copies of rows, and
	// every chunk undone.
	dst.Exec(t, "INSERT INTO "+db+".acct (id, owner, amount) SELECT seq, 'stale', -1 FROM "+db+".seq_1_to_6000 ON DUPLICATE KEY UPDATE owner = 'stale', amount = -1",
		"UPDATE adbmigrate_meta.copy_chunks SET done = 0, rows_copied = 0 WHERE task_id = '"+task.ID+"'")
	src.Exec(t, "UPDATE "+db+".acct SET amount = amount + 1 WHERE id % 100 = 0")

	drain := make(chan struct{})
	task.Drain = drain
	w := newWatch()
	done := make(chan error, 1)
	go func() { done <- engine.Run(context.Background(), task, w.report) }()
	p := w.wait(t, "incremental migration to catch up", done, func(p engine.Progress) bool { return p.Phase == engine.PhaseIncremental && p.CaughtUp })
	capItem := p.CapabilityItem.Message
	if !strings.Contains(capItem, "writes directly") {
		t.Errorf("destination_capabilities says %q, want it to say the task writes directly", capItem)
	}
	// Changes through the binlog; their checkpoint is taken below, then more follow.
	src.Exec(t, "UPDATE "+db+".acct SET owner = 'moved' WHERE id BETWEEN 10 AND 30",
		"DELETE FROM "+db+".acct WHERE id BETWEEN 40 AND 60",
		"INSERT INTO "+db+".acct VALUES (7001, 'new', 1, 'x'), (7002, 'new', 2, NULL)")
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		var n int
		if err := dstDB.QueryRow("SELECT COUNT(*) FROM " + db + ".acct WHERE id = 7002 OR (id BETWEEN 40 AND 60)").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the first changes did not reach the destination within a minute (%d of the rows checked are as before)", n)
		}
	}
	rewind := "rewind_" + begin
	dst.Exec(t, "CREATE DATABASE "+rewind, "CREATE TABLE "+rewind+".workers AS SELECT * FROM adbmigrate_meta.cdc_workers WHERE task_id = '"+task.ID+"'")
	src.Exec(t, "UPDATE "+db+".acct SET amount = 0 WHERE id BETWEEN 10 AND 20",
		"DELETE FROM "+db+".acct WHERE id = 7001",
		"INSERT INTO "+db+".acct VALUES (7001, 'again', 3, 'y')",
		"UPDATE "+db+".acct SET id = 9000 WHERE id = 100")
	drainRun(t, drain, done)
	same("after the copy was written twice and the changes applied")

	// 2. The checkpoint goes back to before the later changes, as if their rows had
	// landed and their checkpoint had not; the replay converges.
	dst.Exec(t, "DELETE FROM adbmigrate_meta.cdc_workers WHERE task_id = '"+task.ID+"'",
		"INSERT INTO adbmigrate_meta.cdc_workers SELECT * FROM "+rewind+".workers")
	src.Exec(t, "UPDATE "+db+".acct SET note = 'after rewind' WHERE id BETWEEN 500 AND 520")
	drain = make(chan struct{})
	task.Drain = drain
	w = newWatch()
	done = make(chan error, 1)
	go func() { done <- engine.Run(context.Background(), task, w.report) }()
	w.wait(t, "the replay to catch up", done, func(p engine.Progress) bool { return p.Phase == engine.PhaseIncremental && p.CaughtUp })
	drainRun(t, drain, done)
	same("after a replay from a wound-back checkpoint")

	// 3. Repair: rows changed and added on the destination are put back as the source has
	// them.
	dst.Exec(t, "UPDATE "+db+".acct SET amount = -5 WHERE id IN (1000, 2000, 3000)",
		"INSERT INTO "+db+".acct VALUES (8001, 'extra', 0, NULL), (8002, 'extra', 0, NULL)")
	task.Verification = engine.Verification{Mode: engine.VerifyFull, Repair: true}
	var last engine.Progress
	if err := engine.Verify(context.Background(), task, func(p engine.Progress) { last = p }); err != nil {
		t.Fatal(err)
	}
	if v := last.Verification; v == nil || v.Status != engine.VerificationRepaired {
		t.Errorf("verification with repair: %+v, want repaired", v)
	}
	same("after the repair")
}
