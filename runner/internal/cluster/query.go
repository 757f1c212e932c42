// The cluster as the CLI and the API see it: runners, owners and drain marks, read from etcd
// by any runner for the API and for `adbmigrate-runner status nodes` and `drain`.

package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// NodeStatus is one runner of the cluster, for the nodes view.
type NodeStatus struct {
	Registration
	Leader   bool `json:"leader"`
	Tasks    int  `json:"tasks"`
	Draining bool `json:"draining"`
}

// SetDraining drains the runner nodeID (on) or undrains it: the scheduler moves a drained
// runner's tasks to the others (each released after its run lets go) and gives it none,
// until it is undrained; the mark holds across the runner's restarts. Draining a runner
// that is not registered is an error (a mistyped id).
func SetDraining(ctx context.Context, cli *clientv3.Client, prefix, nodeID string, on bool) error {
	key := prefix + "/drain/" + nodeID
	if !on {
		_, err := cli.Delete(ctx, key)
		return err
	}
	resp, err := cli.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(prefix+"/runners/"+nodeID), ">", 0)).
		Then(clientv3.OpPut(key, time.Now().UTC().Format(time.RFC3339))).
		Commit()
	if err != nil {
		return err
	}
	if !resp.Succeeded {
		return fmt.Errorf("%w: no runner is registered as --node-id %s (see adbmigrate-runner status nodes)", ErrUnknownNode, nodeID)
	}
	return nil
}

// ErrUnknownNode is returned by SetDraining for a node id no runner has.
var ErrUnknownNode = errors.New("unknown runner")

// Nodes lists the registered runners with how many tasks each owns, and which one is the
// elected scheduler.
func Nodes(ctx context.Context, cli *clientv3.Client, prefix string) ([]NodeStatus, error) {
	runners, err := cli.Get(ctx, prefix+"/runners/", clientv3.WithPrefix())
	if err != nil {
		return nil, err
	}
	owners, err := cli.Get(ctx, prefix+"/owners/", clientv3.WithPrefix())
	if err != nil {
		return nil, err
	}
	count := map[string]int{}
	for _, kv := range owners.Kvs {
		count[string(kv.Value)]++
	}
	leader := ""
	if resp, err := cli.Get(ctx, prefix+"/election/scheduler/", clientv3.WithFirstCreate()...); err == nil && len(resp.Kvs) == 1 {
		leader = string(resp.Kvs[0].Value)
	}
	drained, err := cli.Get(ctx, prefix+"/drain/", clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		return nil, err
	}
	draining := map[string]bool{}
	for _, kv := range drained.Kvs {
		draining[strings.TrimPrefix(string(kv.Key), prefix+"/drain/")] = true
	}
	out := []NodeStatus{}
	for _, kv := range runners.Kvs {
		var r Registration
		if err := json.Unmarshal(kv.Value, &r); err != nil {
			continue
		}
		out = append(out, NodeStatus{Registration: r, Leader: r.NodeID == leader, Tasks: count[r.NodeID], Draining: draining[r.NodeID]})
	}
	return out, nil
}

// Owner returns the owner of a task and its epoch; "" when no runner owns it.
func Owner(ctx context.Context, cli *clientv3.Client, prefix, taskID string) (string, int64, error) {
	resp, err := cli.Get(ctx, prefix+"/owners/"+taskID)
	if err != nil {
		return "", 0, err
	}
	if len(resp.Kvs) == 0 {
		return "", 0, nil
	}
	return string(resp.Kvs[0].Value), resp.Kvs[0].CreateRevision, nil
}
