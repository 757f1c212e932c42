package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/term"

	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

// watchStatus is `status --watch`: it reads the tasks every interval and shows them with a
// progress bar per table during the full migration (rows copied of the estimate, rows/s,
// ETA) and the lag during incremental migration, until interrupted (Ctrl-C, SIGINT or
// SIGTERM), which is a normal end. On a terminal the view is redrawn in place by Bubble
// Tea; otherwise (a pipe, a file, a CI log) each reading is printed below the last, plain.
// A failed reading is shown and the next one tried: a restarting runner does not end it.
func watchStatus(list func(context.Context) ([]api.Task, error), endpoint string, out io.Writer, interval time.Duration) error {
	if interval <= 0 {
		return fmt.Errorf("--interval must be positive, not %s", interval)
	}
	if f, ok := out.(*os.File); ok && term.IsTerminal(f.Fd()) {
		return watchTerminal(list, endpoint, f, interval)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	meter := newRateMeter()
	for {
		tasks, err := list(ctx)
		if ctx.Err() != nil {
			return nil
		}
		now := time.Now()
		fmt.Fprintf(out, "--- %s %s\n", now.UTC().Format(time.RFC3339), endpoint)
		if err != nil {
			fmt.Fprintf(out, "error: %v (retrying every %s)\n", err, interval)
		} else {
			fmt.Fprint(out, renderWatch(tasks, meter, now, asciiBar))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(interval):
		}
	}
}

// watchTerminal runs the redrawing view until q or Ctrl-C.
func watchTerminal(list func(context.Context) ([]api.Task, error), endpoint string, out *os.File, interval time.Duration) error {
	m := &watchModel{list: list, endpoint: endpoint, interval: interval, meter: newRateMeter()}
	_, err := tea.NewProgram(m, tea.WithOutput(out), tea.WithContext(context.Background())).Run()
	if errors.Is(err, tea.ErrInterrupted) {
		return nil
	}
	return err
}

// watchModel is the Bubble Tea model of the terminal view.
type watchModel struct {
	list     func(context.Context) ([]api.Task, error)
	endpoint string
	interval time.Duration
	meter    *rateMeter
	body     string
	at       time.Time
}

type (
	tasksMsg struct {
		tasks []api.Task
		err   error
		at    time.Time
	}
	tickMsg struct{}
)

func (m *watchModel) fetch() tea.Msg {
	ctx, cancel := context.WithTimeout(context.Background(), m.interval+10*time.Second)
	defer cancel()
	tasks, err := m.list(ctx)
	return tasksMsg{tasks: tasks, err: err, at: time.Now()}
}

func (m *watchModel) Init() tea.Cmd { return m.fetch }

func (m *watchModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		switch msg.String() {
		case "ctrl+c", "q", "esc":
			return m, tea.Quit
		}
	case tasksMsg:
		m.at = msg.at
		if msg.err != nil {
			m.body = fmt.Sprintf("error: %v (retrying every %s)\n", msg.err, m.interval)
		} else {
			m.body = renderWatch(msg.tasks, m.meter, msg.at, blockBar)
		}
		return m, tea.Tick(m.interval, func(time.Time) tea.Msg { return tickMsg{} })
	case tickMsg:
		return m, m.fetch
	}
	return m, nil
}

func (m *watchModel) View() string {
	head := fmt.Sprintf("adbmigrate-runner status --watch  %s  every %s  (q or Ctrl-C to stop)\n", m.endpoint, m.interval)
	if m.at.IsZero() {
		return head + "reading tasks...\n"
	}
	return head + "updated " + m.at.Format("15:04:05") + "\n\n" + m.body
}

// barStyle draws a progress bar of width cells, filled to fraction (0..1).
type barStyle func(fraction float64, width int) string

func asciiBar(fraction float64, width int) string { return drawBar(fraction, width, "#", ".") }
func blockBar(fraction float64, width int) string { return drawBar(fraction, width, "█", "░") }

func drawBar(fraction float64, width int, full, empty string) string {
	fraction = math.Max(0, math.Min(1, fraction))
	n := int(math.Round(fraction * float64(width)))
	return "[" + strings.Repeat(full, n) + strings.Repeat(empty, width-n) + "]"
}

// barWidth is the number of cells of a table's progress bar.
const barWidth = 24

// renderWatch writes one reading: a line per task, then, while the task copies tables, a
// line per table with its bar, rows copied of the estimate, rows/s and ETA; while it
// replicates, its lag and position. meter remembers earlier readings for the rates.
func renderWatch(tasks []api.Task, meter *rateMeter, now time.Time, bar barStyle) string {
	var b strings.Builder
	if len(tasks) == 0 {
		b.WriteString("no tasks\n")
	}
	for _, t := range tasks {
		st := t.State
		rate := meter.observe("task/"+t.ID, st.RowsMigrated, now)
		fmt.Fprintf(&b, "%s  %s  %s", t.ID, cell(t.Name), cell(string(st.Status)))
		if st.Phase != "" {
			fmt.Fprintf(&b, "  phase %s", st.Phase)
		}
		fmt.Fprintf(&b, "  rows %s  %s rows/s", thousands(st.RowsMigrated), rateText(rate))
		if st.Status == api.StatusRunning || st.LatencySeconds > 0 {
			fmt.Fprintf(&b, "  lag %.1f s  position %s", st.LatencySeconds, position(st.Position))
		}
		b.WriteString("\n")
		if st.ErrorMessage != "" {
			fmt.Fprintf(&b, "  error: %s\n", cell(st.ErrorMessage))
		}
		if len(st.Tables) == 0 || !copying(st) {
			continue
		}
		nameWidth := len("TABLE")
		for _, tp := range st.Tables {
			nameWidth = max(nameWidth, len(tp.Database)+1+len(tp.Table))
		}
		fmt.Fprintf(&b, "  %-*s  %-*s  %6s  %-23s  %10s  %8s\n", nameWidth, "TABLE", barWidth+2, "PROGRESS", "%", "ROWS / ESTIMATE", "ROWS/S", "ETA")
		for _, tp := range st.Tables {
			tableRate := meter.observe("table/"+t.ID+"/"+tp.Database+"."+tp.Table, tp.RowsMigrated, now)
			fraction := 1.0
			if !tp.Done {
				fraction = 0
				if tp.RowsTotal > 0 {
					fraction = math.Min(float64(tp.RowsMigrated)/float64(tp.RowsTotal), 0.999)
				}
			}
			eta := "done"
			if !tp.Done {
				eta = etaText(tp.RowsTotal-tp.RowsMigrated, tableRate)
			}
			fmt.Fprintf(&b, "  %-*s  %s  %5.1f%%  %-23s  %10s  %8s\n", nameWidth, tp.Database+"."+tp.Table, bar(fraction, barWidth),
				fraction*100, thousands(tp.RowsMigrated)+" / "+thousands(tp.RowsTotal), rateText(tableRate), eta)
		}
	}
	return b.String()
}

// copying reports whether the task's per-table progress is worth showing: during the full
// migration, and while a failed or retrying task has tables left.
func copying(st api.TaskState) bool {
	if st.Status == api.StatusFullMigrating {
		return true
	}
	for _, tp := range st.Tables {
		if !tp.Done {
			return st.Status != api.StatusRunning && st.Status != api.StatusCompleted
		}
	}
	return false
}

// rateMeter turns successive row counts into rows per second, smoothed over readings.
type rateMeter struct{ last map[string]reading }

type reading struct {
	rows int64
	at   time.Time
	rate float64 // rows/s; NaN until two readings are known
}

func newRateMeter() *rateMeter { return &rateMeter{last: map[string]reading{}} }

// observe records rows for key at time at and returns the rate, NaN before the second
// reading. A count that goes down (a restarted copy) starts over.
func (m *rateMeter) observe(key string, rows int64, at time.Time) float64 {
	prev, ok := m.last[key]
	cur := reading{rows: rows, at: at, rate: math.NaN()}
	switch {
	case !ok || rows < prev.rows:
	case !at.After(prev.at):
		cur = prev
	default:
		r := float64(rows-prev.rows) / at.Sub(prev.at).Seconds()
		if math.IsNaN(prev.rate) {
			cur.rate = r
		} else {
			cur.rate = 0.5*r + 0.5*prev.rate
		}
	}
	m.last[key] = cur
	return cur.rate
}

func rateText(r float64) string {
	if math.IsNaN(r) {
		return "-"
	}
	return thousands(int64(math.Round(r)))
}

// etaText is the time left for rows at rate, "-" when unknown.
func etaText(rows int64, rate float64) string {
	if math.IsNaN(rate) || rate <= 0 {
		return "-"
	}
	if rows <= 0 {
		return "0s"
	}
	return (time.Duration(float64(rows)/rate) * time.Second).Round(time.Second).String()
}

// thousands writes n with commas between groups of three digits.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
