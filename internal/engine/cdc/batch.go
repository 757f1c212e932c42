package cdc

import (
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/checkpoint"
)

// The batch stage: the changes of complete source transactions gather into a batch, which
// is filtered (the where filters, evaluated by the destination), coalesced to the last
// change of each row, and split by row key among the apply workers.

// pendingBatch holds the changes of complete source transactions not yet committed.
type pendingBatch struct {
	changes []change
	// rows counts the changes as decoded, before the where filters: it decides when the
	// batch is full.
	rows  int
	since time.Time
	pos   checkpoint.Applied
	has   bool
	first int64 // source time (unix seconds) of its first transaction
}

func (p *pendingBatch) empty() bool { return !p.has }

// filtered returns changes with every where filter decided: keep[i] is the verdict on
// changes[i] when it carries an image (see change.image). A kept change loses its image and
// gains its etl outputs; a rejected one is dropped or becomes a delete.
func filtered(changes []change, keep []bool) ([]change, error) {
	out := changes[:0]
	for i, c := range changes {
		if c.image == nil {
			out = append(out, c)
			continue
		}
		if !keep[i] {
			if d, ok := c.rejectedBy(); ok {
				out = append(out, d)
			}
			continue
		}
		if c.etlIn != nil {
			var err error
			if c.values, err = c.plan.etlOutputs(c.values, c.etlIn); err != nil {
				return nil, err
			}
		}
		c.image, c.etlIn, c.orDelete = nil, nil, false
		out = append(out, c)
	}
	return out, nil
}

// coalesce reduces a batch to the last change of each row, and orders them deletes first,
// table by table, so that they go out as a few multi-row statements. Every change carries
// the row's whole image (or its deletion), so the last one alone leaves the row as the
// source has it, and changes to different rows commute, unless a table has another UNIQUE
// key: then one row's change may depend on another's, and the batch keeps its order.
//
// Tables come in the order of their destination names (in the order first seen for equal
// names); within a table, deletes and then upserts, each in batch order. The changes are
// gathered per table in one pass rather than sorted: a batch holds few tables.
func coalesce(changes []change) []change {
	for _, c := range changes {
		if c.table().OrderSensitive {
			return changes
		}
	}
	type rowKey struct {
		t   *Table
		key string
	}
	last := make(map[rowKey]int, len(changes))
	for i, c := range changes {
		last[rowKey{c.table(), c.key}] = i
	}
	type group struct {
		t                *Table
		deletes, upserts []int
	}
	var groups []*group
	var g *group
	for i, c := range changes {
		if last[rowKey{c.table(), c.key}] != i {
			continue
		}
		if g == nil || g.t != c.table() {
			k := slices.IndexFunc(groups, func(x *group) bool { return x.t == c.table() })
			if k < 0 {
				groups = append(groups, &group{t: c.table()})
				k = len(groups) - 1
			}
			g = groups[k]
		}
		if c.delete {
			g.deletes = append(g.deletes, i)
		} else {
			g.upserts = append(g.upserts, i)
		}
	}
	slices.SortStableFunc(groups, func(x, y *group) int {
		if c := strings.Compare(x.t.DestDatabase, y.t.DestDatabase); c != 0 {
			return c
		}
		return strings.Compare(x.t.DestTable, y.t.DestTable)
	})
	out := make([]change, 0, len(last))
	for _, g := range groups {
		for _, i := range g.deletes {
			out = append(out, changes[i])
		}
		for _, i := range g.upserts {
			out = append(out, changes[i])
		}
	}
	return out
}

// parallelMin is the fewest changes a batch needs to be applied by the workers in parallel;
// a smaller one goes out in one transaction.
const parallelMin = 256

// split divides a coalesced batch among n workers. Changes to different rows commute, so
// a large batch is split by row key, a row's changes always going to the same worker in
// order, and each worker commits its share in its own transaction with its own position.
// A small batch, or one with order-sensitive tables, is ordered: all of it is parts[0], one
// transaction that records every worker's position.
//
// done is, after a restart, each worker's committed position (nil otherwise): a change at
// or before its worker's position is left out, as that worker committed it already.
func split(changes []change, n int, done []checkpoint.Applied) (parts [][]change, ordered bool) {
	parts = make([][]change, n)
	ordered = len(changes) < parallelMin || n == 1
	for _, c := range changes {
		ordered = ordered || c.table().OrderSensitive
	}
	for _, c := range changes {
		w := 0
		if !ordered || done != nil {
			w = worker(c, n)
		}
		if done != nil && done[w].Compare(c.end.Location) >= 0 {
			continue
		}
		if ordered {
			w = 0
		}
		parts[w] = append(parts[w], c)
	}
	return parts, ordered
}

// worker is the worker that applies the changes of c's row, out of n.
func worker(c change, n int) int {
	t := c.table()
	h := fnv.New32a()
	h.Write([]byte(t.DestDatabase + "." + t.DestTable + "\x00" + c.key))
	return int(h.Sum32() % uint32(n))
}
