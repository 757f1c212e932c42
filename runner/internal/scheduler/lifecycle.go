package scheduler

// This file holds what the API server calls: Resume at start, Start, Stop, Shutdown,
// SetThrottling, Verify and Precheck.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/store"
)

// Resume starts every stored task that should be running and has not ended. Call it once,
// after the store is open and before serving requests.
//
// In cluster mode it does nothing: the cluster's member launches the tasks this runner owns.
func (s *Scheduler) Resume() error {
	if s.opts.Cluster {
		return nil
	}
	tasks, err := s.store.ListTasks()
	if err != nil {
		return err
	}
	for _, t := range tasks {
		if t.DesiredStatus == api.DesiredStopped || final(t.State.Status) {
			continue
		}
		s.log.Info("resuming task", "task_id", t.ID, "status", t.State.Status)
		s.launch(t.ID, 0)
	}
	return nil
}

// Start runs a task that is not running. A task that ended (completed, failed, stopped)
// runs again and resumes from its checkpoints.
//
// In cluster mode it only makes an ended task ready to run again: its owner starts it.
func (s *Scheduler) Start(id string) (api.Task, error) {
	if s.opts.Cluster {
		return s.change(id, func(t *api.Task) {
			if final(t.State.Status) {
				t.State.Status = api.StatusNotStarted
				t.State.ErrorMessage = ""
				t.State.FinishedAt = nil
				t.State.UpdatedAt = s.clock.Now().UTC()
			}
		})
	}
	s.mu.Lock()
	_, running := s.runs[id]
	s.mu.Unlock()
	if running {
		return s.store.GetTask(id)
	}
	t, err := s.change(id, func(t *api.Task) {
		t.State.Status = api.StatusNotStarted
		t.State.ErrorMessage = ""
		t.State.FinishedAt = nil
		t.State.UpdatedAt = s.clock.Now().UTC()
	})
	if err != nil {
		return t, err
	}
	s.launch(id, 0)
	return t, nil
}

// Stop stops a running task, waits for it to let go, and marks it Stopped. Stopping a task
// that does not run marks it Stopped unless it already ended.
//
// In cluster mode the owner stops the task when it sees its desired status stopped (the
// caller has stored it); Stop waits, as long as a drain may take, until the task has ended,
// and returns it as it is then.
func (s *Scheduler) Stop(id string) (api.Task, error) {
	if !s.opts.Cluster {
		return s.stopHere(id)
	}
	deadline := s.clock.Now().Add(drainTimeout + time.Minute)
	for {
		t, err := s.store.GetTask(id)
		if err != nil || final(t.State.Status) || t.DesiredStatus != api.DesiredStopped || !s.clock.Now().Before(deadline) {
			return t, err
		}
		<-s.clock.After(200 * time.Millisecond)
	}
}

func (s *Scheduler) stopHere(id string) (api.Task, error) {
	s.mu.Lock()
	r := s.runs[id]
	s.mu.Unlock()
	if r != nil {
		// An incremental run drains to the source's current position first; a run in any
		// other phase ignores the drain and is cancelled.
		r.drainOnce.Do(func() { close(r.drain) })
		select {
		case <-r.done:
		case <-s.clock.After(s.drainWait(id)):
			r.cancel(errStopped)
			<-r.done
		}
	}
	return s.change(id, func(t *api.Task) {
		if !final(t.State.Status) {
			s.setStatus(t, api.StatusStopped, "")
		}
	})
}

// Shutdown cancels every run and waits for them, without marking them stopped: the next
// Resume continues them. Alerts still being retried are abandoned.
func (s *Scheduler) Shutdown() {
	s.mu.Lock()
	for _, r := range s.runs {
		r.cancel(errShutdown)
	}
	for _, cancel := range s.verifying {
		cancel()
	}
	s.mu.Unlock()
	s.wg.Wait()
	s.alerts.Close()
}

// launch starts the task's run, as the owner of epoch in a cluster (0 for a single runner),
// unless it runs already.
func (s *Scheduler) launch(id string, epoch int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.runs[id]; ok {
		return
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	r := &run{cancel: cancel, done: make(chan struct{}), epoch: epoch, full: engine.NewLimits(0, 0, 0), inc: engine.NewLimits(0, 0, 0), drain: make(chan struct{}), yield: make(chan struct{})}
	s.runs[id] = r
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(r.done)
		defer func() {
			s.mu.Lock()
			delete(s.runs, id)
			s.mu.Unlock()
		}()
		s.execute(ctx, id, r)
	}()
}

// drainWait is how long Stop waits for a run to let go by itself: an incremental task in
// its incremental phase drains, any other run is cancelled at once.
func (s *Scheduler) drainWait(id string) time.Duration {
	t, err := s.store.GetTask(id)
	if err == nil && t.State.Phase == engine.PhaseIncremental {
		return drainTimeout
	}
	return 0
}

// SetThrottling applies new limits to a running task at once; a task that does not run
// picks them up from its spec when it starts.
func (s *Scheduler) SetThrottling(id string, full, incremental *api.Throttling) {
	s.mu.Lock()
	r := s.runs[id]
	s.mu.Unlock()
	if r != nil {
		setLimits(r.full, full)
		setLimits(r.inc, incremental)
	}
}

func setLimits(l *engine.Limits, t *api.Throttling) {
	if t == nil {
		t = &api.Throttling{}
	}
	l.Set(float64(t.SourceQPS), float64(t.RPS), t.MBPS)
}

// ErrVerifying is returned by Verify for a task whose verification already runs.
var ErrVerifying = errors.New("a verification of this task is already running")

// Verify compares a task's destination with its source once, in the background, whatever
// the task's data_verification says (its mode and repair are used when set). The outcome
// goes to the task's state and event log like that of the verification after the full
// migration; it is shown unless a sweep that began later has been written (sweepWriter).
func (s *Scheduler) Verify(id string) error {
	t, err := s.store.GetTask(id)
	if err != nil {
		return err
	}
	et, err := s.engineTask(t)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.verifying[id]; ok {
		return ErrVerifying
	}
	if r := s.runs[id]; r != nil && r.epoch > 0 {
		// A repair writes as the task's owner, fenced like its run.
		et.Epoch, et.Owner = r.epoch, s.opts.NodeID
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.verifying[id] = cancel
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() {
			s.mu.Lock()
			delete(s.verifying, id)
			s.mu.Unlock()
			cancel()
		}()
		var last time.Time
		w := newSweepWriter()
		err := s.engine.Verify(ctx, et, func(p engine.Progress) {
			v := p.Verification
			if v == nil || (!w.urgent(v) && s.clock.Now().Sub(last) < persistEvery) {
				return
			}
			last = s.clock.Now()
			var sw sweepWrite
			t, err := s.change(id, func(t *api.Task) { sw = w.apply(t, v) })
			if err != nil {
				if !errors.Is(err, store.ErrNotFound) {
					s.log.Error("cannot persist task state", "task_id", id, "error", err)
				}
				return
			}
			w.written(s, t, sw)
		})
		if err != nil && ctx.Err() == nil {
			s.log.Error("verification failed", "task_id", id, "error", err)
			s.event(id, api.EventVerification, "verification failed: "+err.Error())
		}
	}()
	return nil
}

// precheckTimeout bounds a dry-run precheck.
const precheckTimeout = 2 * time.Minute

// Precheck runs the precheck of a task that is not created, writing nothing: the items, and
// the names of those that would block the task.
func (s *Scheduler) Precheck(ctx context.Context, spec api.TaskSpec) (api.PrecheckResult, error) {
	et, err := s.engineTask(api.Task{ID: "precheck", TaskSpec: spec})
	if err != nil {
		return api.PrecheckResult{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, precheckTimeout)
	defer cancel()
	results, blocking, err := s.engine.Precheck(ctx, et)
	if err != nil {
		return api.PrecheckResult{}, fmt.Errorf("the precheck did not finish within %s: %w", precheckTimeout, err)
	}
	out := api.PrecheckResult{Items: []api.PrecheckItem{}, Blocking: []string{}}
	for _, r := range results {
		out.Items = append(out.Items, api.PrecheckItem{Name: r.Name, Status: r.State, Message: r.Message, Remedy: r.Remedy})
	}
	for _, r := range blocking {
		out.Blocking = append(out.Blocking, r.Name)
	}
	out.Passed = len(blocking) == 0
	return out, nil
}
