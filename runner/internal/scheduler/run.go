package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

// This file is the run loop: execute decides what a finished engine run means (done,
// drained, stopped, failed for good, or retried after a backoff within the task's retry
// window), and runOnce does one run of the work. Like Vitess's controller, which keeps its
// retry loop (run) apart from the replication it retries (runBlp), the loop never touches the
// databases and the work never decides about retrying.

// execute runs the task until it ends, is stopped or the runner shuts down, retrying
// failures: connection failures for the task's retry_time_for_failed_connections, other
// ones for retry_time_for_other_issues, counted from the first failure; permanent ones and
// a blocking precheck end it at once. An attempt that made progress (rows migrated, or
// caught up with the source) ends the episode: a later failure starts a new window and
// the backoff from 1 s again. It runs on the run's goroutine (launch).
func (s *Scheduler) execute(ctx context.Context, id string, r *run) {
	log := s.log.With("task_id", id)
	s.updateRun(r, id, func(t *api.Task) {
		now := s.clock.Now().UTC()
		if t.State.StartedAt == nil {
			t.State.StartedAt = &now
		}
	})
	var failingSince time.Time
	var lastCause string
	for attempt := 0; ; attempt++ {
		r.progressed.Store(false)
		err := s.runOnce(ctx, id, r, log)
		if r.progressed.Load() && !failingSince.IsZero() {
			failingSince, lastCause, attempt = time.Time{}, "", 0
		}
		switch {
		case err == nil:
			log.Info("task completed")
			s.finish(r, id, api.StatusCompleted, "")
			return
		case errors.Is(err, engine.ErrDrained):
			log.Info("task drained and stopped")
			s.finish(r, id, api.StatusStopped, "")
			return
		case errors.Is(err, engine.ErrYielded):
			log.Info("task handed over after its open transaction")
			return
		case context.Cause(ctx) == errShutdown:
			log.Info("task paused for shutdown")
			return
		case context.Cause(ctx) == errStopped:
			// Stop marks the task once the run has let go.
			log.Info("task stopped")
			return
		}
		kind := classify(err)
		switch kind {
		case engine.KindFenced:
			// Another runner owns the task now: its state is that runner's to write.
			log.Error("task given up: another runner has taken it over", "error", err)
			s.mu.Lock()
			s.fenced[id] = r.epoch
			s.mu.Unlock()
			return
		case engine.KindPrecheck:
			log.Warn("precheck failed", "error", err)
			s.finish(r, id, api.StatusPrecheckFailed, err.Error())
			return
		case engine.KindPermanent:
			log.Error("task failed", "error", err)
			s.finish(r, id, api.StatusFailed, err.Error())
			return
		}
		if failingSince.IsZero() {
			failingSince = s.clock.Now()
		}
		window, what := s.retryWindow(id, kind)
		if s.clock.Now().Sub(failingSince) >= window {
			log.Error("task failed after retrying", "error", err, "retried_for", s.clock.Now().Sub(failingSince))
			s.finish(r, id, api.StatusFailed, fmt.Sprintf("%v (retried for %s, the task's retry time for %s; fix the cause and start the task again: it resumes from its checkpoints)",
				err, window, what))
			return
		}
		left := window - s.clock.Now().Sub(failingSince)
		pause := backoff(attempt, left)
		log.Warn("task retrying", "error", err, "kind", what, "backoff", pause)
		cause := fmt.Sprintf("retrying after %s: %v", what, err)
		if cause != lastCause || attempt%10 == 0 {
			s.event(id, api.EventRetry, fmt.Sprintf("attempt %d failed, next in %s, %s left of the retry time for %s: %v", attempt+1, pause.Round(time.Millisecond), left.Round(time.Second), what, err))
			lastCause = cause
		}
		s.updateRun(r, id, func(t *api.Task) {
			t.State.Retries++
			s.setStatus(t, api.StatusRetrying, cause)
		})
		select {
		case <-ctx.Done():
			return
		case <-s.clock.After(pause):
		}
	}
}

// maxBackoff caps the pause between two attempts of a failing task.
const maxBackoff = 30 * time.Second

// backoff is the pause after the failed attempt (0 for the first): 1 s, doubling up to
// maxBackoff, and never beyond the time left of the retry window, so that the last attempt
// comes when the window closes.
func backoff(attempt int, left time.Duration) time.Duration {
	return min(time.Duration(1<<min(attempt, 5))*time.Second, maxBackoff, left)
}

// errConfig marks failures no retry can fix: the task's configuration is wrong. It is the
// runner's own permanent failure; classify adds it to engine.Classify's verdicts.
var errConfig = errors.New("task configuration")

// classify is engine.Classify plus errConfig.
func classify(err error) engine.Kind {
	if errors.Is(err, errConfig) {
		return engine.KindPermanent
	}
	return engine.Classify(err)
}

// runOnce runs the engine once over the stored task, with the run's throttles and drain,
// reporting progress through a reporter, and returns the engine's error.
func (s *Scheduler) runOnce(ctx context.Context, id string, r *run, log *slog.Logger) error {
	t, err := s.store.GetTask(id)
	if err != nil {
		return fmt.Errorf("%w: cannot load task: %w", errConfig, err)
	}
	et, err := s.engineTask(t)
	if err != nil {
		return fmt.Errorf("%w: %w", errConfig, err)
	}
	setLimits(r.full, t.FullThrottling)
	setLimits(r.inc, t.IncrementalThrottling)
	et.FullLimits, et.IncrementalLimits, et.Drain, et.Yield = r.full, r.inc, r.drain, r.yield
	if r.epoch > 0 {
		et.Epoch, et.Owner = r.epoch, s.opts.NodeID
	}
	log.Info("task running")
	rep := &reporter{s: s, id: id, run: r, firstRows: -1, sweeps: newSweepWriter()}
	ticking := make(chan struct{})
	go rep.tick(ticking)
	err = s.engine.Run(ctx, et, rep.report)
	close(ticking)
	rep.close()
	return err
}

// retryWindow returns how long a failure of kind may be retried, and what the window is
// called: connection failures for the task's retry_time_for_failed_connections, anything
// else for retry_time_for_other_issues.
func (s *Scheduler) retryWindow(id string, kind engine.Kind) (time.Duration, string) {
	t, lerr := s.store.GetTask(id)
	if lerr != nil {
		return 0, "other issues"
	}
	if kind == engine.KindConnection {
		return s.connWindow(t), "failed connections"
	}
	minutes := t.RetryTimeForOtherIssues
	if minutes <= 0 {
		minutes = api.DefaultRetryTimeForOtherIssues
	}
	return time.Duration(minutes) * s.opts.RetryTimeUnit, "other issues"
}

// connWindow is the task's retry_time_for_failed_connections.
func (s *Scheduler) connWindow(t api.Task) time.Duration {
	minutes := t.RetryTimeForFailedConnections
	if minutes <= 0 {
		minutes = api.DefaultRetryTimeForFailedConnections
	}
	return time.Duration(minutes) * s.opts.RetryTimeUnit
}
