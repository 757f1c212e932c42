package main

// Cluster mode: the flags, the etcd client, the etcd store and the cluster membership.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/cluster"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/scheduler"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/secret"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/store"
)

// clusterFlags are the flags of cluster mode; endpoints empty means single mode.
type clusterFlags struct {
	endpoints, prefix, nodeID, advertiseURL string
	secretKeyFile                           string
	caFile, certFile, keyFile               string
	peerCAFile                              string
	ttl                                     time.Duration
	maxTasks                                int
}

func (c *clusterFlags) register(fs *flag.FlagSet) {
	host, _ := os.Hostname()
	fs.StringVar(&c.endpoints, "etcd-endpoints", "", "cluster mode: comma-separated etcd client endpoints (host:port or URL); task state then lives in etcd, shared by every runner of the cluster")
	fs.StringVar(&c.prefix, "etcd-prefix", "/adbmigrate", "cluster mode: the key prefix of the cluster's keys in etcd; runners with the same prefix form one cluster")
	fs.StringVar(&c.nodeID, "node-id", host, "cluster mode: this runner's id, unique in the cluster (default: the host name)")
	fs.StringVar(&c.advertiseURL, "advertise-url", "", "cluster mode: the API URL other runners and tools reach this runner at (shown in the nodes view)")
	fs.StringVar(&c.secretKeyFile, "secret-key-file", "", "cluster mode: file of 32 random bytes sealing connection passwords, the same on every runner (create one with: head -c 32 /dev/urandom > FILE; chmod 600 FILE)")
	fs.StringVar(&c.caFile, "etcd-ca-file", "", "cluster mode: PEM CA bundle to verify etcd's TLS certificates with (turns on TLS to etcd)")
	fs.StringVar(&c.certFile, "etcd-cert-file", "", "cluster mode: PEM client certificate for etcd (with --etcd-key-file)")
	fs.StringVar(&c.keyFile, "etcd-key-file", "", "cluster mode: PEM private key of --etcd-cert-file")
	fs.StringVar(&c.peerCAFile, "peer-ca-file", "", "cluster mode: PEM CA bundle to verify the other runners' HTTPS --advertise-url certificates with, when live operations are forwarded to a task's owner (default: the system's roots)")
	fs.DurationVar(&c.ttl, "session-ttl", 5*time.Second, "cluster mode: the runner's etcd session TTL: how soon a lost runner's tasks move to another runner (whole seconds, at least 1s)")
	fs.IntVar(&c.maxTasks, "max-tasks", 0, "cluster mode: how many tasks this runner may own (0: no limit)")
}

// check validates the flags of cluster mode; set without --etcd-endpoints, they are an
// error.
func (c *clusterFlags) check() error {
	if c.endpoints == "" {
		if c.secretKeyFile != "" || c.caFile != "" || c.certFile != "" || c.keyFile != "" || c.peerCAFile != "" || c.maxTasks != 0 {
			return errors.New("--secret-key-file, --etcd-*-file, --peer-ca-file and --max-tasks belong to cluster mode: add --etcd-endpoints, or drop them for a single runner")
		}
		return nil
	}
	switch {
	case c.secretKeyFile == "":
		return errors.New("cluster mode needs --secret-key-file: every runner seals and opens connection passwords with the same key (create one with: head -c 32 /dev/urandom > FILE; chmod 600 FILE, and copy it to each runner)")
	case c.nodeID == "" || strings.Contains(c.nodeID, "/"):
		return fmt.Errorf("--node-id %q: give each runner a unique id without a slash", c.nodeID)
	case !strings.HasPrefix(c.prefix, "/") || strings.HasSuffix(c.prefix, "/"):
		return fmt.Errorf("--etcd-prefix %q must start with a slash and not end with one, like /adbmigrate", c.prefix)
	case c.ttl < time.Second || c.ttl%time.Second != 0:
		return fmt.Errorf("--session-ttl %s: etcd leases count whole seconds; give at least 1s, like 5s", c.ttl)
	case c.maxTasks < 0:
		return fmt.Errorf("--max-tasks %d must be 0 (no limit) or more", c.maxTasks)
	case (c.certFile == "") != (c.keyFile == ""):
		return errors.New("--etcd-cert-file and --etcd-key-file go together")
	}
	return nil
}

// endpointList turns --etcd-endpoints into URLs; host:port becomes http:// or, with TLS
// options, https://.
func (c *clusterFlags) endpointList() []string {
	scheme := "http://"
	if c.caFile != "" || c.certFile != "" {
		scheme = "https://"
	}
	var out []string
	for _, e := range strings.Split(c.endpoints, ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if !strings.Contains(e, "://") {
			e = scheme + e
		}
		out = append(out, e)
	}
	return out
}

func (c *clusterFlags) tlsConfig() (*tls.Config, error) {
	if c.caFile == "" && c.certFile == "" {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.caFile != "" {
		pem, err := os.ReadFile(c.caFile)
		if err != nil {
			return nil, fmt.Errorf("--etcd-ca-file: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--etcd-ca-file %s holds no PEM certificate", c.caFile)
		}
	}
	if c.certFile != "" {
		cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
		if err != nil {
			return nil, fmt.Errorf("loading --etcd-cert-file %s and --etcd-key-file %s: %w", c.certFile, c.keyFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// clusterRuntime is what cluster mode runs on: the etcd client, the store in it, and the
// membership once joined.
type clusterRuntime struct {
	flags  clusterFlags
	client *clientv3.Client
	store  *store.Etcd
	member *cluster.Member
	// ownerChanges counts the tasks this runner claimed.
	ownerChanges atomic.Int64
}

// open connects to etcd and opens the store; it reads the sealing key from
// --secret-key-file, which must exist.
func (c *clusterFlags) open(log *slog.Logger) (*clusterRuntime, error) {
	key, err := os.ReadFile(c.secretKeyFile)
	if err != nil {
		return nil, fmt.Errorf("reading --secret-key-file (create it once with: head -c 32 /dev/urandom > FILE; chmod 600 FILE, and copy it to every runner): %w", err)
	}
	if _, err := secret.New(key); err != nil {
		return nil, fmt.Errorf("--secret-key-file %s: %w", c.secretKeyFile, err)
	}
	tlsCfg, err := c.tlsConfig()
	if err != nil {
		return nil, err
	}
	// The client must not set RejectOldCluster: Debian's etcd is 3.4.
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:            c.endpointList(),
		DialTimeout:          5 * time.Second,
		DialKeepAliveTime:    c.ttl,
		DialKeepAliveTimeout: c.ttl,
		TLS:                  tlsCfg,
		Logger:               zap.NewNop(),
	})
	if err != nil {
		return nil, fmt.Errorf("connecting to etcd at %s: %w", c.endpoints, err)
	}
	st, err := store.OpenEtcd(cli, store.EtcdOptions{Prefix: c.prefix, Key: key, Timeout: 2 * c.ttl})
	if err != nil {
		cli.Close()
		return nil, err
	}
	log.Info("cluster mode", "etcd_endpoints", c.endpointList(), "etcd_prefix", c.prefix, "node_id", c.nodeID, "session_ttl", c.ttl, "max_tasks", c.maxTasks)
	return &clusterRuntime{flags: *c, client: cli, store: st}, nil
}

var (
	descOwnerChanges = prometheus.NewDesc("adbmigrate_task_owner_changes_total",
		"Tasks this runner has taken over (claimed as their new owner) since it started.", []string{"node_id"}, nil)
	descNodeTasks = prometheus.NewDesc("adbmigrate_runner_tasks",
		"Tasks each runner of the cluster owns, as etcd says at the scrape.", []string{"node_id"}, nil)
)

// Describe and Collect make the runtime a prometheus.Collector of the cluster's metrics.
func (r *clusterRuntime) Describe(ch chan<- *prometheus.Desc) {
	ch <- descOwnerChanges
	ch <- descNodeTasks
}

func (r *clusterRuntime) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(descOwnerChanges, prometheus.CounterValue, float64(r.ownerChanges.Load()), r.flags.nodeID)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	nodes, err := r.nodes(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(descNodeTasks, err)
		return
	}
	for _, n := range nodes {
		ch <- prometheus.MustNewConstMetric(descNodeTasks, prometheus.GaugeValue, float64(n.Tasks), n.NodeID)
	}
}

// join registers the runner and starts taking tasks.
func (r *clusterRuntime) join(sched *scheduler.Scheduler, log *slog.Logger) error {
	m, err := cluster.Join(cluster.Config{
		Client: r.client, Prefix: r.flags.prefix, NodeID: r.flags.nodeID, AdvertiseURL: r.flags.advertiseURL,
		MaxTasks: r.flags.maxTasks, TTL: r.flags.ttl, Store: r.store, Runner: sched, Log: log,
		OnOwnerChange: func(string) { r.ownerChanges.Add(1) },
	})
	if err != nil {
		return err
	}
	r.member = m
	return nil
}

// leave hands the runner's tasks over (cluster.Member.Leave).
func (r *clusterRuntime) leave() {
	if r.member != nil {
		r.member.Leave()
		r.member = nil
	}
}

// owner finds the runner that owns a task: this one (mine), or the advertised URL of
// another; "" when no runner owns it now or its owner advertises no URL.
func (r *clusterRuntime) owner(ctx context.Context, taskID string) (string, bool, error) {
	node, _, err := cluster.Owner(ctx, r.client, r.flags.prefix, taskID)
	if err != nil {
		return "", false, fmt.Errorf("reading the owner of task %s from etcd: %w", taskID, err)
	}
	if node == r.flags.nodeID {
		return "", true, nil
	}
	nodes, err := cluster.Nodes(ctx, r.client, r.flags.prefix)
	if err != nil {
		return "", false, fmt.Errorf("reading the cluster's runners from etcd: %w", err)
	}
	for _, n := range nodes {
		if n.NodeID == node {
			return n.AdvertiseURL, false, nil
		}
	}
	return "", false, nil
}

// nodes lists the cluster's runners for GET /v1/nodes.
func (r *clusterRuntime) nodes(ctx context.Context) ([]api.Node, error) {
	ns, err := cluster.Nodes(ctx, r.client, r.flags.prefix)
	if err != nil {
		return nil, fmt.Errorf("reading the cluster's runners from etcd: %w", err)
	}
	out := make([]api.Node, 0, len(ns))
	for _, n := range ns {
		out = append(out, api.Node{NodeID: n.NodeID, AdvertiseURL: n.AdvertiseURL, MaxTasks: n.MaxTasks, StartedAt: n.StartedAt, Leader: n.Leader, Tasks: n.Tasks, Draining: n.Draining})
	}
	return out, nil
}

// peerClient is the HTTP client that forwards live operations to other runners: it trusts
// --peer-ca-file, else the system's roots.
func (c *clusterFlags) peerClient() (*http.Client, error) {
	return httpClientTrusting(c.peerCAFile, "--peer-ca-file", 30*time.Second)
}

// drain drains or undrains a runner of the cluster (cluster.SetDraining).
func (r *clusterRuntime) drain(ctx context.Context, nodeID string, on bool) error {
	err := cluster.SetDraining(ctx, r.client, r.flags.prefix, nodeID, on)
	if errors.Is(err, cluster.ErrUnknownNode) {
		return fmt.Errorf("%w: %w", store.ErrNotFound, err)
	}
	return err
}

func (r *clusterRuntime) close() {
	r.leave()
	r.client.Close()
}
