package cluster

import (
	"fmt"
	"testing"
)

func taskIDs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("task-%02d", i)
	}
	return out
}

func loads(plan map[string]string) map[string]int {
	out := map[string]int{}
	for _, n := range plan {
		out[n]++
	}
	return out
}

// 60 tasks over 3 runners: each gets 20, none above 22, every task placed.
func TestAssignSpreadsEvenly(t *testing.T) {
	nodes := []Node{{ID: "r1"}, {ID: "r2"}, {ID: "r3"}}
	plan := Assign(taskIDs(60), nil, nodes)
	if len(plan) != 60 {
		t.Fatalf("placed %d of 60 tasks", len(plan))
	}
	for n, l := range loads(plan) {
		if l > 22 {
			t.Errorf("runner %s got %d tasks, more than 22", n, l)
		}
	}
	t.Logf("loads %v", loads(plan))
}

// Tasks stay with their previous runner while it is alive and within an even share; a dead
// runner's tasks go to the least loaded live ones.
func TestAssignPrefersPreviousOwner(t *testing.T) {
	tasks := taskIDs(9)
	prev := map[string]string{}
	for i, id := range tasks {
		prev[id] = []string{"r1", "r2", "r3"}[i%3]
	}
	plan := Assign(tasks, prev, []Node{{ID: "r1"}, {ID: "r2"}, {ID: "r3"}})
	for id, n := range plan {
		if prev[id] != n {
			t.Errorf("task %s moved from %s to %s with every runner alive", id, prev[id], n)
		}
	}
	// r2 died: its three tasks spread over r1 and r3; the others stay.
	plan = Assign(tasks, prev, []Node{{ID: "r1"}, {ID: "r3"}})
	if len(plan) != 9 {
		t.Fatalf("placed %d of 9 tasks", len(plan))
	}
	for id, n := range plan {
		if prev[id] != "r2" && prev[id] != n {
			t.Errorf("task %s of live runner %s moved to %s", id, prev[id], n)
		}
		if n == "r2" {
			t.Errorf("task %s assigned to dead runner r2", id)
		}
	}
	if l := loads(plan); l["r1"] > 5 || l["r3"] > 5 {
		t.Errorf("loads %v: want at most 5 each", l)
	}
	// A new runner takes tasks beyond the others' even share.
	plan = Assign(tasks, prev, []Node{{ID: "r1"}, {ID: "r2"}, {ID: "r3"}, {ID: "r4"}})
	if l := loads(plan); l["r4"] == 0 || l["r1"] > 3 || l["r2"] > 3 || l["r3"] > 3 {
		t.Errorf("loads with a fourth runner %v: want it to get tasks and none above 3", l)
	}
}

// --max-tasks caps a runner; tasks no runner has room for stay unassigned.
func TestAssignRespectsCapacity(t *testing.T) {
	plan := Assign(taskIDs(10), nil, []Node{{ID: "r1", MaxTasks: 2}, {ID: "r2", MaxTasks: 3}})
	l := loads(plan)
	if l["r1"] != 2 || l["r2"] != 3 || len(plan) != 5 {
		t.Fatalf("loads %v, %d placed; want r1 2, r2 3, 5 placed", l, len(plan))
	}
	if got := Assign(taskIDs(3), nil, nil); len(got) != 0 {
		t.Fatalf("with no runner: %v", got)
	}
}

// A draining runner keeps none of its tasks and gets none; the others keep theirs. With
// every runner draining nothing is placed.
func TestAssignDrainsARunner(t *testing.T) {
	nodes := []Node{{ID: "r1"}, {ID: "r2"}, {ID: "r3"}}
	before := Assign(taskIDs(30), nil, nodes)
	nodes[1].Draining = true
	after := Assign(taskIDs(30), before, nodes)
	if len(after) != 30 {
		t.Fatalf("placed %d of 30 tasks", len(after))
	}
	for id, n := range after {
		if n == "r2" {
			t.Errorf("task %s stays on the draining runner", id)
		}
		if before[id] != "r2" && before[id] != n {
			t.Errorf("task %s moved from %s to %s: only the drained runner's tasks move", id, before[id], n)
		}
	}
	if l := loads(after); l["r1"] != 15 || l["r3"] != 15 {
		t.Errorf("loads after draining r2: %v, want 15 and 15", l)
	}
	if got := Assign(taskIDs(3), nil, []Node{{ID: "r1", Draining: true}}); len(got) != 0 {
		t.Errorf("a cluster of draining runners placed %v", got)
	}
}
