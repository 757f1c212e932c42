package provider

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/vocab"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// planTaskHCL is a task with literal connection ids (nothing to create first) and the given
// migration types, top-level arguments and object blocks.
func planTaskHCL(migrationTypes, args, objects string) string {
	if objects == "" {
		objects = `object {
    database = "shop"
  }`
	}
	return fmt.Sprintf(`
resource "adbmigrate_migration_task" "t" {
  source_connection_id      = "conn-source"
  destination_connection_id = "conn-destination"
  migration_types           = %s
  %s

  %s
}
`, migrationTypes, args, objects)
}

func tableHCL(body string) string {
	return fmt.Sprintf(`object {
    database = "shop"
    table {
      name = "orders"
      %s
    }
  }`, body)
}

const (
	fullOnly        = `["schema", "full"]`
	withIncremental = `["schema", "full", "incremental"]`
)

// Every plan-time validation fails terraform plan with an error on the offending attribute,
// before the provider talks to the runner: the endpoint here has nothing listening.
func TestAccMigrationTask_planValidation(t *testing.T) {
	t.Setenv("ADBMIGRATE_ENDPOINT", "http://127.0.0.1:1")
	t.Setenv("ADBMIGRATE_TOKEN", "plan-only")
	caPEM := selfSignedPEM(t)
	step := func(config, expect string) tfresource.TestStep {
		// Terraform wraps the detail: a space in expect matches any white space.
		return tfresource.TestStep{Config: config, PlanOnly: true, ExpectError: regexp.MustCompile(strings.ReplaceAll(expect, " ", `\s+`))}
	}
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: protoV6Factories,
		Steps: []tfresource.TestStep{
			// Ranges and enums.
			step(planTaskHCL(fullOnly, `retry_time_for_failed_connections = 5`, ""), `(?s)retry_time_for_failed_connections.*between 10 and 1440`),
			step(planTaskHCL(fullOnly, `retry_time_for_other_issues = 0`, ""), `(?s)retry_time_for_other_issues.*between 1 and 1440`),
			step(planTaskHCL(withIncremental, `dml_operations = ["insert", "truncate"]`, ""), `(?s)dml_operations.*must be one of`),
			step(planTaskHCL(withIncremental, `ddl_operations = []`, ""), `(?s)ddl_operations.*at least 1`),
			step(planTaskHCL(withIncremental, `ddl_operations = ["add_column", "rename_database"]`, ""), `(?s)ddl_operations.*must be one of`),
			step(planTaskHCL(fullOnly, `environment_tag = ""`, ""), `(?s)environment_tag.*length must be between 1 and 64`),
			step(planTaskHCL(fullOnly, "data_verification {\n    mode = \"some\"\n  }", ""), `(?s)data_verification\.mode.*must be one of`),
			step(planTaskHCL(fullOnly, "data_verification {\n    mode = \"sampled\"\n    sample_percent = 0\n  }", ""), `(?s)sample_percent.*between 1 and 100`),
			step(planTaskHCL(withIncremental, "monitoring {\n    latency_threshold_seconds = 0\n  }", ""), `(?s)latency_threshold_seconds.*at least 1`),
			step(planTaskHCL(fullOnly, "monitoring {\n    webhook_url = \"ftp://hooks.example.com\"\n  }", ""), `(?s)Invalid Webhook URL.*webhook_url = "ftp:`),
			step(planTaskHCL(withIncremental, "incremental_throttling {\n    rps = 0\n  }", ""), `(?s)incremental_throttling\.rps.*at least 1`),
			// Rules across attributes.
			step(planTaskHCL(withIncremental, `merge_tables = true`, ""), `(?s)Merge Tables Needs a Task Without Incremental.*merge_tables`),
			step(planTaskHCL(fullOnly, "retry_time_for_failed_connections = 30\n  retry_time_for_other_issues = 30", ""),
				`(?s)Retry Time for Other Issues Too Long.*retry_time_for_other_issues = 30`),
			step(planTaskHCL(fullOnly, `retry_time_for_other_issues = 720`, ""), `(?s)Retry Time for Other Issues Too Long.*720 minutes \(the default\)`),
			step(planTaskHCL(fullOnly, `dml_operations = ["insert"]`, ""), `(?s)Setting Needs Incremental Migration.*dml_operations`),
			step(planTaskHCL(fullOnly, `ddl_operations = ["add_column"]`, ""), `(?s)Setting Needs Incremental Migration.*ddl_operations`),
			step(planTaskHCL(fullOnly, "", tableHCL(`dml_operations = ["delete"]`)), `(?s)Setting Needs Incremental Migration.*table's dml_operations`),
			step(planTaskHCL(fullOnly, "", tableHCL(`ddl_operations = ["drop_column"]`)), `(?s)Setting Needs Incremental Migration.*table's ddl_operations`),
			step(planTaskHCL(fullOnly, "incremental_throttling {\n    rps = 100\n  }", ""), `(?s)Setting Needs Incremental Migration.*incremental_throttling`),
			step(planTaskHCL(`["schema", "incremental"]`, "full_throttling {\n    rps = 100\n  }", ""), `(?s)Setting Needs Full Migration.*full_throttling`),
			step(planTaskHCL(`["full"]`, `schema_objects = ["views"]`, ""), `(?s)Setting Needs Schema Migration.*schema_objects needs schema migration`),
			step(planTaskHCL(fullOnly, "", "object {\n    database = \"shop\"\n  }\n  object {\n    database = \"shop\"\n  }"),
				`(?s)Database Selected Twice.*"shop".*object blocks 0 and 1`),
			step(planTaskHCL(fullOnly, "", "object {\n    database = \"shop\"\n    table {\n      name = \"orders\"\n    }\n    table {\n      name = \"orders\"\n    }\n  }"),
				`(?s)Table Selected Twice.*"orders" of database "shop"`),
			step(planTaskHCL(fullOnly, "", tableHCL(`primary_key = ["id", "day"]
      distribution_key = ["customer_id"]`)), `(?s)Composite Primary Key Misses Key Columns.*lacks customer_id`),
			step(planTaskHCL(fullOnly, "", tableHCL(`primary_key = ["id", "customer_id"]
      distribution_key = ["CUSTOMER_ID"]
      partition_key = "day"`)), `(?s)Composite Primary Key Misses Key Columns.*lacks day\.`),
			step(planTaskHCL(fullOnly, "", tableHCL(`partition_rule = "month"`)), `(?s)Partition Rule Without Partition Key.*partition_rule`),
			step(planTaskHCL(fullOnly, "", tableHCL(`partition_lifecycle = 30`)), `(?s)Partition Lifecycle Without Partition Key.*partition_lifecycle`),
			step(planTaskHCL(fullOnly, "", tableHCL(`table_type = "dimension"
      distribution_key = ["id"]`)), `(?s)Dimension Table With Distribution Key`),
			step(planTaskHCL(fullOnly, "", tableHCL(`where = "id IN (SELECT id FROM other)"`)), `(?s)Invalid WHERE Filter.*subquer`),
			step(planTaskHCL(fullOnly, "", tableHCL(`where = "id > 1; DROP TABLE orders"`)), `(?s)Invalid WHERE Filter`),
			step(planTaskHCL(fullOnly, "", tableHCL("etl {\n        filter = \"row.status == && 1\"\n      }")), `(?s)Invalid CEL Expression.*at 1:15: Syntax error`),
			step(planTaskHCL(fullOnly, "", tableHCL("etl {\n        set = { email = \"row.email.lowerAscii(\" }\n      }")), `(?s)Invalid CEL Expression.*set = \{ email.*at 1:22: Syntax error`),
			step(planTaskHCL(fullOnly, "", tableHCL("etl {\n        filter = \"true\"\n      }\n      etl {\n        filter = \"false\"\n      }")), `(?s)etl.*at most 1`),
			step(planTaskHCL(fullOnly, `ignore_precheck_alerts = ["primary_key", "primary_keys"]`, ""), `(?s)ignore_precheck_alerts.*must be one of.*"primary_keys"`),
			step(planTaskHCL(fullOnly, "data_verification {\n    mode = \"sampled\"\n  }", ""), `(?s)Missing Sample Percentage`),
			step(planTaskHCL(fullOnly, "data_verification {\n    mode = \"full\"\n    sample_percent = 10\n  }", ""), `(?s)Sample Percentage Without Sampling.*sample_percent`),
			step(planTaskHCL(fullOnly, "data_verification {\n    repair = true\n  }", ""), `(?s)Repair Without Verification.*repair`),
			// Connections.
			step(connectionHCL("mode = \"strict\""), `(?s)tls\.mode.*must be one of`),
			step(connectionHCL("mode = \"required\"\n    ca_pem = "+strconv.Quote(caPEM)), `(?s)CA Certificate Not Used.*ca_pem = "-----BEGIN`),
			step(connectionHCL("mode = \"verify_identity\"\n    ca_pem = \"not a certificate\""), `(?s)Invalid CA Certificate.*ca_pem = "not a certificate"`),
			{
				// Everything together, valid: the plan creates the task with the documented
				// defaults, and still needs no runner.
				Config: connectionHCL("mode = \"verify_identity\"\n    ca_pem = "+strconv.Quote(caPEM)) + planTaskHCL(withIncremental, `
  dml_operations                    = ["insert", "update"]
  retry_time_for_failed_connections = 60
  retry_time_for_other_issues       = 30
  environment_tag                   = "staging"
  ignore_precheck_alerts            = ["objects", "destination_table_fields", "binlog_retention"]

  incremental_throttling {
    rps = 2000
  }
  monitoring {
    latency_threshold_seconds = 30
    webhook_url               = "https://hooks.example.com/adbmigrate"
  }
  data_verification {
    mode           = "sampled"
    sample_percent = 5
  }
  timeouts {
    create = "2h"
  }`, tableHCL(`where = "status <> 'deleted' AND id > 100"
      ddl_operations = ["add_column", "modify_column", "rename_table", "truncate_table"]
      primary_key = ["id", "day"]
      distribution_key = ["id"]
      partition_key = "day"
      partition_rule = "day"
      partition_lifecycle = 30`)),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PostApplyPreRefresh: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("adbmigrate_migration_task.t", plancheck.ResourceActionCreate),
					plancheck.ExpectKnownValue("adbmigrate_migration_task.t", tfjsonpath.New("ddl_operations"),
						knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("add_column"), knownvalue.StringExact("drop_column")})),
					plancheck.ExpectKnownValue("adbmigrate_migration_task.t", tfjsonpath.New("monitoring").AtMapKey("on_failure"), knownvalue.Bool(true)),
					plancheck.ExpectKnownValue("adbmigrate_migration_task.t", tfjsonpath.New("data_verification").AtMapKey("repair"), knownvalue.Bool(false)),
					plancheck.ExpectKnownValue("adbmigrate_migration_task.t",
						tfjsonpath.New("object").AtSliceIndex(0).AtMapKey("table").AtSliceIndex(0).AtMapKey("dml_operations"), knownvalue.Null()),
					plancheck.ExpectKnownValue("adbmigrate_connection.c", tfjsonpath.New("tls").AtMapKey("mode"), knownvalue.StringExact("verify_identity")),
				}},
			},
			{
				// Migration types known only after apply: the rules that read them wait for
				// them, and the plan goes through.
				Config: connectionHCL("mode = \"verify_identity\"\n    ca_pem = "+strconv.Quote(caPEM)) + planTaskHCL(
					`adbmigrate_connection.c.id == "" ? ["full"] : ["full", "incremental"]`, `
  dml_operations = ["insert"]
  incremental_throttling {
    rps = 100
  }`, ""),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
		},
	})
}

func connectionHCL(tls string) string {
	return fmt.Sprintf(`
resource "adbmigrate_connection" "c" {
  name          = "c"
  database_type = "mariadb"
  host          = "db.example.com"
  username      = "u"
  password      = "p"

  tls {
    %s
  }
}
`, tls)
}

// selfSignedPEM returns a fresh self-signed CA certificate in PEM.
func selfSignedPEM(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "adbmigrate test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// ignore_precheck_alerts accepts every precheck item name, the engine's own items
// included, and nothing else. The engine takes its item names from vocab, so the names
// the provider accepts are the names the precheck reports.
func TestPrecheckItemNamesAccepted(t *testing.T) {
	resp := &resource.SchemaResponse{}
	(&migrationTaskResource{}).Schema(context.Background(), resource.SchemaRequest{}, resp)
	attr, ok := resp.Schema.Attributes["ignore_precheck_alerts"].(schema.SetAttribute)
	if !ok {
		t.Fatalf("ignore_precheck_alerts is %T, want a set attribute", resp.Schema.Attributes["ignore_precheck_alerts"])
	}
	check := func(name string) bool {
		req := validator.SetRequest{Path: path.Root("ignore_precheck_alerts"), ConfigValue: stringSet([]string{name})}
		var out validator.SetResponse
		for _, v := range attr.Validators {
			v.ValidateSet(context.Background(), req, &out)
		}
		return !out.Diagnostics.HasError()
	}
	for _, name := range vocab.PrecheckItems() {
		if !check(name) {
			t.Errorf("ignore_precheck_alerts refuses %q", name)
		}
	}
	for _, name := range []string{vocab.ItemObjects, vocab.ItemTableFields, vocab.ItemETL, vocab.ItemDestinationCapabilities} {
		if !slices.Contains(vocab.PrecheckItems(), name) {
			t.Errorf("vocab.PrecheckItems() lacks the engine's item %q", name)
		}
	}
	if check("primary_keys") {
		t.Error("ignore_precheck_alerts accepts primary_keys, which names no item")
	}
}

// attributePath maps the API's field paths onto the resource's attributes.
func TestAttributePath(t *testing.T) {
	for field, want := range map[string]path.Path{
		"objects[1].database":                      path.Root("object").AtListIndex(1).AtName("database"),
		"objects[0].tables[2].name":                tablePath(0, 2).AtName("name"),
		"objects[0].tables[0].etl.set.total":       tablePath(0, 0).AtName("etl").AtListIndex(0).AtName("set").AtMapKey("total"),
		"objects[0].tables[0].column_renames[3]":   tablePath(0, 0).AtName("column").AtListIndex(3),
		"retry_time_for_other_issues":              path.Root("retry_time_for_other_issues"),
		"data_verification.sample_percent":         path.Root("data_verification").AtName("sample_percent"),
		"objects[0].tables[0].etl.drop_columns[1]": tablePath(0, 0).AtName("etl").AtListIndex(0).AtName("drop_columns").AtListIndex(1),
	} {
		if got := attributePath(field); !got.Equal(want) {
			t.Errorf("attributePath(%q) = %s, want %s", field, got, want)
		}
	}
}

// The attributes whose change replaces the task are exactly api.ImmutableFields, the fields
// the runner refuses to change in place: a change the provider plans in place is one the
// runner accepts.
func TestReplacedAttributesAreImmutableFields(t *testing.T) {
	resp := &resource.SchemaResponse{}
	(&migrationTaskResource{}).Schema(context.Background(), resource.SchemaRequest{}, resp)
	replaces := func(element any) bool {
		mods := reflect.ValueOf(element).FieldByName("PlanModifiers")
		for i := range mods.Len() {
			d := mods.Index(i).Interface().(interface{ Description(context.Context) string }).Description(context.Background())
			if strings.Contains(d, "destroy and recreate") || strings.Contains(d, "Replaces the task") {
				return true
			}
		}
		return false
	}
	var replaced []string
	for name, a := range resp.Schema.Attributes {
		if replaces(a) {
			replaced = append(replaced, name)
		}
	}
	for name, b := range resp.Schema.Blocks {
		if replaces(b) {
			replaced = append(replaced, name)
		}
	}
	var want []string
	for _, f := range api.ImmutableFields() {
		want = append(want, attributePath(f).String())
	}
	slices.Sort(replaced)
	slices.Sort(want)
	if !slices.Equal(replaced, want) {
		t.Errorf("attributes that replace the task: %v; api.ImmutableFields, as attributes: %v", replaced, want)
	}
}
