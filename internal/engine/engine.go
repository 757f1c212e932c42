// Package engine runs a migration task: schema migration, then the full copy, reporting its
// progress as it goes. It knows nothing of Terraform or HTTP; the runner drives it.
package engine

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/binlog"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/capability"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/cdc"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/checkpoint"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dbconn"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/etl"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/fullload"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/precheck"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/tablemap"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/throttle"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/verify"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/vocab"
)

// MigrationType is one part of a task: schema, full or incremental migration.
type MigrationType = vocab.MigrationType

// Migration types.
const (
	MigrationSchema      = vocab.MigrationSchema
	MigrationFull        = vocab.MigrationFull
	MigrationIncremental = vocab.MigrationIncremental
)

// Phase is the part of a run a Progress reports.
type Phase = vocab.Phase

// Phases a Progress reports.
const (
	PhasePrecheck    = vocab.PhasePrecheck
	PhaseSchema      = vocab.PhaseSchema
	PhaseFull        = vocab.PhaseFull
	PhaseIncremental = vocab.PhaseIncremental
)

// ConflictMode says what happens to destination rows and tables that are there already
// (precheck defines the modes).
type ConflictMode = precheck.ConflictMode

// Conflict handling modes.
const (
	ConflictReport = precheck.PrecheckAndReportErrors
	ConflictIgnore = precheck.IgnoreErrorsAndProceed
)

// Task is what the engine needs to run one migration task.
type Task struct {
	ID             string
	Source         dbconn.Endpoint
	Destination    dbconn.Endpoint
	MigrationTypes []MigrationType
	Objects        []Object
	// ConflictHandling is ConflictReport (also when empty) or ConflictIgnore.
	ConflictHandling ConflictMode
	// MergeTables writes every selected table into one destination table with a
	// __dts_data_source column naming each row's source table.
	MergeTables bool
	// Workers is the number of chunks copied at once; 0 means fullload.DefaultWorkers.
	Workers int
	// ServerID is the replica server id incremental migration reads the binlog with, unique
	// among the tasks reading from one source; 0 derives one from ID.
	ServerID uint32
	// ChunkRows is the number of keys per copy chunk; 0 sizes chunks by table (see fullload).
	ChunkRows int
	// FullLimits throttles the full copy; the runner may change its rates during Run. Nil
	// means unlimited.
	FullLimits *throttle.Limits
	// IgnorePrecheckAlerts names the alert-level precheck items that do not stop the task.
	IgnorePrecheckAlerts []string
	// RetryWindow is how long connection failures are retried; binlogs must outlive it.
	RetryWindow time.Duration
	// DMLOperations and DDLOperations select what incremental migration applies (insert,
	// update, delete; add_column, drop_column); nil means all. Tables may override them.
	DMLOperations, DDLOperations []vocab.Operation
	// IncrementalLimits throttles incremental migration; the runner may change its rates.
	IncrementalLimits *throttle.Limits
	// Drain, when closed, makes an incremental task apply everything the source has written
	// by then and return ErrDrained: the cut-over.
	Drain <-chan struct{}
	// Yield, when closed, makes a task in incremental migration let its transaction in
	// flight commit and return ErrYielded at once: a graceful hand-off to another runner.
	// Other phases ignore it (their caller cancels them).
	Yield <-chan struct{}
	// Verification says whether and how the destination is compared with the source: once
	// the full migration is done, and over and over during incremental migration.
	Verification Verification
	// Log receives the engine's log records for the task; nil discards them.
	Log *slog.Logger
	// SchemaObjects are the kinds of schema objects other than tables to migrate, with
	// schema migration: views and routines with the tables, triggers and events at
	// cut-over (see SchemaObject).
	SchemaObjects []SchemaObject
	// KeepDefiner keeps each object's DEFINER; otherwise the destination user defines it.
	KeepDefiner bool
	// Epoch, in a runner cluster, is this runner's ownership epoch of the task (the create
	// revision of its etcd owner key); Owner names the runner. With an epoch, Run first
	// takes the task over on the destination and every write is fenced by the epoch
	// (checkpoint.Fence): once a later owner has taken over, writes fail with an error
	// that Classify calls KindFenced. 0 for a single runner: nothing is fenced.
	Epoch int64
	Owner string

	// fence is the run's checkpoint.Fence (nil without an Epoch), set by Run and Verify.
	fence *checkpoint.Fence
}

// logger is the task's logger, with its id.
func (t Task) logger() *slog.Logger {
	if t.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return t.Log.With("task_id", t.ID)
}

// Verification configures data verification.
type Verification struct {
	// Mode is VerifyNone (also when empty), VerifyFull or VerifySampled.
	Mode VerifyMode
	// SamplePercent is the share of chunks VerifySampled compares.
	SamplePercent int
	// Repair rewrites the rows found to differ from the source.
	Repair bool
	// Settle is how long a row found to differ during incremental migration may take to
	// catch up before it counts; DefaultSettle when 0.
	Settle time.Duration
	// Every is the pause between verification sweeps during incremental migration;
	// DefaultSweepPause when 0.
	Every time.Duration
}

// VerifyMode says how much of the data verification compares.
type VerifyMode = vocab.VerificationMode

// Verification modes.
const (
	VerifyNone    = vocab.VerifyNone
	VerifyFull    = vocab.VerifyFull
	VerifySampled = vocab.VerifySampled
)

// VerificationStatus is the state of data verification.
type VerificationStatus = vocab.VerificationStatus

// Verification statuses.
const (
	VerificationRunning    = vocab.VerificationRunning
	VerificationPassed     = vocab.VerificationPassed     // no mismatch
	VerificationMismatched = vocab.VerificationMismatched // rows differ
	VerificationRepaired   = vocab.VerificationRepaired   // every mismatch found was repaired
)

// Defaults of continuous verification.
const (
	DefaultSettle     = 10 * time.Second
	DefaultSweepPause = time.Minute
)

// VerificationProgress is what data verification found so far.
type VerificationProgress struct {
	Status VerificationStatus
	verify.Result
	// Sweeps counts the completed comparisons of every table.
	Sweeps int64
	// During incremental migration, the changed rows compared again after the settle
	// delay, those found to differ, and the first of them.
	KeysRechecked     int64
	RecheckMismatches int64
	RecheckMismatched []verify.Mismatch
}

// next is the progress of a sweep in status with result r, keeping v's rechecks.
func (v *VerificationProgress) next(status VerificationStatus, r verify.Result, sweeps int64) *VerificationProgress {
	out := &VerificationProgress{Status: status, Result: r, Sweeps: sweeps}
	if v != nil {
		out.KeysRechecked, out.RecheckMismatches, out.RecheckMismatched = v.KeysRechecked, v.RecheckMismatches, v.RecheckMismatched
	}
	return out
}

// ErrDrained is returned by Run when an incremental task drained to the source's position
// after Drain was closed.
var ErrDrained = cdc.ErrDrained

// ErrYielded is returned by Run when an incremental task stopped after its transaction in
// flight because Yield was closed.
var ErrYielded = cdc.ErrYielded

// Object selects a source database, all of its tables when Tables is empty.
type Object struct {
	Database string
	RenameTo string
	Tables   []Table
}

// Table selects one table, and says what it becomes on the destination.
type Table struct {
	Name     string
	RenameTo string
	// Where filters the rows to migrate: a boolean SQL expression over the source columns.
	Where string
	// Columns lists the source columns to migrate; nil means all of them.
	Columns []string
	// ColumnRenames maps source column names to destination names.
	ColumnRenames map[string]string
	// DMLOperations and DDLOperations override the task's for this table; nil inherits.
	DMLOperations, DDLOperations []vocab.Operation
	// Destination table fields, in destination column names (the seed's "Configure
	// Database and Table Fields"); the destination's dialect renders or refuses them.
	TableType          string
	PrimaryKey         []string
	DistributionKey    []string
	PartitionKey       string
	PartitionRule      string
	PartitionLifecycle int
	// ETL filters rows and computes destination columns with CEL expressions.
	ETL etl.Spec
}

// TableProgress is one table's full-copy progress.
type TableProgress struct {
	Database, Table   string
	RowsCopied, Total int64
	Done              bool
}

// Progress is a snapshot of a running task. Each report is a fresh value the receiver may keep.
type Progress struct {
	Phase Phase
	// Position is where the task is in the source binlog: the cut recorded before the full
	// copy, then the last applied position of incremental migration.
	Position     binlog.Location
	RowsMigrated int64
	Tables       []TableProgress
	// Precheck holds the results of the precheck, once it ran.
	Precheck []precheck.Result
	// Capabilities are the destination's capability verdicts, measured at the start of
	// every run (a first run and each resume), and CapabilityItem the precheck item that
	// shows them; it is also among Precheck on a first run.
	Capabilities   capability.Report
	CapabilityItem precheck.Result
	// Incremental migration: the lag behind the source, whether it has caught up, the
	// changes applied and the DDL statements it reported instead of applying.
	LatencySeconds float64
	// BehindSince is the source time the lag counts from (zero when caught up): the lag
	// grows from it while no report comes.
	BehindSince    time.Time
	CaughtUp       bool
	ChangesApplied int64
	// Verification is nil until data verification started.
	Verification *VerificationProgress
	// BytesWritten counts the bytes of row values this run sent to the destination.
	BytesWritten int64
	Notices      []string
}

// Percent is the share of rows copied, by the source's row estimates, in 0..100.
func (p Progress) Percent() float64 {
	var done, total int64
	for _, t := range p.Tables {
		done += t.RowsCopied
		if t.Done {
			total += t.RowsCopied
		} else {
			total += max(t.Total, t.RowsCopied)
		}
	}
	if total == 0 {
		return 0
	}
	return 100 * float64(done) / float64(total)
}

// Run runs the task to its end. It calls report whenever the progress changes; report must
// be safe to call from several goroutines and must not block for long. A task that is run
// again after a stop or a crash resumes from the checkpoints kept on the destination. Run
// returns ctx.Err() when ctx is cancelled.
func Run(ctx context.Context, task Task, report func(Progress)) error {
	src, dst, err := openServers(task, true)
	if err != nil {
		return err
	}
	defer src.Close()
	defer dst.Close()
	if err := src.PingContext(ctx); err != nil {
		return fmt.Errorf("source: %w", dbconn.Explain(task.Source, err))
	}
	if err := dst.PingContext(ctx); err != nil {
		return fmt.Errorf("destination: %w", dbconn.Explain(task.Destination, err))
	}
	// Every run measures the destination before it writes there: the fence below already
	// needs transactions and locking reads.
	caps, capItem := probeDestination(ctx, dst)
	if blocking := precheck.Blocking([]precheck.Result{capItem}, task.IgnorePrecheckAlerts); len(blocking) > 0 {
		report(Progress{Phase: PhasePrecheck, Capabilities: caps, CapabilityItem: capItem, Precheck: []precheck.Result{capItem}})
		return &PrecheckError{Results: []precheck.Result{capItem}, Blocking: blocking}
	}
	dd, err := dialect.For(task.Destination.Type)
	if err != nil {
		return err
	}
	if err := checkpoint.Ensure(ctx, dst, dd); err != nil {
		return err
	}
	// In a cluster, no checkpoint is read before this owner has fenced out the earlier ones.
	task.fence = checkpoint.NewFence(task.ID, task.Epoch, task.Owner)
	if err := task.fence.TakeOver(ctx, dst); err != nil {
		return err
	}
	maps, resolveErr := resolve(ctx, src, task)
	prog := Progress{Phase: PhasePrecheck, Capabilities: caps, CapabilityItem: capItem}
	// One estimate query per database rather than per table: thousands of small tables add
	// up.
	estimates := map[string]map[string]int64{}
	for _, m := range maps {
		db := m.SourceDatabase
		if estimates[db] == nil {
			estimates[db] = tablemap.EstimateDatabaseRows(ctx, src, db)
		}
		prog.Tables = append(prog.Tables, TableProgress{Database: db, Table: m.SourceTable, Total: estimates[db][m.SourceTable]})
	}
	send := sender(&prog, report)

	cut, ok, err := checkpoint.LoadCut(ctx, dst, task.ID)
	if err != nil {
		return err
	}
	var added []int
	if cut.FullDone {
		// The copy is done: its rows count in rows_migrated of every later run.
		if added, err = loadCopied(ctx, dst, task.ID, maps, &prog); err != nil {
			return err
		}
		if added, err = notFollowed(ctx, dst, task.ID, maps, added); err != nil {
			return err
		}
	}
	withSchema := slices.Contains(task.MigrationTypes, MigrationSchema)
	var ddl schemaDDL
	var schemaErr error
	if resolveErr == nil && withSchema && !cut.SchemaDone {
		ddl, schemaErr = renderSchema(task, maps)
	}
	if !ok {
		// First run: the precheck decides whether the task may start at all.
		send(func(p *Progress) {})
		err := runPrecheck(ctx, src, dst, task, maps, resolveErr, schemaErr, func(r []precheck.Result) {
			send(func(p *Progress) { p.Precheck = r })
		}, capItem)
		if err != nil {
			return err
		}
		// Record the position before anything is copied: every change after it reaches the
		// destination through the binlog, every change before it through the copy.
		pos, err := binlog.Current(ctx, src)
		if err != nil {
			return err
		}
		cut = checkpoint.Cut{Location: pos}
		if err := checkpoint.SaveCut(ctx, dst, dd, task.fence, task.ID, cut); err != nil {
			return err
		}
	} else if err := errors.Join(resolveErr, schemaErr); err != nil {
		return err
	}
	// A resumed run reports the phase it resumes in.
	phase := PhaseSchema
	switch withFull := slices.Contains(task.MigrationTypes, MigrationFull); {
	case withSchema && !cut.SchemaDone:
	case withFull && !cut.FullDone:
		phase = PhaseFull
	case slices.Contains(task.MigrationTypes, MigrationIncremental):
		phase = PhaseIncremental
	}
	send(func(p *Progress) {
		p.Phase = phase
		p.Position = cut.Location
	})

	if withSchema && !cut.SchemaDone {
		if err := createSchema(ctx, dst, task.fence, ddl); err != nil {
			return err
		}
		if err := migrateObjects(ctx, src, dst, task, maps, ObjectRoutines, ObjectViews); err != nil {
			return err
		}
		cut.SchemaDone = true
		if err := checkpoint.SaveCut(ctx, dst, dd, task.fence, task.ID, cut); err != nil {
			return err
		}
	}
	if slices.Contains(task.MigrationTypes, MigrationFull) && !cut.FullDone {
		all := make([]int, len(maps))
		for i := range all {
			all[i] = i
		}
		if err := fullCopy(ctx, src, dst, task, maps, all, send); err != nil {
			return err
		}
		cut.FullDone = true
		if err := checkpoint.SaveCut(ctx, dst, dd, task.fence, task.ID, cut); err != nil {
			return err
		}
	}
	if !slices.Contains(task.MigrationTypes, MigrationIncremental) {
		if task.Verification.enabled() && slices.Contains(task.MigrationTypes, MigrationFull) {
			if _, err := verifyOnce(ctx, src, dst, task, maps, 0, send); err != nil {
				return err
			}
		}
		// No row replicates any more: the cut-over objects can fire now.
		return migrateObjects(ctx, src, dst, task, maps, ObjectTriggers, ObjectEvents)
	}
	if len(added) > 0 {
		if err := addTables(ctx, src, dst, task, maps, added, withSchema, send); err != nil {
			return err
		}
	}
	return incremental(ctx, src, dst, dd, task, maps, added, cut, send)
}

// Verify compares the task's destination tables with its source tables once, on demand,
// reporting the verification's progress through report. With incremental migration, rows
// that differ get the settle delay to catch up before they count.
func Verify(ctx context.Context, task Task, report func(Progress)) error {
	src, dst, err := openServers(task, true)
	if err != nil {
		return err
	}
	defer src.Close()
	defer dst.Close()
	// A repair writes: as the task's owner, fenced (the run took the task over).
	task.fence = checkpoint.NewFence(task.ID, task.Epoch, task.Owner)
	maps, err := resolve(ctx, src, task)
	if err != nil {
		return err
	}
	var prog Progress
	send := sender(&prog, report)
	if task.Verification.Mode != VerifySampled {
		task.Verification.Mode = VerifyFull
	}
	var settle time.Duration
	if slices.Contains(task.MigrationTypes, MigrationIncremental) {
		settle = cmp.Or(task.Verification.Settle, DefaultSettle)
	}
	_, err = verifyOnce(ctx, src, dst, task, maps, settle, send)
	return err
}

// fullCopy runs the full migration of the mappings maps[i] for i in which; the progress of
// maps[i] is Progress.Tables[i].
func fullCopy(ctx context.Context, src, dst *sql.DB, task Task, maps []tablemap.Table, which []int, send func(func(*Progress))) error {
	var err error
	jobs := make([]tablemap.Table, len(which))
	for i, mi := range which {
		m := maps[mi]
		if task.ConflictHandling == ConflictIgnore {
			if m.Columns, err = matchingColumns(ctx, dst, m); err != nil {
				return err
			}
		}
		jobs[i] = m
	}
	send(func(p *Progress) { p.Phase = PhaseFull })
	var written atomic.Int64
	base := int64(0)
	send(func(p *Progress) { base = p.BytesWritten })
	d, err := dialect.For(task.Destination.Type)
	if err != nil {
		return err
	}
	err = fullload.Run(ctx, src, dst, jobs, fullload.Options{
		TaskID:          task.ID,
		Dialect:         d,
		Workers:         task.Workers,
		ChunkRows:       task.ChunkRows,
		IgnoreConflicts: task.ConflictHandling == ConflictIgnore,
		FollowDDL:       slices.Contains(task.MigrationTypes, MigrationIncremental),
		Limits:          task.FullLimits,
		Fence:           task.fence,
		Written:         &written,
		Progress: func(job int, rows int64) {
			send(func(p *Progress) {
				t := &p.Tables[which[job]]
				p.BytesWritten = base + written.Load()
				p.RowsMigrated += rows - t.RowsCopied
				t.RowsCopied = rows
			})
		},
	})
	if err != nil {
		return err
	}
	send(func(p *Progress) {
		for _, i := range which {
			p.Tables[i].Done = true
		}
	})
	return nil
}

// verifyServers gives verification the task's servers with their dialects.
func verifyServers(task Task, src, dst *sql.DB) (verify.Server, verify.Server, error) {
	sd, err := dialect.For(task.Source.Type)
	if err != nil {
		return verify.Server{}, verify.Server{}, err
	}
	dd, err := dialect.For(task.Destination.Type)
	if err != nil {
		return verify.Server{}, verify.Server{}, err
	}
	return verify.Server{DB: src, Dialect: sd}, verify.Server{DB: dst, Dialect: dd}, nil
}

func (v Verification) enabled() bool { return v.Mode == VerifyFull || v.Mode == VerifySampled }

// verifyOnce compares every mapping's destination table with its source, reporting as it
// goes; settle > 0 lets rows in flight catch up before they count.
func verifyOnce(ctx context.Context, src, dst *sql.DB, task Task, maps []tablemap.Table, settle time.Duration, send func(func(*Progress))) (verify.Result, error) {
	var sweeps int64
	send(func(p *Progress) {
		if p.Verification != nil {
			sweeps = p.Verification.Sweeps
		}
		p.Verification = p.Verification.next(VerificationRunning, verify.Result{}, sweeps)
	})
	opts := verify.Options{
		SamplePercent: task.Verification.SamplePercent, Repair: task.Verification.Repair, Settle: settle, Limits: task.FullLimits,
		Progress: func(r verify.Result) {
			send(func(p *Progress) {
				p.Verification = p.Verification.next(VerificationRunning, r, sweeps)
			})
		},
	}
	if task.Verification.Mode == VerifyFull {
		opts.SamplePercent = 0
	}
	vs, vd, err := verifyServers(task, src, dst)
	if err != nil {
		return verify.Result{}, err
	}
	opts.Rewrite = func(ctx context.Context, t tablemap.Table, srcPred string, srcArgs []any, dstPred string, dstArgs []any) (int64, error) {
		return fullload.Rewrite(ctx, src, dst, t, srcPred, srcArgs, dstPred, dstArgs, fullload.Options{Dialect: vd.Dialect, Limits: task.FullLimits, Fence: task.fence})
	}
	res, err := verify.Run(ctx, vs, vd, maps, opts)
	if err != nil {
		return res, err
	}
	status := VerificationPassed
	switch {
	case res.Mismatches > 0:
		status = VerificationMismatched
	case res.Repaired > 0:
		status = VerificationRepaired
	}
	task.logger().Info("verification done", "status", status, "rows", res.Rows, "mismatches", res.Mismatches, "repaired", res.Repaired)
	for _, u := range res.Unverified {
		task.logger().Warn("table not verified", "table", u.Table, "reason", u.Reason)
	}
	send(func(p *Progress) {
		p.Verification = p.Verification.next(status, res, sweeps+1)
	})
	return res, nil
}

// addTables creates and copies the tables added to the selection of a task whose full copy
// was done, before incremental migration resumes. The binlog stream stands still meanwhile,
// and resumes from its applied position, which precedes the copy: the tables' changes since
// then are replayed over the copied rows exactly as at the task's first handover.
func addTables(ctx context.Context, src, dst *sql.DB, task Task, maps []tablemap.Table, added []int, withSchema bool, send func(func(*Progress))) error {
	var names []string
	subset := make([]tablemap.Table, len(added))
	for i, mi := range added {
		subset[i] = maps[mi]
		names = append(names, maps[mi].SourceDatabase+"."+maps[mi].SourceTable)
	}
	task.logger().Info("copying tables added to the task", "tables", names)
	if withSchema {
		ddl, err := renderSchema(task, subset)
		if err != nil {
			return fmt.Errorf("tables added to the task: %w", err)
		}
		send(func(p *Progress) { p.Phase = PhaseSchema })
		if err := createSchema(ctx, dst, task.fence, ddl); err != nil {
			return err
		}
	}
	return fullCopy(ctx, src, dst, task, maps, added, send)
}

// loadCopied fills p's table progress from the copy checkpoints of a finished full copy. It
// returns the indexes of the mappings that have none: tables added to the task since.
func loadCopied(ctx context.Context, dst *sql.DB, taskID string, maps []tablemap.Table, p *Progress) (added []int, err error) {
	for i, m := range maps {
		plan, ok, err := checkpoint.LoadPlan(ctx, dst, taskID, m.SourceDatabase, m.SourceTable)
		if err != nil {
			return nil, err
		}
		if !ok {
			added = append(added, i)
			continue
		}
		var rows int64
		for _, c := range plan.Chunks {
			rows += c.RowsCopied
		}
		p.Tables[i].RowsCopied, p.Tables[i].Done = rows, true
		p.RowsMigrated += rows
	}
	return added, nil
}

// notFollowed keeps, of the mappings added, those incremental migration does not already
// follow: a table created in, or renamed into, a database selected whole was taken in from
// the binlog and has no copy checkpoint, but is not new to the task.
func notFollowed(ctx context.Context, dst *sql.DB, taskID string, maps []tablemap.Table, added []int) ([]int, error) {
	if len(added) == 0 {
		return nil, nil
	}
	done, ok, err := checkpoint.LoadWorkers(ctx, dst, taskID)
	if err != nil || !ok {
		return added, err
	}
	followed, ok, err := cdc.Followed(checkpoint.Earliest(done).Tables)
	if err != nil || !ok {
		return added, err
	}
	return slices.DeleteFunc(added, func(i int) bool {
		return followed[strings.ToLower(maps[i].SourceDatabase+"."+maps[i].SourceTable)]
	}), nil
}

// openServers opens the task's source, and its destination as a writer when write is set
// (repair writes), as a reader otherwise.
func openServers(task Task, write bool) (src, dst *sql.DB, err error) {
	if src, err = dbconn.Open(task.Source, ""); err != nil {
		return nil, nil, err
	}
	if write {
		dst, err = dbconn.OpenWriter(task.Destination, "")
	} else {
		dst, err = dbconn.Open(task.Destination, "")
	}
	if err != nil {
		src.Close()
		return nil, nil, err
	}
	return src, dst, nil
}

// sender returns the function through which progress changes: it applies each update to
// *prog and reports a copy, one update at a time.
func sender(prog *Progress, report func(Progress)) func(func(*Progress)) {
	var mu sync.Mutex
	return func(update func(*Progress)) {
		mu.Lock()
		defer mu.Unlock()
		update(prog)
		report(clone(*prog))
	}
}

func clone(p Progress) Progress {
	p.Tables = slices.Clone(p.Tables)
	if p.Verification != nil {
		v := *p.Verification
		v.Mismatched = slices.Clone(v.Mismatched)
		v.RecheckMismatched = slices.Clone(v.RecheckMismatched)
		p.Verification = &v
	}
	return p
}

// schemaDDL is what renderSchema returns: the statements that create the destination
// databases, then those that create its tables.
type schemaDDL struct{ databases, tables []string }

// renderSchema returns the statements that create the destination databases and tables.
// It fails, before anything is created, on anything the destination's dialect cannot
// express.
func renderSchema(task Task, maps []tablemap.Table) (schemaDDL, error) {
	d, err := dialect.For(task.Destination.Type)
	if err != nil {
		return schemaDDL{}, err
	}
	var ddl schemaDDL
	done := map[string]bool{}
	for _, m := range maps {
		if !done[m.DestDatabase] {
			ddl.databases = append(ddl.databases, d.CreateDatabase(m.DestDatabase))
			done[m.DestDatabase] = true
		}
		key := m.DestDatabase + "." + m.DestTable
		if done[key] {
			continue // merged tables share one destination table
		}
		done[key] = true
		t, err := destinationTable(m, task.Source.Type, task.Destination.Type)
		if err != nil {
			return schemaDDL{}, err
		}
		stmt, err := d.CreateTable(t)
		if err != nil {
			return schemaDDL{}, err
		}
		// IF NOT EXISTS: a run resumed after a crash finds the tables it created before.
		// Conflicts with tables that were there first are refused by checkConflicts, or kept
		// under ignore_errors_and_proceed.
		ddl.tables = append(ddl.tables, strings.Replace(stmt, "CREATE TABLE ", "CREATE TABLE IF NOT EXISTS ", 1))
	}
	return ddl, nil
}

// schemaWorkers is how many tables createSchema creates at once: a CREATE TABLE waits
// mostly for the destination's files, so a few at once take a fraction of the time one by
// one does (2,000 small tables: 5.8 s one by one on a local MariaDB).
const schemaWorkers = 4

// createSchema runs the statements of renderSchema: the databases one by one, then the
// tables schemaWorkers at a time, each after f's guard. It returns the first error, after
// the statements under way finished; none starts after it.
func createSchema(ctx context.Context, dst *sql.DB, f *checkpoint.Fence, ddl schemaDDL) error {
	run := func(stmt string) error {
		if err := f.Guard(ctx, dst); err != nil {
			return err
		}
		if _, err := dst.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("creating the destination schema: %w (statement: %.200s)", err, stmt)
		}
		return nil
	}
	for _, stmt := range ddl.databases {
		if err := run(stmt); err != nil {
			return err
		}
	}
	var mu sync.Mutex
	var first error
	failed := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return first != nil
	}
	next := make(chan string)
	var wg sync.WaitGroup
	for range min(schemaWorkers, len(ddl.tables)) {
		wg.Go(func() {
			for stmt := range next {
				if failed() {
					continue
				}
				if err := run(stmt); err != nil {
					mu.Lock()
					first = cmp.Or(first, err)
					mu.Unlock()
				}
			}
		})
	}
	for _, stmt := range ddl.tables {
		if failed() {
			break
		}
		next <- stmt
	}
	close(next)
	wg.Wait()
	return first
}

// matchingColumns keeps, under ignore_errors_and_proceed, only the columns the existing
// destination table has: "if schemas differ, only matching columns are migrated".
func matchingColumns(ctx context.Context, dst *sql.DB, m tablemap.Table) ([]tablemap.ColumnMap, error) {
	rows, err := dst.QueryContext(ctx, "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", m.DestDatabase, m.DestTable)
	if err != nil {
		return nil, fmt.Errorf("reading columns of destination table %s.%s: %w", m.DestDatabase, m.DestTable, err)
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		have[strings.ToLower(n)] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []tablemap.ColumnMap
	for _, c := range m.Columns {
		if have[strings.ToLower(c.Dest)] {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("destination table %s.%s shares no column with source table %s.%s: fix its columns or rename the source table with rename_to", m.DestDatabase, m.DestTable, m.SourceDatabase, m.SourceTable)
	}
	return out, nil
}
