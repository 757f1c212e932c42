package examplecheck_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/runnertest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

const (
	rulesFile     = "examples/monitoring/prometheus-rules.yml"
	rulesTestFile = "examples/monitoring/prometheus-rules.test.yml"
	dashboardFile = "examples/monitoring/grafana-dashboard.json"
)

// metricName finds the runner's metric names in PromQL text.
var metricName = regexp.MustCompile(`\badbmigrate_[a-z0-9_]+\b`)

// The rules pass `promtool check rules` and their unit tests (`promtool test rules`), and
// every metric the rules and the dashboard
// query is one a running runner exports once it has a task (per-task series appear only
// then; verification series once the task has been verified).
func TestMonitoringExamplesMatchTheRunnersMetrics(t *testing.T) {
	promtool := lookTool(t, "promtool", "prometheus")
	root := repoRoot(t)
	if out, err := exec.Command(promtool, "check", "rules", filepath.Join(root, rulesFile)).CombinedOutput(); err != nil {
		t.Fatalf("promtool check rules %s: %v\n%s", rulesFile, err, out)
	} else if !strings.Contains(string(out), "SUCCESS: 5 rules found") {
		t.Errorf("promtool check rules %s: want 5 rules:\n%s", rulesFile, out)
	}

	// The rules' unit tests: each alert fires when and with what it should, and not before.
	if out, err := exec.Command(promtool, "test", "rules", filepath.Join(root, rulesTestFile)).CombinedOutput(); err != nil {
		t.Errorf("promtool test rules %s: %v\n%s", rulesTestFile, err, out)
	}

	rules, err := os.ReadFile(filepath.Join(root, rulesFile))
	if err != nil {
		t.Fatal(err)
	}
	used := map[string][]string{}
	for _, name := range metricName.FindAllString(string(rules), -1) {
		used[name] = appendOnce(used[name], rulesFile)
	}
	for _, expr := range dashboardQueries(t, filepath.Join(root, dashboardFile)) {
		for _, name := range metricName.FindAllString(expr, -1) {
			used[name] = appendOnce(used[name], dashboardFile)
		}
	}
	// What the issue asks the two files to cover.
	for _, name := range []string{"adbmigrate_task_status", "adbmigrate_task_rows_migrated", "adbmigrate_task_bytes_migrated",
		"adbmigrate_task_latency_seconds", "adbmigrate_task_retries_total", "adbmigrate_task_verification_mismatches", "adbmigrate_runner_info"} {
		if _, ok := used[name]; !ok {
			t.Errorf("neither %s nor %s uses %s", rulesFile, dashboardFile, name)
		}
	}

	src, dst := mariadbtest.SharedPair(t)
	src.Exec(t, "CREATE DATABASE shop", "CREATE TABLE shop.items (id INT PRIMARY KEY, v VARCHAR(10))",
		"INSERT INTO shop.items SELECT seq, CONCAT('v', seq) FROM shop.seq_1_to_100")
	r := runnertest.Start(t)
	task, err := r.Client.CreateTask(context.Background(), api.TaskSpec{
		Name: "metrics", SourceConnectionID: r.Connect(t, "src", src), DestinationConnectionID: r.Connect(t, "dst", dst),
		MigrationTypes: []api.MigrationType{api.MigrationSchema, api.MigrationFull}, Objects: []api.Object{{Database: "shop"}},
		DataVerification: &api.DataVerification{Mode: api.VerifyFull},
	})
	if err != nil {
		t.Fatal(err)
	}
	r.WaitStatus(t, task.ID, 2*time.Minute, api.StatusCompleted)
	exported := scrape(t, r)
	for name, files := range used {
		if !exported[name] {
			t.Errorf("%s uses %s, which the runner does not export", strings.Join(files, " and "), name)
		}
	}
}

// dashboardQueries returns every PromQL expression of the dashboard: the panels' targets and
// the query variables.
func dashboardQueries(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s is not valid JSON: %v", path, err)
	}
	var exprs []string
	for _, p := range d.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("%s: panel %q has no query", path, p.Title)
		}
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	for _, v := range d.Templating.List {
		exprs = append(exprs, v.Definition)
	}
	if len(d.Panels) < 6 {
		t.Errorf("%s has %d panels, want at least 6", path, len(d.Panels))
	}
	return exprs
}

// scrape reads the runner's /metrics with its token and returns the metric names in it.
func scrape(t *testing.T, r *runnertest.Runner) map[string]bool {
	t.Helper()
	req, _ := http.NewRequest("GET", r.Endpoint+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+r.Token)
	resp, err := r.HTTPClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v\n%s", resp.StatusCode, err, body)
	}
	names := map[string]bool{}
	for _, line := range strings.Split(string(body), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		names[strings.FieldsFunc(line, func(r rune) bool { return r == '{' || r == ' ' })[0]] = true
	}
	return names
}

func appendOnce(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}
