package provider

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/adbfront"
)

// adbTaskHCL is the adb-destination-fields example (examples/scenarios/adb-destination-fields)
// on this test's servers: a MariaDB source, and an adb_mysql3 destination reached through the
// emulated AnalyticDB at host:port, with the destination fields of a fact and a dimension
// table.
func (e *accEnv) adbTaskHCL(host string, port int, ignore string) string {
	return fmt.Sprintf(`
resource "adbmigrate_connection" "source" {
  name                = "source"
  database_type       = "mariadb"
  host                = %q
  port                = %d
  username            = %q
  password_wo         = %q
  password_wo_version = 1
}

resource "adbmigrate_connection" "destination" {
  name          = "adb"
  database_type = "adb_mysql3"
  host          = %q
  port          = %d
  username      = %q
  password      = %q
}

resource "adbmigrate_migration_task" "dw" {
  name                      = "dw-relayout"
  source_connection_id      = adbmigrate_connection.source.id
  destination_connection_id = adbmigrate_connection.destination.id
  migration_types           = ["schema", "full"]
  ignore_precheck_alerts    = [%s]

  object {
    database = "dw"

    table {
      name                = "orders"
      table_type          = "fact"
      primary_key         = ["order_id", "customer_id", "order_date"]
      distribution_key    = ["customer_id"]
      partition_key       = "order_date"
      partition_rule      = "day"
      partition_lifecycle = 365
    }

    table {
      name        = "regions"
      table_type  = "dimension"
      primary_key = ["region_id"]
    }
  }
}
`, e.src.Host, e.src.Port, e.src.User, e.src.Password, host, port, e.dst.User, e.dst.Password, ignore)
}

// TestAccMigrationTask_adbDestination runs the adb-destination-fields example through
// Terraform into the emulated AnalyticDB in its documented settings (BEGIN and locking reads
// refused: the task writes directly): a MariaDB source with the type kinds AnalyticDB maps
// (unsigned integers, TEXT, BLOB, YEAR, DATETIME(6)). The first apply stops at the precheck,
// which names the values AnalyticDB keeps only in part; once they are accepted the task
// completes, the tables show AnalyticDB's layout through the front, and the rows, compared
// directly on the emulator's MariaDB, are the source's.
func TestAccMigrationTask_adbDestination(t *testing.T) {
	e := newAccEnv(t)
	e.src.Exec(t, "CREATE DATABASE dw",
		"CREATE TABLE dw.orders (order_id BIGINT UNSIGNED NOT NULL, customer_id INT UNSIGNED NOT NULL, order_date DATETIME(6) NOT NULL, "+
			"total DECIMAL(12,2), note TEXT, raw BLOB, yr YEAR, PRIMARY KEY (order_id, customer_id, order_date))",
		"CREATE TABLE dw.regions (region_id SMALLINT UNSIGNED NOT NULL PRIMARY KEY, name VARCHAR(40))",
		"INSERT INTO dw.orders SELECT seq, 1 + seq % 97, '2024-01-01' + INTERVAL seq MINUTE, seq / 4, REPEAT('n', seq % 20), UNHEX(HEX(seq)), 2000 + seq % 30 FROM dw.seq_1_to_3000",
		"INSERT INTO dw.regions VALUES (1, 'north'), (65535, 'südwest')")
	f, err := adbfront.Start(context.Background(), adbfront.Config{Listen: "127.0.0.1:0", Upstream: e.dst.Addr(), AdminDSN: e.dst.DSN(""),
		Switches: adbfront.Switches{}})
	if err != nil {
		t.Fatalf("starting the emulated AnalyticDB: %v", err)
	}
	t.Cleanup(func() { _ = f.Close() })
	host, portText, _ := strings.Cut(f.Addr(), ":")
	var port int
	if _, err := fmt.Sscan(portText, &port); err != nil {
		t.Fatalf("the emulator's address %s: %v", f.Addr(), err)
	}
	base := `"destination_disk_space"`
	task := "adbmigrate_migration_task.dw"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Factories,
		Steps: []resource.TestStep{
			{
				Config:      e.adbTaskHCL(host, port, base),
				ExpectError: regexp.MustCompile(`(?s)destination_value_range.*order_date.*DATETIME\(3\)`),
			},
			{
				Config: e.adbTaskHCL(host, port, base+`, "destination_value_range"`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(task, tfjsonpath.New("status"), knownvalue.StringExact("Completed")),
					statecheck.ExpectKnownValue(task, tfjsonpath.New("rows_migrated"), knownvalue.Int64Exact(3002)),
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					func(*terraform.State) error {
						q := "SELECT order_id, customer_id, CAST(order_date AS DATETIME(6)), total, note, HEX(raw), yr FROM dw.orders ORDER BY order_id"
						return e.sameRows(t, q, q)()
					},
					func(*terraform.State) error {
						return e.sameRows(t, "SELECT * FROM dw.regions ORDER BY region_id", "SELECT * FROM dw.regions ORDER BY region_id")()
					},
					func(*terraform.State) error { return showsLayout(t, e, f.Addr()) },
				),
			},
		},
	})
}

// showsLayout reads the tables' definitions through the front, as an AnalyticDB client would,
// and checks the destination fields of the example.
func showsLayout(t *testing.T, e *accEnv, addr string) error {
	front := frontDB(t, e, addr)
	for table, want := range map[string][]string{
		"orders":  {"DISTRIBUTED BY HASH(`customer_id`)", "PARTITION BY VALUE(DATE_FORMAT(`order_date`, '%Y%m%d'))", "LIFECYCLE 365", "PRIMARY KEY (`order_id`,`customer_id`,`order_date`)"},
		"regions": {"DISTRIBUTED BY BROADCAST"},
	} {
		var name, create string
		if err := front.QueryRow("SHOW CREATE TABLE dw."+table).Scan(&name, &create); err != nil {
			return fmt.Errorf("SHOW CREATE TABLE dw.%s through the emulated AnalyticDB: %w", table, err)
		}
		for _, w := range want {
			if !strings.Contains(create, w) {
				return fmt.Errorf("dw.%s through the emulated AnalyticDB:\n%s\nlacks %s", table, create, w)
			}
		}
	}
	return nil
}

// frontDB opens a pool to the emulated AnalyticDB at addr with the destination's account.
func frontDB(t *testing.T, e *accEnv, addr string) *sql.DB {
	t.Helper()
	cfg, err := mysql.ParseDSN(e.dst.DSN(""))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr = addr
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}
