package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/adbfront"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/runnertest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/vocab"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

// One runner runs 20 incremental tasks at once, each migrating its own database, and every
// destination database ends equal to its source.
func TestTwentyTasksAtOnce(t *testing.T) {
	const n = 20
	src, dst := mariadbtest.SharedPair(t)
	for i := range n {
		db := fmt.Sprintf("tenant%02d", i)
		src.Exec(t, "CREATE DATABASE "+db,
			"CREATE TABLE "+db+".orders (id INT PRIMARY KEY, amount DECIMAL(10,2), note VARCHAR(30))",
			fmt.Sprintf("INSERT INTO %s.orders SELECT seq, seq * %d / 7, CONCAT('o', seq) FROM %s.seq_1_to_2000", db, i+1, db))
	}
	r := runnertest.Start(t)
	ctx := context.Background()
	srcID, dstID := r.Connect(t, "src", src), r.Connect(t, "dst", dst)
	ids := make([]string, n)
	for i := range n {
		task, err := r.Client.CreateTask(ctx, api.TaskSpec{
			Name: fmt.Sprintf("tenant%02d", i), SourceConnectionID: srcID, DestinationConnectionID: dstID,
			MigrationTypes: []api.MigrationType{"schema", "full", "incremental"}, Objects: []api.Object{{Database: fmt.Sprintf("tenant%02d", i)}},
		})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = task.ID
	}
	for _, id := range ids {
		r.WaitStatus(t, id, 3*time.Minute, api.StatusRunning)
	}
	for i := range n {
		db := fmt.Sprintf("tenant%02d", i)
		src.Exec(t, "UPDATE "+db+".orders SET note = 'changed' WHERE id % 5 = 0",
			"DELETE FROM "+db+".orders WHERE id % 11 = 0",
			"INSERT INTO "+db+".orders SELECT 5000 + seq, seq, 'late' FROM "+db+".seq_1_to_100")
	}
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() {
			if _, err := r.Client.StopTask(ctx, id); err != nil {
				t.Errorf("stopping %s: %v", id, err)
			}
		})
	}
	wg.Wait()
	srcDB, dstDB := src.DB(t, ""), dst.DB(t, "")
	for i, id := range ids {
		if st, err := r.Client.TaskStatus(ctx, id); err != nil || st.Status != api.StatusStopped {
			t.Errorf("task %s is %s (%v), want Stopped", id, st.Status, err)
		}
		q := fmt.Sprintf("SELECT * FROM tenant%02d.orders ORDER BY id", i)
		mariadbtest.AssertSameRows(t, srcDB, dstDB, q, q)
	}
}

// SIGKILL the runner once in each phase of a task (precheck, schema, full, incremental).
// After each restart the task carries on from the phase it was in, never from an earlier
// one, and at the end the destination equals the source.
func TestKillInEveryPhase(t *testing.T) {
	killInEveryPhase(t, func(r *runnertest.Runner, dst *mariadbtest.Server) string { return r.Connect(t, "dst", dst) })
}

// TestKillInEveryPhaseADB is TestKillInEveryPhase into the emulated AnalyticDB with BEGIN
// refused and with BEGIN ignored: the task writes without transactions (docs/adb.md), and
// the destination, read on the emulator's MariaDB, equals the source at the end.
func TestKillInEveryPhaseADB(t *testing.T) {
	for _, begin := range []string{"error", "noop"} {
		t.Run("begin="+begin, func(t *testing.T) {
			killInEveryPhase(t, func(r *runnertest.Runner, dst *mariadbtest.Server) string {
				return r.ConnectADB(t, "dst", dst, adbfront.Switches{Transactions: begin})
			})
		})
	}
}

// killInEveryPhase is TestKillInEveryPhase with the destination connection connect
// registers for dst.
func killInEveryPhase(t *testing.T, connect func(*runnertest.Runner, *mariadbtest.Server) string) {
	const tables = 300
	src, dst := mariadbtest.StartSource(t), mariadbtest.StartDestination(t)
	// Many tables make the precheck and the schema phase last long enough to be caught;
	// one big table does the same for the full copy.
	stmts := []string{"CREATE DATABASE wide",
		"CREATE TABLE wide.big (id INT PRIMARY KEY, payload VARCHAR(100))",
		"INSERT INTO wide.big SELECT seq, REPEAT('x', 100) FROM wide.seq_1_to_300000"}
	for i := range tables {
		stmts = append(stmts, fmt.Sprintf("CREATE TABLE wide.t%03d (id INT PRIMARY KEY, v INT, s VARCHAR(20))", i),
			fmt.Sprintf("INSERT INTO wide.t%03d VALUES (1, %d, 'a'), (2, %d, 'b')", i, i, -i))
	}
	src.Exec(t, stmts...)
	r := runnertest.Start(t)
	ctx := context.Background()
	task, err := r.Client.CreateTask(ctx, api.TaskSpec{
		SourceConnectionID: r.Connect(t, "src", src), DestinationConnectionID: connect(r, dst),
		MigrationTypes: []api.MigrationType{"schema", "full", "incremental"}, Objects: []api.Object{{Database: "wide"}},
		// An emulated AnalyticDB destination cannot show its free space (an alert).
		IgnorePrecheckAlerts: []string{vocab.ItemDestinationDiskSpace},
		// Slow the copy down so that the full phase lasts.
		FullThrottling: &api.Throttling{RPS: 50000},
	})
	if err != nil {
		t.Fatal(err)
	}
	order := []api.Status{api.StatusNotStarted, api.StatusPrechecking, api.StatusSchemaMigrating, api.StatusFullMigrating, api.StatusRunning}
	rank := func(status api.Status) int {
		for i, s := range order {
			if s == status {
				return i
			}
		}
		t.Fatalf("task is %s, which is no phase of a healthy run", status)
		return -1
	}
	for _, phase := range order[1:] {
		deadline := time.Now().Add(2 * time.Minute)
		for {
			st, err := r.Client.TaskStatus(ctx, task.ID)
			if err != nil {
				t.Fatal(err)
			}
			if st.Status == phase {
				break
			}
			if rank(st.Status) > rank(phase) {
				t.Fatalf("the task went from before %s to %s before the test saw %s: the phase is too short to be killed in", phase, st.Status, phase)
			}
			if time.Now().After(deadline) {
				t.Fatalf("task did not reach %s within 2 minutes; it is %s", phase, st.Status)
			}
			time.Sleep(2 * time.Millisecond)
		}
		if phase == api.StatusRunning {
			src.Exec(t, "UPDATE wide.big SET payload = 'changed' WHERE id % 1000 = 0", "DELETE FROM wide.t007", "INSERT INTO wide.t008 VALUES (3, 3, 'c')")
		}
		r.Kill(t)
		t.Logf("killed the runner in %s", phase)
		r.Start(t)
		// The restarted runner resumes the phase it was killed in, or a later one.
		st, err := r.Client.TaskStatus(ctx, task.ID)
		if err != nil {
			t.Fatal(err)
		}
		if rank(st.Status) < rank(phase) {
			t.Fatalf("after a kill in %s the task is %s", phase, st.Status)
		}
	}
	r.WaitStatus(t, task.ID, time.Minute, api.StatusRunning)
	src.Exec(t, "INSERT INTO wide.t009 VALUES (4, 4, 'after')")
	if _, err := r.Client.StopTask(ctx, task.ID); err != nil {
		t.Fatal(err)
	}
	srcDB, dstDB := src.DB(t, ""), dst.DB(t, "")
	mariadbtest.AssertSameRows(t, srcDB, dstDB, "SELECT * FROM wide.big ORDER BY id", "SELECT * FROM wide.big ORDER BY id")
	var union []string
	for i := range tables {
		union = append(union, fmt.Sprintf("SELECT '%03d' AS t, id, v, s FROM wide.t%03d", i, i))
	}
	q := strings.Join(union, " UNION ALL ") + " ORDER BY t, id"
	mariadbtest.AssertSameRows(t, srcDB, dstDB, q, q)
}

// SIGTERM checkpoints and stops every task without marking it stopped: the runner exits,
// and a restart resumes each task in its phase, during the full copy and during incremental
// migration alike. DDL that incremental migration does not apply shows in the task's
// notices and event log.
func TestSIGTERMPausesAndRestartResumes(t *testing.T) {
	src, dst := mariadbtest.StartSource(t), mariadbtest.StartDestination(t)
	src.Exec(t, "CREATE DATABASE app", "CREATE TABLE app.t (id INT PRIMARY KEY, v INT, s VARCHAR(40))",
		"INSERT INTO app.t SELECT seq, seq % 1000, REPEAT('s', seq % 40) FROM app.seq_1_to_100000")
	r := runnertest.Start(t)
	ctx := context.Background()
	task, err := r.Client.CreateTask(ctx, api.TaskSpec{
		SourceConnectionID: r.Connect(t, "src", src), DestinationConnectionID: r.Connect(t, "dst", dst),
		MigrationTypes: []api.MigrationType{"schema", "full", "incremental"}, Objects: []api.Object{{Database: "app"}},
		FullThrottling: &api.Throttling{RPS: 20000},
	})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		st, err := r.Client.TaskStatus(ctx, task.ID)
		if err != nil {
			t.Fatal(err)
		}
		if st.Status == api.StatusFullMigrating && st.RowsMigrated > 0 {
			break
		}
		if st.Status == api.StatusRunning || time.Now().After(deadline) {
			t.Fatalf("task is %s with %d rows; the test needs it in the middle of its full copy", st.Status, st.RowsMigrated)
		}
		time.Sleep(20 * time.Millisecond)
	}
	paused := func(phase api.Status) {
		t.Helper()
		r.Stop(t)
		if !strings.Contains(r.Logs(), "task paused for shutdown") {
			t.Errorf("the runner did not log pausing the task on SIGTERM in %s", phase)
		}
		r.Start(t)
		if st, err := r.Client.TaskStatus(ctx, task.ID); err != nil || st.Status != phase {
			t.Fatalf("after SIGTERM and restart the task is %s (%v), want %s", st.Status, err, phase)
		}
	}
	src.Exec(t, "UPDATE app.t SET v = -v WHERE id % 100 = 0")
	paused(api.StatusFullMigrating)
	r.WaitStatus(t, task.ID, time.Minute, api.StatusRunning)

	src.Exec(t, "ALTER TABLE app.t ADD INDEX ix_v (v)", "DELETE FROM app.t WHERE id % 33 = 0")
	paused(api.StatusRunning)
	src.Exec(t, "INSERT INTO app.t VALUES (200001, 1, 'after restart')")
	r.WaitStatus(t, task.ID, time.Minute, api.StatusRunning)
	stopped, err := r.Client.StopTask(ctx, task.ID)
	if err != nil {
		t.Fatal(err)
	}
	mariadbtest.AssertSameRows(t, src.DB(t, ""), dst.DB(t, ""), "SELECT * FROM app.t ORDER BY id", "SELECT * FROM app.t ORDER BY id")
	if n := stopped.State.Notices; len(n) == 0 || !strings.Contains(n[len(n)-1], "ADD INDEX") {
		t.Errorf("task notices %q lack the ADD INDEX that was not applied", n)
	}
	if log := events(t, r, task.ID); !strings.Contains(log, "ddl: DDL on app.t not applied") {
		t.Errorf("event log lacks the DDL notice:\n%s", log)
	}
}
