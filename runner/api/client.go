package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// notSent reports whether a transport error happened before the request could reach a
// runner: the connection was refused or could not be dialled.
func notSent(err error) bool {
	var op *net.OpError
	return errors.Is(err, syscall.ECONNREFUSED) || (errors.As(err, &op) && op.Op == "dial")
}

// IdempotencyKey is the request header that makes a create safe to send again: the creates
// of one key make one task or connection (the key decides its id), and a repeat answers with
// what the first made. The client sends a fresh key with each create and resends the create,
// with the same key, to the next endpoint when a connection fails.
const IdempotencyKey = "Idempotency-Key"

// isCreate reports whether method and path create a task or a connection.
func isCreate(method, path string) bool {
	return method == http.MethodPost && (path == "/v1/tasks" || path == "/v1/connections")
}

// newKey returns a fresh idempotency key.
func newKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return hex.EncodeToString(b)
}

// DefaultEndpoint is where a runner listens unless told otherwise.
const DefaultEndpoint = "http://127.0.0.1:8765"

// Error is a non-2xx answer from the runner.
type Error struct {
	StatusCode int
	Message    string
	Field      string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("runner answered %d: %s (field %s)", e.StatusCode, e.Message, e.Field)
	}
	return fmt.Sprintf("runner answered %d: %s", e.StatusCode, e.Message)
}

// IsNotFound reports whether err is the runner's 404.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.StatusCode == http.StatusNotFound
}

// Client talks to a runner, or to any runner of a cluster: with several endpoints it sends
// each request to the one that answered last and moves on to the next when that one cannot
// be reached. It is safe for concurrent use.
type Client struct {
	endpoints []string
	// current indexes the endpoint that answered last.
	current atomic.Int32
	token   string
	http    *http.Client
}

// NewClient returns a client for the runner at endpoint (for example DefaultEndpoint),
// authenticating with token. A nil httpClient means one with a 60 s timeout.
func NewClient(endpoint, token string, httpClient *http.Client) (*Client, error) {
	return NewClusterClient([]string{endpoint}, token, httpClient)
}

// NewClusterClient returns a client for the runners at endpoints (any runner of a cluster
// answers every request), trying them in order. A request goes to the next endpoint when
// the connection to one fails: always when it could not be made (nothing was sent), and for
// GET, PUT and DELETE, which the API makes idempotent, and creates, which carry an
// IdempotencyKey, on any transport error. A runner's
// answer, even an error status, ends the request.
func NewClusterClient(endpoints []string, token string, httpClient *http.Client) (*Client, error) {
	if len(endpoints) == 0 {
		return nil, fmt.Errorf("no runner endpoint given: give one such as %s", DefaultEndpoint)
	}
	c := &Client{token: token, http: httpClient}
	for _, e := range endpoints {
		u, err := url.Parse(e)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("runner endpoint %q is not an http(s) URL such as %s", e, DefaultEndpoint)
		}
		c.endpoints = append(c.endpoints, strings.TrimRight(e, "/"))
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: 60 * time.Second}
	}
	return c, nil
}

// Health checks that the runner answers and accepts the token.
func (c *Client) Health(ctx context.Context) (Health, error) {
	var h Health
	err := c.do(ctx, http.MethodGet, "/v1/health", nil, &h)
	return h, err
}

// CreateConnection registers a database after the runner has tested that it can connect.
func (c *Client) CreateConnection(ctx context.Context, spec ConnectionSpec) (Connection, error) {
	var out Connection
	err := c.do(ctx, http.MethodPost, "/v1/connections", spec, &out)
	return out, err
}

// GetConnection returns one connection; IsNotFound(err) when it does not exist.
func (c *Client) GetConnection(ctx context.Context, id string) (Connection, error) {
	var out Connection
	err := c.do(ctx, http.MethodGet, "/v1/connections/"+url.PathEscape(id), nil, &out)
	return out, err
}

// ListConnections returns every registered connection.
func (c *Client) ListConnections(ctx context.Context) ([]Connection, error) {
	var out []Connection
	err := c.do(ctx, http.MethodGet, "/v1/connections", nil, &out)
	return out, err
}

// UpdateConnection replaces a connection's spec after testing it. An empty Password keeps the stored one.
func (c *Client) UpdateConnection(ctx context.Context, id string, spec ConnectionSpec) (Connection, error) {
	var out Connection
	err := c.do(ctx, http.MethodPut, "/v1/connections/"+url.PathEscape(id), spec, &out)
	return out, err
}

// DeleteConnection removes a connection that no task uses.
func (c *Client) DeleteConnection(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/v1/connections/"+url.PathEscape(id), nil, nil)
}

// CreateTask stores a task and, unless its DesiredStatus is stopped, starts it.
func (c *Client) CreateTask(ctx context.Context, spec TaskSpec) (Task, error) {
	var out Task
	err := c.do(ctx, http.MethodPost, "/v1/tasks", spec, &out)
	return out, err
}

// GetTask returns one task with its current state; IsNotFound(err) when it does not exist.
func (c *Client) GetTask(ctx context.Context, id string) (Task, error) {
	var out Task
	err := c.do(ctx, http.MethodGet, "/v1/tasks/"+url.PathEscape(id), nil, &out)
	return out, err
}

// ListTasks returns every task.
func (c *Client) ListTasks(ctx context.Context) ([]Task, error) {
	var out []Task
	err := c.do(ctx, http.MethodGet, "/v1/tasks", nil, &out)
	return out, err
}

// UpdateTask replaces a task's spec.
func (c *Client) UpdateTask(ctx context.Context, id string, spec TaskSpec) (Task, error) {
	var out Task
	err := c.do(ctx, http.MethodPut, "/v1/tasks/"+url.PathEscape(id), spec, &out)
	return out, err
}

// DeleteTask stops a task if it runs and removes it.
func (c *Client) DeleteTask(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/v1/tasks/"+url.PathEscape(id), nil, nil)
}

// StartTask (re)starts a task that is not running.
func (c *Client) StartTask(ctx context.Context, id string) (Task, error) {
	var out Task
	err := c.do(ctx, http.MethodPost, "/v1/tasks/"+url.PathEscape(id)+"/start", nil, &out)
	return out, err
}

// StopTask stops a running task.
func (c *Client) StopTask(ctx context.Context, id string) (Task, error) {
	var out Task
	err := c.do(ctx, http.MethodPost, "/v1/tasks/"+url.PathEscape(id)+"/stop", nil, &out)
	return out, err
}

// TaskStatus returns only a task's state.
func (c *Client) TaskStatus(ctx context.Context, id string) (TaskState, error) {
	var out TaskState
	err := c.do(ctx, http.MethodGet, "/v1/tasks/"+url.PathEscape(id)+"/status", nil, &out)
	return out, err
}

// TaskEvents returns a task's event log after event number after (0 for all), oldest first.
func (c *Client) TaskEvents(ctx context.Context, id string, after int64) ([]TaskEvent, error) {
	var out Events
	err := c.do(ctx, http.MethodGet, "/v1/tasks/"+url.PathEscape(id)+"/events?after="+strconv.FormatInt(after, 10), nil, &out)
	return out.Events, err
}

// VerifyTask starts an on-demand verification of the task; follow its outcome in the task's
// state.
func (c *Client) VerifyTask(ctx context.Context, id string) (Task, error) {
	var out Task
	err := c.do(ctx, http.MethodPost, "/v1/tasks/"+url.PathEscape(id)+"/verify", nil, &out)
	return out, err
}

// Precheck runs the precheck of spec on the runner without creating a task.
func (c *Client) Precheck(ctx context.Context, spec TaskSpec) (PrecheckResult, error) {
	var out PrecheckResult
	err := c.do(ctx, http.MethodPost, "/v1/prechecks", spec, &out)
	return out, err
}

// TestConnection has the runner connect again with a stored connection; it answers the
// server's facts as they are now, or the connectivity error.
func (c *Client) TestConnection(ctx context.Context, id string) (Connection, error) {
	var out Connection
	err := c.do(ctx, http.MethodPost, "/v1/connections/"+url.PathEscape(id)+"/test", nil, &out)
	return out, err
}

// Conformance has the runner run the capability probes against a stored connection, on
// scratch tables in its adbmigrate_meta database, and answers every verdict.
func (c *Client) Conformance(ctx context.Context, id string) (Conformance, error) {
	var out Conformance
	err := c.do(ctx, http.MethodPost, "/v1/connections/"+url.PathEscape(id)+"/conformance", nil, &out)
	return out, err
}

// Nodes lists the runners of a runner cluster; a single runner answers 404.
func (c *Client) Nodes(ctx context.Context) ([]Node, error) {
	var out []Node
	err := c.do(ctx, http.MethodGet, "/v1/nodes", nil, &out)
	return out, err
}

// DrainNode drains the cluster runner nodeID (drain true): the cluster moves its tasks to
// the other runners and gives it none until it is undrained (drain false).
func (c *Client) DrainNode(ctx context.Context, nodeID string, drain bool) error {
	method := http.MethodPut
	if !drain {
		method = http.MethodDelete
	}
	return c.do(ctx, method, "/v1/nodes/"+url.PathEscape(nodeID)+"/drain", nil, nil)
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var payload []byte
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encoding request for %s %s: %w", method, path, err)
		}
		payload = b
	}
	key := ""
	if isCreate(method, path) {
		key = newKey()
	}
	first := int(c.current.Load())
	var errs []error
	var resp *http.Response
	for k := range c.endpoints {
		i := (first + k) % len(c.endpoints)
		var body io.Reader
		if in != nil {
			body = bytes.NewReader(payload)
		}
		req, err := http.NewRequestWithContext(ctx, method, c.endpoints[i]+path, body)
		if err != nil {
			return fmt.Errorf("building request %s %s: %w", method, path, err)
		}
		if in != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Authorization", "Bearer "+c.token)
		if key != "" {
			req.Header.Set(IdempotencyKey, key)
		}
		resp, err = c.http.Do(req)
		if err == nil {
			c.current.Store(int32(i))
			break
		}
		errs = append(errs, fmt.Errorf("cannot reach the runner at %s (is adbmigrate-runner running?): %w", c.endpoints[i], err))
		if ctx.Err() != nil || !(notSent(err) || key != "" || method == http.MethodGet || method == http.MethodPut || method == http.MethodDelete) {
			break
		}
	}
	if resp == nil {
		return errors.Join(errs...)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		var eb ErrorBody
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if json.Unmarshal(raw, &eb) != nil || eb.Error == "" {
			eb.Error = strings.TrimSpace(string(raw))
		}
		return &Error{StatusCode: resp.StatusCode, Message: eb.Error, Field: eb.Field}
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decoding the runner's answer to %s %s: %w", method, path, err)
	}
	return nil
}
