// Command benchfailover measures how long a task of a runner cluster is without an owner
// applying changes when its owner is killed, under a sustained sysbench write load. It is
// run by scripts/bench-failover.sh (make bench-failover), which starts the two MariaDB
// servers; this program starts three etcd members and three runners in cluster mode.
//
//  1. loads the source with `sysbench oltp_write_only prepare` (-tables x -rows);
//  2. creates a schema + full + incremental task for sbtest and waits until it runs;
//  3. runs `sysbench oltp_write_only` on the source until the end, and -kills times: finds
//     the task's owner, kills it with SIGKILL, and measures the failover: from the kill until
//     another runner owns the task, runs it and reports an applied position other than the
//     one before the kill (the position is persisted every 0.5 s, so the figure includes up
//     to that much reporting delay); then starts the killed runner again and waits -pause;
//  4. stops sysbench, stops the task (it drains to the source's position) and compares every
//     table's row count and CHECKSUM TABLE on source and destination;
//  5. prints the failover p50, p99 and max against the TTL + 3 s bound, and fails when a
//     table differs or p99 exceeds the bound.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/bench/benchkit"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

const database = "sbtest"

type config struct {
	srcPort, dstPort int
	user, password   string
	runner, workDir  string
	etcd             string
	tables, rows     int
	threads, kills   int
	ttl, pause       time.Duration
	timeout          time.Duration
	out              string
}

func main() { benchkit.Main("benchfailover", parseFlags, run) }

func parseFlags(args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("benchfailover", flag.ContinueOnError)
	fs.IntVar(&cfg.srcPort, "source-port", 0, "source MariaDB port (required)")
	fs.IntVar(&cfg.dstPort, "destination-port", 0, "destination MariaDB port (required)")
	fs.StringVar(&cfg.user, "user", "bench", "database user on both servers; the password is $BENCH_DB_PASSWORD")
	fs.StringVar(&cfg.runner, "runner", "bin/adbmigrate-runner", "runner binary")
	fs.StringVar(&cfg.workDir, "work-dir", "", "directory for etcd data, runner logs and keys (required)")
	fs.StringVar(&cfg.etcd, "etcd", "etcd", "etcd server binary")
	fs.IntVar(&cfg.tables, "tables", 4, "sysbench tables")
	fs.IntVar(&cfg.rows, "rows", 20000, "rows per sysbench table")
	fs.IntVar(&cfg.threads, "threads", 2, "sysbench threads")
	fs.IntVar(&cfg.kills, "kills", 10, "owner kills to measure (at least 10 for a p99)")
	fs.DurationVar(&cfg.ttl, "ttl", 5*time.Second, "the runners' --session-ttl")
	fs.DurationVar(&cfg.pause, "pause", 2*time.Second, "pause after a killed runner is back, before the next kill")
	fs.DurationVar(&cfg.timeout, "timeout", 10*time.Minute, "longest any single wait may take")
	fs.StringVar(&cfg.out, "out", "", "append the result as a markdown table row to this file")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	cfg.password = os.Getenv("BENCH_DB_PASSWORD")
	switch {
	case cfg.srcPort == 0 || cfg.dstPort == 0 || cfg.workDir == "":
		return cfg, errors.New("-source-port, -destination-port and -work-dir are required")
	case cfg.kills < 1:
		return cfg, errors.New("-kills must be at least 1")
	}
	return cfg, nil
}

func run(ctx context.Context, cfg config) error {
	endpoints, err := startEtcd(ctx, cfg)
	if err != nil {
		return err
	}
	src, err := benchkit.OpenDB(cfg.user, cfg.password, cfg.srcPort, nil)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := benchkit.OpenDB(cfg.user, cfg.password, cfg.dstPort, nil)
	if err != nil {
		return err
	}
	defer dst.Close()

	fmt.Printf("\n== sysbench prepare: %d tables x %d rows on the source ==\n", cfg.tables, cfg.rows)
	if err := benchkit.RecreateDatabase(ctx, src, database); err != nil {
		return err
	}
	if err := sysbench(ctx, cfg, "prepare", "--threads="+strconv.Itoa(min(cfg.threads, cfg.tables))); err != nil {
		return err
	}

	keyFile := filepath.Join(cfg.workDir, "secret.key")
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	if err := os.WriteFile(keyFile, key, 0o600); err != nil {
		return err
	}
	args := func(i int) []string {
		return []string{"--etcd-endpoints", strings.Join(endpoints, ","), "--node-id", fmt.Sprintf("r%d", i+1),
			"--secret-key-file", keyFile, "--session-ttl", cfg.ttl.String()}
	}
	runners := make([]*benchkit.Runner, 3)
	for i := range runners {
		if runners[i], err = benchkit.StartRunner(cfg.runner, cfg.workDir, fmt.Sprintf("r%d", i+1), args(i)...); err != nil {
			return err
		}
	}
	defer func() {
		for _, r := range runners {
			if r != nil {
				r.Stop()
			}
		}
	}()

	fmt.Printf("\n== adbmigrate: schema + full + incremental task for %s on a cluster of 3 runners (TTL %s) ==\n", database, cfg.ttl)
	srcID, dstID, err := benchkit.CreateConnections(ctx, runners[0].Client, cfg.user, cfg.password, cfg.srcPort, cfg.dstPort)
	if err != nil {
		return err
	}
	task, err := runners[0].Client.CreateTask(ctx, api.TaskSpec{
		Name: "bench-failover", SourceConnectionID: srcID, DestinationConnectionID: dstID,
		MigrationTypes: []api.MigrationType{api.MigrationSchema, api.MigrationFull, api.MigrationIncremental},
		Objects:        []api.Object{{Database: database}},
	})
	if err != nil {
		return fmt.Errorf("creating the task: %w", err)
	}
	if _, err := waitTask(ctx, cfg, runners, -1, task.ID, func(t api.Task) bool { return t.State.Status == api.StatusRunning && t.State.Owner != "" }); err != nil {
		return err
	}

	fmt.Printf("\n== sysbench oltp_write_only, %d threads, on the source; %d owner kills ==\n", cfg.threads, cfg.kills)
	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	loadDone := make(chan error, 1)
	go func() {
		loadDone <- sysbench(loadCtx, cfg, "run", "--threads="+strconv.Itoa(cfg.threads), "--time=0", "--events=0", "--report-interval=0")
	}()
	time.Sleep(cfg.pause)

	var failovers []float64
	for k := range cfg.kills {
		before, err := waitTask(ctx, cfg, runners, -1, task.ID, func(t api.Task) bool { return t.State.Status == api.StatusRunning && t.State.Owner != "" })
		if err != nil {
			return err
		}
		victim := slices.IndexFunc([]string{"r1", "r2", "r3"}, func(n string) bool { return n == before.State.Owner })
		if victim < 0 {
			return fmt.Errorf("task owner %q is none of r1..r3", before.State.Owner)
		}
		killed := time.Now()
		runners[victim].Kill()
		after, err := waitTask(ctx, cfg, runners, victim, task.ID, func(t api.Task) bool {
			return t.State.Owner != "" && t.State.Owner != before.State.Owner && t.State.Status == api.StatusRunning && t.State.Position != before.State.Position
		})
		if err != nil {
			return err
		}
		took := time.Since(killed)
		failovers = append(failovers, took.Seconds())
		fmt.Printf("bench: kill %2d: owner %s (epoch %d) killed; %s applying at epoch %d after %.2f s\n",
			k+1, before.State.Owner, before.State.Epoch, after.State.Owner, after.State.Epoch, took.Seconds())
		if runners[victim], err = benchkit.StartRunner(cfg.runner, cfg.workDir, fmt.Sprintf("r%d", victim+1), args(victim)...); err != nil {
			return err
		}
		time.Sleep(cfg.pause)
	}

	stopLoad()
	if err := <-loadDone; err != nil && loadCtx.Err() == nil {
		return err
	}
	fmt.Printf("\n== stopping the task (drain) and comparing source and destination ==\n")
	var stopErr error
	for _, r := range runners {
		if _, stopErr = r.Client.StopTask(ctx, task.ID); stopErr == nil {
			break
		}
	}
	if stopErr != nil {
		return stopErr
	}
	if _, err := waitTask(ctx, cfg, runners, -1, task.ID, func(t api.Task) bool { return t.State.Status == api.StatusStopped }); err != nil {
		return err
	}
	tables, rows, verr := benchkit.Verify(ctx, src, dst, database, "destination")
	diff := 0
	if verr != nil {
		diff = 1
		fmt.Println("bench: DIFF:", verr)
	} else {
		fmt.Printf("bench: verified %d tables, %d rows: same counts and CHECKSUM TABLE on source and destination\n", tables, rows)
	}
	p50, p99, worst := percentile(failovers, 50), percentile(failovers, 99), slices.Max(failovers)
	bound := (cfg.ttl + 3*time.Second).Seconds()
	fmt.Printf("\nbench: failover over %d kills (TTL %s): p50 %.2f s, p99 %.2f s, max %.2f s (bound TTL + 3 s = %.0f s); tables differing: %d\n",
		len(failovers), cfg.ttl, p50, p99, worst, bound, diff)
	if cfg.out != "" {
		row := fmt.Sprintf("| %d | %s | %d x %d | %d | %.2f | %.2f | %.2f | %d |\n", len(failovers), cfg.ttl, cfg.tables, cfg.rows, cfg.threads, p50, p99, worst, diff)
		if err := benchkit.AppendMarkdown(cfg.out, "| kills | TTL | tables x rows | sysbench threads | failover p50 s | p99 s | max s | tables differing |\n|---|---|---|---|---|---|---|---|\n", row); err != nil {
			return err
		}
	}
	switch {
	case verr != nil:
		return verr
	case p99 > bound:
		return fmt.Errorf("failover p99 %.2f s exceeds TTL + 3 s = %.0f s", p99, bound)
	}
	return nil
}

// waitTask polls the task through the runners (skipping index skip) every 50 ms until ok
// holds for what one of them answers.
func waitTask(ctx context.Context, cfg config, runners []*benchkit.Runner, skip int, id string, ok func(api.Task) bool) (api.Task, error) {
	deadline := time.Now().Add(cfg.timeout)
	var last api.Task
	for time.Now().Before(deadline) {
		for i, r := range runners {
			if i == skip {
				continue
			}
			rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			t, err := r.Client.GetTask(rctx, id)
			cancel()
			if err != nil {
				continue
			}
			last = t
			if ok(t) {
				return t, nil
			}
			if t.State.Status == api.StatusFailed {
				return t, fmt.Errorf("task %s failed: %s", id, t.State.ErrorMessage)
			}
			break
		}
		select {
		case <-ctx.Done():
			return last, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return last, fmt.Errorf("task %s: condition not reached within %s; last state %+v", id, cfg.timeout, last.State)
}

// startEtcd starts three etcd members on free loopback ports with data under the work
// directory; they are killed with this process (Pdeathsig).
func startEtcd(ctx context.Context, cfg config) ([]string, error) {
	fmt.Printf("\n== three etcd members ==\n")
	// Six distinct ports that were free a moment ago.
	var ports []int
	var lns []net.Listener
	for range 6 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		ln.Close()
	}
	var initial, clients []string
	for i := range 3 {
		initial = append(initial, fmt.Sprintf("e%d=http://127.0.0.1:%d", i+1, ports[2*i+1]))
		clients = append(clients, fmt.Sprintf("http://127.0.0.1:%d", ports[2*i]))
	}
	for i := range 3 {
		name := fmt.Sprintf("e%d", i+1)
		log, err := os.Create(filepath.Join(cfg.workDir, name+".log"))
		if err != nil {
			return nil, err
		}
		peer := fmt.Sprintf("http://127.0.0.1:%d", ports[2*i+1])
		cmd := exec.Command(cfg.etcd, "--name", name, "--data-dir", filepath.Join(cfg.workDir, name),
			"--listen-client-urls", clients[i], "--advertise-client-urls", clients[i],
			"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
			"--initial-cluster", strings.Join(initial, ","), "--initial-cluster-state", "new", "--initial-cluster-token", "bench",
			"--logger", "zap", "--log-outputs", "stderr")
		cmd.Stdout, cmd.Stderr = log, log
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("starting etcd: %w", err)
		}
		log.Close()
		fmt.Printf("bench: etcd %s pid %d, client %s\n", name, cmd.Process.Pid, clients[i])
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: clients, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		return nil, err
	}
	defer cli.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		gctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := cli.Get(gctx, "bench-probe")
		cancel()
		if err == nil {
			return clients, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("etcd did not answer within 30 s: %w", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// percentile returns the nearest-rank p-th percentile (0..100) of v.
func percentile(v []float64, p float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// sysbench runs oltp_write_only on the source; a run ends when ctx does.
func sysbench(ctx context.Context, cfg config, command string, extra ...string) error {
	args := []string{"oltp_write_only", "--db-driver=mysql",
		"--mysql-host=127.0.0.1", "--mysql-port=" + strconv.Itoa(cfg.srcPort),
		"--mysql-user=" + cfg.user, "--mysql-password=" + cfg.password, "--mysql-db=" + database,
		"--tables=" + strconv.Itoa(cfg.tables), "--table-size=" + strconv.Itoa(cfg.rows)}
	cmd := exec.CommandContext(ctx, "sysbench", append(append(args, extra...), command)...)
	cmd.Stderr = os.Stderr
	if command != "run" {
		cmd.Stdout = os.Stdout
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Run(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("sysbench %s: %w", command, err)
	}
	return nil
}
