// Package scheduler runs the runner's tasks: one goroutine per running task, driving the
// engine and persisting every status change and, at a bounded rate, its progress.
//
// Phases are re-derived from stored state on every start: Resume runs again every task that
// should be running, and the engine resumes it from the checkpoints on its destination.
//
// Files by responsibility: scheduler.go the type, its dependencies (store, Engine, clock)
// and the persisted state changes; lifecycle.go what the API calls (Resume, Start, Stop,
// Shutdown, SetThrottling, Verify, Precheck); run.go the retry loop around one engine run
// (execute, apart from runOnce, the work); task.go the mapping of API tasks to the engine's;
// reporter.go engine progress to task state; alerts.go the latency, verification and
// failure alerts.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/alert"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/clock"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/secret"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/store"
)

var (
	errStopped  = errors.New("stopped by request")
	errShutdown = errors.New("runner shutting down")
)

// persistEvery bounds how often progress (not status changes) is written to the store.
const persistEvery = 500 * time.Millisecond

// Options tune a scheduler; the zero value is production behaviour.
type Options struct {
	// RetryTimeUnit is the length of one minute of the retry windows
	// (retry_time_for_failed_connections, retry_time_for_other_issues): time.Minute when 0.
	// Tests and drills shorten it.
	RetryTimeUnit time.Duration
	// LatencyHold is how long the lag must stay above a task's latency_threshold_seconds
	// before the latency alert is sent: defaultLatencyHold when 0, none when negative.
	LatencyHold time.Duration
	// VerifySettle and VerifyPause tune continuous verification (engine.Verification's
	// Settle and Every); the engine's defaults when 0.
	VerifySettle, VerifyPause time.Duration
	// Engine runs, verifies and prechecks tasks: the internal/engine package when nil.
	Engine Engine
	// Cluster says the runner is one of a cluster (runner/internal/cluster): tasks run only
	// where the cluster's member launches them (Launch), and NodeID names this runner.
	Cluster bool
	NodeID  string
	// Clock tells the time and waits (retry backoff, drain timeout, lag ticks, alert
	// holds): the real clock when nil.
	Clock clock.Clock
}

// Engine is what the scheduler asks of the migration engine; realEngine is
// internal/engine's, tests give a fake. Each method blocks until done or ctx ends, calling
// report from its own goroutine.
type Engine interface {
	// Run runs the task's phases from its checkpoints (engine.Run): nil when it completed,
	// engine.ErrDrained when it stopped after Drain, otherwise the failure (see
	// engine.Classify).
	Run(ctx context.Context, task engine.Task, report func(engine.Progress)) error
	// Verify compares the task's destination with its source once (engine.Verify).
	Verify(ctx context.Context, task engine.Task, report func(engine.Progress)) error
	// Precheck runs the task's precheck without writing anything (engine.Precheck): every
	// item, and those that would block the task.
	Precheck(ctx context.Context, task engine.Task) (results, blocking []engine.PrecheckResult, err error)
}

// realEngine is the Engine of the internal/engine package.
type realEngine struct{}

func (realEngine) Run(ctx context.Context, task engine.Task, report func(engine.Progress)) error {
	return engine.Run(ctx, task, report)
}

func (realEngine) Verify(ctx context.Context, task engine.Task, report func(engine.Progress)) error {
	return engine.Verify(ctx, task, report)
}

func (realEngine) Precheck(ctx context.Context, task engine.Task) ([]engine.PrecheckResult, []engine.PrecheckResult, error) {
	return engine.Precheck(ctx, task)
}

// defaultLatencyHold keeps a short burst of lag from raising an alert.
const defaultLatencyHold = 30 * time.Second

// Scheduler owns the running tasks. Its methods are safe for concurrent use.
type Scheduler struct {
	store  store.Store
	box    *secret.Box
	log    *slog.Logger
	engine Engine
	clock  clock.Clock
	alerts *alert.Sender
	opts   Options

	mu   sync.Mutex
	runs map[string]*run
	wg   sync.WaitGroup
	// verifying holds the tasks whose on-demand verification runs, to cancel at shutdown.
	verifying map[string]context.CancelFunc
	// fenced maps a task given up because a later owner took it over to the epoch this
	// runner held then: the member does not launch it again at that epoch.
	fenced map[string]int64
}

type run struct {
	cancel context.CancelCauseFunc
	done   chan struct{}
	// progressed says the current attempt made progress (reporter); execute reads it.
	progressed atomic.Bool
	// epoch is this runner's ownership epoch of the task in a cluster (the member's, never
	// the stored state's, which another owner may have written); 0 for a single runner.
	epoch int64
	// full and inc throttle the run's phases; SetThrottling changes them in place.
	full, inc *engine.Limits
	// drain, closed by Stop, asks an incremental run to apply what the source has written
	// and stop (the cut-over).
	drain     chan struct{}
	drainOnce sync.Once
	// yield, closed by Release, asks an incremental run to let its transaction in flight
	// commit and stop (a graceful hand-off to another runner).
	yield     chan struct{}
	yieldOnce sync.Once
	// aboveSince is when the lag went above the latency threshold (zero while under it);
	// latencyAlerted says the latency alert for that episode was sent. Only the run's
	// reporter uses them.
	aboveSince     time.Time
	latencyAlerted bool
}

// drainTimeout bounds how long Stop lets an incremental task catch up before it cancels it.
const drainTimeout = 5 * time.Minute

// New returns a scheduler over the store; box opens stored passwords. It starts nothing:
// call Resume.
func New(st store.Store, box *secret.Box, log *slog.Logger, opts Options) *Scheduler {
	if opts.RetryTimeUnit <= 0 {
		opts.RetryTimeUnit = time.Minute
	}
	if opts.LatencyHold == 0 {
		opts.LatencyHold = defaultLatencyHold
	}
	if opts.Engine == nil {
		opts.Engine = realEngine{}
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real()
	}
	s := &Scheduler{store: st, box: box, log: log, engine: opts.Engine, clock: opts.Clock,
		runs: map[string]*run{}, opts: opts, verifying: map[string]context.CancelFunc{}, fenced: map[string]int64{}}
	s.alerts = alert.NewSender(log, s.event)
	return s
}

// event adds an entry to a task's event log.
func (s *Scheduler) event(id, typ, msg string) {
	if err := s.store.AddEvent(id, api.TaskEvent{Time: s.clock.Now().UTC(), Type: typ, Message: msg}); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Error("cannot record task event", "task_id", id, "type", typ, "error", err)
	}
}

// change applies fn to the stored task and records what changed its status in the event
// log, raising the failure alert when the task failed.
func (s *Scheduler) change(id string, fn func(*api.Task)) (api.Task, error) {
	var before api.Status
	t, err := s.store.UpdateTask(id, func(t *api.Task) {
		before = t.State.Status
		fn(t)
	})
	if err != nil || t.State.Status == before {
		return t, err
	}
	msg := fmt.Sprintf("status %s -> %s", before, t.State.Status)
	if t.State.ErrorMessage != "" {
		msg += ": " + t.State.ErrorMessage
	}
	s.event(id, api.EventStatus, msg)
	if m := t.Monitoring; m != nil && m.OnFailure && (t.State.Status == api.StatusFailed || t.State.Status == api.StatusPrecheckFailed) {
		s.alerts.Send(m.WebhookURL, s.alertFor(t, alert.KindFailure, fmt.Sprintf("task %s is %s: %s", t.Name, t.State.Status, t.State.ErrorMessage)))
	}
	return t, nil
}

// final reports whether a status ends a run.
func final(status api.Status) bool {
	switch status {
	case api.StatusCompleted, api.StatusFailed, api.StatusPrecheckFailed, api.StatusStopped:
		return true
	}
	return false
}

func (s *Scheduler) finish(r *run, id string, status api.Status, msg string) {
	s.updateRun(r, id, func(t *api.Task) { s.setStatus(t, status, msg) })
}

func (s *Scheduler) setStatus(t *api.Task, status api.Status, msg string) {
	now := s.clock.Now().UTC()
	t.State.Status = status
	t.State.ErrorMessage = msg
	t.State.UpdatedAt = now
	if final(status) {
		t.State.FinishedAt = &now
	}
	if status == api.StatusCompleted {
		t.State.ProgressPercent = 100
	}
}

// changeRun is change for the writes of run r: in a cluster, once another runner has
// launched the task at a later epoch (its state names that epoch), the state is that
// runner's, and fn is not applied: a stale owner that wakes up after a pause, or ends its
// cancelled run, leaves the new owner's status alone.
func (s *Scheduler) changeRun(r *run, id string, fn func(*api.Task)) (api.Task, error) {
	return s.change(id, func(t *api.Task) {
		if r.epoch == 0 || t.State.Epoch == r.epoch {
			fn(t)
		}
	})
}

// updateRun is update for the writes of run r (see changeRun).
func (s *Scheduler) updateRun(r *run, id string, fn func(*api.Task)) {
	if _, err := s.changeRun(r, id, fn); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Error("cannot persist task state", "task_id", id, "error", err)
	}
}

func (s *Scheduler) update(id string, fn func(*api.Task)) {
	if _, err := s.change(id, fn); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Error("cannot persist task state", "task_id", id, "error", err)
	}
}
