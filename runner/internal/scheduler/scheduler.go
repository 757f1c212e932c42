// Package scheduler runs the runner's tasks: one goroutine per running task, driving the
// engine and persisting every status change and, at a bounded rate, its progress.
//
// Phases are re-derived from stored state on every start: Resume runs again every task that
// should be running, and the engine resumes it from the checkpoints on its destination.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/alert"
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
}

// defaultLatencyHold keeps a short burst of lag from raising an alert.
const defaultLatencyHold = 30 * time.Second

// Scheduler owns the running tasks. Its methods are safe for concurrent use.
type Scheduler struct {
	store  store.Store
	box    *secret.Box
	log    *slog.Logger
	now    func() time.Time
	alerts *alert.Sender
	opts   Options

	mu   sync.Mutex
	runs map[string]*run
	wg   sync.WaitGroup
	// verifying holds the tasks whose on-demand verification runs, to cancel at shutdown.
	verifying map[string]context.CancelFunc
}

// ErrVerifying is returned by Verify for a task whose verification already runs.
var ErrVerifying = errors.New("a verification of this task is already running")

// Verify compares a task's destination with its source once, in the background, whatever
// the task's data_verification says (its mode and repair are used when set). The outcome
// goes to the task's state and event log like that of the verification after the full
// migration.
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
		var base int64
		if v := t.State.Verification; v != nil {
			base = v.Sweeps
		}
		handled := base
		err := engine.Verify(ctx, et, func(p engine.Progress) {
			v := p.Verification
			if v == nil || (v.Status == engine.VerificationRunning && s.now().Sub(last) < persistEvery) {
				return
			}
			last = s.now()
			t, err := s.change(id, func(t *api.Task) { t.State.Verification = verificationState(v, base) })
			if err == nil {
				s.watchVerification(t, &handled)
			}
		})
		if err != nil && ctx.Err() == nil {
			s.log.Error("verification failed", "task_id", id, "error", err)
			s.event(id, api.EventVerification, "verification failed: "+err.Error())
		}
	}()
	return nil
}

type run struct {
	cancel context.CancelCauseFunc
	done   chan struct{}
	// full and inc throttle the run's phases; SetThrottling changes them in place.
	full, inc *engine.Limits
	// drain, closed by Stop, asks an incremental run to apply what the source has written
	// and stop (the cut-over).
	drain     chan struct{}
	drainOnce sync.Once
	// aboveSince is when the lag went above the latency threshold (zero while under it);
	// latencyAlerted says the latency alert for that episode was sent. Only the run's
	// reporter uses them.
	aboveSince     time.Time
	latencyAlerted bool
}

// drainTimeout bounds how long Stop lets an incremental task catch up before it cancels it.
const drainTimeout = 5 * time.Minute

// New returns a scheduler over the store; box opens stored passwords.
func New(st store.Store, box *secret.Box, log *slog.Logger, opts Options) *Scheduler {
	if opts.RetryTimeUnit <= 0 {
		opts.RetryTimeUnit = time.Minute
	}
	if opts.LatencyHold == 0 {
		opts.LatencyHold = defaultLatencyHold
	}
	s := &Scheduler{store: st, box: box, log: log, now: time.Now, runs: map[string]*run{}, opts: opts, verifying: map[string]context.CancelFunc{}}
	s.alerts = alert.NewSender(log, s.event)
	return s
}

// event adds an entry to a task's event log.
func (s *Scheduler) event(id, typ, msg string) {
	if err := s.store.AddEvent(id, api.TaskEvent{Time: s.now().UTC(), Type: typ, Message: msg}); err != nil && !errors.Is(err, store.ErrNotFound) {
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

func (s *Scheduler) alertFor(t api.Task, kind, msg string) alert.Alert {
	a := alert.Alert{Kind: kind, TaskID: t.ID, TaskName: t.Name, EnvironmentTag: t.EnvironmentTag, Status: t.State.Status,
		Message: msg, LatencySeconds: t.State.LatencySeconds, Time: s.now().UTC()}
	if t.Monitoring != nil {
		a.ThresholdSecs = t.Monitoring.LatencyThresholdSeconds
	}
	return a
}

// final reports whether a status ends a run.
func final(status api.Status) bool {
	switch status {
	case api.StatusCompleted, api.StatusFailed, api.StatusPrecheckFailed, api.StatusStopped:
		return true
	}
	return false
}

// Resume starts every stored task that should be running and has not ended. Call it once,
// after the store is open and before serving requests.
func (s *Scheduler) Resume() error {
	tasks, err := s.store.ListTasks()
	if err != nil {
		return err
	}
	for _, t := range tasks {
		if t.DesiredStatus == api.DesiredStopped || final(t.State.Status) {
			continue
		}
		s.log.Info("resuming task", "task_id", t.ID, "status", t.State.Status)
		s.launch(t.ID)
	}
	return nil
}

// Start runs a task that is not running. A task that ended (completed, failed, stopped)
// runs again and resumes from its checkpoints.
func (s *Scheduler) Start(id string) (api.Task, error) {
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
		t.State.UpdatedAt = s.now().UTC()
	})
	if err != nil {
		return t, err
	}
	s.launch(id)
	return t, nil
}

// Stop stops a running task, waits for it to let go, and marks it Stopped. Stopping a task
// that does not run marks it Stopped unless it already ended.
func (s *Scheduler) Stop(id string) (api.Task, error) {
	s.mu.Lock()
	r := s.runs[id]
	s.mu.Unlock()
	if r != nil {
		// An incremental run drains to the source's current position first; a run in any
		// other phase ignores the drain and is cancelled.
		r.drainOnce.Do(func() { close(r.drain) })
		select {
		case <-r.done:
		case <-time.After(s.drainWait(id)):
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

func (s *Scheduler) launch(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.runs[id]; ok {
		return
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	r := &run{cancel: cancel, done: make(chan struct{}), full: engine.NewLimits(0, 0, 0), inc: engine.NewLimits(0, 0, 0), drain: make(chan struct{})}
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
	if err == nil && engine.Phase(t.State.Phase) == engine.PhaseIncremental {
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

func (s *Scheduler) execute(ctx context.Context, id string, r *run) {
	log := s.log.With("task_id", id)
	s.update(id, func(t *api.Task) {
		now := s.now().UTC()
		if t.State.StartedAt == nil {
			t.State.StartedAt = &now
		}
	})
	var failingSince time.Time
	var lastCause string
	for attempt := 0; ; attempt++ {
		err := s.runOnce(ctx, id, r, log)
		switch {
		case err == nil:
			log.Info("task completed")
			s.finish(id, api.StatusCompleted, "")
			return
		case errors.Is(err, engine.ErrDrained):
			log.Info("task drained and stopped")
			s.finish(id, api.StatusStopped, "")
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
		case engine.KindPrecheck:
			log.Warn("precheck failed", "error", err)
			s.finish(id, api.StatusPrecheckFailed, err.Error())
			return
		case engine.KindPermanent:
			log.Error("task failed", "error", err)
			s.finish(id, api.StatusFailed, err.Error())
			return
		}
		if failingSince.IsZero() {
			failingSince = s.now()
		}
		window, what := s.retryWindow(id, kind)
		if s.now().Sub(failingSince) >= window {
			log.Error("task failed after retrying", "error", err, "retried_for", s.now().Sub(failingSince))
			s.finish(id, api.StatusFailed, fmt.Sprintf("%v (retried for %s, the task's retry time for %s; fix the cause and start the task again: it resumes from its checkpoints)",
				err, window, what))
			return
		}
		left := window - s.now().Sub(failingSince)
		backoff := min(time.Duration(1<<min(attempt, 5))*time.Second, 30*time.Second, left)
		log.Warn("task retrying", "error", err, "kind", what, "backoff", backoff)
		cause := fmt.Sprintf("retrying after %s: %v", what, err)
		if cause != lastCause || attempt%10 == 0 {
			s.event(id, api.EventRetry, fmt.Sprintf("attempt %d failed, next in %s, %s left of the retry time for %s: %v", attempt+1, backoff.Round(time.Millisecond), left.Round(time.Second), what, err))
			lastCause = cause
		}
		s.update(id, func(t *api.Task) {
			t.State.Retries++
			s.setStatus(t, api.StatusRetrying, cause)
		})
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
	}
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
	results, blocking, err := engine.Precheck(ctx, et)
	if err != nil {
		return api.PrecheckResult{}, fmt.Errorf("the precheck did not finish within %s: %w", precheckTimeout, err)
	}
	out := api.PrecheckResult{Items: []api.PrecheckItem{}, Blocking: []string{}}
	for _, r := range results {
		out.Items = append(out.Items, api.PrecheckItem{Name: r.Name, Status: api.PrecheckStatus(r.State), Message: r.Message, Remedy: r.Remedy})
	}
	for _, r := range blocking {
		out.Blocking = append(out.Blocking, r.Name)
	}
	out.Passed = len(blocking) == 0
	return out, nil
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

// runOnce runs the engine once.
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
	et.FullLimits, et.IncrementalLimits, et.Drain = r.full, r.inc, r.drain
	log.Info("task running")
	rep := &reporter{s: s, id: id, run: r}
	if v := t.State.Verification; v != nil {
		rep.verified, rep.sweepBase = v.Sweeps, v.Sweeps
	}
	ticking := make(chan struct{})
	go rep.tick(ticking)
	err = engine.Run(ctx, et, rep.report)
	close(ticking)
	rep.mu.Lock()
	rep.flush()
	rep.mu.Unlock()
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

func (s *Scheduler) connWindow(t api.Task) time.Duration {
	minutes := t.RetryTimeForFailedConnections
	if minutes <= 0 {
		minutes = api.DefaultRetryTimeForFailedConnections
	}
	return time.Duration(minutes) * s.opts.RetryTimeUnit
}

// convert turns one string type's values into another's: API names into the engine's.
func convert[To, From ~string](vals []From) []To {
	out := make([]To, len(vals))
	for i, v := range vals {
		out[i] = To(v)
	}
	return out
}

// engineStrings converts API names to the engine's strings; an empty list (for operations:
// all of them) becomes the engine's nil.
func engineStrings[T ~string](vals []T) []string {
	if len(vals) == 0 {
		return nil
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = string(v)
	}
	return out
}

// engineTask builds the engine's view of a stored task, with passwords opened.
func (s *Scheduler) engineTask(t api.Task) (engine.Task, error) {
	src, err := s.endpoint(t.SourceConnectionID)
	if err != nil {
		return engine.Task{}, fmt.Errorf("source connection: %w", err)
	}
	dst, err := s.endpoint(t.DestinationConnectionID)
	if err != nil {
		return engine.Task{}, fmt.Errorf("destination connection: %w", err)
	}
	class := t.InstanceClass
	if class == "" {
		class = api.DefaultInstanceClass
	}
	et := engine.Task{
		ID: t.ID, ServerID: t.ServerID, Source: src, Destination: dst, MigrationTypes: convert[engine.MigrationType](t.MigrationTypes),
		ConflictHandling: engine.ConflictMode(t.ConflictHandling), MergeTables: t.MergeTables,
		Workers:              api.InstanceClassWorkers[class],
		IgnorePrecheckAlerts: t.IgnorePrecheckAlerts,
		RetryWindow:          s.connWindow(t),
		DMLOperations:        engineStrings(t.DMLOperations),
		DDLOperations:        engineStrings(t.DDLOperations),
		Verification:         engine.Verification{Settle: s.opts.VerifySettle, Every: s.opts.VerifyPause},
		Log:                  s.log,
	}
	if v := t.DataVerification; v != nil {
		et.Verification.Mode, et.Verification.SamplePercent, et.Verification.Repair = engine.VerifyMode(v.Mode), v.SamplePercent, v.Repair
	}
	for _, o := range t.Objects {
		eo := engine.Object{Database: o.Database, RenameTo: o.RenameTo}
		for _, tb := range o.Tables {
			table := engine.Table{
				Name: tb.Name, RenameTo: tb.RenameTo, Where: tb.Where, Columns: tb.Columns,
				TableType: tb.TableType, PrimaryKey: tb.PrimaryKey, DistributionKey: tb.DistributionKey,
				PartitionKey: tb.PartitionKey, PartitionRule: tb.PartitionRule, PartitionLifecycle: tb.PartitionLifecycle,
				DMLOperations: engineStrings(tb.DMLOperations), DDLOperations: engineStrings(tb.DDLOperations),
			}
			if len(tb.ColumnRenames) > 0 {
				table.ColumnRenames = map[string]string{}
				for _, cr := range tb.ColumnRenames {
					table.ColumnRenames[cr.Name] = cr.RenameTo
				}
			}
			if e := tb.ETL; e != nil {
				table.ETL = engine.ETLSpec{Filter: e.Filter, Set: e.Set, DropColumns: e.DropColumns}
			}
			eo.Tables = append(eo.Tables, table)
		}
		et.Objects = append(et.Objects, eo)
	}
	return et, nil
}

// Endpoint returns how to reach a stored connection, password included.
func (s *Scheduler) endpoint(connID string) (engine.Endpoint, error) {
	c, err := s.store.GetConnection(connID)
	if err != nil {
		return engine.Endpoint{}, fmt.Errorf("connection %s: %w", connID, err)
	}
	return Endpoint(s.box, c)
}

// Endpoint turns a stored connection into an engine endpoint, opening its password.
func Endpoint(box *secret.Box, c store.Connection) (engine.Endpoint, error) {
	ep := engine.Endpoint{Type: engine.DatabaseType(c.DatabaseType), Host: c.Host, Port: c.Port, User: c.Username}
	if c.TLS != nil {
		ep.TLSMode, ep.CAPEM = c.TLS.Mode, c.TLS.CAPEM
	}
	if len(c.SealedPassword) > 0 {
		pw, err := box.Open(c.SealedPassword)
		if err != nil {
			return ep, fmt.Errorf("connection %s: %w", c.ID, err)
		}
		ep.Password = pw
	}
	return ep, nil
}

func (s *Scheduler) finish(id string, status api.Status, msg string) {
	s.update(id, func(t *api.Task) { s.setStatus(t, status, msg) })
}

func (s *Scheduler) setStatus(t *api.Task, status api.Status, msg string) {
	now := s.now().UTC()
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

func (s *Scheduler) update(id string, fn func(*api.Task)) {
	if _, err := s.change(id, fn); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Error("cannot persist task state", "task_id", id, "error", err)
	}
}

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
	phase     string
	written   time.Time
	pending   bool
}

func (r *reporter) report(p engine.Progress) {
	r.mu.Lock()
	defer r.mu.Unlock()
	// A finished verification sweep is persisted at once, like a new phase: the next
	// sweep's progress must not replace it unseen.
	sweepDone := p.Verification != nil && p.Verification.Status != engine.VerificationRunning &&
		(r.last.Verification == nil || r.last.Verification.Sweeps != p.Verification.Sweeps)
	r.last, r.pending = p, true
	if string(p.Phase) != r.phase || sweepDone || r.s.now().Sub(r.written) >= persistEvery {
		r.flush()
	}
}

// tick keeps the lag current while the engine is busy applying a backlog and reports
// nothing: every second it persists the lag counted from the engine's BehindSince, and checks
// the latency alert. It returns when stop is closed.
func (r *reporter) tick(stop <-chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		r.mu.Lock()
		if p := &r.last; p.Phase == engine.PhaseIncremental && !p.BehindSince.IsZero() && r.s.now().Sub(r.written) >= time.Second {
			p.LatencySeconds = max(0, r.s.now().Sub(p.BehindSince).Seconds())
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
	r.phase, r.written, r.pending = string(p.Phase), r.s.now(), false
	for _, n := range p.Notices[min(r.notices, len(p.Notices)):] {
		r.s.event(r.id, api.EventDDL, n)
	}
	r.notices = len(p.Notices)
	t, err := r.s.change(r.id, func(t *api.Task) {
		switch p.Phase {
		case engine.PhasePrecheck:
			t.State.Status = api.StatusPrechecking
		case engine.PhaseSchema:
			t.State.Status = api.StatusSchemaMigrating
		case engine.PhaseFull:
			t.State.Status = api.StatusFullMigrating
		case engine.PhaseIncremental:
			t.State.Status = api.StatusRunning
		}
		// Progress means the run works: a retry's cause is no longer current.
		t.State.ErrorMessage = ""
		t.State.Phase = string(p.Phase)
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
				t.State.Precheck = append(t.State.Precheck, api.PrecheckItem{Name: res.Name, Status: api.PrecheckStatus(res.State), Message: res.Message, Remedy: res.Remedy})
			}
		}
		if len(p.Notices) > 0 {
			t.State.Notices = p.Notices[max(0, len(p.Notices)-maxNotices):]
		}
		if p.Verification != nil {
			t.State.Verification = verificationState(p.Verification, r.sweepBase)
		}
		t.State.UpdatedAt = r.s.now().UTC()
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

// verificationState is the API form of verification progress.
// Sweeps count on from base, the sweeps done before this run.
func verificationState(v *engine.VerificationProgress, base int64) *api.Verification {
	out := &api.Verification{Status: api.VerificationStatus(v.Status), ChunksChecked: v.Chunks, RowsChecked: v.Rows, Mismatches: v.Mismatches,
		Repaired: v.Repaired, Sweeps: base + v.Sweeps}
	out.KeysRechecked, out.RecheckMismatches = v.KeysRechecked, v.RecheckMismatches
	out.Mismatched, out.RecheckMismatched = apiMismatches(v.Mismatched), apiMismatches(v.RecheckMismatched)
	return out
}

func apiMismatches(ms []engine.Mismatch) []api.Mismatch {
	var out []api.Mismatch
	for _, m := range ms {
		out = append(out, api.Mismatch{Table: m.Table, Key: m.Key, Kind: api.MismatchKind(m.Kind)})
	}
	return out
}

// watchVerification records each finished verification sweep in the event log, and raises
// the mismatch alert for a sweep that found rows that differ. *handled counts the sweeps
// already handled.
func (s *Scheduler) watchVerification(t api.Task, handled *int64) {
	v := t.State.Verification
	if v == nil || v.Status == api.VerificationRunning || v.Sweeps <= *handled {
		return
	}
	*handled = v.Sweeps
	msg := fmt.Sprintf("verification %s: %d rows in %d chunks compared, %d mismatched, %d repaired", v.Status, v.RowsChecked, v.ChunksChecked, v.Mismatches, v.Repaired)
	if len(v.Mismatched) > 0 {
		var keys []string
		for _, m := range v.Mismatched[:min(len(v.Mismatched), 5)] {
			keys = append(keys, fmt.Sprintf("%s %s (%s)", m.Table, m.Key, m.Kind))
		}
		msg += "; first: " + strings.Join(keys, "; ")
	}
	s.event(t.ID, api.EventVerification, msg)
	if v.Mismatches > 0 && t.Monitoring != nil {
		s.alerts.Send(t.Monitoring.WebhookURL, s.alertFor(t, alert.KindMismatch, fmt.Sprintf("task %s: %s", t.Name, msg)))
	}
}

// watchRechecks records and alerts the changed rows found to differ since *handled.
func (s *Scheduler) watchRechecks(t api.Task, handled *int64) {
	v := t.State.Verification
	if v == nil || v.RecheckMismatches <= *handled {
		return
	}
	msg := fmt.Sprintf("%d changed rows still differ after the settle delay", v.RecheckMismatches-*handled)
	if n := len(v.RecheckMismatched); n > 0 {
		var keys []string
		for _, m := range v.RecheckMismatched[max(0, n-5):] {
			keys = append(keys, fmt.Sprintf("%s %s (%s)", m.Table, m.Key, m.Kind))
		}
		msg += "; last: " + strings.Join(keys, "; ")
	}
	*handled = v.RecheckMismatches
	s.event(t.ID, api.EventVerification, msg)
	if t.Monitoring != nil {
		s.alerts.Send(t.Monitoring.WebhookURL, s.alertFor(t, alert.KindMismatch, fmt.Sprintf("task %s: %s", t.Name, msg)))
	}
}

// maxNotices is how many DDL notices the task state keeps; the event log has them all.
const maxNotices = 20

// watchLatency raises the latency alert when the lag has stayed above the task's threshold
// for the scheduler's LatencyHold, and the recovery alert when it is back under it.
func (r *reporter) watchLatency(t api.Task) {
	m, run := t.Monitoring, r.run
	if m == nil || m.LatencyThresholdSeconds <= 0 || engine.Phase(t.State.Phase) != engine.PhaseIncremental {
		return
	}
	threshold := float64(m.LatencyThresholdSeconds)
	now := r.s.now()
	switch {
	case t.State.LatencySeconds > threshold:
		if run.aboveSince.IsZero() {
			run.aboveSince = now
		}
		if !run.latencyAlerted && now.Sub(run.aboveSince) >= r.s.opts.LatencyHold {
			run.latencyAlerted = true
			msg := fmt.Sprintf("task %s lags %.1f s behind the source, above its latency_threshold_seconds of %d s since %s",
				t.Name, t.State.LatencySeconds, m.LatencyThresholdSeconds, run.aboveSince.UTC().Format(time.RFC3339))
			r.s.event(r.id, api.EventLatency, msg)
			r.s.alerts.Send(m.WebhookURL, r.s.alertFor(t, alert.KindLatency, msg))
		}
	default:
		if run.latencyAlerted {
			msg := fmt.Sprintf("task %s lags %.1f s behind the source, back under its latency_threshold_seconds of %d s",
				t.Name, t.State.LatencySeconds, m.LatencyThresholdSeconds)
			r.s.event(r.id, api.EventLatency, msg)
			r.s.alerts.Send(m.WebhookURL, r.s.alertFor(t, alert.KindLatencyRecovered, msg))
		}
		run.aboveSince, run.latencyAlerted = time.Time{}, false
	}
}
