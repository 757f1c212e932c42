package store

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/etcdtest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

// The etcd store keeps connections, tasks and events as the bbolt one does: the event log
// is numbered from 1, trimmed to the newest maxEvents and goes with its task; server ids
// are distinct; a second runner on the same prefix sees the first one's writes.
func TestEtcdStore(t *testing.T) {
	c := etcdtest.Start(t, 1)
	s, err := OpenEtcd(c.Client(), EtcdOptions{Prefix: "/t1", Key: testKey(1)})
	if err != nil {
		t.Fatal(err)
	}
	other, err := OpenEtcd(c.Client(), EtcdOptions{Prefix: "/t1", Key: testKey(1)})
	if err != nil {
		t.Fatal(err)
	}

	if err := s.PutConnection(Connection{Connection: api.Connection{ID: "conn-1", ConnectionSpec: api.ConnectionSpec{Host: "db1"}}, SealedPassword: []byte{1, 2, 3}}); err != nil {
		t.Fatal(err)
	}
	got, err := other.GetConnection("conn-1")
	if err != nil || got.Host != "db1" || !bytes.Equal(got.SealedPassword, []byte{1, 2, 3}) {
		t.Fatalf("connection read by the other runner = %+v, %v", got, err)
	}
	if _, err := other.GetConnection("conn-2"); err != ErrNotFound {
		t.Fatalf("missing connection: %v, want ErrNotFound", err)
	}
	if err := other.DeleteConnection("conn-1"); err != nil {
		t.Fatal(err)
	}
	if list, err := s.ListConnections(); err != nil || len(list) != 0 {
		t.Fatalf("connections after delete = %+v, %v", list, err)
	}

	seen := map[uint32]bool{}
	for i := range 5 {
		task := api.Task{ID: fmt.Sprintf("task-%d", i)}
		if err := []*Etcd{s, other}[i%2].CreateTask(&task, 42); err != nil {
			t.Fatal(err)
		}
		if task.ServerID < 1<<31 || seen[task.ServerID] {
			t.Fatalf("task %d got server id %d; ids so far %v", i, task.ServerID, seen)
		}
		seen[task.ServerID] = true
	}
	if err := s.CreateTask(&api.Task{ID: "task-0"}, 7); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("creating task-0 again: %v, want an error saying it exists", err)
	}
	if list, err := other.ListTasks(); err != nil || len(list) != 5 || list[0].ID != "task-0" || list[4].ID != "task-4" {
		t.Fatalf("tasks = %+v, %v", list, err)
	}

	for i := 1; i <= maxEvents+5; i++ {
		if err := []*Etcd{s, other}[i%2].AddEvent("task-1", api.TaskEvent{Time: time.Now(), Type: api.EventRetry, Message: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.Events("task-1", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != maxEvents || all[0].Seq != 6 || all[0].Message != "6" || all[len(all)-1].Seq != maxEvents+5 {
		t.Fatalf("kept %d events, %d..%d; want the newest %d, 6..%d", len(all), all[0].Seq, all[len(all)-1].Seq, maxEvents, maxEvents+5)
	}
	tail, err := other.Events("task-1", maxEvents+3)
	if err != nil || len(tail) != 2 || tail[0].Message != fmt.Sprint(maxEvents+4) {
		t.Fatalf("events after %d = %+v, %v", maxEvents+3, tail, err)
	}
	if err := s.DeleteTask("task-1"); err != nil {
		t.Fatal(err)
	}
	if left, err := other.Events("task-1", 0); err != nil || len(left) != 0 {
		t.Fatalf("a deleted task still has %d events (%v)", len(left), err)
	}
	if _, err := other.GetTask("task-1"); err != ErrNotFound {
		t.Fatalf("deleted task: %v, want ErrNotFound", err)
	}
	if err := other.DeleteTask("task-1"); err != ErrNotFound {
		t.Fatalf("deleting a deleted task: %v, want ErrNotFound", err)
	}
}

// Concurrent UpdateTask calls from two runners lose no update: each read-modify-write
// either commits on the revision it read or runs again.
func TestEtcdUpdateTaskFromTwoRunners(t *testing.T) {
	c := etcdtest.Start(t, 1)
	a, err := OpenEtcd(c.Client(), EtcdOptions{Prefix: "/t2", Key: testKey(1)})
	if err != nil {
		t.Fatal(err)
	}
	b, err := OpenEtcd(c.Client(), EtcdOptions{Prefix: "/t2", Key: testKey(1)})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.PutTask(api.Task{ID: "task-1"}); err != nil {
		t.Fatal(err)
	}
	const each = 40
	var wg sync.WaitGroup
	for _, s := range []*Etcd{a, b, a, b} {
		wg.Go(func() {
			for range each {
				if _, err := s.UpdateTask("task-1", func(t *api.Task) { t.State.RowsMigrated++ }); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	got, err := b.GetTask("task-1")
	if err != nil || got.State.RowsMigrated != 4*each {
		t.Fatalf("after %d increments the task counts %d (%v)", 4*each, got.State.RowsMigrated, err)
	}
	if _, err := a.UpdateTask("task-9", func(*api.Task) { t.Fatal("fn called for a missing task") }); err != ErrNotFound {
		t.Fatalf("updating a missing task: %v, want ErrNotFound", err)
	}
}

// A runner whose --secret-key-file differs from the cluster's is refused at open, saying
// what to do; the same key is accepted and returned as the sealing key.
func TestEtcdStoreRefusesAnotherKey(t *testing.T) {
	c := etcdtest.Start(t, 1)
	if _, err := OpenEtcd(c.Client(), EtcdOptions{Prefix: "/t3", Key: testKey(1)}); err != nil {
		t.Fatal(err)
	}
	_, err := OpenEtcd(c.Client(), EtcdOptions{Prefix: "/t3", Key: testKey(2)})
	if err == nil || !strings.Contains(err.Error(), "--secret-key-file") {
		t.Fatalf("opening with another key: %v, want an error naming --secret-key-file", err)
	}
	s, err := OpenEtcd(c.Client(), EtcdOptions{Prefix: "/t3", Key: testKey(1)})
	if err != nil {
		t.Fatal(err)
	}
	if k, err := s.SealingKey(); err != nil || !bytes.Equal(k, testKey(1)) {
		t.Fatalf("sealing key = %x, %v", k, err)
	}
	// Another prefix is another cluster, with a key of its own.
	if _, err := OpenEtcd(c.Client(), EtcdOptions{Prefix: "/t4", Key: testKey(2)}); err != nil {
		t.Fatal(err)
	}
}
