package server

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/store"
)

// Every bad task field is refused with 400 naming the field; validation needs only the
// store, for the connection ids.
func TestValidateTaskNamesTheField(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "runner.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for _, id := range []string{"conn-a", "conn-b"} {
		if err := st.PutConnection(store.Connection{Connection: api.Connection{ID: id}}); err != nil {
			t.Fatal(err)
		}
	}
	s := &Server{store: st}
	valid := func() api.TaskSpec {
		return api.TaskSpec{
			SourceConnectionID: "conn-a", DestinationConnectionID: "conn-b",
			MigrationTypes: []api.MigrationType{api.MigrationSchema, api.MigrationFull},
			Objects:        []api.Object{{Database: "shop", Tables: []api.Table{{Name: "orders"}}}},
		}
	}
	if err := s.validateTask(valid()); err != nil {
		t.Fatalf("a valid task is refused: %v", err)
	}
	withAll := valid()
	// Operations and incremental_throttling need incremental migration.
	withAll.MigrationTypes = append(withAll.MigrationTypes, api.MigrationIncremental)
	withAll.DMLOperations, withAll.DDLOperations = []api.Operation{"insert", "delete"}, api.DDLOperations
	withAll.IncrementalThrottling = &api.Throttling{RPS: 10, MBPS: 1.5}
	withAll.RetryTimeForFailedConnections, withAll.RetryTimeForOtherIssues = 30, 29
	withAll.EnvironmentTag = "staging"
	withAll.Monitoring = &api.Monitoring{OnFailure: true, LatencyThresholdSeconds: 60, WebhookURL: "https://hooks.example.com/x"}
	withAll.DataVerification = &api.DataVerification{Mode: api.VerifySampled, SamplePercent: 10, Repair: true}
	withAll.Objects[0].Tables[0].DMLOperations = []api.Operation{"update"}
	if err := s.validateTask(withAll); err != nil {
		t.Fatalf("a valid task with every option is refused: %v", err)
	}

	for _, c := range []struct {
		field  string
		status int
		change func(*api.TaskSpec)
	}{
		{"dml_operations", 400, func(t *api.TaskSpec) { t.DMLOperations = []api.Operation{"truncate"} }},
		{"dml_operations", 400, func(t *api.TaskSpec) { t.DMLOperations = []api.Operation{"insert", "insert"} }},
		{"ddl_operations", 400, func(t *api.TaskSpec) { t.DDLOperations = []api.Operation{"rename_database"} }},
		{"objects[0].tables[0].ddl_operations", 400, func(t *api.TaskSpec) { t.Objects[0].Tables[0].DDLOperations = []api.Operation{"insert"} }},
		{"objects[0].tables[0].dml_operations", 400, func(t *api.TaskSpec) { t.Objects[0].Tables[0].DMLOperations = []api.Operation{"drop_column"} }},
		{"incremental_throttling.source_qps", 400, func(t *api.TaskSpec) { t.IncrementalThrottling = &api.Throttling{SourceQPS: 5} }},
		{"incremental_throttling", 400, func(t *api.TaskSpec) { t.IncrementalThrottling = &api.Throttling{RPS: -1} }},
		{"retry_time_for_failed_connections", 400, func(t *api.TaskSpec) { t.RetryTimeForFailedConnections = 9 }},
		{"retry_time_for_failed_connections", 400, func(t *api.TaskSpec) { t.RetryTimeForFailedConnections = 1441 }},
		{"retry_time_for_other_issues", 400, func(t *api.TaskSpec) { t.RetryTimeForOtherIssues = -1 }},
		{"retry_time_for_other_issues", 400, func(t *api.TaskSpec) { t.RetryTimeForOtherIssues = 720 }},
		{"retry_time_for_other_issues", 400, func(t *api.TaskSpec) {
			t.RetryTimeForFailedConnections, t.RetryTimeForOtherIssues = 10, 10
		}},
		{"monitoring.latency_threshold_seconds", 400, func(t *api.TaskSpec) { t.Monitoring = &api.Monitoring{LatencyThresholdSeconds: -5} }},
		{"monitoring.webhook_url", 400, func(t *api.TaskSpec) { t.Monitoring = &api.Monitoring{WebhookURL: "ftp://example.com"} }},
		{"monitoring.webhook_url", 400, func(t *api.TaskSpec) { t.Monitoring = &api.Monitoring{WebhookURL: "not a url"} }},
		{"data_verification.mode", 400, func(t *api.TaskSpec) { t.DataVerification = &api.DataVerification{Mode: "some"} }},
		{"data_verification.sample_percent", 400, func(t *api.TaskSpec) {
			t.DataVerification = &api.DataVerification{Mode: api.VerifySampled, SamplePercent: 101}
		}},
		{"data_verification.sample_percent", 400, func(t *api.TaskSpec) {
			t.DataVerification = &api.DataVerification{Mode: api.VerifyFull, SamplePercent: 10}
		}},
		{"data_verification.repair", 400, func(t *api.TaskSpec) { t.DataVerification = &api.DataVerification{Repair: true} }},
		{"dml_operations", 400, func(t *api.TaskSpec) {
			t.MigrationTypes = append(t.MigrationTypes, api.MigrationIncremental)
			t.DMLOperations = []api.Operation{"upsert"}
		}},
		// Settings of a migration type the task does not have.
		{"ddl_operations", 400, func(t *api.TaskSpec) { t.DDLOperations = []api.Operation{api.DDLModifyColumn} }},
		{"objects[0].tables[0].dml_operations", 400, func(t *api.TaskSpec) { t.Objects[0].Tables[0].DMLOperations = []api.Operation{"insert"} }},
		{"full_throttling", 400, func(t *api.TaskSpec) {
			t.MigrationTypes = []api.MigrationType{api.MigrationIncremental}
			t.FullThrottling = &api.Throttling{RPS: 10}
		}},
		{"objects[0].tables[0].primary_key", 400, func(t *api.TaskSpec) {
			t.Objects[0].Tables[0].PrimaryKey, t.Objects[0].Tables[0].DistributionKey = []string{"id", "day"}, []string{"customer_id"}
		}},
	} {
		spec := valid()
		c.change(&spec)
		err := s.validateTask(spec)
		var ae *apiError
		if !errors.As(err, &ae) || ae.field != c.field || ae.status != c.status || ae.msg == "" {
			t.Errorf("%s: got %v (%+v), want status %d naming the field", c.field, err, ae, c.status)
		}
	}
}
