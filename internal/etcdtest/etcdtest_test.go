package etcdtest

import (
	"context"
	"testing"
	"time"
)

// A three-member cluster answers, keeps answering with its leader killed, and takes the
// member back on its data directory.
func TestClusterSurvivesLeaderKill(t *testing.T) {
	c := Start(t, 3)
	cli := c.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := cli.Put(ctx, "k", "v1"); err != nil {
		t.Fatal(err)
	}
	leader := c.Leader()
	c.Kill(leader)
	// A write during the election may time out on the server; the remaining two members
	// elect a leader within a few election timeouts and take it.
	var err error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if _, err = cli.Put(ctx, "k", "v2"); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("put with the leader (member %d) killed, for 10 s: %v", leader, err)
	}
	if next := c.Leader(); next == leader {
		t.Fatalf("killed member %d is still reported as leader", leader)
	}
	c.Restart(leader)
	resp, err := cli.Get(ctx, "k")
	if err != nil || len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "v2" {
		t.Fatalf("get k = %+v, %v", resp, err)
	}
}
