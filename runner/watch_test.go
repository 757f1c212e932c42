package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/runnertest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

func TestRenderWatch(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	copyTask := func(rows, ordersRows int64) api.Task {
		return api.Task{ID: "t-1", TaskSpec: api.TaskSpec{Name: "copy"}, State: api.TaskState{
			Status: api.StatusFullMigrating, Phase: "full", RowsMigrated: rows,
			Tables: []api.TableProgress{
				{Database: "shop", Table: "customers", RowsMigrated: 1500, RowsTotal: 1500, Done: true},
				{Database: "shop", Table: "orders", RowsMigrated: ordersRows, RowsTotal: 100000},
			},
		}}
	}
	meter := newRateMeter()
	first := renderWatch([]api.Task{copyTask(1500, 20000)}, meter, at, asciiBar)
	second := renderWatch([]api.Task{copyTask(21500, 40000)}, meter, at.Add(2*time.Second), asciiBar)
	for _, want := range []string{
		"t-1  copy  FullMigrating  phase full  rows 1,500  - rows/s\n",
		"shop.customers  [########################]  100.0%  1,500 / 1,500",
		"shop.orders     [#####...................]   20.0%  20,000 / 100,000",
	} {
		if !strings.Contains(first, want) {
			t.Errorf("first reading lacks %q:\n%s", want, first)
		}
	}
	// 20,000 rows in 2 s: 10,000 rows/s, and 60,000 left take 6 s.
	for _, want := range []string{
		"rows 21,500  10,000 rows/s\n",
		"shop.orders     [##########..............]   40.0%  40,000 / 100,000             10,000        6s\n",
		"done\n",
	} {
		if !strings.Contains(second, want) {
			t.Errorf("second reading lacks %q:\n%s", want, second)
		}
	}

	live := api.Task{ID: "t-2", TaskSpec: api.TaskSpec{Name: "live"}, State: api.TaskState{
		Status: api.StatusRunning, Phase: "incremental", RowsMigrated: 10, LatencySeconds: 1.25,
		Position: api.Position{File: "mysql-bin.000002", Pos: 4711},
		Tables:   []api.TableProgress{{Database: "shop", Table: "orders", RowsMigrated: 10, RowsTotal: 10, Done: true}},
	}}
	out := renderWatch([]api.Task{live}, newRateMeter(), at, blockBar)
	if want := "t-2  live  Running  phase incremental  rows 10  - rows/s  lag 1.2 s  position mysql-bin.000002:4711\n"; out != want {
		t.Errorf("incremental task:\n%q\nwant\n%q", out, want)
	}
	if got := renderWatch(nil, newRateMeter(), at, asciiBar); got != "no tasks\n" {
		t.Errorf("no tasks: %q", got)
	}
}

func TestRateMeterAndFormats(t *testing.T) {
	m := newRateMeter()
	at := time.Unix(1000, 0)
	if r := m.observe("k", 100, at); !math.IsNaN(r) {
		t.Errorf("first reading gives %v, want NaN", r)
	}
	if r := m.observe("k", 1100, at.Add(time.Second)); r != 1000 {
		t.Errorf("1000 rows in 1 s: %v", r)
	}
	if r := m.observe("k", 1100, at.Add(2*time.Second)); r != 500 {
		t.Errorf("smoothed with no new rows: %v, want 500", r)
	}
	if r := m.observe("k", 10, at.Add(3*time.Second)); !math.IsNaN(r) {
		t.Errorf("a count that went down gives %v, want NaN (start over)", r)
	}
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -4500: "-4,500"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
	if got := etaText(90, 30); got != "3s" {
		t.Errorf("etaText(90, 30) = %q", got)
	}
	if got := etaText(90, math.NaN()); got != "-" {
		t.Errorf("etaText without a rate = %q", got)
	}
	if got := drawBar(0.5, 4, "#", "."); got != "[##..]" {
		t.Errorf("drawBar(0.5) = %q", got)
	}
}

// status --watch against a runner while a task copies a throttled table and then
// replicates: plain lines with a bar per table on a pipe, a redrawn view with block bars on
// a terminal (tmux), the lag once the task replicates, and a clean exit on interrupt.
func TestStatusWatch(t *testing.T) {
	src, dst := mariadbtest.StartSource(t), mariadbtest.StartDestination(t)
	src.Exec(t, "CREATE DATABASE shop", "CREATE TABLE shop.big (id INT PRIMARY KEY, v VARCHAR(40))",
		"INSERT INTO shop.big SELECT seq, REPEAT('x', 40) FROM shop.seq_1_to_150000",
		"CREATE TABLE shop.small (id INT PRIMARY KEY)", "INSERT INTO shop.small VALUES (1), (2), (3)")
	r := runnertest.Start(t)
	ctx := context.Background()
	task, err := r.Client.CreateTask(ctx, api.TaskSpec{
		Name: "watched", SourceConnectionID: r.Connect(t, "src", src), DestinationConnectionID: r.Connect(t, "dst", dst),
		MigrationTypes: []api.MigrationType{api.MigrationSchema, api.MigrationFull, api.MigrationIncremental}, Objects: []api.Object{{Database: "shop"}},
		FullThrottling: &api.Throttling{RPS: 8000}, InstanceClass: "small",
	})
	if err != nil {
		t.Fatal(err)
	}
	// Wait for the first chunk to commit, so that the bars have moved.
	deadline := time.Now().Add(time.Minute)
	for {
		st, err := r.Client.TaskStatus(ctx, task.ID)
		if err != nil {
			t.Fatal(err)
		}
		if st.RowsMigrated > 0 && st.Status == api.StatusFullMigrating {
			break
		}
		if st.Status != api.StatusNotStarted && st.Status != api.StatusPrechecking && st.Status != api.StatusSchemaMigrating && st.Status != api.StatusFullMigrating {
			t.Fatalf("the task is %s before the test could watch its full load", st.Status)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no row copied within a minute: %+v", st)
		}
		time.Sleep(100 * time.Millisecond)
	}
	env := append(os.Environ(), "ADBMIGRATE_TOKEN="+r.Token, "ADBMIGRATE_ENDPOINT="+r.Endpoint)

	// On a pipe: plain readings one after the other, until a reading shows shop.big with a
	// bar, the percentage, rows of the estimate, a measured rate, and an ETA (a number, or
	// "-" in a reading where no chunk committed since the last).
	bigLine := regexp.MustCompile(`shop\.big\s+\[#+\.*\]\s+[0-9.]+%\s+[0-9,]+ / [0-9,]+\s+[0-9,]+\s+([0-9hms.]+|-)\n`)
	plain := &syncBuffer{}
	cmd := exec.Command(runnertest.Binary(t), "status", "--watch", "--interval", "300ms")
	cmd.Env, cmd.Stdout, cmd.Stderr = env, plain, plain
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(20 * time.Second)
	for !bigLine.MatchString(plain.String()) || strings.Count(plain.String(), "--- ") < 3 {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("within 20 s, no three readings with a progress line for shop.big with a bar, rows/s and an ETA:\n%s", plain.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("status --watch after SIGINT: %v (want exit 0)\n%s", err, plain.String())
	}
	out := plain.String()
	if strings.Contains(out, "\x1b[") {
		t.Errorf("plain output holds escape sequences:\n%q", out)
	}
	if !strings.Contains(out, task.ID+"  watched  FullMigrating") {
		t.Errorf("no task line:\n%s", out)
	}

	// On a terminal: tmux gives the command a pty; the pane shows the redrawn view.
	tmux := lookPath(t, "tmux")
	sock := filepath.Join(t.TempDir(), "tmux.sock")
	tmuxCmd := func(args ...string) string {
		t.Helper()
		c := exec.Command(tmux, append([]string{"-S", sock}, args...)...)
		c.Env = env
		b, err := c.CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, b)
		}
		return string(b)
	}
	tmuxCmd("-f", "/dev/null", "new-session", "-d", "-x", "160", "-y", "30", "-s", "watch",
		fmt.Sprintf("%s status --watch --interval 300ms; echo exit=$?; sleep 30", runnertest.Binary(t)))
	t.Cleanup(func() { _ = exec.Command(tmux, "-S", sock, "kill-server").Run() })
	var screen string
	deadline = time.Now().Add(15 * time.Second)
	for {
		screen = tmuxCmd("capture-pane", "-p", "-t", "watch")
		if strings.Contains(screen, "█") && strings.Contains(screen, "shop.big") && strings.Contains(screen, "rows/s") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the terminal view shows no block progress bar for shop.big within 15 s:\n%s", screen)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if strings.Count(screen, "adbmigrate-runner status --watch") != 1 {
		t.Errorf("the view is not redrawn in place (header seen %d times):\n%s", strings.Count(screen, "adbmigrate-runner status --watch"), screen)
	}
	t.Logf("terminal view during the full load:\n%s", screen)

	// Once the task replicates, the view shows its lag.
	r.WaitStatus(t, task.ID, 2*time.Minute, api.StatusRunning)
	deadline = time.Now().Add(10 * time.Second)
	for !strings.Contains(screen, "Running  phase") || !strings.Contains(screen, " lag ") {
		if time.Now().After(deadline) {
			t.Fatalf("the terminal view shows no lag for the running task:\n%s", screen)
		}
		time.Sleep(200 * time.Millisecond)
		screen = tmuxCmd("capture-pane", "-p", "-t", "watch")
	}
	tmuxCmd("send-keys", "-t", "watch", "C-c")
	deadline = time.Now().Add(10 * time.Second)
	for !strings.Contains(screen, "exit=0") {
		if time.Now().After(deadline) {
			t.Fatalf("status --watch did not exit 0 on Ctrl-C:\n%s", screen)
		}
		time.Sleep(100 * time.Millisecond)
		screen = tmuxCmd("capture-pane", "-p", "-t", "watch")
	}
}

// syncBuffer is a bytes.Buffer that a command writes to while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func lookPath(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed: run scripts/install-tools.sh", name)
	}
	return p
}
