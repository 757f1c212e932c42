package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/etcdtest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/runnertest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

const clusterTTL = runnertest.ClusterTTL

// startCluster starts n runner processes in cluster mode on etcd c, named r1..rn.
func startCluster(t *testing.T, c *etcdtest.Cluster, n int) []*runnertest.Runner {
	t.Helper()
	return runnertest.StartCluster(t, c.Endpoints(), n)
}

// byNode returns the runner whose --node-id is id.
func byNode(rs []*runnertest.Runner, id string) (*runnertest.Runner, int) {
	var n int
	if _, err := fmt.Sscanf(id, "r%d", &n); err != nil || n < 1 || n > len(rs) {
		return nil, -1
	}
	return rs[n-1], n - 1
}

// waitOwnerChange polls the task through via until its owner is neither "" nor old and it
// runs; it returns the task and how long that took from since.
func waitOwnerChange(t *testing.T, via *runnertest.Runner, id, old string, since time.Time, within time.Duration) (api.Task, time.Duration) {
	t.Helper()
	var took time.Duration
	var last api.Task
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		task, err := via.Client.GetTask(context.Background(), id)
		if err != nil {
			continue // the answering runner may be the one going away
		}
		last = task
		if task.State.Owner != "" && task.State.Owner != old {
			if took == 0 {
				took = time.Since(since)
			}
			if task.State.Status == api.StatusRunning {
				return task, took
			}
		}
	}
	t.Fatalf("task %s still not running under a new owner (old %s) %s after the loss: %+v", id, old, within, last.State)
	return api.Task{}, 0
}

// In a cluster of three runners, an incremental task survives a kill -9 of its owner under a
// steady write load (another runner owns it within TTL + 3 s, at a higher epoch), then a
// SIGTERM of the next owner (hand-off well before the TTL), and every runner answers the API
// from etcd. The destination equals the source at the end: nothing lost, nothing doubled.
func TestClusterOwnerKillAndHandOffDuringCDC(t *testing.T) {
	c := etcdtest.Start(t, 3)
	src, dst := mariadbtest.StartSource(t), mariadbtest.StartDestination(t)
	src.Exec(t, "CREATE DATABASE bank",
		"CREATE TABLE bank.ledger (id INT PRIMARY KEY, amount BIGINT NOT NULL, version INT NOT NULL DEFAULT 0)",
		"INSERT INTO bank.ledger SELECT seq, seq * 3, 0 FROM bank.seq_1_to_3000")
	rs := startCluster(t, c, 3)
	ctx := context.Background()
	task, err := rs[0].Client.CreateTask(ctx, api.TaskSpec{
		SourceConnectionID: rs[0].Connect(t, "src", src), DestinationConnectionID: rs[0].Connect(t, "dst", dst),
		MigrationTypes: []api.MigrationType{"schema", "full", "incremental"}, Objects: []api.Object{{Database: "bank"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	running := rs[1].WaitStatus(t, task.ID, time.Minute, api.StatusRunning)
	if running.State.Owner == "" || running.State.Epoch == 0 {
		t.Fatalf("a running task in cluster mode shows no owner/epoch: %+v", running.State)
	}
	// Every runner answers for the task, and lists the same tasks.
	for _, r := range rs {
		list, err := r.Client.ListTasks(ctx)
		if err != nil || len(list) != 1 || list[0].ID != task.ID {
			t.Fatalf("runner %s lists %+v, %v", r.Endpoint, list, err)
		}
	}

	// The status command shows the owner and epoch, and the nodes view the three runners,
	// one of them the scheduler, owning one task between them.
	env := []string{"ADBMIGRATE_ENDPOINT=" + rs[2].Endpoint, "ADBMIGRATE_TOKEN=" + rs[2].Token}
	out, err := statusCmd(t, env)
	if err != nil || !strings.Contains(out, "OWNER") || !strings.Contains(out, running.State.Owner) || !strings.Contains(out, fmt.Sprint(running.State.Epoch)) {
		t.Errorf("status in a cluster (%v):\n%s\nwant an OWNER column with %s at epoch %d", err, out, running.State.Owner, running.State.Epoch)
	}
	out, err = statusCmd(t, env, "nodes")
	if err != nil || strings.Count(out, "\nr") != 3 || strings.Count(out, " yes ") != 1 {
		t.Errorf("status nodes (%v):\n%s\nwant r1..r3, one the leader", err, out)
	}
	t.Logf("status nodes:\n%s", out)
	metrics := get(t, rs[2], "/metrics")
	for _, want := range []string{`adbmigrate_task_owner_changes_total{node_id="r3"}`, `adbmigrate_runner_tasks{node_id="` + running.State.Owner + `"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	// A verification asked of a runner that does not own the task runs on its owner.
	owner0, idx0 := byNode(rs, running.State.Owner)
	asked := rs[(idx0+1)%3]
	if _, err := asked.Client.VerifyTask(ctx, task.ID); err != nil {
		t.Fatalf("verify through a non-owner: %v", err)
	}
	// The runners' logs reach the test through pipes: wait for the lines.
	waitLog := func(r *runnertest.Runner, line, what string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !strings.Contains(r.Logs(), line); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal(what)
			}
		}
	}
	waitLog(asked, `"msg":"request forwarded to the task's owner"`, "the non-owner did not forward the verification")
	waitLog(owner0, `"path":"/v1/tasks/`+task.ID+`/verify"`, "the owner never got the forwarded verification")
	if strings.Contains(asked.Logs(), `"msg":"verification`) {
		t.Error("the non-owner ran the verification itself")
	}

	db := src.DB(t, "")
	stopWriting := writeUntilStopped(db, 7, func(i int, rng *rand.Rand) []string {
		return []string{
			fmt.Sprintf("UPDATE bank.ledger SET amount = amount + 1, version = version + 1 WHERE id = %d", 1+rng.IntN(3000)),
			fmt.Sprintf("INSERT INTO bank.ledger (id, amount) VALUES (%d, %d)", 100000+i, i),
		}
	})
	time.Sleep(time.Second)

	owner, idx := byNode(rs, running.State.Owner)
	if owner == nil {
		t.Fatalf("owner %q is none of r1..r3", running.State.Owner)
	}
	killed := time.Now()
	owner.Kill(t)
	via := rs[(idx+1)%3]
	next, took := waitOwnerChange(t, via, task.ID, running.State.Owner, killed, time.Minute)
	t.Logf("failover after kill -9 of owner %s: new owner %s after %s (TTL %s), epoch %d -> %d",
		running.State.Owner, next.State.Owner, took.Round(time.Millisecond), clusterTTL, running.State.Epoch, next.State.Epoch)
	if took > clusterTTL+3*time.Second {
		t.Errorf("failover took %s, more than TTL + 3 s", took)
	}
	if next.State.Epoch <= running.State.Epoch {
		t.Errorf("epoch went from %d to %d: it must grow with each owner", running.State.Epoch, next.State.Epoch)
	}

	// SIGTERM the new owner: it hands the task over without waiting for its lease to end.
	time.Sleep(time.Second)
	second, idx2 := byNode(rs, next.State.Owner)
	termed := time.Now()
	second.Stop(t)
	var third *runnertest.Runner
	for i, r := range rs {
		if i != idx && i != idx2 {
			third = r
		}
	}
	last, took := waitOwnerChange(t, third, task.ID, next.State.Owner, termed, time.Minute)
	t.Logf("hand-off after SIGTERM of owner %s: new owner %s after %s", next.State.Owner, last.State.Owner, took.Round(time.Millisecond))
	if took >= clusterTTL {
		t.Errorf("hand-off on SIGTERM took %s, not less than the TTL %s: the lease was not given up", took, clusterTTL)
	}
	if !strings.Contains(second.Logs(), `"msg":"task handed over after its open transaction"`) {
		t.Errorf("the SIGTERMed owner %s did not let its open transaction commit before handing over", next.State.Owner)
	}

	time.Sleep(time.Second)
	if err := stopWriting(); err != nil {
		t.Fatal(err)
	}
	// Stopping through any runner returns once the owner has drained and stopped the task,
	// as a single runner's stop does (the cut-over).
	stopped, err := third.Client.StopTask(ctx, task.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stopped.State.Status != api.StatusStopped {
		t.Errorf("stop answered with the task %s, want Stopped", stopped.State.Status)
	}
	third.WaitStatus(t, task.ID, time.Minute, api.StatusStopped)
	mariadbtest.AssertSameRows(t, db, dst.DB(t, ""), "SELECT * FROM bank.ledger ORDER BY id", "SELECT * FROM bank.ledger ORDER BY id")
}

// kill -9 of the owner in the middle of the full load, under writes: another runner owns the
// task within TTL + 3 s, resumes the copy from the chunks the destination has committed, and
// goes on to incremental migration; the destination ends equal to the source.
func TestClusterOwnerKillDuringFullLoad(t *testing.T) {
	c := etcdtest.Start(t, 3)
	src, dst := mariadbtest.StartSource(t), mariadbtest.StartDestination(t)
	src.Exec(t, "CREATE DATABASE big",
		"CREATE TABLE big.items (id INT PRIMARY KEY, amount BIGINT NOT NULL, pad VARCHAR(200) NOT NULL)",
		"INSERT INTO big.items SELECT seq, seq * 7, REPEAT(CHAR(97 + seq % 26), 150) FROM big.seq_1_to_400000")
	rs := startCluster(t, c, 3)
	ctx := context.Background()
	task, err := rs[0].Client.CreateTask(ctx, api.TaskSpec{
		SourceConnectionID: rs[0].Connect(t, "src", src), DestinationConnectionID: rs[0].Connect(t, "dst", dst),
		MigrationTypes: []api.MigrationType{"schema", "full", "incremental"}, Objects: []api.Object{{Database: "big"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	stopWriting := writeUntilStopped(src.DB(t, ""), 5, func(i int, rng *rand.Rand) []string {
		return []string{fmt.Sprintf("UPDATE big.items SET amount = amount + 1 WHERE id = %d", 1+rng.IntN(400000)),
			fmt.Sprintf("INSERT INTO big.items VALUES (%d, %d, 'new')", 1000000+i, i)}
	})
	var copying api.Task
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		copying, err = rs[1].Client.GetTask(ctx, task.ID)
		if err != nil {
			t.Fatal(err)
		}
		if copying.State.Phase == "full" && copying.State.RowsMigrated > 0 && copying.State.Owner != "" {
			break
		}
		if copying.State.Status == api.StatusRunning || time.Now().After(deadline) {
			t.Fatalf("never saw the task copying (state %+v): make the table larger", copying.State)
		}
	}
	owner, idx := byNode(rs, copying.State.Owner)
	killed := time.Now()
	owner.Kill(t)
	t.Logf("killed owner %s at %d rows copied", copying.State.Owner, copying.State.RowsMigrated)
	next, took := waitOwnerChange(t, rs[(idx+1)%3], task.ID, copying.State.Owner, killed, 2*time.Minute)
	t.Logf("failover during the full load: new owner %s (epoch %d) took over within %s and reached incremental migration", next.State.Owner, next.State.Epoch, took.Round(time.Millisecond))
	if took > clusterTTL+3*time.Second {
		t.Errorf("takeover took %s, more than TTL + 3 s", took)
	}
	if err := stopWriting(); err != nil {
		t.Fatal(err)
	}
	via := rs[(idx+1)%3]
	if _, err := via.Client.StopTask(ctx, task.ID); err != nil {
		t.Fatal(err)
	}
	via.WaitStatus(t, task.ID, time.Minute, api.StatusStopped)
	mariadbtest.AssertSameRows(t, src.DB(t, ""), dst.DB(t, ""), "SELECT * FROM big.items ORDER BY id", "SELECT * FROM big.items ORDER BY id")
}

// adbmigrate-runner drain moves an incremental task off its owner under writes in well under
// a second (no lease has to end), keeps the drained runner empty while it is drained, and
// shows it in the nodes view; drain --undo gives it tasks again. The destination equals the
// source at the end.
func TestClusterDrainCommand(t *testing.T) {
	c := etcdtest.Start(t, 1)
	src, dst := mariadbtest.SharedPair(t)
	createLedgers(t, src, "bank", "bank2")
	rs := startCluster(t, c, 2)
	task := createCDCTask(t, rs[0], rs[0].Connect(t, "src", src), rs[0].Connect(t, "dst", dst), "bank")
	task = waitRunningOwned(t, rs, task.ID, time.Minute)
	_, idx := byNode(rs, task.State.Owner)
	other := rs[1-idx]
	stopWriting := ledgerWriter(t, src, "bank")
	time.Sleep(time.Second)

	env := []string{"ADBMIGRATE_ENDPOINT=" + other.Endpoint, "ADBMIGRATE_TOKEN=" + other.Token}
	drain := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(runnertest.Binary(t), append([]string{"drain"}, args...)...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("drain %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	asked := time.Now()
	out := drain(task.State.Owner)
	moved, took := waitOwnerChange(t, other, task.ID, task.State.Owner, asked, 10*time.Second)
	t.Logf("drain of %s: %q; task owned by %s at epoch %d after %s", task.State.Owner, strings.TrimSpace(out), moved.State.Owner, moved.State.Epoch, took.Round(time.Millisecond))
	if took >= time.Second {
		t.Errorf("the drained runner's task moved after %s: a drain hands over well under a second", took)
	}
	// Flags may follow the view, as the demo's hint writes them.
	nodes, err := statusCmd(t, []string{"ADBMIGRATE_TOKEN=" + other.Token}, "nodes", "--endpoint", other.Endpoint)
	if err != nil || !strings.Contains(nodes, "DRAINING") {
		t.Fatalf("status nodes (%v):\n%s", err, nodes)
	}
	for _, line := range strings.Split(nodes, "\n") {
		if strings.HasPrefix(line, task.State.Owner+" ") && !strings.Contains(line, " yes ") {
			t.Errorf("status nodes does not show %s draining:\n%s", task.State.Owner, nodes)
		}
	}
	// A new task does not go to the drained runner either.
	second := createCDCTask(t, other, other.Connect(t, "src2", src), other.Connect(t, "dst2", dst), "bank2")
	if second = waitRunningOwned(t, rs, second.ID, time.Minute); second.State.Owner == task.State.Owner {
		t.Errorf("a new task went to the drained runner %s", task.State.Owner)
	}
	drain(task.State.Owner, "--undo")
	if err := stopWriting(); err != nil {
		t.Fatal(err)
	}
	stopAndCompare(t, rs, src, dst, map[string]string{"bank": task.ID})
}

// Runners serving HTTPS with a certificate of their own CA forward a live operation to the
// task's owner when --peer-ca-file names that CA (without it, the forward fails with 502
// and the certificate error).
func TestClusterForwardsOverTLS(t *testing.T) {
	c := etcdtest.Start(t, 1)
	src, dst := mariadbtest.SharedPair(t)
	createLedgers(t, src, "bank")
	certs := runnertest.SelfSignedTLS(t, t.TempDir())
	rs := runnertest.StartClusterTLS(t, c.Endpoints(), 2, certs, "--peer-ca-file", certs.CertFile)
	task := createCDCTask(t, rs[0], rs[0].Connect(t, "src", src), rs[0].Connect(t, "dst", dst), "bank")
	task = waitRunningOwned(t, rs, task.ID, time.Minute)
	_, idx := byNode(rs, task.State.Owner)
	asked := rs[1-idx]
	if _, err := asked.Client.VerifyTask(context.Background(), task.ID); err != nil {
		t.Fatalf("verify through the non-owner over HTTPS: %v", err)
	}
	// The runners' logs reach the test through pipes: wait for the line.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(asked.Logs(), `"msg":"request forwarded to the task's owner"`); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the non-owner did not forward the verification")
		}
	}
}
