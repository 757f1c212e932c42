package scheduler

// This file raises the alerts that progress calls for: latency (with its hold and recovery),
// verification mismatches and rechecked rows. The failure alert goes with the status change
// (Scheduler.change).

import (
	"fmt"
	"strings"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/alert"
)

// alertFor is the alert of kind about task t.
func (s *Scheduler) alertFor(t api.Task, kind, msg string) alert.Alert {
	a := alert.Alert{Kind: kind, TaskID: t.ID, TaskName: t.Name, EnvironmentTag: t.EnvironmentTag, Status: t.State.Status,
		Message: msg, LatencySeconds: t.State.LatencySeconds, Time: s.clock.Now().UTC()}
	if t.Monitoring != nil {
		a.ThresholdSecs = t.Monitoring.LatencyThresholdSeconds
	}
	return a
}

// watchVerification records a finished verification sweep v of task t in the event log,
// and raises the mismatch alert if it found rows that differ; shown says t's state shows it
// (not, when a sweep that began later had been written). Each sweep's writer calls it once.
func (s *Scheduler) watchVerification(t api.Task, v *api.Verification, shown bool) {
	msg := fmt.Sprintf("verification %s: %d rows in %d chunks compared, %d mismatched, %d repaired", v.Status, v.RowsChecked, v.ChunksChecked, v.Mismatches, v.Repaired)
	if len(v.Mismatched) > 0 {
		var keys []string
		for _, m := range v.Mismatched[:min(len(v.Mismatched), 5)] {
			keys = append(keys, fmt.Sprintf("%s %s (%s)", m.Table, m.Key, m.Kind))
		}
		msg += "; first: " + strings.Join(keys, "; ")
	}
	if !shown {
		msg += " (not shown in the task state: a sweep that began later is)"
	}
	s.event(t.ID, api.EventVerification, msg)
	if v.Mismatches > 0 && t.Monitoring != nil {
		s.alerts.Send(t.Monitoring.WebhookURL, s.alertFor(t, alert.KindMismatch, fmt.Sprintf("task %s: %s", t.Name, msg)))
	}
}

// watchRechecks records and alerts the changed rows found to differ since *handled.
func (s *Scheduler) watchRechecks(t api.Task, handled *int64) {
	v := t.State.Verification
	if v == nil || v.RecheckMismatches <= *handled {
		return
	}
	msg := fmt.Sprintf("%d changed rows still differ after the settle delay", v.RecheckMismatches-*handled)
	if n := len(v.RecheckMismatched); n > 0 {
		var keys []string
		for _, m := range v.RecheckMismatched[max(0, n-5):] {
			keys = append(keys, fmt.Sprintf("%s %s (%s)", m.Table, m.Key, m.Kind))
		}
		msg += "; last: " + strings.Join(keys, "; ")
	}
	*handled = v.RecheckMismatches
	s.event(t.ID, api.EventVerification, msg)
	if t.Monitoring != nil {
		s.alerts.Send(t.Monitoring.WebhookURL, s.alertFor(t, alert.KindMismatch, fmt.Sprintf("task %s: %s", t.Name, msg)))
	}
}

// watchLatency raises the latency alert when the lag has stayed above the task's threshold
// for the scheduler's LatencyHold, and the recovery alert when it is back under it.
func (r *reporter) watchLatency(t api.Task) {
	m, run := t.Monitoring, r.run
	if m == nil || m.LatencyThresholdSeconds <= 0 || t.State.Phase != engine.PhaseIncremental {
		return
	}
	threshold := float64(m.LatencyThresholdSeconds)
	now := r.s.clock.Now()
	switch {
	case t.State.LatencySeconds > threshold:
		if run.aboveSince.IsZero() {
			run.aboveSince = now
		}
		if !run.latencyAlerted && now.Sub(run.aboveSince) >= r.s.opts.LatencyHold {
			run.latencyAlerted = true
			msg := fmt.Sprintf("task %s lags %.1f s behind the source, above its latency_threshold_seconds of %d s since %s",
				t.Name, t.State.LatencySeconds, m.LatencyThresholdSeconds, run.aboveSince.UTC().Format(time.RFC3339))
			r.s.event(r.id, api.EventLatency, msg)
			r.s.alerts.Send(m.WebhookURL, r.s.alertFor(t, alert.KindLatency, msg))
		}
	default:
		if run.latencyAlerted {
			msg := fmt.Sprintf("task %s lags %.1f s behind the source, back under its latency_threshold_seconds of %d s",
				t.Name, t.State.LatencySeconds, m.LatencyThresholdSeconds)
			r.s.event(r.id, api.EventLatency, msg)
			r.s.alerts.Send(m.WebhookURL, r.s.alertFor(t, alert.KindLatencyRecovered, msg))
		}
		run.aboveSince, run.latencyAlerted = time.Time{}, false
	}
}
