package cluster

import (
	"cmp"
	"slices"
)

// Node is a live runner as the scheduler sees it: its id, how many tasks it may own (0: no
// limit), and whether it is drained (it may own none).
type Node struct {
	ID       string
	MaxTasks int
	Draining bool
}

// Assign decides which node owns each task. tasks are the ids of the tasks that need an
// owner; prev maps a task to the node that owned or was assigned it last (a node that is
// gone is ignored). The result maps every task that could be placed to a live node:
//
//   - a task stays on its previous node while that node holds less than an even share
//     (the task count over the node count, rounded down) and is under its capacity;
//   - every other task goes to the least loaded node with room, its previous node on a
//     tie, else the lowest node id; so no node ends with more than the share rounded up;
//   - a task no node has room for is left out (unassigned until capacity frees up);
//   - a draining node takes no task and keeps none: its tasks go to the others.
//
// Assign is deterministic: the same input gives the same output.
func Assign(tasks []string, prev map[string]string, nodes []Node) map[string]string {
	out := map[string]string{}
	if len(nodes) == 0 {
		return out
	}
	tasks = slices.Sorted(slices.Values(tasks))
	nodes = slices.DeleteFunc(slices.Clone(nodes), func(n Node) bool { return n.Draining })
	if len(nodes) == 0 {
		return out
	}
	nodes = slices.SortedFunc(slices.Values(nodes), func(a, b Node) int { return cmp.Compare(a.ID, b.ID) })
	share := len(tasks) / len(nodes)
	limit := map[string]int{}
	for _, n := range nodes {
		limit[n.ID] = share
		if n.MaxTasks > 0 && n.MaxTasks < share {
			limit[n.ID] = n.MaxTasks
		}
	}
	load := map[string]int{}
	var rest []string
	for _, t := range tasks {
		p, ok := prev[t]
		if _, live := limit[p]; ok && live && load[p] < limit[p] {
			out[t] = p
			load[p]++
			continue
		}
		rest = append(rest, t)
	}
	for _, t := range rest {
		best := ""
		for _, n := range nodes {
			if n.MaxTasks > 0 && load[n.ID] >= n.MaxTasks {
				continue
			}
			if best == "" || load[n.ID] < load[best] || (load[n.ID] == load[best] && n.ID == prev[t]) {
				best = n.ID
			}
		}
		if best == "" {
			continue
		}
		out[t] = best
		load[best]++
	}
	return out
}
