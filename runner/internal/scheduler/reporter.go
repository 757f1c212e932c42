package scheduler

import (
	"errors"
	"sync"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/vocab"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/store"
)

// reporter turns engine progress into persisted task state: status changes at once,
// counts at most every persistEvery.
type reporter struct {
	mu      sync.Mutex // held by report, tick and flush
	s       *Scheduler
	id      string
	run     *run
	notices int   // how many of the run's notices are in the event log
	bytes   int64 // the run's BytesWritten already added to the task's BytesMigrated
	// verified is the number of verification sweeps whose outcome was handled; sweepBase
	// those of earlier runs.
	verified, sweepBase int64
	// rechecked is the number of changed rows found to differ already reported.
	rechecked int64
	last      engine.Progress
	phase     engine.Phase
	written   time.Time
	pending   bool
	// firstRows is the RowsMigrated of the run's first report, -1 before it.
	firstRows int64
}

func (r *reporter) report(p engine.Progress) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.firstRows < 0 {
		r.firstRows = p.RowsMigrated
	}
	if p.CaughtUp || p.RowsMigrated > r.firstRows {
		// The run works: a failure after this starts a new retry window (execute).
		r.run.progressed.Store(true)
	}
	// A finished verification sweep is persisted at once, like a new phase: the next
	// sweep's progress must not replace it unseen.
	sweepDone := p.Verification != nil && p.Verification.Status != engine.VerificationRunning &&
		(r.last.Verification == nil || r.last.Verification.Sweeps != p.Verification.Sweeps)
	r.last, r.pending = p, true
	if p.Phase != r.phase || sweepDone || r.s.clock.Now().Sub(r.written) >= persistEvery {
		r.flush()
	}
}

// tick keeps the lag current while the engine is busy applying a backlog and reports
// nothing: every second it persists the lag counted from the engine's BehindSince, and checks
// the latency alert. It returns when stop is closed.
func (r *reporter) tick(stop <-chan struct{}) {
	t := r.s.clock.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C():
		}
		r.mu.Lock()
		if p := &r.last; p.Phase == engine.PhaseIncremental && !p.BehindSince.IsZero() && r.s.clock.Now().Sub(r.written) >= time.Second {
			p.LatencySeconds = max(0, r.s.clock.Now().Sub(p.BehindSince).Seconds())
			r.pending = true
			r.flush()
		}
		r.mu.Unlock()
	}
}

// flush persists the last progress; r.mu is held.
func (r *reporter) flush() {
	if !r.pending {
		return
	}
	p := r.last
	r.phase, r.written, r.pending = p.Phase, r.s.clock.Now(), false
	for _, n := range p.Notices[min(r.notices, len(p.Notices)):] {
		r.s.event(r.id, api.EventDDL, n)
	}
	r.notices = len(p.Notices)
	t, err := r.s.changeRun(r.run, r.id, func(t *api.Task) {
		if status, ok := vocab.StatusOf(p.Phase); ok {
			t.State.Status = status
		}
		// Progress means the run works: a retry's cause is no longer current.
		t.State.ErrorMessage = ""
		t.State.Phase = p.Phase
		t.State.RowsMigrated = p.RowsMigrated
		t.State.BytesMigrated += p.BytesWritten - r.bytes
		t.State.LatencySeconds = p.LatencySeconds
		t.State.ProgressPercent = p.Percent()
		t.State.Position = api.Position{File: p.Position.File, Pos: p.Position.Pos, GTIDSet: p.Position.GTIDSet}
		t.State.Tables = t.State.Tables[:0]
		for _, tp := range p.Tables {
			t.State.Tables = append(t.State.Tables, api.TableProgress{
				Database: tp.Database, Table: tp.Table, RowsMigrated: tp.RowsCopied, RowsTotal: tp.Total, Done: tp.Done,
			})
		}
		if p.Precheck != nil {
			t.State.Precheck = t.State.Precheck[:0]
			for _, res := range p.Precheck {
				t.State.Precheck = append(t.State.Precheck, api.PrecheckItem{Name: res.Name, Status: res.State, Message: res.Message, Remedy: res.Remedy})
			}
		}
		if len(p.Notices) > 0 {
			t.State.Notices = p.Notices[max(0, len(p.Notices)-maxNotices):]
		}
		if p.Verification != nil {
			t.State.Verification = verificationState(p.Verification, r.sweepBase)
		}
		t.State.UpdatedAt = r.s.clock.Now().UTC()
	})
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			r.s.log.Error("cannot persist task state", "task_id", r.id, "error", err)
		}
		return
	}
	r.bytes = p.BytesWritten
	r.watchLatency(t)
	r.s.watchVerification(t, &r.verified)
	r.s.watchRechecks(t, &r.rechecked)
}

// maxNotices is how many DDL notices the task state keeps; the event log has them all.
const maxNotices = 20
