package main

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/adbfront"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/runnertest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

// An incremental task keeps the destination in step until it is stopped; stopping drains to
// the source's position (the cut-over), and starting it again resumes from its checkpoint,
// also across a SIGKILL of the runner.
func TestIncrementalCutOverAndRestart(t *testing.T) {
	cutOverAndRestart(t, func(r *runnertest.Runner, dst *mariadbtest.Server) string { return r.Connect(t, "dst", dst) })
}

// TestIncrementalCutOverAndRestartADB is TestIncrementalCutOverAndRestart into the emulated
// AnalyticDB with BEGIN refused and with BEGIN ignored: the cut-over drain, the start after
// it and the SIGKILL under a burst, all without transactions; compared on the emulator's
// MariaDB.
func TestIncrementalCutOverAndRestartADB(t *testing.T) {
	for _, begin := range []string{"error", "noop"} {
		t.Run("begin="+begin, func(t *testing.T) {
			cutOverAndRestart(t, func(r *runnertest.Runner, dst *mariadbtest.Server) string {
				return r.ConnectADB(t, "dst", dst, adbfront.Switches{Transactions: begin})
			})
		})
	}
}

// cutOverAndRestart is TestIncrementalCutOverAndRestart with the destination connection
// connect registers for dst.
func cutOverAndRestart(t *testing.T, connect func(*runnertest.Runner, *mariadbtest.Server) string) {
	src, dst := mariadbtest.StartSource(t), mariadbtest.StartDestination(t)
	src.Exec(t, "CREATE DATABASE app",
		"CREATE TABLE app.accounts (id INT PRIMARY KEY, owner VARCHAR(40), balance DECIMAL(14,2))",
		"INSERT INTO app.accounts SELECT seq, CONCAT('owner ', seq), seq * 10 FROM app.seq_1_to_2000")
	r := runnertest.Start(t)
	ctx := context.Background()
	task := createCDCTask(t, r, r.Connect(t, "src", src), connect(r, dst), "app")
	srcDB, dstDB := src.DB(t, ""), dst.DB(t, "")
	same := func() {
		t.Helper()
		mariadbtest.AssertSameRows(t, srcDB, dstDB, "SELECT * FROM app.accounts ORDER BY id", "SELECT * FROM app.accounts ORDER BY id")
	}

	src.Exec(t, "UPDATE app.accounts SET balance = balance + 1 WHERE id % 3 = 0",
		"INSERT INTO app.accounts VALUES (5000, 'late', 1.5)", "DELETE FROM app.accounts WHERE id < 50")
	stopped, err := r.Client.StopTask(ctx, task.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stopped.State.Status != api.StatusStopped {
		t.Fatalf("after stop the task is %s (%s), want Stopped", stopped.State.Status, stopped.State.ErrorMessage)
	}
	same()

	// Changes while stopped are applied after a start, even across a SIGKILL.
	src.Exec(t, "UPDATE app.accounts SET owner = 'while stopped' WHERE id BETWEEN 100 AND 300")
	if _, err := r.Client.StartTask(ctx, task.ID); err != nil {
		t.Fatal(err)
	}
	r.WaitStatus(t, task.ID, time.Minute, api.StatusRunning)
	src.Exec(t, "INSERT INTO app.accounts SELECT 6000 + seq, 'burst', seq FROM app.seq_1_to_500")
	r.Kill(t)
	src.Exec(t, "UPDATE app.accounts SET balance = 0 WHERE id > 6400")
	r.Start(t)
	r.WaitStatus(t, task.ID, time.Minute, api.StatusRunning)
	if _, err := r.Client.StopTask(ctx, task.ID); err != nil {
		t.Fatal(err)
	}
	final := r.WaitStatus(t, task.ID, time.Minute, api.StatusStopped)
	if final.State.Position.GTIDSet == "" || final.State.Position.File == "" {
		t.Errorf("stopped task reports no applied position: %+v", final.State.Position)
	}
	// 2000 rows copied, then row changes: 666 + 1 + 49 before the stop, 201 while
	// stopped, 500 + 100 around the kill. Each counts once, across restarts and the kill.
	if want := int64(2000 + 666 + 1 + 49 + 201 + 500 + 100); final.State.RowsMigrated != want {
		t.Errorf("rows_migrated = %d after restarts, want %d", final.State.RowsMigrated, want)
	}
	same()
}

// writeUntilStopped runs, one after another, transactions of the statements next returns
// for i = 0, 1, ... (rng seeded with seed) until the returned stop is called; stop returns
// the first error.
func writeUntilStopped(db *sql.DB, seed uint64, next func(i int, rng *rand.Rand) []string) (stop func() error) {
	quit := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		rng := rand.New(rand.NewPCG(seed, seed+1))
		for i := 0; ; i++ {
			select {
			case <-quit:
				done <- nil
				return
			default:
			}
			tx, err := db.Begin()
			if err != nil {
				done <- err
				return
			}
			for _, s := range next(i, rng) {
				if _, err := tx.Exec(s); err != nil {
					tx.Rollback()
					done <- err
					return
				}
			}
			if err := tx.Commit(); err != nil {
				done <- err
				return
			}
		}
	}()
	return func() error {
		close(quit)
		return <-done
	}
}

// SIGKILL the runner again and again at random moments while changes flow; each restart
// resumes from the destination's checkpoint, and in the end the destination equals the
// source: no change lost, none applied twice.
func TestIncrementalSurvivesRandomKills(t *testing.T) {
	src, dst := mariadbtest.StartSource(t), mariadbtest.StartDestination(t)
	src.Exec(t, "CREATE DATABASE bank",
		"CREATE TABLE bank.ledger (id INT PRIMARY KEY, amount BIGINT NOT NULL, memo VARCHAR(40), version INT NOT NULL DEFAULT 0)",
		"INSERT INTO bank.ledger SELECT seq, seq * 3, CONCAT('m', seq), 0 FROM bank.seq_1_to_3000")
	r := runnertest.Start(t)
	ctx := context.Background()
	task := createCDCTask(t, r, r.Connect(t, "src", src), r.Connect(t, "dst", dst), "bank")

	// A writer that never stops during the kills: increments (which would show a double
	// apply), inserts, deletes and key changes, in multi-statement transactions.
	db := src.DB(t, "")
	stopWriting := writeUntilStopped(db, 1, func(i int, rng *rand.Rand) []string {
		id := 1 + rng.IntN(3000)
		stmts := []string{
			fmt.Sprintf("UPDATE bank.ledger SET amount = amount + 1, version = version + 1 WHERE id = %d", id),
			fmt.Sprintf("INSERT INTO bank.ledger (id, amount, memo) VALUES (%d, %d, 'new') ON DUPLICATE KEY UPDATE version = version + 1", 100000+i, i),
		}
		if i%40 == 0 {
			// A wide update: batches this large are applied by parallel workers.
			lo := 1 + rng.IntN(2500)
			stmts = append(stmts, fmt.Sprintf("UPDATE bank.ledger SET amount = amount - 1, version = version + 1 WHERE id BETWEEN %d AND %d", lo, lo+400))
		}
		switch i % 7 {
		case 3:
			stmts = append(stmts, fmt.Sprintf("DELETE FROM bank.ledger WHERE id = %d", 1+rng.IntN(3000)))
		case 5:
			stmts = append(stmts, fmt.Sprintf("UPDATE bank.ledger SET id = %d WHERE id = %d", 200000+i, 1+rng.IntN(3000)))
		}
		return stmts
	})
	rng := rand.New(rand.NewPCG(3, 4))
	for k := 0; k < 4; k++ {
		time.Sleep(time.Duration(300+rng.IntN(900)) * time.Millisecond)
		r.Kill(t)
		t.Logf("killed the runner (%d)", k+1)
		r.Start(t)
	}
	time.Sleep(500 * time.Millisecond)
	if err := stopWriting(); err != nil {
		t.Fatal(err)
	}
	r.WaitStatus(t, task.ID, time.Minute, api.StatusRunning)
	if _, err := r.Client.StopTask(ctx, task.ID); err != nil {
		t.Fatal(err)
	}
	r.WaitStatus(t, task.ID, time.Minute, api.StatusStopped)
	mariadbtest.AssertSameRows(t, db, dst.DB(t, ""), "SELECT * FROM bank.ledger ORDER BY id", "SELECT * FROM bank.ledger ORDER BY id")
	if !strings.Contains(r.Logs(), `"msg":"batch applied"`) || !strings.Contains(r.Logs(), `"workers":4`) {
		t.Error("no batch was applied by parallel workers: the test did not exercise them")
	}
}
