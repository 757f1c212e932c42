// The elected scheduler: the election, and the assignment of tasks to runners.

package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// campaign runs for the scheduler; once elected, it assigns tasks until the session ends.
func (m *Member) campaign(ctx context.Context, s *concurrency.Session) {
	e := concurrency.NewElection(s, m.k("election", "scheduler"))
	if err := e.Campaign(ctx, m.cfg.NodeID); err != nil {
		return
	}
	m.log.Info("elected task scheduler")
	m.mu.Lock()
	m.leader = true
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		m.leader = false
		m.mu.Unlock()
		rctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = e.Resign(rctx)
	}()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := m.schedule(ctx, e); err != nil && ctx.Err() == nil {
			m.log.Warn("cannot assign tasks", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-m.schedWake:
		case <-tick.C:
		}
	}
}

// Leader reports whether this runner is the elected scheduler.
func (m *Member) Leader() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.leader
}

// needsOwner reports whether a task needs a runner: every task that has not ended. A task
// asked to stop keeps its owner until the owner has stopped it.
func needsOwner(t api.Task) bool {
	switch t.State.Status {
	case api.StatusCompleted, api.StatusFailed, api.StatusPrecheckFailed, api.StatusStopped:
		return false
	}
	return true
}

// schedule writes one round of assignments, only while e is the leader.
func (m *Member) schedule(ctx context.Context, e *concurrency.Election) error {
	ctx, cancel := context.WithTimeout(ctx, m.cfg.TTL)
	defer cancel()
	cli := m.cfg.Client
	runners, err := cli.Get(ctx, m.k("runners")+"/", clientv3.WithPrefix())
	if err != nil {
		return err
	}
	drained, err := m.values(ctx, "drain")
	if err != nil {
		return err
	}
	var nodes []Node
	for _, kv := range runners.Kvs {
		var r Registration
		if json.Unmarshal(kv.Value, &r) == nil {
			_, draining := drained[r.NodeID]
			nodes = append(nodes, Node{ID: r.NodeID, MaxTasks: r.MaxTasks, Draining: draining})
		}
	}
	tasks, err := m.cfg.Store.ListTasks()
	if err != nil {
		return err
	}
	assigned, err := m.values(ctx, "assign")
	if err != nil {
		return err
	}
	owners, err := m.values(ctx, "owners")
	if err != nil {
		return err
	}
	var want []string
	prev := map[string]string{}
	for _, t := range tasks {
		if !needsOwner(t) {
			continue
		}
		want = append(want, t.ID)
		if o, ok := owners[t.ID]; ok {
			prev[t.ID] = o.node
		} else if a, ok := assigned[t.ID]; ok {
			prev[t.ID] = a.node
		} else if t.State.Owner != "" {
			prev[t.ID] = t.State.Owner
		}
	}
	plan := Assign(want, prev, nodes)
	var ops []clientv3.Op
	for id, node := range plan {
		if a, ok := assigned[id]; !ok || a.node != node {
			ops = append(ops, clientv3.OpPut(m.k("assign", id), node))
		}
	}
	for id := range assigned {
		if _, ok := plan[id]; !ok {
			ops = append(ops, clientv3.OpDelete(m.k("assign", id)))
		}
	}
	if len(ops) == 0 {
		return nil
	}
	// Only the leader writes: the election key must still be the one this campaign made.
	resp, err := cli.Txn(ctx).If(clientv3.Compare(clientv3.CreateRevision(e.Key()), "=", e.Rev())).Then(ops...).Commit()
	if err != nil {
		return err
	}
	if !resp.Succeeded {
		return errors.New("no longer the elected scheduler")
	}
	m.log.Info("tasks assigned", "changes", len(ops), "runners", len(nodes), "tasks", len(want))
	return nil
}
