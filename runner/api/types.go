// Package api holds the wire types of the runner's HTTP/JSON API and a client for it.
//
// It is the provider's only way into the runner and imports nothing from the server side:
// the runner's handlers and this client agree on the types below and nothing else.
package api

import (
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/vocab"
)

// DatabaseType is the kind of server a connection points at.
type DatabaseType = vocab.DatabaseType

// Database types accepted in ConnectionSpec.DatabaseType.
const (
	DatabaseADBMySQL3 = vocab.DatabaseADBMySQL3
	DatabaseMySQL     = vocab.DatabaseMySQL
	DatabaseMariaDB   = vocab.DatabaseMariaDB
)

// DatabaseTypes lists every DatabaseType.
var DatabaseTypes = vocab.DatabaseTypes

// MigrationType is one part of a task: schema, full or incremental migration.
type MigrationType = vocab.MigrationType

// Migration types accepted in TaskSpec.MigrationTypes.
const (
	MigrationSchema      = vocab.MigrationSchema
	MigrationFull        = vocab.MigrationFull
	MigrationIncremental = vocab.MigrationIncremental
)

// MigrationTypes lists every MigrationType, in the order a task runs them.
var MigrationTypes = vocab.MigrationTypes

// Status is where a task's run stands; only the runner sets it.
type Status = vocab.Status

// Task statuses, as SPEC.md names them.
const (
	StatusNotStarted      = vocab.StatusNotStarted
	StatusPrechecking     = vocab.StatusPrechecking
	StatusPrecheckFailed  = vocab.StatusPrecheckFailed
	StatusSchemaMigrating = vocab.StatusSchemaMigrating
	StatusFullMigrating   = vocab.StatusFullMigrating
	StatusRunning         = vocab.StatusRunning
	StatusRetrying        = vocab.StatusRetrying
	StatusStopped         = vocab.StatusStopped
	StatusCompleted       = vocab.StatusCompleted
	StatusFailed          = vocab.StatusFailed
)

// Statuses lists every Status, in the order a task passes through them.
var Statuses = vocab.Statuses

// Phase is the part of its run a task is in (TaskState.Phase).
type Phase = vocab.Phase

// DesiredStatus is whether the client wants a task to run.
type DesiredStatus string

// Desired statuses accepted in TaskSpec.DesiredStatus.
const (
	DesiredRunning DesiredStatus = "running"
	DesiredStopped DesiredStatus = "stopped"
)

// DesiredStatuses lists every DesiredStatus.
var DesiredStatuses = []DesiredStatus{DesiredRunning, DesiredStopped}

// ConnectionSpec is what a client sends to register a database.
//
// Password is write-only: the runner stores it encrypted and never returns it.
type ConnectionSpec struct {
	Name         string       `json:"name"`
	DatabaseType DatabaseType `json:"database_type"`
	Host         string       `json:"host"`
	Port         int          `json:"port"`
	Username     string       `json:"username"`
	Password     string       `json:"password,omitempty"`
	TLS          *TLSConfig   `json:"tls,omitempty"`
	Region       string       `json:"region,omitempty"`
	InstanceID   string       `json:"instance_id,omitempty"`
}

// TLSConfig selects how the runner secures its connection to the database.
type TLSConfig struct {
	// Mode is one of disabled, preferred, required, verify_identity.
	Mode string `json:"mode"`
	// CAPEM is the PEM bundle used to verify the server with verify_identity.
	CAPEM string `json:"ca_pem,omitempty"`
}

// ServerFacts is what the runner learned from the server when it last tested the connection.
type ServerFacts struct {
	ServerVersion  string `json:"server_version"`
	Flavor         string `json:"flavor"`
	BinlogEnabled  bool   `json:"binlog_enabled"`
	BinlogFormat   string `json:"binlog_format"`
	BinlogRowImage string `json:"binlog_row_image"`
	GTIDMode       string `json:"gtid_mode"`
}

// Connection is a registered database as the runner returns it. Its Password is always empty.
type Connection struct {
	ID string `json:"id"`
	ConnectionSpec
	Server    ServerFacts `json:"server"`
	CreatedAt time.Time   `json:"created_at"`
	UpdatedAt time.Time   `json:"updated_at"`
}

// Operation is a kind of row change (DML) or schema change (DDL) incremental migration
// applies.
type Operation = vocab.Operation

// DML and DDL operations accepted in TaskSpec.DMLOperations, TaskSpec.DDLOperations and
// the Table fields of the same names (see vocab for what each DDL operation covers).
const (
	DMLInsert        = vocab.DMLInsert
	DMLUpdate        = vocab.DMLUpdate
	DMLDelete        = vocab.DMLDelete
	DDLAddColumn     = vocab.DDLAddColumn
	DDLDropColumn    = vocab.DDLDropColumn
	DDLModifyColumn  = vocab.DDLModifyColumn
	DDLRenameColumn  = vocab.DDLRenameColumn
	DDLAddIndex      = vocab.DDLAddIndex
	DDLDropIndex     = vocab.DDLDropIndex
	DDLTableOptions  = vocab.DDLTableOptions
	DDLCreateTable   = vocab.DDLCreateTable
	DDLDropTable     = vocab.DDLDropTable
	DDLRenameTable   = vocab.DDLRenameTable
	DDLTruncateTable = vocab.DDLTruncateTable
)

// DMLOperations and DDLOperations list every operation of each kind. An incremental task
// replicates every DML operation, and the DefaultDDLOperations (the cloud service's), when
// its spec names none (vocab.DDLOrDefault applies that default).
var (
	DMLOperations        = vocab.DMLOperations
	DDLOperations        = vocab.DDLOperations
	DefaultDDLOperations = vocab.DefaultDDLOperations
)

// Retry windows of TaskSpec, in minutes: the defaults used when a field is 0, and the
// ranges the runner accepts.
const (
	DefaultRetryTimeForFailedConnections = 720
	MinRetryTimeForFailedConnections     = 10
	DefaultRetryTimeForOtherIssues       = 10
	MinRetryTimeForOtherIssues           = 1
	MaxRetryTime                         = 1440
)

// VerificationMode says how much of the data verification compares.
type VerificationMode = vocab.VerificationMode

// Data verification modes of DataVerification.Mode.
const (
	VerifyNone    = vocab.VerifyNone
	VerifyFull    = vocab.VerifyFull
	VerifySampled = vocab.VerifySampled
)

// VerificationModes lists every VerificationMode.
var VerificationModes = vocab.VerificationModes

// ConflictHandling says what a task does about rows that already exist on the destination.
type ConflictHandling = vocab.ConflictHandling

// Conflict handling modes of TaskSpec.ConflictHandling.
const (
	ConflictReport = vocab.ConflictReport
	ConflictIgnore = vocab.ConflictIgnore
)

// SchemaObject is a kind of schema object other than tables that TaskSpec.SchemaObjects
// selects.
type SchemaObject = vocab.SchemaObject

// Schema objects. Views and routines are created with the schema; triggers and events at
// cut-over only.
const (
	SchemaViews    = vocab.SchemaViews
	SchemaRoutines = vocab.SchemaRoutines
	SchemaTriggers = vocab.SchemaTriggers
	SchemaEvents   = vocab.SchemaEvents
)

// SchemaObjectKinds lists every SchemaObject.
var SchemaObjectKinds = vocab.SchemaObjectKinds

// Definer says whose DEFINER the migrated schema objects have (TaskSpec.SchemaObjectsDefiner).
type Definer string

// Definer choices.
const (
	// DefinerRewrite drops the source's DEFINER: the destination user defines each object.
	DefinerRewrite Definer = "rewrite"
	// DefinerKeep keeps the source's DEFINER, which must exist on the destination.
	DefinerKeep Definer = "keep"
)

// Definers lists every Definer.
var Definers = []Definer{DefinerRewrite, DefinerKeep}

// ConflictHandlings lists every ConflictHandling.
var ConflictHandlings = vocab.ConflictHandlings

// Instance classes of TaskSpec.InstanceClass and the copy workers each gives.
var InstanceClassWorkers = vocab.InstanceClassWorkers

// InstanceClasses lists the keys of InstanceClassWorkers, smallest first.
var InstanceClasses = vocab.InstanceClasses

// TableType is how AnalyticDB spreads a destination table over its nodes.
type TableType string

// Table types of Table.TableType.
const (
	TableFact      TableType = "fact"      // distributed by hash of the distribution key
	TableDimension TableType = "dimension" // copied to every node
)

// TableTypes lists every TableType.
var TableTypes = []TableType{TableFact, TableDimension}

// PartitionRule says how a destination table's partition key becomes a partition value.
type PartitionRule string

// Partition rules of Table.PartitionRule.
const (
	PartitionByValue PartitionRule = "value"
	PartitionByDay   PartitionRule = "day"
	PartitionByMonth PartitionRule = "month"
	PartitionByYear  PartitionRule = "year"
)

// PartitionRules lists every PartitionRule.
var PartitionRules = []PartitionRule{PartitionByValue, PartitionByDay, PartitionByMonth, PartitionByYear}

// DefaultInstanceClass is used when TaskSpec.InstanceClass is empty.
const DefaultInstanceClass = vocab.DefaultInstanceClass

// TaskSpec is what a client sends to create or change a migration task.
type TaskSpec struct {
	Name                    string          `json:"name"`
	SourceConnectionID      string          `json:"source_connection_id"`
	DestinationConnectionID string          `json:"destination_connection_id"`
	MigrationTypes          []MigrationType `json:"migration_types"`
	Objects                 []Object        `json:"objects"`
	// ConflictHandling is ConflictReport (the default when empty) or ConflictIgnore.
	ConflictHandling ConflictHandling `json:"conflict_handling,omitempty"`
	// MergeTables writes all selected tables into one destination table (full only).
	MergeTables bool `json:"merge_tables,omitempty"`
	// InstanceClass sets the parallelism: small, medium (default), large, xlarge, 2xlarge.
	InstanceClass string `json:"instance_class,omitempty"`
	// FullThrottling limits the full migration; it can change while the task runs.
	FullThrottling *Throttling `json:"full_throttling,omitempty"`
	// IgnorePrecheckAlerts names the alert-level precheck items the user accepts.
	IgnorePrecheckAlerts []string `json:"ignore_precheck_alerts,omitempty"`
	// DesiredStatus is running (the default when empty) or stopped.
	DesiredStatus DesiredStatus `json:"desired_status,omitempty"`
	// DMLOperations lists the row changes incremental migration applies: insert, update,
	// delete. Empty means all three. Table.DMLOperations overrides it per table.
	DMLOperations []Operation `json:"dml_operations,omitempty"`
	// DDLOperations lists the schema changes incremental migration applies, of
	// DDLOperations. Empty means DefaultDDLOperations (add_column, drop_column).
	// Table.DDLOperations overrides it per table.
	DDLOperations []Operation `json:"ddl_operations,omitempty"`
	// IncrementalThrottling limits incremental migration (SourceQPS unused); it can change
	// while the task runs.
	IncrementalThrottling *Throttling `json:"incremental_throttling,omitempty"`
	// RetryTimeForFailedConnections is how long, in minutes, a lost connection is retried
	// before the task fails: 10..1440, DefaultRetryTimeForFailedConnections when 0.
	RetryTimeForFailedConnections int `json:"retry_time_for_failed_connections,omitempty"`
	// RetryTimeForOtherIssues is how long, in minutes, other failures (DDL, DML) are retried
	// before the task fails: 1..1440, DefaultRetryTimeForOtherIssues when 0; lower than
	// RetryTimeForFailedConnections.
	RetryTimeForOtherIssues int `json:"retry_time_for_other_issues,omitempty"`
	// EnvironmentTag labels the task by environment, for example production or staging.
	EnvironmentTag string `json:"environment_tag,omitempty"`
	// Monitoring says when to alert; nil means no alerts.
	Monitoring *Monitoring `json:"monitoring,omitempty"`
	// DataVerification says how to compare destination with source; nil means none.
	DataVerification *DataVerification `json:"data_verification,omitempty"`
	// SchemaObjects are the kinds of schema objects other than tables to migrate, with
	// schema migration; none when empty.
	SchemaObjects []SchemaObject `json:"schema_objects,omitempty"`
	// SchemaObjectsDefiner is DefinerRewrite (the default when empty) or DefinerKeep.
	SchemaObjectsDefiner Definer `json:"schema_objects_definer,omitempty"`
}

// Monitoring configures a task's alerts.
type Monitoring struct {
	// OnFailure alerts when the task fails.
	OnFailure bool `json:"on_failure,omitempty"`
	// LatencyThresholdSeconds alerts when incremental latency exceeds it; 0 means never.
	LatencyThresholdSeconds int `json:"latency_threshold_seconds,omitempty"`
	// WebhookURL receives each alert as a JSON POST; empty means alerts are only logged.
	WebhookURL string `json:"webhook_url,omitempty"`
}

// DataVerification configures the comparison of destination and source data.
type DataVerification struct {
	// Mode is none (the default when empty), full or sampled.
	Mode VerificationMode `json:"mode,omitempty"`
	// SamplePercent is the share of chunks checked with Mode sampled, 1..100.
	SamplePercent int `json:"sample_percent,omitempty"`
	// Repair rewrites the destination rows found to differ.
	Repair bool `json:"repair,omitempty"`
}

// Throttling limits a migration phase; zero fields are unlimited.
type Throttling struct {
	// SourceQPS is queries per second sent to the source (full migration only).
	SourceQPS int64 `json:"source_qps,omitempty"`
	// RPS is rows per second written to the destination.
	RPS int64 `json:"rps,omitempty"`
	// MBPS is MiB per second written to the destination.
	MBPS float64 `json:"mbps,omitempty"`
}

// Object selects one source database, all of its tables when Tables is empty.
type Object struct {
	Database string  `json:"database"`
	RenameTo string  `json:"rename_to,omitempty"`
	Tables   []Table `json:"tables,omitempty"`
}

// Table selects one table of an Object's database and says what it becomes.
type Table struct {
	Name     string `json:"name"`
	RenameTo string `json:"rename_to,omitempty"`
	// Where filters the migrated rows: a boolean SQL expression over source columns.
	Where string `json:"where,omitempty"`
	// Columns lists the source columns to migrate; empty means all.
	Columns []string `json:"columns,omitempty"`
	// ColumnRenames renames columns on the destination.
	ColumnRenames []ColumnRename `json:"column_renames,omitempty"`
	// Destination table fields: how AnalyticDB lays out the destination table.
	TableType          TableType     `json:"table_type,omitempty"`
	PrimaryKey         []string      `json:"primary_key,omitempty"`
	DistributionKey    []string      `json:"distribution_key,omitempty"`
	PartitionKey       string        `json:"partition_key,omitempty"`
	PartitionRule      PartitionRule `json:"partition_rule,omitempty"`
	PartitionLifecycle int           `json:"partition_lifecycle,omitempty"`
	// DMLOperations and DDLOperations override the task's for this table; empty inherits.
	DMLOperations []Operation `json:"dml_operations,omitempty"`
	DDLOperations []Operation `json:"ddl_operations,omitempty"`
	// ETL filters rows and computes destination columns with CEL expressions.
	ETL *ETL `json:"etl,omitempty"`
}

// ETL is a table's etl block: CEL expressions over the source row, `row`.
type ETL struct {
	// Filter is a boolean expression; rows for which it is false or null are not migrated.
	Filter string `json:"filter,omitempty"`
	// Set maps destination column names to the expressions that compute them.
	Set map[string]string `json:"set,omitempty"`
	// DropColumns are source columns not migrated; expressions can still read them.
	DropColumns []string `json:"drop_columns,omitempty"`
}

// ColumnRename gives a source column another name on the destination.
type ColumnRename struct {
	Name     string `json:"name"`
	RenameTo string `json:"rename_to"`
}

// PrecheckStatus is the outcome of one precheck item.
type PrecheckStatus = vocab.PrecheckStatus

// Precheck statuses of PrecheckItem.Status.
const (
	PrecheckPassed = vocab.PrecheckPassed // nothing to do
	PrecheckAlert  = vocab.PrecheckAlert  // blocks the task unless ignore_precheck_alerts names the item
	PrecheckFailed = vocab.PrecheckFailed // blocks the task
)

// PrecheckItem is one precheck result.
type PrecheckItem struct {
	Name    string         `json:"name"`
	Status  PrecheckStatus `json:"status"`
	Message string         `json:"message"`
	Remedy  string         `json:"remedy,omitempty"`
}

// PrecheckResult is the answer of POST /v1/prechecks: the precheck of a task that is not
// created.
type PrecheckResult struct {
	// Passed is true when no item would block the task.
	Passed bool           `json:"passed"`
	Items  []PrecheckItem `json:"items"`
	// Blocking names the items that would stop the task: every failed item and every alert
	// not in ignore_precheck_alerts.
	Blocking []string `json:"blocking"`
}

// Position is a place in the source's binlog. GTIDSet is empty when the source has no GTIDs.
type Position struct {
	File    string `json:"file"`
	Pos     uint64 `json:"pos"`
	GTIDSet string `json:"gtid_set,omitempty"`
}

// TableProgress is the full-migration progress of one source table.
type TableProgress struct {
	Database     string `json:"database"`
	Table        string `json:"table"`
	RowsMigrated int64  `json:"rows_migrated"`
	RowsTotal    int64  `json:"rows_total"`
	Done         bool   `json:"done"`
}

// TaskState is what the runner knows of a task's run. Only the runner writes it.
type TaskState struct {
	Status          Status  `json:"status"`
	Phase           Phase   `json:"phase,omitempty"`
	ProgressPercent float64 `json:"progress_percent"`
	RowsMigrated    int64   `json:"rows_migrated"`
	// BytesMigrated counts the bytes of row values written to the destination, over every
	// run of the task.
	BytesMigrated int64 `json:"bytes_migrated"`
	// Retries counts the failed attempts the runner retried, over every run of the task.
	Retries        int64           `json:"retries"`
	Position       Position        `json:"position"`
	LatencySeconds float64         `json:"latency_seconds"`
	ErrorMessage   string          `json:"error_message,omitempty"`
	Tables         []TableProgress `json:"tables,omitempty"`
	Precheck       []PrecheckItem  `json:"precheck,omitempty"`
	// Capabilities are what the capability probes measured on the destination, by probe
	// name (transactions, locking_reads_parse, ..., kill), at the task's precheck and again
	// whenever a run resumes it. The precheck item destination_capabilities shows them too.
	Capabilities map[string]CapabilityVerdict `json:"capabilities,omitempty"`
	// Notices are the DDL statements on migrated tables that incremental migration reported
	// and did not apply, newest last.
	Notices []string `json:"notices,omitempty"`
	// Verification is nil until data verification has run.
	Verification *Verification `json:"verification,omitempty"`
	StartedAt    *time.Time    `json:"started_at,omitempty"`
	FinishedAt   *time.Time    `json:"finished_at,omitempty"`
	UpdatedAt    time.Time     `json:"updated_at"`
	// Owner is the runner (--node-id) that runs the task in a runner cluster, and Epoch
	// the epoch of its ownership (it only grows); empty and 0 for a single runner.
	Owner string `json:"owner,omitempty"`
	Epoch int64  `json:"epoch,omitempty"`
}

// CapabilityAnswer is a capability probe's verdict: yes, no or unknown.
type CapabilityAnswer = vocab.CapabilityAnswer

// Capability answers.
const (
	CapabilityYes     = vocab.CapabilityYes
	CapabilityNo      = vocab.CapabilityNo
	CapabilityUnknown = vocab.CapabilityUnknown
)

// CapabilityVerdict is what one capability probe found on a server.
type CapabilityVerdict struct {
	Verdict CapabilityAnswer `json:"verdict"`
	// Value is what the probe measured beyond yes or no: for kill, the KILL forms that
	// ended a connection.
	Value string `json:"value,omitempty"`
	// Detail says what the server did: for no, the server's error or what went
	// differently; for unknown, why the probe could not tell.
	Detail string `json:"detail,omitempty"`
}

// ConformanceProbe is one probe's verdict in a Conformance answer.
type ConformanceProbe struct {
	Probe string `json:"probe"`
	CapabilityVerdict
}

// Conformance is the answer of POST /v1/connections/{id}/conformance: the capability
// probes' verdicts on the connection's server, in the order they ran.
type Conformance struct {
	ConnectionID string             `json:"connection_id"`
	Probes       []ConformanceProbe `json:"probes"`
}

// VerificationStatus is where a data verification sweep stands.
type VerificationStatus = vocab.VerificationStatus

// Verification statuses of Verification.Status.
const (
	VerificationRunning    = vocab.VerificationRunning
	VerificationPassed     = vocab.VerificationPassed
	VerificationMismatched = vocab.VerificationMismatched
	VerificationRepaired   = vocab.VerificationRepaired
)

// Verification is the outcome so far of data verification: of the sweep running, or of the
// last one.
type Verification struct {
	Status        VerificationStatus `json:"status,omitempty"`
	ChunksChecked int64              `json:"chunks_checked,omitempty"`
	RowsChecked   int64              `json:"rows_checked,omitempty"`
	Mismatches    int64              `json:"mismatches,omitempty"`
	Repaired      int64              `json:"repaired,omitempty"`
	// Sweeps counts the completed comparisons of every table, those of on-demand
	// verifications included; it only grows.
	Sweeps int64 `json:"sweeps,omitempty"`
	// Began counts the sweeps begun, and Sweep is the number, in that order, of the sweep
	// the status, counts and rows above and below describe: the one that began last of
	// those written, so that a sweep that began earlier (and may have compared rows before
	// they changed) never replaces it. Sweep only grows.
	Began int64 `json:"began,omitempty"`
	Sweep int64 `json:"sweep,omitempty"`
	// Mismatched are the first rows found to differ (at most 100).
	Mismatched []Mismatch `json:"mismatched,omitempty"`
	// During incremental migration: the changed rows compared again after the settle
	// delay, those that still differed with their source row unchanged, and the first of
	// them (at most 100). They count over the whole run.
	KeysRechecked     int64      `json:"keys_rechecked,omitempty"`
	RecheckMismatches int64      `json:"recheck_mismatches,omitempty"`
	RecheckMismatched []Mismatch `json:"recheck_mismatched,omitempty"`
	// Unverified are the tables the sweep could not compare, each with the reason.
	Unverified []Unverified `json:"unverified,omitempty"`
}

// Unverified is a table data verification could not compare.
type Unverified struct {
	// Table is the source "database.table".
	Table  string `json:"table"`
	Reason string `json:"reason"`
}

// MismatchKind says how a row differs between source and destination.
type MismatchKind = vocab.MismatchKind

// Mismatch kinds of Mismatch.Kind.
const (
	MismatchMissing = vocab.MismatchMissing // the source row is not on the destination
	MismatchExtra   = vocab.MismatchExtra   // the destination row is not on the source
	MismatchDiffers = vocab.MismatchDiffers // both have the row, with different values
)

// Mismatch is a row that differs between source and destination.
type Mismatch struct {
	// Table is the source "database.table".
	Table string `json:"table"`
	// Key is the row's source key, "column=value, ...".
	Key  string       `json:"key"`
	Kind MismatchKind `json:"kind"`
}

// Task is a migration task as the runner returns it.
type Task struct {
	ID string `json:"id"`
	// ServerID is the replica server id the runner allocated to the task for reading the
	// source's binlog: unique among the runner's tasks.
	ServerID uint32 `json:"server_id,omitempty"`
	TaskSpec
	State     TaskState `json:"state"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Event types of a task's event log.
const (
	EventStatus       = "status"       // the status changed
	EventRetry        = "retry"        // a failure is being retried
	EventDDL          = "ddl"          // DDL on a migrated table was seen and not applied
	EventAlert        = "alert"        // an alert was delivered to the webhook
	EventAlertFailed  = "alert_failed" // an alert could not be delivered
	EventLatency      = "latency"      // the lag crossed the alert threshold (either way)
	EventVerification = "verification" // a verification sweep finished
)

// TaskEvent is one entry of a task's event log.
type TaskEvent struct {
	// Seq numbers a task's events from 1, in order.
	Seq     int64     `json:"seq"`
	Time    time.Time `json:"time"`
	Type    string    `json:"type"`
	Message string    `json:"message"`
}

// Events is the answer of GET /v1/tasks/{id}/events.
type Events struct {
	Events []TaskEvent `json:"events"`
}

// Health is the answer of GET /v1/health.
type Health struct {
	Status  string `json:"status"`
	Version string `json:"version"`
}

// ErrorBody is the JSON body of every 4xx and 5xx answer.
type ErrorBody struct {
	Error string `json:"error"`
	// Field names the offending request field, when one is to blame.
	Field string `json:"field,omitempty"`
}

// Node is a runner of a runner cluster (GET /v1/nodes).
type Node struct {
	NodeID       string    `json:"node_id"`
	AdvertiseURL string    `json:"advertise_url,omitempty"`
	MaxTasks     int       `json:"max_tasks,omitempty"`
	StartedAt    time.Time `json:"started_at"`
	// Leader says the runner is the elected task scheduler.
	Leader bool `json:"leader"`
	// Tasks counts the tasks the runner owns.
	Tasks int `json:"tasks"`
	// Draining says the runner was drained (DrainNode): it takes no task.
	Draining bool `json:"draining"`
}
