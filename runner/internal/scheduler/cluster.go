package scheduler

// This file is what a runner cluster's member (runner/internal/cluster) calls for the tasks
// this runner owns; it implements cluster.Runner. In cluster mode (Options.Cluster) the API
// calls Start and Stop on whichever runner received them, and only the owner runs the task.

import (
	"strconv"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

// Running reports whether the task runs on this runner.
func (s *Scheduler) Running(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.runs[id]
	return ok
}

// Launch starts the task's run as its owner of epoch, recording owner and epoch in its
// state, unless it runs already.
func (s *Scheduler) Launch(id string, epoch int64) {
	if s.Running(id) {
		return
	}
	s.mu.Lock()
	fenced := s.fenced[id] == epoch
	s.mu.Unlock()
	if fenced {
		// The destination holds a later epoch than this ownership: running again would
		// only be refused again (see execute).
		return
	}
	s.update(id, func(t *api.Task) {
		if t.State.Epoch != epoch {
			t.State.Owner, t.State.Epoch = s.opts.NodeID, epoch
		}
	})
	s.event(id, api.EventStatus, "owned by runner "+s.opts.NodeID+" at epoch "+strconv.FormatInt(epoch, 10))
	s.launch(id, epoch)
}

// Release ends the task's run without marking it, and waits until it has let go. Unless
// abort is set, a run in incremental migration first lets its transaction in flight commit
// (for at most yieldWait), so the next owner resumes right after it; an aborted run, or
// one in another phase, is cancelled at once, as at shutdown. A task that does not run is
// left alone.
func (s *Scheduler) Release(id string, abort bool) {
	s.mu.Lock()
	r := s.runs[id]
	s.mu.Unlock()
	if r == nil {
		return
	}
	if !abort && s.drainWait(id) > 0 {
		r.yieldOnce.Do(func() { close(r.yield) })
		select {
		case <-r.done:
			return
		case <-s.clock.After(yieldWait):
		}
	}
	r.cancel(errShutdown)
	<-r.done
}

// yieldWait bounds how long Release waits for an incremental run's transaction in flight.
const yieldWait = 2 * time.Second

// Halt stops the task here, owned at epoch, as Stop does in single mode: drain, then
// Stopped. An incremental task that does not run here yet (the stop came while it moved
// to this runner) runs first, draining from the start: it must apply what the source has
// written before it counts as stopped, or the cut-over would lose the changes since its
// last owner's checkpoint.
func (s *Scheduler) Halt(id string, epoch int64) {
	if t, err := s.store.GetTask(id); err == nil && !s.Running(id) && !final(t.State.Status) && t.State.Phase == engine.PhaseIncremental {
		s.Launch(id, epoch)
		s.mu.Lock()
		if r := s.runs[id]; r != nil {
			r.drainOnce.Do(func() { close(r.drain) })
		}
		s.mu.Unlock()
	}
	_, _ = s.stopHere(id)
}
