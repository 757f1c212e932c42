// Command benchcdc measures incremental migration (the binlog path) through adbmigrate-runner:
// how far behind it stays under a sustained write load, and how fast it works off a backlog
// compared with MariaDB's own replication on the same machine and the same binlog, both as
// MariaDB sets it up by default and tuned for speed.
//
// scripts/bench-cdc.sh (make bench-cdc) installs the tools, builds the runner, starts three
// MariaDB servers (source, destination, and a replica for native replication) and then runs
// this program; it is not meant to be run alone. It:
//
//  1. loads the source with `sysbench oltp_write_only prepare` (-tables x -rows) and adds a
//     heartbeat table to the same database;
//  2. starts a runner and creates a schema+full+incremental task for sbtest, waits for it to
//     be Running and caught up;
//  3. sustained load: runs `sysbench oltp_write_only --threads=-threads --time=-duration` on
//     the source at full speed. Meanwhile it samples the task's status (latency_seconds,
//     position, rows_migrated) through the runner API every 200 ms, together with the
//     source's @@gtid_binlog_pos, and every second writes a heartbeat row (NOW(6)) on the
//     source and polls the destination every 10 ms until the row is there: the time between
//     is the real lag, measured outside the runner. It then stops the task (the stop drains)
//     and compares every table with CHECKSUM TABLE;
//  4. catch-up: with the task stopped, copies sbtest to the replica (mydumper + myloader) at
//     the source's @@gtid_binlog_pos and points it at the source (MASTER_USE_GTID =
//     slave_pos). Then two rounds, each over a fresh backlog of about -backlog row changes
//     (sysbench oltp_write_only --events, and a final marker row) received by the replica's
//     IO thread alone: first MariaDB's default replica (slave_parallel_threads=0, durable
//     commits: innodb_flush_log_at_trx_commit=1 on the replica and on the destination), then
//     a tuned one (slave_parallel_threads=4, slave_parallel_mode=optimistic,
//     innodb_flush_log_at_trx_commit=2 on the replica and on the destination). Each round
//     times the replica's SQL thread and then the task (started again) from start until
//     the marker row is on their server and their applied GTID reaches the source's, with
//     the CPU-seconds the whole machine used meanwhile (/proc/stat), and checks both with
//     CHECKSUM TABLE. A second task, created after the sustained load and stopped, migrates
//     sbtest to sbtest_where with the where filter "id > 0" on every table (it keeps every
//     row); it is timed over the first round's backlog right after the plain task, so its
//     rate against the plain task's is the cost of evaluating where filters;
//     With -adb, a third task, created and stopped like the second, migrates sbtest to
//     sbtest_adb through the emulated AnalyticDB (-adbfront, started in front of the
//     destination MariaDB with BEGIN a no-op), so it writes directly: each change as a
//     REPLACE or DELETE by key without a transaction around the batch, its checkpoint
//     after. It is timed over every round's backlog right after the plain task (and the
//     where task), with the emulator's CPU-seconds, and checked on the destination MariaDB
//     directly (row counts and sums of row CRC32s: the emulator maps the column types, so
//     CHECKSUM TABLE differs); its time against the plain task's is the cost of writing
//     without transactions;
//  5. prints a result block with the runner's peak RSS and appends a markdown table row to
//     -out when given.
//
// Row changes: every oltp_write_only transaction (sysbench defaults) is one UPDATE of an
// indexed column, one UPDATE of a non-indexed column, one DELETE and one INSERT, each of one
// row by primary key: 4 row changes. Rates are row changes per second, from sysbench's count
// of committed transactions (cross-checked with the source's Handler_* counters).
//
// The database password comes from $BENCH_DB_PASSWORD, never from the command line.
package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/bench/benchkit"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

const (
	// database is the sysbench database the task migrates.
	database = "sbtest"
	// heartbeat is the table, in database, that the lag and catch-up markers go to.
	heartbeat = database + ".bench_heartbeat"
	// rowsPerTxn is the row changes of one oltp_write_only transaction with sysbench's
	// defaults (index_updates=1, non_index_updates=1, delete_inserts=1).
	rowsPerTxn = 4
)

type config struct {
	srcPort, dstPort, replicaPort int
	user, password                string
	runnerBin, workDir            string
	verify                        bool
	tables, rows, threads         int
	duration                      time.Duration
	backlog                       int
	instanceClass                 string
	out                           string
	timeout                       time.Duration
	// adb runs the direct-write task into the emulator frontBin.
	adb      bool
	frontBin string
}

func main() { benchkit.Main("benchcdc", parseFlags, run) }

func parseFlags(args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("benchcdc", flag.ContinueOnError)
	fs.IntVar(&cfg.srcPort, "source-port", 0, "port of the source MariaDB on 127.0.0.1")
	fs.IntVar(&cfg.dstPort, "destination-port", 0, "port of the destination MariaDB on 127.0.0.1")
	fs.IntVar(&cfg.replicaPort, "replica-port", 0, "port of the MariaDB that replicates natively from the source")
	fs.StringVar(&cfg.user, "user", "", "database user on every server (password in $BENCH_DB_PASSWORD)")
	fs.StringVar(&cfg.runnerBin, "runner", "bin/adbmigrate-runner", "adbmigrate-runner binary")
	fs.StringVar(&cfg.workDir, "work-dir", "", "directory for runner data, logs and the dump")
	fs.IntVar(&cfg.tables, "tables", 4, "sysbench tables")
	fs.IntVar(&cfg.rows, "rows", 100000, "rows per sysbench table")
	fs.IntVar(&cfg.threads, "threads", 4, "sysbench threads for the load and the backlog")
	fs.DurationVar(&cfg.duration, "duration", 60*time.Second, "how long the sustained load runs")
	fs.IntVar(&cfg.backlog, "backlog", 600000, "row changes in the catch-up backlog")
	fs.StringVar(&cfg.instanceClass, "instance-class", "", "instance class of the task (default: the runner's)")
	fs.StringVar(&cfg.out, "out", "", "markdown file to append a result row to (optional)")
	fs.BoolVar(&cfg.verify, "verify", false, "run continuous data verification during the sustained load, and count its mismatches (false alarms)")
	fs.DurationVar(&cfg.timeout, "timeout", 30*time.Minute, "longest any single wait may take")
	fs.BoolVar(&cfg.adb, "adb", true, "time a third task, into the emulated AnalyticDB with BEGIN a no-op (writes without transactions), over every backlog")
	fs.StringVar(&cfg.frontBin, "adbfront", "", "the emulator's binary (internal/adbfront/cmd/adbfront), required with -adb")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	cfg.password = os.Getenv("BENCH_DB_PASSWORD")
	switch {
	case cfg.srcPort == 0 || cfg.dstPort == 0 || cfg.replicaPort == 0:
		return cfg, errors.New("-source-port, -destination-port and -replica-port are required")
	case cfg.user == "" || cfg.password == "":
		return cfg, errors.New("-user and $BENCH_DB_PASSWORD are required")
	case cfg.workDir == "":
		return cfg, errors.New("-work-dir is required")
	case cfg.tables < 1 || cfg.rows < 1 || cfg.threads < 1:
		return cfg, errors.New("-tables, -rows and -threads must be positive")
	case cfg.duration < time.Second:
		return cfg, errors.New("-duration must be at least 1s")
	case cfg.backlog < rowsPerTxn:
		return cfg, fmt.Errorf("-backlog must be at least %d", rowsPerTxn)
	case cfg.adb && cfg.frontBin == "":
		return cfg, errors.New("-adb needs -adbfront, the emulator's binary (go build ./internal/adbfront/cmd/adbfront), or -adb=false")
	}
	return cfg, nil
}

// servers are the three database pools.
type servers struct {
	src, dst, replica *sql.DB
}

// loadResult is the sustained-load phase.
type loadResult struct {
	window       time.Duration // the status samples appliedRows is counted between
	sysbench     sysbenchResult
	handlerRows  int64         // Handler_write + _update + _delete on the source over the window
	appliedRows  int64         // rows_migrated delta over the window
	reportedLag  []float64     // latency_seconds samples during the window
	behindTxns   []float64     // source GTID seq minus applied GTID seq, per sample
	heartbeatLag []float64     // seconds from NOW(6) on the source to seen on the destination
	afterLoad    time.Duration // from the end of the load until a marker written then arrived
	stop         time.Duration // POST stop (drain) duration
	verifiedRows int64
	// With -verify: verification sweeps finished during the load, and how many of them
	// reported a mismatch.
	sweeps, mismatchedSweeps int
}

func run(ctx context.Context, cfg config) error {
	var s servers
	var err error
	for _, p := range []struct {
		db   **sql.DB
		port int
	}{{&s.src, cfg.srcPort}, {&s.dst, cfg.dstPort}, {&s.replica, cfg.replicaPort}} {
		if *p.db, err = openDB(cfg, p.port); err != nil {
			return err
		}
		defer (*p.db).Close()
	}
	var version string
	if err := s.src.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
		return err
	}
	class := cfg.instanceClass
	if class == "" {
		class = "default"
	}
	fmt.Printf("bench: %s, %d tables x %d rows, %d sysbench threads, load %v, backlog %d row changes, task instance class %s\n",
		version, cfg.tables, cfg.rows, cfg.threads, cfg.duration, cfg.backlog, class)

	if err := prepare(ctx, cfg, s.src); err != nil {
		return err
	}
	var runnerArgs []string
	if cfg.verify {
		runnerArgs = []string{"--verify-pause", "1s", "--verify-settle", "5s"}
	}
	r, err := benchkit.StartRunner(cfg.runnerBin, cfg.workDir, "cdc", runnerArgs...)
	if err != nil {
		return err
	}
	defer r.Stop()
	rss := benchkit.SampleRSS(r.Pid(), 100*time.Millisecond)
	srcID, dstID, err := benchkit.CreateConnections(ctx, r.Client, cfg.user, cfg.password, cfg.srcPort, cfg.dstPort)
	if err != nil {
		rss.Stop()
		return err
	}
	taskID, err := createTask(ctx, cfg, r, api.TaskSpec{Name: "bench-cdc", SourceConnectionID: srcID, DestinationConnectionID: dstID,
		Objects: []api.Object{{Database: database}}, DataVerification: dataVerification(cfg)})
	if err != nil {
		rss.Stop()
		return err
	}
	load, err := sustainedLoad(ctx, cfg, s, r, taskID)
	if err != nil {
		rss.Stop()
		return err
	}
	whereID, err := createWhereTask(ctx, cfg, s, r, srcID, dstID)
	if err != nil {
		rss.Stop()
		return err
	}
	var direct *directTask
	if cfg.adb {
		front, err := benchkit.StartFront(cfg.frontBin, cfg.workDir, "cdc", filepath.Join(cfg.workDir, "destination"), cfg.dstPort)
		if err != nil {
			rss.Stop()
			return err
		}
		defer front.Stop()
		if direct, err = createDirectTask(ctx, cfg, s, r, srcID, front); err != nil {
			rss.Stop()
			return err
		}
	}
	catch, err := catchUp(ctx, cfg, s, r, taskID, whereID, direct)
	peak, _, _, rssErr := benchkit.PeakRSS(rss, r.Pid())
	if err != nil {
		return err
	}
	if rssErr != nil {
		return rssErr
	}
	report(cfg, version, load, catch, peak)
	if cfg.out != "" {
		return appendMarkdown(cfg, version, load, catch, peak)
	}
	return nil
}

func openDB(cfg config, port int) (*sql.DB, error) {
	// NOW(6) in the heartbeat rows is UTC, and so is the parse of the destination's copy.
	return benchkit.OpenDB(cfg.user, cfg.password, port, map[string]string{"time_zone": "'+00:00'"})
}

// prepare creates the sysbench tables and the heartbeat table on the source.
func prepare(ctx context.Context, cfg config, src *sql.DB) error {
	fmt.Printf("\n== sysbench prepare: %d tables x %d rows on the source ==\n", cfg.tables, cfg.rows)
	if err := benchkit.RecreateDatabase(ctx, src, database); err != nil {
		return err
	}
	start := time.Now()
	if _, err := sysbench(ctx, cfg, "prepare", "--threads="+strconv.Itoa(min(cfg.threads, cfg.tables))); err != nil {
		return err
	}
	if _, err := src.ExecContext(ctx, "CREATE TABLE "+heartbeat+" (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, ts DATETIME(6) NOT NULL)"); err != nil {
		return fmt.Errorf("creating %s: %w", heartbeat, err)
	}
	fmt.Printf("bench: prepare took %.1f s\n", time.Since(start).Seconds())
	return nil
}

// sysbenchResult is what sysbench printed about a run.
type sysbenchResult struct {
	txns, ignoredErrors int64
	seconds             float64
}

func (r sysbenchResult) rowChanges() int64 { return rowsPerTxn * r.txns }

var (
	reTxns    = regexp.MustCompile(`transactions:\s+(\d+)`)
	reIgnored = regexp.MustCompile(`ignored errors:\s+(\d+)`)
	reTime    = regexp.MustCompile(`total time:\s+([0-9.]+)s`)
)

// sysbench runs oltp_write_only with the common options and extra ones, echoing and parsing
// its output.
func sysbench(ctx context.Context, cfg config, command string, extra ...string) (sysbenchResult, error) {
	args := []string{"oltp_write_only", "--db-driver=mysql",
		"--mysql-host=127.0.0.1", "--mysql-port=" + strconv.Itoa(cfg.srcPort),
		"--mysql-user=" + cfg.user, "--mysql-password=" + cfg.password, "--mysql-db=" + database,
		"--tables=" + strconv.Itoa(cfg.tables), "--table-size=" + strconv.Itoa(cfg.rows)}
	args = append(append(args, extra...), command)
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "sysbench", args...)
	cmd.Stdout, cmd.Stderr = io.MultiWriter(os.Stdout, &out), os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Run(); err != nil {
		return sysbenchResult{}, fmt.Errorf("sysbench %s: %w", command, err)
	}
	var res sysbenchResult
	if command != "run" {
		return res, nil
	}
	text := out.String()
	m, mi, mt := reTxns.FindStringSubmatch(text), reIgnored.FindStringSubmatch(text), reTime.FindStringSubmatch(text)
	if m == nil || mi == nil || mt == nil {
		return res, errors.New("sysbench run: no transaction count, ignored errors or total time in its output")
	}
	res.txns, _ = strconv.ParseInt(m[1], 10, 64)
	res.ignoredErrors, _ = strconv.ParseInt(mi[1], 10, 64)
	res.seconds, _ = strconv.ParseFloat(mt[1], 64)
	return res, nil
}

// createTask creates a schema+full+incremental task from spec (name, connections, objects,
// verification), then waits until it runs incremental migration.
func createTask(ctx context.Context, cfg config, r *benchkit.Runner, spec api.TaskSpec) (string, error) {
	fmt.Printf("\n== adbmigrate: schema + full + incremental task %s ==\n", spec.Name)
	start := time.Now()
	spec.MigrationTypes = []api.MigrationType{api.MigrationSchema, api.MigrationFull, api.MigrationIncremental}
	spec.InstanceClass = cfg.instanceClass
	task, err := r.Client.CreateTask(ctx, spec)
	if err != nil {
		return "", fmt.Errorf("creating the task: %w", err)
	}
	st, err := waitStatus(ctx, r, task.ID, cfg.timeout, api.StatusRunning)
	if err != nil {
		return "", err
	}
	fmt.Printf("bench: task %s Running after %.2f s (%d rows copied)\n", task.ID, time.Since(start).Seconds(), st.RowsMigrated)
	return task.ID, nil
}

// whereDatabase is the destination database of the task with where filters.
const whereDatabase = database + "_where"

// whereFilter is the where filter of every table of that task: it keeps every row, so the
// task applies the same changes as the plain one and its rate differs only by evaluating
// the filter.
const whereFilter = "id > 0"

// createWhereTask creates the second task: sbtest into whereDatabase, every table with
// whereFilter. Once it runs incremental migration it is stopped (the stop drains), and its
// tables are checked against the source's; the catch-up then times it over the same
// backlog as the plain task.
func createWhereTask(ctx context.Context, cfg config, s servers, r *benchkit.Runner, srcID, dstID string) (string, error) {
	tables := []api.Table{{Name: strings.TrimPrefix(heartbeat, database+"."), Where: whereFilter}}
	for i := 1; i <= cfg.tables; i++ {
		tables = append(tables, api.Table{Name: "sbtest" + strconv.Itoa(i), Where: whereFilter})
	}
	id, err := createTask(ctx, cfg, r, api.TaskSpec{Name: "bench-cdc-where", SourceConnectionID: srcID, DestinationConnectionID: dstID,
		Objects: []api.Object{{Database: database, RenameTo: whereDatabase, Tables: tables}}})
	if err != nil {
		return "", err
	}
	task, err := r.Client.StopTask(ctx, id)
	if err != nil {
		return "", fmt.Errorf("stopping task %s: %w", id, err)
	}
	if task.State.Status != api.StatusStopped {
		return "", fmt.Errorf("after stop the task is %s: %s", task.State.Status, task.State.ErrorMessage)
	}
	_, err = verifyWhere(ctx, s)
	return id, err
}

// directDatabase is the destination database of the task into the emulator.
const directDatabase = database + "_adb"

// directTask is the task into the emulated AnalyticDB, and the emulator.
type directTask struct {
	id    string
	front *benchkit.Front
}

// createDirectTask creates the third task: sbtest into directDatabase through front (a
// connection of type adb_mysql3). Once it runs incremental migration it is stopped (the
// stop drains), and its tables are checked against the source's on the destination
// MariaDB; the catch-up then times it over every backlog.
func createDirectTask(ctx context.Context, cfg config, s servers, r *benchkit.Runner, srcID string, front *benchkit.Front) (*directTask, error) {
	dstID, err := benchkit.CreateConnection(ctx, r.Client, "bench-adb", api.DatabaseADBMySQL3, cfg.user, cfg.password, front.Port)
	if err != nil {
		return nil, err
	}
	id, err := createTask(ctx, cfg, r, api.TaskSpec{Name: "bench-cdc-adb", SourceConnectionID: srcID, DestinationConnectionID: dstID,
		Objects: []api.Object{{Database: database, RenameTo: directDatabase}}, IgnorePrecheckAlerts: benchkit.ADBAlerts})
	if err != nil {
		return nil, err
	}
	if err := benchkit.CheckDirect(ctx, r.Client, id); err != nil {
		return nil, err
	}
	task, err := r.Client.StopTask(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("stopping task %s: %w", id, err)
	}
	if task.State.Status != api.StatusStopped {
		return nil, fmt.Errorf("after stop the task is %s: %s", task.State.Status, task.State.ErrorMessage)
	}
	_, err = verifyDirect(ctx, s)
	return &directTask{id: id, front: front}, err
}

// verifyDirect checks that every table of sbtest has the same row count and row values in
// directDatabase on the destination MariaDB (benchkit.VerifyValues), and returns the total
// row count.
func verifyDirect(ctx context.Context, s servers) (int64, error) {
	tables, total, err := benchkit.VerifyValues(ctx, s.src, s.dst, database, directDatabase, "destination")
	if err != nil {
		return 0, err
	}
	fmt.Printf("bench: verified %d tables, %d rows: %s on the destination MariaDB has the source's counts and sums of row CRC32s\n", tables, total, directDatabase)
	return total, nil
}

// waitStatus polls the task every 50 ms until it has status want; a task that fails, or
// ends in another status, is an error carrying its message.
func waitStatus(ctx context.Context, r *benchkit.Runner, id string, timeout time.Duration, want api.Status) (api.TaskState, error) {
	deadline := time.Now().Add(timeout)
	for {
		st, err := r.Client.TaskStatus(ctx, id)
		if err != nil {
			return st, fmt.Errorf("reading task %s: %w", id, err)
		}
		if st.Status == want {
			return st, nil
		}
		switch st.Status {
		case api.StatusCompleted, api.StatusFailed, api.StatusPrecheckFailed, api.StatusStopped:
			return st, fmt.Errorf("task %s is %s, want %s: %s\nrunner log %s (last lines):\n%s", id, st.Status, want, st.ErrorMessage, r.LogPath, benchkit.Tail(r.LogPath, 20))
		}
		if time.Now().After(deadline) {
			return st, fmt.Errorf("task %s still %s after %v, want %s", id, st.Status, timeout, want)
		}
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// writeHeartbeat inserts a heartbeat row on the source and returns its id.
func writeHeartbeat(ctx context.Context, src *sql.DB) (int64, error) {
	res, err := src.ExecContext(ctx, "INSERT INTO "+heartbeat+" (ts) VALUES (NOW(6))")
	if err != nil {
		return 0, fmt.Errorf("writing a heartbeat: %w", err)
	}
	return res.LastInsertId()
}

// waitRow polls db every 10 ms until heartbeat row id is there and returns when it was seen.
func waitRow(ctx context.Context, db *sql.DB, id int64, timeout time.Duration) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	for {
		var n int
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+heartbeat+" WHERE id = ?", id).Scan(&n); err != nil {
			var myErr *mysql.MySQLError
			// The table may not exist yet on a server that is still being filled.
			if !errors.As(err, &myErr) || myErr.Number != 1146 {
				return time.Time{}, fmt.Errorf("polling for heartbeat %d: %w", id, err)
			}
		}
		if n > 0 {
			return time.Now(), nil
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("heartbeat row %d did not arrive within %v", id, timeout)
		}
		select {
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// apiSample is one reading of the task's status with the source's position at that time.
type apiSample struct {
	at        time.Time
	latency   float64
	rows      int64
	applied   int64 // GTID sequence number applied
	sourceSeq int64 // source's @@gtid_binlog_pos sequence number
}

// sampleAPI reads the task status and the source's GTID every 200 ms until ctx ends.
func sampleAPI(ctx context.Context, r *benchkit.Runner, id string, src *sql.DB) ([]apiSample, error) {
	var out []apiSample
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		var pos string
		if err := src.QueryRowContext(ctx, "SELECT @@gtid_binlog_pos").Scan(&pos); err != nil {
			if ctx.Err() != nil {
				return out, nil
			}
			return out, fmt.Errorf("reading the source's gtid_binlog_pos: %w", err)
		}
		st, err := r.Client.TaskStatus(ctx, id)
		if err != nil {
			if ctx.Err() != nil {
				return out, nil
			}
			return out, fmt.Errorf("reading task %s: %w", id, err)
		}
		if st.Status != api.StatusRunning {
			return out, fmt.Errorf("task %s is %s during the load: %s", id, st.Status, st.ErrorMessage)
		}
		out = append(out, apiSample{at: time.Now(), latency: st.LatencySeconds, rows: st.RowsMigrated,
			applied: gtidSeq(st.Position.GTIDSet), sourceSeq: gtidSeq(pos)})
		select {
		case <-ctx.Done():
			return out, nil
		case <-t.C:
		}
	}
}

// heartbeats are the lags of the heartbeat rows written by runHeartbeats.
type heartbeats struct {
	mu   sync.Mutex
	sent map[int64]bool
	lags []float64
	err  error
}

// runHeartbeats writes a heartbeat row every second until write ends and, in a second
// goroutine, polls the destination every 10 ms until ctx ends for new heartbeat rows: the
// lag of each is the time the poll that found it returned minus its NOW(6).
func runHeartbeats(ctx, write context.Context, src, dst *sql.DB) *heartbeats {
	h := &heartbeats{sent: map[int64]bool{}}
	fail := func(err error) {
		h.mu.Lock()
		if h.err == nil && ctx.Err() == nil {
			h.err = err
		}
		h.mu.Unlock()
	}
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			id, err := writeHeartbeat(write, src)
			if err != nil {
				if write.Err() == nil {
					fail(err)
				}
				return
			}
			h.mu.Lock()
			h.sent[id] = true
			h.mu.Unlock()
			select {
			case <-write.Done():
				return
			case <-t.C:
			}
		}
	}()
	go func() {
		// Rows of different source transactions may become visible out of order (they are
		// applied by parallel workers), so every row at or above the lowest one not seen yet
		// is read again.
		var floor int64
		seenIDs := map[int64]bool{}
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(10 * time.Millisecond):
			}
			rows, err := dst.QueryContext(ctx, "SELECT id, CAST(ts AS CHAR) FROM "+heartbeat+" WHERE id >= ? ORDER BY id", floor)
			if err != nil {
				fail(fmt.Errorf("polling the destination's heartbeats: %w", err))
				return
			}
			seen := time.Now()
			for rows.Next() {
				var id int64
				var ts string
				if err := rows.Scan(&id, &ts); err != nil {
					rows.Close()
					fail(err)
					return
				}
				if seenIDs[id] {
					continue
				}
				seenIDs[id] = true
				at, err := time.Parse("2006-01-02 15:04:05.999999", ts)
				if err != nil {
					rows.Close()
					fail(fmt.Errorf("heartbeat %d: %w", id, err))
					return
				}
				h.mu.Lock()
				if h.sent[id] {
					h.lags = append(h.lags, seen.Sub(at).Seconds())
				}
				h.mu.Unlock()
			}
			rows.Close()
			for seenIDs[floor] || floor == 0 {
				delete(seenIDs, floor)
				floor++
			}
		}
	}()
	return h
}

// result returns the lags of the heartbeats sent, waiting up to timeout for the missing ones.
func (h *heartbeats) result(timeout time.Duration) ([]float64, int, error) {
	deadline := time.Now().Add(timeout)
	for {
		h.mu.Lock()
		lags, sent, err := slices.Clone(h.lags), len(h.sent), h.err
		h.mu.Unlock()
		if err != nil || len(lags) >= sent || time.Now().After(deadline) {
			if err == nil && len(lags) < sent {
				err = fmt.Errorf("%d of %d heartbeats did not arrive on the destination within %v", sent-len(lags), sent, timeout)
			}
			return lags, sent, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// handlerRows is Handler_write + Handler_update + Handler_delete of the server.
func handlerRows(ctx context.Context, db *sql.DB) (int64, error) {
	rows, err := db.QueryContext(ctx, "SHOW GLOBAL STATUS WHERE Variable_name IN ('Handler_write', 'Handler_update', 'Handler_delete')")
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var total int64
	for rows.Next() {
		var name string
		var v int64
		if err := rows.Scan(&name, &v); err != nil {
			return 0, err
		}
		total += v
	}
	return total, rows.Err()
}

// dataVerification is the task's data_verification: full with -verify, none otherwise.
func dataVerification(cfg config) *api.DataVerification {
	if !cfg.verify {
		return nil
	}
	return &api.DataVerification{Mode: api.VerifyFull}
}

// sweepsSince counts the verification sweeps in the task's event log after the events
// before, and those that reported a mismatch.
func sweepsSince(ctx context.Context, r *benchkit.Runner, taskID string, before []api.TaskEvent) (sweeps, mismatched int, err error) {
	var after int64
	if len(before) > 0 {
		after = before[len(before)-1].Seq
	}
	evs, err := r.Client.TaskEvents(ctx, taskID, after)
	if err != nil {
		return 0, 0, err
	}
	for _, e := range evs {
		if e.Type != api.EventVerification {
			continue
		}
		sweeps++
		if !strings.HasPrefix(e.Message, "verification passed") {
			mismatched++
			fmt.Printf("bench: %s\n", e.Message)
		}
	}
	return sweeps, mismatched, nil
}

// sustainedLoad runs sysbench for cfg.duration at full speed while measuring the lag, then
// stops the task and verifies the destination.
func sustainedLoad(ctx context.Context, cfg config, s servers, r *benchkit.Runner, taskID string) (loadResult, error) {
	var res loadResult
	// Caught up: a heartbeat written now arrives.
	id, err := writeHeartbeat(ctx, s.src)
	if err != nil {
		return res, err
	}
	if _, err := waitRow(ctx, s.dst, id, cfg.timeout); err != nil {
		return res, err
	}
	fmt.Printf("\n== sustained load: sysbench oltp_write_only, %d threads, %v, on the source ==\n", cfg.threads, cfg.duration)

	mctx, stopMeasuring := context.WithCancel(ctx)
	defer stopMeasuring()
	var samples []apiSample
	var sampleErr error
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		samples, sampleErr = sampleAPI(mctx, r, taskID, s.src)
	}()
	// Heartbeats are written while sysbench runs, and are waited for after.
	wctx, stopWriting := context.WithCancel(mctx)
	defer stopWriting()
	hb := runHeartbeats(mctx, wctx, s.src, s.dst)

	h0, err := handlerRows(ctx, s.src)
	if err != nil {
		return res, err
	}
	events0, err := r.Client.TaskEvents(ctx, taskID, 0)
	if err != nil {
		return res, err
	}
	start := time.Now()
	res.sysbench, err = sysbench(ctx, cfg, "run", "--threads="+strconv.Itoa(cfg.threads),
		"--time="+strconv.Itoa(int(cfg.duration.Seconds())), "--report-interval=10")
	end := time.Now()
	stopWriting()
	if err != nil {
		return res, err
	}
	h1, err := handlerRows(ctx, s.src)
	if err != nil {
		return res, err
	}
	res.handlerRows = h1 - h0
	if cfg.verify {
		if res.sweeps, res.mismatchedSweeps, err = sweepsSince(ctx, r, taskID, events0); err != nil {
			return res, err
		}
		fmt.Printf("bench: continuous verification during the load: %d sweeps finished, %d reported a mismatch\n", res.sweeps, res.mismatchedSweeps)
	}

	// How long the task needs, after the load, for a change written at its end.
	id, err = writeHeartbeat(ctx, s.src)
	if err != nil {
		return res, err
	}
	seen, err := waitRow(ctx, s.dst, id, cfg.timeout)
	if err != nil {
		return res, err
	}
	res.afterLoad = seen.Sub(end)
	res.heartbeatLag, _, err = hb.result(cfg.timeout)
	stopMeasuring()
	<-sampled
	if err != nil {
		return res, err
	}
	if sampleErr != nil {
		return res, sampleErr
	}

	// Samples inside the load window; the applied rows between the last sample before the
	// load began and the last one taken during it.
	var first, last *apiSample
	for i := range samples {
		sm := &samples[i]
		if sm.at.Before(start) {
			first = sm
			continue
		}
		if sm.at.After(end) {
			continue
		}
		if first == nil {
			first = sm
		}
		last = sm
		res.reportedLag = append(res.reportedLag, sm.latency)
		res.behindTxns = append(res.behindTxns, float64(max(0, sm.sourceSeq-sm.applied)))
	}
	if first == nil || last == nil || last == first {
		return res, fmt.Errorf("too few status samples during the load (%d in all)", len(samples))
	}
	res.appliedRows = last.rows - first.rows
	res.window = last.at.Sub(first.at) // the window the applied rows were counted over
	fmt.Printf("bench: sysbench %d transactions (%d row changes, %d ignored errors) in %.1f s; %d status samples, %d heartbeats\n",
		res.sysbench.txns, res.sysbench.rowChanges(), res.sysbench.ignoredErrors, res.sysbench.seconds, len(res.reportedLag), len(res.heartbeatLag))

	fmt.Printf("\n== stopping the task (drains to the source's position) ==\n")
	t0 := time.Now()
	task, err := r.Client.StopTask(ctx, taskID)
	res.stop = time.Since(t0)
	if err != nil {
		return res, fmt.Errorf("stopping task %s: %w", taskID, err)
	}
	if task.State.Status != api.StatusStopped {
		return res, fmt.Errorf("after stop the task is %s: %s", task.State.Status, task.State.ErrorMessage)
	}
	fmt.Printf("bench: stopped in %.2f s at %s\n", res.stop.Seconds(), task.State.Position.GTIDSet)
	res.verifiedRows, err = verify(ctx, s.src, s.dst, "destination")
	return res, err
}

// replicaSetup is how the replica applies a backlog, and the durability of the destination
// the task applies the same backlog to.
type replicaSetup struct {
	name string
	// threads and mode are slave_parallel_threads and slave_parallel_mode (0: one SQL thread).
	threads int
	mode    string
	// flush is innodb_flush_log_at_trx_commit on the replica and on the destination alike
	// during the round: 1 is durable commits (the server default), 2 writes the log at
	// commit and flushes it once a second.
	flush int
}

// setups are the catch-up rounds, in order: MariaDB's default replica (one SQL thread,
// durable commits) and a tuned one (4 optimistic parallel SQL threads, commits not flushed).
var setups = []replicaSetup{
	{name: "default", threads: 0, mode: "conservative", flush: 1},
	{name: "tuned", threads: 4, mode: "optimistic", flush: 2},
}

// round is one catch-up round: a backlog applied by the replica with one setup, then by the
// task with the destination's durability set alike.
type round struct {
	setup            replicaSetup
	replicaSettings  string // as read back from the replica
	destSettings     string // as read back from the destination
	sysbench         sysbenchResult
	rowChanges       int64 // in the backlog, marker included
	binlogBytes      int64
	generate         time.Duration
	native           time.Duration // until the marker row is on the replica
	nativeGTID       time.Duration // until gtid_slave_pos reached the source's
	nativeMachineCPU float64       // CPU seconds of the whole machine meanwhile (-1 unknown)
	nativeServerCPU  float64       // CPU seconds of the replica server meanwhile (-1 unknown)
	ours             taskCatchUp
	verifiedRows     int64
	verifiedNative   int64
	// direct is the task into the emulator over the same backlog (zero without -adb).
	direct         taskCatchUp
	verifiedDirect int64
}

// directRatio is the direct task's catch-up time over the plain task's.
func (r round) directRatio() float64 { return r.direct.marker.Seconds() / r.ours.marker.Seconds() }

// ratio is the replica's time over ours: how many times faster the task caught up.
func (r round) ratio() float64 { return r.native.Seconds() / r.ours.marker.Seconds() }

// catchUpResult is the backlog phase.
type catchUpResult struct {
	rounds []round
	// where is the task whose tables have whereFilter, over the first round's backlog.
	where         taskCatchUp
	verifiedWhere int64
}

// catchUp seeds the replica, then runs one round per setup: each writes a backlog and times
// the replica's SQL thread and then the task over it. The task with where filters is timed
// over the first round's backlog, right after the plain task; the direct task, when not
// nil, over every round's, last.
func catchUp(ctx context.Context, cfg config, s servers, r *benchkit.Runner, taskID, whereID string, direct *directTask) (catchUpResult, error) {
	var res catchUpResult
	fmt.Printf("\n== catch-up: copying %s to the replica at the source's position ==\n", database)
	var before, pos string
	if err := s.src.QueryRowContext(ctx, "SELECT @@gtid_binlog_pos").Scan(&before); err != nil {
		return res, err
	}
	dir := filepath.Join(cfg.workDir, "dump")
	if err := os.RemoveAll(dir); err != nil {
		return res, err
	}
	if err := benchkit.Mydumper(ctx, true, cfg.srcPort, cfg.user, cfg.password, database, dir, cfg.threads); err != nil {
		return res, err
	}
	if err := benchkit.Myloader(ctx, true, cfg.replicaPort, cfg.user, cfg.password, dir, cfg.threads); err != nil {
		return res, err
	}
	if err := os.RemoveAll(dir); err != nil {
		return res, err
	}
	if err := s.src.QueryRowContext(ctx, "SELECT @@gtid_binlog_pos").Scan(&pos); err != nil {
		return res, err
	}
	if pos != before {
		// Nothing writes to the source now; a change could only be a statement without rows.
		fmt.Printf("bench: the source's gtid_binlog_pos moved from %s to %s during the dump (no writer runs); starting the replica at %s\n", before, pos, pos)
	}
	if _, err := verify(ctx, s.src, s.replica, "replica"); err != nil {
		return res, err
	}
	for _, stmt := range []string{
		"STOP SLAVE",
		"RESET SLAVE ALL",
		"SET GLOBAL gtid_slave_pos = " + quote(pos),
		fmt.Sprintf("CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = %d, MASTER_USER = %s, MASTER_PASSWORD = %s, MASTER_USE_GTID = slave_pos",
			cfg.srcPort, quote(cfg.user), quote(cfg.password)),
	} {
		if _, err := s.replica.ExecContext(ctx, stmt); err != nil {
			return res, fmt.Errorf("on the replica: %s: %w", strings.Split(stmt, " MASTER_PASSWORD")[0], err)
		}
	}
	fmt.Printf("bench: replica at gtid_slave_pos %s\n", pos)
	for i, setup := range setups {
		where := ""
		if i == 0 {
			where = whereID
		}
		rd, err := backlogRound(ctx, cfg, s, r, taskID, setup)
		if err != nil {
			return res, err
		}
		if where != "" {
			if res.where, err = applyBacklog(ctx, cfg, r, s.dst, where, whereDatabase+strings.TrimPrefix(heartbeat, database), rd.marker, rd.target, 0); err != nil {
				return res, err
			}
			if res.verifiedWhere, err = verifyWhere(ctx, s); err != nil {
				return res, err
			}
		}
		if direct != nil {
			if rd.direct, err = applyBacklog(ctx, cfg, r, s.dst, direct.id, directDatabase+strings.TrimPrefix(heartbeat, database), rd.marker, rd.target, direct.front.Pid()); err != nil {
				return res, err
			}
			if rd.verifiedDirect, err = verifyDirect(ctx, s); err != nil {
				return res, err
			}
			fmt.Printf("bench: round %q: direct (emulator) %.2f s / transactional %.2f s = %.2f\n", setup.name, rd.direct.marker.Seconds(), rd.ours.marker.Seconds(), rd.directRatio())
		}
		res.rounds = append(res.rounds, rd.round)
	}
	return res, nil
}

// roundRun is a round with the marker and target its where-task run needs.
type roundRun struct {
	round
	marker int64
	target string
}

// backlogRound sets the replica and the destination up for setup (the replica's SQL thread
// stopped, its IO thread running), writes a backlog, waits until the replica holds it in its
// relay log, and times the replica's SQL thread and then the task over it; then verifies
// both with CHECKSUM TABLE.
func backlogRound(ctx context.Context, cfg config, s servers, r *benchkit.Runner, taskID string, setup replicaSetup) (roundRun, error) {
	res := roundRun{round: round{setup: setup}}
	fmt.Printf("\n== catch-up round %q: replica slave_parallel_threads=%d slave_parallel_mode=%s, innodb_flush_log_at_trx_commit=%d on the replica and the destination ==\n",
		setup.name, setup.threads, setup.mode, setup.flush)
	for _, stmt := range []string{
		"STOP SLAVE",
		fmt.Sprintf("SET GLOBAL slave_parallel_threads = %d", setup.threads),
		"SET GLOBAL slave_parallel_mode = " + quote(setup.mode),
		fmt.Sprintf("SET GLOBAL innodb_flush_log_at_trx_commit = %d", setup.flush),
		"START SLAVE IO_THREAD",
	} {
		if _, err := s.replica.ExecContext(ctx, stmt); err != nil {
			return res, fmt.Errorf("on the replica: %s: %w", stmt, err)
		}
	}
	if _, err := s.dst.ExecContext(ctx, fmt.Sprintf("SET GLOBAL innodb_flush_log_at_trx_commit = %d", setup.flush)); err != nil {
		return res, fmt.Errorf("on the destination: %w", err)
	}
	var threads, mode, flush, dstFlush string
	if err := s.replica.QueryRowContext(ctx, "SELECT @@slave_parallel_threads, @@slave_parallel_mode, @@innodb_flush_log_at_trx_commit").Scan(&threads, &mode, &flush); err != nil {
		return res, err
	}
	if err := s.dst.QueryRowContext(ctx, "SELECT @@innodb_flush_log_at_trx_commit").Scan(&dstFlush); err != nil {
		return res, err
	}
	res.replicaSettings = fmt.Sprintf("slave_parallel_threads=%s slave_parallel_mode=%s innodb_flush_log_at_trx_commit=%s", threads, mode, flush)
	res.destSettings = "innodb_flush_log_at_trx_commit=" + dstFlush
	fmt.Printf("bench: replica %s, IO thread only; destination %s\n", res.replicaSettings, res.destSettings)

	txns := (cfg.backlog + rowsPerTxn - 1) / rowsPerTxn
	fmt.Printf("\n== backlog: sysbench oltp_write_only --events=%d (%d row changes), %d threads, task stopped ==\n", txns, txns*rowsPerTxn, cfg.threads)
	bytes0, err := binlogBytes(ctx, s.src)
	if err != nil {
		return res, err
	}
	t0 := time.Now()
	res.sysbench, err = sysbench(ctx, cfg, "run", "--threads="+strconv.Itoa(cfg.threads), "--time=0", "--events="+strconv.Itoa(txns), "--report-interval=10")
	if err != nil {
		return res, err
	}
	if res.marker, err = writeHeartbeat(ctx, s.src); err != nil {
		return res, err
	}
	res.generate = time.Since(t0)
	res.rowChanges = res.sysbench.rowChanges() + 1
	bytes1, err := binlogBytes(ctx, s.src)
	if err != nil {
		return res, err
	}
	res.binlogBytes = bytes1 - bytes0
	if err := s.src.QueryRowContext(ctx, "SELECT @@gtid_binlog_pos").Scan(&res.target); err != nil {
		return res, err
	}
	targetSeq := gtidSeq(res.target)
	fmt.Printf("bench: backlog of %d row changes (%.1f MiB of binlog) written in %.1f s; source at %s\n",
		res.rowChanges, float64(res.binlogBytes)/(1<<20), res.generate.Seconds(), res.target)

	// The replica must hold the whole backlog in its relay log before its SQL thread starts.
	deadline := time.Now().Add(cfg.timeout)
	for {
		st, err := slaveStatus(ctx, s.replica)
		if err != nil {
			return res, err
		}
		if st["Slave_IO_Running"] != "Yes" && st["Slave_IO_Running"] != "Connecting" {
			return res, fmt.Errorf("the replica's IO thread is %q: %s", st["Slave_IO_Running"], st["Last_IO_Error"])
		}
		if gtidSeq(st["Gtid_IO_Pos"]) >= targetSeq {
			break
		}
		if time.Now().After(deadline) {
			return res, fmt.Errorf("the replica received only up to %s of %s within %v", st["Gtid_IO_Pos"], res.target, cfg.timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}

	fmt.Printf("\n== native replication (%s): START SLAVE SQL_THREAD until the replica reaches %s ==\n", setup.name, res.target)
	replicaPid := serverPid(cfg, "replica")
	machine0, server0 := benchkit.MachineCPUSeconds(), cpuSeconds(replicaPid)
	t0 = time.Now()
	if _, err := s.replica.ExecContext(ctx, "START SLAVE SQL_THREAD"); err != nil {
		return res, fmt.Errorf("on the replica: START SLAVE SQL_THREAD: %w", err)
	}
	for res.native == 0 || res.nativeGTID == 0 {
		if res.native == 0 {
			var n int
			if err := s.replica.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+heartbeat+" WHERE id = ?", res.marker).Scan(&n); err != nil {
				return res, err
			}
			if n > 0 {
				res.native = time.Since(t0)
				res.nativeMachineCPU, res.nativeServerCPU = cpuSince(benchkit.MachineCPUSeconds(), machine0), cpuSince(cpuSeconds(replicaPid), server0)
			}
		}
		if res.nativeGTID == 0 {
			var p string
			if err := s.replica.QueryRowContext(ctx, "SELECT @@gtid_slave_pos").Scan(&p); err != nil {
				return res, err
			}
			if gtidSeq(p) >= targetSeq {
				res.nativeGTID = time.Since(t0)
			}
		}
		if time.Since(t0) > cfg.timeout {
			st, _ := slaveStatus(ctx, s.replica)
			return res, fmt.Errorf("the replica did not catch up within %v: SQL thread %s, %s", cfg.timeout, st["Slave_SQL_Running"], st["Last_SQL_Error"])
		}
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Printf("bench: replica caught up: marker after %.2f s, gtid_slave_pos after %.2f s; CPU: machine %s, replica server %s\n",
		res.native.Seconds(), res.nativeGTID.Seconds(), cpuShare(res.nativeMachineCPU, res.native), cpuShare(res.nativeServerCPU, res.native))

	if res.ours, err = applyBacklog(ctx, cfg, r, s.dst, taskID, heartbeat, res.marker, res.target, 0); err != nil {
		return res, err
	}
	if res.verifiedRows, err = verify(ctx, s.src, s.dst, "destination"); err != nil {
		return res, err
	}
	if res.verifiedNative, err = verify(ctx, s.src, s.replica, "replica"); err != nil {
		return res, err
	}
	fmt.Printf("bench: round %q: replica %.2f s / adbmigrate %.2f s = %.2fx\n", setup.name, res.native.Seconds(), res.ours.marker.Seconds(), res.ratio())
	return res, nil
}

// cpuSince is now - then, or -1 when either is unknown.
func cpuSince(now, then float64) float64 {
	if now < 0 || then < 0 {
		return -1
	}
	return now - then
}

// taskCatchUp is one task's run over the backlog.
type taskCatchUp struct {
	marker   time.Duration // until the marker row is on the destination
	position time.Duration // until the task's reported position reached the source's
	stop     time.Duration // the stop (drain) after it
	// CPU seconds (user + system) used until the marker arrived by the runner and by the
	// destination server (-1 when unknown).
	runnerCPU, dstCPU float64
	// machineCPU is the CPU seconds of the whole machine meanwhile (-1 when unknown): the
	// source's binlog dump included, and whatever else runs on it.
	machineCPU float64
	// srcCPU is the source server's CPU seconds meanwhile (its binlog dump to the task).
	srcCPU float64
	// frontCPU is the emulator's CPU seconds until the marker arrived, for a task into the
	// emulated AnalyticDB (-1 when unknown or none).
	frontCPU float64
	// poolReads are the destination's InnoDB reads from disk meanwhile
	// (Innodb_buffer_pool_reads): pages of the task's tables not in memory.
	poolReads int64
}

// applyBacklog starts the stopped task and times it until the marker row is in markerTable
// on the destination and its reported position reaches target (the source's GTID position
// after the backlog); then stops it. frontPid, when not 0, is the emulator the task writes
// through, whose CPU is measured with the runner's.
func applyBacklog(ctx context.Context, cfg config, r *benchkit.Runner, dst *sql.DB, taskID, markerTable string, marker int64, target string, frontPid int) (taskCatchUp, error) {
	var res taskCatchUp
	targetSeq := gtidSeq(target)
	// Both tasks start with their destination tables in the buffer pool, as the plain one's
	// are after the load: the two copies of sbtest together nearly fill it.
	if err := warm(ctx, dst, strings.Split(markerTable, ".")[0]); err != nil {
		return res, err
	}
	fmt.Printf("\n== adbmigrate: POST /v1/tasks/%s/start until the task reaches %s ==\n", taskID, target)
	reads0, err := statusValue(ctx, dst, "Innodb_buffer_pool_reads")
	if err != nil {
		return res, err
	}
	dstPid := serverPid(cfg, "destination")
	runnerCPU0, dstCPU0, machine0 := cpuSeconds(r.Pid()), cpuSeconds(dstPid), benchkit.MachineCPUSeconds()
	srcPid := serverPid(cfg, "source")
	srcCPU0 := cpuSeconds(srcPid)
	frontCPU0 := cpuSeconds(frontPid)
	t0 := time.Now()
	if _, err := r.Client.StartTask(ctx, taskID); err != nil {
		return res, fmt.Errorf("starting task %s: %w", taskID, err)
	}
	lastStatus := time.Time{}
	lastPrint := time.Now()
	for res.marker == 0 || res.position == 0 {
		if res.marker == 0 {
			var n int
			if err := dst.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+markerTable+" WHERE id = ?", marker).Scan(&n); err != nil {
				return res, err
			}
			if n > 0 {
				res.marker = time.Since(t0)
				res.machineCPU = cpuSince(benchkit.MachineCPUSeconds(), machine0)
				res.srcCPU = cpuSince(cpuSeconds(srcPid), srcCPU0)
			}
		}
		if res.position == 0 && time.Since(lastStatus) >= 50*time.Millisecond {
			lastStatus = time.Now()
			st, err := r.Client.TaskStatus(ctx, taskID)
			if err != nil {
				return res, err
			}
			switch st.Status {
			case api.StatusFailed, api.StatusStopped, api.StatusCompleted:
				return res, fmt.Errorf("task %s is %s during the catch-up: %s\nrunner log %s (last lines):\n%s", taskID, st.Status, st.ErrorMessage, r.LogPath, benchkit.Tail(r.LogPath, 20))
			}
			if gtidSeq(st.Position.GTIDSet) >= targetSeq {
				res.position = time.Since(t0)
			}
			if time.Since(lastPrint) >= 5*time.Second {
				fmt.Printf("bench: %s, applied %s, latency %.1f s, rows_migrated %d\n", st.Status, st.Position.GTIDSet, st.LatencySeconds, st.RowsMigrated)
				lastPrint = time.Now()
			}
		}
		if time.Since(t0) > cfg.timeout {
			return res, fmt.Errorf("task %s did not catch up within %v", taskID, cfg.timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
	res.runnerCPU, res.dstCPU = cpuSeconds(r.Pid())-runnerCPU0, cpuSeconds(dstPid)-dstCPU0
	res.frontCPU = cpuSince(cpuSeconds(frontPid), frontCPU0)
	reads1, err := statusValue(ctx, dst, "Innodb_buffer_pool_reads")
	if err != nil {
		return res, err
	}
	res.poolReads = reads1 - reads0
	if runnerCPU0 < 0 {
		res.runnerCPU = -1
	}
	if dstCPU0 < 0 {
		res.dstCPU = -1
	}
	fmt.Printf("bench: task caught up: marker after %.2f s, reported position after %.2f s; %d buffer pool reads from disk on the destination; CPU: machine %s, runner %s, destination server %s, source server %s\n",
		res.marker.Seconds(), res.position.Seconds(), res.poolReads, cpuShare(res.machineCPU, res.marker), cpuShare(res.runnerCPU, res.marker), cpuShare(res.dstCPU, res.marker), cpuShare(res.srcCPU, res.marker))

	t0 = time.Now()
	task, err := r.Client.StopTask(ctx, taskID)
	res.stop = time.Since(t0)
	if err != nil {
		return res, fmt.Errorf("stopping task %s: %w", taskID, err)
	}
	if task.State.Status != api.StatusStopped {
		return res, fmt.Errorf("after stop the task is %s: %s", task.State.Status, task.State.ErrorMessage)
	}
	return res, nil
}

// warm reads every index of every table of database on db, so that they are in its buffer
// pool.
func warm(ctx context.Context, db *sql.DB, database string) error {
	rows, err := db.QueryContext(ctx, "SELECT DISTINCT TABLE_NAME, INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ?", database)
	if err != nil {
		return err
	}
	var indexes [][2]string
	for rows.Next() {
		var t, ix string
		if err := rows.Scan(&t, &ix); err != nil {
			rows.Close()
			return err
		}
		indexes = append(indexes, [2]string{t, ix})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, ix := range indexes {
		var n int64
		q := "SELECT COUNT(*) FROM " + quoteIdent(database) + "." + quoteIdent(ix[0]) + " FORCE INDEX (" + quoteIdent(ix[1]) + ")"
		if err := db.QueryRowContext(ctx, q).Scan(&n); err != nil {
			return fmt.Errorf("warming %s.%s: %w", database, ix[0], err)
		}
	}
	return nil
}

func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// statusValue reads one numeric global status variable.
func statusValue(ctx context.Context, db *sql.DB, name string) (int64, error) {
	var v int64
	if err := db.QueryRowContext(ctx, "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = ?", name).Scan(&v); err != nil {
		return 0, fmt.Errorf("reading %s: %w", name, err)
	}
	return v, nil
}

// verifyWhere checks that every table of whereDatabase on the destination has the same row
// count and CHECKSUM TABLE as its source table in sbtest (whereFilter keeps every row), and
// returns the total row count.
func verifyWhere(ctx context.Context, s servers) (int64, error) {
	rows, err := s.dst.QueryContext(ctx, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME", whereDatabase)
	if err != nil {
		return 0, err
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return 0, err
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if len(tables) == 0 {
		return 0, fmt.Errorf("no tables in %s on the destination", whereDatabase)
	}
	var total int64
	for _, t := range tables {
		var sn, dn int64
		if err := s.src.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+database+"."+t).Scan(&sn); err != nil {
			return 0, err
		}
		if err := s.dst.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+whereDatabase+"."+t).Scan(&dn); err != nil {
			return 0, err
		}
		sc, err := benchkit.Checksum(ctx, s.src, database+"."+t)
		if err != nil {
			return 0, err
		}
		dc, err := benchkit.Checksum(ctx, s.dst, whereDatabase+"."+t)
		if err != nil {
			return 0, err
		}
		if sn != dn || sc != dc {
			return 0, fmt.Errorf("%s.%s differs from the source's %s.%s: %d rows, CHECKSUM %s; source %d rows, CHECKSUM %s", whereDatabase, t, database, t, dn, dc, sn, sc)
		}
		total += sn
	}
	fmt.Printf("bench: verified %d tables, %d rows: %s on the destination has the source's counts and CHECKSUM TABLE\n", len(tables), total, whereDatabase)
	return total, nil
}

// serverPid returns the pid of the MariaDB server that scripts/bench-cdc.sh started in
// WORK_DIR/role, or 0.
func serverPid(cfg config, role string) int {
	b, err := os.ReadFile(filepath.Join(cfg.workDir, role, "s.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// cpuSeconds returns the user + system CPU time of process pid, -1 when unknown. It assumes
// Linux's USER_HZ of 100.
func cpuSeconds(pid int) float64 {
	if pid <= 0 {
		return -1
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	// The fields after "(comm) " start with the state, field 3; utime and stime are 14 and 15.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return -1
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return float64(u+st) / 100
}

// cpuShare prints CPU seconds as a share of wall time.
func cpuShare(cpu float64, wall time.Duration) string {
	if cpu < 0 {
		return "unknown"
	}
	return fmt.Sprintf("%.1f s (%.0f%% of one core)", cpu, 100*cpu/wall.Seconds())
}

// slaveStatus returns SHOW SLAVE STATUS as column -> value.
func slaveStatus(ctx context.Context, db *sql.DB) (map[string]string, error) {
	rows, err := db.QueryContext(ctx, "SHOW SLAVE STATUS")
	if err != nil {
		return nil, fmt.Errorf("SHOW SLAVE STATUS: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	if !rows.Next() {
		return out, rows.Err()
	}
	vals := make([]sql.NullString, len(cols))
	dest := make([]any, len(cols))
	for i := range vals {
		dest[i] = &vals[i]
	}
	if err := rows.Scan(dest...); err != nil {
		return nil, err
	}
	for i, c := range cols {
		out[c] = vals[i].String
	}
	return out, rows.Err()
}

// binlogBytes is the total size of the source's binary logs.
func binlogBytes(ctx context.Context, db *sql.DB) (int64, error) {
	rows, err := db.QueryContext(ctx, "SHOW BINARY LOGS")
	if err != nil {
		return 0, fmt.Errorf("SHOW BINARY LOGS: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	var total int64
	for rows.Next() {
		vals := make([]sql.RawBytes, len(cols))
		dest := make([]any, len(cols))
		for i := range vals {
			dest[i] = &vals[i]
		}
		if err := rows.Scan(dest...); err != nil {
			return 0, err
		}
		n, _ := strconv.ParseInt(string(vals[1]), 10, 64)
		total += n
	}
	return total, rows.Err()
}

// gtidSeq returns the sequence number of domain 0 in a MariaDB GTID position such as
// "0-33881-89" (the servers here write only domain 0); -1 when there is none.
func gtidSeq(pos string) int64 {
	for _, g := range strings.Split(pos, ",") {
		parts := strings.Split(strings.TrimSpace(g), "-")
		if len(parts) == 3 && parts[0] == "0" {
			n, err := strconv.ParseInt(parts[2], 10, 64)
			if err == nil {
				return n
			}
		}
	}
	return -1
}

func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// verify checks that every table of sbtest has the same row count and CHECKSUM TABLE on src
// and on other (same server version and definition, so equal data gives an equal checksum),
// and returns the total row count.
func verify(ctx context.Context, src, other *sql.DB, name string) (int64, error) {
	tables, total, err := benchkit.Verify(ctx, src, other, database, name)
	if err != nil {
		return 0, err
	}
	fmt.Printf("bench: verified %d tables, %d rows: same counts and CHECKSUM TABLE on the source and the %s\n", tables, total, name)
	return total, nil
}

// percentile returns the nearest-rank p-th percentile (0..100) of v; NaN when v is empty.
func percentile(v []float64, p float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func maxOf(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	return slices.Max(v)
}

func rate(n int64, d time.Duration) float64 { return float64(n) / d.Seconds() }

func report(cfg config, version string, l loadResult, c catchUpResult, peakKiB int64) {
	sbRate := float64(l.sysbench.rowChanges()) / l.sysbench.seconds
	fmt.Printf(`
== result ==
server                          %s
tables x rows                   %d x %d, sysbench oltp_write_only (4 row changes per transaction), %d threads
-- sustained load (%.0f s) --
sysbench write rate             %.0f row changes/s (%d transactions, %d ignored errors; source Handler_* %.0f rows/s)
applied rate (rows_migrated)    %.0f row changes/s over %.1f s
reported lag (latency_seconds)  p50 %.3f s, p99 %.3f s, max %.3f s (%d samples every 200 ms)
behind (source - applied GTID)  p50 %.0f, p99 %.0f, max %.0f transactions
heartbeat lag (independent)     p50 %.3f s, p99 %.3f s, max %.3f s (%d heartbeats, 1/s, destination polled every 10 ms)
after the load                  %.2f s until a change written at its end was on the destination
stop (drain)                    %.2f s; %d rows verified with CHECKSUM TABLE
`, version, cfg.tables, cfg.rows, cfg.threads,
		l.sysbench.seconds,
		sbRate, l.sysbench.txns, l.sysbench.ignoredErrors, float64(l.handlerRows)/l.sysbench.seconds,
		rate(l.appliedRows, l.window), l.window.Seconds(),
		percentile(l.reportedLag, 50), percentile(l.reportedLag, 99), maxOf(l.reportedLag), len(l.reportedLag),
		percentile(l.behindTxns, 50), percentile(l.behindTxns, 99), maxOf(l.behindTxns),
		percentile(l.heartbeatLag, 50), percentile(l.heartbeatLag, 99), maxOf(l.heartbeatLag), len(l.heartbeatLag),
		l.afterLoad.Seconds(), l.stop.Seconds(), l.verifiedRows)
	for _, rd := range c.rounds {
		fmt.Printf(`-- catch-up, %s replica: backlog of %d row changes (%d transactions, %.1f MiB of binlog, written in %.1f s) --
replica settings                %s
destination settings            %s (for the task's run)
native replication              %.2f s  (%.0f row changes/s); gtid_slave_pos reached after %.2f s
  CPU during it                 machine %s, replica server %s
adbmigrate                      %.2f s  (%.0f row changes/s); reported position reached after %.2f s
  CPU during it                 machine %s, runner %s, destination server %s, source server %s; stop (drain) %.2f s; %d buffer pool reads
replica time / ours             %.2fx
verified                        destination %d rows, replica %d rows: same CHECKSUM TABLE as the source
%s`, rd.setup.name, rd.rowChanges, rd.sysbench.txns+1, float64(rd.binlogBytes)/(1<<20), rd.generate.Seconds(),
			rd.replicaSettings, rd.destSettings,
			rd.native.Seconds(), rate(rd.rowChanges, rd.native), rd.nativeGTID.Seconds(),
			cpuShare(rd.nativeMachineCPU, rd.native), cpuShare(rd.nativeServerCPU, rd.native),
			rd.ours.marker.Seconds(), rate(rd.rowChanges, rd.ours.marker), rd.ours.position.Seconds(),
			cpuShare(rd.ours.machineCPU, rd.ours.marker), cpuShare(rd.ours.runnerCPU, rd.ours.marker), cpuShare(rd.ours.dstCPU, rd.ours.marker), cpuShare(rd.ours.srcCPU, rd.ours.marker),
			rd.ours.stop.Seconds(), rd.ours.poolReads,
			rd.ratio(), rd.verifiedRows, rd.verifiedNative, directLines(cfg, rd))
	}
	first := c.rounds[0]
	whereRate, plainRate := rate(first.rowChanges, c.where.marker), rate(first.rowChanges, first.ours.marker)
	fmt.Printf(`-- where %s on every table, over the %s round's backlog (destination %s) --
adbmigrate with where           %.2f s  (%.0f row changes/s); reported position reached after %.2f s
  CPU during it                 machine %s, runner %s, destination server %s; %d buffer pool reads
ratio where/plain (rate)        %.2f
verified                        %s %d rows: same CHECKSUM TABLE as the source
-- summary --
runner peak RSS                 %.1f MiB
`, whereFilter, first.setup.name, first.destSettings,
		c.where.marker.Seconds(), whereRate, c.where.position.Seconds(),
		cpuShare(c.where.machineCPU, c.where.marker), cpuShare(c.where.runnerCPU, c.where.marker), cpuShare(c.where.dstCPU, c.where.marker), c.where.poolReads,
		whereRate/plainRate, whereDatabase, c.verifiedWhere, benchkit.MiB(peakKiB))
	for _, rd := range c.rounds {
		fmt.Printf("%-31s %.2f s / %.2f s = %.2fx (target >= %.0fx: %s); CPU-seconds of the machine: replica run %.1f, our run %.1f\n",
			"catch-up vs "+rd.setup.name+" replica", rd.native.Seconds(), rd.ours.marker.Seconds(), rd.ratio(), ratioTarget(rd.setup),
			passFail(rd.ratio() >= ratioTarget(rd.setup)), rd.nativeMachineCPU, rd.ours.machineCPU)
	}
	if cfg.adb {
		for _, rd := range c.rounds {
			fmt.Printf("%-31s %.2f s / %.2f s = %.2f (destination %s); CPU-seconds: runner %.1f + emulator %.1f against runner %.1f\n",
				"direct/transactional, "+rd.setup.name, rd.direct.marker.Seconds(), rd.ours.marker.Seconds(), rd.directRatio(), rd.destSettings,
				rd.direct.runnerCPU, rd.direct.frontCPU, rd.ours.runnerCPU)
		}
	}
	fmt.Printf("%-31s p99 %.3f s (target < 1 s: %s)\n", "heartbeat lag under load", percentile(l.heartbeatLag, 99), passFail(percentile(l.heartbeatLag, 99) < 1))
	fmt.Printf("note                            the machine may be shared with other work: compare ratios within one run (load average now %s)\n", loadAverage())
}

// directLines are the report lines of the direct task's run in round rd, or none without
// -adb.
func directLines(cfg config, rd round) string {
	if !cfg.adb {
		return ""
	}
	d := rd.direct
	return fmt.Sprintf(`adbmigrate, direct (emulator)   %.2f s  (%.0f row changes/s); reported position reached after %.2f s; BEGIN a no-op: REPLACE/DELETE by key without a transaction, the emulator's parsing included
  CPU during it                 machine %s, runner %s, emulator %s, destination server %s, source server %s; stop (drain) %.2f s; %d buffer pool reads
direct / transactional          %.2f  (catch-up time)
verified                        %s %d rows on the destination MariaDB directly: same counts and sums of row CRC32s as the source
`, d.marker.Seconds(), rate(rd.rowChanges, d.marker), d.position.Seconds(),
		cpuShare(d.machineCPU, d.marker), cpuShare(d.runnerCPU, d.marker), cpuShare(d.frontCPU, d.marker), cpuShare(d.dstCPU, d.marker), cpuShare(d.srcCPU, d.marker),
		d.stop.Seconds(), d.poolReads, rd.directRatio(), directDatabase, rd.verifiedDirect)
}

// ratioTarget is the target for replica time / ours against setup.
func ratioTarget(setup replicaSetup) float64 {
	if setup.threads > 1 {
		return 2
	}
	return 3
}

// loadAverage is the machine's load averages over 1, 5 and 15 minutes, "unknown" without
// /proc/loadavg.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func passFail(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

const markdownHeader = `| date | server | tables x rows | threads | load s | sysbench row changes/s | applied row changes/s | heartbeat lag p50/p99 s | backlog row changes | default replica s | ours (durable) s | default/ours | tuned replica s | ours (flush 2) s | tuned/ours | machine CPU-s: default replica / ours / tuned replica / ours | with where: catch-up s | where/plain | runner peak RSS MiB | direct (emulator) s: durable / flush 2 | direct/ours: durable / flush 2 |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
`

// appendMarkdown appends one result row to cfg.out, writing the header into an empty file.
func appendMarkdown(cfg config, version string, l loadResult, c catchUpResult, peakKiB int64) error {
	d, t := c.rounds[0], c.rounds[len(c.rounds)-1]
	whereRate, plainRate := rate(d.rowChanges, c.where.marker), rate(d.rowChanges, d.ours.marker)
	direct := "n/a | n/a"
	if cfg.adb {
		direct = fmt.Sprintf("%.2f / %.2f | %.2f / %.2f", d.direct.marker.Seconds(), t.direct.marker.Seconds(), d.directRatio(), t.directRatio())
	}
	row := fmt.Sprintf("| %s | %s | %d x %d | %d | %.0f | %.0f | %.0f | %.3f / %.3f | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.1f / %.1f / %.1f / %.1f | %.2f | %.2f | %.1f | %s |\n",
		time.Now().UTC().Format("2006-01-02"), version, cfg.tables, cfg.rows, cfg.threads, l.sysbench.seconds,
		float64(l.sysbench.rowChanges())/l.sysbench.seconds, rate(l.appliedRows, l.window),
		percentile(l.heartbeatLag, 50), percentile(l.heartbeatLag, 99),
		d.rowChanges, d.native.Seconds(), d.ours.marker.Seconds(), d.ratio(), t.native.Seconds(), t.ours.marker.Seconds(), t.ratio(),
		d.nativeMachineCPU, d.ours.machineCPU, t.nativeMachineCPU, t.ours.machineCPU,
		c.where.marker.Seconds(), whereRate/plainRate, benchkit.MiB(peakKiB), direct)
	return benchkit.AppendMarkdown(cfg.out, markdownHeader, row)
}
