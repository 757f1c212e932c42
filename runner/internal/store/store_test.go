package store

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

// The event log numbers events from 1, answers those after a number, keeps the newest
// maxEvents, and goes with its task.
func TestEventLog(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "runner.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.PutTask(api.Task{ID: "task-1"}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= maxEvents+5; i++ {
		if err := s.AddEvent("task-1", api.TaskEvent{Time: time.Now(), Type: api.EventRetry, Message: fmt.Sprint(i)}); err != nil {
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
	tail, err := s.Events("task-1", maxEvents+3)
	if err != nil || len(tail) != 2 || tail[0].Message != fmt.Sprint(maxEvents+4) {
		t.Fatalf("events after %d = %+v, %v", maxEvents+3, tail, err)
	}
	if err := s.DeleteTask("task-1"); err != nil {
		t.Fatal(err)
	}
	if left, err := s.Events("task-1", 0); err != nil || len(left) != 0 {
		t.Fatalf("a deleted task still has %d events (%v)", len(left), err)
	}
}

// Tasks get distinct replica server ids, in the upper half of the id space, even when their
// candidates collide.
func TestCreateTaskAllocatesDistinctServerIDs(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "runner.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	seen := map[uint32]bool{}
	for i := range 5 {
		task := api.Task{ID: fmt.Sprintf("task-%d", i)}
		if err := s.CreateTask(&task, 42); err != nil {
			t.Fatal(err)
		}
		stored, err := s.GetTask(task.ID)
		if err != nil {
			t.Fatal(err)
		}
		if stored.ServerID != task.ServerID || task.ServerID < 1<<31 || seen[task.ServerID] {
			t.Fatalf("task %d got server id %d (stored %d); ids so far %v", i, task.ServerID, stored.ServerID, seen)
		}
		seen[task.ServerID] = true
	}
}

// The sealing key is created once, with mode 0600, next to the store file, and read back
// the same after the store is opened again.
func TestSealingKeyIsKept(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Path(dir))
	if err != nil {
		t.Fatal(err)
	}
	first, err := s.SealingKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, "store.key"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file has mode %v, want 0600", fi.Mode().Perm())
	}
	s, err = Open(Path(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	again, err := s.SealingKey()
	if err != nil || !bytes.Equal(first, again) || len(first) != 32 {
		t.Fatalf("key after reopening = %x (%v), want the first one %x", again, err, first)
	}
}
