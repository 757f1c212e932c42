// Package alert delivers task alerts to webhooks: each alert is one JSON POST, retried with
// backoff until the webhook answers 2xx or the attempts run out. Every outcome is recorded
// in the task's event log, so an operator can see an alert that never arrived.
package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

// Kinds of alert.
const (
	KindFailure          = "failure"               // the task failed (status Failed or PrecheckFailed)
	KindLatency          = "latency"               // the lag stayed above the threshold
	KindLatencyRecovered = "latency_recovered"     // the lag is back under the threshold
	KindMismatch         = "verification_mismatch" // data verification found rows that differ
)

// Alert is the JSON body posted to a webhook.
type Alert struct {
	Kind           string     `json:"kind"`
	TaskID         string     `json:"task_id"`
	TaskName       string     `json:"task_name"`
	EnvironmentTag string     `json:"environment_tag,omitempty"`
	Status         api.Status `json:"status"`
	Message        string     `json:"message"`
	LatencySeconds float64    `json:"latency_seconds,omitempty"`
	ThresholdSecs  int        `json:"latency_threshold_seconds,omitempty"`
	Time           time.Time  `json:"time"`
}

// Delivery tries: attempts in all, waiting firstBackoff after the first failure and
// doubling up to maxBackoff.
const (
	attempts       = 6
	firstBackoff   = time.Second
	maxBackoff     = 30 * time.Second
	attemptTimeout = 10 * time.Second
)

// Sender posts alerts in the background. Its methods are safe for concurrent use.
type Sender struct {
	client *http.Client
	log    *slog.Logger
	// record adds an entry to a task's event log.
	record func(taskID, eventType, message string)
	// backoff is firstBackoff, shorter in tests.
	backoff time.Duration

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewSender returns a sender that records delivery outcomes through record.
func NewSender(log *slog.Logger, record func(taskID, eventType, message string)) *Sender {
	ctx, cancel := context.WithCancel(context.Background())
	return &Sender{client: &http.Client{Timeout: attemptTimeout}, log: log, record: record, backoff: firstBackoff, ctx: ctx, cancel: cancel}
}

// Send delivers a to url in the background; with no url the alert is only logged and
// recorded.
func (s *Sender) Send(url string, a Alert) {
	log := s.log.With("task_id", a.TaskID, "kind", a.Kind)
	log.Warn("task alert", "message", a.Message)
	if url == "" {
		s.record(a.TaskID, api.EventAlert, fmt.Sprintf("%s alert (no webhook_url, logged only): %s", a.Kind, a.Message))
		return
	}
	body, err := json.Marshal(a)
	if err != nil {
		log.Error("cannot encode alert", "error", err)
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.deliver(url, body); err != nil {
			log.Error("alert not delivered", "error", err)
			s.record(a.TaskID, api.EventAlertFailed, fmt.Sprintf("%s alert not delivered to the webhook: %v", a.Kind, err))
			return
		}
		s.record(a.TaskID, api.EventAlert, fmt.Sprintf("%s alert delivered to the webhook: %s", a.Kind, a.Message))
	}()
}

// deliver posts body until the webhook takes it; it returns the last failure.
func (s *Sender) deliver(url string, body []byte) error {
	wait := s.backoff
	var last error
	for try := 1; try <= attempts; try++ {
		if last = s.post(url, body); last == nil {
			return nil
		}
		if try == attempts {
			break
		}
		select {
		case <-s.ctx.Done():
			return fmt.Errorf("runner shutting down after %d attempts: %w", try, last)
		case <-time.After(wait):
		}
		wait = min(2*wait, maxBackoff)
	}
	return fmt.Errorf("%d attempts failed, the last with: %w", attempts, last)
}

func (s *Sender) post(url string, body []byte) error {
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "adbmigrate-runner")
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}

// Close abandons deliveries still being retried and waits for them to return.
func (s *Sender) Close() {
	s.cancel()
	s.wg.Wait()
}
