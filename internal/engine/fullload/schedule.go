// Scheduling: which chunk of which table a worker copies next, and how many tables are open.

package fullload

import (
	"context"
	"slices"
	"sync"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/checkpoint"
)

// planAhead bounds how many tables Run plans ahead of the copy, and so the plans it holds.
const planAhead = 64

// work is a chunk to copy, or with indexes set the deferred indexes of a copied table to
// add back.
type work struct {
	job     int
	chunk   checkpoint.Chunk
	indexes bool
}

// openTable is a planned table whose chunks Run's dispatcher hands out.
type openTable struct {
	job    int
	chunks []checkpoint.Chunk // not done yet, in order
	next   int                // the next chunk to hand out
	// running counts the chunks handed out and not finished.
	running int
}

// dispatcher decides, in Run, which work starts next. It is used by one goroutine.
type dispatcher struct {
	limits limits
	open   []*openTable // planned tables with chunks not finished, in job order
	// copied holds the tables whose chunks are all copied, by this run or an earlier one,
	// and whose deferred indexes are to be added back. That comes before any chunk: the
	// table's pages are still in the destination's buffer pool, and the build overlaps the
	// other tables' copy.
	copied []int
	// loading counts the chunks under way of tables of limits.loads, building the
	// tables whose indexes are being added back. A build does not count as a load: it
	// waits on the disk for much of its time (a 1,000,000-row sysbench table is about the
	// size of the test servers' buffer pool), which loads fill.
	loading, building int
}

// pick returns the work to start next and the open table of its chunk (nil for indexes);
// ok is false when nothing may start now: a copied table's indexes, else the first chunk of
// the first open table within the limits.
func (d *dispatcher) pick() (it work, from *openTable, ok bool) {
	if len(d.copied) > 0 {
		return work{job: d.copied[0], indexes: true}, nil, true
	}
	for _, t := range d.open {
		if t.next < len(t.chunks) && t.running < d.limits.perTable[t.job] && d.mayLoad(t.job) {
			return work{job: t.job, chunk: t.chunks[t.next]}, t, true
		}
	}
	return work{}, nil, false
}

func (d *dispatcher) mayLoad(job int) bool {
	return !d.limits.loads[job] || d.loading < d.limits.maxLoads
}

// pending counts the open tables with chunks not handed out yet.
func (d *dispatcher) pending() int {
	n := 0
	for _, t := range d.open {
		if t.next < len(t.chunks) {
			n++
		}
	}
	return n
}

// idle reports whether no work is under way or waiting for a table planned so far.
func (d *dispatcher) idle() bool {
	return len(d.open) == 0 && len(d.copied) == 0 && d.loading == 0 && d.building == 0
}

// started records that it, from table from, was handed out; it reports whether that was
// the table's last chunk.
func (d *dispatcher) started(it work, from *openTable) bool {
	if it.indexes {
		d.copied = d.copied[1:]
		d.building++
		return false
	}
	if d.limits.loads[it.job] {
		d.loading++
	}
	from.next++
	from.running++
	return from.next == len(from.chunks)
}

// finished records that a work item of job ended; it reports whether that was the last
// chunk of the table.
func (d *dispatcher) finished(job int) bool {
	for k, t := range d.open {
		if t.job == job {
			if d.limits.loads[job] {
				d.loading--
			}
			t.running--
			if t.running == 0 && t.next == len(t.chunks) {
				d.open = slices.Delete(d.open, k, k+1)
				return true
			}
			return false
		}
	}
	d.building-- // the table's indexes
	return false
}

// forEach calls f(0) to f(n-1), workers calls at a time, and returns the first error; after
// an error no further call starts.
func forEach(ctx context.Context, n, workers int, f func(int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Go(func() {
			for i := range next {
				if err := f(i); err != nil {
					cancel(err)
				}
			}
		})
	}
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(next)
	wg.Wait()
	return context.Cause(ctx)
}
