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
// counts at most every persistEvery. It is the only writer of the run's fields of the task
// state (status while the run runs, phase, counts, position, lag, tables, precheck, notices,
// rechecks) until close; verification sweeps it writes through its sweepWriter, which the
// on-demand verification shares the state with.
type reporter struct {
	mu      sync.Mutex // held by report, tick, flush and close
	s       *Scheduler
	id      string
	run     *run
	notices int   // how many of the run's notices are in the event log
	bytes   int64 // the run's BytesWritten already added to the task's BytesMigrated
	// sweeps writes the run's verification sweeps.
	sweeps sweepWriter
	// closed says the run has ended: progress reported later (by an engine goroutine that
	// outlived the run, or the lag ticker) would overwrite what ended the run, and is dropped.
	closed bool
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
	if r.closed {
		return
	}
	if r.firstRows < 0 {
		r.firstRows = p.RowsMigrated
	}
	if p.CaughtUp || p.RowsMigrated > r.firstRows {
		// The run works: a failure after this starts a new retry window (execute).
		r.run.progressed.Store(true)
	}
	// A verification sweep that begins or finishes is persisted at once, like a new phase:
	// a sweep is numbered when it begins, and the next sweep's progress must not replace
	// an outcome unseen.
	sweepDone := r.sweeps.urgent(p.Verification)
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

// close persists the last progress and ends the reporter: what is reported later is
// dropped. The run calls it once the engine has returned, before it records how the run
// ended.
func (r *reporter) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.flush()
	r.closed = true
}

// flush persists the last progress; r.mu is held.
func (r *reporter) flush() {
	if !r.pending || r.closed {
		return
	}
	p := r.last
	r.phase, r.written, r.pending = p.Phase, r.s.clock.Now(), false
	for _, n := range p.Notices[min(r.notices, len(p.Notices)):] {
		r.s.event(r.id, api.EventDDL, n)
	}
	r.notices = len(p.Notices)
	var sw sweepWrite
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
		if !p.Position.IsZero() {
			// A run has no position before it has read its checkpoint: the stored one,
			// where the last run was, stays until then.
			t.State.Position = api.Position{File: p.Position.File, Pos: p.Position.Pos, GTIDSet: p.Position.GTIDSet}
		}
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
		if p.Capabilities != nil {
			t.State.Capabilities = capabilityState(p.Capabilities)
			t.State.Precheck = withItem(t.State.Precheck, api.PrecheckItem{Name: p.CapabilityItem.Name, Status: api.PrecheckStatus(p.CapabilityItem.State), Message: p.CapabilityItem.Message, Remedy: p.CapabilityItem.Remedy})
		}
		if len(p.Notices) > 0 {
			t.State.Notices = p.Notices[max(0, len(p.Notices)-maxNotices):]
		}
		if p.Verification != nil {
			sw = r.sweeps.apply(t, p.Verification)
			setRechecks(t, p.Verification)
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
	r.sweeps.written(r.s, t, sw)
	r.s.watchRechecks(t, &r.rechecked)
}

// capabilityState is a run's capability verdicts as the task state keeps them, by probe.
func capabilityState(r []engine.CapabilityVerdict) map[string]api.CapabilityVerdict {
	m := make(map[string]api.CapabilityVerdict, len(r))
	for _, v := range r {
		m[v.Probe] = CapabilityVerdict(v)
	}
	return m
}

// CapabilityVerdict is v on the wire.
func CapabilityVerdict(v engine.CapabilityVerdict) api.CapabilityVerdict {
	return api.CapabilityVerdict{Verdict: v.Answer, Value: v.Value, Detail: v.Detail}
}

// withItem returns items with the item of it.Name replaced by it, or it appended: a
// resumed run's capability item replaces the one its first run's precheck reported.
func withItem(items []api.PrecheckItem, it api.PrecheckItem) []api.PrecheckItem {
	for i := range items {
		if items[i].Name == it.Name {
			items[i] = it
			return items
		}
	}
	return append(items, it)
}

// maxNotices is how many DDL notices the task state keeps; the event log has them all.
const maxNotices = 20
