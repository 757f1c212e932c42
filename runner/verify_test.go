package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/runnertest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/alert"
)

// waitVerification polls the task until its verification has completed more than sweeps
// sweeps, and returns it.
func waitVerification(t *testing.T, r *runnertest.Runner, id string, sweeps int64) *api.Verification {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		st, err := r.Client.TaskStatus(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if v := st.Verification; v != nil && v.Status != "running" && v.Sweeps > sweeps {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("no verification sweep after %d within a minute: %+v", sweeps, st.Verification)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func mismatchKeys(v *api.Verification) []string {
	var out []string
	for _, m := range v.Mismatched {
		out = append(out, m.Table+" "+string(m.Kind)+" "+m.Key)
	}
	slices.Sort(out)
	return out
}

// startVerifiedCDCTask starts a runner with args and on it a task that migrates database db
// of src to dst (schema, full, incremental) with data_verification in full mode, and waits
// until it runs incremental migration.
func startVerifiedCDCTask(t *testing.T, src, dst *mariadbtest.Server, db string, args ...string) (*runnertest.Runner, api.Task) {
	t.Helper()
	r := runnertest.StartWith(t, runnertest.Options{Args: args})
	task, err := r.Client.CreateTask(context.Background(), api.TaskSpec{
		SourceConnectionID: r.Connect(t, "src", src), DestinationConnectionID: r.Connect(t, "dst", dst),
		MigrationTypes: []api.MigrationType{"schema", "full", "incremental"}, Objects: []api.Object{{Database: db}},
		DataVerification: &api.DataVerification{Mode: "full"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return r, r.WaitStatus(t, task.ID, time.Minute, api.StatusRunning)
}

// A full-only task verifies its destination once the copy is done; damage done to the
// destination afterwards is found by an on-demand verification and alerted, and with repair
// the rows are rewritten so that the destination equals the source again.
func TestVerificationAfterFullLoadAndOnDemand(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	src.Exec(t, "CREATE DATABASE shop", "CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(40), at DATETIME(6))",
		"INSERT INTO shop.items SELECT seq, CONCAT('item ', seq), '2026-05-01 10:00:00.5' + INTERVAL seq MINUTE FROM shop.seq_1_to_3000")
	hook := newWebhook(t, 0)
	r := runnertest.Start(t)
	ctx := context.Background()
	spec := api.TaskSpec{
		Name: "verified", SourceConnectionID: r.Connect(t, "src", src), DestinationConnectionID: r.Connect(t, "dst", dst),
		MigrationTypes: []api.MigrationType{"schema", "full"}, Objects: []api.Object{{Database: "shop"}},
		DataVerification: &api.DataVerification{Mode: "full"},
		Monitoring:       &api.Monitoring{OnFailure: true, WebhookURL: hook.URL},
	}
	task, err := r.Client.CreateTask(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	done := r.WaitStatus(t, task.ID, time.Minute, api.StatusCompleted)
	if v := done.State.Verification; v == nil || v.Status != "passed" || v.RowsChecked != 3000 || v.Mismatches != 0 {
		t.Fatalf("verification after the full load: %+v, want passed over 3000 rows", v)
	}

	dst.Exec(t, "DELETE FROM shop.items WHERE id = 7", "UPDATE shop.items SET at = at + INTERVAL 1 MICROSECOND WHERE id = 2500",
		"INSERT INTO shop.items VALUES (9999, 'extra', NULL)")
	if _, err := r.Client.VerifyTask(ctx, task.ID); err != nil {
		t.Fatal(err)
	}
	v := waitVerification(t, r, task.ID, done.State.Verification.Sweeps)
	want := []string{"shop.items differs id=2500", "shop.items extra id=9999", "shop.items missing id=7"}
	if got := mismatchKeys(v); v.Status != "mismatched" || !slices.Equal(got, want) {
		t.Fatalf("on-demand verification: %s %v, want mismatched %v", v.Status, got, want)
	}
	a := hook.wait(t, task.ID, alert.KindMismatch, 30*time.Second)
	if !strings.Contains(a.Message, "id=") {
		t.Errorf("mismatch alert = %+v, want the keys", a)
	}
	if log := events(t, r, task.ID); !strings.Contains(log, "verification: verification mismatched") {
		t.Errorf("event log lacks the verification:\n%s", log)
	}

	// Repair, set in place, rewrites the rows; the next verification passes.
	spec.DataVerification.Repair = true
	if _, err := r.Client.UpdateTask(ctx, task.ID, spec); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Client.VerifyTask(ctx, task.ID); err != nil {
		t.Fatal(err)
	}
	if v := waitVerification(t, r, task.ID, v.Sweeps); v.Status != "repaired" || v.Repaired != 3 || v.Mismatches != 0 {
		t.Fatalf("verification with repair: %+v", v)
	}
	mariadbtest.AssertSameRows(t, src.DB(t, ""), dst.DB(t, ""), "SELECT * FROM shop.items ORDER BY id", "SELECT * FROM shop.items ORDER BY id")
}

// Continuous verification during incremental migration raises no false alarm while the
// source is written to without pause, and catches a row altered on the destination behind
// the task's back.
func TestContinuousVerificationUnderLoad(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	src.Exec(t, "CREATE DATABASE bank", "CREATE TABLE bank.accounts (id INT PRIMARY KEY, balance BIGINT NOT NULL, memo VARCHAR(40))",
		"INSERT INTO bank.accounts SELECT seq, seq * 10, 'open' FROM bank.seq_1_to_5000")
	// A row counts as differing only if it still differs 5 s later: room for the apply lag
	// of a loaded machine (2 s gave false alarms at a load average of 12 on 2 cores).
	r, task := startVerifiedCDCTask(t, src, dst, "bank", "--verify-settle", "5s", "--verify-pause", "500ms")

	// Writes to ids 1..4000 without pause; 4001..5000 stay still.
	db := src.DB(t, "")
	stopWriting := writeUntilStopped(db, 5, func(i int, rng *rand.Rand) []string {
		return []string{fmt.Sprintf("UPDATE bank.accounts SET balance = balance + 1, memo = 'w%d' WHERE id = %d", i, 1+rng.IntN(4000))}
	})
	var sweeps int64
	for sweeps < 3 {
		v := waitVerification(t, r, task.ID, sweeps)
		if v.Mismatches != 0 {
			stopWriting()
			t.Fatalf("sweep %d under load reported %d mismatches (false alarms): %v", v.Sweeps, v.Mismatches, mismatchKeys(v))
		}
		sweeps = v.Sweeps
	}
	dst.Exec(t, "UPDATE bank.accounts SET balance = -1 WHERE id = 4500")
	deadline := time.Now().Add(time.Minute)
	for {
		v := waitVerification(t, r, task.ID, sweeps)
		sweeps = v.Sweeps
		if v.Mismatches > 0 {
			if got := mismatchKeys(v); !slices.Equal(got, []string{"bank.accounts differs id=4500"}) {
				t.Fatalf("the sweep found %v, want only the altered row", got)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no sweep found the row altered on the destination")
		}
	}
	if err := stopWriting(); err != nil {
		t.Fatal(err)
	}
}

// Rows that incremental migration changes are compared again after the settle delay: a row
// the destination got wrong (here a destination trigger corrupts it on apply) is reported
// long before a sweep comes back to it, while the other changed rows raise nothing.
func TestChangedRowsAreRechecked(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	src.Exec(t, "CREATE DATABASE bank", "CREATE TABLE bank.accounts (id INT PRIMARY KEY, balance BIGINT NOT NULL, memo VARCHAR(40))",
		"INSERT INTO bank.accounts SELECT seq, seq * 10, 'open' FROM bank.seq_1_to_5000")
	r, task := startVerifiedCDCTask(t, src, dst, "bank", "--verify-settle", "1s", "--verify-pause", "1h")
	if v := waitVerification(t, r, task.ID, 0); v.Mismatches != 0 {
		t.Fatalf("first sweep: %+v", v)
	}
	dst.Exec(t, "CREATE TRIGGER bank.corrupt BEFORE INSERT ON bank.accounts FOR EACH ROW SET NEW.balance = IF(NEW.id = 4242, -7, NEW.balance)")
	src.Exec(t, "UPDATE bank.accounts SET memo = 'changed' WHERE id BETWEEN 4000 AND 4500")
	if v := waitRecheckOf4242(t, r, task.ID); v.KeysRechecked < 501 || v.Sweeps != 1 {
		t.Errorf("%d keys rechecked after %d sweeps, want the 501 changed rows and still the first sweep", v.KeysRechecked, v.Sweeps)
	}
	if log := events(t, r, task.ID); !strings.Contains(log, "changed rows still differ after the settle delay") {
		t.Errorf("event log lacks the recheck:\n%s", log)
	}
}

// A table with an etl block is verified like any other during incremental migration: the
// sweeps, run while the source is written to without pause (rows moving between NULL and a
// value, under a filter that keeps part of the table), raise no false alarm; a changed row the
// destination got wrong is reported by the recheck, and then by the sweep.
func TestETLContinuousVerificationAndRechecks(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	src.Exec(t, "CREATE DATABASE bank", "CREATE TABLE bank.accounts (id INT PRIMARY KEY, balance BIGINT NOT NULL, memo VARCHAR(40))",
		"INSERT INTO bank.accounts SELECT seq, seq * 10 + 1, IF(seq % 3 = 0, NULL, 'Open') FROM bank.seq_1_to_5000")
	// A row counts as differing only if it still differs 5 s later: room for the apply lag
	// of a loaded machine, which a sweep sees as rows in flight.
	r := runnertest.StartWith(t, runnertest.Options{Args: []string{"--verify-settle", "5s", "--verify-pause", "500ms"}})
	ctx := context.Background()
	task, err := r.Client.CreateTask(ctx, api.TaskSpec{
		SourceConnectionID: r.Connect(t, "src", src), DestinationConnectionID: r.Connect(t, "dst", dst),
		MigrationTypes: []api.MigrationType{"schema", "full", "incremental"},
		Objects: []api.Object{{Database: "bank", Tables: []api.Table{{Name: "accounts", ETL: &api.ETL{
			// The filter keeps ids up to 4499 (and drops the rest), and the writer's
			// increments never carry a row across it: a row that went out, in and out of the
			// filter within the settle delay would look unchanged to the settle check (a
			// filtered-out row has no expected value), a known limit this test is not about.
			Filter: "row.balance < 45000",
			Set:    map[string]string{"memo": "row.memo == null ? null : row.memo.upperAscii()", "cents": "row.balance * 100"},
		}}}}},
		DataVerification: &api.DataVerification{Mode: "full"},
	})
	if err != nil {
		t.Fatal(err)
	}
	r.WaitStatus(t, task.ID, time.Minute, api.StatusRunning)

	db := src.DB(t, "")
	stopWriting := writeUntilStopped(db, 7, func(i int, rng *rand.Rand) []string {
		id := 1 + rng.IntN(4000)
		if i%2 == 0 {
			return []string{fmt.Sprintf("UPDATE bank.accounts SET balance = balance + 1 WHERE id = %d", id)}
		}
		// balance grows with every write, so a row never returns to an earlier state: the
		// settle check would take a source row whose hash came back for one that stayed the same.
		return []string{fmt.Sprintf("UPDATE bank.accounts SET balance = balance + 1, memo = IF(memo IS NULL, 'w%d', NULL) WHERE id = %d", i, id)}
	})
	var sweeps int64
	var v *api.Verification
	for sweeps < 3 {
		v = waitVerification(t, r, task.ID, sweeps)
		if v.Mismatches != 0 || v.RecheckMismatches != 0 || len(v.Unverified) != 0 {
			stopWriting()
			st, _ := r.Client.TaskStatus(ctx, task.ID)
			t.Fatalf("sweep %d under load: %d mismatches %v, %d recheck mismatches %v, left out %v; want none (lag now %.1f s)", v.Sweeps,
				v.Mismatches, mismatchKeys(v), v.RecheckMismatches, v.RecheckMismatched, v.Unverified, st.LatencySeconds)
		}
		sweeps = v.Sweeps
	}
	if err := stopWriting(); err != nil {
		t.Fatal(err)
	}
	if v.RowsChecked < 4000 || v.KeysRechecked == 0 {
		t.Fatalf("the sweeps compared %d rows and the rechecks %d keys: the etl table was not verified", v.RowsChecked, v.KeysRechecked)
	}

	// The destination corrupts a computed column of one row as it is applied.
	dst.Exec(t, "CREATE TRIGGER bank.corrupt BEFORE INSERT ON bank.accounts FOR EACH ROW SET NEW.cents = IF(NEW.id = 4242, -7, NEW.cents)")
	src.Exec(t, "UPDATE bank.accounts SET balance = 1, memo = 'Changed' WHERE id BETWEEN 4200 AND 4300")
	waitRecheckOf4242(t, r, task.ID)
	deadline := time.Now().Add(time.Minute)
	for {
		v := waitVerification(t, r, task.ID, sweeps)
		sweeps = v.Sweeps
		if v.Mismatches > 0 {
			if got := mismatchKeys(v); !slices.Equal(got, []string{"bank.accounts differs id=4242"}) {
				t.Fatalf("the sweep found %v, want only the corrupted row", got)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no sweep found the corrupted row")
		}
	}
}

// waitRecheckOf4242 waits up to 30 s for the changed-row rechecks to report a mismatch and
// requires it to be exactly row id=4242, differing; it returns the verification state then.
func waitRecheckOf4242(t *testing.T, r *runnertest.Runner, id string) *api.Verification {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := r.Client.TaskStatus(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if v := st.Verification; v != nil && v.RecheckMismatches > 0 {
			if v.RecheckMismatches != 1 || len(v.RecheckMismatched) != 1 || v.RecheckMismatched[0].Key != "id=4242" || v.RecheckMismatched[0].Kind != "differs" {
				t.Fatalf("rechecks found %d: %+v, want only id=4242 differing", v.RecheckMismatches, v.RecheckMismatched)
			}
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("the corrupted row was not reported within 30 s: %+v", st.Verification)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// An on-demand verification of a task under incremental migration with continuous
// verification reports rows damaged on the destination, and that outcome is never taken
// back by an older one: polled for 30 s, the sweep count never goes down, and once a sweep
// has reported the damage no state says the destination passed, since nobody repairs it.
// (The running task's reporter used to write back its stale copy of an earlier sweep over
// the on-demand outcome.)
func TestVerificationOutcomeIsNeverOverwrittenByAnOlderOne(t *testing.T) {
	src, dst := mariadbtest.StartSource(t), mariadbtest.StartDestination(t)
	src.Exec(t, "CREATE DATABASE shop", "CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(40), qty INT NOT NULL)",
		"INSERT INTO shop.items SELECT seq, CONCAT('item ', seq), seq FROM shop.seq_1_to_3000")
	r, task := startVerifiedCDCTask(t, src, dst, "shop", "--verify-settle", "2s", "--verify-pause", "2s")
	ctx := context.Background()
	if v := waitVerification(t, r, task.ID, 0); v.Status != "passed" {
		t.Fatalf("first sweep before any damage: %+v, want passed", v)
	}

	// The source keeps changing (ids 1..1000, a few times a second), so the running task
	// reports progress all along; the damaged rows are above 2000.
	db := src.DB(t, "")
	quit, wrote := make(chan struct{}), make(chan error, 1)
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-quit:
				wrote <- nil
				return
			case <-tick.C:
			}
			if _, err := db.Exec("UPDATE shop.items SET qty = qty + 1 WHERE id = ?", 1+i%1000); err != nil {
				wrote <- err
				return
			}
		}
	}()
	defer func() {
		close(quit)
		if err := <-wrote; err != nil {
			t.Errorf("writing to the source: %v", err)
		}
	}()

	dst.Exec(t, "UPDATE shop.items SET name = 'damaged' WHERE id = 2100", "DELETE FROM shop.items WHERE id = 2200",
		"INSERT INTO shop.items VALUES (9999, 'extra', 0)")
	if _, err := r.Client.VerifyTask(ctx, task.ID); err != nil {
		t.Fatal(err)
	}
	want := []string{"shop.items differs id=2100", "shop.items extra id=9999", "shop.items missing id=2200"}
	var (
		last         api.Verification
		mismatchedAt int64 // the sweep count when a sweep first reported the damage, 0 before
		trail        []string
	)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		st, err := r.Client.TaskStatus(ctx, task.ID)
		if err != nil {
			t.Fatal(err)
		}
		v := st.Verification
		if v == nil {
			t.Fatalf("the task lost its verification state; states so far: %v", trail)
		}
		trail = append(trail, fmt.Sprintf("%s/%d", v.Status, v.Sweeps))
		if v.Sweeps < last.Sweeps {
			t.Fatalf("the sweep count went down from %d to %d; states so far: %v", last.Sweeps, v.Sweeps, trail)
		}
		switch v.Status {
		case "mismatched":
			if got := mismatchKeys(v); !slices.Equal(got, want) {
				t.Fatalf("a sweep found %v, want %v", got, want)
			}
			if mismatchedAt == 0 {
				mismatchedAt = v.Sweeps
			}
		case "passed", "repaired":
			if mismatchedAt > 0 {
				t.Fatalf("verification went from mismatched (sweep %d) to %s (sweep %d) with nobody repairing the destination; states so far: %v",
					mismatchedAt, v.Status, v.Sweeps, trail)
			}
		}
		last = *v
	}
	if mismatchedAt == 0 {
		t.Fatalf("no sweep reported the damaged rows within 30 s; states: %v", trail)
	}
	if last.Sweeps <= mismatchedAt {
		t.Errorf("no sweep after the one that found the damage (sweep %d) within 30 s; states: %v", mismatchedAt, trail)
	}
}
