// Package server is the runner's HTTP/JSON API under /v1. Every request must carry the
// bearer token; handlers return values and errors, and one wrapper writes JSON, status codes
// and logs.
package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/authlimit"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/scheduler"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/secret"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/store"
)

// maxBody bounds request bodies.
const maxBody = 1 << 20

// Server serves the API.
type Server struct {
	store   store.Store
	box     *secret.Box
	sched   *scheduler.Scheduler
	log     *slog.Logger
	token   []byte
	limit   *authlimit.Limiter
	version string
	// owner finds the runner that owns a task in a runner cluster, to forward live
	// operations to; nil for a single runner (SetOwner).
	owner func(ctx context.Context, taskID string) (url string, mine bool, err error)
	// nodes lists a runner cluster's runners; nil for a single runner (SetNodes).
	nodes func(context.Context) ([]api.Node, error)
	// peers forwards live operations to a task's owner in a cluster (SetPeerClient).
	peers *http.Client
	// drain drains or undrains a runner of the cluster; nil for a single runner (SetDrain).
	drain func(ctx context.Context, nodeID string, on bool) error
	// collectors are more metrics to serve (AddCollector).
	collectors []prometheus.Collector
	// probe tests a connection; a field so tests of validation need no database.
	probe func(context.Context, engine.Endpoint) (engine.Facts, error)
}

// New returns the API server. token is the bearer token every request must carry; limit
// (not nil) counts wrong tokens per client address and refuses an address that sent too
// many, and is shared with the web console.
func New(st store.Store, box *secret.Box, sched *scheduler.Scheduler, log *slog.Logger, token string, limit *authlimit.Limiter, version string) *Server {
	return &Server{store: st, box: box, sched: sched, log: log, token: []byte(token), limit: limit, version: version, probe: engine.Probe}
}

// SetNodes makes GET /v1/nodes answer with what nodes returns (cluster mode); call it
// before Handler.
func (s *Server) SetNodes(nodes func(context.Context) ([]api.Node, error)) { s.nodes = nodes }

// SetPeerClient sets the client that forwards live operations to a task's owner (the
// cluster's --peer-ca-file); call it before serving.
func (s *Server) SetPeerClient(c *http.Client) { s.peers = c }

// SetDrain makes PUT and DELETE /v1/nodes/{id}/drain drain and undrain a runner with drain
// (cluster mode); call it before serving.
func (s *Server) SetDrain(drain func(ctx context.Context, nodeID string, on bool) error) {
	s.drain = drain
}

// SetOwner makes live operations on a task (verify) go to the runner that owns it: owner
// returns that runner's advertised URL, or mine when it is this runner. Call it before
// Handler.
func (s *Server) SetOwner(owner func(ctx context.Context, taskID string) (url string, mine bool, err error)) {
	s.owner = owner
}

// AddCollector serves c's metrics at /metrics too; call it before Handler.
func (s *Server) AddCollector(c prometheus.Collector) { s.collectors = append(s.collectors, c) }

// Handler returns the API's http.Handler.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/health", s.wrap(s.health))
	mux.HandleFunc("GET /v1/connections", s.wrap(s.listConnections))
	mux.HandleFunc("POST /v1/connections", s.wrap(s.createConnection))
	mux.HandleFunc("GET /v1/connections/{id}", s.wrap(s.getConnection))
	mux.HandleFunc("PUT /v1/connections/{id}", s.wrap(s.updateConnection))
	mux.HandleFunc("DELETE /v1/connections/{id}", s.wrap(s.deleteConnection))
	mux.HandleFunc("POST /v1/connections/{id}/test", s.wrap(s.testConnection))
	mux.HandleFunc("POST /v1/connections/{id}/conformance", s.wrap(s.conformance))
	mux.HandleFunc("GET /v1/tasks", s.wrap(s.listTasks))
	mux.HandleFunc("POST /v1/tasks", s.wrap(s.createTask))
	mux.HandleFunc("GET /v1/tasks/{id}", s.wrap(s.getTask))
	mux.HandleFunc("PUT /v1/tasks/{id}", s.wrap(s.updateTask))
	mux.HandleFunc("DELETE /v1/tasks/{id}", s.wrap(s.deleteTask))
	mux.HandleFunc("POST /v1/tasks/{id}/start", s.wrap(s.startTask))
	mux.HandleFunc("POST /v1/tasks/{id}/stop", s.wrap(s.stopTask))
	mux.HandleFunc("GET /v1/tasks/{id}/status", s.wrap(s.taskStatus))
	mux.HandleFunc("GET /v1/tasks/{id}/events", s.wrap(s.taskEvents))
	mux.HandleFunc("POST /v1/tasks/{id}/verify", s.wrap(s.verifyTask))
	mux.HandleFunc("POST /v1/prechecks", s.wrap(s.precheck))
	mux.HandleFunc("GET /v1/nodes", s.wrap(s.listNodes))
	mux.HandleFunc("PUT /v1/nodes/{id}/drain", s.wrap(func(r *http.Request) (int, any, error) { return s.drainNode(r, true) }))
	mux.HandleFunc("DELETE /v1/nodes/{id}/drain", s.wrap(func(r *http.Request) (int, any, error) { return s.drainNode(r, false) }))
	mux.Handle("GET /metrics", s.metricsHandler())
	return s.authenticate(mux)
}

// authenticate refuses every request without the bearer token, before routing. A client
// address that sent too many wrong tokens gets 429 with Retry-After, whatever its token,
// until its wait ends; a wrong token counts toward that, a missing one (no guess) does not.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if wait := s.limit.Wait(r); wait > 0 {
			authlimit.SetRetryAfter(w, wait)
			writeJSON(w, http.StatusTooManyRequests, api.ErrorBody{Error: fmt.Sprintf("too many wrong tokens from this address: "+
				"try again in %d s with the runner's token (ADBMIGRATE_TOKEN or the data dir's token file)", authlimit.Seconds(wait))})
			return
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), s.token) != 1 {
			if ok && got != "" {
				s.limit.Fail(r, "api")
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="adbmigrate-runner"`)
			writeJSON(w, http.StatusUnauthorized, api.ErrorBody{Error: "missing or wrong bearer token: send 'Authorization: Bearer <token>' with the runner's token (ADBMIGRATE_TOKEN or the data dir's token file)"})
			return
		}
		s.limit.Succeed(r)
		next.ServeHTTP(w, r)
	})
}

// apiError is an error with the status code and field to report.
type apiError struct {
	status int
	field  string
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func badRequest(field, format string, args ...any) error {
	return &apiError{status: http.StatusBadRequest, field: field, msg: fmt.Sprintf(format, args...)}
}

type handler func(r *http.Request) (int, any, error)

func (s *Server) wrap(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		status, body, err := h(r)
		if err != nil {
			var ae *apiError
			switch {
			case errors.As(err, &ae):
				status, body = ae.status, api.ErrorBody{Error: ae.msg, Field: ae.field}
			case errors.Is(err, store.ErrNotFound):
				status, body = http.StatusNotFound, api.ErrorBody{Error: fmt.Sprintf("%s not found", r.PathValue("id"))}
			default:
				status, body = http.StatusInternalServerError, api.ErrorBody{Error: err.Error()}
			}
		}
		writeJSON(w, status, body)
		s.log.Debug("request", "method", r.Method, "path", r.URL.Path, "status", status, "duration", time.Since(start))
		if status >= 500 {
			s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "error", err)
		}
	}
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if body != nil {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(body)
	}
}

// decode reads a JSON body strictly: one object, known fields only, at most maxBody bytes.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var maxErr *http.MaxBytesError
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &maxErr):
			return &apiError{status: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("request body is larger than %d bytes", maxBody)}
		case errors.As(err, &typeErr) && typeErr.Field == "":
			return badRequest("", "request body must be a JSON object")
		case errors.As(err, &typeErr):
			return badRequest(typeErr.Field, "field %s must be a JSON %s", typeErr.Field, jsonKind(typeErr.Type))
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return badRequest(field, "unknown field %s", field)
		case errors.Is(err, io.EOF):
			return badRequest("", "request body is empty: send a JSON object")
		}
		return badRequest("", "request body is not valid JSON: %v", err)
	}
	if dec.More() {
		return badRequest("", "request body holds more than one JSON value")
	}
	return nil
}

// jsonKind names the JSON kind a Go type decodes from, for messages.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	}
	return "object"
}

// idFor returns the id of the object a create request makes: derived from the request's
// api.IdempotencyKey when it has one, so that a resent create names the same object, else
// fresh.
func idFor(r *http.Request, prefix string) (string, error) {
	key := r.Header.Get(api.IdempotencyKey)
	if key == "" {
		return newID(prefix), nil
	}
	if len(key) > 200 {
		return "", badRequest("", "the %s header is longer than 200 characters", api.IdempotencyKey)
	}
	sum := sha256.Sum256([]byte(key))
	return prefix + hex.EncodeToString(sum[:8]), nil
}

func newID(prefix string) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return prefix + hex.EncodeToString(b)
}

// drainNode drains (on) or undrains a runner of the cluster and answers with the nodes.
func (s *Server) drainNode(r *http.Request, on bool) (int, any, error) {
	if s.drain == nil {
		return 0, nil, &apiError{status: http.StatusNotFound, msg: "this runner runs alone (single mode): there is no cluster runner to drain; stop the runner instead"}
	}
	if err := s.drain(r.Context(), r.PathValue("id"), on); errors.Is(err, store.ErrNotFound) {
		return 0, nil, &apiError{status: http.StatusNotFound, msg: err.Error()}
	} else if err != nil {
		return 0, nil, err
	}
	return s.listNodes(r)
}

func (s *Server) listNodes(r *http.Request) (int, any, error) {
	if s.nodes == nil {
		return 0, nil, &apiError{status: http.StatusNotFound, msg: "this runner runs alone (single mode): there are no cluster nodes; start runners with --etcd-endpoints for a cluster"}
	}
	nodes, err := s.nodes(r.Context())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, nodes, nil
}

func (s *Server) health(*http.Request) (int, any, error) {
	return http.StatusOK, api.Health{Status: "ok", Version: s.version}, nil
}
