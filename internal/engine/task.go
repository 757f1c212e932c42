// The task the engine runs, its settings and the progress it reports.

package engine

import (
	"log/slog"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/binlog"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/capability"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/cdc"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/checkpoint"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dbconn"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/etl"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/precheck"
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
	// insertOnly is true when the capability probes found that the destination refuses a
	// clause the bulk load needs: the full load writes multi-row INSERTs from the start.
	insertOnly bool
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
