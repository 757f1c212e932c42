package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// metricsTaskHCL is a full-only task of the metrics database; extra goes into the task and
// dataSource after it. The destination connection asks for TLS as tlsMode says.
func (e *accEnv) metricsTaskHCL(tlsMode, extra, dataSource string) string {
	return e.connectionsHCLWith(fmt.Sprintf("\n  tls {\n    mode = %q\n  }", tlsMode)) + fmt.Sprintf(`
resource "adbmigrate_migration_task" "m" {
  source_connection_id      = adbmigrate_connection.source.id
  destination_connection_id = adbmigrate_connection.destination.id
  migration_types           = ["schema", "full"]
  %s

  timeouts {
    create = "2s"
  }

  object {
    database = "metrics"
  }
}
%s`, extra, dataSource)
}

const metricsDataSourceHCL = `
data "adbmigrate_migration_task" "m" {
  id = adbmigrate_migration_task.m.id
}
`

// A connection's TLS mode reaches the runner; apply stops waiting for a task at its timeout
// and leaves it running; the next plan updates it in place (with the new in-place settings)
// and waits again; the data source reads the completed task.
func TestAccMigrationTask_timeoutInPlaceAndDataSource(t *testing.T) {
	e := newAccEnv(t)
	e.src.Exec(t, "CREATE DATABASE metrics",
		"CREATE TABLE metrics.samples (id INT PRIMARY KEY, v DOUBLE NOT NULL)",
		"INSERT INTO metrics.samples SELECT seq, seq / 7 FROM metrics.seq_1_to_400")
	task, data := "adbmigrate_migration_task.m", "data.adbmigrate_migration_task.m"
	throttled := "full_throttling {\n    rps = 40\n  }"
	inPlace := `retry_time_for_failed_connections = 60
  retry_time_for_other_issues       = 15
  environment_tag                   = "staging"
  monitoring {
    latency_threshold_seconds = 30
    webhook_url               = "https://hooks.example.com/adbmigrate"
  }
  data_verification {
    mode = "full"
  }`
	rfc3339 := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Factories,
		Steps: []resource.TestStep{
			{
				// The test servers offer no TLS: required fails, naming the cause.
				Config:      e.metricsTaskHCL("required", throttled, ""),
				ExpectError: regexp.MustCompile(`(?s)Connection Test Failed.*TLS is required but.*does not offer it`),
			},
			{
				// 400 rows at 40 rows/s take 10 s; apply stops waiting after 2 s with a
				// warning, and the plan after it shows the update that waits again.
				Config: e.metricsTaskHCL("preferred", throttled, ""),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(task, tfjsonpath.New("status"),
						knownvalue.StringRegexp(regexp.MustCompile(`^(NotStarted|Prechecking|SchemaMigrating|FullMigrating)$`))),
					statecheck.ExpectKnownValue("adbmigrate_connection.destination", tfjsonpath.New("tls").AtMapKey("mode"), knownvalue.StringExact("preferred")),
					statecheck.ExpectKnownValue(task, tfjsonpath.New("retry_time_for_failed_connections"), knownvalue.Int64Exact(720)),
					statecheck.ExpectKnownValue(task, tfjsonpath.New("dml_operations"), knownvalue.SetSizeExact(3)),
				},
				ExpectNonEmptyPlan: true,
			},
			{
				Config: e.metricsTaskHCL("preferred", inPlace, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(task, plancheck.ResourceActionUpdate),
						plancheck.ExpectUnknownValue(task, tfjsonpath.New("status")),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(task, tfjsonpath.New("status"), knownvalue.StringExact("Completed")),
					statecheck.ExpectKnownValue(task, tfjsonpath.New("rows_migrated"), knownvalue.Int64Exact(400)),
					statecheck.ExpectKnownValue(task, tfjsonpath.New("retry_time_for_other_issues"), knownvalue.Int64Exact(15)),
					statecheck.ExpectKnownValue(task, tfjsonpath.New("environment_tag"), knownvalue.StringExact("staging")),
					statecheck.ExpectKnownValue(task, tfjsonpath.New("monitoring").AtMapKey("on_failure"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(task, tfjsonpath.New("data_verification").AtMapKey("mode"), knownvalue.StringExact("full")),
					statecheck.ExpectKnownValue(task, tfjsonpath.New("full_throttling"), knownvalue.Null()),
					statecheck.ExpectKnownValue(task, tfjsonpath.New("finished_at"), knownvalue.StringRegexp(rfc3339)),
				},
			},
			{
				// Import reads every new argument back as configured.
				ResourceName:            task,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
			{
				Config: e.metricsTaskHCL("preferred", inPlace, metricsDataSourceHCL),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(data, tfjsonpath.New("status"), knownvalue.StringExact("Completed")),
					statecheck.ExpectKnownValue(data, tfjsonpath.New("phase"), knownvalue.StringExact("full")),
					statecheck.ExpectKnownValue(data, tfjsonpath.New("rows_migrated"), knownvalue.Int64Exact(400)),
					statecheck.ExpectKnownValue(data, tfjsonpath.New("progress_percent"), knownvalue.Float64Exact(100)),
					statecheck.ExpectKnownValue(data, tfjsonpath.New("binlog_file"), knownvalue.StringRegexp(regexp.MustCompile(`^mysql-bin\.\d+$`))),
					statecheck.ExpectKnownValue(data, tfjsonpath.New("latency_seconds"), knownvalue.Float64Exact(0)),
					statecheck.ExpectKnownValue(data, tfjsonpath.New("error_message"), knownvalue.StringExact("")),
					statecheck.ExpectKnownValue(data, tfjsonpath.New("precheck").AtSliceIndex(0).AtMapKey("status"), knownvalue.StringExact("passed")),
					statecheck.ExpectKnownValue(data, tfjsonpath.New("verification"), knownvalue.Null()),
					statecheck.ExpectKnownValue(data, tfjsonpath.New("started_at"), knownvalue.StringRegexp(rfc3339)),
					statecheck.CompareValuePairs(data, tfjsonpath.New("binlog_position"), task, tfjsonpath.New("binlog_position"), compare.ValuesSame()),
				},
			},
			{
				// An unknown id is an error naming it.
				Config:      e.metricsTaskHCL("preferred", inPlace, `data "adbmigrate_migration_task" "missing" { id = "task-does-not-exist" }`),
				ExpectError: regexp.MustCompile(`(?s)Migration Task Not Found.*task-does-not-exist`),
			},
		},
	})
}
