// Package fullload copies the rows of source tables to the destination. Each table is split
// into key-range chunks (planned once and stored on the destination); parallel workers copy
// chunks, each chunk streamed from one source query into one destination transaction that
// also marks the chunk done. A restarted copy skips the chunks that are done, so nothing is
// lost or written twice, and memory holds a buffer per worker, whatever the table's size.
package fullload

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/checkpoint"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/schema"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/tablemap"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/throttle"
)

// Defaults used when Options leave them zero.
const (
	DefaultWorkers = 4
	// MaxChunkRows bounds a chunk's rows (one destination transaction) unless Options set a
	// chunk size; smaller tables get chunks small enough to keep every worker busy, down to
	// MinChunkRows.
	MaxChunkRows = 50000
	MinChunkRows = 1000
)

// Options tune a copy.
type Options struct {
	TaskID string
	// Dialect is the destination's: the bulk load and INSERT statements come from it.
	Dialect   dialect.Dialect
	Workers   int
	ChunkRows int
	// IgnoreConflicts keeps destination rows whose key already exists instead of failing
	// (conflict_handling = ignore_errors_and_proceed).
	IgnoreConflicts bool
	// Limits throttles the copy; nil means unlimited. Its rates may change during Run.
	Limits *throttle.Limits
	// Progress is called after each committed chunk with the job's index and its total of
	// copied rows. Calls may come from several goroutines at once.
	Progress func(job int, rows int64)
	// Written, when set, counts the bytes of the row values sent to the destination.
	Written *atomic.Int64
	// FollowDDL accepts a DDL on a copied table that leaves its columns as they were (an
	// added column, an index, a table option): incremental migration applies it after the
	// copy. Any other DDL during the copy fails it, as it always does without FollowDDL.
	FollowDDL bool
	// Fence, in a runner cluster, makes every transaction check that this runner still
	// owns the task (checkpoint.Fence); nil for a single runner.
	Fence *checkpoint.Fence
	// InsertOnly writes multi-row INSERTs from the start, for a destination whose LOAD DATA
	// lacks a clause the bulk load needs (the capability probes say so); without it the
	// copy falls back to them only when the destination refuses LOAD DATA LOCAL altogether.
	InsertOnly bool
}

// Run copies every job, resuming from the plans and chunks recorded on dst. Tables are
// planned by Workers goroutines, up to planAhead tables ahead of the copy, while Workers
// others copy the chunks planned so far, so the many round trips of planning many small
// tables overlap each other and the copy. Chunks are handed out in job order, table after
// table, within the limits of copyLimits: a table limited to fewer chunks at once than
// Workers leaves the spare workers to the chunks of the next tables. It returns the first
// error, after stopping the other workers.
func Run(ctx context.Context, src, dst *sql.DB, jobs []tablemap.Table, opts Options) error {
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	// plans[i] receives job i's plan from its planner; the feeder below queues the jobs'
	// chunks in order from them.
	plans := make([]chan checkpoint.TablePlan, len(jobs))
	for i := range plans {
		plans[i] = make(chan checkpoint.TablePlan, 1)
	}
	// Plans are saved one at a time: two saves at once deadlock on the gap locks of
	// their DELETEs of rows that are not there yet.
	var saving sync.Mutex
	ahead := make(chan struct{}, planAhead) // a token per job planned but not yet queued
	next := make(chan int)
	var planners sync.WaitGroup // the dispatcher of jobs and the planners
	defer planners.Wait()
	planners.Go(func() {
		defer close(next)
		for i := range jobs {
			select {
			case ahead <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	})
	for range min(opts.Workers, len(jobs)) {
		planners.Go(func() {
			for i := range next {
				plan, err := planTable(ctx, src, dst, jobs[i], opts, &saving)
				if err != nil {
					cancel(err)
					return
				}
				plans[i] <- plan
			}
		})
	}
	totals := make([]int64, len(jobs))
	var mu sync.Mutex // guards totals
	// defs[i] and deferred[i] are written by the dispatcher before it hands out job i's
	// work, and read by the copiers after they receive it.
	defs := make([]string, len(jobs))
	deferred := make([][]checkpoint.DeferredIndex, len(jobs))
	d := dispatcher{limits: copyLimits(ctx, src, dst, jobs, opts)}
	items := make(chan work)
	// done receives the job of each work item a copier finished, failed or skipped; a
	// copier holds one at a time, so Workers places never block after the dispatcher left.
	done := make(chan int, opts.Workers)
	go func() {
		defer close(items)
		nextPlan := 0
		for {
			var out chan work
			it, from, ok := d.pick()
			if ok {
				out = items
			}
			// Plans are taken while fewer tables than copiers have chunks to hand out, so
			// that a table copied a chunk at a time leaves the other copiers work.
			var planned chan checkpoint.TablePlan
			if nextPlan < len(jobs) && d.pending() < opts.Workers {
				planned = plans[nextPlan]
			}
			if out == nil && planned == nil && d.idle() {
				return
			}
			select {
			case out <- it:
				if d.started(it, from) {
					<-ahead // the table's last chunk
				}
			case plan := <-planned:
				i := nextPlan
				nextPlan++
				defs[i], deferred[i] = plan.Definition, plan.Deferred
				var total int64
				var chunks []checkpoint.Chunk
				for _, c := range plan.Chunks {
					total += c.RowsCopied
					if !c.Done {
						chunks = append(chunks, c)
					}
				}
				mu.Lock()
				totals[i] += total
				total = totals[i]
				mu.Unlock()
				if opts.Progress != nil {
					opts.Progress(i, total)
				}
				if len(chunks) == 0 {
					<-ahead
					if len(deferred[i]) > 0 { // copied by an earlier run
						d.copied = append(d.copied, i)
					}
				} else {
					d.open = append(d.open, &openTable{job: i, chunks: chunks})
				}
			case job := <-done:
				if d.finished(job) && len(deferred[job]) > 0 {
					d.copied = append(d.copied, job)
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	w := newWriterMode()
	w.insertOnly.Store(opts.InsertOnly)
	for range opts.Workers {
		wg.Go(func() {
			for it := range items {
				if ctx.Err() != nil {
					done <- it.job
					continue // drain: the dispatcher stops at its next turn
				}
				j := jobs[it.job]
				if it.indexes {
					if err := restoreIndexes(ctx, dst, j, deferred[it.job], opts); err != nil {
						cancel(err)
					}
					done <- it.job
					continue
				}
				n, err := copyChunk(ctx, src, dst, j, it.chunk, defs[it.job], opts, w)
				done <- it.job
				if err != nil {
					cancel(err)
					continue
				}
				mu.Lock()
				totals[it.job] += n
				total := totals[it.job]
				mu.Unlock()
				if opts.Progress != nil {
					opts.Progress(it.job, total)
				}
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	// A last look for DDL that ran after the last chunk of a table was copied, Workers
	// tables at a time.
	return forEach(ctx, len(jobs), opts.Workers, func(i int) error {
		return checkDefinition(ctx, src, jobs[i].Source, defs[i], opts.FollowDDL)
	})
}

// limits bound what Run copies at once.
type limits struct {
	// perTable is how many chunks of job i may be copied at once.
	perTable []int
	// loads marks the jobs whose chunks are big enough (deferIndexRows rows in the table)
	// that each keeps a destination core busy; maxLoads bounds their work under way.
	loads    []bool
	maxLoads int
}

// copyLimits returns the limits of a copy.
//
// A bulk load into an InnoDB table with an AUTO_INCREMENT column holds the table's
// AUTO-INC lock until the statement ends, unless innodb_autoinc_lock_mode is 2
// (interleaved): loads into the same table then only queue behind each other, holding
// their source queries open, so such a table gets one chunk at a time and the other
// workers copy other tables. Measured on a local MariaDB 10.11: four sessions loading
// 50,000-row chunks into one sysbench table took 3.07 s for 500,000 rows and used one core;
// without AUTO_INCREMENT, 1.88 s.
//
// Big loads at once are bounded by the destination's processors, as MariaDB's
// thread_pool_size gives them by default: more loads than cores contend on InnoDB's
// latches and spend CPU on it. Measured on a local MariaDB 10.11 on 2 cores, four tables
// of 500,000 sysbench rows in 50,000-row chunks: four sessions at once took 6.86 s and
// 12.1 CPU-seconds of the server, two sessions 5.40 s and 9.3. Small tables' chunks wait
// on round trips rather than on the server's CPU and are not bounded. Servers without
// these variables (MySQL without its thread pool, AnalyticDB) are bounded by Workers.
func copyLimits(ctx context.Context, src, dst *sql.DB, jobs []tablemap.Table, opts Options) limits {
	l := limits{perTable: make([]int, len(jobs)), loads: make([]bool, len(jobs)), maxLoads: opts.Workers}
	var mode, cores sql.NullInt64
	locked := dst.QueryRowContext(ctx, "SELECT @@innodb_autoinc_lock_mode").Scan(&mode) == nil && mode.Valid && mode.Int64 < 2
	if dst.QueryRowContext(ctx, "SELECT @@thread_pool_size").Scan(&cores) == nil && cores.Valid && cores.Int64 > 0 {
		l.maxLoads = int(min(int64(opts.Workers), cores.Int64))
	}
	estimates := map[string]map[string]int64{}
	for i, j := range jobs {
		l.perTable[i] = opts.Workers
		if locked && autoIncrement(j) {
			l.perTable[i] = 1
		}
		db := j.Source.Database
		if estimates[db] == nil {
			estimates[db] = tablemap.EstimateDatabaseRows(ctx, src, db)
		}
		l.loads[i] = estimates[db][j.Source.Name] >= deferIndexRows
	}
	return l
}

// autoIncrement reports whether a column the job writes is AUTO_INCREMENT on the source,
// and so, as the schema migration creates it, on the destination.
func autoIncrement(j tablemap.Table) bool {
	def, err := schema.ParseCreateTable(j.Source.CreateSQL)
	if err != nil {
		return false
	}
	for _, cm := range j.Columns {
		if c, ok := def.Column(cm.Source.Name); ok && strings.Contains(strings.ToUpper(c.Definition), "AUTO_INCREMENT") {
			return true
		}
	}
	return false
}
