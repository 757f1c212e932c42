package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

// schema_objects through Terraform: a full-only task migrates a view, a function and a
// trigger; the trigger, created at the end, is on the renamed table and fires there.
func TestAccMigrationTask_schemaObjects(t *testing.T) {
	e := newAccEnv(t)
	e.src.Exec(t,
		"CREATE DATABASE inv",
		"CREATE TABLE inv.items (id INT PRIMARY KEY, qty INT NOT NULL)",
		"CREATE TABLE inv.audit (id INT AUTO_INCREMENT PRIMARY KEY, item_id INT NOT NULL)",
		"INSERT INTO inv.items SELECT seq, seq % 7 FROM inv.seq_1_to_400",
		"CREATE FUNCTION inv.doubled(x INT) RETURNS INT DETERMINISTIC RETURN 2 * x",
		"CREATE VIEW inv.stock AS SELECT id, inv.doubled(qty) AS qty2 FROM inv.items WHERE qty > 0",
		"CREATE TRIGGER inv.audit_insert AFTER INSERT ON inv.items FOR EACH ROW INSERT INTO inv.audit (item_id) VALUES (NEW.id)",
	)
	config := e.connectionsHCL() + `
resource "adbmigrate_migration_task" "objects" {
  source_connection_id      = adbmigrate_connection.source.id
  destination_connection_id = adbmigrate_connection.destination.id
  migration_types           = ["schema", "full"]
  schema_objects            = ["views", "routines", "triggers"]

  object {
    database  = "inv"
    rename_to = "inv_copy"
    table {
      name      = "items"
      rename_to = "articles"
    }
    table {
      name = "audit"
    }
  }
}
`
	task := "adbmigrate_migration_task.objects"
	count := func(query string, want int) resource.TestCheckFunc {
		return func(*terraform.State) error {
			var n int
			if err := e.dst.DB(t, "").QueryRow(query).Scan(&n); err != nil {
				return err
			}
			if n != want {
				return fmt.Errorf("%s = %d, want %d", query, n, want)
			}
			return nil
		}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Factories,
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(task, tfjsonpath.New("status"), knownvalue.StringExact("Completed")),
					statecheck.ExpectKnownValue(task, tfjsonpath.New("schema_objects_definer"), knownvalue.StringExact("rewrite")),
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					count("SELECT COUNT(*) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = 'inv_copy' AND TABLE_NAME = 'stock'", 1),
					count("SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = 'inv_copy' AND ROUTINE_NAME = 'doubled'", 1),
					count("SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = 'inv_copy' AND EVENT_OBJECT_TABLE = 'articles'", 1),
					func(*terraform.State) error {
						e.dst.Exec(t, "INSERT INTO inv_copy.articles VALUES (1000, 3)")
						return nil
					},
					count("SELECT COUNT(*) FROM inv_copy.audit WHERE item_id = 1000", 1),
					count("SELECT COUNT(*) FROM inv_copy.stock WHERE qty2 = 6", 1+57),
				),
			},
			{
				Config:           config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
		},
	})
}
