package cluster

import (
	"fmt"
	"log/slog"
	"maps"
	"os"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/etcdtest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/store"
)

// recorder is the Runner of a member in these tests: it records which tasks run here, at
// which epoch. The coordination under test (etcd sessions, election, transactions) is real.
type recorder struct {
	mu       sync.Mutex
	running  map[string]int64
	released int
}

func (r *recorder) Running(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.running[id]
	return ok
}

func (r *recorder) Launch(id string, epoch int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.running[id] = epoch
}

func (r *recorder) Release(id string, _ bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.running[id]; ok {
		delete(r.running, id)
		r.released++
	}
}

func (r *recorder) Halt(id string, _ int64) { r.Release(id, false) }

func (r *recorder) snapshot() map[string]int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int64{}
	for k, v := range r.running {
		out[k] = v
	}
	return out
}

type node struct {
	id     string
	cli    *clientv3.Client
	rec    *recorder
	member *Member
}

const testTTL = 3 * time.Second

func startNode(t *testing.T, c *etcdtest.Cluster, id string, maxTasks int) *node {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: c.Endpoints(), DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenEtcd(cli, store.EtcdOptions{Prefix: "/c", Key: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	n := &node{id: id, cli: cli, rec: &recorder{running: map[string]int64{}}}
	n.member, err = Join(Config{Client: cli, Prefix: "/c", NodeID: id, MaxTasks: maxTasks, TTL: testTTL, Store: st, Runner: n.rec,
		Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.member.Leave(); cli.Close() })
	return n
}

// crash ends the node as kill -9 would for etcd: no more keepalives, nothing revoked; its
// lease runs out after the TTL.
func (n *node) crash() { n.cli.Close() }

func createTasks(t *testing.T, c *etcdtest.Cluster, count int) {
	t.Helper()
	st, err := store.OpenEtcd(c.Client(), store.EtcdOptions{Prefix: "/c", Key: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	for i := range count {
		task := api.Task{ID: fmt.Sprintf("task-%02d", i)}
		task.DesiredStatus = api.DesiredRunning
		task.State.Status = api.StatusNotStarted
		if err := st.CreateTask(&task, uint32(i)); err != nil {
			t.Fatal(err)
		}
	}
}

// waitOwned waits until the nodes together run every one of count tasks exactly once, and
// returns who runs what.
func waitOwned(t *testing.T, nodes []*node, count int, within time.Duration) map[string]string {
	t.Helper()
	deadline := time.Now().Add(within)
	var last map[string][]string
	for time.Now().Before(deadline) {
		last = map[string][]string{}
		for _, n := range nodes {
			for id := range n.rec.snapshot() {
				last[id] = append(last[id], n.id)
			}
		}
		ok := len(last) == count
		for _, owners := range last {
			ok = ok && len(owners) == 1
		}
		if ok {
			out := map[string]string{}
			for id, owners := range last {
				out[id] = owners[0]
			}
			return out
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("after %s the tasks do not run exactly once each: %v", within, last)
	return nil
}

func ownerKeys(t *testing.T, cli *clientv3.Client) map[string]*struct {
	node  string
	epoch int64
} {
	t.Helper()
	resp, err := cli.Get(t.Context(), "/c/owners/", clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*struct {
		node  string
		epoch int64
	}{}
	for _, kv := range resp.Kvs {
		out[string(kv.Key[len("/c/owners/"):])] = &struct {
			node  string
			epoch int64
		}{string(kv.Value), kv.CreateRevision}
	}
	return out
}

// waitSettled waits until the nodes run every one of count tasks exactly once, each at the
// epoch of its owner key, every owner key names the node its assignment names, and that
// state holds across a scheduling round (the scheduler recomputes every 500 ms): nothing is
// still being moved. It returns who runs what, with epochs.
func waitSettled(t *testing.T, c *etcdtest.Cluster, nodes []*node, count int, within time.Duration) map[string]int64 {
	t.Helper()
	deadline := time.Now().Add(within)
	var problem string
	var prev map[string]string
	for time.Now().Before(deadline) {
		runs := map[string]int64{}
		where := map[string]string{}
		problem = ""
		for _, n := range nodes {
			for id, epoch := range n.rec.snapshot() {
				if other, dup := where[id]; dup {
					problem = fmt.Sprintf("task %s runs on %s and %s", id, other, n.id)
				}
				runs[id], where[id] = epoch, n.id
			}
		}
		keys := ownerKeys(t, c.Client())
		assigned := assignKeys(t, c.Client())
		if problem == "" && len(runs) != count {
			problem = fmt.Sprintf("%d of %d tasks run", len(runs), count)
		}
		for id, epoch := range runs {
			if k := keys[id]; problem == "" && (k == nil || k.node != where[id] || k.epoch != epoch) {
				problem = fmt.Sprintf("task %s runs on %s at epoch %d; owner key %+v", id, where[id], epoch, k)
			}
			if problem == "" && assigned[id] != where[id] {
				problem = fmt.Sprintf("task %s runs on %s, assigned to %q", id, where[id], assigned[id])
			}
		}
		if problem == "" && maps.Equal(prev, where) {
			return runs
		}
		if problem == "" {
			prev = where
			time.Sleep(600 * time.Millisecond)
			continue
		}
		prev = nil
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("after %s the tasks have not settled: %s", within, problem)
	return nil
}

func assignKeys(t *testing.T, cli *clientv3.Client) map[string]string {
	t.Helper()
	resp, err := cli.Get(t.Context(), "/c/assign/", clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, kv := range resp.Kvs {
		out[string(kv.Key[len("/c/assign/"):])] = string(kv.Value)
	}
	return out
}

// 60 tasks over 3 runners run once each, no runner above 22, each at the epoch of its owner
// key. A runner that crashes loses its tasks to the others within TTL + 3 s, at higher
// epochs, and the others keep theirs; a runner that leaves hands its tasks over in well
// under a second.
func TestOwnershipSpreadFailoverAndHandOff(t *testing.T) {
	c := etcdtest.Start(t, 3)
	createTasks(t, c, 60)
	nodes := []*node{startNode(t, c, "r1", 0), startNode(t, c, "r2", 0), startNode(t, c, "r3", 0)}
	before := waitSettled(t, c, nodes, 60, 15*time.Second)
	counts := map[string]int{}
	for _, n := range nodes {
		counts[n.id] = len(n.rec.snapshot())
	}
	t.Logf("tasks per runner: %v", counts)
	for n, k := range counts {
		if k > 22 {
			t.Errorf("runner %s owns %d tasks, more than 22", n, k)
		}
	}

	// Crash r2: its tasks move within TTL + 3 s, at higher epochs; the others' tasks stay.
	lost := nodes[1].rec.snapshot()
	start := time.Now()
	nodes[1].crash()
	after := waitOwned(t, []*node{nodes[0], nodes[2]}, 60, testTTL+3*time.Second)
	t.Logf("failover of %d tasks after a crash: %s (TTL %s)", len(lost), time.Since(start).Round(time.Millisecond), testTTL)
	if r := nodes[1].rec.snapshot(); len(r) != 0 {
		t.Errorf("the crashed runner still runs %d tasks: a lost session must cancel them all", len(r))
	}
	settled := waitSettled(t, c, []*node{nodes[0], nodes[2]}, 60, 5*time.Second)
	for id, epoch := range settled {
		n := after[id]
		_, wasLost := lost[id]
		switch {
		case wasLost && epoch <= before[id]:
			t.Errorf("task %s moved to %s at epoch %d, not above its old %d", id, n, epoch, before[id])
		case !wasLost && epoch != before[id]:
			t.Errorf("task %s of a live runner changed epoch %d -> %d", id, before[id], epoch)
		}
	}

	// r1 leaves: r3 runs everything in well under a second.
	start = time.Now()
	nodes[0].member.Leave()
	waitOwned(t, []*node{nodes[2]}, 60, time.Second)
	t.Logf("hand-off of r1's tasks on leave: %s", time.Since(start).Round(time.Millisecond))
}

// A runner's --max-tasks holds; the tasks it cannot take go to the others.
func TestOwnershipCapacity(t *testing.T) {
	c := etcdtest.Start(t, 1)
	createTasks(t, c, 10)
	small := startNode(t, c, "small", 2)
	big := startNode(t, c, "big", 0)
	waitOwned(t, []*node{small, big}, 10, 15*time.Second)
	if n := len(small.rec.snapshot()); n > 2 {
		t.Fatalf("runner with --max-tasks 2 runs %d tasks", n)
	}
}
