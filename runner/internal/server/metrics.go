package server

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/store"
)

// statuses are the values adbmigrate_task_status reports for every task, one series each.
var statuses = api.Statuses

var taskLabels = []string{"task_id", "name"}

var (
	descRowsMigrated = prometheus.NewDesc("adbmigrate_task_rows_migrated",
		"Rows the task has written to the destination, as last persisted by the runner.", taskLabels, nil)
	descProgress = prometheus.NewDesc("adbmigrate_task_progress_percent",
		"Progress of the task's current phase, 0 to 100.", taskLabels, nil)
	descLatency = prometheus.NewDesc("adbmigrate_task_latency_seconds",
		"How far the destination is behind the source, in seconds (incremental migration).", taskLabels, nil)
	descBytesMigrated = prometheus.NewDesc("adbmigrate_task_bytes_migrated",
		"Bytes of row values the task has written to the destination, over all its runs.", taskLabels, nil)
	descRetries = prometheus.NewDesc("adbmigrate_task_retries_total",
		"Failed attempts of the task that the runner retried.", taskLabels, nil)
	descVerifyRows = prometheus.NewDesc("adbmigrate_task_verification_rows_checked",
		"Source rows compared by the task's running or last verification sweep.", taskLabels, nil)
	descVerifyMismatches = prometheus.NewDesc("adbmigrate_task_verification_mismatches",
		"Rows the task's running or last verification sweep found to differ.", taskLabels, nil)
	descVerifySweeps = prometheus.NewDesc("adbmigrate_task_verification_sweeps_total",
		"Completed verification sweeps of the task.", taskLabels, nil)
	descStatus = prometheus.NewDesc("adbmigrate_task_status",
		"1 for the task's current status, 0 for every other status.", append(taskLabels, "status"), nil)
	descInfo = prometheus.NewDesc("adbmigrate_task_info",
		"Always 1; the labels describe the task.",
		append(taskLabels, "source_connection_id", "destination_connection_id", "migration_types", "desired_status", "phase"), nil)
	descRunnerInfo = prometheus.NewDesc("adbmigrate_runner_info",
		"Always 1; the label is the runner's version.", []string{"version"}, nil)
)

// taskCollector reads every task from the store on each scrape, so the metrics are exactly
// what the API would answer and the scheduler needs no hooks. It is safe for concurrent use.
type taskCollector struct {
	store   store.Store
	version string
}

// Describe sends the descriptors of every metric Collect may send.
func (c *taskCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRowsMigrated, descBytesMigrated, descRetries, descVerifyRows, descVerifyMismatches, descVerifySweeps, descProgress, descLatency, descStatus, descInfo, descRunnerInfo} {
		ch <- d
	}
}

// Collect sends one set of series per stored task. A store that cannot be read fails the
// scrape (HTTP 500) rather than reporting no tasks.
func (c *taskCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(descRunnerInfo, prometheus.GaugeValue, 1, c.version)
	tasks, err := c.store.ListTasks()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(descStatus, fmt.Errorf("reading tasks from the store: %w", err))
		return
	}
	for _, t := range tasks {
		gauge := func(d *prometheus.Desc, v float64, extra ...string) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, append([]string{t.ID, t.Name}, extra...)...)
		}
		gauge(descRowsMigrated, float64(t.State.RowsMigrated))
		gauge(descBytesMigrated, float64(t.State.BytesMigrated))
		ch <- prometheus.MustNewConstMetric(descRetries, prometheus.CounterValue, float64(t.State.Retries), t.ID, t.Name)
		if v := t.State.Verification; v != nil {
			gauge(descVerifyRows, float64(v.RowsChecked))
			gauge(descVerifyMismatches, float64(v.Mismatches))
			ch <- prometheus.MustNewConstMetric(descVerifySweeps, prometheus.CounterValue, float64(v.Sweeps), t.ID, t.Name)
		}
		gauge(descProgress, t.State.ProgressPercent)
		gauge(descLatency, t.State.LatencySeconds)
		for _, st := range statuses {
			v := 0.0
			if st == t.State.Status {
				v = 1
			}
			gauge(descStatus, v, string(st))
		}
		gauge(descInfo, 1, t.SourceConnectionID, t.DestinationConnectionID,
			joined(t.MigrationTypes), string(t.DesiredStatus), string(t.State.Phase))
	}
}

// metricsHandler serves the Prometheus text format: the tasks' metrics plus the Go runtime's
// and the process's. Authentication is the caller's (Handler wraps every route).
func (s *Server) metricsHandler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		&taskCollector{store: s.store, version: s.version},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	reg.MustRegister(s.collectors...)
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:      slogPrintln{s.log},
		ErrorHandling: promhttp.HTTPErrorOnError,
		Registry:      reg,
	})
}

// slogPrintln lets promhttp log through the runner's structured logger.
type slogPrintln struct{ log *slog.Logger }

func (l slogPrintln) Println(v ...any) {
	l.log.Error("serving metrics", "error", strings.TrimSpace(fmt.Sprintln(v...)))
}

// joined lists migration types comma-separated, for a label.
func joined(mts []api.MigrationType) string {
	out := make([]string, len(mts))
	for i, mt := range mts {
		out[i] = string(mt)
	}
	return strings.Join(out, ",")
}
