package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// The adbmigrate_precheck data source runs a would-be task's precheck without creating the
// task or writing anything: it reports a blocking alert, fails `terraform plan` on it unless
// told not to, and passes once the alert is accepted.
func TestAccPrecheckDataSource(t *testing.T) {
	e := newAccEnv(t)
	e.src.Exec(t, "CREATE DATABASE inv",
		"CREATE TABLE inv.items (id INT PRIMARY KEY, name VARCHAR(40))",
		"CREATE TABLE inv.notes (at DATETIME, body TEXT)", // no key: the primary_key alert
		"INSERT INTO inv.items VALUES (1, 'one')")
	check := func(extra string) string {
		return e.connectionsHCL() + fmt.Sprintf(`
data "adbmigrate_precheck" "inv" {
  source_connection_id      = adbmigrate_connection.source.id
  destination_connection_id = adbmigrate_connection.destination.id
  migration_types           = ["schema", "full", "incremental"]
  %s
  object {
    database = "inv"
  }
}
`, extra)
	}
	ds := "data.adbmigrate_precheck.inv"
	nothingWritten := func(*terraform.State) error {
		var n int
		err := e.db(t, e.dst).QueryRow("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN ('inv', 'adbmigrate_meta')").Scan(&n)
		if err == nil && n > 0 {
			err = fmt.Errorf("the precheck created %d databases on the destination; it must write nothing", n)
		}
		return err
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Factories,
		Steps: []resource.TestStep{
			{
				Config: check("fail_on_blocking = false"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("passed"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("blocking"), knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("primary_key")})),
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckTypeSetElemNestedAttrs(ds, "items.*", map[string]string{"name": "primary_key", "status": "alert"}),
					resource.TestCheckTypeSetElemNestedAttrs(ds, "items.*", map[string]string{"name": "binlog_format", "status": "passed"}),
					resource.TestMatchTypeSetElemNestedAttrs(ds, "items.*", map[string]*regexp.Regexp{
						"name": regexp.MustCompile(`^primary_key$`), "message": regexp.MustCompile(`inv\.notes`), "remedy": regexp.MustCompile(`.+`),
					}),
					nothingWritten,
				),
			},
			{
				// The connections exist now: the data source is read at plan, and the alert fails it.
				Config:      check(""),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Precheck Alert: primary_key.*inv\.notes.*Remedy:.*ignore_precheck_alerts`),
			},
			{
				// A failed item blocks whatever is ignored.
				Config: strings.Replace(check(`ignore_precheck_alerts = ["primary_key"]`), `database = "inv"`, `database = "inv"
    table {
      name = "missing"
    }`, 1),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Precheck Failed: objects.*missing.*Remedy:`),
			},
			{
				Config: check(`ignore_precheck_alerts = ["primary_key"]`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("passed"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("blocking"), knownvalue.ListSizeExact(0)),
				},
				Check: nothingWritten,
			},
		},
	})
}
