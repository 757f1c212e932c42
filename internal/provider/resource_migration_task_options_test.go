package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

func (e *accEnv) inventoryHCL(extra string) string {
	return e.connectionsHCL() + fmt.Sprintf(`
resource "adbmigrate_migration_task" "inv" {
  name                      = "acc-precheck"
  source_connection_id      = adbmigrate_connection.source.id
  destination_connection_id = adbmigrate_connection.destination.id
  migration_types           = ["schema", "full"]
  %s

  object {
    database = "inv"
  }
}
`, extra)
}

// A table without a key, selected through its database, raises the primary_key alert: apply
// fails with a diagnostic naming it and its remedy, until the alert is accepted.
func TestAccMigrationTask_precheckAlert(t *testing.T) {
	e := newAccEnv(t)
	e.src.Exec(t, "CREATE DATABASE inv",
		"CREATE TABLE inv.items (id INT PRIMARY KEY, name VARCHAR(40))",
		"CREATE TABLE inv.notes (at DATETIME, body TEXT)",
		"INSERT INTO inv.items SELECT seq, CONCAT('item ', seq) FROM inv.seq_1_to_500",
		"INSERT INTO inv.notes SELECT '2025-03-01' + INTERVAL seq HOUR, REPEAT('n', seq % 9) FROM inv.seq_1_to_120")
	task := "adbmigrate_migration_task.inv"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Factories,
		Steps: []resource.TestStep{
			{
				Config:      e.inventoryHCL(""),
				ExpectError: regexp.MustCompile(`(?s)Precheck Alert: primary_key.*inv\.notes.*Remedy:.*ignore_precheck_alerts`),
			},
			{
				// The failed task is tainted: accepting the alert replaces it with one that runs.
				Config: e.inventoryHCL(`ignore_precheck_alerts = ["primary_key"]
  full_throttling {
    rps = 100000
  }`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(task, plancheck.ResourceActionReplace)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(task, tfjsonpath.New("status"), knownvalue.StringExact("Completed")),
					statecheck.ExpectKnownValue(task, tfjsonpath.New("rows_migrated"), knownvalue.Int64Exact(620)),
					statecheck.ExpectKnownValue(task, tfjsonpath.New("precheck").AtSliceIndex(0).AtMapKey("status"), knownvalue.StringExact("passed")),
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					func(*terraform.State) error {
						return e.sameRows(t, "SELECT * FROM inv.items ORDER BY id", "SELECT * FROM inv.items ORDER BY id")()
					},
					func(*terraform.State) error {
						return e.sameRows(t, "SELECT at, body FROM inv.notes ORDER BY at", "SELECT at, body FROM inv.notes ORDER BY at")()
					},
				),
			},
			{
				// Throttling changes in place.
				Config: e.inventoryHCL(`ignore_precheck_alerts = ["primary_key"]
  full_throttling {
    rps  = 5000
    mbps = 8
  }`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(task, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(task, tfjsonpath.New("full_throttling").AtMapKey("rps"), knownvalue.Int64Exact(5000)),
					statecheck.ExpectKnownValue(task, tfjsonpath.New("status"), knownvalue.StringExact("Completed")),
				},
			},
		},
	})
}

// Object selection: a where filter, a column subset and column renames reach the
// destination exactly as the equivalent query on the source says.
func TestAccMigrationTask_objectOptions(t *testing.T) {
	e := newAccEnv(t)
	e.src.Exec(t, "CREATE DATABASE hr",
		"CREATE TABLE hr.staff (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, dept VARCHAR(10), salary DECIMAL(10,2), active BOOL NOT NULL)",
		"INSERT INTO hr.staff SELECT seq, CONCAT('person ', seq), ELT(1 + seq % 3, 'ops', 'dev', 'sales'), seq * 100.5, seq % 4 <> 0 FROM hr.seq_1_to_900")
	cfg := e.connectionsHCL() + `
resource "adbmigrate_migration_task" "hr" {
  source_connection_id      = adbmigrate_connection.source.id
  destination_connection_id = adbmigrate_connection.destination.id
  migration_types           = ["schema", "full"]
  instance_class            = "small"

  data_verification {
    mode = "full"
  }

  object {
    database  = "hr"
    rename_to = "people"

    table {
      name      = "staff"
      rename_to = "employees"
      where     = "active AND dept IN ('dev', 'ops')"
      columns   = ["id", "name", "dept"]

      column {
        name      = "name"
        rename_to = "full_name"
      }
    }
  }
}
`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Factories,
		Steps: []resource.TestStep{{
			Config: cfg,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("adbmigrate_migration_task.hr", tfjsonpath.New("status"), knownvalue.StringExact("Completed")),
				statecheck.ExpectKnownValue("adbmigrate_migration_task.hr", tfjsonpath.New("table_progress").AtSliceIndex(0).AtMapKey("done"), knownvalue.Bool(true)),
				// Verification compares through the filter, the column subset and the renames.
				statecheck.ExpectKnownValue("adbmigrate_migration_task.hr", tfjsonpath.New("verification").AtMapKey("status"), knownvalue.StringExact("passed")),
				statecheck.ExpectKnownValue("adbmigrate_migration_task.hr", tfjsonpath.New("verification").AtMapKey("rows_checked"), knownvalue.Int64Exact(450)),
				statecheck.ExpectKnownValue("adbmigrate_migration_task.hr", tfjsonpath.New("verification").AtMapKey("mismatches"), knownvalue.Int64Exact(0)),
			},
			Check: func(*terraform.State) error {
				return e.sameRows(t, "SELECT id, name, dept FROM hr.staff WHERE active AND dept IN ('dev', 'ops') ORDER BY id",
					"SELECT id, full_name, dept FROM people.employees ORDER BY id")()
			},
		}},
	})
}

// An etl block filters rows and computes columns through terraform: the destination holds
// what SQL on the source computes for the same transformation, and the next plan is empty.
func TestAccMigrationTask_etl(t *testing.T) {
	e := newAccEnv(t)
	e.src.Exec(t, "CREATE DATABASE hr",
		"CREATE TABLE hr.staff (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, dept VARCHAR(10), salary DECIMAL(10,2), active BOOL NOT NULL)",
		"INSERT INTO hr.staff SELECT seq, CONCAT('Person ', seq), ELT(1 + seq % 3, 'ops', 'dev', 'sales'), seq * 100.5, seq % 4 <> 0 FROM hr.seq_1_to_900")
	cfg := e.connectionsHCL() + `
resource "adbmigrate_migration_task" "hr" {
  source_connection_id      = adbmigrate_connection.source.id
  destination_connection_id = adbmigrate_connection.destination.id
  migration_types           = ["schema", "full"]

  data_verification {
    mode = "full"
  }

  object {
    database  = "hr"
    rename_to = "people"

    table {
      name = "staff"

      etl {
        filter = "row.active != 0 && row.salary > 20000"
        set = {
          name       = "row.name.upperAscii()"
          monthly    = "round(row.salary * decimal(\"0.0833\"), 2)"
          department = "has(row.dept) ? row.dept : \"none\""
        }
        drop_columns = ["dept", "active"]
      }
    }
  }
}
`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Factories,
		Steps: []resource.TestStep{{
			Config: cfg,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("adbmigrate_migration_task.hr", tfjsonpath.New("status"), knownvalue.StringExact("Completed")),
				statecheck.ExpectKnownValue("adbmigrate_migration_task.hr", tfjsonpath.New("object").AtSliceIndex(0).AtMapKey("table").AtSliceIndex(0).
					AtMapKey("etl").AtSliceIndex(0).AtMapKey("drop_columns"), knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("dept"), knownvalue.StringExact("active")})),
				// The etl table is verified against the rows the runner computes: every row the filter keeps, none differing.
				statecheck.ExpectKnownValue("adbmigrate_migration_task.hr", tfjsonpath.New("verification").AtMapKey("status"), knownvalue.StringExact("passed")),
				statecheck.ExpectKnownValue("adbmigrate_migration_task.hr", tfjsonpath.New("verification").AtMapKey("mismatches"), knownvalue.Int64Exact(0)),
				statecheck.ExpectKnownValue("adbmigrate_migration_task.hr", tfjsonpath.New("verification").AtMapKey("rows_checked"), knownvalue.Int64Exact(525)),
				statecheck.ExpectKnownValue("adbmigrate_migration_task.hr", tfjsonpath.New("verification").AtMapKey("unverified"), knownvalue.ListExact(nil)),
			},
			Check: func(*terraform.State) error {
				return e.sameRows(t, "SELECT id, UPPER(name), salary, CAST(ROUND(salary * 0.0833, 2) AS DECIMAL(20,2)), IFNULL(dept, 'none') FROM hr.staff WHERE active AND salary > 20000 ORDER BY id",
					"SELECT id, name, salary, CAST(monthly AS DECIMAL(20,2)), department FROM people.staff ORDER BY id")()
			},
		}},
	})
}

// A nullable column transformed the way users write it, `row.c == null ? null :
// f(row.c)`, through the full load and incremental migration, with rows moving between
// NULL and a value: the destination equals SQL on the source, where LOWER(NULL) is NULL.
func TestAccMigrationTask_etlNullSafe(t *testing.T) {
	e := newAccEnv(t)
	e.src.Exec(t, "CREATE DATABASE crm",
		"CREATE TABLE crm.contacts (id INT PRIMARY KEY, email VARCHAR(80), score INT)",
		"INSERT INTO crm.contacts SELECT seq, IF(seq % 3 = 0, NULL, CONCAT('C', seq, '@Example.COM')), IF(seq % 5 = 0, NULL, seq % 100) FROM crm.seq_1_to_1500")
	cfg := e.connectionsHCL() + `
resource "adbmigrate_migration_task" "crm" {
  source_connection_id      = adbmigrate_connection.source.id
  destination_connection_id = adbmigrate_connection.destination.id
  migration_types           = ["schema", "full", "incremental"]

  object {
    database  = "crm"
    rename_to = "crm_etl"

    table {
      name = "contacts"

      etl {
        filter = "row.score == null ? null : row.score < 90"
        set = {
          email = "row.email == null ? null : row.email.lowerAscii()"
          bonus = "has(row.score) ? row.score * 10 : null"
        }
      }
    }
  }
}
`
	same := e.eventually(e.sameRows(t, "SELECT id, LOWER(email), score, score * 10 FROM crm.contacts WHERE score < 90 ORDER BY id",
		"SELECT id, email, score, bonus FROM crm_etl.contacts ORDER BY id"))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Factories,
		Steps: []resource.TestStep{{
			Config: cfg,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("adbmigrate_migration_task.crm", tfjsonpath.New("status"), knownvalue.StringExact("Running")),
			},
			Check: resource.ComposeTestCheckFunc(same, func(*terraform.State) error {
				e.src.Exec(t,
					"UPDATE crm.contacts SET email = NULL WHERE id % 4 = 1",                         // value -> NULL
					"UPDATE crm.contacts SET email = CONCAT('Back', id, '@X.ORG') WHERE id % 6 = 3", // NULL -> value
					"UPDATE crm.contacts SET score = NULL WHERE id % 7 = 2",                         // out of the filter
					"UPDATE crm.contacts SET score = 50 WHERE score IS NULL AND id % 2 = 0",         // into it
					"INSERT INTO crm.contacts VALUES (9001, NULL, 1), (9002, 'New@One.IO', NULL), (9003, 'UP@X.IO', 2)")
				return nil
			}, same),
		}},
	})
}
