package main

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/adbfront"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/checkpoint"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/etcdtest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/runnertest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/vocab"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

// createCDCTask creates, through r, an incremental task of database db and waits until it
// runs.
func createCDCTask(t *testing.T, r *runnertest.Runner, srcID, dstID, db string) api.Task {
	t.Helper()
	task, err := r.Client.CreateTask(context.Background(), api.TaskSpec{
		SourceConnectionID: srcID, DestinationConnectionID: dstID,
		MigrationTypes: []api.MigrationType{"schema", "full", "incremental"}, Objects: []api.Object{{Database: db}},
		// An emulated AnalyticDB destination cannot show its free space (an alert).
		IgnorePrecheckAlerts: []string{vocab.ItemDestinationDiskSpace},
	})
	if err != nil {
		t.Fatal(err)
	}
	return r.WaitStatus(t, task.ID, time.Minute, api.StatusRunning)
}

// waitRunningOwned waits until the task runs with an owner, asking any runner of rs that
// answers.
func waitRunningOwned(t *testing.T, rs []*runnertest.Runner, id string, within time.Duration) api.Task {
	t.Helper()
	var last api.Task
	var lastErr error
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		for _, r := range rs {
			task, err := r.Client.GetTask(context.Background(), id)
			if err != nil {
				lastErr = err
				continue
			}
			last = task
			if task.State.Owner != "" && task.State.Status == api.StatusRunning {
				return task
			}
		}
	}
	t.Fatalf("task %s does not run with an owner after %s: %+v (last error %v)", id, within, last.State, lastErr)
	return api.Task{}
}

// stopAndCompare stops the tasks through r and compares each database table by table.
func stopAndCompare(t *testing.T, rs []*runnertest.Runner, src, dst *mariadbtest.Server, tasks map[string]string) {
	t.Helper()
	ctx := context.Background()
	for db, id := range tasks {
		waitRunningOwned(t, rs, id, time.Minute)
		if _, err := rs[0].Client.StopTask(ctx, id); err != nil {
			t.Fatal(err)
		}
		rs[0].WaitStatus(t, id, time.Minute, api.StatusStopped)
		q := fmt.Sprintf("SELECT * FROM %s.ledger ORDER BY id", db)
		mariadbtest.AssertSameRows(t, src.DB(t, ""), dst.DB(t, ""), q, q)
	}
}

// ledgerWriter keeps changing the ledgers of dbs until stopped.
func ledgerWriter(t *testing.T, src *mariadbtest.Server, dbs ...string) func() error {
	return writeUntilStopped(src.DB(t, ""), 11, func(i int, rng *rand.Rand) []string {
		db := dbs[i%len(dbs)]
		return []string{
			fmt.Sprintf("UPDATE %s.ledger SET amount = amount + 1, version = version + 1 WHERE id = %d", db, 1+rng.IntN(2000)),
			fmt.Sprintf("INSERT INTO %s.ledger (id, amount) VALUES (%d, %d)", db, 100000+i, i),
		}
	})
}

func createLedgers(t *testing.T, src *mariadbtest.Server, dbs ...string) {
	for _, db := range dbs {
		src.Exec(t, "CREATE DATABASE "+db,
			"CREATE TABLE "+db+".ledger (id INT PRIMARY KEY, amount BIGINT NOT NULL, version INT NOT NULL DEFAULT 0)",
			"INSERT INTO "+db+".ledger SELECT seq, seq * 3, 0 FROM "+db+".seq_1_to_2000")
	}
}

// etcd failures during CDC under writes: the etcd leader killed, then a follower (each
// brought back): the task keeps running. Then two of three members stopped: the owner
// cancels its run within the TTL and nothing more reaches the destination; with quorum back
// the task runs again. The destination equals the source at the end.
func TestClusterSurvivesEtcdFailures(t *testing.T) {
	c := etcdtest.Start(t, 3)
	src, dst := mariadbtest.StartSource(t), mariadbtest.StartDestination(t)
	createLedgers(t, src, "bank")
	rs := startCluster(t, c, 2)
	task := createCDCTask(t, rs[0], rs[0].Connect(t, "src", src), rs[0].Connect(t, "dst", dst), "bank")
	stopWriting := ledgerWriter(t, src, "bank")
	time.Sleep(time.Second)

	leader := c.Leader()
	c.Kill(leader)
	t.Logf("killed etcd leader e%d", leader+1)
	time.Sleep(clusterTTL)
	if got := waitRunningOwned(t, rs, task.ID, clusterTTL+3*time.Second); got.State.Epoch != task.State.Epoch {
		t.Logf("task changed owner during the etcd leader kill: epoch %d -> %d", task.State.Epoch, got.State.Epoch)
	}
	c.Restart(leader)
	follower := (c.Leader() + 1) % 3
	c.Kill(follower)
	t.Logf("killed etcd follower e%d", follower+1)
	time.Sleep(clusterTTL)
	task = waitRunningOwned(t, rs, task.ID, clusterTTL+3*time.Second)
	c.Restart(follower)

	// Quorum lost: the owner must stop writing within the TTL.
	owner, _ := byNode(rs, task.State.Owner)
	lost := []int{(c.Leader() + 1) % 3, (c.Leader() + 2) % 3}
	for _, i := range lost {
		c.Kill(i)
	}
	t.Logf("stopped etcd members e%d and e%d: no quorum", lost[0]+1, lost[1]+1)
	time.Sleep(clusterTTL + time.Second)
	dstDB := dst.DB(t, "")
	n1, d1 := mariadbtest.Digest(t, dstDB, "SELECT * FROM bank.ledger ORDER BY id")
	time.Sleep(3 * time.Second)
	n2, d2 := mariadbtest.Digest(t, dstDB, "SELECT * FROM bank.ledger ORDER BY id")
	if n1 != n2 || d1 != d2 {
		t.Errorf("the destination changed without an etcd quorum (%d rows -> %d): an owner that cannot renew its lease must stop writing", n1, n2)
	}
	if !strings.Contains(owner.Logs(), "cancelling every task run") {
		var lines []string
		for _, l := range strings.Split(owner.Logs(), "\n") {
			if strings.Contains(l, "WARN") || strings.Contains(l, "claimed") || strings.Contains(l, "session") || strings.Contains(l, "paused") {
				lines = append(lines, l)
			}
		}
		t.Errorf("owner %s did not report its lost session:\n%s", task.State.Owner, strings.Join(lines, "\n"))
	}
	for _, i := range lost {
		c.Restart(i)
	}
	back := time.Now()
	// Right after quorum returns, etcd may still hold the state written before the loss
	// (Running, the old epoch): wait for the task to run under a claim made since.
	after := waitRunningOwned(t, rs, task.ID, time.Minute)
	for deadline := time.Now().Add(time.Minute); after.State.Epoch <= task.State.Epoch && time.Now().Before(deadline); {
		time.Sleep(200 * time.Millisecond)
		after = waitRunningOwned(t, rs, task.ID, time.Minute)
	}
	t.Logf("task running again %s after quorum returned, owner %s epoch %d", time.Since(back).Round(time.Millisecond), after.State.Owner, after.State.Epoch)
	if after.State.Epoch <= task.State.Epoch {
		t.Errorf("epoch after the quorum loss %d, not above %d", after.State.Epoch, task.State.Epoch)
	}
	time.Sleep(time.Second)
	if err := stopWriting(); err != nil {
		t.Fatal(err)
	}
	stopAndCompare(t, rs, src, dst, map[string]string{"bank": task.ID})
}

// The scheduler leader killed: a new leader is elected within TTL + 3 s, tasks on the other
// runners keep their owner and epoch. Then a rolling restart of every runner (SIGTERM,
// start) under writes. Each database ends equal to its source.
func TestClusterSchedulerLeaderKillAndRollingRestart(t *testing.T) {
	c := etcdtest.Start(t, 3)
	src, dst := mariadbtest.StartSource(t), mariadbtest.StartDestination(t)
	dbs := []string{"db1", "db2", "db3"}
	createLedgers(t, src, dbs...)
	rs := startCluster(t, c, 3)
	srcID, dstID := rs[0].Connect(t, "src", src), rs[0].Connect(t, "dst", dst)
	tasks := map[string]string{}
	for _, db := range dbs {
		tasks[db] = createCDCTask(t, rs[0], srcID, dstID, db).ID
	}
	stopWriting := ledgerWriter(t, src, dbs...)
	ctx := context.Background()

	nodes, err := rs[0].Client.Nodes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	leaderID := ""
	for _, n := range nodes {
		if n.Leader {
			leaderID = n.NodeID
		}
	}
	leader, li := byNode(rs, leaderID)
	if leader == nil {
		t.Fatalf("no leader among %+v", nodes)
	}
	before := map[string]api.Task{}
	for _, id := range tasks {
		before[id] = waitRunningOwned(t, rs, id, time.Minute)
	}
	killed := time.Now()
	leader.Kill(t)
	other := rs[(li+1)%3]
	for {
		nodes, err := other.Client.Nodes(ctx)
		if err == nil {
			newLeader := ""
			for _, n := range nodes {
				if n.Leader {
					newLeader = n.NodeID
				}
			}
			if newLeader != "" && newLeader != leaderID {
				t.Logf("scheduler leader %s killed; %s leads after %s", leaderID, newLeader, time.Since(killed).Round(time.Millisecond))
				break
			}
		}
		if time.Since(killed) > clusterTTL+3*time.Second {
			t.Fatalf("no new scheduler leader %s after killing %s: %+v %v", clusterTTL+3*time.Second, leaderID, nodes, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for id, b := range before {
		if b.State.Owner == leaderID {
			// The killed leader's own tasks move like any dead runner's.
			waitOwnerChange(t, other, id, leaderID, killed, time.Minute)
			continue
		}
		now := waitRunningOwned(t, rs, id, clusterTTL+10*time.Second)
		if now.State.Epoch != b.State.Epoch {
			t.Errorf("task %s on live runner %s changed epoch %d -> %d when the scheduler leader died", id, b.State.Owner, b.State.Epoch, now.State.Epoch)
		}
	}
	leader.Start(t)

	for i, r := range rs {
		r.Stop(t)
		r.Start(t)
		for _, id := range tasks {
			waitRunningOwned(t, rs, id, time.Minute)
		}
		t.Logf("restarted runner r%d", i+1)
	}
	time.Sleep(time.Second)
	if err := stopWriting(); err != nil {
		t.Fatal(err)
	}
	stopAndCompare(t, rs, src, dst, tasks)
}

// SIGSTOP of the owner for twice the TTL while it holds an open apply transaction, then
// SIGCONT, under writes: another runner takes the task over (its takeover kills the paused
// owner's destination connection after a short wait), nothing of the paused transaction
// lands, the paused owner writes nothing once it wakes up, and the epochs that the
// checkpoint rows record never go down (a trigger-fed audit table on the destination, which
// sees committed writes only). The destination ends equal to the source.
func TestClusterPausedOwnerIsFenced(t *testing.T) {
	c := etcdtest.Start(t, 1)
	src, dst := mariadbtest.StartSource(t), mariadbtest.StartDestination(t)
	createLedgers(t, src, "bank")
	rs := startCluster(t, c, 2)
	task := createCDCTask(t, rs[0], rs[0].Connect(t, "src", src), rs[0].Connect(t, "dst", dst), "bank")
	task = waitRunningOwned(t, rs, task.ID, time.Minute)
	owner, idx := byNode(rs, task.State.Owner)
	other := rs[1-idx]
	meta := "adbmigrate_meta"
	dst.Exec(t, "CREATE DATABASE audit",
		"CREATE TABLE audit.epochs (n BIGINT AUTO_INCREMENT PRIMARY KEY, tbl VARCHAR(32) NOT NULL, epoch BIGINT NOT NULL)")
	for _, tbl := range []string{"cdc_workers", "task_owner"} {
		for _, ev := range []string{"INSERT", "UPDATE"} {
			dst.Exec(t, fmt.Sprintf("CREATE TRIGGER %s.audit_%s_%s AFTER %s ON %s.%s FOR EACH ROW INSERT INTO audit.epochs (tbl, epoch) VALUES ('%s', NEW.epoch)",
				meta, tbl, strings.ToLower(ev), ev, meta, tbl, tbl))
		}
	}
	// A steady write load the task keeps up with, so that it soon applies the change below.
	stopWriting := writeUntilStopped(src.DB(t, ""), 13, func(i int, rng *rand.Rand) []string {
		time.Sleep(5 * time.Millisecond)
		return []string{
			fmt.Sprintf("UPDATE bank.ledger SET amount = amount + 1, version = version + 1 WHERE id = %d", 2+rng.IntN(1999)),
			fmt.Sprintf("INSERT INTO bank.ledger (id, amount) VALUES (%d, %d)", 100000+i, i),
		}
	})
	time.Sleep(time.Second)

	// Hold a destination row the owner's next apply transaction updates: the transaction
	// waits on it after its fence check, holding the task's fence row.
	ddb := dst.DB(t, "")
	ctx := context.Background()
	hold, err := ddb.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Rollback()
	if _, err := hold.ExecContext(ctx, "SELECT * FROM bank.ledger WHERE id = 1 FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	src.Exec(t, "UPDATE bank.ledger SET amount = amount + 1000000 WHERE id = 1")
	// The owner's connections (recorded by its fence) as the destination's process list
	// shows them; a statement waiting on the held row runs for a while.
	ownerConns := func(where string) int {
		var n int
		q := "SELECT COUNT(*) FROM information_schema.PROCESSLIST p JOIN " + meta + ".task_owner_conns c ON c.conn_id = p.ID " +
			"WHERE c.task_id = ? AND c.epoch = ? AND " + where
		if err := ddb.QueryRowContext(ctx, q, task.ID, task.State.Epoch).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for deadline := time.Now().Add(30 * time.Second); ownerConns("p.COMMAND = 'Query' AND p.TIME >= 1 AND p.INFO LIKE '%bank%ledger%'") == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Logf("task_owner:\n%s\nconnections:\n%s\nprocesses:\n%s", dumpRows(t, ddb, "SELECT * FROM "+meta+".task_owner"),
				dumpRows(t, ddb, "SELECT * FROM "+meta+".task_owner_conns"), dumpRows(t, ddb, "SELECT ID, COMMAND, TIME, STATE, LEFT(INFO, 120) FROM information_schema.PROCESSLIST"))
			t.Fatal("the owner's apply transaction never waited on the held row")
		}
	}
	var blocked int64
	if err := ddb.QueryRowContext(ctx, "SELECT p.ID FROM information_schema.PROCESSLIST p JOIN "+meta+".task_owner_conns c ON c.conn_id = p.ID "+
		"WHERE c.task_id = ? AND p.COMMAND = 'Query' AND p.INFO LIKE '%bank%ledger%' LIMIT 1", task.ID).Scan(&blocked); err != nil {
		t.Fatal(err)
	}
	alive := func() bool {
		var n int
		if err := ddb.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = ?", blocked).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n > 0
	}
	owner.Pause(t)
	paused := time.Now()
	// The held row goes: the paused owner's statement completes on the server, and its
	// transaction stays open, uncommitted, with the fence row share-locked.
	if err := hold.Rollback(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if !alive() {
		t.Fatalf("the paused owner's connection %d, with its transaction open, is gone before any takeover", blocked)
	}

	next, took := waitOwnerChange(t, other, task.ID, task.State.Owner, paused, 2*clusterTTL)
	t.Logf("runner %s paused with an open apply transaction; %s took the task over at epoch %d (was %d) after %s",
		task.State.Owner, next.State.Owner, next.State.Epoch, task.State.Epoch, took.Round(time.Millisecond))
	if next.State.Epoch <= task.State.Epoch {
		t.Errorf("epoch went from %d to %d", task.State.Epoch, next.State.Epoch)
	}
	// The takeover waits checkpoint.FenceLockWait for the paused transaction, then kills its
	// connection, which rolls it back.
	for deadline := time.Now().Add(15 * time.Second); alive(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the paused owner's connection %d is still open %s after the pause", blocked, time.Since(paused).Round(time.Millisecond))
		}
	}
	t.Logf("the paused owner's connection %d was killed %s after the pause", blocked, time.Since(paused).Round(time.Millisecond))
	time.Sleep(time.Until(paused.Add(2 * clusterTTL)))
	owner.Resume(t)
	resumed := time.Now()
	time.Sleep(clusterTTL)

	// After the takeover the audit holds no write of the old epoch.
	rows, err := ddb.QueryContext(ctx, "SELECT n, tbl, epoch FROM audit.epochs ORDER BY n")
	if err != nil {
		t.Fatal(err)
	}
	var last int64
	var sawNew bool
	var count int
	for rows.Next() {
		var n, epoch int64
		var tbl string
		if err := rows.Scan(&n, &tbl, &epoch); err != nil {
			t.Fatal(err)
		}
		count++
		if epoch < last {
			t.Errorf("audit row %d: %s written at epoch %d after epoch %d: the epoch went down", n, tbl, epoch, last)
		}
		last = max(last, epoch)
		sawNew = sawNew || epoch == next.State.Epoch
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if !sawNew {
		t.Errorf("the audit saw no write of the new owner's epoch %d in %d rows", next.State.Epoch, count)
	}
	for _, line := range strings.Split(owner.Logs(), "\n") {
		if strings.Contains(line, `"level":"WARN"`) || strings.Contains(line, `"level":"ERROR"`) {
			t.Logf("paused owner: %s", line)
		}
	}
	t.Logf("audit: %d checkpoint writes, epochs never down, last %d; old owner resumed %s ago", count, last, time.Since(resumed).Round(time.Millisecond))
	if err := stopWriting(); err != nil {
		t.Fatal(err)
	}
	stopAndCompare(t, rs, src, dst, map[string]string{"bank": task.ID})
}

// dumpRows renders a query's rows for a failure message.
func dumpRows(t *testing.T, db *sql.DB, query string) string {
	rows, err := db.QueryContext(context.Background(), query)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var b strings.Builder
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err.Error()
		}
		for i, v := range vals {
			fmt.Fprintf(&b, "%s=%s ", cols[i], v.String)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// TestClusterPausedOwnerIsFencedADB is TestClusterPausedOwnerIsFenced on a destination
// without transactions or locking reads: the emulated AnalyticDB, BEGIN refused and
// ignored, where the fence rests on the owner's connections (docs/cluster.md, "Fencing
// without transactions"). The owner is paused (SIGSTOP) at an arbitrary moment of a steady
// write load, another runner takes over (after the TTL and the fence's settle wait) and
// writes, then the paused owner resumes. Triggers on the emulator's MariaDB record every
// write to the migrated table with its connection, and every connection record with its
// epoch: no write of a connection of the old epoch lands after the first write of the new
// one, and the epochs the checkpoint rows record never go down. The destination equals the
// source at the end.
func TestClusterPausedOwnerIsFencedADB(t *testing.T) {
	for _, begin := range []string{"error", "noop"} {
		t.Run("begin="+begin, func(t *testing.T) { pausedOwnerADB(t, begin) })
	}
}

func pausedOwnerADB(t *testing.T, begin string) {
	c := etcdtest.Start(t, 1)
	src, dst := mariadbtest.StartSource(t), mariadbtest.StartDestination(t)
	createLedgers(t, src, "bank")
	rs := startCluster(t, c, 2)
	dstID := rs[0].ConnectADB(t, "dst", dst, adbfront.Switches{Transactions: begin})
	task := createCDCTask(t, rs[0], rs[0].Connect(t, "src", src), dstID, "bank")
	task = waitRunningOwned(t, rs, task.ID, time.Minute)
	owner, idx := byNode(rs, task.State.Owner)
	other := rs[1-idx]
	meta := "adbmigrate_meta"
	// The audit, written by triggers on the emulator's MariaDB (behind the front, where the
	// task cannot see them).
	dst.Exec(t, "CREATE DATABASE audit",
		"CREATE TABLE audit.writes (n BIGINT AUTO_INCREMENT PRIMARY KEY, conn BIGINT NOT NULL)",
		"CREATE TABLE audit.conns (conn BIGINT NOT NULL, epoch BIGINT NOT NULL)",
		"CREATE TABLE audit.epochs (n BIGINT AUTO_INCREMENT PRIMARY KEY, epoch BIGINT NOT NULL)",
		"CREATE TRIGGER "+meta+".audit_conns AFTER INSERT ON "+meta+".task_owner_conns FOR EACH ROW INSERT INTO audit.conns VALUES (NEW.conn_id, NEW.epoch)",
		"CREATE TRIGGER "+meta+".audit_workers_i AFTER INSERT ON "+meta+".cdc_workers FOR EACH ROW INSERT INTO audit.epochs (epoch) VALUES (NEW.epoch)",
		"CREATE TRIGGER "+meta+".audit_workers_u AFTER UPDATE ON "+meta+".cdc_workers FOR EACH ROW INSERT INTO audit.epochs (epoch) VALUES (NEW.epoch)")
	// Connections recorded before the audit existed.
	dst.Exec(t, "INSERT INTO audit.conns SELECT conn_id, epoch FROM "+meta+".task_owner_conns")
	for _, ev := range []string{"INSERT", "UPDATE", "DELETE"} {
		dst.Exec(t, fmt.Sprintf("CREATE TRIGGER bank.audit_%s AFTER %s ON bank.ledger FOR EACH ROW INSERT INTO audit.writes (conn) VALUES (CONNECTION_ID())", strings.ToLower(ev), ev))
	}
	stopWriting := writeUntilStopped(src.DB(t, ""), 17, func(i int, rng *rand.Rand) []string {
		time.Sleep(2 * time.Millisecond)
		return []string{
			fmt.Sprintf("UPDATE bank.ledger SET amount = amount + 1, version = version + 1 WHERE id = %d", 1+rng.IntN(2000)),
			fmt.Sprintf("INSERT INTO bank.ledger (id, amount) VALUES (%d, %d)", 100000+i, i),
		}
	})
	ddb := dst.DB(t, "")
	ctx := context.Background()
	count := func(q string, args ...any) int64 {
		t.Helper()
		var n int64
		if err := ddb.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for deadline := time.Now().Add(30 * time.Second); count("SELECT COUNT(*) FROM audit.writes") < 200; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the owner wrote fewer than 200 rows in 30 s under the write load")
		}
	}
	// A statement of the owner in flight at the pause: hold the destination row it writes
	// next (directly on the emulator's MariaDB, which has locks), so that its REPLACE waits
	// on the server while the owner is paused. Released once the takeover is over: a stale
	// statement the fence did not end would land then, after the new owner's writes.
	hold, err := ddb.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Rollback()
	if _, err := hold.ExecContext(ctx, "SELECT * FROM bank.ledger WHERE id = 1 FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	src.Exec(t, "UPDATE bank.ledger SET amount = amount + 1000000 WHERE id = 1")
	blockedQ := "SELECT COUNT(*) FROM information_schema.PROCESSLIST p JOIN " + meta + ".task_owner_conns c ON c.conn_id = p.ID " +
		"WHERE c.task_id = ? AND c.epoch = ? AND p.COMMAND = 'Query' AND p.INFO LIKE '%bank%ledger%'"
	for deadline := time.Now().Add(30 * time.Second); count(blockedQ, task.ID, task.State.Epoch) == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the owner's write never waited on the held row; processes:\n%s", dumpRows(t, ddb, "SELECT ID, COMMAND, TIME, LEFT(INFO, 120) FROM information_schema.PROCESSLIST"))
		}
	}
	owner.Pause(t)
	paused := time.Now()
	next, took := waitOwnerChange(t, other, task.ID, task.State.Owner, paused, 2*clusterTTL)
	t.Logf("runner %s paused with a write waiting on the server; %s claimed the task at epoch %d (was %d) after %s",
		task.State.Owner, next.State.Owner, next.State.Epoch, task.State.Epoch, took.Round(time.Millisecond))
	if next.State.Epoch <= task.State.Epoch {
		t.Fatalf("epoch went from %d to %d", task.State.Epoch, next.State.Epoch)
	}
	// The takeover ends the old owner's connections (after its settle wait); then the hold
	// goes.
	for deadline := time.Now().Add(checkpoint.DefaultSettle + 15*time.Second); count(blockedQ, task.ID, task.State.Epoch) > 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			// A failure, not a fall-through: the release below then shows, in the audit,
			// what the stale statement does once it can go on.
			t.Errorf("the old owner's waiting write is still on the server %s after the pause: neither the takeover's kill nor the statement deadline ended it", time.Since(paused).Round(time.Millisecond))
			break
		}
	}
	t.Logf("the old owner's waiting write is gone %s after the pause; releasing the held row", time.Since(paused).Round(time.Millisecond))
	takenOver := count("SELECT COALESCE(MAX(n), 0) FROM audit.writes")
	if err := hold.Rollback(); err != nil {
		t.Fatal(err)
	}
	// The new owner writes only after its takeover: the settle wait, the kills.
	newWrites := "SELECT COUNT(*) FROM audit.writes w JOIN audit.conns c ON c.conn = w.conn WHERE c.epoch = ?"
	for deadline := time.Now().Add(checkpoint.DefaultSettle + time.Minute); count(newWrites, next.State.Epoch) == 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the new owner wrote nothing within %s of its claim", checkpoint.DefaultSettle+time.Minute)
		}
	}
	t.Logf("the new owner's first write landed %s after the pause", time.Since(paused).Round(time.Millisecond))
	owner.Resume(t)
	resumed := time.Now()
	time.Sleep(2 * clusterTTL)

	// No write through a connection of the old epoch after the new epoch's first write.
	firstNew := count("SELECT MIN(w.n) FROM audit.writes w JOIN audit.conns c ON c.conn = w.conn WHERE c.epoch = ?", next.State.Epoch)
	late := count("SELECT COUNT(*) FROM audit.writes w JOIN audit.conns c ON c.conn = w.conn WHERE c.epoch < ? AND w.n > ?", next.State.Epoch, firstNew)
	unknown := count("SELECT COUNT(*) FROM audit.writes w WHERE NOT EXISTS (SELECT 1 FROM audit.conns c WHERE c.conn = w.conn)")
	oldTotal := count("SELECT COUNT(*) FROM audit.writes w JOIN audit.conns c ON c.conn = w.conn WHERE c.epoch < ?", next.State.Epoch)
	if late > 0 {
		t.Errorf("%d writes through connections of the old epoch landed after the new owner's first write (audit row %d)", late, firstNew)
	}
	if n := count("SELECT COUNT(*) FROM audit.writes w JOIN audit.conns c ON c.conn = w.conn WHERE c.epoch < ? AND w.n > ?", next.State.Epoch, takenOver); n > 0 {
		t.Errorf("%d writes through connections of the old epoch landed after the takeover (audit row %d)", n, takenOver)
	}
	if unknown > 0 {
		t.Errorf("%d writes came through connections no owner recorded", unknown)
	}
	if oldTotal == 0 {
		t.Errorf("the audit saw no write of the old owner: the test proves nothing")
	}
	rows, err := ddb.QueryContext(ctx, "SELECT n, epoch FROM audit.epochs ORDER BY n")
	if err != nil {
		t.Fatal(err)
	}
	var last int64
	for rows.Next() {
		var n, epoch int64
		if err := rows.Scan(&n, &epoch); err != nil {
			t.Fatal(err)
		}
		if epoch < last {
			t.Errorf("checkpoint audit row %d: written at epoch %d after epoch %d", n, epoch, last)
		}
		last = max(last, epoch)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("audit: %d writes of the old owner, none after the new owner's first (row %d); checkpoint epochs never down, last %d; old owner resumed %s ago",
		oldTotal, firstNew, last, time.Since(resumed).Round(time.Millisecond))
	if err := stopWriting(); err != nil {
		t.Fatal(err)
	}
	stopAndCompare(t, rs, src, dst, map[string]string{"bank": task.ID})
}
