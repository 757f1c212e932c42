// Package api holds the wire types of the runner's HTTP/JSON API and a client for it.
//
// It is the provider's only way into the runner and imports nothing from the server side:
// the runner's handlers and this client agree on the types below and nothing else.
package api

import "time"

// Database types accepted in ConnectionSpec.DatabaseType.
const (
	DatabaseADBMySQL3 = "adb_mysql3"
	DatabaseMySQL     = "mysql"
	DatabaseMariaDB   = "mariadb"
)

// Migration types accepted in TaskSpec.MigrationTypes.
const (
	MigrationSchema      = "schema"
	MigrationFull        = "full"
	MigrationIncremental = "incremental"
)

// Task statuses, as SPEC.md names them.
const (
	StatusNotStarted      = "NotStarted"
	StatusPrechecking     = "Prechecking"
	StatusPrecheckFailed  = "PrecheckFailed"
	StatusSchemaMigrating = "SchemaMigrating"
	StatusFullMigrating   = "FullMigrating"
	StatusRunning         = "Running"
	StatusRetrying        = "Retrying"
	StatusStopped         = "Stopped"
	StatusCompleted       = "Completed"
	StatusFailed          = "Failed"
)

// Desired statuses accepted in TaskSpec.DesiredStatus.
const (
	DesiredRunning = "running"
	DesiredStopped = "stopped"
)

// ConnectionSpec is what a client sends to register a database.
//
// Password is write-only: the runner stores it encrypted and never returns it.
type ConnectionSpec struct {
	Name         string     `json:"name"`
	DatabaseType string     `json:"database_type"`
	Host         string     `json:"host"`
	Port         int        `json:"port"`
	Username     string     `json:"username"`
	Password     string     `json:"password,omitempty"`
	TLS          *TLSConfig `json:"tls,omitempty"`
	Region       string     `json:"region,omitempty"`
	InstanceID   string     `json:"instance_id,omitempty"`
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

// TaskSpec is what a client sends to create or change a migration task.
type TaskSpec struct {
	Name                    string   `json:"name"`
	SourceConnectionID      string   `json:"source_connection_id"`
	DestinationConnectionID string   `json:"destination_connection_id"`
	MigrationTypes          []string `json:"migration_types"`
	Objects                 []Object `json:"objects"`
	// DesiredStatus is running (the default when empty) or stopped.
	DesiredStatus string `json:"desired_status,omitempty"`
}

// Object selects one source database, all of its tables when Tables is empty.
type Object struct {
	Database string  `json:"database"`
	RenameTo string  `json:"rename_to,omitempty"`
	Tables   []Table `json:"tables,omitempty"`
}

// Table selects one table of an Object's database.
type Table struct {
	Name     string `json:"name"`
	RenameTo string `json:"rename_to,omitempty"`
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
	Status          string          `json:"status"`
	Phase           string          `json:"phase,omitempty"`
	ProgressPercent float64         `json:"progress_percent"`
	RowsMigrated    int64           `json:"rows_migrated"`
	Position        Position        `json:"position"`
	LatencySeconds  float64         `json:"latency_seconds"`
	ErrorMessage    string          `json:"error_message,omitempty"`
	Tables          []TableProgress `json:"tables,omitempty"`
	StartedAt       *time.Time      `json:"started_at,omitempty"`
	FinishedAt      *time.Time      `json:"finished_at,omitempty"`
	UpdatedAt       time.Time       `json:"updated_at"`
}

// Task is a migration task as the runner returns it.
type Task struct {
	ID string `json:"id"`
	TaskSpec
	State     TaskState `json:"state"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
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
