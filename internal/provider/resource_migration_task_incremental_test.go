package provider

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/runnertest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

// Full + incremental through Terraform: the task runs and follows the source; a stop, a
// failure and a delete outside Terraform each show as a change on the next plan, which
// apply repairs; the in-place updates apply to the running task; and desired_status =
// "stopped" is the cut-over, after which the destination equals the source. The runner's
// retry minutes last 100 ms, so that a stopped source fails the task within seconds.
func TestAccMigrationTask_incrementalDriftAndCutOver(t *testing.T) {
	// Own servers: the source is stopped and started again.
	e := newAccEnvOwnServers(t, runnertest.Options{Args: []string{"--retry-time-unit", "100ms"}})
	e.src.Exec(t, "CREATE DATABASE crm",
		"CREATE TABLE crm.contacts (id INT PRIMARY KEY, email VARCHAR(80) NOT NULL, score INT)",
		"INSERT INTO crm.contacts SELECT seq, CONCAT('c', seq, '@example.com'), seq % 100 FROM crm.seq_1_to_3000")
	ctx := context.Background()
	taskAddr := "adbmigrate_migration_task.crm"
	sales := `
  object {
    database = "sales"
    table {
      name  = "deals"
      where = "amount > 10"
    }
  }`
	configWith := func(extra, objects string) string {
		return e.connectionsHCL() + fmt.Sprintf(`
resource "adbmigrate_migration_task" "crm" {
  name                              = "crm"
  source_connection_id              = adbmigrate_connection.source.id
  destination_connection_id         = adbmigrate_connection.destination.id
  migration_types                   = ["schema", "full", "incremental"]
  conflict_handling                 = "ignore_errors_and_proceed"
  retry_time_for_failed_connections = 10
  retry_time_for_other_issues       = 1
  %s
  object {
    database = "crm"
  }%s
}
`, extra, objects)
	}
	config := func(extra string) string { return configWith(extra, "") }
	renamed := func(extra, name string) string {
		return strings.Replace(config(extra), `name                              = "crm"`, fmt.Sprintf("name = %q", name), 1)
	}
	same := e.eventually(e.sameRows(t, "SELECT * FROM crm.contacts ORDER BY id", "SELECT * FROM crm.contacts ORDER BY id"))
	var taskID string
	saveID := func(s *terraform.State) error {
		taskID = s.RootModule().Resources[taskAddr].Primary.ID
		return nil
	}
	write := func(stmts ...string) func(*terraform.State) error {
		return func(*terraform.State) error {
			e.src.Exec(t, stmts...)
			return nil
		}
	}
	running := []statecheck.StateCheck{statecheck.ExpectKnownValue(taskAddr, tfjsonpath.New("status"), knownvalue.StringExact(string(api.StatusRunning)))}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Factories,
		Steps: []resource.TestStep{
			{
				Config:            config(""),
				ConfigStateChecks: running,
				Check: resource.ComposeTestCheckFunc(saveID, write(
					"UPDATE crm.contacts SET score = score + 1000 WHERE id % 7 = 0",
					"DELETE FROM crm.contacts WHERE id > 2900",
					"INSERT INTO crm.contacts VALUES (5001, 'new@example.com', 1)",
				), same),
			},
			{
				// Stopped outside Terraform: the plan sets desired_status back, apply starts it.
				PreConfig: func() {
					if _, err := e.runner.Client.StopTask(ctx, taskID); err != nil {
						t.Fatal(err)
					}
					e.src.Exec(t, "UPDATE crm.contacts SET email = 'while-stopped@example.com' WHERE id = 10")
				},
				Config: config(""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(taskAddr, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: running,
				Check:             same,
			},
			{
				// Failed outside Terraform (its source was down longer than its retry window):
				// the plan shows an update, and apply starts it again from its checkpoint.
				PreConfig: func() {
					e.src.Stop(t)
					e.runner.WaitStatus(t, taskID, time.Minute, api.StatusFailed)
					e.src.Start(t)
					e.src.Exec(t, "UPDATE crm.contacts SET score = -1 WHERE id BETWEEN 100 AND 120")
				},
				Config: config(""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(taskAddr, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: running,
				Check:             same,
			},
			{
				// Every in-place update at once, on the running task: name, environment_tag,
				// throttling and monitoring (desired_status is the cut-over below).
				Config: renamed(`environment_tag = "staging"
  incremental_throttling {
    rps = 100000
  }
  monitoring {
    on_failure                = true
    latency_threshold_seconds = 60
  }`, "crm-renamed"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(taskAddr, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: append(running,
					statecheck.ExpectKnownValue(taskAddr, tfjsonpath.New("id"), knownvalue.StringFunc(func(id string) error {
						if id != taskID {
							return fmt.Errorf("task id changed from %s to %s: the update replaced the task", taskID, id)
						}
						return nil
					})),
					statecheck.ExpectKnownValue(taskAddr, tfjsonpath.New("incremental_throttling").AtMapKey("rps"), knownvalue.Int64Exact(100000)),
					statecheck.ExpectKnownValue(taskAddr, tfjsonpath.New("name"), knownvalue.StringExact("crm-renamed")),
					statecheck.ExpectKnownValue(taskAddr, tfjsonpath.New("environment_tag"), knownvalue.StringExact("staging")),
				),
				Check: resource.ComposeTestCheckFunc(write("DELETE FROM crm.contacts WHERE id % 13 = 0"), same),
			},
			{
				// A table added to the running task is copied and then followed, in place.
				PreConfig: func() {
					e.src.Exec(t, "CREATE DATABASE sales", "CREATE TABLE sales.deals (id INT PRIMARY KEY, amount INT, note VARCHAR(20))",
						"INSERT INTO sales.deals SELECT seq, seq % 50, 'deal' FROM sales.seq_1_to_2000",
						"UPDATE crm.contacts SET score = 0 WHERE id = 1")
				},
				Config: configWith("", sales),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(taskAddr, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: running,
				Check: resource.ComposeTestCheckFunc(
					write("UPDATE sales.deals SET amount = amount + 5 WHERE id % 3 = 0", "DELETE FROM sales.deals WHERE id % 10 = 1",
						"INSERT INTO crm.contacts VALUES (7001, 'after-add@example.com', 3)"),
					e.eventually(e.sameRows(t, "SELECT * FROM sales.deals WHERE amount > 10 ORDER BY id", "SELECT * FROM sales.deals ORDER BY id")),
					same,
				),
			},
			{
				// Removing it is no in-place change: the task is replaced.
				Config: config(""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(taskAddr, plancheck.ResourceActionDestroyBeforeCreate)},
				},
				ConfigStateChecks: running,
				Check:             resource.ComposeTestCheckFunc(saveID, same),
			},
			{
				// Deleted outside Terraform: the plan creates it again.
				PreConfig: func() {
					if err := e.runner.Client.DeleteTask(ctx, taskID); err != nil {
						t.Fatal(err)
					}
					e.src.Exec(t, "INSERT INTO crm.contacts VALUES (6001, 'after-delete@example.com', 2)")
				},
				Config: config(""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(taskAddr, plancheck.ResourceActionCreate)},
				},
				ConfigStateChecks: running,
				Check:             resource.ComposeTestCheckFunc(saveID, same),
			},
			{
				// The cut-over: stopping drains to the source's position.
				PreConfig: func() { e.src.Exec(t, "UPDATE crm.contacts SET score = 7 WHERE id <= 50") },
				Config:    config(`desired_status = "stopped"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(taskAddr, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(taskAddr, tfjsonpath.New("status"), knownvalue.StringExact(string(api.StatusStopped))),
				},
				Check: func(*terraform.State) error {
					return e.sameRows(t, "SELECT * FROM crm.contacts ORDER BY id", "SELECT * FROM crm.contacts ORDER BY id")()
				},
			},
		},
	})
}
