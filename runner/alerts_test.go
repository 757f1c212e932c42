package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/runnertest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/alert"
)

// webhook is a test alert receiver that refuses its first failFirst deliveries with 503.
type webhook struct {
	*httptest.Server
	mu        sync.Mutex
	failFirst int
	requests  int
	alerts    []alert.Alert
}

func newWebhook(t *testing.T, failFirst int) *webhook {
	w := &webhook{failFirst: failFirst}
	w.Server = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.requests++
		if w.requests <= w.failFirst {
			http.Error(rw, "not now", http.StatusServiceUnavailable)
			return
		}
		var a alert.Alert
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&a) != nil {
			t.Errorf("webhook got a %s request with Content-Type %q that is not a JSON alert", r.Method, r.Header.Get("Content-Type"))
			http.Error(rw, "bad alert", http.StatusBadRequest)
			return
		}
		w.alerts = append(w.alerts, a)
	}))
	t.Cleanup(w.Close)
	return w
}

// wait returns the first alert of kind for task id, waiting up to timeout.
func (w *webhook) wait(t *testing.T, id, kind string, timeout time.Duration) alert.Alert {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		w.mu.Lock()
		for _, a := range w.alerts {
			if a.TaskID == id && a.Kind == kind {
				w.mu.Unlock()
				return a
			}
		}
		n := len(w.alerts)
		w.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("no %s alert for task %s within %s (%d alerts received)", kind, id, timeout, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// events returns a task's event log as "type: message" lines.
func events(t *testing.T, r *runnertest.Runner, id string) string {
	t.Helper()
	evs, err := r.Client.TaskEvents(context.Background(), id, 0)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for i, e := range evs {
		if e.Seq != int64(i+1) || e.Time.IsZero() {
			t.Errorf("event %d is numbered %d at %v", i+1, e.Seq, e.Time)
		}
		b.WriteString(e.Type + ": " + e.Message + "\n")
	}
	return b.String()
}

// With the source stopped, two tasks retry their connection: the one whose window runs out
// first fails with the cause and the remedy, and its failure alert reaches a webhook that
// refuses the first deliveries; the other gets its source back within its window and goes
// on without losing a change. One retry-window minute lasts a second here.
func TestRetryWindowRecoversOrFails(t *testing.T) {
	src, dst := mariadbtest.StartSource(t), mariadbtest.StartDestination(t)
	src.Exec(t, "CREATE DATABASE keep", "CREATE DATABASE lose",
		"CREATE TABLE keep.t (id INT PRIMARY KEY, v INT)", "CREATE TABLE lose.t (id INT PRIMARY KEY, v INT)",
		"INSERT INTO keep.t SELECT seq, seq FROM keep.seq_1_to_500", "INSERT INTO lose.t SELECT seq, seq FROM lose.seq_1_to_500")
	hook := newWebhook(t, 2)
	r := runnertest.StartWith(t, runnertest.Options{Args: []string{"--retry-time-unit", "1s"}})
	ctx := context.Background()
	srcID, dstID := r.Connect(t, "src", src), r.Connect(t, "dst", dst)
	newTask := func(db string, window int) api.Task {
		task, err := r.Client.CreateTask(ctx, api.TaskSpec{
			Name: db, SourceConnectionID: srcID, DestinationConnectionID: dstID,
			MigrationTypes: []api.MigrationType{"schema", "full", "incremental"}, Objects: []api.Object{{Database: db}},
			RetryTimeForFailedConnections: window, RetryTimeForOtherIssues: 1,
			Monitoring: &api.Monitoring{OnFailure: true, WebhookURL: hook.URL},
		})
		if err != nil {
			t.Fatal(err)
		}
		return task
	}
	keep, lose := newTask("keep", 120), newTask("lose", 10)
	r.WaitStatus(t, keep.ID, time.Minute, api.StatusRunning)
	r.WaitStatus(t, lose.ID, time.Minute, api.StatusRunning)

	src.Exec(t, "UPDATE keep.t SET v = -v WHERE id <= 100")
	src.Stop(t)
	retrying := r.WaitStatus(t, lose.ID, time.Minute, api.StatusRetrying)
	if !strings.Contains(retrying.State.ErrorMessage, "failed connections") {
		t.Errorf("retrying task says %q, want the cause (failed connections)", retrying.State.ErrorMessage)
	}
	failed := r.WaitStatus(t, lose.ID, time.Minute, api.StatusFailed)
	for _, want := range []string{"retried for 10s", "retry time for failed connections", "start the task again"} {
		if !strings.Contains(failed.State.ErrorMessage, want) {
			t.Errorf("failed task says %q, want it to contain %q", failed.State.ErrorMessage, want)
		}
	}
	if failed.State.Retries == 0 {
		t.Errorf("the failed task counts no retries")
	}
	if st, err := r.Client.TaskStatus(ctx, keep.ID); err != nil || st.Status != api.StatusRetrying {
		t.Fatalf("the task with the longer window is %s (%v), want Retrying", st.Status, err)
	}

	a := hook.wait(t, lose.ID, alert.KindFailure, 30*time.Second)
	if a.TaskName != "lose" || a.Status != api.StatusFailed || !strings.Contains(a.Message, "retried for") {
		t.Errorf("failure alert = %+v", a)
	}
	deadline := time.Now().Add(10 * time.Second)
	var log string
	for {
		log = events(t, r, lose.ID)
		if strings.Contains(log, api.EventAlert+": failure alert delivered") || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, want := range []string{
		"status: status Running -> Retrying: retrying after failed connections",
		"retry: attempt 1 failed",
		"status: status Retrying -> Failed",
		"alert: failure alert delivered to the webhook",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("event log of the failed task lacks %q:\n%s", want, log)
		}
	}
	hook.mu.Lock()
	requests := hook.requests
	hook.mu.Unlock()
	if requests < 3 {
		t.Errorf("webhook saw %d requests, want the two refused deliveries retried", requests)
	}

	src.Start(t)
	r.WaitStatus(t, keep.ID, time.Minute, api.StatusRunning)
	src.Exec(t, "INSERT INTO keep.t SELECT 1000 + seq, seq FROM keep.seq_1_to_50")
	if _, err := r.Client.StopTask(ctx, keep.ID); err != nil {
		t.Fatal(err)
	}
	mariadbtest.AssertSameRows(t, src.DB(t, ""), dst.DB(t, ""), "SELECT * FROM keep.t ORDER BY id", "SELECT * FROM keep.t ORDER BY id")
	if log := events(t, r, keep.ID); !strings.Contains(log, "Retrying -> Running") {
		t.Errorf("event log of the recovered task lacks its return to Running:\n%s", log)
	}
}

// A task whose lag stays above latency_threshold_seconds sends the latency alert; when
// throttling is lifted on the running task it catches up and sends the recovery alert.
func TestLatencyAlertAndLiveThrottling(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	src.Exec(t, "CREATE DATABASE app", "CREATE TABLE app.t (id INT PRIMARY KEY, v INT)")
	hook := newWebhook(t, 0)
	r := runnertest.StartWith(t, runnertest.Options{Args: []string{"--latency-alert-hold", "1s"}})
	ctx := context.Background()
	spec := api.TaskSpec{
		Name: "lagging", SourceConnectionID: r.Connect(t, "src", src), DestinationConnectionID: r.Connect(t, "dst", dst),
		MigrationTypes: []api.MigrationType{"schema", "full", "incremental"}, Objects: []api.Object{{Database: "app"}},
		IncrementalThrottling: &api.Throttling{RPS: 20},
		Monitoring:            &api.Monitoring{LatencyThresholdSeconds: 1, WebhookURL: hook.URL},
	}
	task, err := r.Client.CreateTask(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	r.WaitStatus(t, task.ID, time.Minute, api.StatusRunning)
	db := src.DB(t, "")
	for i := range 300 {
		if _, err := db.Exec("INSERT INTO app.t VALUES (?, ?)", i, i); err != nil {
			t.Fatal(err)
		}
	}
	a := hook.wait(t, task.ID, alert.KindLatency, 30*time.Second)
	if a.LatencySeconds <= 1 || a.ThresholdSecs != 1 {
		t.Errorf("latency alert = %+v, want a lag above the 1 s threshold", a)
	}
	spec.IncrementalThrottling = nil
	if _, err := r.Client.UpdateTask(ctx, task.ID, spec); err != nil {
		t.Fatal(err)
	}
	hook.wait(t, task.ID, alert.KindLatencyRecovered, 30*time.Second)
	if log := events(t, r, task.ID); !strings.Contains(log, "latency: task lagging lags") || !strings.Contains(log, "back under") {
		t.Errorf("event log lacks the latency entries:\n%s", log)
	}
	if _, err := r.Client.StopTask(ctx, task.ID); err != nil {
		t.Fatal(err)
	}
	mariadbtest.AssertSameRows(t, db, dst.DB(t, ""), "SELECT * FROM app.t ORDER BY id", "SELECT * FROM app.t ORDER BY id")
}
