package precheck

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dbconn"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
)

// side is one server. Its first ping is shared by every item that needs the server, so an
// unreachable server is reported once, by its connectivity item, and the other items say
// they were not checked.
type side struct {
	role string // "source" or "destination"
	db   *sql.DB
	typ  dialect.DatabaseType
	ep   dbconn.Endpoint

	once sync.Once
	err  error
}

// label names the server in messages.
func (s *side) label() string {
	if s.ep.Host != "" {
		return fmt.Sprintf("the %s (%s)", s.role, s.ep)
	}
	return "the " + s.role
}

// reach pings the server once and returns the explained error, if any.
func (s *side) reach(ctx context.Context) error {
	s.once.Do(func() {
		if s.db == nil {
			s.err = fmt.Errorf("no connection to %s was given", s.label())
			return
		}
		pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		if err := s.db.PingContext(pctx); err != nil {
			if s.ep.Host != "" {
				s.err = dbconn.Explain(s.ep, err)
			} else {
				s.err = fmt.Errorf("cannot connect to %s: %w", s.label(), err)
			}
		}
	})
	return s.err
}

// connectivityItem names the connectivity item of the side.
func (s *side) connectivityItem() string {
	if s.role == "source" {
		return SourceConnectivity
	}
	return DestinationConnectivity
}

// unreachable is the result of an item that could not run because its server is down.
func (s *side) unreachable(error) Result {
	return Result{
		State:   Failed,
		Message: fmt.Sprintf("not checked: %s cannot be reached (see %s)", s.label(), s.connectivityItem()),
		Remedy:  fmt.Sprintf("fix %s first, then run the precheck again", s.connectivityItem()),
	}
}

type connectivityCheck struct {
	name string
	side *side
}

func (c connectivityCheck) Name() string { return c.name }

func (c connectivityCheck) Check(ctx context.Context) Result {
	if err := c.side.reach(ctx); err != nil {
		return Result{
			State:   Failed,
			Message: err.Error(),
			Remedy:  fmt.Sprintf("make %s reachable from the runner with the connection's host, port, user, password and TLS settings", c.side.label()),
		}
	}
	return passed("%s answers", c.side.label())
}
