// Package benchkit holds what the benchmark drivers internal/bench/benchfull and
// internal/bench/benchcdc share: the program skeleton, database connections, runner
// processes, peak-RSS sampling, table verification and result files.
package benchkit

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
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

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/vocab"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

// Main parses the command line with parse and calls run with a context that ends on SIGINT
// or SIGTERM. It exits with status 2 on a flag error and 1 when run fails, printing the
// error after prog.
func Main[C any](prog string, parse func([]string) (C, error), run func(context.Context, C) error) {
	cfg, err := parse(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, prog+":", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, prog+":", err)
		os.Exit(1)
	}
}

// OpenDB connects to the MariaDB on 127.0.0.1:port as user and pings it. params, when not
// nil, are extra DSN parameters (such as session variables).
func OpenDB(user, password string, port int, params map[string]string) (*sql.DB, error) {
	c := mysql.NewConfig()
	c.User, c.Passwd = user, password
	c.Net, c.Addr = "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	c.Timeout = 10 * time.Second
	if params != nil {
		c.Params = params
	}
	db, err := sql.Open("mysql", c.FormatDSN())
	if err != nil {
		return nil, err
	}
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("connecting to 127.0.0.1:%d as %s: %w", port, user, err)
	}
	return db, nil
}

// RecreateDatabase drops database (if it exists) on the source src and creates it empty.
func RecreateDatabase(ctx context.Context, src *sql.DB, database string) error {
	for _, stmt := range []string{"DROP DATABASE IF EXISTS " + database, "CREATE DATABASE " + database} {
		if _, err := src.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("%s on the source: %w", stmt, err)
		}
	}
	return nil
}

// Command runs name with args, its output going to ours. With killOnExit the child gets
// SIGKILL should this process die first (Pdeathsig).
func Command(ctx context.Context, killOnExit bool, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if killOnExit {
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w", name, args[0], err)
	}
	return nil
}

// Mydumper dumps database from the server on 127.0.0.1:port into dir with threads threads
// (through Command).
func Mydumper(ctx context.Context, killOnExit bool, port int, user, password, database, dir string, threads int) error {
	return Command(ctx, killOnExit, "mydumper", "-h", "127.0.0.1", "-P", strconv.Itoa(port), "-u", user, "-p", password,
		"-B", database, "-o", dir, "-t", strconv.Itoa(threads), "-r", "100000")
}

// Myloader loads the dump in dir into the server on 127.0.0.1:port with threads threads,
// overwriting existing tables (through Command).
func Myloader(ctx context.Context, killOnExit bool, port int, user, password, dir string, threads int) error {
	return Command(ctx, killOnExit, "myloader", "-h", "127.0.0.1", "-P", strconv.Itoa(port), "-u", user, "-p", password,
		"-d", dir, "-t", strconv.Itoa(threads), "-o")
}

// CreateConnections registers the source and the destination MariaDB on 127.0.0.1 with the
// runner, as bench-source and bench-destination, and returns their ids.
func CreateConnections(ctx context.Context, client *api.Client, user, password string, srcPort, dstPort int) (srcID, dstID string, err error) {
	if srcID, err = CreateConnection(ctx, client, "bench-source", api.DatabaseMariaDB, user, password, srcPort); err != nil {
		return "", "", err
	}
	if dstID, err = CreateConnection(ctx, client, "bench-destination", api.DatabaseMariaDB, user, password, dstPort); err != nil {
		return "", "", err
	}
	return srcID, dstID, nil
}

// CreateConnection registers the server of type kind on 127.0.0.1:port with the runner as
// name and returns its id.
func CreateConnection(ctx context.Context, client *api.Client, name string, kind api.DatabaseType, user, password string, port int) (string, error) {
	c, err := client.CreateConnection(ctx, api.ConnectionSpec{
		Name: name, DatabaseType: kind, Host: "127.0.0.1", Port: port,
		Username: user, Password: password,
	})
	if err != nil {
		return "", fmt.Errorf("creating connection %s: %w", name, err)
	}
	return c.ID, nil
}

// Verify checks that every table of database has the same row count and CHECKSUM TABLE on
// src and on other, called name in errors (same server version and definition, so equal
// data gives an equal checksum), and returns the number of tables and the total row count.
func Verify(ctx context.Context, src, other *sql.DB, database, name string) (int, int64, error) {
	tables, err := Tables(ctx, src, database)
	if err != nil {
		return 0, 0, err
	}
	var total int64
	for _, t := range tables {
		table := database + "." + t
		var sn, on int64
		if err := src.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&sn); err != nil {
			return 0, 0, fmt.Errorf("counting %s on the source: %w", table, err)
		}
		if err := other.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&on); err != nil {
			return 0, 0, fmt.Errorf("counting %s on the %s: %w", table, name, err)
		}
		sc, err := Checksum(ctx, src, table)
		if err != nil {
			return 0, 0, fmt.Errorf("source: %w", err)
		}
		oc, err := Checksum(ctx, other, table)
		if err != nil {
			return 0, 0, fmt.Errorf("%s: %w", name, err)
		}
		if sn != on || sc != oc {
			return 0, 0, fmt.Errorf("%s differs: source %d rows, CHECKSUM %s; %s %d rows, CHECKSUM %s", table, sn, sc, name, on, oc)
		}
		total += sn
	}
	return len(tables), total, nil
}

// Tables lists the base tables of database on db, by name; none is an error.
func Tables(ctx context.Context, db *sql.DB, database string) ([]string, error) {
	rows, err := db.QueryContext(ctx, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME", database)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		tables = append(tables, t)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(tables) == 0 {
		return nil, fmt.Errorf("no tables in %s on the source", database)
	}
	return tables, nil
}

// VerifyValues checks that every table of database on src has, in otherDatabase on other
// (called name in errors), the same row count and the same sum of row CRC32s, and returns
// the number of tables and the total row count. It is for a destination whose column types
// differ from the source's (an AnalyticDB destination maps them), where CHECKSUM TABLE
// differs for equal data: a row is hashed as the text of its values, the source's columns
// in order, NULL as \N, and a time value with more than 3 fractional digits is compared at
// milliseconds (what AnalyticDB keeps; its last digits cut on both sides).
func VerifyValues(ctx context.Context, src, other *sql.DB, database, otherDatabase, name string) (int, int64, error) {
	tables, err := Tables(ctx, src, database)
	if err != nil {
		return 0, 0, err
	}
	var total int64
	for _, t := range tables {
		hash, err := rowHash(ctx, src, database, t)
		if err != nil {
			return 0, 0, err
		}
		q := "SELECT COUNT(*), COALESCE(SUM(" + hash + "), 0) FROM %s." + quoteIdent(t)
		var sn, on, ss, os int64
		if err := src.QueryRowContext(ctx, fmt.Sprintf(q, quoteIdent(database))).Scan(&sn, &ss); err != nil {
			return 0, 0, fmt.Errorf("hashing %s.%s on the source: %w", database, t, err)
		}
		if err := other.QueryRowContext(ctx, fmt.Sprintf(q, quoteIdent(otherDatabase))).Scan(&on, &os); err != nil {
			return 0, 0, fmt.Errorf("hashing %s.%s on the %s: %w", otherDatabase, t, name, err)
		}
		if sn != on || ss != os {
			return 0, 0, fmt.Errorf("%s.%s differs: source %d rows, sum of row CRC32s %d; %s %s.%s %d rows, sum %d",
				database, t, sn, ss, name, otherDatabase, t, on, os)
		}
		total += sn
	}
	return len(tables), total, nil
}

// rowHash is the SQL expression VerifyValues sums: CRC32 of the text of the columns of
// database.table as the source has them.
func rowHash(ctx context.Context, src *sql.DB, database, table string) (string, error) {
	rows, err := src.QueryContext(ctx, `SELECT COLUMN_NAME, DATA_TYPE, COALESCE(DATETIME_PRECISION, 0) FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, database, table)
	if err != nil {
		return "", fmt.Errorf("reading the columns of %s.%s on the source: %w", database, table, err)
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var name, kind string
		var fsp int
		if err := rows.Scan(&name, &kind, &fsp); err != nil {
			return "", err
		}
		text := "CAST(" + quoteIdent(name) + " AS CHAR)"
		switch kind {
		case "datetime", "timestamp", "time":
			if fsp > 3 {
				// Up to 3 digits after the point: the destination's column may have
				// fewer digits than the source's, so the cut is by position.
				text = fmt.Sprintf("LEFT(%s, LOCATE('.', %s) + 3)", text, text)
			}
		}
		cols = append(cols, "COALESCE("+text+", '\\N')")
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	if len(cols) == 0 {
		return "", fmt.Errorf("%s.%s has no columns on the source", database, table)
	}
	return "CRC32(CONCAT_WS('#', " + strings.Join(cols, ", ") + "))", nil
}

func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// Checksum returns CHECKSUM TABLE of table on db; a missing table is an error.
func Checksum(ctx context.Context, db *sql.DB, table string) (string, error) {
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

// AppendMarkdown appends row to the file at path, writing header first into an empty file,
// and says so on stdout. Errors name the file BENCH_OUT, as the scripts call it.
func AppendMarkdown(path, header, row string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
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
		b.WriteString(header)
	}
	b.WriteString(row)
	if _, err := f.WriteString(b.String()); err != nil {
		return fmt.Errorf("writing BENCH_OUT: %w", err)
	}
	fmt.Printf("bench: result row appended to %s\n", path)
	return nil
}

// MiB converts KiB to MiB.
func MiB(kib int64) float64 { return float64(kib) / 1024 }

// Runner is one adbmigrate-runner process with its own data directory.
type Runner struct {
	Cmd     *exec.Cmd
	Client  *api.Client
	LogPath string
	pidPath string
	done    <-chan struct{}
}

// StartRunner starts the runner binary bin on a free loopback port with a fresh data
// directory workDir/runner-label and a random token (through $ADBMIGRATE_TOKEN) and waits
// until its API answers. Its pid is written to workDir/runner.pid so that the calling script
// can stop it should this program die; the kernel kills it too when this process goes
// (Pdeathsig).
func StartRunner(bin, workDir, label string, args ...string) (*Runner, error) {
	dataDir := filepath.Join(workDir, "runner-"+label)
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
	cmd := exec.Command(bin, append([]string{"--listen", addr, "--data-dir", dataDir}, args...)...)
	cmd.Env = append(os.Environ(), "ADBMIGRATE_TOKEN="+token)
	r := &Runner{Cmd: cmd, LogPath: dataDir + ".log", pidPath: filepath.Join(workDir, "runner.pid")}
	if r.done, err = startProcess(cmd, r.LogPath, r.pidPath); err != nil {
		return nil, err
	}
	r.Client, err = api.NewClient("http://"+addr, token, nil)
	if err != nil {
		r.Stop()
		return nil, err
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		hctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := r.Client.Health(hctx)
		cancel()
		if err == nil {
			fmt.Printf("bench: runner pid %d on %s, log %s\n", cmd.Process.Pid, addr, r.LogPath)
			return r, nil
		}
		select {
		case <-r.done:
			return nil, fmt.Errorf("the runner exited at start; its log %s:\n%s", r.LogPath, Tail(r.LogPath, 20))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			r.Stop()
			return nil, fmt.Errorf("the runner did not answer within 20 s: %w; its log %s:\n%s", err, r.LogPath, Tail(r.LogPath, 20))
		}
	}
}

// startProcess starts cmd with its output going to the file logPath and SIGKILL should this
// process die first (Pdeathsig), and writes its pid to pidPath. The returned channel closes
// once cmd has exited. If the pid cannot be written, cmd is killed.
func startProcess(cmd *exec.Cmd, logPath, pidPath string) (<-chan struct{}, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	err = cmd.Start()
	logFile.Close()
	if err != nil {
		return nil, fmt.Errorf("starting %s: %w", cmd.Path, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	if err := os.WriteFile(pidPath, []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644); err != nil {
		_ = cmd.Process.Kill()
		<-done
		return nil, err
	}
	return done, nil
}

// Kill kills the runner with SIGKILL, waits until it has exited, and removes the pid file.
func (r *Runner) Kill() {
	_ = r.Cmd.Process.Kill()
	<-r.done
	_ = os.Remove(r.pidPath)
}

// Pid is the runner's process id.
func (r *Runner) Pid() int { return r.Cmd.Process.Pid }

// Stop sends SIGTERM, waits up to 30 s, then kills, and removes the pid file.
func (r *Runner) Stop() { stopProcess(r.Cmd.Process, r.done, 30*time.Second, r.pidPath) }

// stopProcess sends p SIGTERM, waits up to grace for done to close, then kills p and waits
// for done, and removes pidPath.
func stopProcess(p *os.Process, done <-chan struct{}, grace time.Duration, pidPath string) {
	_ = p.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(grace):
		_ = p.Kill()
		<-done
	}
	_ = os.Remove(pidPath)
}

// PeakRSS is the larger of a sampler's highest VmRSS and the process's VmHWM, in KiB.
// It stops the sampler; hwm and sampled are returned for reporting.
func PeakRSS(s *RSSSampler, pid int) (peak, hwm, sampled int64, err error) {
	hwm, err = ProcStatusKiB(pid, "VmHWM")
	sampled = s.Stop()
	if err != nil {
		return 0, 0, sampled, fmt.Errorf("reading the runner's VmHWM: %w", err)
	}
	return max(sampled, hwm), hwm, sampled, nil
}

// RSSSampler records the highest VmRSS of a process.
type RSSSampler struct {
	quit chan struct{}
	wg   sync.WaitGroup
	peak int64
}

// SampleRSS reads /proc/PID/status every interval until Stop is called.
func SampleRSS(pid int, every time.Duration) *RSSSampler {
	s := &RSSSampler{quit: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if kib, err := ProcStatusKiB(pid, "VmRSS"); err == nil {
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

// Stop ends sampling and returns the highest VmRSS seen, in KiB.
func (s *RSSSampler) Stop() int64 {
	close(s.quit)
	s.wg.Wait()
	return s.peak
}

// ProcStatusKiB reads a "Field:   N kB" line of /proc/PID/status.
func ProcStatusKiB(pid int, field string) (int64, error) {
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

// Tail returns the last n lines of a file, for error messages.
func Tail(path string, n int) string {
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

// Quiesce waits until each server has written its dirty pages and purged the undo of
// earlier transactions, so that a timed run does not pay for the work of the one before it
// (a load just finished, a database just dropped). It flushes by setting
// innodb_max_dirty_pages_pct to 0 for the wait; it fails if a server is not quiet within
// two minutes.
func Quiesce(ctx context.Context, dbs ...*sql.DB) error {
	for _, db := range dbs {
		var pct string
		if err := db.QueryRowContext(ctx, "SELECT @@GLOBAL.innodb_max_dirty_pages_pct").Scan(&pct); err != nil {
			return err
		}
		if _, err := db.ExecContext(ctx, "SET GLOBAL innodb_max_dirty_pages_pct = 0"); err != nil {
			return err
		}
		err := waitQuiet(ctx, db)
		if _, rerr := db.ExecContext(ctx, "SET GLOBAL innodb_max_dirty_pages_pct = "+pct); err == nil {
			err = rerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func waitQuiet(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var name string
		var dirty, history int64
		if err := db.QueryRowContext(ctx, "SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'").Scan(&name, &dirty); err != nil {
			return err
		}
		if err := db.QueryRowContext(ctx, "SHOW GLOBAL STATUS LIKE 'Innodb_history_list_length'").Scan(&name, &history); err != nil {
			return err
		}
		if dirty == 0 && history < 100 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the server did not quiesce within 2 minutes: %d dirty pages, history list %d", dirty, history)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// ProcessCPUSeconds is the CPU time (user and system) process pid has used so far, from
// /proc/PID/stat; -1 when it cannot be read.
func ProcessCPUSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	// The fields after the command name, which is in parentheses and may hold spaces:
	// state is the first of them, utime the 12th and stime the 13th.
	_, rest, ok := bytes.Cut(b, []byte(") "))
	f := strings.Fields(string(rest))
	if !ok || len(f) < 13 {
		return -1
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return float64(utime+stime) / 100
}

// ServerPid is the pid of the MariaDB server that scripts/mariadb.sh started in dir; 0 when
// its pid file cannot be read.
func ServerPid(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, "s.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// MachineCPUSeconds returns the CPU time the whole machine spent outside idle and iowait
// since boot, from /proc/stat (USER_HZ 100), or -1 when unknown.
func MachineCPUSeconds() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return -1
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 8 || f[0] != "cpu" {
		return -1
	}
	var busy int64
	// user nice system idle iowait irq softirq steal (guest time is inside user).
	for i, v := range f[1:min(len(f), 9)] {
		if i == 3 || i == 4 {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return -1
		}
		busy += n
	}
	return float64(busy) / 100
}

// Front is one emulated AnalyticDB (the adbfront binary, internal/adbfront/cmd/adbfront) in
// front of a bench MariaDB, with BEGIN, COMMIT and ROLLBACK run as no-ops.
type Front struct {
	Cmd     *exec.Cmd
	Addr    string // host:port it listens on
	Port    int
	LogPath string
	pidPath string
	done    <-chan struct{}
}

// StartFront starts bin in front of the MariaDB that scripts/mariadb.sh started in serverDir
// on 127.0.0.1:upstreamPort, listening on a free loopback port, with -transactions noop.
// The front's own bookkeeping connects as root over the server's socket, so no password is
// on its command line. Its output goes to workDir/adbfront-label.log; its pid is written to
// workDir/adbfront.pid so that the calling script can stop it should this program die, and
// the kernel kills it too when this process goes (Pdeathsig). StartFront returns once the
// front has printed the address it listens on.
func StartFront(bin, workDir, label, serverDir string, upstreamPort int) (*Front, error) {
	logPath := filepath.Join(workDir, "adbfront-"+label+".log")
	cmd := exec.Command(bin, "-listen", "127.0.0.1:0", "-upstream", net.JoinHostPort("127.0.0.1", strconv.Itoa(upstreamPort)),
		"-admin-dsn", "root@unix("+filepath.Join(serverDir, "s.sock")+")/", "-transactions", "noop")
	f := &Front{Cmd: cmd, LogPath: logPath, pidPath: filepath.Join(workDir, "adbfront.pid")}
	var err error
	if f.done, err = startProcess(cmd, logPath, f.pidPath); err != nil {
		return nil, err
	}
	// The front's one line on stdout: "adbfront listening on ADDR (...)".
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, _ := os.ReadFile(logPath)
		if _, rest, ok := strings.Cut(string(b), "adbfront listening on "); ok {
			addr, _, _ := strings.Cut(rest, " ")
			_, port, err := net.SplitHostPort(addr)
			if err == nil {
				f.Port, err = strconv.Atoi(port)
			}
			if err != nil {
				f.Stop()
				return nil, fmt.Errorf("the emulator printed the address %q, which is no host:port: %w", addr, err)
			}
			f.Addr = addr
			fmt.Printf("bench: emulated AnalyticDB (BEGIN a no-op) pid %d on %s in front of 127.0.0.1:%d, log %s\n", cmd.Process.Pid, addr, upstreamPort, logPath)
			return f, nil
		}
		select {
		case <-f.done:
			return nil, fmt.Errorf("the emulator exited at start; its log %s:\n%s", logPath, Tail(logPath, 20))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			f.Stop()
			return nil, fmt.Errorf("the emulator printed no address within 20 s; its log %s:\n%s", logPath, Tail(logPath, 20))
		}
	}
}

// Pid is the front's process id.
func (f *Front) Pid() int { return f.Cmd.Process.Pid }

// Stop sends SIGTERM, waits up to 10 s, then kills, and removes the pid file.
func (f *Front) Stop() { stopProcess(f.Cmd.Process, f.done, 10*time.Second, f.pidPath) }

// ADBAlerts are the precheck alerts a bench task into the emulator accepts: the emulator
// shows its disk use nowhere, its BEGIN undoes nothing (the task then writes directly,
// which is what is measured), and fractional seconds beyond milliseconds are cut (the
// heartbeat table's DATETIME(6)).
var ADBAlerts = []string{vocab.ItemDestinationDiskSpace, vocab.ItemDestinationCapabilities, vocab.ItemDestinationValueRange}

// CheckDirect fails unless task id's capability probes found that the destination's BEGIN
// ... ROLLBACK undoes nothing (verdict transactions not yes), which makes the task write
// directly: what a run into the emulator measures.
func CheckDirect(ctx context.Context, client *api.Client, id string) error {
	st, err := client.TaskStatus(ctx, id)
	if err != nil {
		return fmt.Errorf("reading task %s: %w", id, err)
	}
	v, ok := st.Capabilities["transactions"]
	switch {
	case !ok:
		return fmt.Errorf("task %s has no transactions verdict among its capabilities; a task into an adb_mysql3 connection probes its destination before it writes", id)
	case v.Verdict == api.CapabilityYes:
		return fmt.Errorf("task %s: the transactions probe says yes, so the task did not write directly; start the emulator with -transactions noop", id)
	}
	fmt.Printf("bench: task %s writes directly (transactions probe: %s, %s)\n", id, v.Verdict, v.Detail)
	return nil
}
