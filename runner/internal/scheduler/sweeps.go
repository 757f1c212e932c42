package scheduler

// This file writes verification sweeps into a task's state. Two sources run sweeps of the
// same task at once: the task's run (continuous verification during incremental migration,
// or the one after the full migration) and an on-demand verification (Verify). Each has its
// own sweepWriter, and every write of a sweep is compared, in the store's transaction, with
// the number of the sweep the state shows, which grows only: like Vitess's controller, which
// writes a stream's state from one place, the outcome shown is always that of the newest
// sweep, whichever source ran it.

import (
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

// sweepWriter numbers the sweeps of one source as they begin and writes their progress and
// outcome into the task's state.
//
// The sweeps of a task are numbered in the order they begin (api.Verification.Began counts
// them); the state shows the sweep numbered api.Verification.Sweep. A sweep's progress or
// outcome replaces what the state shows only if the sweep began no earlier than the one
// shown: a sweep that began before another (and so may have compared rows before they were
// damaged) never takes that one's outcome back, and a source's stale copy of a sweep it has
// already written is never written again. Every finished sweep adds one to
// api.Verification.Sweeps, shown or not, so that count only grows.
//
// A sweepWriter is used by one goroutine at a time. apply runs inside the store's update,
// which may run it more than once (etcd retries a conflicting update): it changes nothing
// but the task, and written commits its result once the update is stored.
type sweepWriter struct {
	// cur is the source's index (engine.VerificationProgress.Sweeps while it runs) of the
	// sweep numbered ticket, -1 before the first; done says its outcome is written.
	cur, ticket int64
	done        bool
}

func newSweepWriter() sweepWriter { return sweepWriter{cur: -1} }

// sweepWrite is what apply did to a task: written hands it back to the sweepWriter.
type sweepWrite struct {
	ok          bool // apply ran on the stored task
	cur, ticket int64
	done        bool
	// finished is the outcome of the sweep that finished with this write, nil if none;
	// shown says the state shows it (a sweep that began later had not been written).
	finished *api.Verification
	shown    bool
}

// index is the source's index of the sweep v is about.
func index(v *engine.VerificationProgress) int64 {
	if v.Status == engine.VerificationRunning {
		return v.Sweeps
	}
	return v.Sweeps - 1
}

// urgent reports whether v must be written at once, not at the pace of progress: a sweep
// begins (its number is taken when it begins) or has finished.
func (w *sweepWriter) urgent(v *engine.VerificationProgress) bool {
	if v == nil {
		return false
	}
	return index(v) != w.cur || (v.Status != engine.VerificationRunning && !w.done)
}

// apply writes v, the source's latest verification progress (nil: none), into t.
//
// A sweep is numbered at the first write about it, which urgent asks for at once when it
// begins. A run whose sweep fails and starts again keeps the failed sweep's number: it
// counts as older than it is, which can only keep an outcome shown longer.
func (w *sweepWriter) apply(t *api.Task, v *engine.VerificationProgress) sweepWrite {
	out := sweepWrite{ok: true, cur: w.cur, ticket: w.ticket, done: w.done}
	if v == nil {
		return out
	}
	if t.State.Verification == nil {
		t.State.Verification = &api.Verification{}
	}
	st := t.State.Verification
	if i := index(v); i != out.cur {
		st.Began++
		out.cur, out.ticket, out.done = i, st.Began, false
	}
	if out.done {
		// v is a copy of the outcome already written.
		return out
	}
	latest := out.ticket >= st.Sweep
	if v.Status == engine.VerificationRunning {
		if latest {
			setSweep(st, verificationOutcome(v), out.ticket)
		}
		return out
	}
	o := verificationOutcome(v)
	st.Sweeps++
	o.Sweeps = st.Sweeps
	out.done, out.finished, out.shown = true, &o, latest
	if latest {
		setSweep(st, o, out.ticket)
	}
	return out
}

// written commits what apply did once the update is stored, and records a finished sweep in
// the event log (watchVerification). sw is the zero sweepWrite when apply did not run.
func (w *sweepWriter) written(s *Scheduler, t api.Task, sw sweepWrite) {
	if !sw.ok {
		return
	}
	w.cur, w.ticket, w.done = sw.cur, sw.ticket, sw.done
	if sw.finished != nil {
		s.watchVerification(t, sw.finished, sw.shown)
	}
}

// setSweep makes st show the sweep numbered ticket, whose progress or outcome is o; the
// counts of sweeps and the rechecks of changed rows (the run's own) stay.
func setSweep(st *api.Verification, o api.Verification, ticket int64) {
	st.Status, st.ChunksChecked, st.RowsChecked, st.Mismatches, st.Repaired = o.Status, o.ChunksChecked, o.RowsChecked, o.Mismatches, o.Repaired
	st.Mismatched, st.Unverified = o.Mismatched, o.Unverified
	st.Sweep = ticket
}

// setRechecks writes the rechecks of changed rows of v, which only the task's run reports.
func setRechecks(t *api.Task, v *engine.VerificationProgress) {
	if t.State.Verification == nil {
		t.State.Verification = &api.Verification{}
	}
	st := t.State.Verification
	st.KeysRechecked, st.RecheckMismatches, st.RecheckMismatched = v.KeysRechecked, v.RecheckMismatches, apiMismatches(v.RecheckMismatched)
}
