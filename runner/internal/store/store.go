// Package store is the runner's persistent state: connections (with sealed passwords),
// tasks (spec and last persisted state), each task's event log, and the key that seals the
// passwords. The rest of the runner uses it through Store only; Bolt (bolt.go), one bbolt
// file under --data-dir, is its implementation for a single runner, Etcd (etcd.go) for a
// cluster of runners sharing one etcd.
package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

// Store is what the runner keeps. Implementations are safe for concurrent use; every
// method is one atomic step (a reader never sees half of a write).
type Store interface {
	Tasks
	Connections
	Events
	Secrets
	// Close releases the store; no method may be called after it.
	Close() error
}

// Tasks holds migration tasks by id.
type Tasks interface {
	// CreateTask stores a new task with a replica server id no other stored task has: the
	// first free one from candidate upwards, within the upper half of the id space. It sets
	// t.ServerID. A task with t's id stored already makes it fail with ErrExists, nothing
	// written.
	CreateTask(t *api.Task, candidate uint32) error
	// PutTask inserts or replaces a task as it is.
	PutTask(t api.Task) error
	// GetTask returns a task or ErrNotFound.
	GetTask(id string) (api.Task, error)
	// ListTasks returns every task in id order.
	ListTasks() ([]api.Task, error)
	// UpdateTask applies fn to the stored task and stores the result, as one step that no
	// other write interleaves with; ErrNotFound if the task does not exist (fn not called).
	// fn must not call the store, and must depend only on its argument: an implementation
	// shared by several processes (Etcd) calls it again when another write came first.
	UpdateTask(id string, fn func(*api.Task)) (api.Task, error)
	// DeleteTask removes a task and its events; ErrNotFound if it does not exist.
	DeleteTask(id string) error
}

// Connections holds database connections by id, their passwords sealed.
type Connections interface {
	// PutConnection inserts or replaces a connection.
	PutConnection(c Connection) error
	// GetConnection returns a connection or ErrNotFound.
	GetConnection(id string) (Connection, error)
	// ListConnections returns every connection in id order.
	ListConnections() ([]Connection, error)
	// DeleteConnection removes a connection; ErrNotFound if it does not exist.
	DeleteConnection(id string) error
}

// Events holds each task's event log.
type Events interface {
	// AddEvent appends an event to a task's log, numbering it (Seq) from 1 up; the store
	// keeps the newest events of each task and drops older ones.
	AddEvent(taskID string, e api.TaskEvent) error
	// Events returns a task's events with a Seq above after, oldest first; none (not an
	// error) for a task without events.
	Events(taskID string, after int64) ([]api.TaskEvent, error)
}

// Secrets holds what seals connection passwords.
type Secrets interface {
	// SealingKey returns the key that seals connection passwords (secret.New), creating it
	// on first use; every later call, and every runner sharing the store, gets the same key.
	SealingKey() ([]byte, error)
}

// ErrExists is returned by CreateTask for an id the store holds already.
var ErrExists = errors.New("exists already")

// ErrNotFound is returned for an id the store does not hold.
var ErrNotFound = errors.New("not found")

// Connection is a stored connection: the API view plus its sealed password.
type Connection struct {
	api.Connection
	SealedPassword []byte `json:"sealed_password,omitempty"`
}

// Path returns the bbolt store file's path in a data directory.
func Path(dataDir string) string { return filepath.Join(dataDir, "runner.db") }

// EnsureDir creates the data directory with mode 0700 if it is missing.
func EnsureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating data directory %s: %w", dir, err)
	}
	return nil
}
