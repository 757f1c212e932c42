package scheduler

import (
	"context"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/binlog"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/verify"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

// These tests check that no writer of a task's state puts back an older value: a
// verification sweep's outcome against the running task's copy and against sweeps that
// began earlier, and the run's fields against reports that come after the run ended.

// sweepProgress is the engine's verification progress of its sweep index done sweeps in:
// running, or finished (passed, or mismatched when mismatches > 0).
func sweepProgress(done int64, running bool, mismatches int64) *engine.VerificationProgress {
	if running {
		return &engine.VerificationProgress{Status: engine.VerificationRunning, Sweeps: done}
	}
	v := &engine.VerificationProgress{Status: engine.VerificationPassed, Sweeps: done + 1, Result: verify.Result{Rows: 3000, Mismatches: mismatches}}
	if mismatches > 0 {
		v.Status = engine.VerificationMismatched
		v.Mismatched = []verify.Mismatch{{Table: "shop.items", Key: "id=7", Kind: verify.Missing}}
	}
	return v
}

// An on-demand verification's outcome is shown until a sweep that began after it has
// finished: the running task's copy of its own earlier sweep, written again with every
// progress report, and the outcome of a sweep that began before it never replace it, and
// the sweep count only grows.
func TestSchedulerVerificationNeverGoesBack(t *testing.T) {
	var s steps = make(chan func(func(engine.Progress)))
	verified := make(chan struct{})
	h := newHarness(t, s.run, Options{})
	h.s.engine.(*fakeEngine).verify = func(_ context.Context, _ engine.Task, report func(engine.Progress)) error {
		defer close(verified)
		report(engine.Progress{Verification: sweepProgress(0, true, 0)})
		report(engine.Progress{Verification: sweepProgress(0, false, 3)})
		return nil
	}
	id := h.start(t, api.TaskSpec{DataVerification: &api.DataVerification{Mode: api.VerifyFull}})
	state := func() api.Verification {
		t.Helper()
		task, err := h.st.GetTask(id)
		if err != nil {
			t.Fatal(err)
		}
		if task.State.Verification == nil {
			t.Fatal("the task has no verification state")
		}
		return *task.State.Verification
	}
	// The run reports as the engine does: every report carries its latest verification.
	rows := int64(0)
	runReports := func(v *engine.VerificationProgress) {
		s.do(t, func(report func(engine.Progress)) {
			rows++
			h.clock.Advance(time.Second) // past persistEvery: every report is written
			report(engine.Progress{Phase: engine.PhaseIncremental, RowsMigrated: rows, Verification: v})
		})
	}

	runReports(sweepProgress(0, true, 0))
	runReports(sweepProgress(0, false, 0))
	if v := state(); v.Status != api.VerificationPassed || v.Sweeps != 1 || v.Sweep != 1 {
		t.Fatalf("after the run's first sweep: %+v, want passed, sweep 1 of 1", v)
	}
	// The run's second sweep begins, then the on-demand one, which finds rows that differ.
	second := sweepProgress(1, true, 0)
	runReports(second)
	if err := h.s.Verify(id); err != nil {
		t.Fatal(err)
	}
	select {
	case <-verified:
	case <-time.After(waitLimit):
		t.Fatal("the on-demand verification did not run")
	}
	if v := state(); v.Status != api.VerificationMismatched || v.Mismatches != 3 || v.Sweeps != 2 || v.Sweep != 3 {
		t.Fatalf("after the on-demand verification: %+v, want mismatched (3), sweep 3 shown, 2 finished", v)
	}
	// The run goes on reporting its second sweep, then its outcome (it began earlier and
	// passed), then copies of it.
	runReports(second)
	runReports(sweepProgress(1, false, 0))
	runReports(sweepProgress(1, false, 0))
	if v := state(); v.Status != api.VerificationMismatched || v.Mismatches != 3 || v.Sweeps != 3 || v.Sweep != 3 {
		t.Fatalf("after the run's sweep that began before the on-demand one: %+v, want still mismatched, sweep 3 shown, 3 finished", v)
	}
	// A sweep that begins later replaces it.
	runReports(sweepProgress(2, true, 0))
	if v := state(); v.Status != api.VerificationRunning || v.Sweeps != 3 || v.Sweep != 4 {
		t.Fatalf("while the run's third sweep runs: %+v, want running, sweep 4 shown, 3 finished", v)
	}
	runReports(sweepProgress(2, false, 3))
	runReports(sweepProgress(2, false, 3))
	if v := state(); v.Status != api.VerificationMismatched || v.Sweeps != 4 || v.Sweep != 4 {
		t.Fatalf("after the run's third sweep: %+v, want mismatched, sweep 4 shown, 4 finished", v)
	}
	got := h.events(t, id, api.EventVerification)
	if len(got) != 4 || !strings.HasPrefix(got[0], "verification passed") || !strings.HasPrefix(got[1], "verification mismatched") ||
		!strings.Contains(got[2], "not shown") || !strings.HasPrefix(got[3], "verification mismatched") || strings.Contains(got[3], "not shown") {
		t.Errorf("verification events %q, want one per sweep: passed, mismatched, passed not shown, mismatched", got)
	}
}

// Once a run has ended, progress its engine still reports (from a goroutine that outlived
// it, or the lag ticker) changes nothing: the failure that ended it stays.
func TestSchedulerReportAfterTheRunEndedChangesNothing(t *testing.T) {
	var late func(engine.Progress)
	h := newHarness(t, func(_ context.Context, _ engine.Task, report func(engine.Progress)) error {
		report(engine.Progress{Phase: engine.PhaseIncremental, RowsMigrated: 1})
		late = report
		return fmt.Errorf("%w: the destination table is gone", errConfig)
	}, Options{})
	id := h.start(t, api.TaskSpec{})
	ended := h.waitEnded(t, id)
	if ended.State.Status != api.StatusFailed {
		t.Fatalf("status %s, want Failed", ended.State.Status)
	}
	h.clock.Advance(time.Second)
	late(engine.Progress{Phase: engine.PhaseIncremental, RowsMigrated: 2})
	task, err := h.st.GetTask(id)
	if err != nil {
		t.Fatal(err)
	}
	if task.State.Status != api.StatusFailed || task.State.ErrorMessage != ended.State.ErrorMessage || task.State.RowsMigrated != 1 {
		t.Errorf("a report after the run ended wrote the state: %s (%q), %d rows; want Failed (%q), 1 row",
			task.State.Status, task.State.ErrorMessage, task.State.RowsMigrated, ended.State.ErrorMessage)
	}
}

// A run that starts again (a retry, or after a restart) reports no position before it has
// read its checkpoint: the position of the run before stays shown until then.
func TestSchedulerPositionStaysAcrossRuns(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	at := binlog.Location{File: "mysql-bin.000003", Pos: 400, GTIDSet: "0-1-22"}
	attempts := 0
	var positions []api.Position
	var h *harness
	h = newHarness(t, func(_ context.Context, task engine.Task, report func(engine.Progress)) error {
		switch attempts++; attempts {
		case 1:
			report(engine.Progress{Phase: engine.PhaseIncremental, Position: at})
			return refused
		}
		report(engine.Progress{Phase: engine.PhasePrecheck})
		stored, err := h.st.GetTask(task.ID)
		if err != nil {
			return err
		}
		positions = append(positions, stored.State.Position)
		return nil
	}, Options{RetryTimeUnit: time.Second})
	id := h.start(t, api.TaskSpec{RetryTimeForFailedConnections: 10})
	h.blockUntilWaiting(t)
	h.clock.Advance(time.Second)
	h.waitEnded(t, id)
	want := api.Position{File: at.File, Pos: at.Pos, GTIDSet: at.GTIDSet}
	if !slices.Equal(positions, []api.Position{want}) {
		t.Errorf("position while the retry prechecks: %+v, want the first run's %+v", positions, want)
	}
}
