package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/alert"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/clock/clocktesting"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/secret"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/store"
)

// These tests drive the scheduler's time-dependent logic (retry windows, backoff, the
// latency-alert hold, the drain timeout) with a fake engine and a fake clock, on a real
// bbolt store in a temporary directory. They take milliseconds; the real-process tests in
// runner/ cover the same paths against MariaDB.

// fakeEngine runs tasks with the function run and verifies them with verify (an error when
// nil); Precheck is not used here.
type fakeEngine struct {
	run    func(ctx context.Context, task engine.Task, report func(engine.Progress)) error
	verify func(ctx context.Context, task engine.Task, report func(engine.Progress)) error
}

func (f *fakeEngine) Run(ctx context.Context, task engine.Task, report func(engine.Progress)) error {
	return f.run(ctx, task, report)
}

func (f *fakeEngine) Verify(ctx context.Context, task engine.Task, report func(engine.Progress)) error {
	if f.verify == nil {
		return errors.New("fakeEngine: Verify is not part of this test")
	}
	return f.verify(ctx, task, report)
}

func (f *fakeEngine) Precheck(context.Context, engine.Task) ([]engine.PrecheckResult, []engine.PrecheckResult, error) {
	return nil, nil, errors.New("fakeEngine: Precheck is not part of these tests")
}

// waitLimit bounds every wait for the scheduler's goroutines: they need microseconds, so
// running into it means a hang.
const waitLimit = 2 * time.Second

var start = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type harness struct {
	s     *Scheduler
	st    store.Store
	clock *clocktesting.Fake
}

// newHarness returns a scheduler over a fresh store holding connections conn-src and
// conn-dst, with the fake engine run and a fake clock at start.
func newHarness(t *testing.T, run func(ctx context.Context, task engine.Task, report func(engine.Progress)) error, opts Options) *harness {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "runner.db"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := st.SealingKey()
	if err != nil {
		t.Fatal(err)
	}
	box, err := secret.New(key)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"conn-src", "conn-dst"} {
		c := store.Connection{Connection: api.Connection{ID: id, ConnectionSpec: api.ConnectionSpec{
			Name: id, DatabaseType: api.DatabaseMariaDB, Host: "127.0.0.1", Port: 3306, Username: "u"}}}
		if err := st.PutConnection(c); err != nil {
			t.Fatal(err)
		}
	}
	h := &harness{st: st, clock: clocktesting.New(start)}
	opts.Engine, opts.Clock = &fakeEngine{run: run}, h.clock
	h.s = New(st, box, slog.New(slog.NewTextHandler(io.Discard, nil)), opts)
	t.Cleanup(func() {
		h.s.Shutdown()
		st.Close()
	})
	return h
}

// start stores a task with spec's retry and monitoring settings and starts it.
func (h *harness) start(t *testing.T, spec api.TaskSpec) string {
	t.Helper()
	spec.Name, spec.SourceConnectionID, spec.DestinationConnectionID = "orders", "conn-src", "conn-dst"
	spec.MigrationTypes = []api.MigrationType{api.MigrationSchema, api.MigrationFull, api.MigrationIncremental}
	spec.Objects = []api.Object{{Database: "shop"}}
	spec.DesiredStatus = api.DesiredRunning
	task := api.Task{ID: "task-1", TaskSpec: spec}
	if err := h.st.PutTask(task); err != nil {
		t.Fatal(err)
	}
	if _, err := h.s.Start(task.ID); err != nil {
		t.Fatal(err)
	}
	return task.ID
}

// waitEnded waits until the task's run has ended.
func (h *harness) waitEnded(t *testing.T, id string) api.Task {
	t.Helper()
	h.s.mu.Lock()
	r := h.s.runs[id]
	h.s.mu.Unlock()
	if r != nil {
		select {
		case <-r.done:
		case <-time.After(waitLimit):
			t.Fatalf("the run of %s did not end within %s", id, waitLimit)
		}
	}
	task, err := h.st.GetTask(id)
	if err != nil {
		t.Fatal(err)
	}
	return task
}

// blockUntilWaiting waits until the scheduler waits on the clock.
func (h *harness) blockUntilWaiting(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := h.clock.BlockUntil(ctx, 1); err != nil {
		t.Fatalf("the scheduler does not wait on the clock: %v", err)
	}
}

func (h *harness) events(t *testing.T, id, typ string) []string {
	t.Helper()
	all, err := h.st.Events(id, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range all {
		if e.Type == typ {
			out = append(out, e.Message)
		}
	}
	return out
}

func seconds(s ...int) []time.Duration {
	out := make([]time.Duration, len(s))
	for i, n := range s {
		out[i] = time.Duration(n) * time.Second
	}
	return out
}

// The pause between attempts doubles from 1 s up to 30 s and never outlasts the retry
// window.
func TestSchedulerBackoff(t *testing.T) {
	long := time.Hour
	var got []time.Duration
	for attempt := range 9 {
		got = append(got, backoff(attempt, long))
	}
	if want := seconds(1, 2, 4, 8, 16, 30, 30, 30, 30); !slices.Equal(got, want) {
		t.Errorf("backoff with an hour left = %v, want %v", got, want)
	}
	for _, tc := range []struct {
		attempt int
		left    time.Duration
		want    time.Duration
	}{{0, 500 * time.Millisecond, 500 * time.Millisecond}, {3, 3 * time.Second, 3 * time.Second}, {9, 29 * time.Second, 29 * time.Second}, {2, 0, 0}} {
		if got := backoff(tc.attempt, tc.left); got != tc.want {
			t.Errorf("backoff(%d, %s) = %s, want %s", tc.attempt, tc.left, got, tc.want)
		}
	}
}

// A connection failure is retried for retry_time_for_failed_connections, showing Retrying
// with the cause, with backoffs 1, 2, 4 s and then what is left of the window, and then
// the task is Failed with a message naming the window and the remedy (the messages
// TestRetryWindowRecoversOrFails in runner/ asserts against a real stopped source).
func TestSchedulerRetriesConnectionFailuresForTheirWindow(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	attempts := 0
	h := newHarness(t, func(context.Context, engine.Task, func(engine.Progress)) error {
		attempts++
		return fmt.Errorf("cannot connect to u@127.0.0.1:3306: %w", refused)
	}, Options{RetryTimeUnit: time.Second})
	id := h.start(t, api.TaskSpec{RetryTimeForFailedConnections: 10, RetryTimeForOtherIssues: 1})

	want := seconds(1, 2, 4, 3)
	for i, pause := range want {
		h.blockUntilWaiting(t)
		task, err := h.st.GetTask(id)
		if err != nil {
			t.Fatal(err)
		}
		if task.State.Status != api.StatusRetrying || !strings.Contains(task.State.ErrorMessage, "retrying after failed connections: cannot connect") {
			t.Fatalf("after attempt %d the task is %s: %q; want Retrying with the cause", i+1, task.State.Status, task.State.ErrorMessage)
		}
		h.clock.Advance(pause)
	}
	task := h.waitEnded(t, id)
	if got := h.clock.Afters(); !slices.Equal(got, want) {
		t.Errorf("backoffs %v, want %v", got, want)
	}
	if task.State.Status != api.StatusFailed || attempts != len(want)+1 || task.State.Retries != int64(len(want)) {
		t.Fatalf("task is %s after %d attempts, %d retries counted; want Failed after %d attempts", task.State.Status, attempts, task.State.Retries, len(want)+1)
	}
	for _, s := range []string{"connection refused", "retried for 10s", "retry time for failed connections", "start the task again"} {
		if !strings.Contains(task.State.ErrorMessage, s) {
			t.Errorf("failed task says %q, want it to contain %q", task.State.ErrorMessage, s)
		}
	}
	retries := h.events(t, id, api.EventRetry)
	if len(retries) == 0 || retries[0] != "attempt 1 failed, next in 1s, 10s left of the retry time for failed connections: cannot connect to u@127.0.0.1:3306: dial tcp: connect: connection refused" {
		t.Errorf("retry events = %q", retries)
	}
	statuses := strings.Join(h.events(t, id, api.EventStatus), "\n")
	for _, s := range []string{"status NotStarted -> Retrying: retrying after failed connections", "status Retrying -> Failed"} {
		if !strings.Contains(statuses, s) {
			t.Errorf("status events lack %q:\n%s", s, statuses)
		}
	}
}

// Any other failure is retried for retry_time_for_other_issues, however short the
// connection window: the backoff reaches its 30 s cap and the last pause is what is left.
func TestSchedulerRetriesOtherFailuresForTheirWindow(t *testing.T) {
	h := newHarness(t, func(context.Context, engine.Task, func(engine.Progress)) error {
		return errors.New("Error 1205: Lock wait timeout exceeded")
	}, Options{})
	id := h.start(t, api.TaskSpec{RetryTimeForFailedConnections: 1, RetryTimeForOtherIssues: 3})
	want := seconds(1, 2, 4, 8, 16, 30, 30, 30, 30, 29)
	for _, pause := range want {
		h.blockUntilWaiting(t)
		h.clock.Advance(pause)
	}
	task := h.waitEnded(t, id)
	if got := h.clock.Afters(); !slices.Equal(got, want) {
		t.Errorf("backoffs %v, want %v", got, want)
	}
	if task.State.Status != api.StatusFailed || !strings.Contains(task.State.ErrorMessage, "retried for 3m0s, the task's retry time for other issues") {
		t.Fatalf("task is %s: %q; want Failed after the 3 minutes for other issues", task.State.Status, task.State.ErrorMessage)
	}
}

// A failure within the window that goes away lets the task go on: it completes, and the
// Retrying status is cleared.
func TestSchedulerRecoversWithinTheWindow(t *testing.T) {
	attempts := 0
	h := newHarness(t, func(context.Context, engine.Task, func(engine.Progress)) error {
		if attempts++; attempts == 1 {
			return io.EOF
		}
		return nil
	}, Options{})
	id := h.start(t, api.TaskSpec{})
	h.blockUntilWaiting(t)
	h.clock.Advance(time.Second)
	task := h.waitEnded(t, id)
	if task.State.Status != api.StatusCompleted || task.State.ErrorMessage != "" || task.State.Retries != 1 {
		t.Fatalf("task is %s (%q, %d retries), want Completed after one retry", task.State.Status, task.State.ErrorMessage, task.State.Retries)
	}
}

// Failures no retry can fix end the task at once, without waiting on the clock: a blocking
// precheck as PrecheckFailed, the engine's permanent errors and the runner's configuration
// errors as Failed.
func TestSchedulerFailsAtOnceWithoutRetrying(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		status api.Status
	}{
		{"precheck", &engine.PrecheckError{}, api.StatusPrecheckFailed},
		{"etl", fmt.Errorf("full migration: %w", &engine.ETLError{Err: errors.New("no such key: amount")}), api.StatusFailed},
		{"data too long", fmt.Errorf("copying shop.orders: %w", &mysql.MySQLError{Number: 1406, Message: "Data too long for column 'note' at row 1"}), api.StatusFailed},
		{"configuration", fmt.Errorf("%w: source connection: not found", errConfig), api.StatusFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, func(context.Context, engine.Task, func(engine.Progress)) error { return tc.err }, Options{})
			id := h.start(t, api.TaskSpec{})
			task := h.waitEnded(t, id)
			if task.State.Status != tc.status || task.State.ErrorMessage != tc.err.Error() || task.State.Retries != 0 || len(h.clock.Afters()) != 0 {
				t.Fatalf("task is %s (%q, %d retries, waits %v), want %s at once with the error", task.State.Status, task.State.ErrorMessage, task.State.Retries, h.clock.Afters(), tc.status)
			}
		})
	}
}

// steps lets a test drive a fake engine run report by report: each function sent is
// called with the run's report, and the send returns once it has been.
type steps chan func(report func(engine.Progress))

func (s steps) run(ctx context.Context, task engine.Task, report func(engine.Progress)) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-task.Yield:
			return engine.ErrYielded
		case step := <-s:
			step(report)
			s <- nil
		}
	}
}

// do runs one step on the engine's goroutine and waits for it.
func (s steps) do(t *testing.T, step func(report func(engine.Progress))) {
	t.Helper()
	select {
	case s <- step:
	case <-time.After(waitLimit):
		t.Fatal("the fake engine does not run")
	}
	select {
	case <-s:
	case <-time.After(waitLimit):
		t.Fatal("a step of the fake engine did not finish")
	}
}

// The latency alert goes out only once the lag has stayed above latency_threshold_seconds
// for the hold (a dip under it starts the hold again), once per episode, and the recovery
// alert when the lag is back under the threshold.
func TestSchedulerLatencyAlertHold(t *testing.T) {
	alerts := make(chan alert.Alert, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var a alert.Alert
		if err := json.NewDecoder(r.Body).Decode(&a); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		alerts <- a
	}))
	defer hook.Close()
	engineSteps := make(steps)
	h := newHarness(t, engineSteps.run, Options{LatencyHold: 30 * time.Second})
	id := h.start(t, api.TaskSpec{Monitoring: &api.Monitoring{LatencyThresholdSeconds: 10, WebhookURL: hook.URL}})
	lag := func(advance time.Duration, seconds float64) {
		t.Helper()
		h.clock.Advance(advance)
		engineSteps.do(t, func(report func(engine.Progress)) {
			report(engine.Progress{Phase: engine.PhaseIncremental, LatencySeconds: seconds})
		})
	}
	latencyEvents := func() []string { return h.events(t, id, api.EventLatency) }
	waitAlert := func(kind string) alert.Alert {
		t.Helper()
		select {
		case a := <-alerts:
			if a.Kind != kind || a.TaskID != id {
				t.Fatalf("alert %+v, want a %s alert of %s", a, kind, id)
			}
			return a
		case <-time.After(waitLimit):
			t.Fatalf("no %s alert reached the webhook", kind)
		}
		return alert.Alert{}
	}

	lag(0, 100)              // above since t=0
	lag(20*time.Second, 100) // 20 s above
	lag(5*time.Second, 5)    // back under before the hold: no alert, the hold starts again
	lag(time.Second, 100)    // above since t=26
	lag(29*time.Second, 100) // 29 s above
	if ev := latencyEvents(); len(ev) != 0 {
		t.Fatalf("latency events before the hold passed: %q", ev)
	}
	lag(time.Second, 100) // 30 s above: the alert
	ev := latencyEvents()
	since := start.Add(26 * time.Second).Format(time.RFC3339)
	if len(ev) != 1 || !strings.Contains(ev[0], "lags 100.0 s behind the source, above its latency_threshold_seconds of 10 s since "+since) {
		t.Fatalf("latency events after the hold = %q, want one naming the lag, threshold and %s", ev, since)
	}
	if a := waitAlert(alert.KindLatency); a.LatencySeconds != 100 || a.ThresholdSecs != 10 {
		t.Errorf("latency alert = %+v", a)
	}
	lag(time.Second, 120) // still above: no second alert
	if ev := latencyEvents(); len(ev) != 1 {
		t.Fatalf("latency events while the lag stays above = %q, want the one alert", ev)
	}
	lag(time.Second, 2) // recovered
	ev = latencyEvents()
	if len(ev) != 2 || !strings.Contains(ev[1], "lags 2.0 s behind the source, back under its latency_threshold_seconds of 10 s") {
		t.Fatalf("latency events after recovery = %q", ev)
	}
	waitAlert(alert.KindLatencyRecovered)
}

// Stop asks a task in its incremental phase to drain and waits drainTimeout for it before
// cancelling it; a run that drains in time stops by itself, and a run in another phase is
// cancelled at once.
func TestSchedulerStopDrainTimeout(t *testing.T) {
	// run reports phase, signals ready, and then waits: for the drain when honour is set,
	// else for cancellation. It sends what it saw on seen.
	type outcome struct {
		drained bool  // Drain was closed before the run returned
		cause   error // the context's cause, nil when not cancelled
	}
	runner := func(phase engine.Phase, honour bool, ready chan<- struct{}, seen chan<- outcome) func(context.Context, engine.Task, func(engine.Progress)) error {
		return func(ctx context.Context, task engine.Task, report func(engine.Progress)) error {
			report(engine.Progress{Phase: phase})
			close(ready)
			select {
			case <-task.Drain:
				if honour {
					seen <- outcome{drained: true}
					return engine.ErrDrained
				}
				<-ctx.Done()
			case <-ctx.Done():
			}
			drained := false
			select {
			case <-task.Drain:
				drained = true
			default:
			}
			seen <- outcome{drained: drained, cause: context.Cause(ctx)}
			return ctx.Err()
		}
	}
	// stop calls Stop in the background; the channel gets the task it returned (a failed
	// Stop fails the test when received).
	type stopped struct {
		task api.Task
		err  error
	}
	stop := func(h *harness, id string) <-chan stopped {
		done := make(chan stopped, 1)
		go func() {
			task, err := h.s.Stop(id)
			done <- stopped{task, err}
		}()
		return done
	}
	received := func(t *testing.T, ch <-chan stopped, what string) api.Task {
		t.Helper()
		select {
		case got := <-ch:
			if got.err != nil {
				t.Fatalf("Stop: %v", got.err)
			}
			return got.task
		case <-time.After(waitLimit):
			t.Fatalf("Stop did not return %s", what)
		}
		return api.Task{}
	}
	wait := func(t *testing.T, ch <-chan struct{}) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(waitLimit):
			t.Fatal("the fake engine did not start")
		}
	}

	t.Run("cancelled after the timeout", func(t *testing.T) {
		ready, seen := make(chan struct{}), make(chan outcome, 1)
		h := newHarness(t, runner(engine.PhaseIncremental, false, ready, seen), Options{})
		id := h.start(t, api.TaskSpec{})
		wait(t, ready)
		stopping := stop(h, id)
		h.blockUntilWaiting(t)
		if got := h.clock.Afters(); !slices.Equal(got, []time.Duration{drainTimeout}) {
			t.Fatalf("Stop waits %v, want the drain timeout %s", got, drainTimeout)
		}
		h.clock.Advance(drainTimeout - time.Millisecond)
		select {
		case got := <-stopping:
			t.Fatalf("Stop returned (%s, %v) before the drain timeout", got.task.State.Status, got.err)
		default:
		}
		h.clock.Advance(time.Millisecond)
		task := received(t, stopping, "after the drain timeout")
		if o := <-seen; !o.drained || o.cause != errStopped {
			t.Errorf("the engine saw drain=%v, cancellation cause %v; want the drain, then errStopped", o.drained, o.cause)
		}
		if task.State.Status != api.StatusStopped || task.State.FinishedAt == nil {
			t.Errorf("task after Stop is %s (finished %v), want Stopped", task.State.Status, task.State.FinishedAt)
		}
	})

	t.Run("drained in time", func(t *testing.T) {
		ready, seen := make(chan struct{}), make(chan outcome, 1)
		h := newHarness(t, runner(engine.PhaseIncremental, true, ready, seen), Options{})
		id := h.start(t, api.TaskSpec{})
		wait(t, ready)
		task := received(t, stop(h, id), "when the run drained")
		if o := <-seen; !o.drained || o.cause != nil {
			t.Errorf("the engine saw drain=%v, cancellation cause %v; want the drain and no cancellation", o.drained, o.cause)
		}
		if task.State.Status != api.StatusStopped {
			t.Errorf("task after Stop is %s, want Stopped", task.State.Status)
		}
	})

	t.Run("full phase cancelled at once", func(t *testing.T) {
		ready, seen := make(chan struct{}), make(chan outcome, 1)
		h := newHarness(t, runner(engine.PhaseFull, false, ready, seen), Options{})
		id := h.start(t, api.TaskSpec{})
		wait(t, ready)
		if task := received(t, stop(h, id), "at once for a run in its full phase"); task.State.Status != api.StatusStopped {
			t.Errorf("task after Stop is %s, want Stopped", task.State.Status)
		}
		if o := <-seen; o.cause != errStopped {
			t.Errorf("cancellation cause %v, want errStopped", o.cause)
		}
	})
}

// In a cluster, a run launched at an epoch gets that epoch and this runner as the engine
// task's owner. Once another runner has launched the task at a later epoch, this run's
// writes leave the task's state alone; and a run the destination fences out gives the task
// up without marking it, and is not launched again at the same epoch.
func TestSchedulerStaleOwnerLeavesStateAlone(t *testing.T) {
	var got []engine.Task
	fenced := make(chan error, 1)
	var s steps = make(chan func(func(engine.Progress)))
	h := newHarness(t, func(ctx context.Context, task engine.Task, report func(engine.Progress)) error {
		got = append(got, task)
		if err := <-fenced; err != nil {
			return err
		}
		return s.run(ctx, task, report)
	}, Options{Cluster: true, NodeID: "r1"})
	task := api.Task{ID: "task-1", TaskSpec: api.TaskSpec{Name: "orders", SourceConnectionID: "conn-src", DestinationConnectionID: "conn-dst",
		MigrationTypes: []api.MigrationType{api.MigrationIncremental}, Objects: []api.Object{{Database: "shop"}}, DesiredStatus: api.DesiredRunning}}
	if err := h.st.PutTask(task); err != nil {
		t.Fatal(err)
	}
	fenced <- nil
	h.s.Launch(task.ID, 7)
	s.do(t, func(report func(engine.Progress)) {
		report(engine.Progress{Phase: engine.PhaseIncremental, RowsMigrated: 10})
	})
	if len(got) != 1 || got[0].Epoch != 7 || got[0].Owner != "r1" {
		t.Fatalf("engine task %+v, want epoch 7 owned by r1", got)
	}
	// r2 takes the task over at epoch 9 and reports; this run's next report changes nothing.
	if _, err := h.st.UpdateTask(task.ID, func(t *api.Task) {
		t.State.Owner, t.State.Epoch, t.State.RowsMigrated, t.State.Status = "r2", 9, 99, api.StatusRunning
	}); err != nil {
		t.Fatal(err)
	}
	s.do(t, func(report func(engine.Progress)) {
		report(engine.Progress{Phase: engine.PhaseIncremental, RowsMigrated: 11})
	})
	h.s.Release(task.ID, false)
	st, err := h.st.GetTask(task.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.State.Owner != "r2" || st.State.Epoch != 9 || st.State.RowsMigrated != 99 {
		t.Errorf("a stale owner's run wrote the new owner's state: %+v", st.State)
	}

	// Launched at epoch 9 here too, the destination fences the run: given up, unmarked.
	if _, err := h.st.UpdateTask(task.ID, func(t *api.Task) { t.State.Owner, t.State.Epoch = "r1", 9 }); err != nil {
		t.Fatal(err)
	}
	fenced <- fmt.Errorf("applying: %w", &engine.FencedError{TaskID: task.ID, Mine: 9, Current: 12})
	waits := len(h.clock.Afters()) // Release's bound on the yield
	h.s.Launch(task.ID, 9)
	ended := h.waitEnded(t, task.ID)
	if ended.State.Status != api.StatusRunning || ended.State.ErrorMessage != "" || len(h.clock.Afters()) != waits {
		t.Errorf("a fenced run marked the task %s (%q) or retries (%v): it must give the task up untouched", ended.State.Status, ended.State.ErrorMessage, h.clock.Afters())
	}
	h.s.Launch(task.ID, 9)
	if h.s.Running(task.ID) || len(got) != 2 {
		t.Errorf("a fenced task was launched again at the same epoch (%d runs)", len(got))
	}
}

// A run that worked (here: caught up with the source) for longer than the retry window
// and then fails starts a new retry episode: it is retried from a 1 s backoff, not failed
// for a window counted from an earlier failure it had recovered from.
func TestSchedulerRetryWindowRestartsAfterProgress(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	attempts := 0
	var h *harness
	h = newHarness(t, func(_ context.Context, _ engine.Task, report func(engine.Progress)) error {
		switch attempts++; attempts {
		case 1:
			return refused
		case 2:
			report(engine.Progress{Phase: engine.PhaseIncremental, CaughtUp: true})
			h.clock.Advance(time.Hour) // weeks of incremental migration, in short
			return refused
		}
		return nil
	}, Options{RetryTimeUnit: time.Second})
	id := h.start(t, api.TaskSpec{RetryTimeForFailedConnections: 10, RetryTimeForOtherIssues: 10})
	h.blockUntilWaiting(t)
	h.clock.Advance(time.Second)
	h.blockUntilWaiting(t)
	task, err := h.st.GetTask(id)
	if err != nil {
		t.Fatal(err)
	}
	if task.State.Status != api.StatusRetrying {
		t.Fatalf("after a failure that followed an hour of work the task is %s (%q): want Retrying in a new window", task.State.Status, task.State.ErrorMessage)
	}
	h.clock.Advance(time.Second)
	task = h.waitEnded(t, id)
	if got := h.clock.Afters(); !slices.Equal(got, seconds(1, 1)) || task.State.Status != api.StatusCompleted {
		t.Errorf("backoffs %v and status %s, want [1s 1s] and Completed", got, task.State.Status)
	}
}
