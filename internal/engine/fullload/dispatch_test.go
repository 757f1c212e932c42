package fullload

import (
	"testing"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/checkpoint"
)

// The dispatcher, driven as Run drives it with four copiers, keeps each table within its
// chunk limit and the big tables within the load bound, adds a copied table's indexes back
// before further chunks, and hands out every chunk exactly once.
func TestDispatcherLimits(t *testing.T) {
	const workers = 4
	// Job 0: big, AUTO_INCREMENT (one chunk at a time), indexes deferred. Job 1: big.
	// Job 2: big. Job 3: small, so not bounded by the loads.
	l := limits{perTable: []int{1, workers, workers, workers}, loads: []bool{true, true, true, false}, maxLoads: 2}
	chunks := []int{3, 4, 2, 5}
	deferred := []bool{true, false, false, false}
	d := dispatcher{limits: l}
	for job, n := range chunks {
		d.open = append(d.open, &openTable{job: job, chunks: make([]checkpoint.Chunk, n)})
	}
	handed := make([]int, len(chunks))
	var running []work // oldest first
	indexesAt := -1    // the step at which job 0's indexes were handed out
	for step := 0; !d.idle(); step++ {
		if step > 100 {
			t.Fatal("the dispatcher did not finish within 100 steps")
		}
		// Start what may start, up to the copiers free.
		for len(running) < workers {
			it, from, ok := d.pick()
			if !ok {
				break
			}
			d.started(it, from)
			running = append(running, it)
			if it.indexes {
				indexesAt = step
				if it.job != 0 {
					t.Fatalf("step %d: indexes of job %d, which deferred none", step, it.job)
				}
				continue
			}
			handed[it.job]++
		}
		perTable := make([]int, len(chunks))
		loads := 0
		for _, it := range running {
			if it.indexes {
				continue
			}
			perTable[it.job]++
			if l.loads[it.job] {
				loads++
			}
		}
		for job, n := range perTable {
			if n > l.perTable[job] {
				t.Fatalf("step %d: %d chunks of job %d at once, limit %d", step, n, job, l.perTable[job])
			}
		}
		if loads > l.maxLoads {
			t.Fatalf("step %d: %d big loads at once, bound %d", step, loads, l.maxLoads)
		}
		if len(running) == 0 {
			t.Fatalf("step %d: nothing runs and the dispatcher is not idle", step)
		}
		// The oldest work ends.
		it := running[0]
		running = running[1:]
		if d.finished(it.job) && deferred[it.job] {
			d.copied = append(d.copied, it.job)
			// Added back before any chunk that waits: the next pick is the indexes.
			if next, _, ok := d.pick(); !ok || !next.indexes {
				t.Fatalf("step %d: after job %d's last chunk the next work is %+v (ok %v), want its indexes", step, it.job, next, ok)
			}
		}
	}
	for job, n := range handed {
		if n != chunks[job] {
			t.Errorf("job %d: %d chunks handed out, want %d", job, n, chunks[job])
		}
	}
	if indexesAt < 0 {
		t.Error("job 0's deferred indexes were never handed out")
	}
}
