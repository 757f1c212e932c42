// Package cluster makes several runners share their tasks through etcd: each runner
// registers under a session lease, one of them, elected, assigns tasks to runners, and a
// runner owns a task once it has created the task's owner key under its lease.
//
// Keys under the prefix P (beside the store's, see runner/internal/store/etcd.go):
//
//	P/runners/<node id>   Registration (JSON), under the runner's session lease
//	P/election/scheduler  the scheduler election (concurrency.Election)
//	P/assign/<task id>    node id the elected scheduler assigned the task to (no lease)
//	P/owners/<task id>    node id of the owner, under its session lease; the key's create
//	                      revision is the task's epoch, which only grows
//	P/drain/<node id>     the runner is drained (SetDraining): it gets no task; no lease, so
//	                      it holds across the runner's restarts
//
// The ownership protocol:
//
//   - The elected scheduler writes P/assign/ (Assign: least loaded, the previous owner
//     preferred, capacity --max-tasks) with a transaction that holds only while it leads.
//     It recomputes on every change of P/runners/, P/tasks/ or P/owners/, so a runner whose
//     lease ends (its key and its owner keys vanish together) has its tasks reassigned at
//     once.
//   - A runner claims a task assigned to it with a transaction that creates P/owners/<task>
//     only if it does not exist and the assignment still names the runner. It releases a
//     task assigned elsewhere by stopping its run and then deleting the owner key, only if
//     the key is still the one it created.
//   - When a runner's session ends (lease expired after a partition or a pause, or etcd
//     lost), it cancels every task run at once, then registers again with a new session.
//     Its owner keys went with the lease: another runner may own the tasks already.
//
// The owner key is a lease, and a lease alone does not exclude a paused owner that has not
// noticed its expiry; the epoch is the fencing token the destination checks (see
// docs/cluster.md).
package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/store"
)

// Runner is what a member asks of the runner's scheduler for the tasks it owns. Each call
// returns promptly except Release and Halt, which wait for the run to let go.
type Runner interface {
	// Running reports whether the task runs on this runner.
	Running(id string) bool
	// Launch starts the task's run as its owner of epoch, if it is not running.
	Launch(id string, epoch int64)
	// Release ends the task's run, without changing its stored status, and waits until it
	// has let go: gracefully (an incremental run commits its transaction in flight first)
	// while this runner still holds its lease, at once (abort) when the lease may have
	// ended, since another runner may own the task already.
	Release(id string, abort bool)
	// Halt stops the task, owned at epoch, as the user asked (desired status stopped):
	// drains an incremental run and marks the task Stopped.
	Halt(id string, epoch int64)
}

// Registration is the value of a runner's key under P/runners/.
type Registration struct {
	NodeID       string    `json:"node_id"`
	AdvertiseURL string    `json:"advertise_url,omitempty"`
	MaxTasks     int       `json:"max_tasks,omitempty"`
	StartedAt    time.Time `json:"started_at"`
}

// Config configures a Member.
type Config struct {
	Client *clientv3.Client
	// Prefix is the key prefix, the store's (--etcd-prefix).
	Prefix string
	// NodeID names this runner in the cluster; unique among the runners.
	NodeID       string
	AdvertiseURL string
	// MaxTasks is how many tasks this runner may own; 0 for no limit.
	MaxTasks int
	// TTL is the session lease's time to live: how long a lost runner keeps its tasks.
	TTL time.Duration
	// Store reads the tasks.
	Store  store.Store
	Runner Runner
	Log    *slog.Logger
	// OnOwnerChange is called after each task this runner claims (a change of owner); nil
	// for none.
	OnOwnerChange func(taskID string)
}

// Member is this runner's part in the cluster. Start it with Join; Leave hands its tasks
// over.
type Member struct {
	cfg Config
	log *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	// wake and schedWake, poked on every change under the watched prefixes, wake the
	// reconcile loop and the scheduling loop.
	wake, schedWake chan struct{}

	mu      sync.Mutex
	session *concurrency.Session
	owned   map[string]int64 // task id -> epoch
	halting map[string]bool
	leader  bool
}

// Join registers the runner, campaigns for the scheduler and starts claiming the tasks
// assigned to it. It returns once the runner is registered.
func Join(cfg Config) (*Member, error) {
	if cfg.TTL <= 0 {
		return nil, errors.New("the session TTL must be positive")
	}
	if cfg.NodeID == "" || strings.Contains(cfg.NodeID, "/") {
		return nil, fmt.Errorf("--node-id %q: give each runner a unique id without a slash", cfg.NodeID)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &Member{cfg: cfg, log: cfg.Log.With("node_id", cfg.NodeID), ctx: ctx, cancel: cancel,
		done: make(chan struct{}), wake: make(chan struct{}, 1), schedWake: make(chan struct{}, 1), owned: map[string]int64{}, halting: map[string]bool{}}
	s, err := m.register()
	if err != nil {
		cancel()
		return nil, err
	}
	go m.live(s)
	return m, nil
}

func (m *Member) k(parts ...string) string { return m.cfg.Prefix + "/" + strings.Join(parts, "/") }

// register creates a session and the runner's key under it; a key of the same node id under
// another live lease makes it fail (two runners with one --node-id).
func (m *Member) register() (*concurrency.Session, error) {
	s, err := concurrency.NewSession(m.cfg.Client, concurrency.WithTTL(ttlSeconds(m.cfg.TTL)), concurrency.WithContext(m.ctx))
	if err != nil {
		return nil, fmt.Errorf("creating the etcd session: %w", err)
	}
	reg, _ := json.Marshal(Registration{NodeID: m.cfg.NodeID, AdvertiseURL: m.cfg.AdvertiseURL, MaxTasks: m.cfg.MaxTasks, StartedAt: time.Now().UTC()})
	key := m.k("runners", m.cfg.NodeID)
	ctx, cancel := context.WithTimeout(m.ctx, m.cfg.TTL)
	defer cancel()
	resp, err := m.cfg.Client.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, string(reg), clientv3.WithLease(s.Lease()))).
		Commit()
	if err == nil && !resp.Succeeded {
		err = fmt.Errorf("another runner is registered as --node-id %s: give each runner its own id (or wait %s for a dead one's lease to end)", m.cfg.NodeID, m.cfg.TTL)
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("registering runner %s: %w", m.cfg.NodeID, err)
	}
	m.mu.Lock()
	m.session = s
	m.mu.Unlock()
	m.log.Info("runner registered in the cluster", "lease", fmt.Sprintf("%x", s.Lease()), "ttl", m.cfg.TTL)
	return s, nil
}

func ttlSeconds(d time.Duration) int {
	s := int((d + time.Second - 1) / time.Second)
	return max(s, 1)
}

// live runs the member: campaign, watch, reconcile, until Leave; a lost session cancels
// every owned task and starts over with a new one.
func (m *Member) live(s *concurrency.Session) {
	defer close(m.done)
	for {
		m.serve(s)
		// Leaving, the lease is still held: hand over gracefully. A lost session cancelled
		// every run at once already (serve's lose).
		m.abandonAll(m.ctx.Err() == nil)
		// The session's keepalive stops; its lease is revoked below once etcd answers.
		s.Orphan()
		if m.ctx.Err() != nil {
			return
		}
		m.log.Warn("etcd session ended: every task run cancelled; registering again")
		lost := s.Lease()
		for {
			// The lost lease may still live on the servers (a lease's TTL restarts when etcd
			// elects a leader after a loss of quorum): revoking it frees this runner's
			// registration and owner keys now rather than a TTL later.
			rctx, cancel := context.WithTimeout(m.ctx, time.Second)
			_, _ = m.cfg.Client.Revoke(rctx, lost)
			cancel()
			var err error
			if s, err = m.register(); err == nil {
				break
			}
			m.log.Warn("cannot register again", "error", err)
			select {
			case <-m.ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
	}
}

// serve runs with one session until it ends or the member leaves.
func (m *Member) serve(s *concurrency.Session) {
	ctx, cancel := context.WithCancel(m.ctx)
	defer cancel()
	// A session that ended, or a lease that may have ended, cancels every run at once, not
	// after the loops below notice (their etcd and store calls can take a while to time out).
	lose := sync.OnceFunc(func() {
		cancel()
		leaving := m.ctx.Err() != nil
		if !leaving {
			m.log.Warn("etcd session lost: cancelling every task run")
		}
		m.abandonAll(!leaving)
	})
	go func() {
		select {
		case <-s.Done():
			lose()
		case <-ctx.Done():
		}
	}()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { m.watchLease(ctx, s, lose) })
	wg.Go(func() { m.campaign(ctx, s) })
	for _, p := range []string{"runners", "assign", "owners", "tasks", "drain"} {
		wg.Go(func() {
			for range m.cfg.Client.Watch(clientv3.WithRequireLeader(ctx), m.k(p)+"/", clientv3.WithPrefix()) {
				m.poke()
			}
		})
	}
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.wake:
		case <-tick.C:
		}
		if err := m.reconcile(ctx, s); err != nil && ctx.Err() == nil {
			m.log.Warn("cannot reconcile task ownership", "error", err)
		}
	}
}

// watchLease calls lost once the session's lease may have ended on the servers: when no
// renewal sent in the last TTL was acknowledged. The session's own keepalive does not say so
// while etcd has no quorum (its channel stays open until a server answers again), and an
// owner that cannot renew must stop within the TTL, before another runner may own its
// tasks. The deadline counts from when an acknowledged renewal was sent, which is no later
// than when the servers restarted the lease's TTL.
func (m *Member) watchLease(ctx context.Context, s *concurrency.Session, lost func()) {
	ttl := m.cfg.TTL
	acks := make(chan time.Time, 1)
	go func() {
		tick := time.NewTicker(ttl / 4)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			sent := time.Now()
			kctx, cancel := context.WithTimeout(ctx, ttl/2)
			_, err := m.cfg.Client.KeepAliveOnce(kctx, s.Lease())
			cancel()
			if errors.Is(err, rpctypes.ErrLeaseNotFound) {
				m.log.Warn("the session's lease has ended on the etcd servers")
				lost()
				return
			}
			if err == nil {
				select {
				case <-acks:
				default:
				}
				acks <- sent
			}
		}
	}()
	deadline := time.NewTimer(ttl)
	defer deadline.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case sent := <-acks:
			deadline.Reset(time.Until(sent.Add(ttl)))
		case <-deadline.C:
			m.log.Warn("the session's lease was not renewed within its TTL (etcd unreachable or without quorum)", "ttl", ttl)
			lost()
			return
		}
	}
}

// poke wakes the reconcile loop and, on the leader, the scheduling loop.
func (m *Member) poke() {
	for _, c := range []chan struct{}{m.wake, m.schedWake} {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

// Leave hands the runner's tasks over: it stops claiming, cancels every owned run and waits
// for them, then ends its session, which deletes its registration and owner keys at once so
// the scheduler reassigns the tasks without waiting for the TTL.
func (m *Member) Leave() {
	m.cancel()
	<-m.done
	m.mu.Lock()
	s := m.session
	m.mu.Unlock()
	if s != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, _ = m.cfg.Client.Revoke(ctx, s.Lease())
	}
}
