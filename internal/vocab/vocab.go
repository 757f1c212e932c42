// Package vocab names the words of a migration task once: migration types, DML and DDL
// operations, schema object kinds, task statuses and run phases, conflict handling and
// verification modes, instance classes, precheck item names and the runner's checkpoint
// database. The runner's API (runner/api) aliases its wire types to these, and the engine
// and its cdc package use them directly, so a value travels from the API to the engine
// with no conversion between copies.
//
// It is a leaf: it imports nothing of the project, so that the API, which imports nothing
// from the server side, can use it.
package vocab

// MigrationType is one part of a task: schema, full or incremental migration.
type MigrationType string

// Migration types.
const (
	MigrationSchema      MigrationType = "schema"
	MigrationFull        MigrationType = "full"
	MigrationIncremental MigrationType = "incremental"
)

// MigrationTypes lists every MigrationType, in the order a task runs them.
var MigrationTypes = []MigrationType{MigrationSchema, MigrationFull, MigrationIncremental}

// Operation is a kind of row change (DML) or schema change (DDL) incremental migration
// applies.
type Operation string

// DML and DDL operations.
const (
	DMLInsert Operation = "insert"
	DMLUpdate Operation = "update"
	DMLDelete Operation = "delete"
	// The cloud service's DDL, the default.
	DDLAddColumn  Operation = "add_column"
	DDLDropColumn Operation = "drop_column"
	// Beyond the cloud service: each applied only when named.
	DDLModifyColumn  Operation = "modify_column"  // MODIFY and CHANGE COLUMN (type, attributes, place), ALTER COLUMN SET/DROP DEFAULT
	DDLRenameColumn  Operation = "rename_column"  // RENAME COLUMN, CHANGE COLUMN to another name
	DDLAddIndex      Operation = "add_index"      // ADD INDEX/KEY/UNIQUE/FULLTEXT, CREATE INDEX
	DDLDropIndex     Operation = "drop_index"     // DROP INDEX/KEY, DROP INDEX ... ON
	DDLTableOptions  Operation = "table_options"  // ALTER TABLE COMMENT, CHARSET, ROW_FORMAT, ...
	DDLCreateTable   Operation = "create_table"   // CREATE TABLE (and LIKE), RENAME TABLE into a database selected whole
	DDLDropTable     Operation = "drop_table"     // DROP TABLE
	DDLRenameTable   Operation = "rename_table"   // RENAME TABLE within the selection, ALTER ... RENAME TO
	DDLTruncateTable Operation = "truncate_table" // TRUNCATE TABLE
)

// DMLOperations and DDLOperations list every operation of each kind. An incremental task
// replicates every DML operation, and the DefaultDDLOperations (the cloud service's), when
// its spec names none: see DMLOrDefault and DDLOrDefault.
var (
	DMLOperations        = []Operation{DMLInsert, DMLUpdate, DMLDelete}
	DDLOperations        = []Operation{DDLAddColumn, DDLDropColumn, DDLModifyColumn, DDLRenameColumn, DDLAddIndex, DDLDropIndex, DDLTableOptions, DDLCreateTable, DDLDropTable, DDLRenameTable, DDLTruncateTable}
	DefaultDDLOperations = []Operation{DDLAddColumn, DDLDropColumn}
)

// DMLOrDefault returns ops, or every DML operation when ops is empty: the DML operations
// a task that names none applies.
func DMLOrDefault(ops []Operation) []Operation {
	if len(ops) == 0 {
		return append([]Operation(nil), DMLOperations...)
	}
	return ops
}

// DDLOrDefault returns ops, or DefaultDDLOperations when ops is empty: the one place the
// default of ddl_operations is applied (the provider's plan, the provider's reading of a
// task and the engine all call it).
func DDLOrDefault(ops []Operation) []Operation {
	if len(ops) == 0 {
		return append([]Operation(nil), DefaultDDLOperations...)
	}
	return ops
}

// SchemaObject is a kind of schema object other than tables that a task migrates
// (schema_objects). Views and routines are created with the schema; triggers and events
// only at cut-over, never while rows replicate: a trigger firing on replicated rows would
// apply its effect a second time, and an event would change rows the source still owns.
type SchemaObject string

// Schema objects.
const (
	SchemaViews    SchemaObject = "views"
	SchemaRoutines SchemaObject = "routines"
	SchemaTriggers SchemaObject = "triggers"
	SchemaEvents   SchemaObject = "events"
)

// SchemaObjectKinds lists every SchemaObject.
var SchemaObjectKinds = []SchemaObject{SchemaViews, SchemaRoutines, SchemaTriggers, SchemaEvents}

// Status is where a task's run stands; only the runner sets it.
type Status string

// Task statuses, as SPEC.md names them.
const (
	StatusNotStarted      Status = "NotStarted"
	StatusPrechecking     Status = "Prechecking"
	StatusPrecheckFailed  Status = "PrecheckFailed"
	StatusSchemaMigrating Status = "SchemaMigrating"
	StatusFullMigrating   Status = "FullMigrating"
	StatusRunning         Status = "Running"
	StatusRetrying        Status = "Retrying"
	StatusStopped         Status = "Stopped"
	StatusCompleted       Status = "Completed"
	StatusFailed          Status = "Failed"
)

// Statuses lists every Status, in the order a task passes through them.
var Statuses = []Status{
	StatusNotStarted, StatusPrechecking, StatusPrecheckFailed, StatusSchemaMigrating,
	StatusFullMigrating, StatusRunning, StatusRetrying, StatusStopped,
	StatusCompleted, StatusFailed,
}

// Phase is the part of a run the engine is in: what its progress reports, and the phase a
// task's state shows.
type Phase string

// Phases of a run, in order.
const (
	PhasePrecheck    Phase = "precheck"
	PhaseSchema      Phase = "schema"
	PhaseFull        Phase = "full"
	PhaseIncremental Phase = "incremental"
)

// Phases lists every Phase, in the order a run passes through them.
var Phases = []Phase{PhasePrecheck, PhaseSchema, PhaseFull, PhaseIncremental}

// phaseStatuses maps each phase to the status of a task whose run is in it.
var phaseStatuses = map[Phase]Status{
	PhasePrecheck:    StatusPrechecking,
	PhaseSchema:      StatusSchemaMigrating,
	PhaseFull:        StatusFullMigrating,
	PhaseIncremental: StatusRunning,
}

// StatusOf returns the status of a task whose run is in phase p, and false for a phase
// that is not one of Phases.
func StatusOf(p Phase) (Status, bool) {
	s, ok := phaseStatuses[p]
	return s, ok
}

// PhaseOf returns the phase whose status s is (StatusOf's inverse), and false for a status
// no phase has: NotStarted, PrecheckFailed, Retrying, Stopped, Completed, Failed.
func PhaseOf(s Status) (Phase, bool) {
	for p, ps := range phaseStatuses {
		if ps == s {
			return p, true
		}
	}
	return "", false
}

// ConflictHandling says what a task does about rows and tables that already exist on the
// destination.
type ConflictHandling string

// Conflict handling modes.
const (
	ConflictReport ConflictHandling = "precheck_and_report_errors"
	ConflictIgnore ConflictHandling = "ignore_errors_and_proceed"
)

// ConflictHandlings lists every ConflictHandling.
var ConflictHandlings = []ConflictHandling{ConflictReport, ConflictIgnore}

// VerificationMode says how much of the data verification compares.
type VerificationMode string

// Data verification modes.
const (
	VerifyNone    VerificationMode = "none"
	VerifyFull    VerificationMode = "full"
	VerifySampled VerificationMode = "sampled"
)

// VerificationModes lists every VerificationMode.
var VerificationModes = []VerificationMode{VerifyNone, VerifyFull, VerifySampled}

// VerificationStatus is where a data verification sweep stands.
type VerificationStatus string

// Verification statuses.
const (
	VerificationRunning    VerificationStatus = "running"    // a sweep is comparing
	VerificationPassed     VerificationStatus = "passed"     // no row differs
	VerificationMismatched VerificationStatus = "mismatched" // rows differ
	// VerificationRepaired: every row found to differ was rewritten from the source and
	// then matched.
	VerificationRepaired VerificationStatus = "repaired"
)

// MetaDatabase is the destination database where the runner keeps each task's checkpoints.
// No object may select it or be renamed to it.
const MetaDatabase = "adbmigrate_meta"

// DatabaseType is a kind of database server, as a connection's database_type names it; the
// engine's dialects are named after them.
type DatabaseType string

// Database types.
const (
	DatabaseADBMySQL3 DatabaseType = "adb_mysql3"
	DatabaseMySQL     DatabaseType = "mysql"
	DatabaseMariaDB   DatabaseType = "mariadb"
)

// DatabaseTypes lists every DatabaseType.
var DatabaseTypes = []DatabaseType{DatabaseADBMySQL3, DatabaseMySQL, DatabaseMariaDB}

// MismatchKind says how a row differs between source and destination.
type MismatchKind string

// Mismatch kinds.
const (
	MismatchMissing MismatchKind = "missing" // the source row is not on the destination
	MismatchExtra   MismatchKind = "extra"   // the destination row is not on the source
	MismatchDiffers MismatchKind = "differs" // both have the row, with different values
)

// CapabilityAnswer is a destination capability probe's verdict (internal/engine/capability).
type CapabilityAnswer string

// Capability answers.
const (
	CapabilityYes     CapabilityAnswer = "yes"     // the server did what the probe asks about
	CapabilityNo      CapabilityAnswer = "no"      // it refused, or did something else
	CapabilityUnknown CapabilityAnswer = "unknown" // the probe could not get as far as the point it measures
)
