// A runner's own tasks: claiming the tasks assigned to it, releasing the others, and
// starting or stopping the ones it owns.

package cluster

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/store"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

type keyValue struct {
	node     string
	created  int64
	modified int64
}

// values reads every key under P/<dir>/ as task id -> value.
func (m *Member) values(ctx context.Context, dir string) (map[string]keyValue, error) {
	resp, err := m.cfg.Client.Get(ctx, m.k(dir)+"/", clientv3.WithPrefix())
	if err != nil {
		return nil, err
	}
	out := map[string]keyValue{}
	for _, kv := range resp.Kvs {
		out[strings.TrimPrefix(string(kv.Key), m.k(dir)+"/")] = keyValue{node: string(kv.Value), created: kv.CreateRevision, modified: kv.ModRevision}
	}
	return out, nil
}

// reconcile claims the tasks assigned to this runner, releases those assigned elsewhere,
// and starts or stops owned tasks as their desired status says.
func (m *Member) reconcile(ctx context.Context, s *concurrency.Session) error {
	ctx, cancel := context.WithTimeout(ctx, m.cfg.TTL)
	defer cancel()
	assigned, err := m.values(ctx, "assign")
	if err != nil {
		return err
	}
	owners, err := m.values(ctx, "owners")
	if err != nil {
		return err
	}
	me := m.cfg.NodeID
	m.mu.Lock()
	owned := make(map[string]int64, len(m.owned))
	for id, epoch := range m.owned {
		owned[id] = epoch
	}
	m.mu.Unlock()

	// Tasks this runner owns but should not (assigned elsewhere), or no longer owns (its
	// owner key is gone or another one's): let go.
	for id, epoch := range owned {
		o, ok := owners[id]
		lost := !ok || o.created != epoch
		if !lost && assigned[id].node == me {
			continue
		}
		m.log.Info("releasing task", "task_id", id, "epoch", epoch, "owner_key_lost", lost)
		m.cfg.Runner.Release(id, lost)
		m.forget(id)
		if !lost {
			key := m.k("owners", id)
			if _, err := m.cfg.Client.Txn(ctx).If(clientv3.Compare(clientv3.CreateRevision(key), "=", epoch)).Then(clientv3.OpDelete(key)).Commit(); err != nil {
				return err
			}
		}
	}
	// Tasks assigned here that nobody owns: claim them.
	for id, a := range assigned {
		if a.node != me {
			continue
		}
		if _, mine := owned[id]; mine {
			continue
		}
		if _, taken := owners[id]; taken {
			continue
		}
		key := m.k("owners", id)
		resp, err := m.cfg.Client.Txn(ctx).
			If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0), clientv3.Compare(clientv3.Value(m.k("assign", id)), "=", me)).
			Then(clientv3.OpPut(key, me, clientv3.WithLease(s.Lease()))).
			Commit()
		if err != nil {
			return err
		}
		if !resp.Succeeded {
			continue
		}
		epoch := resp.Header.Revision
		m.mu.Lock()
		m.owned[id] = epoch
		m.mu.Unlock()
		owned[id] = epoch
		m.log.Info("task claimed", "task_id", id, "epoch", epoch)
		if m.cfg.OnOwnerChange != nil {
			m.cfg.OnOwnerChange(id)
		}
	}
	if len(owned) == 0 {
		return nil
	}
	// Owned tasks: run those that should run, stop those asked to stop.
	for id, epoch := range owned {
		if _, still := m.ownedEpoch(id); !still {
			continue
		}
		t, err := m.cfg.Store.GetTask(id)
		if errors.Is(err, store.ErrNotFound) {
			m.cfg.Runner.Release(id, true) // deleted: nothing to hand over
			m.forget(id)
			continue
		}
		if err != nil {
			return err
		}
		switch {
		case !needsOwner(t):
		case t.DesiredStatus == api.DesiredStopped:
			m.halt(id, epoch)
		case ctx.Err() != nil:
			return ctx.Err()
		case !m.cfg.Runner.Running(id):
			m.cfg.Runner.Launch(id, epoch)
		}
	}
	return nil
}

// halt stops a task in the background, once.
func (m *Member) halt(id string, epoch int64) {
	m.mu.Lock()
	if m.halting[id] {
		m.mu.Unlock()
		return
	}
	m.halting[id] = true
	m.mu.Unlock()
	go func() {
		m.cfg.Runner.Halt(id, epoch)
		m.mu.Lock()
		delete(m.halting, id)
		m.mu.Unlock()
	}()
}

func (m *Member) ownedEpoch(id string) (int64, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.owned[id]
	return e, ok
}

func (m *Member) forget(id string) {
	m.mu.Lock()
	delete(m.owned, id)
	m.mu.Unlock()
}

// abandonAll ends every owned task's run (the session is gone: abort, at once; or the
// runner leaves: gracefully) and forgets them.
func (m *Member) abandonAll(abort bool) {
	m.mu.Lock()
	ids := make([]string, 0, len(m.owned))
	for id := range m.owned {
		ids = append(ids, id)
	}
	m.owned = map[string]int64{}
	m.mu.Unlock()
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() { m.cfg.Runner.Release(id, abort) })
	}
	wg.Wait()
}

// Owned returns the tasks this runner owns, with their epochs.
func (m *Member) Owned() map[string]int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]int64, len(m.owned))
	for id, e := range m.owned {
		out[id] = e
	}
	return out
}
