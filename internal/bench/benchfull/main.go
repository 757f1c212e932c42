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
//  5. prints a result block and appends a markdown table row to -out when given;
//  6. with -rss-sizes, reloads the source with each table size and runs the migration again,
//     printing the runner's peak RSS per size (memory must not grow with the table size).
//
// The database password comes from $BENCH_DB_PASSWORD, never from the command line.
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"

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
}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchfull:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "benchfull:", err)
		os.Exit(1)
	}
}

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
}

// dumpResult is one mydumper + myloader round.
type dumpResult struct {
	rows       int64
	dump, load time.Duration
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

	if err := prepare(ctx, cfg, src, cfg.rows); err != nil {
		return err
	}
	ours, err := runOurs(ctx, cfg, src, dst, "main")
	if err != nil {
		return err
	}
	dump, err := runDumper(ctx, cfg, src, dst)
	if err != nil {
		return err
	}
	report(cfg, version, ours, dump)
	if cfg.out != "" {
		if err := appendMarkdown(cfg, version, ours, &dump); err != nil {
			return err
		}
	}

	if len(cfg.rssSizes) == 0 {
		return nil
	}
	var rss []ourResult
	for _, size := range cfg.rssSizes {
		if err := prepare(ctx, cfg, src, size); err != nil {
			return err
		}
		r, err := runOurs(ctx, cfg, src, dst, fmt.Sprintf("rss-%d", size))
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
		fmt.Printf("%14d %12d %10.2f %12.0f %14.1f\n", cfg.rssSizes[i], r.rows, r.wall.Seconds(), float64(r.rows)/r.wall.Seconds(), mib(r.peakRSSKiB))
	}
	return nil
}

func openDB(cfg config, port int) (*sql.DB, error) {
	c := mysql.NewConfig()
	c.User, c.Passwd = cfg.user, cfg.password
	c.Net, c.Addr = "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	c.Timeout = 10 * time.Second
	db, err := sql.Open("mysql", c.FormatDSN())
	if err != nil {
		return nil, err
	}
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("connecting to 127.0.0.1:%d as %s: %w", port, cfg.user, err)
	}
	return db, nil
}

// prepare (re)creates the sysbench tables on the source with rows rows each.
func prepare(ctx context.Context, cfg config, src *sql.DB, rows int) error {
	fmt.Printf("\n== sysbench prepare: %d tables x %d rows on the source ==\n", cfg.tables, rows)
	for _, stmt := range []string{"DROP DATABASE IF EXISTS " + database, "CREATE DATABASE " + database} {
		if _, err := src.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("%s on the source: %w", stmt, err)
		}
	}
	start := time.Now()
	err := command(ctx, "sysbench", "oltp_read_write", "--db-driver=mysql",
		"--mysql-host=127.0.0.1", "--mysql-port="+strconv.Itoa(cfg.srcPort),
		"--mysql-user="+cfg.user, "--mysql-password="+cfg.password, "--mysql-db="+database,
		"--tables="+strconv.Itoa(cfg.tables), "--table-size="+strconv.Itoa(rows),
		"--threads="+strconv.Itoa(min(cfg.threads, cfg.tables)), "prepare")
	if err != nil {
		return err
	}
	fmt.Printf("bench: sysbench prepare took %.1f s\n", time.Since(start).Seconds())
	return nil
}

// command runs name with args, its output going to ours.
func command(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w", name, args[0], err)
	}
	return nil
}

// runOurs migrates the source's sbtest to the destination with a fresh runner and returns
// the wall time from task creation to Completed and the runner's peak RSS.
func runOurs(ctx context.Context, cfg config, src, dst *sql.DB, label string) (ourResult, error) {
	fmt.Printf("\n== adbmigrate: schema + full migration of %s (%s) ==\n", database, label)
	if _, err := dst.ExecContext(ctx, "DROP DATABASE IF EXISTS "+database); err != nil {
		return ourResult{}, fmt.Errorf("dropping %s on the destination: %w", database, err)
	}
	r, err := startRunner(cfg, label)
	if err != nil {
		return ourResult{}, err
	}
	defer r.stop()

	conn := func(name string, port int) (string, error) {
		c, err := r.client.CreateConnection(ctx, api.ConnectionSpec{
			Name: name, DatabaseType: api.DatabaseMariaDB, Host: "127.0.0.1", Port: port,
			Username: cfg.user, Password: cfg.password,
		})
		if err != nil {
			return "", fmt.Errorf("creating connection %s: %w", name, err)
		}
		return c.ID, nil
	}
	srcID, err := conn("bench-source", cfg.srcPort)
	if err != nil {
		return ourResult{}, err
	}
	dstID, err := conn("bench-destination", cfg.dstPort)
	if err != nil {
		return ourResult{}, err
	}

	sampler := sampleRSS(r.cmd.Process.Pid, 100*time.Millisecond)
	start := time.Now()
	task, err := r.client.CreateTask(ctx, api.TaskSpec{
		Name:                    "bench-" + label,
		SourceConnectionID:      srcID,
		DestinationConnectionID: dstID,
		MigrationTypes:          []string{api.MigrationSchema, api.MigrationFull},
		Objects:                 []api.Object{{Database: database}},
		InstanceClass:           cfg.instanceClass,
	})
	if err != nil {
		sampler.stop()
		return ourResult{}, fmt.Errorf("creating the task: %w", err)
	}
	state, err := waitCompleted(ctx, r, task.ID, cfg.timeout)
	wall := time.Since(start)
	hwm, hwmErr := procStatusKiB(r.cmd.Process.Pid, "VmHWM")
	peak := sampler.stop()
	if err != nil {
		return ourResult{}, err
	}
	if hwmErr != nil {
		return ourResult{}, fmt.Errorf("reading the runner's VmHWM: %w", hwmErr)
	}
	res := ourResult{wall: wall, peakRSSKiB: max(peak, hwm)}
	fmt.Printf("bench: task %s completed in %.2f s, %d rows reported; runner peak RSS %.1f MiB (VmHWM %.1f, highest 100 ms sample %.1f)\n",
		task.ID, wall.Seconds(), state.RowsMigrated, mib(res.peakRSSKiB), mib(hwm), mib(peak))

	res.rows, err = verify(ctx, src, dst)
	if err != nil {
		return res, fmt.Errorf("after the adbmigrate run: %w", err)
	}
	if state.RowsMigrated != res.rows {
		return res, fmt.Errorf("the task reports %d rows migrated, the tables hold %d", state.RowsMigrated, res.rows)
	}
	return res, nil
}

// waitCompleted polls the task every 50 ms until it is Completed, printing its progress
// every 5 s; a task that fails or stops is an error carrying its message.
func waitCompleted(ctx context.Context, r *runner, id string, timeout time.Duration) (api.TaskState, error) {
	deadline := time.Now().Add(timeout)
	lastPrint := time.Now()
	for {
		st, err := r.client.TaskStatus(ctx, id)
		if err != nil {
			return st, fmt.Errorf("reading task %s: %w", id, err)
		}
		switch st.Status {
		case api.StatusCompleted:
			return st, nil
		case api.StatusFailed, api.StatusPrecheckFailed, api.StatusStopped:
			return st, fmt.Errorf("task %s is %s: %s\nrunner log %s (last lines):\n%s", id, st.Status, st.ErrorMessage, r.logPath, tail(r.logPath, 20))
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
	threads := strconv.Itoa(cfg.threads)
	start := time.Now()
	err := command(ctx, "mydumper", "-h", "127.0.0.1", "-P", strconv.Itoa(cfg.srcPort), "-u", cfg.user, "-p", cfg.password,
		"-B", database, "-o", dir, "-t", threads, "-r", "100000")
	if err != nil {
		return dumpResult{}, err
	}
	res := dumpResult{dump: time.Since(start)}
	start = time.Now()
	err = command(ctx, "myloader", "-h", "127.0.0.1", "-P", strconv.Itoa(cfg.dstPort), "-u", cfg.user, "-p", cfg.password,
		"-d", dir, "-t", threads, "-o")
	if err != nil {
		return res, err
	}
	res.load = time.Since(start)
	fmt.Printf("bench: mydumper %.2f s, myloader %.2f s\n", res.dump.Seconds(), res.load.Seconds())
	res.rows, err = verify(ctx, src, dst)
	if err != nil {
		return res, fmt.Errorf("after mydumper + myloader: %w", err)
	}
	return res, os.RemoveAll(dir)
}

// verify checks that every sysbench table has the same row count and CHECKSUM TABLE on both
// servers (same server version and definition, so equal data gives an equal checksum), and
// returns the total row count.
func verify(ctx context.Context, src, dst *sql.DB) (int64, error) {
	rows, err := src.QueryContext(ctx, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME", database)
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
		return 0, fmt.Errorf("no tables in %s on the source", database)
	}
	var total int64
	for _, t := range tables {
		name := database + "." + t
		var sn, dn int64
		if err := src.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+name).Scan(&sn); err != nil {
			return 0, fmt.Errorf("counting %s on the source: %w", name, err)
		}
		if err := dst.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+name).Scan(&dn); err != nil {
			return 0, fmt.Errorf("counting %s on the destination: %w", name, err)
		}
		sc, err := checksum(ctx, src, name)
		if err != nil {
			return 0, fmt.Errorf("source: %w", err)
		}
		dc, err := checksum(ctx, dst, name)
		if err != nil {
			return 0, fmt.Errorf("destination: %w", err)
		}
		if sn != dn || sc != dc {
			return 0, fmt.Errorf("%s differs: source %d rows, CHECKSUM %s; destination %d rows, CHECKSUM %s", name, sn, sc, dn, dc)
		}
		total += sn
	}
	fmt.Printf("bench: verified %d tables, %d rows: same counts and CHECKSUM TABLE on both servers\n", len(tables), total)
	return total, nil
}

func checksum(ctx context.Context, db *sql.DB, table string) (string, error) {
	var name string
	var sum sql.NullString
	if err := db.QueryRowContext(ctx, "CHECKSUM TABLE "+table).Scan(&name, &sum); err != nil {
		return "", fmt.Errorf("CHECKSUM TABLE %s: %w", table, err)
	}
	if !sum.Valid {
		return "", fmt.Errorf("CHECKSUM TABLE %s: NULL (no such table)", table)
	}
	return sum.String, nil
}

func report(cfg config, version string, ours ourResult, dump dumpResult) {
	both := dump.dump + dump.load
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
`, version, cfg.tables, cfg.rows, ours.rows, cfg.threads, cfg.instanceClass,
		ours.wall.Seconds(), float64(ours.rows)/ours.wall.Seconds(),
		dump.dump.Seconds(), dump.load.Seconds(), both.Seconds(), float64(dump.rows)/both.Seconds(),
		ours.wall.Seconds()/both.Seconds(), mib(ours.peakRSSKiB))
}

const markdownHeader = `| date | server | tables x rows | threads | adbmigrate s | adbmigrate rows/s | mydumper s | myloader s | dump+load s | ours/(dump+load) | runner peak RSS MiB |
|---|---|---|---|---|---|---|---|---|---|---|
`

// appendMarkdown appends one result row to cfg.out, writing the header into an empty file.
// dump is nil for runs without mydumper/myloader (the RSS-by-size runs).
func appendMarkdown(cfg config, version string, ours ourResult, dump *dumpResult) error {
	f, err := os.OpenFile(cfg.out, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("opening BENCH_OUT: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	var b strings.Builder
	if info.Size() == 0 {
		b.WriteString(markdownHeader)
	}
	dumpCols := "n/a | n/a | n/a | n/a"
	if dump != nil {
		both := dump.dump + dump.load
		dumpCols = fmt.Sprintf("%.2f | %.2f | %.2f | %.2f", dump.dump.Seconds(), dump.load.Seconds(), both.Seconds(), ours.wall.Seconds()/both.Seconds())
	}
	fmt.Fprintf(&b, "| %s | %s | %d x %d | %d | %.2f | %.0f | %s | %.1f |\n",
		time.Now().UTC().Format("2006-01-02"), version, cfg.tables, cfg.rows, cfg.threads,
		ours.wall.Seconds(), float64(ours.rows)/ours.wall.Seconds(), dumpCols, mib(ours.peakRSSKiB))
	if _, err := f.WriteString(b.String()); err != nil {
		return fmt.Errorf("writing BENCH_OUT: %w", err)
	}
	fmt.Printf("bench: result row appended to %s\n", cfg.out)
	return nil
}

func mib(kib int64) float64 { return float64(kib) / 1024 }

// runner is one adbmigrate-runner process with its own data directory.
type runner struct {
	cmd     *exec.Cmd
	client  *api.Client
	logPath string
	pidPath string
	done    chan struct{}
}

// startRunner starts the runner on a free loopback port with a fresh data directory and a
// random token (through $ADBMIGRATE_TOKEN) and waits until its API answers. Its pid is
// written to WORK_DIR/runner.pid so that the calling script can stop it should this program
// die; the kernel kills it too when this process goes (Pdeathsig).
func startRunner(cfg config, label string) (*runner, error) {
	dataDir := filepath.Join(cfg.workDir, "runner-"+label)
	if err := os.RemoveAll(dataDir); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	tok := make([]byte, 16)
	if _, err := rand.Read(tok); err != nil {
		return nil, err
	}
	token := hex.EncodeToString(tok)
	logPath := dataDir + ".log"
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(cfg.runnerBin, "--listen", addr, "--data-dir", dataDir)
	cmd.Env = append(os.Environ(), "ADBMIGRATE_TOKEN="+token)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", cfg.runnerBin, err)
	}
	logFile.Close()
	r := &runner{cmd: cmd, logPath: logPath, pidPath: filepath.Join(cfg.workDir, "runner.pid"), done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(r.done) }()
	if err := os.WriteFile(r.pidPath, []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644); err != nil {
		r.stop()
		return nil, err
	}
	r.client, err = api.NewClient("http://"+addr, token, nil)
	if err != nil {
		r.stop()
		return nil, err
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		hctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := r.client.Health(hctx)
		cancel()
		if err == nil {
			fmt.Printf("bench: runner pid %d on %s, log %s\n", cmd.Process.Pid, addr, logPath)
			return r, nil
		}
		select {
		case <-r.done:
			return nil, fmt.Errorf("the runner exited at start; its log %s:\n%s", logPath, tail(logPath, 20))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			r.stop()
			return nil, fmt.Errorf("the runner did not answer within 20 s: %w; its log %s:\n%s", err, logPath, tail(logPath, 20))
		}
	}
}

// stop sends SIGTERM, waits up to 30 s, then kills.
func (r *runner) stop() {
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(30 * time.Second):
		_ = r.cmd.Process.Kill()
		<-r.done
	}
	_ = os.Remove(r.pidPath)
}

// rssSampler records the highest VmRSS of a process.
type rssSampler struct {
	quit chan struct{}
	wg   sync.WaitGroup
	peak int64
}

// sampleRSS reads /proc/PID/status every interval until stop is called.
func sampleRSS(pid int, every time.Duration) *rssSampler {
	s := &rssSampler{quit: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if kib, err := procStatusKiB(pid, "VmRSS"); err == nil {
				s.peak = max(s.peak, kib)
			}
			select {
			case <-s.quit:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// stop ends sampling and returns the highest VmRSS seen, in KiB.
func (s *rssSampler) stop() int64 {
	close(s.quit)
	s.wg.Wait()
	return s.peak
}

// procStatusKiB reads a "Field:   N kB" line of /proc/PID/status.
func procStatusKiB(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		v, ok := strings.CutPrefix(line, field+":")
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parsing %s in /proc/%d/status: %w", field, pid, err)
		}
		return n, nil
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// tail returns the last n lines of a file, for error messages.
func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
