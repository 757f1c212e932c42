package examplecheck_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/runnertest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/testtier"
)

// opa is the pinned Open Policy Agent the GNUmakefile runs.
const opa = "github.com/open-policy-agent/opa@v1.22.4"

const policyDir = "examples/ci-policy/policy"

// runOPA runs the pinned OPA with args from the repository root and returns its output.
func runOPA(t *testing.T, args ...string) ([]byte, error) {
	t.Helper()
	testtier.RequireSlowProgram(t, "OPA through go run")
	cmd := exec.Command("go", append([]string{"run", opa}, args...)...)
	cmd.Dir = repoRoot(t)
	return cmd.CombinedOutput()
}

// The policy's own unit tests pass under `opa test`, and the policy is formatted.
func TestPolicyUnitTests(t *testing.T) {
	out, err := runOPA(t, "test", "-v", policyDir)
	if err != nil {
		t.Fatalf("opa test %s: %v\n%s", policyDir, err, out)
	}
	if !strings.Contains(string(out), "PASS: 11/11") {
		t.Errorf("opa test: want 11 passing tests:\n%s", out)
	}
	if out, err := runOPA(t, "fmt", "--list", "--fail", policyDir); err != nil {
		t.Errorf("opa fmt: files need formatting (opa fmt -w %s): %v\n%s", policyDir, err, out)
	}
}

// The policy is evaluated on the JSON of real plans, made by terraform with the provider
// against a runner and two MariaDB servers: one plan it lets through, and one that breaks
// each of its rules.
func TestPolicyOnRealPlans(t *testing.T) {
	if _, err := exec.LookPath("terraform"); err != nil {
		t.Fatal("terraform is not on PATH: this test runs the real terraform CLI (>= 1.11)")
	}
	src, dst := mariadbtest.SharedPair(t)
	src.Exec(t, "CREATE DATABASE shop", "CREATE TABLE shop.items (id INT PRIMARY KEY, v VARCHAR(10))",
		"INSERT INTO shop.items SELECT seq, CONCAT('v', seq) FROM shop.seq_1_to_100")
	r := runnertest.Start(t)

	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "terraform-provider-adbmigrate"), ".")
	build.Dir = repoRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the provider: %v\n%s", err, out)
	}
	cli := filepath.Join(bin, "cli.tfrc")
	writeFile(t, cli, fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"adbmigrate/adbmigrate\" = %q\n  }\n  direct {}\n}\n", bin))
	work := t.TempDir()
	env := []string{"TF_CLI_CONFIG_FILE=" + cli, "ADBMIGRATE_ENDPOINT=" + r.Endpoint, "ADBMIGRATE_TOKEN=" + r.Token, "TF_IN_AUTOMATION=1"}

	connections := fmt.Sprintf(`
terraform {
  required_providers {
    adbmigrate = {
      source = "adbmigrate/adbmigrate"
    }
  }
}

resource "adbmigrate_connection" "source" {
  name          = "source"
  database_type = "mariadb"
  host          = %q
  port          = %d
  username      = %q
  password      = %q
}

resource "adbmigrate_connection" "destination" {
  name          = "destination"
  database_type = "mariadb"
  host          = %q
  port          = %d
  username      = %q
  password      = %q
}
`, src.Host, src.Port, src.User, src.Password, dst.Host, dst.Port, dst.User, dst.Password)
	copyTask := func(renameTo, extra string) string {
		return fmt.Sprintf(`
resource "adbmigrate_migration_task" "copy" {
  name                      = "copy"
  source_connection_id      = adbmigrate_connection.source.id
  destination_connection_id = adbmigrate_connection.destination.id
  migration_types           = ["schema", "full"]
  %s
  object {
    database  = "shop"
    rename_to = %q
  }
}
`, extra, renameTo)
	}
	liveTask := func(monitoring string) string {
		return fmt.Sprintf(`
resource "adbmigrate_migration_task" "live" {
  name                      = "live"
  source_connection_id      = adbmigrate_connection.source.id
  destination_connection_id = adbmigrate_connection.destination.id
  migration_types           = ["schema", "full", "incremental"]
  %s
  object {
    database  = "shop"
    rename_to = "shop_live"
  }
}
`, monitoring)
	}
	const monitored = `monitoring {
    on_failure                = true
    latency_threshold_seconds = 60
  }`

	// The applied state every plan starts from: a completed full-only task.
	writeFile(t, filepath.Join(work, "main.tf"), connections+copyTask("shop_copy", ""))
	tf(t, work, env, "apply", "-auto-approve", "-input=false", "-no-color")

	cases := []struct {
		name    string
		config  string
		destroy bool
		want    []string
	}{
		{name: "a monitored incremental task is added", config: connections + copyTask("shop_copy", "") + liveTask(monitored)},
		{name: "replacement", config: connections + copyTask("shop_copy2", ""), want: []string{
			"adbmigrate_migration_task.copy: would be replaced (forced by object): a new task migrates everything again"}},
		{name: "destroy", config: connections + copyTask("shop_copy", ""), destroy: true, want: []string{
			"adbmigrate_migration_task.copy: would be destroyed"}},
		{name: "unreviewed precheck alert", config: connections + copyTask("shop_copy", `ignore_precheck_alerts = ["binlog_retention"]`), want: []string{
			`adbmigrate_migration_task.copy: ignore_precheck_alerts accepts binlog_retention without review: list it under "adbmigrate_migration_task.copy" in reviewed_precheck_alerts once someone has checked the alert`}},
		{name: "incremental without monitoring", config: connections + copyTask("shop_copy", "") + liveTask(""), want: []string{
			"adbmigrate_migration_task.live: incremental migration without monitoring: add a monitoring block with on_failure = true and latency_threshold_seconds"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			writeFile(t, filepath.Join(work, "main.tf"), c.config)
			args := []string{"plan", "-input=false", "-no-color", "-lock=false", "-out=tfplan"}
			if c.destroy {
				args = append(args, "-destroy")
			}
			tf(t, work, env, args...)
			planJSON := filepath.Join(t.TempDir(), "plan.json")
			writeFile(t, planJSON, tf(t, work, env, "show", "-json", "tfplan"))
			out, err := runOPA(t, "eval", "--format", "json", "--data", policyDir, "--input", planJSON, "data.adbmigrate.plan.deny")
			if err != nil {
				t.Fatalf("opa eval: %v\n%s", err, out)
			}
			var result struct {
				Result []struct {
					Expressions []struct {
						Value []string `json:"value"`
					} `json:"expressions"`
				} `json:"result"`
			}
			if err := json.Unmarshal(out, &result); err != nil || len(result.Result) != 1 || len(result.Result[0].Expressions) != 1 {
				t.Fatalf("opa eval printed %s (%v)", out, err)
			}
			got := result.Result[0].Expressions[0].Value
			slices.Sort(got)
			if !slices.Equal(got, c.want) {
				t.Errorf("deny = %q\nwant   %q", got, c.want)
			}
		})
	}
}

// tf runs terraform in dir with env added and returns its standard output; an error fails
// the test.
func tf(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("terraform", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("terraform %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
