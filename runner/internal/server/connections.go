package server

import (
	"crypto/x509"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/scheduler"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/store"
)

var (
	tlsModes = []string{engine.TLSDisabled, engine.TLSPreferred, engine.TLSRequired, engine.TLSVerifyIdentity}
)

// validateConnection checks a spec's fields, naming the first bad one.
func validateConnection(c api.ConnectionSpec) error {
	switch {
	case c.Name == "":
		return badRequest("name", "name is required")
	case !slices.Contains(api.DatabaseTypes, c.DatabaseType):
		return badRequest("database_type", "database_type %q is not one of %v", c.DatabaseType, api.DatabaseTypes)
	case c.Host == "":
		return badRequest("host", "host is required")
	case c.Port < 1 || c.Port > 65535:
		return badRequest("port", "port %d is outside 1..65535", c.Port)
	case c.Username == "":
		return badRequest("username", "username is required")
	case c.TLS != nil && !slices.Contains(tlsModes, c.TLS.Mode):
		return badRequest("tls.mode", "tls.mode %q is not one of %v", c.TLS.Mode, tlsModes)
	case c.TLS != nil && c.TLS.CAPEM != "" && c.TLS.Mode != engine.TLSVerifyIdentity:
		return badRequest("tls.ca_pem", "tls.ca_pem is used only with tls.mode %s, not %s", engine.TLSVerifyIdentity, c.TLS.Mode)
	case c.TLS != nil && c.TLS.CAPEM != "" && !x509.NewCertPool().AppendCertsFromPEM([]byte(c.TLS.CAPEM)):
		return badRequest("tls.ca_pem", "tls.ca_pem holds no PEM certificate: paste the CA bundle that signed the server's certificate")
	}
	return nil
}

// public strips what must never leave the runner.
func public(c store.Connection) api.Connection {
	out := c.Connection
	out.Password = ""
	return out
}

func (s *Server) listConnections(*http.Request) (int, any, error) {
	conns, err := s.store.ListConnections()
	if err != nil {
		return 0, nil, err
	}
	out := make([]api.Connection, len(conns))
	for i, c := range conns {
		out[i] = public(c)
	}
	return http.StatusOK, out, nil
}

func (s *Server) getConnection(r *http.Request) (int, any, error) {
	c, err := s.store.GetConnection(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, public(c), nil
}

func (s *Server) createConnection(r *http.Request) (int, any, error) {
	var spec api.ConnectionSpec
	if err := decode(r, &spec); err != nil {
		return 0, nil, err
	}
	// A resent create (same idempotency key) names the same connection and stores it again.
	id, err := idFor(r, "conn-")
	if err != nil {
		return 0, nil, err
	}
	c := store.Connection{Connection: api.Connection{ID: id}}
	if err := s.saveConnection(r, &c, spec); err != nil {
		return 0, nil, err
	}
	s.log.Info("connection created", "connection_id", c.ID, "name", c.Name, "endpoint", fmt.Sprintf("%s:%d", c.Host, c.Port))
	return http.StatusCreated, public(c), nil
}

func (s *Server) updateConnection(r *http.Request) (int, any, error) {
	c, err := s.store.GetConnection(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	var spec api.ConnectionSpec
	if err := decode(r, &spec); err != nil {
		return 0, nil, err
	}
	if err := s.saveConnection(r, &c, spec); err != nil {
		return 0, nil, err
	}
	s.log.Info("connection updated", "connection_id", c.ID)
	return http.StatusOK, public(c), nil
}

// saveConnection validates spec, tests that the runner can connect with it, and stores it
// in c. An empty password keeps c's stored one. Nothing is stored when the test fails.
func (s *Server) saveConnection(r *http.Request, c *store.Connection, spec api.ConnectionSpec) error {
	if err := validateConnection(spec); err != nil {
		return err
	}
	sealed := c.SealedPassword
	if spec.Password != "" {
		var err error
		if sealed, err = s.box.Seal(spec.Password); err != nil {
			return err
		}
	}
	next := store.Connection{Connection: api.Connection{ID: c.ID, ConnectionSpec: spec, CreatedAt: c.CreatedAt}, SealedPassword: sealed}
	next.Password = ""
	ep, err := scheduler.Endpoint(s.box, next)
	if err != nil {
		return err
	}
	facts, err := s.probe(r.Context(), ep)
	if err != nil {
		return &apiError{status: http.StatusUnprocessableEntity, msg: fmt.Sprintf("connectivity test of connection %q failed: %v", spec.Name, err)}
	}
	now := time.Now().UTC()
	if next.CreatedAt.IsZero() {
		next.CreatedAt = now
	}
	next.UpdatedAt = now
	next.Server = serverFacts(facts)
	if err := s.store.PutConnection(next); err != nil {
		return err
	}
	*c = next
	return nil
}

// testConnection connects again with the stored connection, password included, and
// stores and answers what the server says now: a password or binlog setting changed on the
// server since shows here. A failed test is 422 and leaves the connection as it was.
func (s *Server) testConnection(r *http.Request) (int, any, error) {
	c, ep, err := s.storedEndpoint(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	facts, err := s.probe(r.Context(), ep)
	if err != nil {
		return 0, nil, &apiError{status: http.StatusUnprocessableEntity, msg: fmt.Sprintf("connectivity test of connection %q failed: %v", c.Name, err)}
	}
	c.Server = serverFacts(facts)
	if err := s.store.PutConnection(c); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, public(c), nil
}

// conformance runs the capability probes against a stored connection, password included,
// on scratch tables in its adbmigrate_meta database, and answers every verdict. It changes
// nothing else on the server and nothing in the store. A connection that cannot be reached,
// or whose user cannot create the meta database, is 422.
func (s *Server) conformance(r *http.Request) (int, any, error) {
	c, ep, err := s.storedEndpoint(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	verdicts, err := engine.Conformance(r.Context(), ep)
	if err != nil {
		return 0, nil, &apiError{status: http.StatusUnprocessableEntity, msg: fmt.Sprintf("conformance probes of connection %q could not run: %v", c.Name, err)}
	}
	out := api.Conformance{ConnectionID: c.ID, Probes: make([]api.ConformanceProbe, len(verdicts))}
	for i, v := range verdicts {
		out.Probes[i] = api.ConformanceProbe{Probe: v.Probe, CapabilityVerdict: scheduler.CapabilityVerdict(v)}
	}
	return http.StatusOK, out, nil
}

// storedEndpoint returns the stored connection id and its endpoint, password included.
func (s *Server) storedEndpoint(id string) (store.Connection, engine.Endpoint, error) {
	c, err := s.store.GetConnection(id)
	if err != nil {
		return c, engine.Endpoint{}, err
	}
	ep, err := scheduler.Endpoint(s.box, c)
	return c, ep, err
}

func serverFacts(f engine.Facts) api.ServerFacts {
	return api.ServerFacts{
		ServerVersion: f.ServerVersion, Flavor: string(f.Flavor), BinlogEnabled: f.BinlogEnabled,
		BinlogFormat: f.BinlogFormat, BinlogRowImage: f.BinlogRowImage, GTIDMode: f.GTIDMode,
	}
}

func (s *Server) deleteConnection(r *http.Request) (int, any, error) {
	id := r.PathValue("id")
	tasks, err := s.store.ListTasks()
	if err != nil {
		return 0, nil, err
	}
	for _, t := range tasks {
		if t.SourceConnectionID == id || t.DestinationConnectionID == id {
			return 0, nil, &apiError{status: http.StatusConflict, msg: fmt.Sprintf("connection %s is used by task %s: delete the task first", id, t.ID)}
		}
	}
	if err := s.store.DeleteConnection(id); err != nil {
		return 0, nil, err
	}
	s.log.Info("connection deleted", "connection_id", id)
	return http.StatusNoContent, nil, nil
}
