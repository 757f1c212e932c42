// Package fullload copies the rows of source tables to the destination. Each table is split
// into key-range chunks (planned once and stored on the destination); parallel workers copy
// chunks, each chunk streamed from one source query into one destination transaction that
// also marks the chunk done. A restarted copy skips the chunks that are done, so nothing is
// lost or written twice, and memory holds a buffer per worker, whatever the table's size.
package fullload

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/go-sql-driver/mysql"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/checkpoint"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dbconn"
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

// deferIndexRows is the smallest table, by the source's row estimate, whose destination
// secondary indexes a copy builds after the rows: below it the two extra DDL statements
// cost about what the load gains. Measured on a local MariaDB 10.11 with sysbench rows: at
// 10,000 rows, 0.08 CPU-seconds loading with the index against 0.05 dropping it, loading
// and adding it; at 30,000 rows, 0.15 against 0.13.
const deferIndexRows = 10_000

// planTable returns the table's stored plan, or plans its chunks and stores them, holding
// saving while it stores them. A new plan of a table of at least deferIndexRows rows into
// an empty destination table drops the table's plain secondary indexes, after the plan
// that names them is stored; restoreIndexes adds them back after the copy.
func planTable(ctx context.Context, src, dst *sql.DB, j tablemap.Table, opts Options, saving sync.Locker) (checkpoint.TablePlan, error) {
	plan, estimate, save, err := makePlan(ctx, src, dst, j, opts)
	if err != nil || !save {
		return plan, err
	}
	saving.Lock()
	defer saving.Unlock()
	var drop string
	if estimate >= deferIndexRows {
		if plan.Deferred, drop, err = deferrable(ctx, dst, j, opts); err != nil {
			return plan, err
		}
	}
	t := j.Source
	if err := checkpoint.SavePlan(ctx, dst, opts.Fence, opts.TaskID, t.Database, t.Name, plan); err != nil {
		return plan, err
	}
	if drop == "" {
		return plan, nil
	}
	if err := opts.Fence.Guard(ctx, dst); err != nil {
		return plan, err
	}
	// A failed drop changes nothing (its indexes go together or not at all) but the
	// speed: the copy then writes through the indexes, and restoreIndexes finds them.
	_, _ = dst.ExecContext(ctx, drop)
	return plan, nil
}

// deferrable returns the destination table's plain secondary indexes (KEY on columns) and
// the statement that drops them, when the dialect builds indexes after a load and the
// table is empty; nothing otherwise. Unique keys stay: they decide conflicts during the
// load. A table with foreign keys keeps its indexes, which the keys may need.
func deferrable(ctx context.Context, dst *sql.DB, j tablemap.Table, opts Options) ([]checkpoint.DeferredIndex, string, error) {
	if _, _, ok := opts.Dialect.DeferIndexes(j.DestDatabase, j.DestTable, nil, nil); !ok {
		return nil, "", nil
	}
	var one int
	err := dst.QueryRowContext(ctx, "SELECT 1 FROM "+dialect.QuoteTable(j.DestDatabase, j.DestTable)+" LIMIT 1").Scan(&one)
	if err == nil {
		return nil, "", nil // rows are there already
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, "", fmt.Errorf("reading destination table %s.%s: %w", j.DestDatabase, j.DestTable, err)
	}
	def, err := destinationDefinition(ctx, dst, j)
	if err != nil || len(def.ForeignKeys) > 0 {
		return nil, "", err
	}
	var deferred []checkpoint.DeferredIndex
	var names []string
	for _, ix := range def.Indexes {
		if ix.Kind == "KEY" && ix.Columns != nil && ix.Name != "" {
			deferred = append(deferred, checkpoint.DeferredIndex{Name: ix.Name, Line: ix.Raw})
			names = append(names, ix.Name)
		}
	}
	if len(deferred) == 0 {
		return nil, "", nil
	}
	drop, _, _ := opts.Dialect.DeferIndexes(j.DestDatabase, j.DestTable, names, nil)
	return deferred, drop, nil
}

// errDuplicateKeyName is ER_DUP_KEYNAME: an index of that name exists.
const errDuplicateKeyName = 1061

// restoreIndexes adds back, in one statement, the deferred indexes that the destination
// table lacks. A run killed during that statement may leave the server running it: when
// this one then finds an index added meanwhile, it looks again and adds the rest.
func restoreIndexes(ctx context.Context, dst *sql.DB, j tablemap.Table, deferred []checkpoint.DeferredIndex, opts Options) error {
	for attempt := 0; len(deferred) > 0; attempt++ {
		def, err := destinationDefinition(ctx, dst, j)
		if err != nil {
			return err
		}
		var lines []string
		for _, d := range deferred {
			if !slices.ContainsFunc(def.Indexes, func(ix schema.IndexDef) bool { return strings.EqualFold(ix.Name, d.Name) }) {
				lines = append(lines, d.Line)
			}
		}
		if len(lines) == 0 {
			return nil
		}
		_, add, _ := opts.Dialect.DeferIndexes(j.DestDatabase, j.DestTable, nil, lines)
		if err := opts.Fence.Guard(ctx, dst); err != nil {
			return err
		}
		_, err = dst.ExecContext(ctx, add)
		if myErr, ok := errors.AsType[*mysql.MySQLError](err); ok && myErr.Number == errDuplicateKeyName && attempt == 0 {
			continue
		}
		if err != nil {
			return fmt.Errorf("adding back the secondary indexes of %s.%s after copying its rows: %w (statement: %.300s)", j.DestDatabase, j.DestTable, err, add)
		}
		return nil
	}
	return nil
}

// destinationDefinition reads and parses the job's destination table's definition.
func destinationDefinition(ctx context.Context, dst *sql.DB, j tablemap.Table) (*schema.Definition, error) {
	var name, create string
	if err := dst.QueryRowContext(ctx, "SHOW CREATE TABLE "+dialect.QuoteTable(j.DestDatabase, j.DestTable)).Scan(&name, &create); err != nil {
		return nil, fmt.Errorf("reading the definition of destination table %s.%s: %w", j.DestDatabase, j.DestTable, err)
	}
	return schema.ParseCreateTable(create)
}

// makePlan returns the table's stored plan, or plans its chunks; save says whether the plan
// is new and must be stored, and estimate is then the source's row estimate.
func makePlan(ctx context.Context, src, dst *sql.DB, j tablemap.Table, opts Options) (plan checkpoint.TablePlan, estimate int64, save bool, err error) {
	t := j.Source
	plan, ok, err := checkpoint.LoadPlan(ctx, dst, opts.TaskID, t.Database, t.Name)
	if err != nil || ok {
		if err == nil {
			err = checkDefinition(ctx, src, t, plan.Definition, opts.FollowDDL)
		}
		return plan, 0, false, err
	}
	plan.Definition = fingerprint(t.Shown) + ":" + columnsFingerprint(t.Shown, t.Columns)
	estimate = tablemap.EstimateRows(ctx, src, t)
	if len(t.Key) == 0 {
		// Without a key there is no range to split on: one chunk, one transaction, still
		// all or nothing on a restart.
		plan.Chunks = []checkpoint.Chunk{{No: 0}}
		return plan, estimate, true, nil
	}
	keyCols, err := tablemap.KeyColumns(t)
	if err != nil {
		return plan, 0, false, err
	}
	if len(keyCols) == 1 && keyCols[0].Integer() {
		plan.Chunks, err = splitIntegerRange(ctx, src, t, estimate, opts)
		return plan, estimate, err == nil, err
	}
	// Walk the key index only, one boundary every chunkRows keys.
	q := fmt.Sprintf("SELECT %s FROM %s%%s ORDER BY %s LIMIT 1 OFFSET %d",
		dialect.QuoteIdents(t.Key), dialect.QuoteTable(t.Database, t.Name), dialect.QuoteIdents(t.Key), chunkRows(opts, estimate)-1)
	var lo [][]byte
	for no := 0; ; no++ {
		where, args := "", []any(nil)
		if lo != nil {
			var pred string
			pred, args = tablemap.After(t.Key, tablemap.KeyArgs(keyCols, lo))
			where = " WHERE " + pred
		}
		if err := opts.Limits.WaitQueries(ctx, 1); err != nil {
			return plan, 0, false, err
		}
		hi, err := tablemap.ReadKey(ctx, src, fmt.Sprintf(q, where), args, len(t.Key))
		if err != nil {
			return plan, 0, false, fmt.Errorf("planning the copy of %s.%s: %w", t.Database, t.Name, err)
		}
		plan.Chunks = append(plan.Chunks, checkpoint.Chunk{No: no, Lo: lo, Hi: hi})
		if hi == nil {
			break
		}
		lo = hi
	}
	return plan, estimate, true, nil
}

// splitIntegerRange plans a table with a one-column integer key without reading its rows:
// the key's range is cut into as many equal spans as the row estimate needs chunks. Gaps in
// the keys only make some chunks smaller; the last chunk is open-ended.
func splitIntegerRange(ctx context.Context, src *sql.DB, t *schema.Table, estimate int64, opts Options) ([]checkpoint.Chunk, error) {
	if err := opts.Limits.WaitQueries(ctx, 1); err != nil {
		return nil, err
	}
	var lo, hi sql.NullString
	k := dialect.QuoteIdent(t.Key[0])
	err := src.QueryRowContext(ctx, "SELECT MIN("+k+"), MAX("+k+") FROM "+dialect.QuoteTable(t.Database, t.Name)).Scan(&lo, &hi)
	if err != nil {
		return nil, fmt.Errorf("planning the copy of %s.%s: %w", t.Database, t.Name, err)
	}
	bounds, err := integerBounds(lo, hi, estimate, int64(chunkRows(opts, estimate)))
	if err != nil {
		return nil, fmt.Errorf("planning the copy of %s.%s: %w", t.Database, t.Name, err)
	}
	chunks := make([]checkpoint.Chunk, 0, len(bounds)+1)
	var prev [][]byte
	for i, b := range bounds {
		key := [][]byte{[]byte(b)}
		chunks = append(chunks, checkpoint.Chunk{No: i, Lo: prev, Hi: key})
		prev = key
	}
	return append(chunks, checkpoint.Chunk{No: len(bounds), Lo: prev}), nil
}

// integerBounds returns the inclusive upper bounds of all chunks but the last, in decimal,
// for keys from lo to hi (NULL when the table is empty) and about estimate rows.
func integerBounds(lo, hi sql.NullString, estimate, chunkRows int64) ([]string, error) {
	if !lo.Valid || !hi.Valid {
		return nil, nil
	}
	first, ok1 := new(big.Int).SetString(lo.String, 10)
	last, ok2 := new(big.Int).SetString(hi.String, 10)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("key range %q..%q is not integer", lo.String, hi.String)
	}
	span := new(big.Int).Sub(last, first)
	span.Add(span, big.NewInt(1))
	n := big.NewInt(max(1, (estimate+chunkRows-1)/chunkRows))
	if n.Cmp(span) > 0 {
		n.Set(span)
	}
	step := new(big.Int).Div(new(big.Int).Add(span, new(big.Int).Sub(n, big.NewInt(1))), n) // ceil(span / n)
	var out []string
	b := new(big.Int).Set(first)
	for i := int64(1); i < n.Int64(); i++ {
		b.Add(b, step)
		bound := new(big.Int).Sub(b, big.NewInt(1))
		if bound.Cmp(last) >= 0 {
			break
		}
		out = append(out, bound.String())
	}
	return out, nil
}

// chunkRows is the chunk size for a table of about estimate rows: Options.ChunkRows when
// set, else a quarter of the table's share per worker, within MinChunkRows..MaxChunkRows.
func chunkRows(opts Options, estimate int64) int {
	if opts.ChunkRows > 0 {
		return opts.ChunkRows
	}
	return int(min(MaxChunkRows, max(MinChunkRows, estimate/int64(4*opts.Workers))))
}

// chunkPredicate returns the WHERE clause selecting the chunk's keys and the job's filter.
func chunkPredicate(j tablemap.Table, c checkpoint.Chunk) (string, []any, error) {
	keyCols, err := tablemap.KeyColumns(j.Source)
	if err != nil {
		return "", nil, err
	}
	pred, args := tablemap.RangePredicate(j.Source.Key, keyCols, c.Lo, c.Hi, j.Where)
	if pred == "" {
		return "", nil, nil
	}
	return " WHERE " + pred, args, nil
}

// ErrDefinitionChanged wraps the error of a copy whose source table a DDL changed in a way
// the task cannot follow: no retry fixes it.
var ErrDefinitionChanged = errors.New("source table changed during the copy")

// checkDefinition fails when the source table's definition changed since its copy was
// planned: DDL ran during the migration, which the seed forbids. With follow, a change that
// leaves the table's planned columns as they were passes: incremental migration applies it.
// want is what planTable recorded: the definition's fingerprint, then after a colon its
// columns' (plans recorded before the colon have only the former).
func checkDefinition(ctx context.Context, src *sql.DB, t *schema.Table, want string, follow bool) error {
	var name, create string
	if err := src.QueryRowContext(ctx, "SHOW CREATE TABLE "+dialect.QuoteTable(t.Database, t.Name)).Scan(&name, &create); err != nil {
		return fmt.Errorf("re-reading the definition of %s.%s (a DDL during schema or full migration, which is not supported, may have dropped or renamed it): %w", t.Database, t.Name, err)
	}
	whole, cols, _ := strings.Cut(want, ":")
	if fingerprint(create) == whole {
		return nil
	}
	if follow && cols != "" && columnsFingerprint(create, t.Columns) == cols {
		return nil
	}
	return fmt.Errorf("%w: DDL changed source table %s.%s during schema or full migration, which is not supported (an added column, an index or a table option is, "+
		"with incremental migration, which applies it after the copy): the destination may not match it; drop the destination table and create a new task, "+
		"and run no other DDL on the source until the full migration completes", ErrDefinitionChanged, t.Database, t.Name)
}

// fingerprint hashes a definition without its AUTO_INCREMENT counter, which inserts move.
func fingerprint(create string) string {
	var b strings.Builder
	for _, f := range strings.Fields(create) {
		if strings.HasPrefix(f, "AUTO_INCREMENT=") {
			continue
		}
		b.WriteString(f)
		b.WriteByte(' ')
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:16])
}

// columnsFingerprint hashes the definitions of cols in a CREATE TABLE, in cols' order: it
// stays the same when columns are added, or indexes and options change. A definition that
// does not parse, or lacks one of cols, hashes to "" (a change).
func columnsFingerprint(create string, cols []schema.Column) string {
	def, err := schema.ParseCreateTable(create)
	if err != nil {
		return ""
	}
	var b strings.Builder
	for _, c := range cols {
		cd, ok := def.Column(c.Name)
		if !ok {
			return ""
		}
		b.WriteString(cd.Name + " " + strings.Join(strings.Fields(cd.Definition), " ") + "\n")
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:15]) // with the definition's, it fits the plan's 64 characters
}

// Rewrite deletes the destination rows of j that dstPred selects (within j's merged-table
// tag) and writes the source rows that srcPred selects, in one destination transaction,
// and returns how many rows it wrote. srcPred must include j's filter.
func Rewrite(ctx context.Context, src, dst *sql.DB, j tablemap.Table, srcPred string, srcArgs []any, dstPred string, dstArgs []any, opts Options) (int64, error) {
	if j.SourceTag != "" {
		tag := dialect.QuoteIdent(tablemap.SourceColumn) + " = " + dialect.QuoteString(j.SourceTag)
		dstPred = strings.Join(slices.DeleteFunc([]string{dstPred, tag}, func(p string) bool { return p == "" }), " AND ")
	}
	tx, err := opts.Fence.Begin(ctx, dst)
	if err != nil {
		return 0, err
	}
	defer tx.Close()
	del := "DELETE FROM " + dialect.QuoteTable(j.DestDatabase, j.DestTable)
	if dstPred != "" {
		del += " WHERE " + dstPred
	}
	if _, err := tx.ExecContext(ctx, del, dstArgs...); err != nil {
		return 0, fmt.Errorf("repairing %s.%s: %w", j.DestDatabase, j.DestTable, err)
	}
	where := ""
	if srcPred != "" {
		where = " WHERE " + srcPred
	}
	rows, err := sourceRowsWhere(ctx, src, j, where, srcArgs, opts)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	opts.IgnoreConflicts = false
	n, err := insertRows(ctx, tx.Tx, rows, j, opts)
	if ve, ok := errors.AsType[*dbconn.ValueError](err); ok {
		rows.Close()
		locate(ctx, src, j, where, srcArgs, opts, ve)
		return 0, ve
	}
	if err != nil {
		return 0, fmt.Errorf("repairing %s.%s: %w", j.DestDatabase, j.DestTable, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("repairing %s.%s: %w", j.DestDatabase, j.DestTable, err)
	}
	return n, nil
}
