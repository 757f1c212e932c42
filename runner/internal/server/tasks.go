package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/checkpoint"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/etl"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/scheduler"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/store"
)

// validateTask checks a task spec's fields, naming the first bad one.
func (s *Server) validateTask(t api.TaskSpec) error {
	for _, f := range []struct{ field, id string }{
		{"source_connection_id", t.SourceConnectionID},
		{"destination_connection_id", t.DestinationConnectionID},
	} {
		if f.id == "" {
			return badRequest(f.field, "%s is required", f.field)
		}
		if _, err := s.store.GetConnection(f.id); errors.Is(err, store.ErrNotFound) {
			return &apiError{status: http.StatusUnprocessableEntity, field: f.field, msg: fmt.Sprintf("%s %q names no registered connection: create the connection first", f.field, f.id)}
		} else if err != nil {
			return err
		}
	}
	if len(t.MigrationTypes) == 0 {
		return badRequest("migration_types", "migration_types is empty: choose from %v", api.MigrationTypes)
	}
	for i, mt := range t.MigrationTypes {
		if !slices.Contains(api.MigrationTypes, mt) {
			return badRequest("migration_types", "migration_types[%d] %q is not one of %v", i, mt, api.MigrationTypes)
		}
		if slices.Contains(t.MigrationTypes[:i], mt) {
			return badRequest("migration_types", "migration_types lists %q twice", mt)
		}
	}
	if len(t.Objects) == 0 {
		return badRequest("objects", "objects is empty: select at least one database")
	}
	seen := map[string]bool{}
	for i, o := range t.Objects {
		field := fmt.Sprintf("objects[%d].database", i)
		switch {
		case o.Database == "":
			return badRequest(field, "%s is required", field)
		case o.Database == checkpoint.MetaDatabase || o.RenameTo == checkpoint.MetaDatabase:
			return badRequest(field, "database %s holds the runner's checkpoints and cannot be migrated", checkpoint.MetaDatabase)
		case seen[o.Database]:
			return badRequest(field, "database %q is selected twice: merge the two object blocks", o.Database)
		}
		seen[o.Database] = true
		tables := map[string]bool{}
		for j, tb := range o.Tables {
			tf := fmt.Sprintf("objects[%d].tables[%d].name", i, j)
			if tb.Name == "" {
				return badRequest(tf, "%s is required", tf)
			}
			if tables[tb.Name] {
				return badRequest(tf, "table %q of database %q is selected twice", tb.Name, o.Database)
			}
			tables[tb.Name] = true
		}
	}
	switch t.DesiredStatus {
	case "", api.DesiredRunning, api.DesiredStopped:
	default:
		return badRequest("desired_status", "desired_status %q is not running or stopped", t.DesiredStatus)
	}
	switch t.ConflictHandling {
	case "", api.ConflictReport, api.ConflictIgnore:
	default:
		return badRequest("conflict_handling", "conflict_handling %q is not %s or %s", t.ConflictHandling, api.ConflictReport, api.ConflictIgnore)
	}
	if _, ok := api.InstanceClassWorkers[t.InstanceClass]; !ok && t.InstanceClass != "" {
		return badRequest("instance_class", "instance_class %q is not one of small, medium, large, xlarge, 2xlarge", t.InstanceClass)
	}
	if t.MergeTables && slices.Contains(t.MigrationTypes, api.MigrationIncremental) {
		return badRequest("merge_tables", "merge_tables is available only without incremental migration")
	}
	if th := t.FullThrottling; th != nil && (th.SourceQPS < 0 || th.RPS < 0 || th.MBPS < 0) {
		return badRequest("full_throttling", "full_throttling rates must not be negative")
	}
	if th := t.IncrementalThrottling; th != nil {
		if th.SourceQPS != 0 {
			return badRequest("incremental_throttling.source_qps", "incremental_throttling has no source_qps: incremental migration reads the binlog, not tables")
		}
		if th.RPS < 0 || th.MBPS < 0 {
			return badRequest("incremental_throttling", "incremental_throttling rates must not be negative")
		}
	}
	if err := validateOperations("dml_operations", t.DMLOperations, api.DMLOperations); err != nil {
		return err
	}
	if err := validateOperations("ddl_operations", t.DDLOperations, api.DDLOperations); err != nil {
		return err
	}
	if err := validateRetryTimes(t); err != nil {
		return err
	}
	if m := t.Monitoring; m != nil {
		if m.LatencyThresholdSeconds < 0 {
			return badRequest("monitoring.latency_threshold_seconds", "monitoring.latency_threshold_seconds must be 1 or more (0 for no latency alert), not %d", m.LatencyThresholdSeconds)
		}
		if m.WebhookURL != "" {
			if u, err := url.Parse(m.WebhookURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return badRequest("monitoring.webhook_url", "monitoring.webhook_url %q is not an http(s) URL", m.WebhookURL)
			}
		}
	}
	if v := t.DataVerification; v != nil {
		switch v.Mode {
		case "", api.VerifyNone, api.VerifyFull:
			if v.SamplePercent != 0 {
				return badRequest("data_verification.sample_percent", "data_verification.sample_percent applies only to mode %q", api.VerifySampled)
			}
		case api.VerifySampled:
			if v.SamplePercent < 1 || v.SamplePercent > 100 {
				return badRequest("data_verification.sample_percent", "data_verification.sample_percent %d is outside 1..100", v.SamplePercent)
			}
		default:
			return badRequest("data_verification.mode", "data_verification.mode %q is not one of %s, %s, %s", v.Mode, api.VerifyNone, api.VerifyFull, api.VerifySampled)
		}
		if v.Repair && (v.Mode == "" || v.Mode == api.VerifyNone) {
			return badRequest("data_verification.repair", "data_verification.repair needs mode %s or %s", api.VerifyFull, api.VerifySampled)
		}
	}
	for i, k := range t.SchemaObjects {
		if !slices.Contains(api.SchemaObjectKinds, k) || slices.Contains(t.SchemaObjects[:i], k) {
			return badRequest("schema_objects", "schema_objects[%d] %q is not one of %v, or is listed twice", i, k, api.SchemaObjectKinds)
		}
	}
	if len(t.SchemaObjects) > 0 && !slices.Contains(t.MigrationTypes, api.MigrationSchema) {
		return badRequest("schema_objects", "schema_objects needs schema migration: add %q to migration_types", api.MigrationSchema)
	}
	if d := t.SchemaObjectsDefiner; d != "" && !slices.Contains(api.Definers, d) {
		return badRequest("schema_objects_definer", "schema_objects_definer %q is not one of %v", d, api.Definers)
	}
	for i, o := range t.Objects {
		for j, tb := range o.Tables {
			if err := validateTable(fmt.Sprintf("objects[%d].tables[%d]", i, j), tb); err != nil {
				return err
			}
		}
	}
	return nil
}

// validateOperations checks that ops names distinct members of allowed.
func validateOperations(field string, ops, allowed []api.Operation) error {
	for k, op := range ops {
		if !slices.Contains(allowed, op) {
			return badRequest(field, "%s[%d] %q is not one of %v", field, k, op, allowed)
		}
		if slices.Contains(ops[:k], op) {
			return badRequest(field, "%s lists %q twice", field, op)
		}
	}
	return nil
}

// validateRetryTimes checks the retry windows, with 0 standing for the default.
func validateRetryTimes(t api.TaskSpec) error {
	conn, other := t.RetryTimeForFailedConnections, t.RetryTimeForOtherIssues
	if conn != 0 && (conn < api.MinRetryTimeForFailedConnections || conn > api.MaxRetryTime) {
		return badRequest("retry_time_for_failed_connections", "retry_time_for_failed_connections %d is outside %d..%d minutes",
			conn, api.MinRetryTimeForFailedConnections, api.MaxRetryTime)
	}
	if other != 0 && (other < api.MinRetryTimeForOtherIssues || other > api.MaxRetryTime) {
		return badRequest("retry_time_for_other_issues", "retry_time_for_other_issues %d is outside %d..%d minutes",
			other, api.MinRetryTimeForOtherIssues, api.MaxRetryTime)
	}
	if conn == 0 {
		conn = api.DefaultRetryTimeForFailedConnections
	}
	if other == 0 {
		other = api.DefaultRetryTimeForOtherIssues
	}
	if other >= conn {
		return badRequest("retry_time_for_other_issues", "retry_time_for_other_issues (%d minutes) must be lower than retry_time_for_failed_connections (%d minutes)", other, conn)
	}
	return nil
}

// validateTable checks one table block's fields.
func validateTable(field string, tb api.Table) error {
	switch tb.TableType {
	case "", "fact", "dimension":
	default:
		return badRequest(field+".table_type", "table_type %q is not fact or dimension", tb.TableType)
	}
	switch tb.PartitionRule {
	case "", "value", "day", "month", "year":
	default:
		return badRequest(field+".partition_rule", "partition_rule %q is not value, day, month or year", tb.PartitionRule)
	}
	if tb.PartitionLifecycle < 0 {
		return badRequest(field+".partition_lifecycle", "partition_lifecycle must be 1 or more")
	}
	seen := map[string]bool{}
	for k, c := range tb.Columns {
		if c == "" || seen[c] {
			return badRequest(fmt.Sprintf("%s.columns[%d]", field, k), "columns must name distinct source columns")
		}
		seen[c] = true
	}
	if err := validateOperations(field+".dml_operations", tb.DMLOperations, api.DMLOperations); err != nil {
		return err
	}
	if err := validateOperations(field+".ddl_operations", tb.DDLOperations, api.DDLOperations); err != nil {
		return err
	}
	renamed := map[string]bool{}
	for k, cr := range tb.ColumnRenames {
		if cr.Name == "" || cr.RenameTo == "" || renamed[cr.Name] {
			return badRequest(fmt.Sprintf("%s.column_renames[%d]", field, k), "each column block needs a distinct name and a rename_to")
		}
		renamed[cr.Name] = true
	}
	if tb.ETL != nil {
		return validateETL(field+".etl", *tb.ETL)
	}
	return nil
}

// validateETL checks an etl block's expressions parse; whether they fit the table's columns
// is the precheck's to say.
func validateETL(field string, e api.ETL) error {
	if e.Filter != "" {
		if err := etl.Syntax(e.Filter); err != nil {
			return badRequest(field+".filter", "filter %q is not a CEL expression: %v", e.Filter, err)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(e.Set)) {
		if name == "" {
			return badRequest(field+".set", "set needs destination column names")
		}
		if err := etl.Syntax(e.Set[name]); err != nil {
			return badRequest(field+".set."+name, "set.%s = %q is not a CEL expression: %v", name, e.Set[name], err)
		}
	}
	seen := map[string]bool{}
	for k, c := range e.DropColumns {
		if c == "" || seen[c] {
			return badRequest(fmt.Sprintf("%s.drop_columns[%d]", field, k), "drop_columns must name distinct source columns")
		}
		seen[c] = true
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
	if err := s.sched.Verify(id); err != nil {
		if errors.Is(err, scheduler.ErrVerifying) {
			return 0, nil, &apiError{status: http.StatusConflict, msg: fmt.Sprintf("task %s: %v", id, err)}
		}
		return 0, nil, err
	}
	t, err := s.store.GetTask(id)
	return http.StatusAccepted, t, err
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
	now := time.Now().UTC()
	t := api.Task{ID: newID("task-"), TaskSpec: spec, CreatedAt: now, UpdatedAt: now,
		State: api.TaskState{Status: api.StatusNotStarted, UpdatedAt: now}}
	if t.Name == "" {
		t.Name = t.ID
	}
	if t.DesiredStatus == "" {
		t.DesiredStatus = api.DesiredRunning
	}
	h := fnv.New32a()
	h.Write([]byte(t.ID))
	if err := s.store.CreateTask(&t, h.Sum32()); err != nil {
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
	// What is not listed here changes in place: name, desired_status, full_throttling,
	// incremental_throttling, ignore_precheck_alerts, retry_time_for_failed_connections,
	// retry_time_for_other_issues, environment_tag, monitoring, data_verification; and objects
	// when tables are only added to a task with full and incremental migration.
	tablesAdded := api.TablesAddable(old.TaskSpec) && api.ObjectsOnlyAdded(old.Objects, spec.Objects)
	for _, f := range []struct {
		field string
		same  bool
	}{
		{"source_connection_id", spec.SourceConnectionID == old.SourceConnectionID},
		{"destination_connection_id", spec.DestinationConnectionID == old.DestinationConnectionID},
		{"migration_types", slices.Equal(spec.MigrationTypes, old.MigrationTypes)},
		{"objects", objectsEqual(spec.Objects, old.Objects) || tablesAdded},
		{"conflict_handling", spec.ConflictHandling == old.ConflictHandling},
		{"merge_tables", spec.MergeTables == old.MergeTables},
		{"instance_class", spec.InstanceClass == old.InstanceClass},
		{"dml_operations", slices.Equal(spec.DMLOperations, old.DMLOperations)},
		{"ddl_operations", slices.Equal(spec.DDLOperations, old.DDLOperations)},
		{"schema_objects", slices.Equal(spec.SchemaObjects, old.SchemaObjects)},
		{"schema_objects_definer", spec.SchemaObjectsDefiner == old.SchemaObjectsDefiner},
	} {
		if !f.same {
			return 0, nil, &apiError{status: http.StatusConflict, field: f.field, msg: fmt.Sprintf("%s of task %s cannot change in place: create a new task", f.field, id)}
		}
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
	case spec.DesiredStatus == api.DesiredRunning && (old.DesiredStatus != spec.DesiredStatus || restartable(t.State.Status)):
		// A task that should run but failed or was stopped runs again from its checkpoints:
		// the update Terraform plans for it after such drift.
		t, err = s.sched.Start(id)
	}
	return http.StatusOK, t, err
}

// restartable reports whether a task in status, which should be running, is started again
// by an update: it failed, or it stopped.
func restartable(status api.Status) bool {
	switch status {
	case api.StatusFailed, api.StatusPrecheckFailed, api.StatusStopped:
		return true
	}
	return false
}

func objectsEqual(a, b []api.Object) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
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
