package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/runnertest"
)

func seedAccData(t *testing.T, e *accEnv) {
	e.src.Exec(t,
		"CREATE DATABASE shop",
		"CREATE TABLE shop.customers (id INT PRIMARY KEY, name VARCHAR(100) NOT NULL, city VARCHAR(50))",
		"CREATE TABLE shop.orders (id BIGINT PRIMARY KEY, customer_id INT NOT NULL, total DECIMAL(10,2), "+
			"FOREIGN KEY (customer_id) REFERENCES shop.customers (id))",
		"INSERT INTO shop.customers SELECT seq, CONCAT('customer ', seq), ELT(1 + seq % 3, 'Hangzhou', 'Zürich', NULL) FROM shop.seq_1_to_1500",
		"INSERT INTO shop.orders SELECT seq, 1 + seq % 1500, seq * 1.25 FROM shop.seq_1_to_4200",
		"CREATE DATABASE crm",
		"CREATE TABLE crm.leads (id INT PRIMARY KEY, email VARCHAR(100))",
		"CREATE TABLE crm.ignored (id INT PRIMARY KEY)",
		"INSERT INTO crm.leads SELECT seq, CONCAT('lead', seq, '@example.com') FROM crm.seq_1_to_300",
		"INSERT INTO crm.ignored VALUES (1)",
	)
}

func (e *accEnv) fullTaskHCL() string {
	return e.connectionsHCL() + `
resource "adbmigrate_migration_task" "full" {
  name                      = "acc-full"
  source_connection_id      = adbmigrate_connection.source.id
  destination_connection_id = adbmigrate_connection.destination.id
  migration_types           = ["schema", "full"]

  object {
    database  = "shop"
    rename_to = "shop_copy"
  }

  object {
    database = "crm"
    table {
      name      = "leads"
      rename_to = "prospects"
    }
  }
}
`
}

func TestAccMigrationTask_fullOnly(t *testing.T) {
	e := newAccEnv(t)
	seedAccData(t, e)
	task := "adbmigrate_migration_task.full"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Factories,
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		Steps: []resource.TestStep{
			{
				Config: e.fullTaskHCL(),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(task, tfjsonpath.New("status"), knownvalue.StringExact("Completed")),
					statecheck.ExpectKnownValue(task, tfjsonpath.New("rows_migrated"), knownvalue.Int64Exact(1500+4200+300)),
					statecheck.ExpectKnownValue(task, tfjsonpath.New("progress_percent"), knownvalue.Float64Exact(100)),
					statecheck.ExpectKnownValue(task, tfjsonpath.New("binlog_file"), knownvalue.StringRegexp(regexp.MustCompile(`^mysql-bin\.\d+$`))),
					statecheck.ExpectKnownValue(task, tfjsonpath.New("gtid_set"), knownvalue.StringRegexp(regexp.MustCompile(`^\d+-\d+-\d+`))),
					statecheck.ExpectKnownValue("adbmigrate_connection.source", tfjsonpath.New("password_wo"), knownvalue.Null()),
					statecheck.ExpectKnownValue("adbmigrate_connection.source", tfjsonpath.New("binlog_format"), knownvalue.StringExact("ROW")),
					statecheck.ExpectKnownValue("adbmigrate_connection.source", tfjsonpath.New("flavor"), knownvalue.StringExact("mariadb")),
					statecheck.ExpectKnownValue("adbmigrate_connection.destination", tfjsonpath.New("binlog_enabled"), knownvalue.Bool(false)),
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttrSet(task, "binlog_position"),
					checkNoValue(e.src.Password),
					func(*terraform.State) error {
						return e.sameRows(t, "SELECT * FROM shop.customers ORDER BY id", "SELECT * FROM shop_copy.customers ORDER BY id")()
					},
					func(*terraform.State) error {
						return e.sameRows(t, "SELECT * FROM shop.orders ORDER BY id", "SELECT * FROM shop_copy.orders ORDER BY id")()
					},
					func(*terraform.State) error {
						return e.sameRows(t, "SELECT * FROM crm.leads ORDER BY id", "SELECT * FROM crm.prospects ORDER BY id")()
					},
					e.checkTableAbsent(t, "crm", "ignored"),
				),
			},
			{
				// A plan right after apply is empty.
				Config: e.fullTaskHCL(),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				ResourceName:      task,
				ImportState:       true,
				ImportStateVerify: true,
			},
			{
				ResourceName:            "adbmigrate_connection.destination",
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"password"},
			},
			{
				// The runner restarts with the same data dir: nothing drifts.
				PreConfig: func() {
					e.runner.Stop(t)
					e.runner.Start(t)
				},
				Config: e.fullTaskHCL(),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
	// The write-only password must not be in the runner's store either.
	store, err := os.ReadFile(filepath.Join(e.runner.DataDir, "runner.db"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(store), e.src.Password) || strings.Contains(string(store), e.dst.Password) {
		t.Error("the runner's store file holds a database password in clear")
	}
}

func (e *accEnv) checkTableAbsent(t *testing.T, db, table string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		var n int
		if err := e.dst.DB(t, "").QueryRow("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", db, table).Scan(&n); err != nil {
			return err
		}
		if n != 0 {
			return fmt.Errorf("%s.%s was not selected but exists on the destination", db, table)
		}
		return nil
	}
}

// checkNoValue fails when any attribute of any resource in state holds secret.
func checkNoValue(secret string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		for name, rs := range s.RootModule().Resources {
			for k, v := range rs.Primary.Attributes {
				if strings.Contains(v, secret) {
					return fmt.Errorf("state of %s holds the write-only password in %s", name, k)
				}
			}
		}
		return nil
	}
}

func TestAccConnection_wrongPassword(t *testing.T) {
	e := newAccEnv(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Factories,
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
resource "adbmigrate_connection" "bad" {
  name          = "bad"
  database_type = "mariadb"
  host          = %q
  port          = %d
  username      = %q
  password      = "not-the-password"
}
`, e.src.Host, e.src.Port, e.src.User),
			ExpectError: regexp.MustCompile(`(?s)Connection Test Failed.*authentication failed.*check\s+username\s+and\s+password`),
		}},
	})
}

// Each refresh tests a connection again: a password changed on the server shows as an update
// on the next plan, with the cause; binlog settings changed on the server read back; and
// apply with the new password makes the connection work again.
func TestAccConnection_drift(t *testing.T) {
	// Own servers: the source's binlog_row_image and the user's password are changed.
	e := newAccEnvOwnServers(t, runnertest.Options{})
	src := "adbmigrate_connection.source"
	before := e.connectionsHCL()
	after := strings.Replace(strings.Replace(before, fmt.Sprintf("password_wo         = %q", e.src.Password), `password_wo         = "Changed-0n-the-server"`, 1),
		"password_wo_version = 1", "password_wo_version = 2", 1)
	if after == before {
		t.Fatal("the test could not change the password in the configuration")
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Factories,
		Steps: []resource.TestStep{
			{
				Config: before,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(src, tfjsonpath.New("connectivity"), knownvalue.StringExact("ok")),
					statecheck.ExpectKnownValue(src, tfjsonpath.New("binlog_row_image"), knownvalue.StringExact("FULL")),
				},
			},
			{
				PreConfig: func() {
					e.src.Exec(t, "SET GLOBAL binlog_row_image = 'MINIMAL'", "SET PASSWORD = PASSWORD('Changed-0n-the-server')")
					e.src.Password = "Changed-0n-the-server"
				},
				Config:             before,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				Config:      before,
				ExpectError: regexp.MustCompile(`(?s)Connection Test Failed.*authentication failed`),
			},
			{
				Config: after,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(src, tfjsonpath.New("connectivity"), knownvalue.StringExact("ok")),
					statecheck.ExpectKnownValue(src, tfjsonpath.New("binlog_row_image"), knownvalue.StringExact("MINIMAL")),
				},
			},
		},
	})
}
