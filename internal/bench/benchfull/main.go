// Command benchfull measures a full migration of sysbench tables through adbmigrate-runner
// and compares it with mydumper + myloader on the same two servers and the same data.
//
// scripts/bench-full.sh (make bench-full) installs the tools, builds the runner, starts the
// two MariaDB servers and then runs this program; it is not meant to be run alone. It:
//
//  1. loads the source with `sysbench oltp_read_write prepare` (-tables x -rows);
//  2. starts a fresh runner, registers both servers and creates a schema+full task for
//     database sbtest through the runner API, and times it from creation to Completed while
//     sampling the runner's VmRSS every 100 ms (peak: the larger of the samples and VmHWM);
//  3. checks row counts and CHECKSUM TABLE of every table on both servers;
//  4. drops the destination database and times mydumper + myloader with -threads threads,
//     then checks again;
//  5. with -etl, migrates again with an etl block and then plain, timing each migration and
//     its data verification (of the etl table: against rows the runner computes itself);
//  6. with -adb, migrates again into the emulated AnalyticDB (-adbfront, started in front of
//     the destination MariaDB with BEGIN a no-op), where the task writes directly: chunks as
//     multi-row REPLACE without a transaction instead of LOAD DATA committed with the chunk's
//     checkpoint. It is checked on the destination MariaDB directly (row counts and sums of
//     row CRC32s: the emulator maps the column types, so CHECKSUM TABLE differs) and timed
//     against the transactional run before it;
//  7. prints a result block and appends a markdown table row to -out when given (the direct
//     run's row names the emulator in its server column);
//  8. with -many-tables, reloads the source with that many small sysbench tables (-many-rows
//     rows and one secondary index each) and times schema + full migration of them through
//     the runner against mydumper + myloader, with the runner's peak RSS;
//  9. with -rss-sizes, reloads the source with each table size and runs the migration again,
//     printing the runner's peak RSS per size (memory must not grow with the table size).
//
// Every timed run starts once both servers have flushed their dirty pages and purged old
// undo (benchkit.Quiesce), so that no run pays for the writes of the one before it, and
// prints the CPU-seconds of the whole machine and of each server (and of the runner, and of
// the emulator in the direct run).
//
// The database password comes from $BENCH_DB_PASSWORD, never from the command line.
package main

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/bench/benchkit"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

// database is the sysbench database migrated by every run.
const database = "sbtest"

type config struct {
	srcPort, dstPort      int
	user, password        string
	runnerBin, workDir    string
	tables, rows, threads int
	instanceClass         string
	out                   string
	rssSizes              []int
	timeout               time.Duration
	etl                   bool
	manyTables, manyRows  int
	// adb runs the direct-write migration into the emulator frontBin.
	adb      bool
	frontBin string
}

func main() { benchkit.Main("benchfull", parseFlags, run) }

func parseFlags(args []string) (config, error) {
	var cfg config
	var rssSizes string
	fs := flag.NewFlagSet("benchfull", flag.ContinueOnError)
	fs.IntVar(&cfg.srcPort, "source-port", 0, "port of the source MariaDB on 127.0.0.1")
	fs.IntVar(&cfg.dstPort, "destination-port", 0, "port of the destination MariaDB on 127.0.0.1")
	fs.StringVar(&cfg.user, "user", "", "database user on both servers (password in $BENCH_DB_PASSWORD)")
	fs.StringVar(&cfg.runnerBin, "runner", "bin/adbmigrate-runner", "adbmigrate-runner binary")
	fs.StringVar(&cfg.workDir, "work-dir", "", "directory for runner data, logs and the dump")
	fs.IntVar(&cfg.tables, "tables", 4, "sysbench tables")
	fs.IntVar(&cfg.rows, "rows", 1000000, "rows per sysbench table")
	fs.IntVar(&cfg.threads, "threads", 4, "threads for sysbench, mydumper and myloader; the runner's instance class gets as many copy workers")
	fs.StringVar(&cfg.instanceClass, "instance-class", "", "instance class of the task (default: the one whose copy workers equal -threads)")
	fs.StringVar(&cfg.out, "out", "", "markdown file to append a result row to (optional)")
	fs.StringVar(&rssSizes, "rss-sizes", "", "space-separated rows per table: run the migration once per size and report the runner's peak RSS")
	fs.DurationVar(&cfg.timeout, "timeout", 2*time.Hour, "longest a single migration may take")
	fs.BoolVar(&cfg.etl, "etl", true, "migrate again with an etl block (a filter and one computed column) and report its throughput against the plain run")
	fs.IntVar(&cfg.manyTables, "many-tables", 2000, "tables of the many-small-tables case (0: skip it)")
	fs.IntVar(&cfg.manyRows, "many-rows", 20, "rows per table of the many-small-tables case")
	fs.BoolVar(&cfg.adb, "adb", true, "migrate again into the emulated AnalyticDB with BEGIN a no-op (writes without transactions) and report it against the transactional run")
	fs.StringVar(&cfg.frontBin, "adbfront", "", "the emulator's binary (internal/adbfront/cmd/adbfront), required with -adb")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	cfg.password = os.Getenv("BENCH_DB_PASSWORD")
	switch {
	case cfg.srcPort == 0 || cfg.dstPort == 0:
		return cfg, errors.New("-source-port and -destination-port are required")
	case cfg.user == "" || cfg.password == "":
		return cfg, errors.New("-user and $BENCH_DB_PASSWORD are required")
	case cfg.workDir == "":
		return cfg, errors.New("-work-dir is required")
	case cfg.tables < 1 || cfg.rows < 1 || cfg.threads < 1:
		return cfg, errors.New("-tables, -rows and -threads must be positive")
	case cfg.manyTables < 0 || cfg.manyRows < 1:
		return cfg, errors.New("-many-tables must not be negative, -many-rows must be positive")
	case cfg.adb && cfg.frontBin == "":
		return cfg, errors.New("-adb needs -adbfront, the emulator's binary (go build ./internal/adbfront/cmd/adbfront), or -adb=false")
	}
	for _, f := range strings.Fields(rssSizes) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return cfg, fmt.Errorf("-rss-sizes: %q is not a positive number of rows", f)
		}
		cfg.rssSizes = append(cfg.rssSizes, n)
	}
	if cfg.instanceClass == "" {
		for class, workers := range api.InstanceClassWorkers {
			if workers == cfg.threads {
				cfg.instanceClass = class
			}
		}
	}
	return cfg, nil
}

// ourResult is one migration through the runner.
type ourResult struct {
	rows       int64
	wall       time.Duration
	peakRSSKiB int64
	// cpu is the CPU-seconds the whole machine used during wall; split, what the source,
	// the destination and the runner used of it.
	cpu   float64
	split string
	// verify is the on-demand data verification of the copy; checksum is CHECKSUM TABLE
	// of every table on both servers at once, in the same run.
	verify, checksum time.Duration
}

// dumpResult is one mydumper + myloader round.
type dumpResult struct {
	rows       int64
	dump, load time.Duration
	// cpu is the CPU-seconds the whole machine used during dump and load.
	cpu float64
}

// loadResult is the destination loading the same rows from local files.
type loadResult struct {
	rows int64
	load time.Duration
	cpu  float64
	// destCPU is what the destination server used of cpu.
	destCPU float64
}

// cpuSplit returns a function that says how many CPU-seconds the source server, the
// destination server, the runner runnerPid and, when frontPid is not 0, the emulator used
// since cpuSplit was called.
func cpuSplit(cfg config, runnerPid, frontPid int) func() string {
	labels := []string{"source", "destination", "runner"}
	pids := []int{benchkit.ServerPid(filepath.Join(cfg.workDir, "source")), benchkit.ServerPid(filepath.Join(cfg.workDir, "destination")), runnerPid}
	if frontPid != 0 {
		labels, pids = append(labels, "emulator"), append(pids, frontPid)
	}
	start := make([]float64, len(pids))
	for i, pid := range pids {
		start[i] = benchkit.ProcessCPUSeconds(pid)
	}
	return func() string {
		var parts []string
		for i, pid := range pids {
			parts = append(parts, fmt.Sprintf("%s %.1f", labels[i], benchkit.ProcessCPUSeconds(pid)-start[i]))
		}
		return strings.Join(parts, ", ")
	}
}

func run(ctx context.Context, cfg config) error {
	src, err := openDB(cfg, cfg.srcPort)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := openDB(cfg, cfg.dstPort)
	if err != nil {
		return err
	}
	defer dst.Close()
	var version string
	if err := src.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
		return err
	}
	class := cfg.instanceClass
	if class == "" {
		class = "default"
	}
	fmt.Printf("bench: %s, %d tables x %d rows, %d threads, task instance class %s\n", version, cfg.tables, cfg.rows, cfg.threads, class)

	if err := prepare(ctx, cfg, src, cfg.tables, cfg.rows); err != nil {
		return err
	}
	ours, err := runOurs(ctx, cfg, src, dst, "main", nil, nil)
	if err != nil {
		return err
	}
	// The ETL run is compared with a plain run right after it: the first run of a bench
	// also pays for the source flushing what sysbench just loaded.
	var withETL, plain *ourResult
	if cfg.etl {
		r, err := runOurs(ctx, cfg, src, dst, "etl", benchETL, nil)
		if err != nil {
			return err
		}
		p, err := runOurs(ctx, cfg, src, dst, "plain", nil, nil)
		if err != nil {
			return err
		}
		withETL, plain = &r, &p
	}
	// The direct run is compared with the transactional run right before it.
	var direct *ourResult
	if cfg.adb {
		r, err := runDirect(ctx, cfg, src, dst)
		if err != nil {
			return err
		}
		direct = &r
	}
	dump, err := runDumper(ctx, cfg, src, dst)
	if err != nil {
		return err
	}
	local, err := runLoadData(ctx, cfg, src, dst)
	if err != nil {
		return err
	}
	report(cfg, version, ours, dump, local)
	if withETL != nil {
		fmt.Printf(`with etl                   %.2f s  (%.0f rows/s; filter %q, set c = %q)
plain, right after         %.2f s  (%.0f rows/s)
etl throughput / plain     %.2f
verification, etl table    %.2f s  (%.0f rows/s, fastest of 3; expected rows computed by the runner, hashed with the destination's in Go)
verification, plain table  %.2f s  (%.0f rows/s, fastest of 3; per-chunk checksums on both servers)
etl verification / plain   %.2f
`, withETL.wall.Seconds(), rate(withETL.rows, withETL.wall), benchETL.Filter, benchETL.Set["c"],
			plain.wall.Seconds(), rate(plain.rows, plain.wall), rate(withETL.rows, withETL.wall)/rate(plain.rows, plain.wall),
			withETL.verify.Seconds(), rate(withETL.rows, withETL.verify), plain.verify.Seconds(), rate(plain.rows, plain.verify),
			rate(withETL.rows, withETL.verify)/rate(plain.rows, plain.verify))
	}
	if direct != nil {
		base, baseLabel := ours, "the first run"
		if plain != nil {
			base, baseLabel = *plain, "the plain run right before it"
		}
		reportDirect(base, baseLabel, *direct)
	}
	if cfg.out != "" {
		if err := appendMarkdown(cfg, version, ours, &dump); err != nil {
			return err
		}
		if direct != nil {
			if err := appendMarkdown(cfg, version+" via the emulated AnalyticDB (BEGIN a no-op: direct writes)", *direct, nil); err != nil {
				return err
			}
		}
	}

	if cfg.manyTables > 0 {
		if err := runMany(ctx, cfg, src, dst); err != nil {
			return err
		}
	}
	if len(cfg.rssSizes) == 0 {
		return nil
	}
	var rss []ourResult
	for _, size := range cfg.rssSizes {
		if err := prepare(ctx, cfg, src, cfg.tables, size); err != nil {
			return err
		}
		r, err := runOurs(ctx, cfg, src, dst, fmt.Sprintf("rss-%d", size), nil, nil)
		if err != nil {
			return err
		}
		rss = append(rss, r)
		if cfg.out != "" {
			c := cfg
			c.rows = size
			if err := appendMarkdown(c, version, r, nil); err != nil {
				return err
			}
		}
	}
	fmt.Printf("\n== runner peak RSS by table size (%d tables) ==\n", cfg.tables)
	fmt.Printf("%14s %12s %10s %12s %14s\n", "rows/table", "rows", "wall s", "rows/s", "peak RSS MiB")
	for i, r := range rss {
		fmt.Printf("%14d %12d %10.2f %12.0f %14.1f\n", cfg.rssSizes[i], r.rows, r.wall.Seconds(), float64(r.rows)/r.wall.Seconds(), benchkit.MiB(r.peakRSSKiB))
	}
	return nil
}

// rate is rows per second.
func rate(rows int64, d time.Duration) float64 { return float64(rows) / d.Seconds() }

func openDB(cfg config, port int) (*sql.DB, error) {
	return benchkit.OpenDB(cfg.user, cfg.password, port, nil)
}

// runMany times schema + full migration of many small sysbench tables through the runner
// and with mydumper + myloader, and prints the result.
func runMany(ctx context.Context, cfg config, src, dst *sql.DB) error {
	if err := prepare(ctx, cfg, src, cfg.manyTables, cfg.manyRows); err != nil {
		return err
	}
	ours, err := runOurs(ctx, cfg, src, dst, "many", nil, nil)
	if err != nil {
		return err
	}
	dump, err := runDumper(ctx, cfg, src, dst)
	if err != nil {
		return err
	}
	both := dump.dump + dump.load
	fmt.Printf(`
== result: many small tables ==
tables x rows              %d x %d (%d rows, one secondary index each)
adbmigrate wall time       %.2f s  (schema + full)
mydumper                   %.2f s
myloader                   %.2f s
mydumper + myloader        %.2f s
ratio ours/(dump+load)     %.2f  (target of issue 15: at most 1.0)
runner peak RSS            %.1f MiB  (target of issue 15: under 300 MiB with 10,000 tables)
`, cfg.manyTables, cfg.manyRows, ours.rows, ours.wall.Seconds(), dump.dump.Seconds(), dump.load.Seconds(), both.Seconds(),
		ours.wall.Seconds()/both.Seconds(), benchkit.MiB(ours.peakRSSKiB))
	return nil
}

// prepare (re)creates tables sysbench tables on the source with rows rows each.
func prepare(ctx context.Context, cfg config, src *sql.DB, tables, rows int) error {
	fmt.Printf("\n== sysbench prepare: %d tables x %d rows on the source ==\n", tables, rows)
	if err := benchkit.RecreateDatabase(ctx, src, database); err != nil {
		return err
	}
	start := time.Now()
	err := benchkit.Command(ctx, false, "sysbench", "oltp_read_write", "--db-driver=mysql",
		"--mysql-host=127.0.0.1", "--mysql-port="+strconv.Itoa(cfg.srcPort),
		"--mysql-user="+cfg.user, "--mysql-password="+cfg.password, "--mysql-db="+database,
		"--tables="+strconv.Itoa(tables), "--table-size="+strconv.Itoa(rows),
		"--threads="+strconv.Itoa(min(cfg.threads, tables)), "prepare")
	if err != nil {
		return err
	}
	fmt.Printf("bench: sysbench prepare took %.1f s\n", time.Since(start).Seconds())
	return nil
}

// runDirect starts the emulator in front of the destination MariaDB and migrates through it
// (runOurs with front), then stops it.
func runDirect(ctx context.Context, cfg config, src, dst *sql.DB) (ourResult, error) {
	front, err := benchkit.StartFront(cfg.frontBin, cfg.workDir, "full", filepath.Join(cfg.workDir, "destination"), cfg.dstPort)
	if err != nil {
		return ourResult{}, err
	}
	defer front.Stop()
	return runOurs(ctx, cfg, src, dst, "adb", nil, front)
}

// runOurs migrates the source's sbtest to the destination with a fresh runner and returns
// the wall time from task creation to Completed and the runner's peak RSS. With front, the
// task's destination is the emulated AnalyticDB front in front of dst (a connection of type
// adb_mysql3; the task writes directly), and the copy is checked on dst by row values.
func runOurs(ctx context.Context, cfg config, src, dst *sql.DB, label string, etl *api.ETL, front *benchkit.Front) (ourResult, error) {
	fmt.Printf("\n== adbmigrate: schema + full migration of %s (%s) ==\n", database, label)
	if _, err := dst.ExecContext(ctx, "DROP DATABASE IF EXISTS "+database); err != nil {
		return ourResult{}, fmt.Errorf("dropping %s on the destination: %w", database, err)
	}
	r, err := benchkit.StartRunner(cfg.runnerBin, cfg.workDir, label)
	if err != nil {
		return ourResult{}, err
	}
	defer r.Stop()

	srcID, dstID, err := benchkit.CreateConnections(ctx, r.Client, cfg.user, cfg.password, cfg.srcPort, cfg.dstPort)
	if err != nil {
		return ourResult{}, err
	}
	var alerts []string
	frontPid := 0
	if front != nil {
		dstID, err = benchkit.CreateConnection(ctx, r.Client, "bench-adb", api.DatabaseADBMySQL3, cfg.user, cfg.password, front.Port)
		if err != nil {
			return ourResult{}, err
		}
		alerts, frontPid = benchkit.ADBAlerts, front.Pid()
	}

	object := api.Object{Database: database}
	if etl != nil {
		for i := 1; i <= cfg.tables; i++ {
			object.Tables = append(object.Tables, api.Table{Name: fmt.Sprintf("sbtest%d", i), ETL: etl})
		}
	}
	if err := benchkit.Quiesce(ctx, src, dst); err != nil {
		return ourResult{}, err
	}
	sampler := benchkit.SampleRSS(r.Pid(), 100*time.Millisecond)
	split := cpuSplit(cfg, r.Pid(), frontPid)
	cpu0 := benchkit.MachineCPUSeconds()
	start := time.Now()
	task, err := r.Client.CreateTask(ctx, api.TaskSpec{
		Name:                    "bench-" + label,
		SourceConnectionID:      srcID,
		DestinationConnectionID: dstID,
		MigrationTypes:          []api.MigrationType{api.MigrationSchema, api.MigrationFull},
		Objects:                 []api.Object{object},
		InstanceClass:           cfg.instanceClass,
		IgnorePrecheckAlerts:    alerts,
	})
	if err != nil {
		sampler.Stop()
		return ourResult{}, fmt.Errorf("creating the task: %w", err)
	}
	state, err := waitCompleted(ctx, r, task.ID, cfg.timeout)
	wall := time.Since(start)
	cpu := benchkit.MachineCPUSeconds() - cpu0
	peakRSS, hwm, peak, rssErr := benchkit.PeakRSS(sampler, r.Pid())
	if err != nil {
		return ourResult{}, err
	}
	if rssErr != nil {
		return ourResult{}, rssErr
	}
	res := ourResult{wall: wall, peakRSSKiB: peakRSS, cpu: cpu, split: split()}
	fmt.Printf("bench: task %s completed in %.2f s, %d rows reported; runner peak RSS %.1f MiB (VmHWM %.1f, highest 100 ms sample %.1f)\n",
		task.ID, wall.Seconds(), state.RowsMigrated, benchkit.MiB(res.peakRSSKiB), benchkit.MiB(hwm), benchkit.MiB(peak))
	fmt.Printf("bench: CPU-seconds %.1f (whole machine): %s\n", cpu, res.split)

	switch {
	case etl != nil:
		res.rows, err = verifyETL(ctx, cfg, src, dst)
	case front != nil:
		if err = benchkit.CheckDirect(ctx, r.Client, task.ID); err == nil {
			res.rows, err = verifyValues(ctx, src, dst)
		}
	default:
		res.rows, err = verify(ctx, src, dst)
	}
	if err != nil {
		return res, fmt.Errorf("after the adbmigrate run: %w", err)
	}
	if state.RowsMigrated != res.rows {
		return res, fmt.Errorf("the task reports %d rows migrated, the tables hold %d", state.RowsMigrated, res.rows)
	}
	// Verification and CHECKSUM TABLE run three times each and keep the fastest: on a
	// shared machine one run of about a second says more about the neighbours than about
	// either.
	rounds := map[string]int{"main": 3, "etl": 3, "plain": 3}[label]
	for i := range rounds {
		took, err := timeVerification(ctx, r, task.ID, res.rows, cfg.timeout)
		if err != nil {
			return res, err
		}
		if i == 0 || took < res.verify {
			res.verify = took
		}
	}
	if label == "main" {
		for i := range 3 {
			took, err := timeChecksums(ctx, cfg, src, dst)
			if err != nil {
				return res, err
			}
			if i == 0 || took < res.checksum {
				res.checksum = took
			}
		}
	}
	return res, nil
}

// timeVerification runs the task's data verification on demand and times it until it
// passed over rows rows.
func timeVerification(ctx context.Context, r *benchkit.Runner, id string, rows int64, timeout time.Duration) (time.Duration, error) {
	fmt.Printf("\n== adbmigrate: data verification of the copy (POST /v1/tasks/%s/verify) ==\n", id)
	var sweeps int64
	if st, err := r.Client.TaskStatus(ctx, id); err != nil {
		return 0, err
	} else if st.Verification != nil {
		sweeps = st.Verification.Sweeps
	}
	start := time.Now()
	if _, err := r.Client.VerifyTask(ctx, id); err != nil {
		return 0, err
	}
	for {
		st, err := r.Client.TaskStatus(ctx, id)
		if err != nil {
			return 0, err
		}
		if v := st.Verification; v != nil && v.Status != api.VerificationRunning && v.Sweeps > sweeps {
			took := time.Since(start)
			if v.Status != api.VerificationPassed || v.RowsChecked != rows {
				return took, fmt.Errorf("verification of the copy: %s over %d rows (%d mismatches), want passed over %d", v.Status, v.RowsChecked, v.Mismatches, rows)
			}
			fmt.Printf("bench: verification passed over %d rows in %d chunks in %.2f s\n", v.RowsChecked, v.ChunksChecked, took.Seconds())
			return took, nil
		}
		if time.Since(start) > timeout {
			return 0, fmt.Errorf("verification did not finish within %s", timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// timeChecksums runs CHECKSUM TABLE of every sysbench table on both servers at once.
func timeChecksums(ctx context.Context, cfg config, src, dst *sql.DB) (time.Duration, error) {
	start := time.Now()
	errs := make(chan error, 2)
	for _, db := range []*sql.DB{src, dst} {
		go func() {
			for i := 1; i <= cfg.tables; i++ {
				if _, err := benchkit.Checksum(ctx, db, fmt.Sprintf("%s.sbtest%d", database, i)); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			return 0, err
		}
	}
	took := time.Since(start)
	fmt.Printf("bench: CHECKSUM TABLE of %d tables on both servers at once: %.2f s\n", cfg.tables, took.Seconds())
	return took, nil
}

// waitCompleted polls the task every 50 ms until it is Completed, printing its progress
// every 5 s; a task that fails or stops is an error carrying its message.
func waitCompleted(ctx context.Context, r *benchkit.Runner, id string, timeout time.Duration) (api.TaskState, error) {
	deadline := time.Now().Add(timeout)
	lastPrint := time.Now()
	for {
		st, err := r.Client.TaskStatus(ctx, id)
		if err != nil {
			return st, fmt.Errorf("reading task %s: %w", id, err)
		}
		switch st.Status {
		case api.StatusCompleted:
			return st, nil
		case api.StatusFailed, api.StatusPrecheckFailed, api.StatusStopped:
			return st, fmt.Errorf("task %s is %s: %s\nrunner log %s (last lines):\n%s", id, st.Status, st.ErrorMessage, r.LogPath, benchkit.Tail(r.LogPath, 20))
		}
		if time.Now().After(deadline) {
			return st, fmt.Errorf("task %s still %s after %v (%.0f%%)", id, st.Status, timeout, st.ProgressPercent)
		}
		if time.Since(lastPrint) >= 5*time.Second {
			fmt.Printf("bench: %s %s, %d rows, %.0f%%\n", st.Status, st.Phase, st.RowsMigrated, st.ProgressPercent)
			lastPrint = time.Now()
		}
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// runDumper times mydumper and then myloader for sbtest into an empty destination.
func runDumper(ctx context.Context, cfg config, src, dst *sql.DB) (dumpResult, error) {
	fmt.Printf("\n== mydumper + myloader, %d threads ==\n", cfg.threads)
	if _, err := dst.ExecContext(ctx, "DROP DATABASE IF EXISTS "+database); err != nil {
		return dumpResult{}, fmt.Errorf("dropping %s on the destination: %w", database, err)
	}
	dir := filepath.Join(cfg.workDir, "dump")
	if err := os.RemoveAll(dir); err != nil {
		return dumpResult{}, err
	}
	if err := benchkit.Quiesce(ctx, src, dst); err != nil {
		return dumpResult{}, err
	}
	cpu0 := benchkit.MachineCPUSeconds()
	start := time.Now()
	err := benchkit.Mydumper(ctx, false, cfg.srcPort, cfg.user, cfg.password, database, dir, cfg.threads)
	if err != nil {
		return dumpResult{}, err
	}
	res := dumpResult{dump: time.Since(start)}
	start = time.Now()
	err = benchkit.Myloader(ctx, false, cfg.dstPort, cfg.user, cfg.password, dir, cfg.threads)
	if err != nil {
		return res, err
	}
	res.load = time.Since(start)
	res.cpu = benchkit.MachineCPUSeconds() - cpu0
	fmt.Printf("bench: mydumper %.2f s, myloader %.2f s, machine CPU %.1f s\n", res.dump.Seconds(), res.load.Seconds(), res.cpu)
	res.rows, err = verify(ctx, src, dst)
	if err != nil {
		return res, fmt.Errorf("after mydumper + myloader: %w", err)
	}
	return res, os.RemoveAll(dir)
}

// runLoadData writes the source's sbtest tables to TSV files (by SELECT, untimed), creates
// the tables empty on the destination with the source's definitions, and times the
// destination loading the files with LOAD DATA LOCAL INFILE, two sessions at once, table by
// table: the reference of what the destination's own bulk load costs.
func runLoadData(ctx context.Context, cfg config, src, dst *sql.DB) (loadResult, error) {
	fmt.Printf("\n== LOAD DATA LOCAL INFILE of the same rows, 2 sessions ==\n")
	dir := filepath.Join(cfg.workDir, "tsv")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return loadResult{}, err
	}
	defer os.RemoveAll(dir)
	var files []string
	if _, err := dst.ExecContext(ctx, "DROP DATABASE IF EXISTS "+database); err != nil {
		return loadResult{}, err
	}
	if _, err := dst.ExecContext(ctx, "CREATE DATABASE "+database); err != nil {
		return loadResult{}, err
	}
	for i := 1; i <= cfg.tables; i++ {
		table := fmt.Sprintf("sbtest%d", i)
		var name, create string
		if err := src.QueryRowContext(ctx, "SHOW CREATE TABLE "+database+"."+table).Scan(&name, &create); err != nil {
			return loadResult{}, err
		}
		if _, err := dst.ExecContext(ctx, strings.Replace(create, "CREATE TABLE ", "CREATE TABLE "+database+".", 1)); err != nil {
			return loadResult{}, fmt.Errorf("creating %s on the destination: %w", table, err)
		}
		path := filepath.Join(dir, table+".tsv")
		if err := writeTSV(ctx, src, database+"."+table, path); err != nil {
			return loadResult{}, err
		}
		files = append(files, path)
	}
	loader, err := benchkit.OpenDB(cfg.user, cfg.password, cfg.dstPort, map[string]string{"allowAllFiles": "true"})
	if err != nil {
		return loadResult{}, err
	}
	defer loader.Close()
	if err := benchkit.Quiesce(ctx, src, dst); err != nil {
		return loadResult{}, err
	}
	destCPU0 := benchkit.ProcessCPUSeconds(benchkit.ServerPid(filepath.Join(cfg.workDir, "destination")))
	cpu0 := benchkit.MachineCPUSeconds()
	start := time.Now()
	next := make(chan int, len(files))
	for i := range files {
		next <- i
	}
	close(next)
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			for i := range next {
				q := fmt.Sprintf("LOAD DATA LOCAL INFILE %s INTO TABLE %s.sbtest%d", quoteString(files[i]), database, i+1)
				if _, err := loader.ExecContext(ctx, q); err != nil {
					errs <- fmt.Errorf("LOAD DATA of %s: %w", files[i], err)
					return
				}
			}
			errs <- nil
		}()
	}
	for range 2 {
		if e := <-errs; e != nil && err == nil {
			err = e
		}
	}
	if err != nil {
		return loadResult{}, err
	}
	res := loadResult{load: time.Since(start), cpu: benchkit.MachineCPUSeconds() - cpu0}
	res.destCPU = benchkit.ProcessCPUSeconds(benchkit.ServerPid(filepath.Join(cfg.workDir, "destination"))) - destCPU0
	fmt.Printf("bench: LOAD DATA LOCAL INFILE %.2f s, machine CPU %.1f s, destination server %.1f s\n", res.load.Seconds(), res.cpu, res.destCPU)
	if res.rows, err = verify(ctx, src, dst); err != nil {
		return res, fmt.Errorf("after LOAD DATA: %w", err)
	}
	return res, nil
}

// writeTSV writes table's rows to path in LOAD DATA's default format: tab-separated,
// backslash escapes, \N for NULL.
func writeTSV(ctx context.Context, src *sql.DB, table, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	rows, err := src.QueryContext(ctx, "SELECT * FROM "+table)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	esc := strings.NewReplacer("\\", "\\\\", "\t", "\\t", "\n", "\\n", "\x00", "\\0")
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for i, v := range vals {
			if i > 0 {
				w.WriteByte('\t')
			}
			if v == nil {
				w.WriteString("\\N")
			} else {
				w.WriteString(esc.Replace(string(v)))
			}
		}
		w.WriteByte('\n')
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// quoteString quotes s as an SQL string literal.
func quoteString(s string) string {
	return "'" + strings.NewReplacer("\\", "\\\\", "'", "\\'").Replace(s) + "'"
}

// benchETL is the etl block of the bench's ETL run: a filter every sysbench row passes,
// evaluated on each, and one computed column.
var benchETL = &api.ETL{Filter: "row.id > 0 && row.k >= 0", Set: map[string]string{"c": "row.c.upperAscii()"}}

// verifyETL checks that every sysbench table holds, on the destination, what benchETL makes
// of the source's, by a checksum query run on each server, and returns the total row count.
func verifyETL(ctx context.Context, cfg config, src, dst *sql.DB) (int64, error) {
	var total int64
	for i := 1; i <= cfg.tables; i++ {
		table := fmt.Sprintf("%s.sbtest%d", database, i)
		q := "SELECT COUNT(*), COALESCE(SUM(CRC32(CONCAT_WS('#', id, k, %s, pad))), 0) FROM " + table + " WHERE id > 0 AND k >= 0"
		var sn, dn, ss, ds int64
		if err := src.QueryRowContext(ctx, fmt.Sprintf(q, "UPPER(c)")).Scan(&sn, &ss); err != nil {
			return 0, err
		}
		if err := dst.QueryRowContext(ctx, fmt.Sprintf(q, "c")).Scan(&dn, &ds); err != nil {
			return 0, err
		}
		if sn != dn || ss != ds {
			return 0, fmt.Errorf("%s: the source computes %d rows (sum %d) for the etl block, the destination holds %d (sum %d)", table, sn, ss, dn, ds)
		}
		total += dn
	}
	fmt.Printf("bench: verified %d tables, %d rows: the destination holds what SQL on the source computes for the etl block\n", cfg.tables, total)
	return total, nil
}

// verifyValues checks that every sysbench table has the same row count and row values on both
// servers (benchkit.VerifyValues: the emulator's column types differ from the source's), and
// returns the total row count.
func verifyValues(ctx context.Context, src, dst *sql.DB) (int64, error) {
	tables, total, err := benchkit.VerifyValues(ctx, src, dst, database, database, "destination")
	if err != nil {
		return 0, err
	}
	fmt.Printf("bench: verified %d tables, %d rows on the destination MariaDB directly: same counts and sums of row CRC32s on both servers\n", tables, total)
	return total, nil
}

// verify checks that every sysbench table has the same row count and CHECKSUM TABLE on both
// servers (same server version and definition, so equal data gives an equal checksum), and
// returns the total row count.
func verify(ctx context.Context, src, dst *sql.DB) (int64, error) {
	tables, total, err := benchkit.Verify(ctx, src, dst, database, "destination")
	if err != nil {
		return 0, err
	}
	fmt.Printf("bench: verified %d tables, %d rows: same counts and CHECKSUM TABLE on both servers\n", tables, total)
	return total, nil
}

func report(cfg config, version string, ours ourResult, dump dumpResult, local loadResult) {
	both := dump.dump + dump.load
	fmt.Printf(`
LOAD DATA LOCAL INFILE     %.2f s  (%.0f rows/s; the destination loading the same rows from local TSV files, 2 sessions, default settings)
ratio ours/LOAD DATA       %.2f  (target of issue 15: at most 1.00)
ratio ours/(dump+load)     %.2f  (target of issue 15: at most 0.80)
machine CPU-seconds        ours %.1f, mydumper+myloader %.1f, LOAD DATA %.1f (whole machine, /proc/stat)
CPU ours/(dump+load)       %.2f  (target of issue 15: at most 0.75)
CPU-seconds by process     ours: %s; LOAD DATA: destination %.1f
`, local.load.Seconds(), float64(local.rows)/local.load.Seconds(), ours.wall.Seconds()/local.load.Seconds(), ours.wall.Seconds()/both.Seconds(),
		ours.cpu, dump.cpu, local.cpu, ours.cpu/dump.cpu, ours.split, local.destCPU)
	fmt.Printf(`
== result ==
server                     %s
tables x rows              %d x %d (%d rows)
threads                    %d (instance class %q)
adbmigrate wall time       %.2f s  (%.0f rows/s)
mydumper                   %.2f s
myloader                   %.2f s
mydumper + myloader        %.2f s  (%.0f rows/s)
ratio ours/(dump+load)     %.2f
runner peak RSS            %.1f MiB
data verification          %.2f s  (%.0f rows/s, fastest of 3; per-chunk sums of row CRC32s on both servers, 4 chunks at once)
CHECKSUM TABLE, both       %.2f s  (%.0f rows/s, fastest of 3; whole-table checksums, nothing narrowed)
CHECKSUM TABLE / ours      %.3f  (target of issue 15: at least 0.25)
`, version, cfg.tables, cfg.rows, ours.rows, cfg.threads, cfg.instanceClass,
		ours.wall.Seconds(), float64(ours.rows)/ours.wall.Seconds(),
		dump.dump.Seconds(), dump.load.Seconds(), both.Seconds(), float64(dump.rows)/both.Seconds(),
		ours.wall.Seconds()/both.Seconds(), benchkit.MiB(ours.peakRSSKiB),
		ours.verify.Seconds(), float64(ours.rows)/ours.verify.Seconds(), ours.checksum.Seconds(), float64(ours.rows)/ours.checksum.Seconds(),
		ours.checksum.Seconds()/ours.verify.Seconds())
}

// reportDirect prints the direct run (into the emulator, BEGIN a no-op) against the
// transactional run base, called baseLabel.
func reportDirect(base ourResult, baseLabel string, direct ourResult) {
	fmt.Printf(`
== result: writes without transactions (docs/adb.md) ==
transactional (MariaDB)    %.2f s  (%.0f rows/s; %s: LOAD DATA per chunk, committed with the chunk's checkpoint)
direct (emulator)          %.2f s  (%.0f rows/s; BEGIN a no-op: multi-row REPLACE per chunk, no transaction; the emulator's parsing, its triggers and AnalyticDB's column types included)
direct / transactional     %.2f  (wall time; rate transactional / direct is the same)
machine CPU-seconds        transactional %.1f, direct %.1f (%.2f)
CPU-seconds by process     transactional: %s; direct: %s
`, base.wall.Seconds(), rate(base.rows, base.wall), baseLabel,
		direct.wall.Seconds(), rate(direct.rows, direct.wall),
		direct.wall.Seconds()/base.wall.Seconds(),
		base.cpu, direct.cpu, direct.cpu/base.cpu, base.split, direct.split)
}

const markdownHeader = `| date | server | tables x rows | threads | adbmigrate s | adbmigrate rows/s | mydumper s | myloader s | dump+load s | ours/(dump+load) | runner peak RSS MiB |
|---|---|---|---|---|---|---|---|---|---|---|
`

// appendMarkdown appends one result row to cfg.out, writing the header into an empty file.
// dump is nil for runs without mydumper/myloader (the RSS-by-size runs).
func appendMarkdown(cfg config, version string, ours ourResult, dump *dumpResult) error {
	dumpCols := "n/a | n/a | n/a | n/a"
	if dump != nil {
		both := dump.dump + dump.load
		dumpCols = fmt.Sprintf("%.2f | %.2f | %.2f | %.2f", dump.dump.Seconds(), dump.load.Seconds(), both.Seconds(), ours.wall.Seconds()/both.Seconds())
	}
	row := fmt.Sprintf("| %s | %s | %d x %d | %d | %.2f | %.0f | %s | %.1f |\n",
		time.Now().UTC().Format("2006-01-02"), version, cfg.tables, cfg.rows, cfg.threads,
		ours.wall.Seconds(), float64(ours.rows)/ours.wall.Seconds(), dumpCols, benchkit.MiB(ours.peakRSSKiB))
	return benchkit.AppendMarkdown(cfg.out, markdownHeader, row)
}
