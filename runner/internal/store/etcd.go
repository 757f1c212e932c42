// Etcd is the Store kept in etcd, for a cluster of runners (--etcd-endpoints): every runner
// of the cluster reads and writes the same keys, so no task state stays on one runner's disk.
//
// Key layout under the prefix P (--etcd-prefix, "/adbmigrate" by default; every value JSON
// unless said otherwise):
//
//	P/meta/schema_version       decimal version of this layout ("1")
//	P/meta/key_check            hex digest of the sealing key (keyCheck), so that a runner
//	                            with another --secret-key-file fails at start
//	P/connections/<id>          Connection (api.Connection plus the sealed password)
//	P/tasks/<id>                api.Task (spec, desired status and last persisted state)
//	P/serverids/<server id>     task id: the replica server id the task holds, one per task
//	P/events/<id>/<seq>         api.TaskEvent; seq is 16 zero-padded decimal digits, so key
//	                            order is sequence order; the newest maxEvents are kept
//	P/eventseq/<id>             decimal: the last event sequence number of the task
//
// The cluster's coordination keys (runners, owners, the scheduler election) live beside
// these under the same prefix; see runner/internal/cluster.
//
// Every write that depends on what it read is one etcd transaction comparing the
// revision it read, retried from the read when another runner wrote first.
//
// The key that seals passwords is not in etcd: every runner reads it from its
// --secret-key-file, so a copy of etcd's data alone does not reveal the passwords.

package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

// EtcdSchemaVersion is the key layout this code writes.
const EtcdSchemaVersion = 1

var _ Store = (*Etcd)(nil)

// Etcd is the Store in etcd. It is safe for concurrent use, by this process and by other
// runners sharing the prefix.
type Etcd struct {
	cli     *clientv3.Client
	prefix  string
	key     []byte
	timeout time.Duration
}

// EtcdOptions configure OpenEtcd.
type EtcdOptions struct {
	// Prefix is the key prefix every key lives under, without a trailing slash
	// ("/adbmigrate").
	Prefix string
	// Key seals connection passwords (secret.New): the content of --secret-key-file, the
	// same on every runner of the cluster.
	Key []byte
	// Timeout bounds each store call; 10 s when 0.
	Timeout time.Duration
}

// OpenEtcd returns the store under opts.Prefix on cli, which stays the caller's to close.
// It writes the layout version on first use and refuses a layout written by a newer runner,
// and it refuses a sealing key other than the one the cluster's first runner used.
func OpenEtcd(cli *clientv3.Client, opts EtcdOptions) (*Etcd, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	s := &Etcd{cli: cli, prefix: opts.Prefix, key: opts.Key, timeout: opts.Timeout}
	ctx, cancel := s.ctx()
	defer cancel()
	version := s.k("meta", "schema_version")
	check := s.k("meta", "key_check")
	resp, err := cli.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(version), "=", 0)).
		Then(clientv3.OpPut(version, strconv.Itoa(EtcdSchemaVersion)), clientv3.OpPut(check, keyCheck(opts.Key))).
		Else(clientv3.OpGet(version), clientv3.OpGet(check)).
		Commit()
	if err != nil {
		return nil, fmt.Errorf("reaching etcd at %v (are the --etcd-endpoints right and is a quorum of members up?): %w", cli.Endpoints(), err)
	}
	if resp.Succeeded {
		return s, nil
	}
	kvs := resp.Responses[0].GetResponseRange().Kvs
	n, err := strconv.Atoi(string(kvs[0].Value))
	if err != nil {
		return nil, fmt.Errorf("etcd key %s holds %q, not a number: the cluster's data under --etcd-prefix %s is damaged", version, kvs[0].Value, opts.Prefix)
	}
	if n > EtcdSchemaVersion {
		return nil, fmt.Errorf("the cluster's store under --etcd-prefix %s has layout version %d, newer than this runner's %d: run a newer adbmigrate-runner", opts.Prefix, n, EtcdSchemaVersion)
	}
	if kvs := resp.Responses[1].GetResponseRange().Kvs; len(kvs) == 1 && string(kvs[0].Value) != keyCheck(opts.Key) {
		return nil, fmt.Errorf("--secret-key-file differs from the key the cluster under --etcd-prefix %s seals passwords with: give every runner a copy of the same key file", opts.Prefix)
	}
	return s, nil
}

// keyCheck is a digest that identifies a sealing key without revealing it.
func keyCheck(key []byte) string {
	h := sha256.New()
	h.Write([]byte("adbmigrate sealing key check\x00"))
	h.Write(key)
	return hex.EncodeToString(h.Sum(nil))
}

// Close does nothing: the etcd client belongs to the caller.
func (s *Etcd) Close() error { return nil }

// SealingKey returns the key from --secret-key-file that OpenEtcd was given.
func (s *Etcd) SealingKey() ([]byte, error) { return s.key, nil }

// Prefix returns the key prefix of the store.
func (s *Etcd) Prefix() string { return s.prefix }

func (s *Etcd) k(parts ...string) string {
	out := s.prefix
	for _, p := range parts {
		out += "/" + p
	}
	return out
}

func (s *Etcd) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), s.timeout)
}

// PutConnection inserts or replaces a connection.
func (s *Etcd) PutConnection(c Connection) error { return s.put(s.k("connections", c.ID), c) }

// GetConnection returns a connection or ErrNotFound.
func (s *Etcd) GetConnection(id string) (Connection, error) {
	var c Connection
	_, err := s.get(s.k("connections", id), &c)
	return c, err
}

// ListConnections returns every connection in id order.
func (s *Etcd) ListConnections() ([]Connection, error) {
	return listEtcd[Connection](s, s.k("connections")+"/")
}

// DeleteConnection removes a connection; ErrNotFound if it does not exist.
func (s *Etcd) DeleteConnection(id string) error {
	ctx, cancel := s.ctx()
	defer cancel()
	resp, err := s.cli.Delete(ctx, s.k("connections", id))
	if err != nil {
		return fmt.Errorf("deleting connection %s in etcd: %w", id, err)
	}
	if resp.Deleted == 0 {
		return ErrNotFound
	}
	return nil
}

// CreateTask stores a new task with a replica server id no other stored task has: the first
// free one from candidate upwards, within the upper half of the id space. It sets
// t.ServerID. The task and its server id key are written in one transaction that fails when
// either exists, so two runners creating tasks at once never share an id. Creating a task
// whose id exists is an error.
func (s *Etcd) CreateTask(t *api.Task, candidate uint32) error {
	taskKey := s.k("tasks", t.ID)
	id := candidate | 1<<31
	for range 10000 {
		t.ServerID = id
		out, err := json.Marshal(t)
		if err != nil {
			return err
		}
		idKey := s.k("serverids", strconv.FormatUint(uint64(id), 10))
		ctx, cancel := s.ctx()
		resp, err := s.cli.Txn(ctx).
			If(clientv3.Compare(clientv3.CreateRevision(taskKey), "=", 0), clientv3.Compare(clientv3.CreateRevision(idKey), "=", 0)).
			Then(clientv3.OpPut(taskKey, string(out)), clientv3.OpPut(idKey, t.ID)).
			Else(clientv3.OpGet(taskKey, clientv3.WithCountOnly())).
			Commit()
		cancel()
		if err != nil {
			return fmt.Errorf("creating task %s in etcd: %w", t.ID, err)
		}
		if resp.Succeeded {
			return nil
		}
		if resp.Responses[0].GetResponseRange().Count > 0 {
			return fmt.Errorf("task %s: %w", t.ID, ErrExists)
		}
		id = (id + 1) | 1<<31
	}
	return errors.New("no free replica server id found after 10000 tries: delete finished tasks")
}

// PutTask inserts or replaces a task as it is, keeping its server id key.
func (s *Etcd) PutTask(t api.Task) error {
	out, err := json.Marshal(t)
	if err != nil {
		return err
	}
	ctx, cancel := s.ctx()
	defer cancel()
	ops := []clientv3.Op{clientv3.OpPut(s.k("tasks", t.ID), string(out))}
	if t.ServerID != 0 {
		ops = append(ops, clientv3.OpPut(s.k("serverids", strconv.FormatUint(uint64(t.ServerID), 10)), t.ID))
	}
	if _, err := s.cli.Txn(ctx).Then(ops...).Commit(); err != nil {
		return fmt.Errorf("storing task %s in etcd: %w", t.ID, err)
	}
	return nil
}

// GetTask returns a task or ErrNotFound.
func (s *Etcd) GetTask(id string) (api.Task, error) {
	var t api.Task
	_, err := s.get(s.k("tasks", id), &t)
	return t, err
}

// ListTasks returns every task in id order.
func (s *Etcd) ListTasks() ([]api.Task, error) { return listEtcd[api.Task](s, s.k("tasks")+"/") }

// UpdateTask applies fn to the stored task and stores the result if no other write changed
// the task since it was read; otherwise it reads again and calls fn again. fn may thus run
// more than once and must depend only on its argument.
func (s *Etcd) UpdateTask(id string, fn func(*api.Task)) (api.Task, error) {
	key := s.k("tasks", id)
	for {
		var t api.Task
		rev, err := s.get(key, &t)
		if err != nil {
			return t, err
		}
		fn(&t)
		out, err := json.Marshal(t)
		if err != nil {
			return t, err
		}
		ctx, cancel := s.ctx()
		resp, err := s.cli.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(key), "=", rev)).
			Then(clientv3.OpPut(key, string(out))).
			Commit()
		cancel()
		if err != nil {
			return t, fmt.Errorf("updating task %s in etcd: %w", id, err)
		}
		if resp.Succeeded {
			return t, nil
		}
	}
}

// DeleteTask removes a task, its server id key and its events; ErrNotFound if it does not
// exist.
func (s *Etcd) DeleteTask(id string) error {
	var t api.Task
	if _, err := s.get(s.k("tasks", id), &t); err != nil {
		return err
	}
	ctx, cancel := s.ctx()
	defer cancel()
	ops := []clientv3.Op{
		clientv3.OpDelete(s.k("tasks", id)),
		clientv3.OpDelete(s.k("events", id)+"/", clientv3.WithPrefix()),
		clientv3.OpDelete(s.k("eventseq", id)),
	}
	if t.ServerID != 0 {
		ops = append(ops, clientv3.OpDelete(s.k("serverids", strconv.FormatUint(uint64(t.ServerID), 10))))
	}
	if _, err := s.cli.Txn(ctx).Then(ops...).Commit(); err != nil {
		return fmt.Errorf("deleting task %s in etcd: %w", id, err)
	}
	return nil
}

// AddEvent appends an event to a task's log: it takes the next sequence number with a
// transaction on P/eventseq/<id>, writes the event in the same transaction and drops the
// events maxEvents or more behind it.
func (s *Etcd) AddEvent(taskID string, e api.TaskEvent) error {
	seqKey := s.k("eventseq", taskID)
	for {
		ctx, cancel := s.ctx()
		resp, err := s.cli.Get(ctx, seqKey)
		cancel()
		if err != nil {
			return fmt.Errorf("adding an event to task %s in etcd: %w", taskID, err)
		}
		var last int64
		var rev int64
		if len(resp.Kvs) == 1 {
			rev = resp.Kvs[0].ModRevision
			if last, err = strconv.ParseInt(string(resp.Kvs[0].Value), 10, 64); err != nil {
				return fmt.Errorf("etcd key %s holds %q, not a number: %w", seqKey, resp.Kvs[0].Value, err)
			}
		}
		e.Seq = last + 1
		v, err := json.Marshal(e)
		if err != nil {
			return err
		}
		ops := []clientv3.Op{clientv3.OpPut(seqKey, strconv.FormatInt(e.Seq, 10)), clientv3.OpPut(s.eventKey(taskID, e.Seq), string(v))}
		if e.Seq > maxEvents {
			ops = append(ops, clientv3.OpDelete(s.eventKey(taskID, 0), clientv3.WithRange(s.eventKey(taskID, e.Seq-maxEvents+1))))
		}
		ctx, cancel = s.ctx()
		tresp, err := s.cli.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(seqKey), "=", rev)).
			Then(ops...).
			Commit()
		cancel()
		if err != nil {
			return fmt.Errorf("adding an event to task %s in etcd: %w", taskID, err)
		}
		if tresp.Succeeded {
			return nil
		}
	}
}

func (s *Etcd) eventKey(taskID string, seq int64) string {
	return s.k("events", taskID, fmt.Sprintf("%016d", seq))
}

// Events returns a task's events with a sequence number above after, oldest first.
func (s *Etcd) Events(taskID string, after int64) ([]api.TaskEvent, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	resp, err := s.cli.Get(ctx, s.eventKey(taskID, after+1), clientv3.WithRange(clientv3.GetPrefixRangeEnd(s.k("events", taskID)+"/")))
	if err != nil {
		return nil, fmt.Errorf("reading the events of task %s from etcd: %w", taskID, err)
	}
	out := make([]api.TaskEvent, 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		var e api.TaskEvent
		if err := json.Unmarshal(kv.Value, &e); err != nil {
			return nil, fmt.Errorf("etcd key %s is damaged: %w", kv.Key, err)
		}
		out = append(out, e)
	}
	return out, nil
}

func (s *Etcd) put(key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	ctx, cancel := s.ctx()
	defer cancel()
	if _, err := s.cli.Put(ctx, key, string(b)); err != nil {
		return fmt.Errorf("writing %s to etcd: %w", key, err)
	}
	return nil
}

// get reads key into v and returns its mod revision; ErrNotFound when it does not exist.
func (s *Etcd) get(key string, v any) (int64, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	resp, err := s.cli.Get(ctx, key)
	if err != nil {
		return 0, fmt.Errorf("reading %s from etcd: %w", key, err)
	}
	if len(resp.Kvs) == 0 {
		return 0, ErrNotFound
	}
	if err := json.Unmarshal(resp.Kvs[0].Value, v); err != nil {
		return 0, fmt.Errorf("etcd key %s is damaged: %w", key, err)
	}
	return resp.Kvs[0].ModRevision, nil
}

func listEtcd[T any](s *Etcd, prefix string) ([]T, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	resp, err := s.cli.Get(ctx, prefix, clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByKey, clientv3.SortAscend))
	if err != nil {
		return nil, fmt.Errorf("listing %s in etcd: %w", prefix, err)
	}
	out := make([]T, 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		var item T
		if err := json.Unmarshal(kv.Value, &item); err != nil {
			return nil, fmt.Errorf("etcd key %s is damaged: %w", kv.Key, err)
		}
		out = append(out, item)
	}
	return out, nil
}
