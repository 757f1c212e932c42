package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/adbfront"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/capability"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/runnertest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/vocab"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

// conformanceCmd runs `adbmigrate-runner conformance --connection id` against r, with the
// token in ADBMIGRATE_TOKEN, and returns its output.
func conformanceCmd(t *testing.T, r *runnertest.Runner, id string) string {
	t.Helper()
	cmd := exec.Command(runnertest.Binary(t), "conformance", "--connection", id, "--endpoint", r.Endpoint)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ADBMIGRATE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "ADBMIGRATE_TOKEN="+r.Token)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("adbmigrate-runner conformance: %v\n%s", err, out)
	}
	return string(out)
}

// verdictsOf reads PROBE and VERDICT of every row of the conformance table out.
func verdictsOf(t *testing.T, out string) map[string]string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "PROBE") {
		t.Fatalf("conformance printed no table:\n%s", out)
	}
	got := map[string]string{}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) < 2 {
			t.Fatalf("conformance row %q has no verdict", l)
		}
		got[f[0]] = f[1]
	}
	return got
}

// The conformance command runs the probes through the runner (which holds the password)
// against a registered MariaDB: every probe says yes. A task to that MariaDB records the
// same verdicts in its state and shows them as a passed precheck item.
func TestConformanceAndTaskCapabilitiesOnMariaDB(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	src.Exec(t, "CREATE DATABASE shop", "CREATE TABLE shop.items (id INT PRIMARY KEY, v VARCHAR(10))", "INSERT INTO shop.items VALUES (1,'a')")
	r := runnertest.Start(t)
	srcID, dstID := r.Connect(t, "src", src), r.Connect(t, "dst", dst)

	out := conformanceCmd(t, r, dstID)
	t.Logf("adbmigrate-runner conformance --connection %s (MariaDB):\n%s", dstID, out)
	got := verdictsOf(t, out)
	for _, p := range capability.Names() {
		if got[p] != string(api.CapabilityYes) {
			t.Errorf("conformance: %s = %q, want yes", p, got[p])
		}
	}
	if len(got) != len(capability.Names()) {
		t.Errorf("conformance printed %d probes, want %d", len(got), len(capability.Names()))
	}

	ctx := context.Background()
	task, err := r.Client.CreateTask(ctx, api.TaskSpec{
		Name: "caps", SourceConnectionID: srcID, DestinationConnectionID: dstID,
		MigrationTypes: []api.MigrationType{"schema", "full"}, Objects: []api.Object{{Database: "shop"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	r.WaitStatus(t, task.ID, time.Minute, api.StatusCompleted)
	read, err := r.Client.GetTask(ctx, task.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range capability.Names() {
		if v := read.State.Capabilities[p]; v.Verdict != api.CapabilityYes {
			t.Errorf("task state capabilities[%s] = %+v, want yes", p, v)
		}
	}
	item := precheckItem(t, read, vocab.ItemDestinationCapabilities)
	if item.Status != "passed" || !strings.Contains(item.Message, "transactions: yes") {
		t.Errorf("precheck item %s = %+v, want passed with a line per probe", vocab.ItemDestinationCapabilities, item)
	}
}

// A task whose destination has no atomic transactions (the emulator, BEGIN ignored) writes
// directly and says so in the capabilities item; its state records the verdicts, and the
// rows arrive.
func TestTaskWithoutTransactionsWritesDirectly(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	src.Exec(t, "CREATE DATABASE shop", "CREATE TABLE shop.items (id INT PRIMARY KEY, v VARCHAR(10))",
		"INSERT INTO shop.items VALUES (1, 'a'), (2, 'b'), (3, NULL)")
	r := runnertest.Start(t)
	ctx := context.Background()
	dstID := r.ConnectADB(t, "adb", dst, adbfront.Switches{Transactions: "noop"})
	task, err := r.Client.CreateTask(ctx, api.TaskSpec{
		Name: "no-tx", SourceConnectionID: r.Connect(t, "src", src), DestinationConnectionID: dstID,
		MigrationTypes: []api.MigrationType{"schema", "full"}, Objects: []api.Object{{Database: "shop"}},
		IgnorePrecheckAlerts: []string{vocab.ItemDestinationDiskSpace},
	})
	if err != nil {
		t.Fatal(err)
	}
	done := r.WaitStatus(t, task.ID, time.Minute, api.StatusCompleted)
	if v := done.State.Capabilities[capability.Transactions]; v.Verdict != api.CapabilityNo {
		t.Errorf("capabilities[transactions] = %+v, want no", v)
	}
	item := precheckItem(t, done, vocab.ItemDestinationCapabilities)
	t.Logf("precheck item through the emulator (transactions=noop):\n%+v", item)
	if item.Status != "passed" || !strings.Contains(item.Message, "no atomic transactions") || !strings.Contains(item.Message, "writes directly") {
		t.Errorf("precheck item %s = %+v, want passed, saying the task writes directly for want of transactions", vocab.ItemDestinationCapabilities, item)
	}
	q := "SELECT id, v FROM shop.items ORDER BY id"
	mariadbtest.AssertSameRows(t, src.DB(t, ""), dst.DB(t, ""), q, q)
}

func precheckItem(t *testing.T, task api.Task, name string) api.PrecheckItem {
	t.Helper()
	for _, it := range task.State.Precheck {
		if it.Name == name {
			return it
		}
	}
	t.Fatalf("task %s has no precheck item %s: %+v", task.ID, name, task.State.Precheck)
	return api.PrecheckItem{}
}
