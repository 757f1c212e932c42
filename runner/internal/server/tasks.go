package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/taskrules"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/scheduler"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/store"
)

// validateTask checks a task spec against the shared rules (taskrules.Validate: a 400 naming
// the field) and then that its connections are registered (a 422).
func (s *Server) validateTask(t api.TaskSpec) error {
	if err := taskrules.Validate(t); err != nil {
		// One 400 names one field: the first rule broken, as the API has always answered.
		if fe, ok := errors.AsType[*taskrules.FieldError](err); ok {
			return badRequest(fe.Field, "%s", fe.Message)
		}
		return err
	}
	for _, f := range []struct{ field, id string }{
		{"source_connection_id", t.SourceConnectionID},
		{"destination_connection_id", t.DestinationConnectionID},
	} {
		if _, err := s.store.GetConnection(f.id); errors.Is(err, store.ErrNotFound) {
			return &apiError{status: http.StatusUnprocessableEntity, field: f.field, msg: fmt.Sprintf("%s %q names no registered connection: create the connection first", f.field, f.id)}
		} else if err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) listTasks(*http.Request) (int, any, error) {
	tasks, err := s.store.ListTasks()
	return http.StatusOK, tasks, err
}

func (s *Server) getTask(r *http.Request) (int, any, error) {
	t, err := s.store.GetTask(r.PathValue("id"))
	return http.StatusOK, t, err
}

func (s *Server) taskStatus(r *http.Request) (int, any, error) {
	t, err := s.store.GetTask(r.PathValue("id"))
	return http.StatusOK, t.State, err
}

// taskEvents answers a task's event log, oldest first; ?after=N leaves out events 1..N.
func (s *Server) taskEvents(r *http.Request) (int, any, error) {
	id := r.PathValue("id")
	if _, err := s.store.GetTask(id); err != nil {
		return 0, nil, err
	}
	var after int64
	if v := r.URL.Query().Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return 0, nil, badRequest("after", "query parameter after must be a non-negative event number, got %q", v)
		}
		after = n
	}
	events, err := s.store.Events(id, after)
	return http.StatusOK, api.Events{Events: events}, err
}

// verifyTask starts an on-demand verification of the task; its outcome shows in the task's
// state and events.
func (s *Server) verifyTask(r *http.Request) (int, any, error) {
	id := r.PathValue("id")
	if s.owner != nil {
		url, mine, err := s.owner(r.Context(), id)
		if err != nil {
			return 0, nil, err
		}
		if !mine {
			return s.forward(r, id, url)
		}
	}
	if err := s.sched.Verify(id); err != nil {
		if errors.Is(err, scheduler.ErrVerifying) {
			return 0, nil, &apiError{status: http.StatusConflict, msg: fmt.Sprintf("task %s: %v", id, err)}
		}
		return 0, nil, err
	}
	t, err := s.store.GetTask(id)
	return http.StatusAccepted, t, err
}

// forwardedHeader marks a request one runner of a cluster forwarded to another, which must
// not forward it again.
const forwardedHeader = "X-Adbmigrate-Forwarded-By"

// forward sends a live operation on task id to the runner at url, its owner, with the
// caller's token, and answers with that runner's answer.
func (s *Server) forward(r *http.Request, id, url string) (int, any, error) {
	if url == "" || r.Header.Get(forwardedHeader) != "" {
		return 0, nil, &apiError{status: http.StatusConflict, msg: fmt.Sprintf("task %s has no owner that can be reached now (it is being handed over, or its runner has no --advertise-url): try again in a few seconds", id)}
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, strings.TrimRight(url, "/")+r.URL.Path, nil)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", r.Header.Get("Authorization"))
	req.Header.Set(forwardedHeader, "1")
	peers := s.peers
	if peers == nil {
		peers = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := peers.Do(req)
	if err != nil {
		return 0, nil, &apiError{status: http.StatusBadGateway, msg: fmt.Sprintf("task %s: cannot reach its owner at %s: %v", id, url, err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return 0, nil, &apiError{status: http.StatusBadGateway, msg: fmt.Sprintf("task %s: reading the answer of its owner at %s: %v", id, url, err)}
	}
	s.log.Info("request forwarded to the task's owner", "task_id", id, "owner_url", url, "status", resp.StatusCode)
	return resp.StatusCode, json.RawMessage(body), nil
}

// precheck runs the precheck of a task spec without creating the task.
func (s *Server) precheck(r *http.Request) (int, any, error) {
	var spec api.TaskSpec
	if err := decode(r, &spec); err != nil {
		return 0, nil, err
	}
	if err := s.validateTask(spec); err != nil {
		return 0, nil, err
	}
	res, err := s.sched.Precheck(r.Context(), spec)
	if err != nil {
		return 0, nil, &apiError{status: http.StatusUnprocessableEntity, msg: err.Error()}
	}
	return http.StatusOK, res, nil
}

func (s *Server) createTask(r *http.Request) (int, any, error) {
	var spec api.TaskSpec
	if err := decode(r, &spec); err != nil {
		return 0, nil, err
	}
	if err := s.validateTask(spec); err != nil {
		return 0, nil, err
	}
	id, err := idFor(r, "task-")
	if err != nil {
		return 0, nil, err
	}
	now := time.Now().UTC()
	t := api.Task{ID: id, TaskSpec: spec, CreatedAt: now, UpdatedAt: now,
		State: api.TaskState{Status: api.StatusNotStarted, UpdatedAt: now}}
	if t.Name == "" {
		t.Name = t.ID
	}
	if t.DesiredStatus == "" {
		t.DesiredStatus = api.DesiredRunning
	}
	h := fnv.New32a()
	h.Write([]byte(t.ID))
	err = s.store.CreateTask(&t, h.Sum32())
	if errors.Is(err, store.ErrExists) && r.Header.Get(api.IdempotencyKey) != "" {
		return s.createdAlready(t)
	}
	if err != nil {
		return 0, nil, err
	}
	s.log.Info("task created", "task_id", t.ID, "name", t.Name)
	if t.DesiredStatus == api.DesiredRunning {
		var err error
		if t, err = s.sched.Start(t.ID); err != nil {
			return 0, nil, err
		}
	}
	return http.StatusCreated, t, nil
}

// createdAlready answers a create resent with the idempotency key of want's earlier
// create: the task that create made, started if the first create ended before starting it.
// A key reused for another spec is refused.
func (s *Server) createdAlready(want api.Task) (int, any, error) {
	t, err := s.store.GetTask(want.ID)
	if err != nil {
		return 0, nil, err
	}
	// The desired status may have changed since (a stop); the rest is the create's.
	have := t.TaskSpec
	have.DesiredStatus = want.DesiredStatus
	a, _ := json.Marshal(have)
	b, _ := json.Marshal(want.TaskSpec)
	if string(a) != string(b) {
		return 0, nil, &apiError{status: http.StatusConflict, msg: fmt.Sprintf("the %s of this request created task %s with another spec: send a new key for a new task", api.IdempotencyKey, t.ID)}
	}
	s.log.Info("task create resent: answering with the task it created", "task_id", t.ID)
	if t.DesiredStatus == api.DesiredRunning && t.State.Status == api.StatusNotStarted {
		return s.startCreated(t.ID)
	}
	return http.StatusOK, t, nil
}

// startCreated starts a task just created and answers with it.
func (s *Server) startCreated(id string) (int, any, error) {
	t, err := s.sched.Start(id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, t, nil
}

// updateTask changes what can change on an existing task (see the list below); everything
// else belongs to a new task. The scheduler applies full_throttling to a running task at
// once; the other in-place fields are stored and take effect when the task next starts
// (until the scheduler learns to apply them live).
func (s *Server) updateTask(r *http.Request) (int, any, error) {
	id := r.PathValue("id")
	old, err := s.store.GetTask(id)
	if err != nil {
		return 0, nil, err
	}
	var spec api.TaskSpec
	if err := decode(r, &spec); err != nil {
		return 0, nil, err
	}
	if err := s.validateTask(spec); err != nil {
		return 0, nil, err
	}
	if spec.Name == "" {
		spec.Name = old.Name
	}
	if spec.DesiredStatus == "" {
		spec.DesiredStatus = api.DesiredRunning
	}
	// What api.ImmutableFields does not list changes in place: name, desired_status,
	// full_throttling, incremental_throttling, ignore_precheck_alerts,
	// retry_time_for_failed_connections, retry_time_for_other_issues, environment_tag,
	// monitoring, data_verification; and objects when tables are only added to a task with
	// full and incremental migration.
	tablesAdded := api.TablesAddable(old.TaskSpec) && api.ObjectsOnlyAdded(old.Objects, spec.Objects)
	if field := api.ImmutableFieldChanged(old.TaskSpec, spec); field != "" {
		return 0, nil, &apiError{status: http.StatusConflict, field: field, msg: fmt.Sprintf("%s of task %s cannot change in place: create a new task", field, id)}
	}
	t, err := s.store.UpdateTask(id, func(t *api.Task) {
		if tablesAdded {
			t.Objects = spec.Objects
		}
		t.Name, t.DesiredStatus, t.UpdatedAt = spec.Name, spec.DesiredStatus, time.Now().UTC()
		t.FullThrottling, t.IgnorePrecheckAlerts = spec.FullThrottling, spec.IgnorePrecheckAlerts
		t.IncrementalThrottling = spec.IncrementalThrottling
		t.RetryTimeForFailedConnections, t.RetryTimeForOtherIssues = spec.RetryTimeForFailedConnections, spec.RetryTimeForOtherIssues
		t.EnvironmentTag, t.Monitoring, t.DataVerification = spec.EnvironmentTag, spec.Monitoring, spec.DataVerification
	})
	if err != nil {
		return 0, nil, err
	}
	s.sched.SetThrottling(id, spec.FullThrottling, spec.IncrementalThrottling)
	if tablesAdded && spec.DesiredStatus == api.DesiredRunning {
		// The run picks the added tables up when it starts: it copies them, then resumes
		// the binlog from its checkpoint.
		s.log.Info("tables added to the task; restarting it to copy them", "task_id", id)
		if t, err = s.sched.Stop(id); err != nil {
			return 0, nil, err
		}
		t, err = s.sched.Start(id)
		return http.StatusOK, t, err
	}
	switch {
	case old.DesiredStatus != spec.DesiredStatus && spec.DesiredStatus == api.DesiredStopped:
		t, err = s.sched.Stop(id)
	case spec.DesiredStatus == api.DesiredRunning && (old.DesiredStatus != spec.DesiredStatus || api.Restartable(t.State.Status)):
		// A task that should run but failed or was stopped runs again from its checkpoints:
		// the update Terraform plans for it after such drift.
		t, err = s.sched.Start(id)
	}
	return http.StatusOK, t, err
}

func (s *Server) deleteTask(r *http.Request) (int, any, error) {
	id := r.PathValue("id")
	if _, err := s.sched.Stop(id); err != nil {
		return 0, nil, err
	}
	if err := s.store.DeleteTask(id); err != nil {
		return 0, nil, err
	}
	s.log.Info("task deleted", "task_id", id)
	return http.StatusNoContent, nil, nil
}

func (s *Server) startTask(r *http.Request) (int, any, error) {
	id := r.PathValue("id")
	if _, err := s.store.UpdateTask(id, func(t *api.Task) { t.DesiredStatus = api.DesiredRunning }); err != nil {
		return 0, nil, err
	}
	t, err := s.sched.Start(id)
	return http.StatusOK, t, err
}

func (s *Server) stopTask(r *http.Request) (int, any, error) {
	id := r.PathValue("id")
	if _, err := s.store.UpdateTask(id, func(t *api.Task) { t.DesiredStatus = api.DesiredStopped }); err != nil {
		return 0, nil, err
	}
	t, err := s.sched.Stop(id)
	return http.StatusOK, t, err
}
