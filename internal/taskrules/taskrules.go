// Package taskrules holds the rules a migration task's spec must follow that need no
// database: one rule set, used by the provider at plan time and by the runner's API before
// it stores a task. Validate checks a whole spec; the expressions in it are parsed by
// internal/taskexpr, and the names it checks against (precheck items, instance classes, the
// checkpoint database) are internal/vocab's.
//
// It imports the API's types, taskexpr and vocab, and nothing that talks to a database or
// belongs to the engine or the runner, so that the provider can use it without linking
// either. The engine does not import it (it uses taskexpr and vocab), so the engine does not
// depend on runner/api.
package taskrules

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/taskexpr"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/vocab"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

// FieldError is a rule a task spec breaks. Field is the path of the offending field in the
// API's JSON, such as objects[0].tables[1].etl.set.total; Message says what is wrong.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Message }

func fieldError(field, format string, args ...any) error {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// Validate checks a task spec's fields and returns nil, or every rule the spec breaks: an
// errors.Join of *FieldError in the order the fields are checked (errors.As finds the
// first; a table block contributes its first broken rule). Callers that answer with one
// error, like the runner's API, use the first; the provider can show them all. Whether the
// connections it names exist is for the caller, which knows them; what the source and
// destination hold is for the precheck.
func Validate(t api.TaskSpec) error {
	var errs []error
	add := func(err error) { errs = append(errs, err) }
	for _, f := range []struct{ field, id string }{
		{"source_connection_id", t.SourceConnectionID},
		{"destination_connection_id", t.DestinationConnectionID},
	} {
		if f.id == "" {
			add(fieldError(f.field, "%s is required", f.field))
		}
	}
	if len(t.MigrationTypes) == 0 {
		add(fieldError("migration_types", "migration_types is empty: choose from %v", api.MigrationTypes))
	}
	for i, mt := range t.MigrationTypes {
		if !slices.Contains(api.MigrationTypes, mt) {
			add(fieldError("migration_types", "migration_types[%d] %q is not one of %v", i, mt, api.MigrationTypes))
		}
		if slices.Contains(t.MigrationTypes[:i], mt) {
			add(fieldError("migration_types", "migration_types lists %q twice", mt))
		}
	}
	if len(t.Objects) == 0 {
		add(fieldError("objects", "objects is empty: select at least one database"))
	}
	for i, o := range t.Objects {
		field := fmt.Sprintf("objects[%d].database", i)
		switch {
		case o.Database == "":
			add(fieldError(field, "%s is required", field))
		case o.Database == vocab.MetaDatabase || o.RenameTo == vocab.MetaDatabase:
			add(fieldError(field, "database %s holds the runner's checkpoints and cannot be migrated", vocab.MetaDatabase))
		}
		for j, tb := range o.Tables {
			if tb.Name == "" {
				tf := fmt.Sprintf("objects[%d].tables[%d].name", i, j)
				add(fieldError(tf, "%s is required", tf))
			}
		}
	}
	add(SelectedOnce(t.Objects))
	switch t.DesiredStatus {
	case "", api.DesiredRunning, api.DesiredStopped:
	default:
		add(fieldError("desired_status", "desired_status %q is not running or stopped", t.DesiredStatus))
	}
	switch t.ConflictHandling {
	case "", api.ConflictReport, api.ConflictIgnore:
	default:
		add(fieldError("conflict_handling", "conflict_handling %q is not %s or %s", t.ConflictHandling, api.ConflictReport, api.ConflictIgnore))
	}
	if t.InstanceClass != "" && !slices.Contains(api.InstanceClasses, t.InstanceClass) {
		add(fieldError("instance_class", "instance_class %q is not one of %s", t.InstanceClass, strings.Join(vocab.InstanceClasses, ", ")))
	}
	if t.MergeTables && slices.Contains(t.MigrationTypes, api.MigrationIncremental) {
		add(fieldError("merge_tables", "merge_tables is available only without incremental migration"))
	}
	if th := t.FullThrottling; th != nil && (th.SourceQPS < 0 || th.RPS < 0 || th.MBPS < 0) {
		add(fieldError("full_throttling", "full_throttling rates must not be negative"))
	}
	if th := t.IncrementalThrottling; th != nil {
		if th.SourceQPS != 0 {
			add(fieldError("incremental_throttling.source_qps", "incremental_throttling has no source_qps: incremental migration reads the binlog, not tables"))
		}
		if th.RPS < 0 || th.MBPS < 0 {
			add(fieldError("incremental_throttling", "incremental_throttling rates must not be negative"))
		}
	}
	add(Operations("dml_operations", t.DMLOperations, api.DMLOperations))
	add(Operations("ddl_operations", t.DDLOperations, api.DDLOperations))
	if err := RetryTimesInRange(t.RetryTimeForFailedConnections, t.RetryTimeForOtherIssues); err != nil {
		add(err) // their order means nothing while one is out of range
	} else {
		add(RetryTimesOrdered(t.RetryTimeForFailedConnections, t.RetryTimeForOtherIssues))
	}
	if m := t.Monitoring; m != nil {
		if m.LatencyThresholdSeconds < 0 {
			add(fieldError("monitoring.latency_threshold_seconds", "monitoring.latency_threshold_seconds must be 1 or more (0 for no latency alert), not %d", m.LatencyThresholdSeconds))
		}
		if m.WebhookURL != "" && !HTTPURL(m.WebhookURL) {
			add(fieldError("monitoring.webhook_url", "monitoring.webhook_url %q is not an http(s) URL", m.WebhookURL))
		}
	}
	if v := t.DataVerification; v != nil {
		switch v.Mode {
		case "", api.VerifyNone, api.VerifyFull:
			if v.SamplePercent != 0 {
				add(fieldError("data_verification.sample_percent", "data_verification.sample_percent applies only to mode %q", api.VerifySampled))
			}
		case api.VerifySampled:
			if v.SamplePercent < 1 || v.SamplePercent > 100 {
				add(fieldError("data_verification.sample_percent", "data_verification.sample_percent %d is outside 1..100", v.SamplePercent))
			}
		default:
			add(fieldError("data_verification.mode", "data_verification.mode %q is not one of %s, %s, %s", v.Mode, api.VerifyNone, api.VerifyFull, api.VerifySampled))
		}
		if v.Repair && (v.Mode == "" || v.Mode == api.VerifyNone) {
			add(fieldError("data_verification.repair", "data_verification.repair needs mode %s or %s", api.VerifyFull, api.VerifySampled))
		}
	}
	add(SchemaObjects(t.MigrationTypes, t.SchemaObjects))
	if d := t.SchemaObjectsDefiner; d != "" && !slices.Contains(api.Definers, d) {
		add(fieldError("schema_objects_definer", "schema_objects_definer %q is not one of %v", d, api.Definers))
	}
	for i, o := range t.Objects {
		for j, tb := range o.Tables {
			add(validateTable(fmt.Sprintf("objects[%d].tables[%d]", i, j), tb))
		}
	}
	return errors.Join(errs...)
}

// SelectedOnce refuses a database selected by two objects, and a table selected twice
// within one object. Objects and tables with an empty name are skipped: whether a name is
// required is another rule's to say.
func SelectedOnce(objects []api.Object) error {
	databases := map[string]int{}
	for i, o := range objects {
		if o.Database == "" {
			continue
		}
		if first, ok := databases[o.Database]; ok {
			return fieldError(fmt.Sprintf("objects[%d].database", i),
				"database %q is selected by object blocks %d and %d: merge them into one object block, with a table block for each table", o.Database, first, i)
		}
		databases[o.Database] = i
		tables := map[string]int{}
		for j, tb := range o.Tables {
			if tb.Name == "" {
				continue
			}
			if first, ok := tables[tb.Name]; ok {
				return fieldError(fmt.Sprintf("objects[%d].tables[%d].name", i, j),
					"table %q of database %q is selected by table blocks %d and %d: keep one table block for it", tb.Name, o.Database, first, j)
			}
			tables[tb.Name] = j
		}
	}
	return nil
}

// SchemaObjects checks that kinds names distinct schema object kinds, and that a task
// migrating any has schema migration among its migrationTypes.
func SchemaObjects(migrationTypes []api.MigrationType, kinds []api.SchemaObject) error {
	for i, k := range kinds {
		if !slices.Contains(api.SchemaObjectKinds, k) || slices.Contains(kinds[:i], k) {
			return fieldError("schema_objects", "schema_objects[%d] %q is not one of %v, or is listed twice", i, k, api.SchemaObjectKinds)
		}
	}
	if len(kinds) > 0 && !slices.Contains(migrationTypes, api.MigrationSchema) {
		return fieldError("schema_objects", "schema_objects needs schema migration: add %q to migration_types", api.MigrationSchema)
	}
	return nil
}

// HTTPURL reports whether s is an absolute http or https URL.
func HTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// Operations checks that ops, the value of field, names distinct members of allowed.
func Operations(field string, ops, allowed []api.Operation) error {
	for k, op := range ops {
		if !slices.Contains(allowed, op) {
			return fieldError(field, "%s[%d] %q is not one of %v", field, k, op, allowed)
		}
		if slices.Contains(ops[:k], op) {
			return fieldError(field, "%s lists %q twice", field, op)
		}
	}
	return nil
}

// RetryTimesInRange checks each retry window, in minutes, against its range; 0 stands for
// the default.
func RetryTimesInRange(conn, other int) error {
	if conn != 0 && (conn < api.MinRetryTimeForFailedConnections || conn > api.MaxRetryTime) {
		return fieldError("retry_time_for_failed_connections", "retry_time_for_failed_connections %d is outside %d..%d minutes",
			conn, api.MinRetryTimeForFailedConnections, api.MaxRetryTime)
	}
	if other != 0 && (other < api.MinRetryTimeForOtherIssues || other > api.MaxRetryTime) {
		return fieldError("retry_time_for_other_issues", "retry_time_for_other_issues %d is outside %d..%d minutes",
			other, api.MinRetryTimeForOtherIssues, api.MaxRetryTime)
	}
	return nil
}

// RetryTimesOrdered checks that other issues are retried for less time than lost
// connections; 0 stands for the default.
func RetryTimesOrdered(conn, other int) error {
	connDefault := ""
	if conn == 0 {
		conn, connDefault = api.DefaultRetryTimeForFailedConnections, " (the default)"
	}
	if other == 0 {
		other = api.DefaultRetryTimeForOtherIssues
	}
	if other >= conn {
		return fieldError("retry_time_for_other_issues", "retry_time_for_other_issues (%d minutes) must be lower than retry_time_for_failed_connections (%d minutes%s)", other, conn, connDefault)
	}
	return nil
}

// validateTable checks one table block's fields; field is its path.
func validateTable(field string, tb api.Table) error {
	if tb.TableType != "" && !slices.Contains(api.TableTypes, tb.TableType) {
		return fieldError(field+".table_type", "table_type %q is not fact or dimension", tb.TableType)
	}
	if tb.PartitionRule != "" && !slices.Contains(api.PartitionRules, tb.PartitionRule) {
		return fieldError(field+".partition_rule", "partition_rule %q is not value, day, month or year", tb.PartitionRule)
	}
	if tb.PartitionLifecycle < 0 {
		return fieldError(field+".partition_lifecycle", "partition_lifecycle must be 1 or more")
	}
	if _, err := taskexpr.ParseWhere(tb.Where); err != nil {
		return fieldError(field+".where", "where %q cannot be used: %v", tb.Where, err)
	}
	seen := map[string]bool{}
	for k, c := range tb.Columns {
		if c == "" || seen[c] {
			return fieldError(fmt.Sprintf("%s.columns[%d]", field, k), "columns must name distinct source columns")
		}
		seen[c] = true
	}
	if err := Operations(field+".dml_operations", tb.DMLOperations, api.DMLOperations); err != nil {
		return err
	}
	if err := Operations(field+".ddl_operations", tb.DDLOperations, api.DDLOperations); err != nil {
		return err
	}
	renamed := map[string]bool{}
	for k, cr := range tb.ColumnRenames {
		if cr.Name == "" || cr.RenameTo == "" || renamed[cr.Name] {
			return fieldError(fmt.Sprintf("%s.column_renames[%d]", field, k), "each column block needs a distinct name and a rename_to")
		}
		renamed[cr.Name] = true
	}
	if tb.ETL != nil {
		return validateETL(field+".etl", *tb.ETL)
	}
	return nil
}

// validateETL checks an etl block's expressions parse; whether they fit the table's columns
// is the precheck's to say.
func validateETL(field string, e api.ETL) error {
	if e.Filter != "" {
		if err := taskexpr.CELSyntax(e.Filter); err != nil {
			return fieldError(field+".filter", "filter %q is not a CEL expression: %v", e.Filter, err)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(e.Set)) {
		if name == "" {
			return fieldError(field+".set", "set needs destination column names")
		}
		if err := taskexpr.CELSyntax(e.Set[name]); err != nil {
			return fieldError(field+".set."+name, "set.%s = %q is not a CEL expression: %v", name, e.Set[name], err)
		}
	}
	seen := map[string]bool{}
	for k, c := range e.DropColumns {
		if c == "" || seen[c] {
			return fieldError(fmt.Sprintf("%s.drop_columns[%d]", field, k), "drop_columns must name distinct source columns")
		}
		seen[c] = true
	}
	return nil
}
