// Bolt is the Store kept in one bbolt file, for a single runner.
//
// Bucket layout (schema version 2):
//
//	meta         "schema_version" -> decimal version of this layout ("2")
//	connections  connection id -> JSON Connection (api.Connection plus the sealed password)
//	tasks        task id -> JSON api.Task (spec and last persisted state)
//	events       task id -> bucket: 8-byte big-endian sequence -> JSON api.TaskEvent; the
//	             newest maxEvents of each task are kept
//
// Version 2 added the events bucket; upgrade creates it in a version 1 file.
//
// Upgrades: Open reads schema_version; a file written by a newer runner is refused, and a
// future layout change adds a step in upgrade that rewrites older buckets in one transaction.
//
// The key that seals connection passwords is not in the file: it is store.key (keyFile), next to it in
// the data directory (mode 0600), so that a copy of the file alone does not reveal them.

package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/secret"
)

// SchemaVersion is the bucket layout this code writes.
const SchemaVersion = 2

var (
	bucketMeta        = []byte("meta")
	bucketConnections = []byte("connections")
	bucketTasks       = []byte("tasks")
	bucketEvents      = []byte("events")
	keySchemaVersion  = []byte("schema_version")
)

// keyFile is the name of the sealing key's file, in the store file's directory.
const keyFile = "store.key"

var _ Store = (*Bolt)(nil)

// Bolt is the Store in a bbolt file. It is safe for concurrent use.
type Bolt struct {
	db      *bolt.DB
	keyPath string
}

// Open opens or creates the store file at path with mode 0600. The sealing key is
// store.key in the same directory. Another process holding the file makes Open fail after
// 5 s with an error that says so.
func Open(path string) (*Bolt, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("store %s is locked: another adbmigrate-runner uses this --data-dir; stop it or choose another directory", path)
	}
	if err != nil {
		return nil, fmt.Errorf("opening store %s: %w", path, err)
	}
	s := &Bolt{db: db, keyPath: filepath.Join(filepath.Dir(path), keyFile)}
	if err := s.upgrade(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the file.
func (s *Bolt) Close() error { return s.db.Close() }

func (s *Bolt) upgrade() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		if v := meta.Get(keySchemaVersion); v != nil {
			n, err := strconv.Atoi(string(v))
			if err != nil {
				return fmt.Errorf("store schema version %q is not a number: the file is damaged", v)
			}
			if n > SchemaVersion {
				return fmt.Errorf("store schema version %d is newer than this runner's %d: run a newer adbmigrate-runner", n, SchemaVersion)
			}
		}
		for _, b := range [][]byte{bucketConnections, bucketTasks, bucketEvents} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return meta.Put(keySchemaVersion, []byte(strconv.Itoa(SchemaVersion)))
	})
}

// PutConnection inserts or replaces a connection.
func (s *Bolt) PutConnection(c Connection) error { return s.put(bucketConnections, c.ID, c) }

// GetConnection returns a connection or ErrNotFound.
func (s *Bolt) GetConnection(id string) (Connection, error) {
	var c Connection
	return c, s.get(bucketConnections, id, &c)
}

// ListConnections returns every connection in id order.
func (s *Bolt) ListConnections() ([]Connection, error) {
	return list[Connection](s, bucketConnections)
}

// DeleteConnection removes a connection; ErrNotFound if it does not exist.
func (s *Bolt) DeleteConnection(id string) error { return s.delete(bucketConnections, id) }

// PutTask inserts or replaces a task.
func (s *Bolt) PutTask(t api.Task) error { return s.put(bucketTasks, t.ID, t) }

// CreateTask stores a new task with a replica server id no other stored task has: the first
// free one from candidate upwards, within the upper half of the id space. It sets t.ServerID.
func (s *Bolt) CreateTask(t *api.Task, candidate uint32) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTasks)
		if b.Get([]byte(t.ID)) != nil {
			return fmt.Errorf("task %s: %w", t.ID, ErrExists)
		}
		used := map[uint32]bool{}
		err := b.ForEach(func(k, v []byte) error {
			var other api.Task
			if err := json.Unmarshal(v, &other); err != nil {
				return fmt.Errorf("record %s is damaged in the store: %w", k, err)
			}
			used[other.ServerID] = true
			return nil
		})
		if err != nil {
			return err
		}
		id := candidate | 1<<31
		for used[id] {
			id = (id + 1) | 1<<31
		}
		t.ServerID = id
		out, err := json.Marshal(t)
		if err != nil {
			return err
		}
		return b.Put([]byte(t.ID), out)
	})
}

// GetTask returns a task or ErrNotFound.
func (s *Bolt) GetTask(id string) (api.Task, error) {
	var t api.Task
	return t, s.get(bucketTasks, id, &t)
}

// ListTasks returns every task in id order.
func (s *Bolt) ListTasks() ([]api.Task, error) { return list[api.Task](s, bucketTasks) }

// DeleteTask removes a task and its events; ErrNotFound if it does not exist.
func (s *Bolt) DeleteTask(id string) error {
	if err := s.delete(bucketTasks, id); err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		err := tx.Bucket(bucketEvents).DeleteBucket([]byte(id))
		if errors.Is(err, bolt.ErrBucketNotFound) {
			return nil
		}
		return err
	})
}

// maxEvents is how many events the store keeps per task; older ones are dropped.
const maxEvents = 1000

// AddEvent appends an event to a task's log, numbering it, and drops the oldest events
// beyond maxEvents.
func (s *Bolt) AddEvent(taskID string, e api.TaskEvent) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.Bucket(bucketEvents).CreateBucketIfNotExists([]byte(taskID))
		if err != nil {
			return err
		}
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		e.Seq = int64(seq)
		v, err := json.Marshal(e)
		if err != nil {
			return err
		}
		if err := b.Put(binary.BigEndian.AppendUint64(nil, seq), v); err != nil {
			return err
		}
		if seq > maxEvents {
			c := b.Cursor()
			for k, _ := c.First(); k != nil && binary.BigEndian.Uint64(k) <= seq-maxEvents; k, _ = c.Next() {
				if err := c.Delete(); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// Events returns a task's events with a sequence number above after, oldest first.
func (s *Bolt) Events(taskID string, after int64) ([]api.TaskEvent, error) {
	out := []api.TaskEvent{}
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEvents).Bucket([]byte(taskID))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Seek(binary.BigEndian.AppendUint64(nil, uint64(after)+1)); k != nil; k, v = c.Next() {
			var e api.TaskEvent
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("event %d of task %s is damaged in the store: %w", binary.BigEndian.Uint64(k), taskID, err)
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// UpdateTask applies fn to the stored task in one transaction and returns the result.
func (s *Bolt) UpdateTask(id string, fn func(*api.Task)) (api.Task, error) {
	var t api.Task
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTasks)
		v := b.Get([]byte(id))
		if v == nil {
			return ErrNotFound
		}
		if err := json.Unmarshal(v, &t); err != nil {
			return fmt.Errorf("task %s is damaged in the store: %w", id, err)
		}
		fn(&t)
		out, err := json.Marshal(t)
		if err != nil {
			return err
		}
		return b.Put([]byte(id), out)
	})
	return t, err
}

func (s *Bolt) put(bucket []byte, id string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put([]byte(id), b) })
}

func (s *Bolt) get(bucket []byte, id string, v any) error {
	return s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket).Get([]byte(id))
		if b == nil {
			return ErrNotFound
		}
		return json.Unmarshal(b, v)
	})
}

func (s *Bolt) delete(bucket []byte, id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		if b.Get([]byte(id)) == nil {
			return ErrNotFound
		}
		return b.Delete([]byte(id))
	})
}

func list[T any](s *Bolt, bucket []byte) ([]T, error) {
	out := []T{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).ForEach(func(k, v []byte) error {
			var item T
			if err := json.Unmarshal(v, &item); err != nil {
				return fmt.Errorf("record %s is damaged in the store: %w", k, err)
			}
			out = append(out, item)
			return nil
		})
	})
	return out, err
}

// SealingKey reads the key file next to the store file, creating it (mode 0600) on first
// use.
func (s *Bolt) SealingKey() ([]byte, error) { return secret.LoadOrCreateKey(s.keyPath) }
